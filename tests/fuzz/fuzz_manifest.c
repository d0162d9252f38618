/*
 * fuzz_manifest.c - libFuzzer target for RFC 8493 manifests: the first
 * byte picks the BagIt version and tag-file encoding, the rest is a
 * payload manifest (also fed to the line parser directly).
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const decl[] = {
		"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
		"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n",
		"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-16\n",
		"BagIt-Version: 0.96\nTag-File-Character-Encoding: "
		"ISO-8859-1\n",
	};
	struct mem_file files[3];
	struct fix_manifest_line ml;
	struct vl_buf buf = VL_BUF_INIT;
	struct vl_err err;
	struct fix_lines it;
	const char *line;
	size_t n;

	if (size < 1)
		return 0;
	files[0] = (struct mem_file){ "bagit.txt", decl[data[0] & 3],
				      strlen(decl[data[0] & 3]) };
	files[1] = (struct mem_file){ "manifest-sha256.txt",
				      (const char *)data + 1, size - 1 };
	files[2] = (struct mem_file){ "tagmanifest-md5.txt",
				      (const char *)data + 1, size - 1 };
	run_bag(files, 3);
	fix_lines_init(&it, (const char *)data + 1, size - 1);
	while (fix_lines_next(&it, &line, &n))
		fix_manifest_parse_line(&ml, &buf, line, n,
					data[0] & 4 ? 97 : 100, &err);
	vl_buf_release(&buf);
	return 0;
}
