/*
 * fuzz_vocab_norm.c - libFuzzer target for the label keys and language
 * tag handling that every imported label and every record value goes
 * through: md_vocab_normalize, md_lang_canonical, md_lang_639b,
 * md_lang_from_639, md_lang_match.  Invariants checked: the keys are
 * idempotent (normalising a key gives the same key) and fold never
 * fails where norm succeeded.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../../metadata/vocab_api.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *s = malloc(size + 1), *n = NULL, *f = NULL, *n2 = NULL;
	char tag[64];

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (md_vocab_normalize(s, &n, &f, NULL) == 0) {
		assert(n && f);
		if (md_vocab_normalize(n, &n2, NULL, NULL) == 0) {
			assert(!strcmp(n, n2));
			free(n2);
		}
	}
	if (md_lang_canonical(tag, sizeof(tag), s) == 0) {
		(void)md_lang_639b(tag);
		(void)md_lang_match(tag, s);
	}
	(void)md_lang_from_639(s);
	free(n);
	free(f);
	free(s);
	return 0;
}
