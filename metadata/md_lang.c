/*
 * md_lang.c - language tags and codes: BCP 47 (RFC 5646) syntax, canonical
 * form and validity against the compiled ISO 639 / 15924 / 3166 tables,
 * ISO 639-1/2B/2T/3 conversions, and the MARC relator list.
 *
 * The IANA Language Subtag Registry is not shipped; its language subtags
 * are ISO 639-1, ISO 639-2/T and 639-3 codes (no B-only code) plus ISO
 * 639-5 collections, its scripts ISO 15924, its regions ISO 3166-1 alpha-2
 * and UN M.49 numbers (RFC 5646 section 2.2.1-2.2.4); that is what the
 * real-code check uses.  UN M.49 numbers and variants are checked for
 * syntax only.
 */
#include <stdlib.h>
#include <string.h>

#include "md_private.h"

/* ---- ISO table lookups ---- */

static int
cmp_t(const void *k, const void *e)
{
	return strcmp(k, ((const struct md_iso639_2 *)e)->t);
}

static int
cmp_b(const void *k, const void *e)
{
	return strcmp(k, ((const struct md_iso639_2 *)e)->b);
}

static int
cmp_1(const void *k, const void *e)
{
	return strcmp(k, ((const struct md_iso639_2 *)e)->a2);
}

const struct md_iso639_2 *
md_639_2_by_t(const char *t)
{
	return bsearch(t, md_iso639_2, md_iso639_2_count, sizeof(*md_iso639_2),
		       cmp_t);
}

const struct md_iso639_2 *
md_639_2_by_b(const char *b)
{
	return bsearch(b, md_iso639_2b, md_iso639_2_count,
		       sizeof(*md_iso639_2b), cmp_b);
}

const struct md_iso639_2 *
md_639_2_by_1(const char *a2)
{
	return bsearch(a2, md_iso639_1, md_iso639_1_count, sizeof(*md_iso639_1),
		       cmp_1);
}

/* Binary search in a packed table of fixed-width codes. */
static int
packed_has(const char *table, size_t count, size_t width, const char *code)
{
	size_t lo = 0, hi = count;

	if (strlen(code) != width)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(code, table + mid * width, width);

		if (!c)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

static int
is_lower3(const char *c)
{
	return strlen(c) == 3 && c[0] >= 'a' && c[0] <= 'z' && c[1] >= 'a' &&
	       c[1] <= 'z' && c[2] >= 'a' && c[2] <= 'z';
}

/* qaa-qtz: reserved for local use in ISO 639-2 and BCP 47. */
static int
is_local_639(const char *c)
{
	return is_lower3(c) && c[0] == 'q' && c[1] >= 'a' && c[1] <= 't';
}

int
md_iso639_exists(enum md_iso639 which, const char *code)
{
	const struct md_iso639_2 *e;

	if (!code)
		return 0;
	switch (which) {
	case MD_639_1: return strlen(code) == 2 && md_639_2_by_1(code);
	case MD_639_2B:
		return is_local_639(code) ||
		       ((e = md_639_2_by_b(code)) && !strcmp(e->b, code));
	case MD_639_2T: return is_local_639(code) || md_639_2_by_t(code);
	case MD_639_3:
		return is_local_639(code) ||
		       packed_has(md_iso639_3, md_iso639_3_count, 3, code);
	case MD_639_5:
		return packed_has(md_iso639_5, md_iso639_5_count, 3, code);
	}
	return 0;
}

int
md_script_exists(const char *code)
{
	/* Qaaa..Qabx: private use (ISO 15924). */
	if (code && strlen(code) == 4 && code[0] == 'Q' && code[1] == 'a' &&
	    ((code[2] == 'a' && code[3] >= 'a' && code[3] <= 'z') ||
	     (code[2] == 'b' && code[3] >= 'a' && code[3] <= 'x')))
		return 1;
	return code && packed_has(md_iso15924, md_iso15924_count, 4, code);
}

static int
region_exists(const char *r)
{
	if (r[0] >= '0' && r[0] <= '9')
		return 1; /* UN M.49: syntax only */
	/* Private use (AA, QM-QZ, XA-XZ, ZZ) and the registry's exceptional
	 * reservations EU, EZ, UN (RFC 5646 section 2.2.4). */
	if (!strcmp(r, "AA") || !strcmp(r, "ZZ") || !strcmp(r, "EU") ||
	    !strcmp(r, "EZ") || !strcmp(r, "UN") ||
	    (r[0] == 'Q' && r[1] >= 'M') || r[0] == 'X')
		return 1;
	return packed_has(md_iso3166, md_iso3166_count, 2, r);
}

/* ---- BCP 47 ---- */

static const char *const irregular[] = {
	"en-GB-oed", "i-ami",     "i-bnn",      "i-default",   "i-enochian",
	"i-hak",     "i-klingon", "i-lux",      "i-mingo",     "i-navajo",
	"i-pwn",     "i-tao",     "i-tay",      "i-tsu",       "sgn-BE-FR",
	"sgn-BE-NL", "sgn-CH-DE", "art-lojban", "cel-gaulish", "no-bok",
	"no-nyn",    "zh-guoyu",  "zh-hakka",   "zh-min",      "zh-min-nan",
	"zh-xiang",  NULL,
};

/* Deprecated ISO 639-1 codes still seen in data, and their replacements
 * (IANA registry Preferred-Value). */
static const char *const deprecated[][2] = {
	{ "iw", "he" }, { "in", "id" }, { "ji", "yi" },
	{ "jw", "jv" }, { "mo", "ro" }, { NULL, NULL },
};

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
all(const char *s, size_t n, int (*pred)(int))
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!pred((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

static void
lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 32;
}

static void
upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s -= 32;
}

#define MAX_SUBTAGS 32

struct tag {
	char buf[128];
	char *sub[MAX_SUBTAGS];
	size_t n;
};

/* Splits a copy of s on '-'; VL_E_INVAL for empty subtags or > 8 chars. */
static int
split(struct tag *t, const char *s)
{
	char *p;
	size_t len = strlen(s);

	if (len == 0 || len >= sizeof(t->buf))
		return VL_E_INVAL;
	memcpy(t->buf, s, len + 1);
	t->n = 0;
	p = t->buf;
	for (;;) {
		char *dash = strchr(p, '-');
		size_t n = dash ? (size_t)(dash - p) : strlen(p);

		if (n == 0 || n > 8 || t->n == MAX_SUBTAGS ||
		    !all(p, n, is_alnum))
			return VL_E_INVAL;
		t->sub[t->n++] = p;
		if (!dash)
			break;
		*dash = '\0';
		p = dash + 1;
	}
	return 0;
}

static int
append(char *out, size_t size, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + n + 2 > size)
		return VL_E_INVAL;
	if (*pos)
		out[(*pos)++] = '-';
	memcpy(out + *pos, s, n + 1);
	*pos += n;
	return 0;
}

/*
 * The language subtag: canonical 639 code into lang (may differ), and a
 * message when it is not a registered subtag.  Returns 0 or NOTFOUND.
 */
static int
check_language(char *lang, struct vl_err *err)
{
	const struct md_iso639_2 *e;
	char orig[9];
	size_t i, n = strlen(lang);

	memcpy(orig, lang, n + 1);
	if (n == 2) {
		for (i = 0; deprecated[i][0]; i++)
			if (!strcmp(lang, deprecated[i][0])) {
				memcpy(lang, deprecated[i][1], 3);
				return vl_err_set(err, VL_E_NOTFOUND,
						  "language subtag '%s' is "
						  "deprecated; use '%s'",
						  orig, lang);
			}
		if (md_639_2_by_1(lang))
			return 0;
		return vl_err_set(err, VL_E_NOTFOUND,
				  "'%s' is not an ISO 639-1 language code",
				  orig);
	}
	if (n == 3) {
		if ((e = md_639_2_by_t(lang)) && e->a2[0]) {
			memcpy(lang, e->a2, 3);
			return vl_err_set(
				err, VL_E_NOTFOUND,
				"BCP 47 uses the ISO 639-1 code '%s', "
				"not '%s'",
				lang, orig);
		}
		if ((e = md_639_2_by_b(lang)) && strcmp(e->b, e->t) != 0) {
			memcpy(lang, e->a2[0] ? e->a2 : e->t, 4);
			return vl_err_set(err, VL_E_NOTFOUND,
					  "'%s' is an ISO 639-2/B code; BCP 47 "
					  "uses '%s'",
					  orig, lang);
		}
		if (md_iso639_exists(MD_639_3, lang) ||
		    md_iso639_exists(MD_639_5, lang) || md_639_2_by_t(lang))
			return 0;
		return vl_err_set(err, VL_E_NOTFOUND,
				  "'%s' is not an ISO 639 language code", orig);
	}
	return vl_err_set(err, VL_E_NOTFOUND,
			  "'%s' is not a registered language subtag", orig);
}

static int
canonical_langtag(char *out, size_t size, struct tag *t, struct vl_err *err)
{
	struct vl_err e2 = { 0 };
	char seen[MAX_SUBTAGS][9];
	size_t i = 0, pos = 0, nseen = 0, j;
	int rc = 0, r;

	out[0] = '\0';
	/* language = 2*3ALPHA ["-" extlang] / 4ALPHA / 5*8ALPHA */
	if (!all(t->sub[0], strlen(t->sub[0]), is_alpha) ||
	    strlen(t->sub[0]) < 2)
		return vl_err_set(err, VL_E_INVAL,
				  "'%s' does not start with a language subtag",
				  t->sub[0]);
	lower(t->sub[0]);
	i = 1;
	if (strlen(t->sub[0]) <= 3) {
		/* extlang = 3ALPHA *2("-" 3ALPHA); canonical form uses the
		 * extlang as the language (RFC 5646 section 4.5). */
		size_t ext = 0;

		while (i < t->n && ext < 3 && strlen(t->sub[i]) == 3 &&
		       all(t->sub[i], 3, is_alpha)) {
			lower(t->sub[i]);
			i++;
			ext++;
		}
		if (ext > 1)
			return vl_err_set(err, VL_E_INVAL,
					  "more than one extended language "
					  "subtag");
		if (ext == 1)
			t->sub[0] = t->sub[1];
	}
	r = check_language(t->sub[0], &e2);
	if (r < 0 && !rc) {
		rc = r;
		if (err)
			*err = e2;
	}
	if (append(out, size, &pos, t->sub[0]) < 0)
		goto toolong;
	/* script = 4ALPHA */
	if (i < t->n && strlen(t->sub[i]) == 4 && all(t->sub[i], 4, is_alpha)) {
		lower(t->sub[i]); /* titlecase: "Latn" */
		t->sub[i][0] = (char)(t->sub[i][0] - 32);
		if (!md_script_exists(t->sub[i]) && !rc)
			rc = vl_err_set(err, VL_E_NOTFOUND,
					"'%s' is not an ISO 15924 script code",
					t->sub[i]);
		if (append(out, size, &pos, t->sub[i++]) < 0)
			goto toolong;
	}
	/* region = 2ALPHA / 3DIGIT */
	if (i < t->n &&
	    ((strlen(t->sub[i]) == 2 && all(t->sub[i], 2, is_alpha)) ||
	     (strlen(t->sub[i]) == 3 && all(t->sub[i], 3, is_digit)))) {
		upper(t->sub[i]);
		if (!region_exists(t->sub[i]) && !rc)
			rc = vl_err_set(err, VL_E_NOTFOUND,
					"'%s' is not an ISO 3166-1 region code",
					t->sub[i]);
		if (append(out, size, &pos, t->sub[i++]) < 0)
			goto toolong;
	}
	/* variant = 5*8alphanum / (DIGIT 3alphanum) */
	while (i < t->n) {
		size_t n = strlen(t->sub[i]);

		if (!(n >= 5 || (n == 4 && is_digit(t->sub[i][0]))))
			break;
		lower(t->sub[i]);
		for (j = 0; j < nseen; j++)
			if (!strcmp(seen[j], t->sub[i]))
				return vl_err_set(err, VL_E_INVAL,
						  "variant '%s' repeated",
						  t->sub[i]);
		memcpy(seen[nseen++], t->sub[i], n + 1);
		if (append(out, size, &pos, t->sub[i++]) < 0)
			goto toolong;
	}
	/* extension = singleton 1*("-" (2*8alphanum)); privateuse last */
	nseen = 0;
	while (i < t->n) {
		size_t n = strlen(t->sub[i]), k;

		if (n != 1)
			return vl_err_set(err, VL_E_INVAL,
					  "subtag '%s' is out of place",
					  t->sub[i]);
		lower(t->sub[i]);
		if (t->sub[i][0] == 'x') {
			if (i + 1 >= t->n)
				return vl_err_set(err, VL_E_INVAL,
						  "empty private use");
			for (; i < t->n; i++) {
				lower(t->sub[i]);
				if (append(out, size, &pos, t->sub[i]) < 0)
					goto toolong;
			}
			break;
		}
		for (j = 0; j < nseen; j++)
			if (seen[j][0] == t->sub[i][0])
				return vl_err_set(err, VL_E_INVAL,
						  "extension '%s' repeated",
						  t->sub[i]);
		seen[nseen][0] = t->sub[i][0];
		seen[nseen++][1] = '\0';
		if (append(out, size, &pos, t->sub[i++]) < 0)
			goto toolong;
		for (k = 0; i < t->n && strlen(t->sub[i]) >= 2; i++, k++) {
			lower(t->sub[i]);
			if (append(out, size, &pos, t->sub[i]) < 0)
				goto toolong;
		}
		if (!k)
			return vl_err_set(err, VL_E_INVAL, "empty extension");
	}
	return rc;
toolong:
	return vl_err_set(err, VL_E_INVAL, "tag too long");
}

int
md_lang_canonical(char *out, size_t size, const char *tag, struct vl_err *err)
{
	struct tag t;
	size_t i;
	int rc;

	if (size < 2)
		return vl_err_set(err, VL_E_INVAL, "no room");
	out[0] = '\0';
	for (i = 0; irregular[i]; i++)
		if (md_ieq(tag, irregular[i])) {
			if (strlen(irregular[i]) + 1 > size)
				return vl_err_set(err, VL_E_INVAL, "no room");
			memcpy(out, irregular[i], strlen(irregular[i]) + 1);
			return 0;
		}
	if (split(&t, tag) < 0)
		return vl_err_set(err, VL_E_INVAL,
				  "'%s' is not a well-formed BCP 47 language "
				  "tag",
				  tag);
	if (md_ieq(t.sub[0], "x")) {
		/* privateuse = "x" 1*("-" (1*8alphanum)) */
		size_t pos = 0;

		if (t.n < 2)
			return vl_err_set(err, VL_E_INVAL,
					  "'%s' is not a well-formed BCP 47 "
					  "language tag",
					  tag);
		for (i = 0; i < t.n; i++) {
			lower(t.sub[i]);
			if (append(out, size, &pos, t.sub[i]) < 0)
				return vl_err_set(err, VL_E_INVAL, "no room");
		}
		return 0;
	}
	rc = canonical_langtag(out, size, &t, err);
	if (rc == VL_E_INVAL) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err ? err->msg : "");
		return vl_err_set(err, VL_E_INVAL,
				  "'%s' is not a well-formed BCP 47 language "
				  "tag (%s)",
				  tag, why);
	}
	return rc;
}

const char *
md_lang_to_639b(const char *tag)
{
	const struct md_iso639_2 *e;
	char lang[9];
	size_t n;

	if (!tag)
		return NULL;
	n = strcspn(tag, "-");
	if (n < 2 || n > 3)
		return NULL;
	memcpy(lang, tag, n);
	lang[n] = '\0';
	lower(lang);
	e = n == 2 ? md_639_2_by_1(lang) : md_639_2_by_t(lang);
	return e ? e->b : NULL;
}

/* ---- MARC relators (https://id.loc.gov/vocabulary/relators) ---- */

static const char *const relators[][2] = {
	{ "abr", "Abridger" },
	{ "acp", "Art copyist" },
	{ "act", "Actor" },
	{ "adi", "Art director" },
	{ "adp", "Adapter" },
	{ "aft", "Author of afterword, colophon, etc." },
	{ "anl", "Analyst" },
	{ "anm", "Animator" },
	{ "ann", "Annotator" },
	{ "ant", "Bibliographic antecedent" },
	{ "ape", "Appellee" },
	{ "apl", "Appellant" },
	{ "app", "Applicant" },
	{ "aqt", "Author in quotations or text abstracts" },
	{ "arc", "Architect" },
	{ "ard", "Artistic director" },
	{ "arr", "Arranger" },
	{ "art", "Artist" },
	{ "asg", "Assignee" },
	{ "asn", "Associated name" },
	{ "ato", "Autographer" },
	{ "att", "Attributed name" },
	{ "auc", "Auctioneer" },
	{ "aud", "Author of dialog" },
	{ "aui", "Author of introduction, etc." },
	{ "aus", "Screenwriter" },
	{ "aut", "Author" },
	{ "bdd", "Binding designer" },
	{ "bjd", "Bookjacket designer" },
	{ "bkd", "Book designer" },
	{ "bkp", "Book producer" },
	{ "blw", "Blurb writer" },
	{ "bnd", "Binder" },
	{ "bpd", "Bookplate designer" },
	{ "brd", "Broadcaster" },
	{ "brl", "Braille embosser" },
	{ "bsl", "Bookseller" },
	{ "cas", "Caster" },
	{ "ccp", "Conceptor" },
	{ "chr", "Choreographer" },
	{ "cli", "Client" },
	{ "cll", "Calligrapher" },
	{ "clr", "Colorist" },
	{ "clt", "Collotyper" },
	{ "cmm", "Commentator" },
	{ "cmp", "Composer" },
	{ "cmt", "Compositor" },
	{ "cnd", "Conductor" },
	{ "cng", "Cinematographer" },
	{ "cns", "Censor" },
	{ "coe", "Contestant-appellee" },
	{ "col", "Collector" },
	{ "com", "Compiler" },
	{ "con", "Conservator" },
	{ "cor", "Collection registrar" },
	{ "cos", "Contestant" },
	{ "cot", "Contestant-appellant" },
	{ "cou", "Court governed" },
	{ "cov", "Cover designer" },
	{ "cpc", "Copyright claimant" },
	{ "cpe", "Complainant-appellee" },
	{ "cph", "Copyright holder" },
	{ "cpl", "Complainant" },
	{ "cpt", "Complainant-appellant" },
	{ "cre", "Creator" },
	{ "crp", "Correspondent" },
	{ "crr", "Corrector" },
	{ "crt", "Court reporter" },
	{ "csl", "Consultant" },
	{ "csp", "Consultant to a project" },
	{ "cst", "Costume designer" },
	{ "ctb", "Contributor" },
	{ "cte", "Contestee-appellee" },
	{ "ctg", "Cartographer" },
	{ "ctr", "Contractor" },
	{ "cts", "Contestee" },
	{ "ctt", "Contestee-appellant" },
	{ "cur", "Curator" },
	{ "cwt", "Commentator for written text" },
	{ "dbp", "Distribution place" },
	{ "dfd", "Defendant" },
	{ "dfe", "Defendant-appellee" },
	{ "dft", "Defendant-appellant" },
	{ "dgg", "Degree granting institution" },
	{ "dgs", "Degree supervisor" },
	{ "dis", "Dissertant" },
	{ "dln", "Delineator" },
	{ "dnc", "Dancer" },
	{ "dnr", "Donor" },
	{ "dpc", "Depicted" },
	{ "dpt", "Depositor" },
	{ "drm", "Draftsman" },
	{ "drt", "Director" },
	{ "dsr", "Designer" },
	{ "dst", "Distributor" },
	{ "dtc", "Data contributor" },
	{ "dte", "Dedicatee" },
	{ "dtm", "Data manager" },
	{ "dto", "Dedicator" },
	{ "dub", "Dubious author" },
	{ "edc", "Editor of compilation" },
	{ "edm", "Editor of moving image work" },
	{ "edt", "Editor" },
	{ "egr", "Engraver" },
	{ "elg", "Electrician" },
	{ "elt", "Electrotyper" },
	{ "eng", "Engineer" },
	{ "enj", "Enacting jurisdiction" },
	{ "etr", "Etcher" },
	{ "evp", "Event place" },
	{ "exp", "Expert" },
	{ "fac", "Facsimilist" },
	{ "fds", "Film distributor" },
	{ "fld", "Field director" },
	{ "flm", "Film editor" },
	{ "fmd", "Film director" },
	{ "fmk", "Filmmaker" },
	{ "fmo", "Former owner" },
	{ "fmp", "Film producer" },
	{ "fnd", "Funder" },
	{ "fpy", "First party" },
	{ "frg", "Forger" },
	{ "gis", "Geographic information specialist" },
	{ "his", "Host institution" },
	{ "hnr", "Honoree" },
	{ "hst", "Host" },
	{ "ill", "Illustrator" },
	{ "ilu", "Illuminator" },
	{ "ins", "Inscriber" },
	{ "inv", "Inventor" },
	{ "isb", "Issuing body" },
	{ "itr", "Instrumentalist" },
	{ "ive", "Interviewee" },
	{ "ivr", "Interviewer" },
	{ "jud", "Judge" },
	{ "jug", "Jurisdiction governed" },
	{ "lbr", "Laboratory" },
	{ "lbt", "Librettist" },
	{ "ldr", "Laboratory director" },
	{ "led", "Lead" },
	{ "lee", "Libelee-appellee" },
	{ "lel", "Libelee" },
	{ "len", "Lender" },
	{ "let", "Libelee-appellant" },
	{ "lgd", "Lighting designer" },
	{ "lie", "Libelant-appellee" },
	{ "lil", "Libelant" },
	{ "lit", "Libelant-appellant" },
	{ "lsa", "Landscape architect" },
	{ "lse", "Licensee" },
	{ "lso", "Licensor" },
	{ "ltg", "Lithographer" },
	{ "lyr", "Lyricist" },
	{ "mcp", "Music copyist" },
	{ "mdc", "Metadata contact" },
	{ "med", "Medium" },
	{ "mfp", "Manufacture place" },
	{ "mfr", "Manufacturer" },
	{ "mod", "Moderator" },
	{ "mon", "Monitor" },
	{ "mrb", "Marbler" },
	{ "mrk", "Markup editor" },
	{ "msd", "Musical director" },
	{ "mte", "Metal-engraver" },
	{ "mtk", "Minute taker" },
	{ "mus", "Musician" },
	{ "nrt", "Narrator" },
	{ "opn", "Opponent" },
	{ "org", "Originator" },
	{ "orm", "Organizer" },
	{ "osp", "Onscreen presenter" },
	{ "oth", "Other" },
	{ "own", "Owner" },
	{ "pan", "Panelist" },
	{ "pat", "Patron" },
	{ "pbd", "Publishing director" },
	{ "pbl", "Publisher" },
	{ "pdr", "Project director" },
	{ "pfr", "Proofreader" },
	{ "pht", "Photographer" },
	{ "plt", "Platemaker" },
	{ "pma", "Permitting agency" },
	{ "pmn", "Production manager" },
	{ "pop", "Printer of plates" },
	{ "ppm", "Papermaker" },
	{ "ppt", "Puppeteer" },
	{ "pra", "Praeses" },
	{ "prc", "Process contact" },
	{ "prd", "Production personnel" },
	{ "pre", "Presenter" },
	{ "prf", "Performer" },
	{ "prg", "Programmer" },
	{ "prm", "Printmaker" },
	{ "prn", "Production company" },
	{ "pro", "Producer" },
	{ "prp", "Production place" },
	{ "prs", "Production designer" },
	{ "prt", "Printer" },
	{ "prv", "Provider" },
	{ "pta", "Patent applicant" },
	{ "pte", "Plaintiff-appellee" },
	{ "ptf", "Plaintiff" },
	{ "pth", "Patent holder" },
	{ "ptt", "Plaintiff-appellant" },
	{ "pup", "Publication place" },
	{ "rbr", "Rubricator" },
	{ "rcd", "Recordist" },
	{ "rce", "Recording engineer" },
	{ "rcp", "Addressee" },
	{ "rdd", "Radio director" },
	{ "red", "Redaktor" },
	{ "ren", "Renderer" },
	{ "res", "Researcher" },
	{ "rev", "Reviewer" },
	{ "rpc", "Radio producer" },
	{ "rps", "Repository" },
	{ "rpt", "Reporter" },
	{ "rpy", "Responsible party" },
	{ "rse", "Respondent-appellee" },
	{ "rsg", "Restager" },
	{ "rsp", "Respondent" },
	{ "rsr", "Restorationist" },
	{ "rst", "Respondent-appellant" },
	{ "rth", "Research team head" },
	{ "rtm", "Research team member" },
	{ "sad", "Scientific advisor" },
	{ "sce", "Scenarist" },
	{ "scl", "Sculptor" },
	{ "scr", "Scribe" },
	{ "sds", "Sound designer" },
	{ "sec", "Secretary" },
	{ "sgd", "Stage director" },
	{ "sgn", "Signer" },
	{ "sht", "Supporting host" },
	{ "sll", "Seller" },
	{ "sng", "Singer" },
	{ "spk", "Speaker" },
	{ "spn", "Sponsor" },
	{ "spy", "Second party" },
	{ "srv", "Surveyor" },
	{ "std", "Set designer" },
	{ "stg", "Setting" },
	{ "stl", "Storyteller" },
	{ "stm", "Stage manager" },
	{ "stn", "Standards body" },
	{ "str", "Stereotyper" },
	{ "tcd", "Technical director" },
	{ "tch", "Teacher" },
	{ "ths", "Thesis advisor" },
	{ "tld", "Television director" },
	{ "tlp", "Television producer" },
	{ "trc", "Transcriber" },
	{ "trl", "Translator" },
	{ "tyd", "Type designer" },
	{ "tyg", "Typographer" },
	{ "uvp", "University place" },
	{ "vac", "Voice actor" },
	{ "vdg", "Videographer" },
	{ "wac", "Writer of added commentary" },
	{ "wal", "Writer of added lyrics" },
	{ "wam", "Writer of accompanying material" },
	{ "wat", "Writer of added text" },
	{ "wdc", "Woodcutter" },
	{ "wde", "Wood engraver" },
	{ "win", "Writer of introduction" },
	{ "wit", "Witness" },
	{ "wpr", "Writer of preface" },
	{ "wst", "Writer of supplementary textual content" },
};

#define NRELATORS (sizeof(relators) / sizeof(relators[0]))

static int
cmp_relator(const void *k, const void *e)
{
	return strcmp(k, (*(const char *const(*)[2])e)[0]);
}

const char *
md_relator_term(const char *code)
{
	const char *const(*e)[2];

	if (!code)
		return NULL;
	e = bsearch(code, relators, NRELATORS, sizeof(relators[0]),
		    cmp_relator);
	return e ? (*e)[1] : NULL;
}

const char *
md_relator_code(const char *term)
{
	size_t i;

	if (!term)
		return NULL;
	for (i = 0; i < NRELATORS; i++)
		if (md_ieq(term, relators[i][1]))
			return relators[i][0];
	return NULL;
}

/*
 * Roles whose holder is "chiefly responsible for making" the resource
 * (DCMES creator), widening LoC's cre-only rule as metadata-notes 2.1
 * recommends: authors, artists, composers, photographers, interviewers
 * and interviewees of oral histories, and the like.
 */
int
md_relator_is_creator(const char *code)
{
	static const char *const creators[] = {
		"arc", "art", "aus", "aut", "chr", "cmp", "cre", "ctg",
		"drm", "dsr", "egr", "etr", "fmk", "inv", "ive", "ivr",
		"lbt", "lyr", "pht", "prg", "scl", NULL,
	};
	size_t i;

	if (!code)
		return 0;
	for (i = 0; creators[i]; i++)
		if (!strcmp(code, creators[i]))
			return 1;
	return 0;
}
