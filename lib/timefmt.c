/*
 * timefmt.c - UTC calendar arithmetic without the C library's time zone
 * machinery (Howard Hinnant's civil-from-days algorithms).
 */
#include "timefmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int64_t
ts_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
ts_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void
ts_to_tm(int64_t ms, struct tm *tm)
{
	int64_t secs = floordiv(ms, 1000), days = floordiv(secs, 86400), y;
	int64_t sod = secs - days * 86400;
	unsigned m, d;

	ts_civil_from_days(days, &y, &m, &d);
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = (int)(y - 1900);
	tm->tm_mon = (int)m - 1;
	tm->tm_mday = (int)d;
	tm->tm_hour = (int)(sod / 3600);
	tm->tm_min = (int)(sod / 60 % 60);
	tm->tm_sec = (int)(sod % 60);
	tm->tm_wday = (int)((days % 7 + 11) % 7);	/* 1970-01-01 was a Thursday */
	tm->tm_yday = (int)(days - ts_days_from_civil(y, 1, 1));
}

int
ts_format_ms(char out[TS_ISO_LEN], int64_t ms)
{
	struct tm tm;
	int n;

	ts_to_tm(ms, &tm);
	if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		return -1;
	n = snprintf(out, TS_ISO_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (int)(ms - floordiv(ms, 1000) * 1000));
	return n == TS_ISO_LEN - 1 ? 0 : -1;
}

static int
digits(const char *s, size_t len, size_t *pos, unsigned n, int *out)
{
	int v = 0;

	if (*pos + n > len)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		char c = s[*pos + i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*pos += n;
	*out = v;
	return 0;
}

int
ts_parse_iso(const char *s, size_t len, int64_t *ms)
{
	static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	size_t p = 0;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, tzsign = 0, tzh = 0, tzm = 0;
	int64_t total;

	if (digits(s, len, &p, 4, &y) || p >= len || s[p++] != '-' ||
	    digits(s, len, &p, 2, &mo) || p >= len || s[p++] != '-' ||
	    digits(s, len, &p, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return -1;
	if (p < len && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
		p++;
		if (digits(s, len, &p, 2, &h) || p >= len || s[p++] != ':' ||
		    digits(s, len, &p, 2, &mi))
			return -1;
		if (p < len && s[p] == ':') {
			p++;
			if (digits(s, len, &p, 2, &sec))
				return -1;
			if (p < len && (s[p] == '.' || s[p] == ',')) {
				int scale = 100;

				p++;
				if (p >= len || s[p] < '0' || s[p] > '9')
					return -1;
				while (p < len && s[p] >= '0' && s[p] <= '9') {
					frac += (s[p] - '0') * scale;
					scale /= 10;
					p++;
				}
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		if (p < len && (s[p] == 'Z' || s[p] == 'z')) {
			p++;
		} else if (p < len && (s[p] == '+' || s[p] == '-')) {
			tzsign = s[p++] == '-' ? -1 : 1;
			if (digits(s, len, &p, 2, &tzh))
				return -1;
			if (p < len && s[p] == ':')
				p++;
			if (p < len && digits(s, len, &p, 2, &tzm))
				return -1;
			if (tzh > 23 || tzm > 59)
				return -1;
		}
	}
	if (p != len)
		return -1;
	total = ts_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    (int64_t)h * 3600 + (int64_t)mi * 60 + sec -
	    tzsign * ((int64_t)tzh * 3600 + (int64_t)tzm * 60);
	*ms = total * 1000 + frac;
	return 0;
}

int
ts_from_epoch(double v, int64_t *ms)
{
	if (!isfinite(v) || v < 0 || v > 253402300799999.0)
		return -1;
	if (v > 1e11)
		*ms = (int64_t)v;
	else
		*ms = (int64_t)llround(v * 1000.0);
	return 0;
}

int64_t
ts_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
