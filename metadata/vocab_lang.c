/*
 * vocab_lang.c - language tags as the vocabulary code needs them, on top
 * of the metadata module's BCP 47 and ISO 639 support (md_lang.c): a
 * lenient canonical form for labels (a well-formed tag with an unknown
 * subtag is kept, since real vocabularies carry such tags), RFC 4647
 * basic filtering, and the ISO 639-2 code of a MODS @lang turned into a
 * BCP 47 tag.
 */
#include <string.h>
#include <strings.h>

#include "metadata.h"

int
md_vocab_lang_tag(char *out, size_t n, const char *tag)
{
	int rc;

	if (!*tag) {
		if (n < 1)
			return VL_E_INVAL;
		out[0] = '\0';
		return 0;
	}
	rc = md_lang_canonical(out, n, tag, NULL);
	return rc == VL_E_NOTFOUND ? 0 : rc < 0 ? VL_E_INVAL : 0;
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

const char *
md_vocab_lang_from_639(char *out, size_t n, const char *code)
{
	if (!code || strlen(code) != 3 ||
	    !(md_iso639_exists(MD_639_2B, code) ||
	      md_iso639_exists(MD_639_2T, code) ||
	      md_iso639_exists(MD_639_3, code)))
		return NULL;
	return md_vocab_lang_tag(out, n, code) == 0 ? out : NULL;
}
