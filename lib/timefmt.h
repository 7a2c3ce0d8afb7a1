/*
 * timefmt.h - record timestamps: ISO 8601 UTC with milliseconds
 * ("2025-01-21T16:30:45.123Z", the record contract's form) and parsing of
 * what es-bulk accepts as a record's time (ISO 8601 with or without zone or
 * fraction, or epoch seconds / milliseconds).
 */
#ifndef KES_TIMEFMT_H
#define KES_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TS_ISO_LEN 25	/* "YYYY-MM-DDTHH:MM:SS.mmmZ" + NUL */

/* Format milliseconds since the epoch; returns 0, or -1 if out of range
 * (years 0000-9999). */
int ts_format_ms(char out[TS_ISO_LEN], int64_t ms);
/* Parse ISO 8601 text (no NUL needed); returns 0 and *ms, or -1. */
int ts_parse_iso(const char *s, size_t len, int64_t *ms);
/* An epoch number: values above 1e11 are taken as milliseconds. */
int ts_from_epoch(double v, int64_t *ms);
/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d);
void ts_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* Broken-down UTC time of ms since the epoch (for strftime-style index names). */
void ts_to_tm(int64_t ms, struct tm *tm);
/* Current wall-clock time in ms. */
int64_t ts_now_ms(void);

#endif
