/*
 * test_ingest.c - the ingest layer's own parts: identifiers, format
 * identification.
 */
#include "testkit.h"

#include <fcntl.h>

#include "../../ingest/ingest.h"

static void
test_id_check(void **state)
{
	static const char *const good[] = { "a", "obj-1", "2024.x_y",
					    "sample-04" };
	static const char *const bad[] = { "",    "-x",  ".x", "a b",
					   "a/b", "a:b", "é",  "_x" };
	char longid[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(ing_id_check(good[i], NULL), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ing_id_check(bad[i], NULL), VL_E_INVAL);
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(ing_id_check(longid, NULL), VL_E_INVAL);
	longid[128] = '\0';
	assert_int_equal(ing_id_check(longid, NULL), 0);
}

static void
test_generated_ids_are_valid_unique_and_sorted(void **state)
{
	char a[ING_ID_GEN_LEN], b[ING_ID_GEN_LEN];
	struct vl_err err = { 0 };

	(void)state;
	assert_int_equal(ing_id_generate(a, &err), 0);
	usleep(2000);
	assert_int_equal(ing_id_generate(b, &err), 0);
	assert_int_equal(strlen(a), 27);
	assert_int_equal(a[0], 'v');
	assert_int_equal(ing_id_check(a, &err), 0);
	assert_true(strcmp(a, b) < 0);
	assert_true(strncmp(a, b, 5) == 0); /* same era, same prefix */
}

static void
test_magic_identifies_formats(void **state)
{
	static const unsigned char png[] = {
		0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0,    0, 0, 0x0d,
		'I',  'H', 'D', 'R', 0,    0,    0,    1,    0,    0, 0, 1,
		8,    6,   0,   0,   0,    0x1f, 0x15, 0xc4, 0x89, 0, 0, 0,
		0,    'I', 'E', 'N', 'D',  0xae, 0x42, 0x60, 0x82,
	};
	struct ing_magic *m;
	struct vl_err err = { 0 };
	char *dir = tk_tmpdir();
	char p[4200], mime[128], desc[256];
	FILE *f;
	int fd;

	(void)state;
	assert_int_equal(ing_magic_new(&m, &err), 0);
	snprintf(p, sizeof(p), "%s/x.png", dir);
	f = fopen(p, "wb");
	fwrite(png, 1, sizeof(png), f);
	fclose(f);
	fd = open(p, O_RDONLY);
	assert_int_equal(ing_magic_identify(m, fd, mime, sizeof(mime), desc,
					    sizeof(desc), &err),
			 0);
	close(fd);
	assert_string_equal(mime, "image/png");
	assert_non_null(strstr(desc, "PNG image data"));
	tk_write(dir, "t.txt", "plain words\n");
	snprintf(p, sizeof(p), "%s/t.txt", dir);
	fd = open(p, O_RDONLY);
	assert_int_equal(ing_magic_identify(m, fd, mime, sizeof(mime), desc,
					    sizeof(desc), &err),
			 0);
	close(fd);
	assert_string_equal(mime, "text/plain");
	ing_magic_free(m);
	tk_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_check),
		cmocka_unit_test(
			test_generated_ids_are_valid_unique_and_sorted),
		cmocka_unit_test(test_magic_identifies_formats),
	};

	return cmocka_run_group_tests_name("ingest", tests, NULL, NULL);
}
