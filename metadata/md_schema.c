/*
 * md_schema.c - XSD validation against a local schema directory (the
 * repository's schema_dir, or --schema-dir; tests use ../shared/schemas).
 *
 * Schemas import each other (mods-3-8.xsd -> xml.xsd, xlink.xsd; oai_dc.xsd
 * -> simpledc20021212.xsd -> xml.xsd; qualifieddc.xsd -> dcterms.xsd ->
 * dc.xsd, dcmitype.xsd).  While a schema compiles, the external entity
 * loader installed here serves only files inside that directory, plus the
 * canonical URLs of metadata-catalog.xml / oai-catalog.xml mapped to the
 * local copies, and refuses anything else: no network, no file outside
 * the directory.  Outside compilation it hands every request to the
 * loader it replaced, so other users of libxml2 are unaffected.
 *
 * Documents are screened by the safe SAX parser (md_xml.c) before libxml2
 * builds the tree the validator needs, so a hostile document never
 * reaches xmlReadMemory.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlschemas.h>

#include "md_private.h"

enum { S_MODS, S_OAI_DC, S_QDC, S_COUNT };

static const char *const schema_files[S_COUNT] = {
	"mods-3-8.xsd",
	"oai_dc.xsd",
	"qualifieddc.xsd",
};

struct md_schemas {
	char *dir; /* realpath */
	xmlSchemaPtr schema[S_COUNT];
};

/* Canonical schema URLs (metadata-catalog.xml, oai-catalog.xml). */
static const char *const url_map[][2] = {
	{ "http://www.loc.gov/standards/mods/v3/mods-3-8.xsd", "mods-3-8.xsd" },
	{ "https://www.loc.gov/standards/mods/v3/mods-3-8.xsd",
	  "mods-3-8.xsd" },
	{ "http://www.loc.gov/mods/xml.xsd", "xml.xsd" },
	{ "http://www.loc.gov/standards/xlink/xlink.xsd", "xlink.xsd" },
	{ "http://www.w3.org/2001/03/xml.xsd", "xml.xsd" },
	{ "http://www.w3.org/2001/xml.xsd", "xml.xsd" },
	{ "http://dublincore.org/schemas/xmls/qdc/2008/02/11/dc.xsd",
	  "dc.xsd" },
	{ "http://dublincore.org/schemas/xmls/qdc/2008/02/11/dcterms.xsd",
	  "dcterms.xsd" },
	{ "http://dublincore.org/schemas/xmls/qdc/2008/02/11/dcmitype.xsd",
	  "dcmitype.xsd" },
	{ "http://dublincore.org/schemas/xmls/qdc/2008/02/11/qualifieddc.xsd",
	  "qualifieddc.xsd" },
	{ "http://dublincore.org/schemas/xmls/qdc/dc.xsd", "dc.xsd" },
	{ "http://dublincore.org/schemas/xmls/qdc/dcterms.xsd", "dcterms.xsd" },
	{ "http://dublincore.org/schemas/xmls/qdc/dcmitype.xsd",
	  "dcmitype.xsd" },
	{ "http://dublincore.org/schemas/xmls/simpledc20021212.xsd",
	  "simpledc20021212.xsd" },
	{ "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", "oai_dc.xsd" },
	{ NULL, NULL },
};

static pthread_once_t loader_once = PTHREAD_ONCE_INIT;
static xmlExternalEntityLoader prev_loader;
static __thread const char *loading_dir; /* set while compiling */

static xmlParserInputPtr
schema_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	char path[PATH_MAX], real[PATH_MAX];
	const char *file = url;
	size_t i, n;

	if (!loading_dir)
		return prev_loader(url, id, ctxt);
	if (!url)
		return NULL;
	for (i = 0; url_map[i][0]; i++)
		if (!strcmp(url, url_map[i][0])) {
			snprintf(path, sizeof(path), "%s/%s", loading_dir,
				 url_map[i][1]);
			file = path;
			break;
		}
	if (!strncmp(file, "file://", 7))
		file += 7;
	if (strstr(file, "://"))
		return NULL; /* network: refused */
	if (!realpath(file, real))
		return NULL;
	n = strlen(loading_dir);
	if (strncmp(real, loading_dir, n) != 0 || real[n] != '/')
		return NULL; /* outside the schema directory: refused */
	return xmlNewInputFromFile(ctxt, real);
}

static void
install_loader(void)
{
	prev_loader = xmlGetExternalEntityLoader();
	xmlSetExternalEntityLoader(schema_loader);
}

int
md_schemas_open(struct md_schemas **out, const char *dir, struct vl_err *err)
{
	struct md_schemas *s;
	char real[PATH_MAX];
	struct stat st;

	*out = NULL;
	if (!dir || !*dir)
		return vl_err_set(err, VL_E_NOTFOUND,
				  "no schema directory configured (set "
				  "schema_dir or use --schema-dir)");
	if (!realpath(dir, real) || stat(real, &st) < 0)
		return vl_err_sys(err, VL_E_NOTFOUND,
				  "cannot open schema directory '%s'", dir);
	if (!S_ISDIR(st.st_mode))
		return vl_err_set(err, VL_E_NOTFOUND,
				  "schema directory '%s' is not a directory",
				  dir);
	pthread_once(&loader_once, install_loader);
	if (!(s = calloc(1, sizeof(*s))) || !(s->dir = strdup(real))) {
		free(s);
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	}
	*out = s;
	return 0;
}

void
md_schemas_free(struct md_schemas *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < S_COUNT; i++)
		if (s->schema[i])
			xmlSchemaFree(s->schema[i]);
	free(s->dir);
	free(s);
}

struct collect {
	struct md_diag *d;
	const char *name;
	char first[300];
	int n;
};

static void
collect_error(void *ctx, xmlErrorPtr e)
{
	struct collect *c = ctx;
	char msg[400];
	size_t n;

	if (!e || e->level < XML_ERR_ERROR)
		return;
	snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "invalid");
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	if (!c->n++)
		snprintf(c->first, sizeof(c->first), "%s", msg);
	if (c->d)
		md_diag_add(c->d, MD_ERROR, c->name, (unsigned long)e->line,
			    "schema: %s", msg);
}

static int
compile(struct md_schemas *s, int which, struct vl_err *err)
{
	struct collect c = { 0 };
	xmlSchemaParserCtxtPtr pc;
	char path[PATH_MAX];
	struct stat st;

	if (s->schema[which])
		return 0;
	snprintf(path, sizeof(path), "%s/%s", s->dir, schema_files[which]);
	if (stat(path, &st) < 0)
		return vl_err_sys(err, VL_E_NOTFOUND, "cannot open schema '%s'",
				  path);
	if (!(pc = xmlSchemaNewParserCtxt(path)))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	xmlSchemaSetParserStructuredErrors(pc, collect_error, &c);
	loading_dir = s->dir;
	s->schema[which] = xmlSchemaParse(pc);
	loading_dir = NULL;
	xmlSchemaFreeParserCtxt(pc);
	if (!s->schema[which])
		return vl_err_set(err, VL_E_FORMAT,
				  "cannot compile schema '%s': %s", path,
				  c.first[0] ? c.first : "unknown error");
	return 0;
}

int
md_schemas_check(struct md_schemas *s, const char *buf, size_t len,
		 const char *name, struct md_diag *d, struct vl_err *err)
{
	struct md_xparse p = { 0 };
	struct collect c = { 0 };
	struct vl_err perr = { 0 };
	xmlSchemaValidCtxtPtr vc = NULL;
	xmlDocPtr doc = NULL;
	int which, rc;

	c.d = d;
	c.name = name;
	p.name = name;
	p.records = MD_XREC_ROOT;
	/* Screen first: malformed or hostile documents stop here. */
	if (md_xml_parse_mem(&p, buf, len, &perr) < 0) {
		md_diag_add(d, MD_ERROR, NULL, 0, "%s", perr.msg);
		return 0;
	}
	if (p.root_ns == MD_NS_MODS && (!strcmp(p.root_name, "mods") ||
					!strcmp(p.root_name, "modsCollection")))
		which = S_MODS;
	else if (p.root_ns == MD_NS_OAI_DC && !strcmp(p.root_name, "dc"))
		which = S_OAI_DC;
	else if (p.root_ns == MD_NS_NONE && !strcmp(p.root_name, "qualifieddc"))
		which = S_QDC;
	else {
		md_diag_add(d, MD_WARNING, name, 0,
			    "no schema for root element <%s>; schema "
			    "validation skipped",
			    p.root_name);
		return 0;
	}
	if ((rc = compile(s, which, err)) < 0)
		return rc;
	doc = xmlReadMemory(buf, (int)len, name, NULL, XML_PARSE_NONET);
	if (!doc) {
		md_diag_add(d, MD_ERROR, name, 0,
			    "cannot parse for validation");
		return 0;
	}
	if (!(vc = xmlSchemaNewValidCtxt(s->schema[which]))) {
		xmlFreeDoc(doc);
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	}
	xmlSchemaSetValidStructuredErrors(vc, collect_error, &c);
	rc = xmlSchemaValidateDoc(vc, doc);
	if (rc > 0 && !c.n)
		md_diag_add(d, MD_ERROR, name, 0,
			    "schema: document is invalid "
			    "against %s",
			    schema_files[which]);
	else if (rc < 0)
		md_diag_add(d, MD_ERROR, name, 0,
			    "schema: internal validation error");
	xmlSchemaFreeValidCtxt(vc);
	xmlFreeDoc(doc);
	return 0;
}
