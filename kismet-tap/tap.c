/*
 * tap.c - the emit path shared by every source (see tap.h): read, skip
 * unchanged devices, project, serialise, write, count.
 */
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "project.h"
#include "timefmt.h"

int
tap_init(struct tap *t, const struct config *cfg)
{
	memset(t, 0, sizeof(*t));
	t->cfg = cfg;
	if (dedup_init(&t->dd) < 0)
		return -1;
	output_init(&t->out, 1, (size_t)cfg->queue_max, cfg->mode == MODE_LIVE);
	if (cfg->sensor && (t->sensor = strdup(cfg->sensor)) == NULL)
		return -1;
	return 0;
}

void
tap_free(struct tap *t)
{
	output_free(&t->out);
	dedup_free(&t->dd);
	buf_free(&t->line);
	free(t->sensor);
	t->sensor = NULL;
}

int
tap_set_sensor(struct tap *t, const char *name)
{
	char *s;

	if (t->cfg->sensor || name == NULL || *name == '\0')
		return 0;
	if ((s = strdup(name)) == NULL)
		return -1;
	free(t->sensor);
	t->sensor = s;
	return 0;
}

void
tap_bad(struct tap *t, const char *where, const char *why)
{
	t->st.bad++;
	log_err("%s: skipped: %s", where, why);
}

int
tap_record(struct tap *t, json_t *rec)
{
	size_t len;
	char *line;
	int rc;

	/* before anything is serialised: no real MAC leaves the sensor */
	if (t->cfg->pseudo && pseudo_json(t->cfg->pseudo, rec) < 0) {
		json_decref(rec);
		tap_bad(t, "output", "out of memory while pseudonymizing a record");
		return 0;
	}
	line = project_line(rec, t->cfg->format == FMT_TEXT, &len);
	json_decref(rec);
	if (line == NULL) {
		tap_bad(t, "output", "cannot serialise a record");
		return 0;
	}
	rc = output_put(&t->out, line, len);
	free(line);
	return rc;
}

/* A record line from device.c: written as it is, unless a json_t
 * record is needed (--pseudonymize-macs, --format text). */
static int
tap_line(struct tap *t, const char *line, size_t len)
{
	json_t *rec;

	if (t->cfg->pseudo == NULL && t->cfg->format != FMT_TEXT)
		return output_put(&t->out, line, len);
	if ((rec = json_loadb(line, len, 0, NULL)) == NULL) {
		tap_bad(t, "output", "cannot re-read a record");
		return 0;
	}
	return tap_record(t, rec);
}

unsigned
tap_record_flags(const struct config *cfg)
{
	return (cfg->probed_ssids ? DEVICE_PROBED_SSIDS : 0) | (cfg->raw ? PROJECT_RAW : 0);
}

int
tap_device_text(struct tap *t, const char *text, size_t len, const char *where)
{
	return tap_device_checked(t, text, len, where, NULL, NULL);
}

int
tap_device_checked(struct tap *t, const char *text, size_t len, const char *where,
    tap_check_fn check, void *arg)
{
	struct device_view dv;
	const char *why = NULL;
	char key[512], msg[200];
	json_t *dev, *rec;
	int ch;

	t->st.devices_in++;
	if (device_scan(&dv, text, len, &why) < 0) {
		if (dv.err) {
			snprintf(msg, sizeof(msg), "invalid JSON at byte %zu: %s", dv.err_off, dv.err);
			why = msg;
		}
		tap_bad(t, where, why);
		return 0;
	}
	if (check != NULL && check(arg, &dv) == 0)
		return 0;
	if (device_ident(&dv, key, sizeof(key), &why) < 0 ||
	    device_line(&dv, t->sensor, tap_record_flags(t->cfg) & ~PROJECT_RAW, &t->line, &why) < 0) {
		tap_bad(t, where, why);
		return 0;
	}
	/* a change in any field of the record is a change (--raw too: the
	 * record is what the contract says changes) */
	ch = dedup_changed(&t->dd, key, t->line.data, t->line.len);
	if (ch < 0) {
		tap_bad(t, where, "out of memory in the device table");
		return 0;
	}
	if (ch == 0) {
		t->st.unchanged++;
		return 0;
	}
	if (!t->cfg->raw) {
		t->st.devices_out++;
		return tap_line(t, t->line.data, t->line.len);
	}
	/* --raw: Kismet's whole object, so a tree after all */
	if ((dev = json_loadb(text, len, 0, NULL)) == NULL) {
		tap_bad(t, where, "invalid JSON (jansson)");
		return 0;
	}
	rec = project_raw(dev, &dv, t->sensor, &why);
	json_decref(dev);
	if (rec == NULL) {
		tap_bad(t, where, why);
		return 0;
	}
	t->st.devices_out++;
	return tap_record(t, rec);
}

int
tap_event(struct tap *t, const json_t *msg, const char *where)
{
	const char *why = NULL;
	json_t *rec;

	t->st.events_in++;
	rec = project_event(msg, t->sensor, tap_record_flags(t->cfg), ts_now_ms(), &why);
	if (rec == NULL) {
		tap_bad(t, where, why);
		return 0;
	}
	t->st.events_out++;
	return tap_record(t, rec);
}

int
tap_event_text(struct tap *t, const char *text, size_t len, const char *where)
{
	json_error_t err;
	json_t *msg = json_loadb(text, len, 0, &err);
	char why[200];
	int rc;

	if (msg == NULL) {
		t->st.events_in++;
		snprintf(why, sizeof(why), "invalid JSON: %s", err.text);
		tap_bad(t, where, why);
		return 0;
	}
	rc = tap_event(t, msg, where);
	json_decref(msg);
	return rc;
}

void
tap_print_stats(const struct tap *t, const char *when)
{
	fprintf(stderr, "{\"kismet-tap\":\"stats\",\"when\":\"%s\",\"devices_in\":%llu,"
	    "\"devices_out\":%llu,\"unchanged\":%llu,\"events_in\":%llu,\"events_out\":%llu,"
	    "\"bad\":%llu,\"polls\":%llu,\"requests\":%llu,\"scanned\":%llu,"
	    "\"poll_errors\":%llu,\"reconnects\":%llu,"
	    "\"devices_tracked\":%zu,\"records\":%llu,\"bytes\":%llu,\"queued_bytes\":%zu}\n",
	    when, (unsigned long long)t->st.devices_in, (unsigned long long)t->st.devices_out,
	    (unsigned long long)t->st.unchanged, (unsigned long long)t->st.events_in,
	    (unsigned long long)t->st.events_out, (unsigned long long)t->st.bad,
	    (unsigned long long)t->st.polls, (unsigned long long)t->st.requests,
	    (unsigned long long)t->st.scanned, (unsigned long long)t->st.poll_errors,
	    (unsigned long long)t->st.reconnects, dedup_count(&t->dd),
	    (unsigned long long)t->out.records, (unsigned long long)t->out.bytes,
	    output_pending(&t->out));
}
