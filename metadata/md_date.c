/*
 * md_date.c - date syntaxes used by DC and MODS: the W3C date and time
 * profile of ISO 8601 (W3CDTF, https://www.w3.org/TR/NOTE-datetime), the
 * XML Schema types dcterms:W3CDTF is a union of, and the Extended
 * Date/Time Format (EDTF, ISO 8601-2:2019 annex; LoC EDTF specification)
 * levels 0 and 1.  Level 2 forms (component-level qualification, sets,
 * exponential years) are not accepted.
 */
#include <string.h>

#include "md_private.h"

static int
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int
num(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static int
days_in(int year, int month)
{
	static const int d[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (month == 2 &&
	    ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return d[month - 1];
}

/* "hh:mm[:ss[.s+]]" at s; returns chars used, 0 if not a time.  *secs is
 * set when seconds are present; frac allows decimal seconds (W3CDTF,
 * not EDTF). */
static size_t
parse_time(const char *s, int *secs, int frac)
{
	size_t i = 5;

	*secs = 0;
	if (!digits(s, 2) || s[2] != ':' || !digits(s + 3, 2) ||
	    num(s, 2) > 23 || num(s + 3, 2) > 59)
		return 0;
	if (s[5] == ':') {
		if (!digits(s + 6, 2) || num(s + 6, 2) > 59)
			return 0;
		*secs = 1;
		i = 8;
		if (s[8] == '.' && frac) {
			i = 9;
			if (!digits(s + i, 1))
				return 0;
			while (s[i] >= '0' && s[i] <= '9')
				i++;
		}
	}
	return i;
}

/* "Z" or "+hh:mm" / "-hh:mm" (hh_only: also "+hh"); chars used or 0. */
static size_t
parse_tzd(const char *s, int hh_only)
{
	if (s[0] == 'Z')
		return 1;
	if (s[0] != '+' && s[0] != '-')
		return 0;
	if (!digits(s + 1, 2) || num(s + 1, 2) > 14)
		return 0;
	if (s[3] == ':' && digits(s + 4, 2) && num(s + 4, 2) <= 59)
		return 6;
	return hh_only ? 3 : 0;
}

/* W3CDTF; *xsd tells whether it is also an XML Schema date type. */
static int
w3cdtf(const char *s, int *xsd)
{
	size_t n = strlen(s), t, z;
	int year, month, day, secs;

	*xsd = 0;
	if (n < 4 || !digits(s, 4))
		return 0;
	year = num(s, 4);
	if (n == 4) {
		*xsd = year != 0;
		return 1;
	}
	if (s[4] != '-' || n < 7 || !digits(s + 5, 2))
		return 0;
	month = num(s + 5, 2);
	if (month < 1 || month > 12)
		return 0;
	if (n == 7) {
		*xsd = year != 0;
		return 1;
	}
	if (s[7] != '-' || n < 10 || !digits(s + 8, 2))
		return 0;
	day = num(s + 8, 2);
	if (day < 1 || day > days_in(year, month))
		return 0;
	if (n == 10) {
		*xsd = year != 0;
		return 1;
	}
	if (s[10] != 'T' || !(t = parse_time(s + 11, &secs, 1)))
		return 0;
	if (!(z = parse_tzd(s + 11 + t, 0)) || 11 + t + z != n)
		return 0;
	*xsd = year != 0 && secs;
	return 1;
}

/*
 * One EDTF date at *sp (level 0/1, no qualifier); advances *sp.  Forms:
 * [-]YYYY with X for the last one or two digits, Y[-]DDDDD+ (more than
 * four digits), YYYY-MM / YYYY-21..24 (seasons), YYYY-MM-DD with XX for
 * an unspecified month or day, and YYYY-MM-DDThh:mm:ss[Z|+hh[:mm]] when
 * time is allowed.
 */
static int
edtf_date(const char **sp, int allow_time)
{
	const char *s = *sp;
	int year = 0, month = 0, unspec_year = 0, unspec_month = 0, secs;
	size_t i, t, z;

	if (*s == 'Y') {
		s++;
		if (*s == '-')
			s++;
		for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i <= 4 || s[0] == '0')
			return 0;
		*sp = s + i;
		return 1;
	}
	if (*s == '-')
		s++;
	for (i = 0; i < 4; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (unspec_year)
				return 0; /* "19X5" */
		} else if (s[i] == 'X' && i >= 2) {
			unspec_year = 1;
		} else {
			return 0;
		}
	}
	if (!unspec_year)
		year = num(s, 4);
	s += 4;
	if (*s != '-' || !(s[1] == 'X' || (s[1] >= '0' && s[1] <= '9'))) {
		*sp = s;
		return 1;
	}
	if (s[1] == 'X' && s[2] == 'X') {
		if (unspec_year)
			return 0;
		unspec_month = 1;
	} else if (digits(s + 1, 2)) {
		if (unspec_year)
			return 0;
		month = num(s + 1, 2);
		if (month >= 21 && month <= 24) { /* season */
			*sp = s + 3;
			return 1;
		}
		if (month < 1 || month > 12)
			return 0;
	} else {
		return 0;
	}
	s += 3;
	if (*s != '-') {
		*sp = s;
		return 1;
	}
	if (s[1] == 'X' && s[2] == 'X') {
		s += 3;
		*sp = s;
		return 1;
	}
	if (!digits(s + 1, 2) || unspec_month)
		return 0;
	if (num(s + 1, 2) < 1 || num(s + 1, 2) > days_in(year, month))
		return 0;
	s += 3;
	if (*s == 'T' && allow_time) {
		if (!(t = parse_time(s + 1, &secs, 0)) || !secs)
			return 0;
		s += 1 + t;
		if ((z = parse_tzd(s, 1)))
			s += z;
	}
	*sp = s;
	return 1;
}

/* A date with an optional level-1 qualifier ?, ~ or %. */
static int
edtf_qualified(const char **sp, int allow_time)
{
	if (!edtf_date(sp, allow_time))
		return 0;
	if (**sp == '?' || **sp == '~' || **sp == '%')
		(*sp)++;
	return 1;
}

static unsigned
edtf(const char *s)
{
	const char *p = s, *slash = strchr(s, '/');

	if (!slash) {
		if (edtf_qualified(&p, 1) && !*p)
			return MD_DATE_EDTF;
		return 0;
	}
	/* Intervals: dates only; ".." open, "" unknown (level 1). */
	if (strchr(slash + 1, '/'))
		return 0;
	if (p == slash) {
		/* unknown start */
	} else if (!strncmp(p, "..", 2) && p + 2 == slash) {
		p = slash;
	} else if (!edtf_qualified(&p, 0) || p != slash) {
		return 0;
	}
	p = slash + 1;
	if (!*p) {
		if (slash == s)
			return 0; /* "/" alone */
	} else if (!strcmp(p, "..")) {
		if (slash == s || !strncmp(s, "..", 2))
			return 0;
	} else if (!edtf_qualified(&p, 0) || *p) {
		return 0;
	}
	return MD_DATE_EDTF | MD_DATE_INTERVAL;
}

unsigned
md_date_kind(const char *s)
{
	unsigned k = 0;
	int xsd;

	if (!s || !*s)
		return 0;
	if (w3cdtf(s, &xsd))
		k |= MD_DATE_W3CDTF | (xsd ? MD_DATE_XSD : 0);
	k |= edtf(s);
	return k;
}
