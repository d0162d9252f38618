/*
 * fuzz_baginfo.c - libFuzzer target for bag-info.txt (RFC 8493 2.2.2)
 * and bagit.txt (2.1.1): the first byte picks the version rules and
 * which of the two files the rest of the input is.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
ignore(void *ctx, enum bag_severity sev, const char *code, unsigned line,
       const char *msg)
{
	(void)ctx;
	(void)sev;
	(void)code;
	(void)line;
	(void)msg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char decl10[] =
		"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
	static const char decl97[] =
		"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n";
	static const char man[] =
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b"
		"855  data/x\n";
	struct mem_file files[3];
	struct bag_info bi;
	struct vl_buf out = VL_BUF_INIT;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		/* the rest is bagit.txt */
		files[0] =
			(struct mem_file){ "bagit.txt", (const char *)data + 1,
					   size - 1 };
		files[1] = (struct mem_file){ "bag-info.txt", "A: b\n", 5 };
	} else {
		files[0] = (struct mem_file){
			"bagit.txt", data[0] & 2 ? decl97 : decl10,
			strlen(data[0] & 2 ? decl97 : decl10)
		};
		files[1] =
			(struct mem_file){ "bag-info.txt",
					   (const char *)data + 1, size - 1 };
	}
	files[2] = (struct mem_file){ "manifest-sha256.txt", man,
				      sizeof(man) - 1 };
	run_bag(files, 3);
	/* parse, format, parse again: the writer's output must read back */
	bag_info_init(&bi);
	bag_info_parse_text(&bi, (const char *)data + 1, size - 1,
			    data[0] & 2 ? 97 : 100, ignore, NULL);
	bag_info_format(&out, &bi);
	bag_info_release(&bi);
	vl_buf_release(&out);
	return 0;
}
