/*
 * premis.c - the PREMIS 3 description of a stored object (metadata/
 * premis.xml in its bag), written from the catalog: an intellectual
 * entity, one file object per payload file (fixity per algorithm, size,
 * format, original name), every event of the object, and the agents.
 *
 * Element order follows premis.xsd (PREMIS 3.0): objects first, then
 * events, then agents; within a file object objectIdentifier,
 * objectCharacteristics (compositionLevel, fixity*, size, format+),
 * originalName, linkingEventIdentifier*.  Vocabulary URIs are the LoC
 * preservation vocabularies (../shared/metadata-notes.md section 4).
 */
#include <libxml/xmlwriter.h>
#include <string.h>

#include "ingest.h"

#define PREMIS_NS "http://www.loc.gov/premis/v3"
#define XSI_NS    "http://www.w3.org/2001/XMLSchema-instance"
#define LOC_VOCAB "http://id.loc.gov/vocabulary/preservation/"

struct writer {
	xmlTextWriterPtr w;
	int failed;
};

static void
el(struct writer *x, const char *name, const char *text)
{
	if (xmlTextWriterWriteElement(x->w, BAD_CAST name,
				      BAD_CAST(text ? text : "")) < 0)
		x->failed = 1;
}

static void
start(struct writer *x, const char *name)
{
	if (xmlTextWriterStartElement(x->w, BAD_CAST name) < 0)
		x->failed = 1;
}

static void
end(struct writer *x)
{
	if (xmlTextWriterEndElement(x->w) < 0)
		x->failed = 1;
}

static void
attr(struct writer *x, const char *name, const char *value)
{
	if (xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST value) <
	    0)
		x->failed = 1;
}

/* <name authority=… authorityURI=… valueURI=…>label</name> */
static void
authority_el(struct writer *x, const char *name, const char *vocab,
	     const char *code, const char *label)
{
	char uri[256];

	start(x, name);
	attr(x, "authority", vocab);
	snprintf(uri, sizeof(uri), LOC_VOCAB "%s", vocab);
	attr(x, "authorityURI", uri);
	if (code) {
		snprintf(uri, sizeof(uri), LOC_VOCAB "%s/%s", vocab, code);
		attr(x, "valueURI", uri);
	}
	if (xmlTextWriterWriteString(x->w, BAD_CAST label) < 0)
		x->failed = 1;
	end(x);
}

static void
identifier(struct writer *x, const char *prefix, const char *type,
	   const char *value)
{
	char a[64], b[64], c[64];

	snprintf(a, sizeof(a), "%sIdentifier", prefix);
	snprintf(b, sizeof(b), "%sIdentifierType", prefix);
	snprintf(c, sizeof(c), "%sIdentifierValue", prefix);
	start(x, a);
	el(x, b, type);
	el(x, c, value);
	end(x);
}

/* RFC 8493 algorithm name -> LoC cryptographicHashFunctions code and
 * label; unknown ones keep their name and get no valueURI. */
static void
hash_function(struct writer *x, const char *alg)
{
	static const char *const map[][3] = {
		{ "md5", "md5", "MD5" },
		{ "sha1", "sha1", "SHA-1" },
		{ "sha256", "sha256", "SHA-256" },
		{ "sha384", "sha384", "SHA-384" },
		{ "sha512", "sha512", "SHA-512" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(alg, map[i][0])) {
			authority_el(x, "messageDigestAlgorithm",
				     "cryptographicHashFunctions", map[i][1],
				     map[i][2]);
			return;
		}
	authority_el(x, "messageDigestAlgorithm", "cryptographicHashFunctions",
		     NULL, alg);
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

static int
write_files(struct writer *x, struct repo *r, const char *id,
	    struct vl_err *err)
{
	sqlite3_stmt *files = NULL, *dig = NULL;
	char value[4200];
	int rc;

	if ((rc = repo_prepare(r, &files,
			       "SELECT path, size, mime, format FROM files"
			       " WHERE object_id = ? AND kind = 'payload'"
			       " ORDER BY path",
			       err)) < 0 ||
	    (rc = repo_prepare(r, &dig,
			       "SELECT algorithm, digest FROM digests WHERE"
			       " object_id = ? AND path = ? ORDER BY"
			       " algorithm",
			       err)) < 0)
		goto out;
	sqlite3_bind_text(files, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(files)) == SQLITE_ROW) {
		start(x, "object");
		if (xmlTextWriterWriteAttributeNS(x->w, BAD_CAST "xsi",
						  BAD_CAST "type", NULL,
						  BAD_CAST "file") < 0)
			x->failed = 1;
		snprintf(value, sizeof(value), "%s/%s", id, col(files, 0));
		identifier(x, "object", "local", value);
		start(x, "objectCharacteristics");
		el(x, "compositionLevel", "0");
		sqlite3_reset(dig);
		sqlite3_bind_text(dig, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(dig, 2, col(files, 0), -1, SQLITE_TRANSIENT);
		while (sqlite3_step(dig) == SQLITE_ROW) {
			start(x, "fixity");
			hash_function(x, col(dig, 0));
			el(x, "messageDigest", col(dig, 1));
			el(x, "messageDigestOriginator", "vellum");
			end(x);
		}
		el(x, "size", col(files, 1));
		start(x, "format");
		start(x, "formatDesignation");
		el(x, "formatName", *col(files, 2) ? col(files, 2) : "unknown");
		end(x);
		if (*col(files, 3)) {
			/* libmagic's description; no registry key to give. */
			el(x, "formatNote", col(files, 3));
		}
		end(x); /* format */
		end(x); /* objectCharacteristics */
		el(x, "originalName", col(files, 0));
		end(x); /* object */
	}
	rc = rc == SQLITE_DONE ? 0 : repo_db_err(r->db, err, "catalog");
out:
	sqlite3_finalize(files);
	sqlite3_finalize(dig);
	return rc;
}

static void
write_event(struct writer *x, sqlite3_stmt *st, const char *id)
{
	const char *type = col(st, 1), *outcome = col(st, 3);
	const char *label = repo_event_label(type);
	char agent[64];

	start(x, "event");
	identifier(x, "event", "UUID", col(st, 0));
	authority_el(x, "eventType", "eventType", type, label ? label : type);
	el(x, "eventDateTime", col(st, 2));
	if (*col(st, 4)) {
		start(x, "eventDetailInformation");
		el(x, "eventDetail", col(st, 4));
		end(x);
	}
	start(x, "eventOutcomeInformation");
	authority_el(x, "eventOutcome", "eventOutcome",
		     !strcmp(outcome, "success")   ? "suc"
		     : !strcmp(outcome, "warning") ? "war"
						   : "fai",
		     outcome);
	if (*col(st, 5)) {
		start(x, "eventOutcomeDetail");
		el(x, "eventOutcomeDetailNote", col(st, 5));
		end(x);
	}
	end(x);
	snprintf(agent, sizeof(agent), "%s", col(st, 6));
	start(x, "linkingAgentIdentifier");
	el(x, "linkingAgentIdentifierType", "local");
	el(x, "linkingAgentIdentifierValue", agent);
	authority_el(x, "linkingAgentRole", "eventRelatedAgentRole", "exe",
		     "executing program");
	end(x);
	if (*col(st, 7)) {
		start(x, "linkingAgentIdentifier");
		el(x, "linkingAgentIdentifierType", "local");
		el(x, "linkingAgentIdentifierValue", col(st, 7));
		authority_el(x, "linkingAgentRole", "eventRelatedAgentRole",
			     "imp", "implementer");
		end(x);
	}
	start(x, "linkingObjectIdentifier");
	el(x, "linkingObjectIdentifierType", "local");
	el(x, "linkingObjectIdentifierValue", id);
	end(x);
	end(x);
}

static int
write_events(struct writer *x, struct repo *r, const char *id,
	     struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = repo_prepare(r, &st,
			       "SELECT uuid, type, datetime, outcome, detail,"
			       " outcome_detail, agent, agent_user FROM events"
			       " WHERE object_id = ? ORDER BY seq",
			       err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		write_event(x, st, id);
	rc = rc == SQLITE_DONE ? 0 : repo_db_err(r->db, err, "catalog");
	sqlite3_finalize(st);
	return rc;
}

static int
write_agents(struct writer *x, struct repo *r, const char *id,
	     struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	start(x, "agent");
	identifier(x, "agent", "local", "vellum/" VELLUM_VERSION);
	el(x, "agentName", "Vellum");
	authority_el(x, "agentType", "agentType", "sof", "software");
	el(x, "agentVersion", VELLUM_VERSION);
	end(x);
	if ((rc = repo_prepare(r, &st,
			       "SELECT DISTINCT agent_user FROM events WHERE"
			       " object_id = ? AND agent_user IS NOT NULL"
			       " ORDER BY agent_user",
			       err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		start(x, "agent");
		identifier(x, "agent", "local", col(st, 0));
		el(x, "agentName", col(st, 0));
		authority_el(x, "agentType", "agentType", "per", "person");
		end(x);
	}
	rc = rc == SQLITE_DONE ? 0 : repo_db_err(r->db, err, "catalog");
	sqlite3_finalize(st);
	return rc;
}

int
ing_premis_xml(struct repo *r, const char *object_id, struct vl_buf *out,
	       struct vl_err *err)
{
	struct writer x = { 0 };
	xmlBufferPtr buf = xmlBufferCreate();
	int rc = 0;

	if (!buf || !(x.w = xmlNewTextWriterMemory(buf, 0))) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	xmlTextWriterSetIndent(x.w, 1);
	xmlTextWriterSetIndentString(x.w, BAD_CAST "  ");
	if (xmlTextWriterStartDocument(x.w, "1.0", "UTF-8", NULL) < 0)
		x.failed = 1;
	start(&x, "premis");
	attr(&x, "xmlns", PREMIS_NS);
	attr(&x, "xmlns:xsi", XSI_NS);
	attr(&x, "xsi:schemaLocation",
	     PREMIS_NS " http://www.loc.gov/standards/premis/premis.xsd");
	attr(&x, "version", "3.0");
	start(&x, "object");
	attr(&x, "xsi:type", "intellectualEntity");
	identifier(&x, "object", "local", object_id);
	end(&x);
	if ((rc = write_files(&x, r, object_id, err)) < 0 ||
	    (rc = write_events(&x, r, object_id, err)) < 0 ||
	    (rc = write_agents(&x, r, object_id, err)) < 0)
		goto out;
	end(&x);
	if (xmlTextWriterEndDocument(x.w) < 0)
		x.failed = 1;
	xmlFreeTextWriter(x.w);
	x.w = NULL;
	if (x.failed) {
		rc = vl_err_set(err, VL_E_NOMEM, "cannot write PREMIS for '%s'",
				object_id);
		goto out;
	}
	if (vl_buf_add(out, xmlBufferContent(buf),
		       (size_t)xmlBufferLength(buf)) < 0)
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
out:
	if (x.w)
		xmlFreeTextWriter(x.w);
	if (buf)
		xmlBufferFree(buf);
	return rc;
}
