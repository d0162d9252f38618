/*
 * vocab_lang.c - language tags for vocabulary labels and records:
 * canonical BCP 47 case (RFC 5646 section 2.1.1), RFC 4647 basic
 * filtering, and the ISO 639-2 table that turns a BCP 47 primary subtag
 * into the ISO 639-2/B code MODS @lang takes, and back.
 *
 * Invariant: the table is sorted by the 639-2/T code (binary search).  It
 * was generated once from the Debian iso-codes package
 * (/usr/share/iso-codes/json/iso_639-2.json, 487 codes; the reserved range
 * qaa-qtz left out): {639-1 or "", 639-2/T, 639-2/B}.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "vocab_api.h"

struct lang_row {
	char a2[3], t[4], b[4];
};

static const struct lang_row langs[] = {
	{ "aa", "aar", "aar" }, { "ab", "abk", "abk" }, { "", "ace", "ace" },
	{ "", "ach", "ach" },   { "", "ada", "ada" },   { "", "ady", "ady" },
	{ "", "afa", "afa" },   { "", "afh", "afh" },   { "af", "afr", "afr" },
	{ "", "ain", "ain" },   { "ak", "aka", "aka" }, { "", "akk", "akk" },
	{ "", "ale", "ale" },   { "", "alg", "alg" },   { "", "alt", "alt" },
	{ "am", "amh", "amh" }, { "", "ang", "ang" },   { "", "anp", "anp" },
	{ "", "apa", "apa" },   { "ar", "ara", "ara" }, { "", "arc", "arc" },
	{ "an", "arg", "arg" }, { "", "arn", "arn" },   { "", "arp", "arp" },
	{ "", "art", "art" },   { "", "arw", "arw" },   { "as", "asm", "asm" },
	{ "", "ast", "ast" },   { "", "ath", "ath" },   { "", "aus", "aus" },
	{ "av", "ava", "ava" }, { "ae", "ave", "ave" }, { "", "awa", "awa" },
	{ "ay", "aym", "aym" }, { "az", "aze", "aze" }, { "", "bad", "bad" },
	{ "", "bai", "bai" },   { "ba", "bak", "bak" }, { "", "bal", "bal" },
	{ "bm", "bam", "bam" }, { "", "ban", "ban" },   { "", "bas", "bas" },
	{ "", "bat", "bat" },   { "", "bej", "bej" },   { "be", "bel", "bel" },
	{ "", "bem", "bem" },   { "bn", "ben", "ben" }, { "", "ber", "ber" },
	{ "", "bho", "bho" },   { "bh", "bih", "bih" }, { "", "bik", "bik" },
	{ "", "bin", "bin" },   { "bi", "bis", "bis" }, { "", "bla", "bla" },
	{ "", "bnt", "bnt" },   { "bo", "bod", "tib" }, { "bs", "bos", "bos" },
	{ "", "bra", "bra" },   { "br", "bre", "bre" }, { "", "btk", "btk" },
	{ "", "bua", "bua" },   { "", "bug", "bug" },   { "bg", "bul", "bul" },
	{ "", "byn", "byn" },   { "", "cad", "cad" },   { "", "cai", "cai" },
	{ "", "car", "car" },   { "ca", "cat", "cat" }, { "", "cau", "cau" },
	{ "", "ceb", "ceb" },   { "", "cel", "cel" },   { "cs", "ces", "cze" },
	{ "ch", "cha", "cha" }, { "", "chb", "chb" },   { "ce", "che", "che" },
	{ "", "chg", "chg" },   { "", "chk", "chk" },   { "", "chm", "chm" },
	{ "", "chn", "chn" },   { "", "cho", "cho" },   { "", "chp", "chp" },
	{ "", "chr", "chr" },   { "cu", "chu", "chu" }, { "cv", "chv", "chv" },
	{ "", "chy", "chy" },   { "", "cmc", "cmc" },   { "", "cnr", "cnr" },
	{ "", "cop", "cop" },   { "kw", "cor", "cor" }, { "co", "cos", "cos" },
	{ "", "cpe", "cpe" },   { "", "cpf", "cpf" },   { "", "cpp", "cpp" },
	{ "cr", "cre", "cre" }, { "", "crh", "crh" },   { "", "crp", "crp" },
	{ "", "csb", "csb" },   { "", "cus", "cus" },   { "cy", "cym", "wel" },
	{ "", "dak", "dak" },   { "da", "dan", "dan" }, { "", "dar", "dar" },
	{ "", "day", "day" },   { "", "del", "del" },   { "", "den", "den" },
	{ "de", "deu", "ger" }, { "", "dgr", "dgr" },   { "", "din", "din" },
	{ "dv", "div", "div" }, { "", "doi", "doi" },   { "", "dra", "dra" },
	{ "", "dsb", "dsb" },   { "", "dua", "dua" },   { "", "dum", "dum" },
	{ "", "dyu", "dyu" },   { "dz", "dzo", "dzo" }, { "", "efi", "efi" },
	{ "", "egy", "egy" },   { "", "eka", "eka" },   { "el", "ell", "gre" },
	{ "", "elx", "elx" },   { "en", "eng", "eng" }, { "", "enm", "enm" },
	{ "eo", "epo", "epo" }, { "et", "est", "est" }, { "eu", "eus", "baq" },
	{ "ee", "ewe", "ewe" }, { "", "ewo", "ewo" },   { "", "fan", "fan" },
	{ "fo", "fao", "fao" }, { "fa", "fas", "per" }, { "", "fat", "fat" },
	{ "fj", "fij", "fij" }, { "", "fil", "fil" },   { "fi", "fin", "fin" },
	{ "", "fiu", "fiu" },   { "", "fon", "fon" },   { "fr", "fra", "fre" },
	{ "", "frm", "frm" },   { "", "fro", "fro" },   { "", "frr", "frr" },
	{ "", "frs", "frs" },   { "fy", "fry", "fry" }, { "ff", "ful", "ful" },
	{ "", "fur", "fur" },   { "", "gaa", "gaa" },   { "", "gay", "gay" },
	{ "", "gba", "gba" },   { "", "gem", "gem" },   { "", "gez", "gez" },
	{ "", "gil", "gil" },   { "gd", "gla", "gla" }, { "ga", "gle", "gle" },
	{ "gl", "glg", "glg" }, { "gv", "glv", "glv" }, { "", "gmh", "gmh" },
	{ "", "goh", "goh" },   { "", "gon", "gon" },   { "", "gor", "gor" },
	{ "", "got", "got" },   { "", "grb", "grb" },   { "", "grc", "grc" },
	{ "gn", "grn", "grn" }, { "", "gsw", "gsw" },   { "gu", "guj", "guj" },
	{ "", "gwi", "gwi" },   { "", "hai", "hai" },   { "ht", "hat", "hat" },
	{ "ha", "hau", "hau" }, { "", "haw", "haw" },   { "he", "heb", "heb" },
	{ "hz", "her", "her" }, { "", "hil", "hil" },   { "", "him", "him" },
	{ "hi", "hin", "hin" }, { "", "hit", "hit" },   { "", "hmn", "hmn" },
	{ "ho", "hmo", "hmo" }, { "hr", "hrv", "hrv" }, { "", "hsb", "hsb" },
	{ "hu", "hun", "hun" }, { "", "hup", "hup" },   { "hy", "hye", "arm" },
	{ "", "iba", "iba" },   { "ig", "ibo", "ibo" }, { "io", "ido", "ido" },
	{ "ii", "iii", "iii" }, { "", "ijo", "ijo" },   { "iu", "iku", "iku" },
	{ "ie", "ile", "ile" }, { "", "ilo", "ilo" },   { "ia", "ina", "ina" },
	{ "", "inc", "inc" },   { "id", "ind", "ind" }, { "", "ine", "ine" },
	{ "", "inh", "inh" },   { "ik", "ipk", "ipk" }, { "", "ira", "ira" },
	{ "", "iro", "iro" },   { "is", "isl", "ice" }, { "it", "ita", "ita" },
	{ "jv", "jav", "jav" }, { "", "jbo", "jbo" },   { "ja", "jpn", "jpn" },
	{ "", "jpr", "jpr" },   { "", "jrb", "jrb" },   { "", "kaa", "kaa" },
	{ "", "kab", "kab" },   { "", "kac", "kac" },   { "kl", "kal", "kal" },
	{ "", "kam", "kam" },   { "kn", "kan", "kan" }, { "", "kar", "kar" },
	{ "ks", "kas", "kas" }, { "ka", "kat", "geo" }, { "kr", "kau", "kau" },
	{ "", "kaw", "kaw" },   { "kk", "kaz", "kaz" }, { "", "kbd", "kbd" },
	{ "", "kha", "kha" },   { "", "khi", "khi" },   { "km", "khm", "khm" },
	{ "", "kho", "kho" },   { "ki", "kik", "kik" }, { "rw", "kin", "kin" },
	{ "ky", "kir", "kir" }, { "", "kmb", "kmb" },   { "", "kok", "kok" },
	{ "kv", "kom", "kom" }, { "kg", "kon", "kon" }, { "ko", "kor", "kor" },
	{ "", "kos", "kos" },   { "", "kpe", "kpe" },   { "", "krc", "krc" },
	{ "", "krl", "krl" },   { "", "kro", "kro" },   { "", "kru", "kru" },
	{ "kj", "kua", "kua" }, { "", "kum", "kum" },   { "ku", "kur", "kur" },
	{ "", "kut", "kut" },   { "", "lad", "lad" },   { "", "lah", "lah" },
	{ "", "lam", "lam" },   { "lo", "lao", "lao" }, { "la", "lat", "lat" },
	{ "lv", "lav", "lav" }, { "", "lez", "lez" },   { "li", "lim", "lim" },
	{ "ln", "lin", "lin" }, { "lt", "lit", "lit" }, { "", "lol", "lol" },
	{ "", "loz", "loz" },   { "lb", "ltz", "ltz" }, { "", "lua", "lua" },
	{ "lu", "lub", "lub" }, { "lg", "lug", "lug" }, { "", "lui", "lui" },
	{ "", "lun", "lun" },   { "", "luo", "luo" },   { "", "lus", "lus" },
	{ "", "mad", "mad" },   { "", "mag", "mag" },   { "mh", "mah", "mah" },
	{ "", "mai", "mai" },   { "", "mak", "mak" },   { "ml", "mal", "mal" },
	{ "", "man", "man" },   { "", "map", "map" },   { "mr", "mar", "mar" },
	{ "", "mas", "mas" },   { "", "mdf", "mdf" },   { "", "mdr", "mdr" },
	{ "", "men", "men" },   { "", "mga", "mga" },   { "", "mic", "mic" },
	{ "", "min", "min" },   { "", "mis", "mis" },   { "mk", "mkd", "mac" },
	{ "", "mkh", "mkh" },   { "mg", "mlg", "mlg" }, { "mt", "mlt", "mlt" },
	{ "", "mnc", "mnc" },   { "", "mni", "mni" },   { "", "mno", "mno" },
	{ "", "moh", "moh" },   { "mn", "mon", "mon" }, { "", "mos", "mos" },
	{ "mi", "mri", "mao" }, { "ms", "msa", "may" }, { "", "mul", "mul" },
	{ "", "mun", "mun" },   { "", "mus", "mus" },   { "", "mwl", "mwl" },
	{ "", "mwr", "mwr" },   { "my", "mya", "bur" }, { "", "myn", "myn" },
	{ "", "myv", "myv" },   { "", "nah", "nah" },   { "", "nai", "nai" },
	{ "", "nap", "nap" },   { "na", "nau", "nau" }, { "nv", "nav", "nav" },
	{ "nr", "nbl", "nbl" }, { "nd", "nde", "nde" }, { "ng", "ndo", "ndo" },
	{ "", "nds", "nds" },   { "ne", "nep", "nep" }, { "", "new", "new" },
	{ "", "nia", "nia" },   { "", "nic", "nic" },   { "", "niu", "niu" },
	{ "nl", "nld", "dut" }, { "nn", "nno", "nno" }, { "nb", "nob", "nob" },
	{ "", "nog", "nog" },   { "", "non", "non" },   { "no", "nor", "nor" },
	{ "", "nqo", "nqo" },   { "", "nso", "nso" },   { "", "nub", "nub" },
	{ "", "nwc", "nwc" },   { "ny", "nya", "nya" }, { "", "nym", "nym" },
	{ "", "nyn", "nyn" },   { "", "nyo", "nyo" },   { "", "nzi", "nzi" },
	{ "oc", "oci", "oci" }, { "oj", "oji", "oji" }, { "or", "ori", "ori" },
	{ "om", "orm", "orm" }, { "", "osa", "osa" },   { "os", "oss", "oss" },
	{ "", "ota", "ota" },   { "", "oto", "oto" },   { "", "paa", "paa" },
	{ "", "pag", "pag" },   { "", "pal", "pal" },   { "", "pam", "pam" },
	{ "pa", "pan", "pan" }, { "", "pap", "pap" },   { "", "pau", "pau" },
	{ "", "peo", "peo" },   { "", "phi", "phi" },   { "", "phn", "phn" },
	{ "pi", "pli", "pli" }, { "pl", "pol", "pol" }, { "", "pon", "pon" },
	{ "pt", "por", "por" }, { "", "pra", "pra" },   { "", "pro", "pro" },
	{ "ps", "pus", "pus" }, { "qu", "que", "que" }, { "", "raj", "raj" },
	{ "", "rap", "rap" },   { "", "rar", "rar" },   { "", "roa", "roa" },
	{ "rm", "roh", "roh" }, { "", "rom", "rom" },   { "ro", "ron", "rum" },
	{ "rn", "run", "run" }, { "", "rup", "rup" },   { "ru", "rus", "rus" },
	{ "", "sad", "sad" },   { "sg", "sag", "sag" }, { "", "sah", "sah" },
	{ "", "sai", "sai" },   { "", "sal", "sal" },   { "", "sam", "sam" },
	{ "sa", "san", "san" }, { "", "sas", "sas" },   { "", "sat", "sat" },
	{ "", "scn", "scn" },   { "", "sco", "sco" },   { "", "sel", "sel" },
	{ "", "sem", "sem" },   { "", "sga", "sga" },   { "", "sgn", "sgn" },
	{ "", "shn", "shn" },   { "", "sid", "sid" },   { "si", "sin", "sin" },
	{ "", "sio", "sio" },   { "", "sit", "sit" },   { "", "sla", "sla" },
	{ "sk", "slk", "slo" }, { "sl", "slv", "slv" }, { "", "sma", "sma" },
	{ "se", "sme", "sme" }, { "", "smi", "smi" },   { "", "smj", "smj" },
	{ "", "smn", "smn" },   { "sm", "smo", "smo" }, { "", "sms", "sms" },
	{ "sn", "sna", "sna" }, { "sd", "snd", "snd" }, { "", "snk", "snk" },
	{ "", "sog", "sog" },   { "so", "som", "som" }, { "", "son", "son" },
	{ "st", "sot", "sot" }, { "es", "spa", "spa" }, { "sq", "sqi", "alb" },
	{ "sc", "srd", "srd" }, { "", "srn", "srn" },   { "sr", "srp", "srp" },
	{ "", "srr", "srr" },   { "", "ssa", "ssa" },   { "ss", "ssw", "ssw" },
	{ "", "suk", "suk" },   { "su", "sun", "sun" }, { "", "sus", "sus" },
	{ "", "sux", "sux" },   { "sw", "swa", "swa" }, { "sv", "swe", "swe" },
	{ "", "syc", "syc" },   { "", "syr", "syr" },   { "ty", "tah", "tah" },
	{ "", "tai", "tai" },   { "ta", "tam", "tam" }, { "tt", "tat", "tat" },
	{ "te", "tel", "tel" }, { "", "tem", "tem" },   { "", "ter", "ter" },
	{ "", "tet", "tet" },   { "tg", "tgk", "tgk" }, { "tl", "tgl", "tgl" },
	{ "th", "tha", "tha" }, { "", "tig", "tig" },   { "ti", "tir", "tir" },
	{ "", "tiv", "tiv" },   { "", "tkl", "tkl" },   { "", "tlh", "tlh" },
	{ "", "tli", "tli" },   { "", "tmh", "tmh" },   { "", "tog", "tog" },
	{ "to", "ton", "ton" }, { "", "tpi", "tpi" },   { "", "tsi", "tsi" },
	{ "tn", "tsn", "tsn" }, { "ts", "tso", "tso" }, { "tk", "tuk", "tuk" },
	{ "", "tum", "tum" },   { "", "tup", "tup" },   { "tr", "tur", "tur" },
	{ "", "tut", "tut" },   { "", "tvl", "tvl" },   { "tw", "twi", "twi" },
	{ "", "tyv", "tyv" },   { "", "udm", "udm" },   { "", "uga", "uga" },
	{ "ug", "uig", "uig" }, { "uk", "ukr", "ukr" }, { "", "umb", "umb" },
	{ "", "und", "und" },   { "ur", "urd", "urd" }, { "uz", "uzb", "uzb" },
	{ "", "vai", "vai" },   { "ve", "ven", "ven" }, { "vi", "vie", "vie" },
	{ "vo", "vol", "vol" }, { "", "vot", "vot" },   { "", "wak", "wak" },
	{ "", "wal", "wal" },   { "", "war", "war" },   { "", "was", "was" },
	{ "", "wen", "wen" },   { "wa", "wln", "wln" }, { "wo", "wol", "wol" },
	{ "", "xal", "xal" },   { "xh", "xho", "xho" }, { "", "yao", "yao" },
	{ "", "yap", "yap" },   { "yi", "yid", "yid" }, { "yo", "yor", "yor" },
	{ "", "ypk", "ypk" },   { "", "zap", "zap" },   { "", "zbl", "zbl" },
	{ "", "zen", "zen" },   { "", "zgh", "zgh" },   { "za", "zha", "zha" },
	{ "zh", "zho", "chi" }, { "", "znd", "znd" },   { "zu", "zul", "zul" },
	{ "", "zun", "zun" },   { "", "zxx", "zxx" },   { "", "zza", "zza" },
};

#define N_LANGS (sizeof(langs) / sizeof(langs[0]))

static int
is_alnum_ascii(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* RFC 5646 section 2.1: subtags of 1-8 ASCII letters/digits joined by
 * '-', the first all letters.  Section 2.1.1 gives the canonical case:
 * language lowercase, 4-letter script Titlecase, 2-letter region
 * uppercase, everything after a singleton lowercase. */
int
md_lang_canonical(char *out, size_t n, const char *tag)
{
	size_t len = strlen(tag), i, start = 0, sub = 0;
	int after_singleton = 0;

	if (len + 1 > n)
		return VL_E_INVAL;
	if (len == 0) {
		out[0] = '\0';
		return 0;
	}
	for (i = 0; i <= len; i++) {
		size_t k, slen;

		if (i < len && tag[i] != '-') {
			if (!is_alnum_ascii((unsigned char)tag[i]))
				return VL_E_INVAL;
			continue;
		}
		slen = i - start;
		if (slen < 1 || slen > 8)
			return VL_E_INVAL;
		for (k = start; k < i; k++) {
			int c = tolower((unsigned char)tag[k]);

			if (sub == 0 && !(c >= 'a' && c <= 'z'))
				return VL_E_INVAL;
			if (sub > 0 && !after_singleton) {
				if (slen == 4 && k == start)
					c = toupper(c);
				else if (slen == 2)
					c = toupper(c);
			}
			out[k] = (char)c;
		}
		if (sub > 0 && slen == 1)
			after_singleton = 1;
		if (sub == 0 && slen == 1 &&
		    tolower((unsigned char)tag[0]) == 'x')
			after_singleton = 1;
		if (i < len)
			out[i] = '-';
		start = i + 1;
		sub++;
	}
	out[len] = '\0';
	return 0;
}

int
md_lang_match(const char *range, const char *tag)
{
	size_t n;

	if (!range || !*range || !strcmp(range, "*"))
		return 1;
	if (!tag)
		return 0;
	n = strlen(range);
	return strncasecmp(range, tag, n) == 0 &&
	       (tag[n] == '\0' || tag[n] == '-');
}

/* The primary subtag of tag, lowercased, into p[4]; 0 if not 2-3 letters.
 */
static int
primary(char p[4], const char *tag)
{
	size_t i;

	for (i = 0; tag[i] && tag[i] != '-'; i++) {
		if (i >= 3)
			return 0;
		p[i] = (char)tolower((unsigned char)tag[i]);
	}
	p[i] = '\0';
	return i >= 2;
}

static const struct lang_row *
find_t(const char *t)
{
	size_t lo = 0, hi = N_LANGS;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t, langs[mid].t);

		if (c == 0)
			return &langs[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const struct lang_row *
find_code(const char *p)
{
	const struct lang_row *row;
	size_t i;

	if (strlen(p) == 2) {
		for (i = 0; i < N_LANGS; i++)
			if (!strcmp(langs[i].a2, p))
				return &langs[i];
		return NULL;
	}
	if ((row = find_t(p)))
		return row;
	for (i = 0; i < N_LANGS; i++)
		if (!strcmp(langs[i].b, p))
			return &langs[i];
	return NULL;
}

const char *
md_lang_639b(const char *tag)
{
	const struct lang_row *row;
	char p[4];

	if (!tag || !primary(p, tag) || !(row = find_code(p)))
		return NULL;
	return row->b;
}

const char *
md_lang_from_639(const char *code)
{
	const struct lang_row *row;
	char p[4];

	if (!code || strlen(code) != 3 || !primary(p, code) ||
	    !(row = find_code(p)))
		return NULL;
	return row->a2[0] ? row->a2 : row->t;
}
