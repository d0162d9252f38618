/*
 * vl_time.c - UTC time stamps and human sizes/durations for options.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl.h"

void
vl_time_format(char out[VL_TIME_LEN], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, VL_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
vl_time_now(char out[VL_TIME_LEN])
{
	vl_time_format(out, time(NULL));
}

static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int d[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

int
vl_time_parse(const char *s, time_t *out)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	size_t n = strlen(s);

	if (n != 10 && n != 20)
		return VL_E_INVAL;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return VL_E_INVAL;
	if (n == 20 && (s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' ||
			digits(s + 14, 2, &mi) || s[16] != ':' ||
			digits(s + 17, 2, &sec) || s[19] != 'Z'))
		return VL_E_INVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 59)
		return VL_E_INVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = timegm(&tm);
	return 0;
}

static int
parse_scaled(const char *s, const char *units, const uint64_t *mult,
	     uint64_t *out)
{
	char *end;
	const char *u;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return VL_E_INVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return VL_E_INVAL;
	if (*end == '\0') {
		*out = v;
		return 0;
	}
	if (end[1] != '\0' && !(end[1] == 'B' && end[2] == '\0'))
		return VL_E_INVAL;
	u = strchr(units, toupper((unsigned char)*end));
	if (!u)
		return VL_E_INVAL;
	if (v > UINT64_MAX / mult[u - units])
		return VL_E_INVAL;
	*out = v * mult[u - units];
	return 0;
}

int
vl_parse_size(const char *s, uint64_t *out)
{
	static const uint64_t mult[] = { 1, 1ULL << 10, 1ULL << 20, 1ULL << 30,
					 1ULL << 40 };

	return parse_scaled(s, "BKMGT", mult, out);
}

int
vl_parse_duration(const char *s, uint64_t *seconds)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400, 604800 };

	return parse_scaled(s, "SMHDW", mult, seconds);
}
