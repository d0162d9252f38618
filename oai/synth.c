/*
 * synth.c - synthetic catalog records for tests and benchmarks of the
 * OAI-PMH provider: objects with oai_dc and MODS 3.8 metadata, sets and
 * tombstones, loaded fast in one transaction.
 *
 * Invariants: every record is schema-valid (oai_dc.xsd, mods-3-8.xsd) and
 * multilingual (xml:lang on titles, subjects and abstracts, MODS lang
 * codes); the generated source values deliberately contain control
 * characters that XML 1.0 forbids, which the writer drops, as a metadata
 * crosswalk must.  Output is a pure function of (seed, record number), so
 * two loads with the same options make the same catalog rows (apart from
 * ids continuing after existing ones).  The load is all or nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "oai.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const words_en[] = {
	"letters", "harbour",  "survey",    "parish",      "railway",
	"songs",   "maps",     "diaries",   "photographs", "council",
	"weather", "mills",    "fisheries", "schools",     "bridges",
	"gardens", "shipping", "elections", "festivals",   "mining",
};
static const char *const words_fr[] = {
	"lettres",  "port",       "relevé",    "paroisse",      "chemin de fer",
	"chansons", "cartes",     "journaux",  "photographies", "conseil",
	"météo",    "moulins",    "pêcheries", "écoles",        "ponts",
	"jardins",  "navigation", "élections", "fêtes",         "mines",
};
static const char *const words_de[] = {
	"Briefe", "Hafen",       "Vermessung", "Pfarrei",     "Eisenbahn",
	"Lieder", "Karten",      "Tagebücher", "Fotografien", "Rat",
	"Wetter", "Mühlen",      "Fischerei",  "Schulen",     "Brücken",
	"Gärten", "Schifffahrt", "Wahlen",     "Feste",       "Bergbau",
};
static const char *const places[] = {
	"Aberdeen", "Montréal", "Köln",      "Bergen",        "Kraków",
	"Sevilla",  "Tromsø",   "Łódź",      "Göteborg",      "Reykjavík",
	"Porto",    "Zürich",   "Ljubljana", "Dún Laoghaire", "Åre",
	"東京",     "Αθήνα",    "Київ",
};
static const char *const creators[] = {
	"Müller, Anna",           "O'Brien, Seán",   "Dvořák, Jiří",
	"García Márquez, Lucía",  "Nakamura, Yui",   "Smith & Sons",
	"Øvergaard, Ingrid",      "Lefèvre, Hélène", "Kowalczyk, Paweł",
	"Brown, \"Buddy\" James",
};
static const char *const subjects_en[] = {
	"Local history", "Maritime history",
	"Agriculture",   "Industrial archaeology",
	"Folk music",    "Cartography",
	"Education",     "Transport",
	"Religion",      "Politics & government",
};
static const char *const types[][3] = {
	/* dc:type (DCMI Type), MODS typeOfResource, media type */
	{ "Text", "text", "application/pdf" },
	{ "StillImage", "still image", "image/tiff" },
	{ "Sound", "sound recording", "audio/x-wav" },
	{ "Dataset", "software, multimedia", "text/csv" },
	{ "Image", "cartographic", "image/jp2" },
};
static const char *const langs[][2] = {
	/* BCP 47 for xml:lang, ISO 639-2/B for MODS */
	{ "en", "eng" },
	{ "fr", "fre" },
	{ "de", "ger" },
};

struct rng {
	uint64_t s;
};

/* splitmix64: small, fast, and good enough for varied test data. */
static uint64_t
next(struct rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static unsigned
pick(struct rng *r, size_t n)
{
	return (unsigned)(next(r) % n);
}

/* Appends text escaped for XML, dropping what XML 1.0 forbids: the
 * synthetic source values hold such characters on purpose. */
static int
esc(struct vl_buf *b, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *rep;

		if (c == '&')
			rep = "&amp;";
		else if (c == '<')
			rep = "&lt;";
		else if (c == '>')
			rep = "&gt;";
		else if (c == '"')
			rep = "&quot;";
		else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			rep = "";
		else
			continue;
		if (vl_buf_add(b, run, (size_t)(s - run)) < 0 ||
		    vl_buf_adds(b, rep) < 0)
			return VL_E_NOMEM;
		run = s + 1;
	}
	return vl_buf_adds(b, run);
}

/* The values of one record, as a curator's source might hold them. */
struct values {
	char title_en[160], title_fr[160];
	char descr[200], subject[80], place[40], year[8];
	const char *subject_de, *creator, *creator2, *const *type, *const *lang;
};

static void
make_values(struct values *v, struct rng *r, uint64_t n)
{
	unsigned a = pick(r, ARRAY_LEN(words_en)),
		 b = pick(r, ARRAY_LEN(words_en));
	unsigned p = pick(r, ARRAY_LEN(places));
	unsigned year = 1850 + pick(r, 170);

	memset(v, 0, sizeof(*v));
	snprintf(v->place, sizeof(v->place), "%s", places[p]);
	snprintf(v->year, sizeof(v->year), "%u", year);
	snprintf(v->title_en, sizeof(v->title_en), "%c%s of %s, %u",
		 words_en[a][0] - 32, words_en[a] + 1, places[p], year);
	snprintf(v->title_fr, sizeof(v->title_fr), "%s de %s, %u", words_fr[a],
		 places[p], year);
	/* Every 7th source value carries control characters (a vertical
	 * tab and a unit separator pasted from a word processor), every
	 * 5th markup-like text: both must come out as clean XML. */
	snprintf(v->descr, sizeof(v->descr), "%s%s: %s, %s (no. %llu); %s%s",
		 n % 7 == 0 ? "\v" : "", words_en[b], places[p],
		 n % 3 ? "good" : "fragile", (unsigned long long)n,
		 n % 5 ? "digitised" : "<see note> & \"sic\"",
		 n % 7 == 0 ? " \x1f" : "");
	snprintf(v->subject, sizeof(v->subject), "%s",
		 subjects_en[pick(r, ARRAY_LEN(subjects_en))]);
	v->subject_de = words_de[b];
	v->creator = creators[pick(r, ARRAY_LEN(creators))];
	v->creator2 =
		n % 4 == 0 ? creators[pick(r, ARRAY_LEN(creators))] : NULL;
	v->type = types[pick(r, ARRAY_LEN(types))];
	v->lang = langs[pick(r, ARRAY_LEN(langs))];
}

#define ELEM(b, open, text, close)                       \
	(vl_buf_adds(b, open) < 0 || esc(b, text) < 0 || \
	 vl_buf_adds(b, close) < 0)

/*
 * Record sizes: the catalog's metadata table is WITHOUT ROWID, where a
 * row of more than about 1000 bytes spills into an overflow page of its
 * own (see docs/oai.md).  These records stay below that, as many real
 * oai_dc records do, so a million of them load fast and take ~2 GB.
 */
#define INLINE_MAX 920

static int
make_dc(struct vl_buf *b, const struct values *v, const char *url)
{
	vl_buf_reset(b);
	if (vl_buf_adds(
		    b,
		    "<oai_dc:dc "
		    "xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/oai_dc/"
		    "\" "
		    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
		    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
		    "xsi:schemaLocation=\"http://www.openarchives.org/OAI/2.0/"
		    "oai_dc/ "
		    "http://www.openarchives.org/OAI/2.0/oai_dc.xsd\">") < 0 ||
	    ELEM(b, "<dc:title xml:lang=\"en\">", v->title_en, "</dc:title>") ||
	    ELEM(b, "<dc:title xml:lang=\"fr\">", v->title_fr, "</dc:title>") ||
	    ELEM(b, "<dc:creator>", v->creator, "</dc:creator>") ||
	    (v->creator2 &&
	     ELEM(b, "<dc:contributor>", v->creator2, "</dc:contributor>")) ||
	    ELEM(b, "<dc:subject xml:lang=\"en\">", v->subject,
		 "</dc:subject>") ||
	    ELEM(b, "<dc:subject xml:lang=\"de\">", v->subject_de,
		 "</dc:subject>") ||
	    ELEM(b, "<dc:description xml:lang=\"en\">", v->descr,
		 "</dc:description>") ||
	    ELEM(b, "<dc:date>", v->year, "</dc:date>") ||
	    ELEM(b, "<dc:type>", v->type[0], "</dc:type>") ||
	    ELEM(b, "<dc:identifier>", url, "</dc:identifier>") ||
	    ELEM(b, "<dc:language>", v->lang[1], "</dc:language>") ||
	    vl_buf_adds(b, "</oai_dc:dc>") < 0)
		return VL_E_NOMEM;
	return 0;
}

static int
make_mods(struct vl_buf *b, const struct values *v, const char *url,
	  const char *id)
{
	vl_buf_reset(b);
	if (vl_buf_adds(
		    b,
		    "<mods xmlns=\"http://www.loc.gov/mods/v3\" "
		    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
		    "version=\"3.8\" xsi:schemaLocation=\"http://www.loc.gov/"
		    "mods/v3 http://www.loc.gov/standards/mods/v3/"
		    "mods-3-8.xsd\">") < 0 ||
	    ELEM(b, "<titleInfo xml:lang=\"en\"><title>", v->title_en,
		 "</title></titleInfo>") ||
	    ELEM(b,
		 "<titleInfo type=\"translated\" lang=\"fre\" xml:lang=\"fr\">"
		 "<title>",
		 v->title_fr, "</title></titleInfo>") ||
	    ELEM(b, "<name type=\"personal\"><namePart>", v->creator,
		 "</namePart></name>") ||
	    ELEM(b, "<typeOfResource>", v->type[1], "</typeOfResource>") ||
	    ELEM(b, "<originInfo><dateIssued>", v->year,
		 "</dateIssued></originInfo>") ||
	    ELEM(b, "<abstract xml:lang=\"en\">", v->descr, "</abstract>") ||
	    ELEM(b, "<subject><topic>", v->subject, "</topic></subject>") ||
	    ELEM(b, "<identifier type=\"uri\">", url, "</identifier>") ||
	    ELEM(b, "<recordInfo><recordIdentifier>", id,
		 "</recordIdentifier></recordInfo></mods>"))
		return VL_E_NOMEM;
	return 0;
}

enum { S_OBJECT, S_METADATA, S_MEMBER, S_COLLECTION, S_MAXID, N_S };

static const char *const synth_sql[N_S] = {
	[S_OBJECT] = "INSERT INTO objects(id, created, datestamp, status,"
		     " deleted_at, delete_reason, title, md_version, source)"
		     " VALUES(?1, ?2, ?2, ?3, ?4, ?5, ?6, 1, 'synthetic')",
	[S_METADATA] = "INSERT INTO metadata(object_id, version, format, xml,"
		       " created, agent, note)"
		       " VALUES(?1, 1, ?2, ?3, ?4, 'vellum-synth', NULL)",
	[S_MEMBER] = "INSERT INTO object_collections(object_id, spec)"
		     " VALUES(?1, ?2)",
	[S_COLLECTION] = "INSERT OR IGNORE INTO collections(spec, name,"
			 " description, parent, created)"
			 " VALUES(?1, ?2, ?3, ?4, ?5)",
	[S_MAXID] = "SELECT max(id) FROM objects WHERE id > ?1 AND id < ?2",
};

struct loader {
	struct repo *r;
	sqlite3_stmt *st[N_S];
	char (*specs)[48];
	unsigned nspecs;
	struct vl_buf dc, mods, url;
	time_t base, span;
	char now[VL_TIME_LEN];
};

static int
step_done(struct loader *l, sqlite3_stmt *st, const char *what,
	  struct vl_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return vl_err_set(err, VL_E_DB, "cannot add %s: %s", what,
				  sqlite3_errmsg(l->r->db));
	return 0;
}

static int
make_collections(struct loader *l, unsigned k, struct vl_err *err)
{
	sqlite3_stmt *st = l->st[S_COLLECTION];
	unsigned i, top = 0;
	char name[96], desc[160], parent[48];
	int rc;

	if (!(l->specs = calloc(k, sizeof(*l->specs))))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	for (i = 0; i < k; i++) {
		/* Every third set is a child of the top-level set before
		 * it, so set=parent must also find the child's records. */
		parent[0] = '\0';
		if (i % 3 == 2) {
			snprintf(parent, sizeof(parent), "%s", l->specs[top]);
			snprintf(l->specs[i], sizeof(l->specs[i]), "%s:sub-%u",
				 parent, i);
		} else {
			top = i;
			snprintf(l->specs[i], sizeof(l->specs[i]), "coll-%u",
				 i);
		}
		snprintf(name, sizeof(name), "%s collection %u",
			 words_en[i % ARRAY_LEN(words_en)], i);
		snprintf(desc, sizeof(desc),
			 "Synthetic set %u: %s & %s from %s.", i,
			 words_en[i % ARRAY_LEN(words_en)],
			 words_en[(i + 3) % ARRAY_LEN(words_en)],
			 places[i % ARRAY_LEN(places)]);
		sqlite3_bind_text(st, 1, l->specs[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		if (i % 4 == 3)
			sqlite3_bind_null(st, 3); /* sets without description */
		else
			sqlite3_bind_text(st, 3, desc, -1, SQLITE_STATIC);
		if (*parent)
			sqlite3_bind_text(st, 4, parent, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_text(st, 5, l->now, -1, SQLITE_STATIC);
		if ((rc = step_done(l, st, "a collection", err)) < 0)
			return rc;
	}
	l->nspecs = k;
	return 0;
}

/* The first free number after existing ids with this prefix. */
static int
first_number(struct loader *l, const char *prefix, uint64_t *out,
	     struct vl_err *err)
{
	sqlite3_stmt *st = l->st[S_MAXID];
	char hi[256];
	const char *max;
	char *end;
	int rc;

	snprintf(hi, sizeof(hi), "%s\xff", prefix);
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*out = 1;
	if (rc == SQLITE_ROW &&
	    (max = (const char *)sqlite3_column_text(st, 0))) {
		*out = strtoull(max + strlen(prefix), &end, 10) + 1;
		if (*end || end == max + strlen(prefix)) {
			rc = vl_err_set(err, VL_E_EXISTS,
					"object '%s' has the id prefix '%s' "
					"but no number after it; choose "
					"another prefix",
					max, prefix);
			sqlite3_reset(st);
			return rc;
		}
	} else if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return repo_db_err(l->r->db, err, "catalog");
	}
	sqlite3_reset(st);
	return 0;
}

static int
add_record(struct loader *l, const struct oai_synth_opts *o, uint64_t n,
	   struct vl_err *err)
{
	struct rng r = { o->seed * 0x2545F4914F6CDD1DULL + n };
	struct values v;
	char id[96], ds[VL_TIME_LEN];
	int deleted = o->deleted_every && n % o->deleted_every == 0;
	sqlite3_stmt *st;
	unsigned a, b;
	int rc;

	snprintf(id, sizeof(id), "%s%08llu", o->id_prefix,
		 (unsigned long long)n);
	/* Datestamps: pseudo-random in [base, base + span), with about one
	 * record in eight sharing its second with another, so keyset
	 * paging meets ties on datestamp. */
	vl_time_format(ds, l->base + (time_t)(next(&r) % (uint64_t)l->span));
	make_values(&v, &r, n);
	vl_buf_reset(&l->url);
	if (vl_buf_addf(&l->url, "https://%s/objects/%s",
			l->r->cfg.oai_namespace, id) < 0 ||
	    make_dc(&l->dc, &v, l->url.buf) < 0 ||
	    (l->dc.len > INLINE_MAX && !(v.creator2 = NULL) &&
	     make_dc(&l->dc, &v, l->url.buf) < 0) ||
	    make_mods(&l->mods, &v, l->url.buf, id) < 0)
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	st = l->st[S_OBJECT];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ds, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, deleted ? "deleted" : "active", -1,
			  SQLITE_STATIC);
	if (deleted) {
		sqlite3_bind_text(st, 4, ds, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, "synthetic tombstone", -1,
				  SQLITE_STATIC);
	} else {
		sqlite3_bind_null(st, 4);
		sqlite3_bind_null(st, 5);
	}
	sqlite3_bind_text(st, 6, v.title_en, -1, SQLITE_STATIC);
	if ((rc = step_done(l, st, "an object", err)) < 0)
		return rc;
	/* In primary-key order: 'mods' < 'oai_dc'. */
	st = l->st[S_METADATA];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, "mods", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, l->mods.buf, (int)l->mods.len, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ds, -1, SQLITE_STATIC);
	if ((rc = step_done(l, st, "metadata", err)) < 0)
		return rc;
	sqlite3_bind_text(st, 2, "oai_dc", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, l->dc.buf, (int)l->dc.len, SQLITE_STATIC);
	if ((rc = step_done(l, st, "metadata", err)) < 0)
		return rc;
	if (!l->nspecs)
		return 0;
	/* One set, sometimes two; tombstones keep their sets (§2.5.1). */
	a = pick(&r, l->nspecs);
	b = n % 3 == 0 ? pick(&r, l->nspecs) : a;
	st = l->st[S_MEMBER];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, l->specs[a < b ? a : b], -1, SQLITE_STATIC);
	if ((rc = step_done(l, st, "a set membership", err)) < 0)
		return rc;
	if (a != b) {
		sqlite3_bind_text(st, 2, l->specs[a < b ? b : a], -1,
				  SQLITE_STATIC);
		if ((rc = step_done(l, st, "a set membership", err)) < 0)
			return rc;
	}
	return 0;
}

/* Sets the journal mode; 0 if the catalog now has it. */
static int
set_journal(sqlite3 *db, const char *mode)
{
	sqlite3_stmt *st;
	char sql[64];
	int rc = -1;

	snprintf(sql, sizeof(sql), "PRAGMA journal_mode = %s", mode);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    !strcasecmp((const char *)sqlite3_column_text(st, 0), mode))
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}

int
oai_synth(struct repo *r, const struct oai_synth_opts *o, struct vl_err *err)
{
	struct loader l;
	uint64_t first, i;
	int rc, k, wal = 1;

	memset(&l, 0, sizeof(l));
	l.r = r;
	vl_buf_init(&l.dc, 0);
	vl_buf_init(&l.mods, 0);
	vl_buf_init(&l.url, 0);
	vl_time_now(l.now);
	/* 2015-01-01 to a day ago: all in the past, as harvests expect. */
	l.base = 1420070400;
	l.span = time(NULL) - 86400 - l.base;
	if (strlen(o->id_prefix) > 64)
		return vl_err_set(err, VL_E_INVAL, "id prefix '%s' is too long",
				  o->id_prefix);
	for (k = 0; k < N_S; k++)
		if ((rc = repo_prepare(r, &l.st[k], synth_sql[k], err)) < 0)
			goto out;
	/* A big page cache keeps most of the load in memory until commit,
	 * and a rollback journal (possible only while no other process has
	 * the catalog open) writes new pages once instead of twice (log,
	 * then checkpoint).  repo_catalog_open() sets WAL again anyway. */
	sqlite3_exec(r->db, "PRAGMA cache_size = -262144", NULL, NULL, NULL);
	wal = set_journal(r->db, "DELETE") != 0;
	if ((rc = repo_begin(r, err)) < 0)
		goto out;
	if ((rc = first_number(&l, o->id_prefix, &first, err)) < 0 ||
	    (o->collections &&
	     (rc = make_collections(&l, o->collections, err)) < 0))
		goto fail;
	for (i = 0; i < o->count; i++) {
		if ((rc = add_record(&l, o, first + i, err)) < 0)
			goto fail;
		if (o->progress && (i + 1) % 4096 == 0)
			o->progress(o->progress_ctx, i + 1);
	}
	if ((rc = repo_commit(r, err)) < 0)
		goto fail;
	if (o->progress)
		o->progress(o->progress_ctx, o->count);
	/* Give the disk space of the write-ahead log back at once. */
	if (wal)
		sqlite3_exec(r->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
			     NULL, NULL);
	goto out;
fail:
	repo_rollback(r);
out:
	if (!wal)
		set_journal(r->db, "WAL");
	sqlite3_exec(r->db, "PRAGMA cache_size = -2000", NULL, NULL, NULL);
	for (k = 0; k < N_S; k++)
		sqlite3_finalize(l.st[k]);
	free(l.specs);
	vl_buf_release(&l.dc);
	vl_buf_release(&l.mods);
	vl_buf_release(&l.url);
	return rc;
}
