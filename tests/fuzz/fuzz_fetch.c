/*
 * fuzz_fetch.c - libFuzzer target for fetch.txt (RFC 8493 2.2.3) and
 * the tag-file character decoding: the first byte picks the version and
 * encoding; the rest is fetch.txt.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const encs[] = { "UTF-8", "UTF-16", "ISO-8859-1",
					    "UTF-16LE" };
	static const char man[] =
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b"
		"855  data/x\n";
	char decl[128];
	struct mem_file files[3];
	struct vl_buf text = VL_BUF_INIT;
	struct vl_err err;
	int bom;

	if (size < 1)
		return 0;
	snprintf(decl, sizeof(decl),
		 "BagIt-Version: %s\nTag-File-Character-Encoding: UTF-8\n",
		 data[0] & 1 ? "0.97" : "1.0");
	files[0] = (struct mem_file){ "bagit.txt", decl, strlen(decl) };
	files[1] = (struct mem_file){ "manifest-sha256.txt", man,
				      sizeof(man) - 1 };
	files[2] = (struct mem_file){ "fetch.txt", (const char *)data + 1,
				      size - 1 };
	run_bag(files, 3);
	fix_text_decode(&text, (const char *)data + 1, size - 1,
			encs[(data[0] >> 1) & 3], &bom, &err);
	vl_buf_release(&text);
	return 0;
}
