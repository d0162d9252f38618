/*
 * fuzz_oai_request.c - libFuzzer target for what an OAI-PMH client
 * controls: the form-encoded arguments and each value as a date, an
 * identifier, a resumption token, an Accept-Encoding header, and as text
 * or stored XML through the output repairs.  Invariant checked: the
 * repaired output never holds a character XML 1.0 forbids.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../oai/oai.h"

static const unsigned char key[32] = "fuzz-key-fuzz-key-fuzz-key-fuzz";

/* No C0 control other than TAB, LF, CR; no U+FFFE/U+FFFF. */
static void
check_clean(const struct vl_buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->buf[i];

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    (c == 0xEF && i + 2 < b->len &&
		     (unsigned char)b->buf[i + 1] == 0xBF &&
		     ((unsigned char)b->buf[i + 2] & 0xFE) == 0xBE))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oai_args a;
	struct vl_buf b = VL_BUF_INIT;
	size_t i;

	if (oai_args_parse(&a, (const char *)data, size, 32) == 0) {
		for (i = 0; i < a.n; i++) {
			char out[VL_TIME_LEN];
			enum oai_gran g;
			struct oai_token t;

			oai_date_parse(a.v[i].value, i & 1, out, &g);
			oai_id_decode(&b, "fuzz.example.org", a.v[i].value);
			if (oai_token_decode(&t, a.v[i].value, key, 32) == 0)
				oai_token_release(&t);
			oai_accepts_gzip(a.v[i].value);
			vl_buf_reset(&b);
			oai_xml_escape(&b, a.v[i].value, a.v[i].value_len);
			check_clean(&b);
			vl_buf_reset(&b);
			oai_id_encode(&b, "fuzz.example.org", a.v[i].value);
		}
	}
	oai_args_release(&a);
	vl_buf_reset(&b);
	oai_xml_copy(&b, (const char *)data, size);
	check_clean(&b);
	vl_buf_release(&b);
	return 0;
}
