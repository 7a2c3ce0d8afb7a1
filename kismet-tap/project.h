/*
 * project.h - the mapping from Kismet's JSON to the record contract
 * (ARCHITECTURE.md section 2): one pure function per kind of record, used
 * by every source (REST poll, eventbus, kismetdb), plus the field list
 * sent to Kismet and its validation.
 */
#ifndef TAP_PROJECT_H
#define TAP_PROJECT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"

/* project_*() options: DEVICE_* (device.h), and */
#define PROJECT_RAW	0x100u	/* --raw: Kismet's own device JSON */

/* The "fields" list kismet-tap sends (REST body, NEW_DEVICE subscription):
 * exactly what project_device() reads with these flags.  New reference. */
json_t *project_fields(unsigned flags);

/* 0 when fields is a well-formed Kismet field list (strings or
 * [field, rename] pairs of clean names), else -1 and *why.  A malformed
 * pair kills Kismet 2025-09-R1 on a websocket: nothing unchecked is sent. */
int project_fields_check(const json_t *fields, const char **why);

/* A Kismet device object (full or field-simplified, same keys or paths) ->
 * a device record, or NULL and *why (no MAC, no last_time, not an object).
 * The mapping itself is device.c's; this is it for a jansson value (a
 * NEW_DEVICE payload). */
json_t *project_device(const json_t *dev, const char *sensor, unsigned flags,
    const char **why);

/* --raw: the device itself, dots in keys made '_', plus record_type,
 * sensor and timestamp. */
json_t *project_raw(const json_t *dev, const struct device_view *dv,
    const char *sensor, const char **why);

/* An eventbus message ({"NAME": payload}, two keys for DOT11 events) ->
 * an event record, or NULL and *why.  now_ms is the time used when the
 * event carries none.  An ALERT also gets the alert object and its
 * location (section 2b). */
json_t *project_event(const json_t *msg, const char *sensor, unsigned flags,
    int64_t now_ms, const char **why);

/* An event record from parts (kismetdb); steals data. */
json_t *project_event_record(const char *type, json_t *data, const char *mac,
    int64_t ts_ms, const char *sensor);

/* Serialise a record as one line, '\n' included: NDJSON, or with text set a
 * readable line.  malloc'd; NULL on failure. */
char *project_line(const json_t *rec, int text, size_t *len);

#endif
