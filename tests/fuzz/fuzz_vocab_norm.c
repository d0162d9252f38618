/*
 * fuzz_vocab_norm.c - libFuzzer target for the label keys and language
 * tag handling that every imported label and every record value goes
 * through: md_vocab_normalize, md_vocab_lang_tag, md_lang_to_639b,
 * md_vocab_lang_from_639, md_lang_match.  Invariants checked: the keys are
 * idempotent (normalising a key gives the same key), fold never fails
 * where norm succeeded, and md_vocab_key() with one buffer kept across
 * inputs (as lookups keep it) gives the keys md_vocab_normalize() does.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../../metadata/metadata.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct md_vocab_keybuf kb;
	char *s = malloc(size + 1), *n = NULL, *f = NULL, *n2 = NULL;
	char tag[64], from[16];
	const char *k;

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
		assert(md_vocab_key(&kb, s, 1, &k, NULL) == 0);
		assert(!strcmp(k, f));
		assert(md_vocab_key(&kb, s, 0, &k, NULL) == 0);
		assert(!strcmp(k, n));
	} else {
		assert(md_vocab_key(&kb, s, 0, &k, NULL) < 0 && !k);
	}
	if (md_vocab_lang_tag(tag, sizeof(tag), s) == 0) {
		(void)md_lang_to_639b(tag);
		(void)md_lang_match(tag, s);
	}
	(void)md_vocab_lang_from_639(from, sizeof(from), s);
	free(n);
	free(f);
	free(s);
	return 0;
}
