/*
 * tap_test.c - unit tests of kismet-tap's pure parts (field list and its
 * validation, the mapping's edge cases, de-duplication), and the
 * in-process projection benchmark behind scripts/bench-kismet-tap:
 *
 *   kismet-tap-test                      run the tests, print "ALL OK"
 *   kismet-tap-test fields               print the field list kismet-tap sends
 *   kismet-tap-test bench FILE.json N D  N device messages through the emit
 *                                        path (tap_device_text), made from the
 *                                        array in FILE, D distinct devices;
 *                                        print a JSON line
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcntl.h>
#include <unistd.h>

#include "config.h"
#include "dedup.h"
#include "project.h"
#include "tap.h"

static int failures;

#define CHECK(cond) do { \
	if (cond) { \
		printf("ok   %s\n", #cond); \
	} else { \
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

static json_t *
j(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, 0, &err);

	if (v == NULL) {
		printf("FAIL bad test JSON: %s: %s\n", err.text, text);
		failures++;
	}
	return v;
}

static int
fields_ok(const char *text)
{
	const char *why = NULL;
	json_t *f = j(text);
	int rc = project_fields_check(f, &why);

	json_decref(f);
	return rc == 0;
}

static void
test_fields(void)
{
	json_t *f = project_fields(0), *fp = project_fields(DEVICE_PROBED_SSIDS);
	const char *why = NULL;
	size_t i;
	json_t *e;
	int pairs_ok = 1;

	CHECK(f != NULL && project_fields_check(f, &why) == 0);
	CHECK(fp != NULL && project_fields_check(fp, &why) == 0);
	json_array_foreach(f, i, e)
		if (json_is_array(e) && json_array_size(e) != 2)
			pairs_ok = 0;
	CHECK(pairs_ok);
	/* probe requests are asked for only when opted in */
	CHECK(json_array_size(fp) == json_array_size(f) + 1);
	{
		char *text = json_dumps(fp, JSON_COMPACT);

		CHECK(text && strstr(text, "probed_ssid_map") != NULL);
		free(text);
	}
	json_decref(f);
	json_decref(fp);
	/* what kills Kismet or is not a field list */
	CHECK(!fields_ok("[[\"kismet.device.base.macaddr\"]]"));
	CHECK(!fields_ok("[[\"a\",\"b\",\"c\"]]"));
	CHECK(!fields_ok("[[1,\"a\"]]"));
	CHECK(!fields_ok("[[\"a\",\"\"]]"));
	CHECK(!fields_ok("[42]"));
	CHECK(!fields_ok("[]"));
	CHECK(!fields_ok("{\"a\":1}"));
	CHECK(!fields_ok("[\"a//b\"]"));
	CHECK(!fields_ok("[\"/a\"]"));
	CHECK(!fields_ok("[\"a/\"]"));
	CHECK(!fields_ok("[\"a b\"]"));
	CHECK(!fields_ok("[\"a\\\"b\"]"));
	CHECK(fields_ok("[\"kismet.device.base.macaddr\",[\"a/b.c\",\"a/b.c\"]]"));
}

/* The lean lists: what a Wi-Fi client and a non-Wi-Fi device are not asked. */
static void
test_lean_fields(void)
{
	json_t *w = project_fields(0), *sta = project_fields(DEVICE_PATHS_STA),
	    *nw = project_fields(DEVICE_PATHS_NOT_WIFI);
	char *ts = sta ? json_dumps(sta, JSON_COMPACT) : NULL;
	char *tn = nw ? json_dumps(nw, JSON_COMPACT) : NULL;
	const char *why = NULL;

	CHECK(sta != NULL && project_fields_check(sta, &why) == 0);
	CHECK(nw != NULL && project_fields_check(nw, &why) == 0);
	CHECK(json_array_size(sta) == json_array_size(w) - 4);
	CHECK(ts && strstr(ts, "dot11.advertisedssid.ssid\"") &&
	    strstr(ts, "num_associated_clients") && strstr(ts, "client_map") &&
	    !strstr(ts, "associated_client_map") && !strstr(ts, "cloaked") &&
	    !strstr(ts, "qbss") && !strstr(ts, "utilization"));
	CHECK(json_array_size(nw) == json_array_size(w) - 9);
	CHECK(tn && !strstr(tn, "dot11.device") && strstr(tn, "kismet.device.base.phyname") &&
	    strstr(tn, "kismet.device.base.seenby"));
	free(ts);
	free(tn);
	json_decref(w);
	json_decref(sta);
	json_decref(nw);
}

#define D11P "\"dot11.device/dot11.device."
#define SSIDP D11P "last_beaconed_ssid_record/dot11.advertisedssid."
#define BASEP "\"kismet.device.base."

/* The kind a device allows, and the same line from a lean answer as from
 * the whole one (Kismet answers the paths left out with 0). */
static int
lean_of(const char *text, char *line, size_t cap)
{
	struct device_view dv;
	struct buf b = { NULL, 0, 0 };
	const char *why = NULL;
	int k = -1;

	line[0] = '\0';
	if (device_scan(&dv, text, strlen(text), &why) == 0) {
		k = (int)device_paths_lean(&dv);
		if (device_line(&dv, "s1", 0, &b, &why) == 0)
			snprintf(line, cap, "%s", b.data);
	}
	buf_free(&b);
	return k;
}

static void
test_lean_kind(void)
{
	static const char common[] = BASEP "macaddr\":\"AA:BB:CC:00:00:01\","
	    BASEP "key\":\"4202770D00000000_AABBCC000001\"," BASEP "last_time\":1795704000,"
	    BASEP "type\":\"Wi-Fi Client\"," BASEP "crypt\":\"\",";
	char whole[2048], lean[2048], l1[2048], l2[2048];

	/* a Wi-Fi client: whole answer and the STA one */
	snprintf(whole, sizeof(whole), "{%s" BASEP "phyname\":\"IEEE802.11\"," SSIDP "ssid\":0,"
	    SSIDP "cloaked\":0," SSIDP "dot11e_qbss\":0," SSIDP "dot11e_channel_utilization_perc\":0,"
	    D11P "num_associated_clients\":0," D11P "associated_client_map\":0,"
	    D11P "last_bssid\":\"00:11:22:33:44:55\"," D11P "wpa_handshake_list\":0,"
	    D11P "client_map\":{\"00:11:22:33:44:55\":{}}}", common);
	snprintf(lean, sizeof(lean), "{%s" BASEP "phyname\":\"IEEE802.11\"," SSIDP "ssid\":0,"
	    D11P "num_associated_clients\":0," D11P "last_bssid\":\"00:11:22:33:44:55\","
	    D11P "wpa_handshake_list\":0," D11P "client_map\":{\"00:11:22:33:44:55\":{}}}", common);
	CHECK(lean_of(whole, l1, sizeof(l1)) == (int)DEVICE_PATHS_STA);
	CHECK(lean_of(lean, l2, sizeof(l2)) == (int)DEVICE_PATHS_STA);
	CHECK(l1[0] != '\0' && strcmp(l1, l2) == 0 && strstr(l1, "\"connected_bssids\""));
	/* a beaconed SSID record (cloaked: "") or an associated client: whole */
	snprintf(lean, sizeof(lean), "{%s" BASEP "phyname\":\"IEEE802.11\"," SSIDP "ssid\":\"\","
	    D11P "num_associated_clients\":0}", common);
	CHECK(lean_of(lean, l2, sizeof(l2)) == 0);
	snprintf(lean, sizeof(lean), "{%s" BASEP "phyname\":\"IEEE802.11\"," SSIDP "ssid\":0,"
	    D11P "num_associated_clients\":2}", common);
	CHECK(lean_of(lean, l2, sizeof(l2)) == 0);
	/* no client count, no phy: nothing known, whole */
	snprintf(lean, sizeof(lean), "{%s" BASEP "phyname\":\"IEEE802.11\"," SSIDP "ssid\":0}",
	    common);
	CHECK(lean_of(lean, l2, sizeof(l2)) == 0);
	snprintf(lean, sizeof(lean), "{%s" SSIDP "ssid\":0," D11P "num_associated_clients\":0}",
	    common);
	CHECK(lean_of(lean, l2, sizeof(l2)) == 0);
	/* another phy: every dot11 path answered 0, or not asked: the same line */
	snprintf(whole, sizeof(whole), "{%s" BASEP "phyname\":\"Bluetooth\"," SSIDP "ssid\":0,"
	    SSIDP "cloaked\":0," SSIDP "dot11e_qbss\":0," SSIDP "dot11e_channel_utilization_perc\":0,"
	    D11P "num_associated_clients\":0," D11P "associated_client_map\":0,"
	    D11P "last_bssid\":0," D11P "wpa_handshake_list\":0," D11P "client_map\":0}", common);
	snprintf(lean, sizeof(lean), "{%s" BASEP "phyname\":\"Bluetooth\"}", common);
	CHECK(lean_of(whole, l1, sizeof(l1)) == (int)DEVICE_PATHS_NOT_WIFI);
	CHECK(lean_of(lean, l2, sizeof(l2)) == (int)DEVICE_PATHS_NOT_WIFI);
	CHECK(l1[0] != '\0' && strcmp(l1, l2) == 0 && !strstr(l1, "\"clients\""));
	/* a full object (kismetdb, --raw) is classified the same way */
	CHECK(lean_of("{\"kismet.device.base.macaddr\":\"AA:BB:CC:00:00:01\","
	    "\"kismet.device.base.last_time\":7,\"kismet.device.base.phyname\":\"IEEE802.11\","
	    "\"dot11.device\":{\"dot11.device.num_associated_clients\":0,"
	    "\"dot11.device.associated_client_map\":{}}}", l1, sizeof(l1)) == (int)DEVICE_PATHS_STA);
	CHECK(lean_of("{\"kismet.device.base.macaddr\":\"AA:BB:CC:00:00:01\","
	    "\"kismet.device.base.last_time\":7,\"kismet.device.base.phyname\":\"IEEE802.11\","
	    "\"dot11.device\":{\"dot11.device.num_associated_clients\":0,"
	    "\"dot11.device.last_beaconed_ssid_record\":{\"dot11.advertisedssid.ssid\":\"x\"}}}",
	    l1, sizeof(l1)) == 0);
}

static json_t *
dev(const char *text)
{
	const char *why = NULL;
	json_t *in = j(text), *rec = project_device(in, "s1", 0, &why);

	json_decref(in);
	return rec;
}

#define HAS(r, k) (json_object_get((r), (k)) != NULL)
#define INT(r, k) json_integer_value(json_object_get((r), (k)))
#define STR(r, k) json_string_value(json_object_get((r), (k)))

/* Section 2b lists: an AP with more clients than the scan keeps as items
 * (DV_ITEMS), given twice (nested, then as a whole path that wins), and
 * seenby/handshake lists in both forms. */
static void
test_device_lists(void)
{
	json_t *r, *a;
	struct buf b = { NULL, 0, 0 };
	char one[64];
	size_t i;
	int sorted = 1, rc = 0;

	rc |= buf_append_str(&b, "{\"kismet.device.base.macaddr\":\"AA:BB:CC:00:00:01\","
	    "\"kismet.device.base.last_time\":7,\"kismet.device.base.phyname\":\"IEEE802.11\","
	    "\"dot11.device\":{\"dot11.device.associated_client_map\":{\"00:00:00:00:00:09\":\"k\"},"
	    "\"dot11.device.wpa_handshake_list\":{\"AA:BB:CC:00:00:02\":[{},{}],\"AA:BB:CC:00:00:03\":[{}]}},"
	    "\"kismet.device.base.seenby\":[{\"kismet.common.seenby.uuid\":\"B\",\"x\":{\"y\":[1,\"]\"]}},"
	    "{\"kismet.common.seenby.uuid\":\"A\"},{\"kismet.common.seenby.uuid\":\"B\"}],"
	    "\"dot11.device/dot11.device.associated_client_map\":{");
	for (i = 0; i < 100; i++) {	/* 100 clients, given in reverse order */
		snprintf(one, sizeof(one), "%s\"02:00:00:00:%02X:%02X\":\"key\"", i ? "," : "",
		    (unsigned)((99 - i) / 256), (unsigned)((99 - i) % 256));
		rc |= buf_append_str(&b, one);
	}
	rc |= buf_append(&b, "}}", 3);	/* with the NUL */
	CHECK(rc == 0);
	if (rc != 0) {
		buf_free(&b);
		return;
	}
	const char *text = b.data;

	r = dev(text);
	a = json_object_get(r, "associated_clients");
	CHECK(json_array_size(a) == 100);
	for (i = 1; i < json_array_size(a); i++)
		if (strcmp(json_string_value(json_array_get(a, i - 1)),
		    json_string_value(json_array_get(a, i))) >= 0)
			sorted = 0;
	CHECK(sorted);
	CHECK(json_is_string(json_array_get(a, 0)) &&
	    strcmp(json_string_value(json_array_get(a, 0)), "02:00:00:00:00:00") == 0);
	CHECK(INT(r, "wpa_handshakes") == 3 && INT(r, "clients") == 0);
	a = json_object_get(r, "seen_by");
	CHECK(json_array_size(a) == 2 && strcmp(json_string_value(json_array_get(a, 0)), "A") == 0);
	CHECK(!HAS(r, "connected_bssids") && !HAS(r, "ssid_cloaked") && !HAS(r, "probed_ssids"));
	json_decref(r);
	buf_free(&b);
}

static void
test_device(void)
{
	json_t *r;
	const char *why = NULL;
	json_t *in;

	/* field-simplified with Kismet's "unknown" values: all left out */
	r = dev("{\"kismet.device.base.macaddr\":\"AA:BB:CC:DD:EE:0F\",\"kismet.device.base.last_time\":1795704318,"
	    "\"kismet.device.base.username\":0,\"kismet.device.base.name\":\"\",\"kismet.device.base.channel\":\"\","
	    "\"kismet.device.base.frequency\":0,\"kismet.device.base.manuf\":\"Unknown\","
	    "\"kismet.device.base.signal/kismet.common.signal.type\":\"none\","
	    "\"kismet.device.base.signal/kismet.common.signal.last_signal\":0,"
	    "\"kismet.device.base.signal/kismet.common.signal.last_noise\":0,"
	    "\"kismet.device.base.location/kismet.common.location.last\":0,"
	    "\"kismet.device.base.packets.rx_total\":0}");
	CHECK(r != NULL);
	CHECK(strcmp(STR(r, "mac_addr"), "aa:bb:cc:dd:ee:0f") == 0);
	CHECK(strcmp(STR(r, "timestamp"), "2026-11-26T14:45:18.000Z") == 0);
	CHECK(!HAS(r, "username") && !HAS(r, "name") && !HAS(r, "channel") && !HAS(r, "frequency"));
	CHECK(!HAS(r, "manufacturer") && !HAS(r, "signal_dbm") && !HAS(r, "noise_dbm") && !HAS(r, "snr_db"));
	CHECK(!HAS(r, "location") && !HAS(r, "latitude"));
	CHECK(HAS(r, "rx_packets") && INT(r, "rx_packets") == 0);	/* a count of 0 is known */
	CHECK(INT(r, "last_seen") == 1795704318);
	json_decref(r);

	/* nested (full object) form; signal known; 2D fix: no altitude */
	r = dev("{\"kismet.device.base.macaddr\":\"00:1C:B3:09:85:15\",\"kismet.device.base.last_time\":5,"
	    "\"kismet.device.base.signal\":{\"kismet.common.signal.type\":\"dbm\","
	    "\"kismet.common.signal.last_signal\":-51,\"kismet.common.signal.last_noise\":-95},"
	    "\"kismet.device.base.location\":{\"kismet.common.location.loc_fix\":2,"
	    "\"kismet.common.location.avg_loc\":{\"kismet.common.location.geopoint\":[90,0]},"
	    "\"kismet.common.location.last\":{\"kismet.common.location.geopoint\":[-122.3321,47.6062],"
	    "\"kismet.common.location.alt\":0}}}");
	CHECK(r && INT(r, "signal_dbm") == -51 && INT(r, "noise_dbm") == -95 && INT(r, "snr_db") == 44);
	CHECK(r && json_real_value(json_object_get(json_object_get(r, "location"), "lat")) == 47.6062);
	CHECK(r && json_real_value(json_object_get(r, "longitude")) == -122.3321);
	CHECK(r && !HAS(r, "altitude"));
	json_decref(r);

	/* bad locations: [0,0], fix < 2, out of range */
	r = dev("{\"kismet.device.base.macaddr\":\"00:00:00:00:00:01\",\"kismet.device.base.last_time\":5,"
	    "\"kismet.device.base.location\":{\"kismet.common.location.last\":{\"kismet.common.location.geopoint\":[0,0],"
	    "\"kismet.common.location.fix\":3}}}");
	CHECK(r && !HAS(r, "location"));
	json_decref(r);
	r = dev("{\"kismet.device.base.macaddr\":\"00:00:00:00:00:01\",\"kismet.device.base.last_time\":5,"
	    "\"kismet.device.base.location\":{\"kismet.common.location.last\":{\"kismet.common.location.geopoint\":[10,10],"
	    "\"kismet.common.location.fix\":1}}}");
	CHECK(r && !HAS(r, "location"));
	json_decref(r);
	r = dev("{\"kismet.device.base.macaddr\":\"00:00:00:00:00:01\",\"kismet.device.base.last_time\":5,"
	    "\"kismet.device.base.location\":{\"kismet.common.location.last\":{\"kismet.common.location.geopoint\":[10,95],"
	    "\"kismet.common.location.fix\":3}}}");
	CHECK(r && !HAS(r, "location"));
	json_decref(r);

	/* no MAC, no last_time, not an object: refused with a reason */
	in = j("{\"kismet.device.base.last_time\":5}");
	CHECK(project_device(in, "s", 0, &why) == NULL && why && strstr(why, "MAC"));
	json_decref(in);
	in = j("{\"kismet.device.base.macaddr\":\"00:00:00:00:00:01\"}");
	CHECK(project_device(in, "s", 0, &why) == NULL && strstr(why, "last_time"));
	json_decref(in);
	in = j("[1]");
	CHECK(project_device(in, "s", 0, &why) == NULL);
	json_decref(in);

	test_device_lists();
}

static void
test_event(void)
{
	const char *why = NULL;
	json_t *m, *r;

	m = j("{\"ALERT\":{\"kismet.alert.timestamp\":1795704022.134774,"
	    "\"kismet.alert.transmitter_mac\":\"8C:DE:F9:D0:B4:61\",\"kismet.alert.header\":\"DEAUTHFLOOD\"}}");
	r = project_event(m, "s", 0, 0, &why);
	CHECK(r && strcmp(STR(r, "event_type"), "ALERT") == 0);
	CHECK(r && strcmp(STR(r, "device_mac"), "8c:de:f9:d0:b4:61") == 0);
	CHECK(r && strcmp(STR(r, "timestamp"), "2026-11-26T14:40:22.135Z") == 0);
	json_decref(r);
	json_decref(m);
	m = j("{\"ALERT\":{\"kismet.alert.timestamp\":1795704018.026128,"
	    "\"kismet.alert.transmitter_mac\":\"00:00:00:00:00:00\",\"kismet.alert.source_mac\":\"00:00:00:00:00:00\"}}");
	r = project_event(m, "s", 0, 0, &why);
	CHECK(r && !HAS(r, "device_mac"));
	json_decref(r);
	json_decref(m);
	m = j("{\"DOT11_NEW_SSID_BASEDEV\":{\"kismet.device.base.macaddr\":\"AA:BB:CC:00:11:22\"},"
	    "\"DOT11_PROBED_SSID\":{\"x\":1}}");
	r = project_event(m, "s", 0, 1000, &why);
	CHECK(r && strcmp(STR(r, "event_type"), "DOT11_PROBED_SSID") == 0);
	CHECK(r && strcmp(STR(r, "device_mac"), "aa:bb:cc:00:11:22") == 0);
	CHECK(r && json_object_size(json_object_get(r, "event_data")) == 2);
	json_decref(r);
	json_decref(m);
	m = j("{\"NEW_DEVICE\":{\"kismet.device.base.name\":\"x\"}}");
	CHECK(project_event(m, "s", 0, 0, &why) == NULL && strstr(why, "MAC"));
	json_decref(m);
	m = j("{}");
	CHECK(project_event(m, "s", 0, 0, &why) == NULL);
	json_decref(m);
}

static void
test_dedup(void)
{
	struct dedup d;

	CHECK(dedup_init(&d) == 0);
	CHECK(dedup_changed(&d, "k1", "{\"a\":1}", 7) == 1);
	CHECK(dedup_changed(&d, "k1", "{\"a\":1}", 7) == 0);
	CHECK(dedup_changed(&d, "k1", "{\"a\":2}", 7) == 1);
	CHECK(dedup_changed(&d, "k1", "{\"a\":2,\"b\":[]}", 14) == 1);
	CHECK(dedup_changed(&d, "k2", "{\"a\":2,\"b\":[]}", 14) == 1);
	for (int i = 0; i < 5000; i++) {
		char k[32];

		snprintf(k, sizeof(k), "key%d", i);
		dedup_changed(&d, k, k, strlen(k));
	}
	CHECK(dedup_count(&d) == 5002);
	CHECK(dedup_changed(&d, "key1234", "key1234", 7) == 0);
	CHECK(dedup_changed(&d, "key1234", "key1235", 7) == 1);
	dedup_free(&d);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
peak_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmHWM:", 6) == 0) {
			kb = strtol(line + 6, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return kb;
}

/* A fixed-width field value to overwrite in a message: the offset of its
 * first byte and its width (digits of last_time, end of the key). */
static int
field_at(const char *text, const char *key, size_t want, size_t *off)
{
	const char *p = strstr(text, key);

	if (p == NULL)
		return -1;
	p += strlen(key);
	if (*p == '"')
		p++;
	*off = (size_t)(p - text);
	return strlen(p) >= want ? 0 : -1;
}

/* kismet-tap's own emit path (tap_device_text: read, de-duplicate, project,
 * serialise, write to /dev/null) over N messages.  Every message is a copy
 * of one recorded device whose key is made one of D distinct keys and whose
 * last_time moves, so that every message is a changed device and D devices
 * are tracked. */
static int
bench(const char *file, long n, long distinct)
{
	json_error_t err;
	json_t *arr = json_load_file(file, 0, &err), *e;
	char **texts, *scratch;
	size_t *lens, *key_off, *time_off, count, i, maxlen = 0;
	struct config cfg;
	struct tap t;
	long k;
	double t0, t1;
	uint64_t bytes = 0;
	int devnull, saved;

	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		fprintf(stderr, "bench: %s: not a JSON array: %s\n", file, err.text);
		return 1;
	}
	count = json_array_size(arr);
	texts = calloc(count, sizeof(*texts));
	lens = calloc(count, sizeof(*lens));
	key_off = calloc(count, sizeof(*key_off));
	time_off = calloc(count, sizeof(*time_off));
	json_array_foreach(arr, i, e) {
		texts[i] = json_dumps(e, JSON_COMPACT);
		lens[i] = strlen(texts[i]);
		if (lens[i] > maxlen)
			maxlen = lens[i];
		if (field_at(texts[i], "\"kismet.device.base.key\":", 8, &key_off[i]) < 0 ||
		    field_at(texts[i], "\"kismet.device.base.last_time\":", 10, &time_off[i]) < 0) {
			fprintf(stderr, "bench: %s: device %zu has no key or last_time\n", file, i);
			exit(1);
		}
	}
	json_decref(arr);
	scratch = malloc(maxlen + 1);

	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = MODE_ONCE;
	cfg.format = FMT_NDJSON;
	cfg.queue_max = 1 << 20;
	cfg.sensor = "bench";
	fflush(stdout);
	saved = dup(1);
	devnull = open("/dev/null", O_WRONLY);
	if (saved < 0 || devnull < 0 || dup2(devnull, 1) < 0 || tap_init(&t, &cfg) < 0) {
		fprintf(stderr, "bench: cannot set up\n");
		exit(1);
	}
	t0 = now_s();
	for (k = 0; k < n; k++) {
		size_t m = (size_t)(k % distinct) % count;	/* one template per key */
		char tag[24];

		memcpy(scratch, texts[m], lens[m] + 1);
		snprintf(tag, sizeof(tag), "%08lX", (k % distinct) & 0xffffffffL);
		memcpy(scratch + key_off[m], tag, 8);
		snprintf(tag, sizeof(tag), "%010ld", 1795700000L + k % 100000000L);
		memcpy(scratch + time_off[m], tag, 10);
		bytes += lens[m];
		if (tap_device_text(&t, scratch, lens[m], "bench") < 0)
			break;
	}
	t1 = now_s();
	dup2(saved, 1);
	close(saved);
	close(devnull);
	printf("{\"file\":\"%s\",\"messages\":%ld,\"records\":%llu,\"bad\":%llu,\"seconds\":%.3f,"
	    "\"messages_per_s\":%.0f,\"mb_per_s\":%.1f,\"avg_message_bytes\":%.0f,"
	    "\"devices_tracked\":%zu,\"peak_rss_kb\":%ld}\n", file, n,
	    (unsigned long long)t.out.records, (unsigned long long)t.st.bad, t1 - t0,
	    (double)n / (t1 - t0), (double)bytes / (t1 - t0) / 1e6, (double)bytes / (double)n,
	    dedup_count(&t.dd), peak_rss_kb());
	tap_free(&t);
	for (i = 0; i < count; i++)
		free(texts[i]);
	free(texts);
	free(lens);
	free(key_off);
	free(time_off);
	free(scratch);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "fields") == 0) {
		json_t *f = project_fields(argc >= 3 && strcmp(argv[2], "probed") == 0 ?
		    DEVICE_PROBED_SSIDS : 0);
		char *s = json_dumps(f, JSON_COMPACT);

		printf("%s\n", s);
		free(s);
		json_decref(f);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "bench") == 0)
		return bench(argv[2], argc > 3 ? strtol(argv[3], NULL, 10) : 100000,
		    argc > 4 && strtol(argv[4], NULL, 10) > 0 ? strtol(argv[4], NULL, 10) : 100000);
	test_fields();
	test_lean_fields();
	test_lean_kind();
	test_device();
	test_event();
	test_dedup();
	if (failures) {
		printf("%d FAILED\n", failures);
		return 1;
	}
	printf("ALL OK\n");
	return 0;
}
