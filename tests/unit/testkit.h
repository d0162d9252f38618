/*
 * testkit.h - what every cmocka unit test includes: cmocka itself (which
 * needs these standard headers first) and helpers for temporary trees.
 */
#ifndef TESTKIT_H
#define TESTKIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

/* Makes a fresh temporary directory; returns a malloc'd path. */
static inline char *
tk_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[4096];
	char *p;

	snprintf(tmpl, sizeof(tmpl), "%s/vellum-test-XXXXXX",
		 base && *base ? base : "/tmp");
	p = mkdtemp(tmpl);
	assert_non_null(p);
	return strdup(p);
}

/* Removes a tree made by a test. */
static inline void
tk_rmtree(const char *path)
{
	char cmd[4200];
	int rc;

	/* Only ever called on a path from tk_tmpdir(). */
	assert_non_null(strstr(path, "vellum-test-"));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	rc = system(cmd); /* test-only helper; not in library code */
	(void)rc;
}

/* Writes a whole file (test fixtures). */
static inline void
tk_write(const char *dir, const char *name, const char *text)
{
	char p[4200];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

/* The shared standards directory (../shared from the project root). */
static inline const char *
tk_shared(void)
{
	const char *s = getenv("SHARED");

	return s && *s ? s : "../shared";
}

/* Validates an XML document in memory against a schema in
 * SHARED/schemas; returns 0 when valid, and prints libxml2's complaint. */
static inline int
tk_xsd_valid(const char *xml, size_t len, const char *schema)
{
	char path[4200];
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaValidCtxtPtr vc;
	xmlSchemaPtr s;
	xmlDocPtr doc;
	int rc;

	snprintf(path, sizeof(path), "%s/schemas/%s", tk_shared(), schema);
	pc = xmlSchemaNewParserCtxt(path);
	assert_non_null(pc);
	s = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	assert_non_null(s);
	doc = xmlReadMemory(xml, (int)len, "test.xml", NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	vc = xmlSchemaNewValidCtxt(s);
	rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	xmlSchemaFree(s);
	xmlFreeDoc(doc);
	return rc;
}

#endif
