/*
 * events.c - the PREMIS 3 event log.
 *
 * Events are rows, append-only (triggers refuse UPDATE, and DELETE unless
 * a prune has been explicitly allowed), and hash-chained: each row stores
 * the SHA-256 of its own fields together with the previous row's hash, so
 * an edited, inserted or removed row breaks the chain from that point on
 * and repo_event_verify_chain() names it.
 *
 * The chain is read and extended inside one write transaction, so two
 * processes appending at once cannot fork it.
 */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "repo.h"

#define GENESIS_HASH \
	"0000000000000000000000000000000000000000000000000000000000000000"

static const char *const event_labels[][2] = {
	{ "acc", "accession" },
	{ "cap", "capture" },
	{ "cre", "creation" },
	{ "dea", "deaccession" },
	{ "del", "deletion" },
	{ "exp", "exporting" },
	{ "fil", "filename change" },
	{ "fix", "fixity check" },
	{ "for", "format identification" },
	{ "ine", "ingestion end" },
	{ "ing", "ingestion" },
	{ "ins", "ingestion start" },
	{ "ipc", "information package creation" },
	{ "mee", "metadata extraction" },
	{ "mem", "metadata modification" },
	{ "mes", "message digest calculation" },
	{ "mig", "migration" },
	{ "nor", "normalization" },
	{ "pac", "packing" },
	{ "rec", "recovery" },
	{ "ref", "refreshment" },
	{ "rep", "replication" },
	{ "tra", "transfer" },
	{ "unp", "unpacking" },
	{ "val", "validation" },
	{ "vir", "virus check" },
	{ NULL, NULL },
};

const char *
repo_event_label(const char *code)
{
	size_t i;

	for (i = 0; event_labels[i][0]; i++)
		if (!strcmp(event_labels[i][0], code))
			return event_labels[i][1];
	return NULL;
}

const char *
repo_outcome_name(enum repo_outcome o)
{
	switch (o) {
	case REPO_SUCCESS: return "success";
	case REPO_FAILURE: return "failure";
	case REPO_WARNING: return "warning";
	}
	return "failure";
}

/*
 * A version 7 UUID (RFC 9562 section 5.7): the Unix time in milliseconds,
 * then 74 random bits.  Events are inserted in time order, so their
 * uuid index grows at its end: a transaction adding many events (an
 * ingest, an audit, a harvested page) dirties a few index pages instead
 * of one page per event, as random (version 4) ones did.
 */
static void
make_uuid(char out[37])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	struct timespec ts;
	uint64_t ms;
	size_t i, j;
	int k;

	if (RAND_bytes(b + 6, 10) != 1)
		abort(); /* the CSPRNG failing is not recoverable */
	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	for (k = 0; k < 6; k++)
		b[k] = (unsigned char)(ms >> (40 - 8 * k));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x70);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (i = 0, j = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		out[j++] = hex[b[i] >> 4];
		out[j++] = hex[b[i] & 15];
	}
	out[36] = '\0';
}

static const char *
current_user(struct repo *r)
{
	struct passwd pwb, *pw = NULL;
	const char *u = getenv("VELLUM_USER");
	char buf[4096];

	if (u && *u)
		return u;
	if (!r->ev_user) {
		if (getpwuid_r(getuid(), &pwb, buf, sizeof(buf), &pw) != 0)
			pw = NULL;
		r->ev_user = strdup(pw ? pw->pw_name : "unknown");
	}
	return r->ev_user ? r->ev_user : "unknown";
}

/* Each field is length-prefixed so no two field lists hash alike. */
static void
hash_field(EVP_MD_CTX *md, const char *s)
{
	char len[24];
	size_t n = s ? strlen(s) : 0;

	snprintf(len, sizeof(len), "%c%zu:", s ? 's' : 'n', n);
	EVP_DigestUpdate(md, len, strlen(len));
	if (n)
		EVP_DigestUpdate(md, s, n);
}

static int
event_hash(char out[65], const char *const fields[11])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dn = 0, i;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return VL_E_NOMEM;
	}
	for (i = 0; i < 11; i++)
		hash_field(md, fields[i]);
	EVP_DigestFinal_ex(md, d, &dn);
	EVP_MD_CTX_free(md);
	for (i = 0; i < dn && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	out[64] = '\0';
	return 0;
}

/* A statement of the event log, prepared once per connection; the
 * caller resets it after use. */
static int
cached(struct repo *r, sqlite3_stmt **st, const char *sql, struct vl_err *err)
{
	if (*st)
		return 0;
	return repo_prepare(r, st, sql, err);
}

static int
last_hash(struct repo *r, char out[65], struct vl_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = cached(r, &r->ev_last,
			 "SELECT hash FROM events ORDER BY seq DESC LIMIT 1",
			 err)) < 0)
		return rc;
	st = r->ev_last;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, 65, "%s", sqlite3_column_text(st, 0));
	else if (rc == SQLITE_DONE)
		snprintf(out, 65, "%s", GENESIS_HASH);
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE)
		     ? 0
		     : repo_db_err(r->db, err, "event log");
	sqlite3_reset(st);
	return rc;
}

static int
insert_event(struct repo *r, const struct repo_event *ev, char uuid[37],
	     struct vl_err *err)
{
	char prev[65], hash[65], now[VL_TIME_LEN], agent[64];
	const char *fields[11];
	sqlite3_stmt *st;
	int rc, i;

	if ((rc = last_hash(r, prev, err)) < 0)
		return rc;
	make_uuid(uuid);
	if (!ev->datetime)
		vl_time_now(now);
	snprintf(agent, sizeof(agent), "vellum/%s", VELLUM_VERSION);
	fields[0] = prev;
	fields[1] = uuid;
	fields[2] = ev->object_id;
	fields[3] = ev->file_path;
	fields[4] = ev->type;
	fields[5] = ev->datetime ? ev->datetime : now;
	fields[6] = repo_outcome_name(ev->outcome);
	fields[7] = ev->detail;
	fields[8] = ev->outcome_detail;
	fields[9] = agent;
	fields[10] = current_user(r);
	if (event_hash(hash, fields) < 0)
		return vl_err_set(err, VL_E_NOMEM, "cannot hash event");
	if ((rc = cached(r, &r->ev_insert,
			 "INSERT INTO events(prev_hash, uuid, object_id,"
			 " file_path, type, datetime, outcome, detail,"
			 " outcome_detail, agent, agent_user, hash)"
			 " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
			 err)) < 0)
		return rc;
	st = r->ev_insert;
	for (i = 0; i < 11; i++)
		sqlite3_bind_text(st, i + 1, fields[i], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? 0
		     : repo_db_err(r->db, err, "event log");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int
repo_event_add(struct repo *r, const struct repo_event *ev, char *uuid_out,
	       struct vl_err *err)
{
	char uuid[37];
	int own = sqlite3_get_autocommit(r->db);
	int rc;

	if (!ev->type || !repo_event_label(ev->type))
		return vl_err_set(err, VL_E_INVAL, "unknown event type '%s'",
				  ev->type ? ev->type : "(null)");
	if (own && (rc = repo_begin(r, err)) < 0)
		return rc;
	rc = insert_event(r, ev, uuid, err);
	if (own) {
		if (rc == 0)
			rc = repo_commit(r, err);
		if (rc < 0)
			repo_rollback(r);
	}
	if (rc == 0 && uuid_out)
		memcpy(uuid_out, uuid, 37);
	return rc;
}

static const char *
col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/*
 * Walks events and pruned rows together in seq order.  A present event
 * must chain to the one before and hash to its stored hash; a pruned row
 * (its content is gone) must chain to the one before, and its recorded
 * hash carries the chain on.  So removing a row without recording it,
 * or recording it wrongly, still breaks the chain.
 */
int
repo_event_verify_chain(struct repo *r, int64_t *count, struct vl_err *err)
{
	char prev[65] = GENESIS_HASH, hash[65];
	const char *fields[11];
	sqlite3_stmt *st;
	int64_t n = 0;
	int rc, i, pruned;

	if ((rc = repo_prepare(r, &st,
			       "SELECT prev_hash, uuid, object_id, file_path,"
			       " type, datetime, outcome, detail,"
			       " outcome_detail, agent, agent_user, hash, seq,"
			       " 0 FROM events UNION ALL SELECT prev_hash,"
			       " NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
			       " NULL, NULL, NULL, hash, seq, 1 FROM"
			       " event_prunes ORDER BY 13",
			       err)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < 11; i++)
			fields[i] = col(st, i);
		pruned = sqlite3_column_int(st, 13);
		if (!fields[0] || strcmp(fields[0], prev) != 0) {
			rc = vl_err_set(err, VL_E_CHECK,
					"event log broken at event %lld (%s):"
					" previous event missing or changed",
					sqlite3_column_int64(st, 12),
					fields[1] ? fields[1]
					: pruned  ? "pruned"
						  : "?");
			goto out;
		}
		if (pruned) {
			snprintf(prev, sizeof(prev), "%s", col(st, 11));
			continue;
		}
		event_hash(hash, fields);
		if (!col(st, 11) || strcmp(hash, col(st, 11)) != 0) {
			rc = vl_err_set(err, VL_E_CHECK,
					"event log broken at event %lld (%s):"
					" its content was changed",
					sqlite3_column_int64(st, 12),
					fields[1] ? fields[1] : "?");
			goto out;
		}
		memcpy(prev, hash, sizeof(prev));
		n++;
	}
	rc = rc == SQLITE_DONE ? 0 : repo_db_err(r->db, err, "event log");
out:
	sqlite3_finalize(st);
	if (count)
		*count = n;
	return rc;
}

int
repo_event_prune(struct repo *r, const int64_t *seqs, size_t n,
		 struct vl_err *err)
{
	sqlite3_stmt *keep = NULL, *del = NULL;
	char now[VL_TIME_LEN];
	int own = sqlite3_get_autocommit(r->db);
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	if (own && (rc = repo_begin(r, err)) < 0)
		return rc;
	vl_time_now(now);
	/* The trigger lets DELETE through only while this setting is 'yes':
	 * it is set and cleared inside this transaction, so no other
	 * connection ever sees it. */
	if ((rc = repo_setting_set(r, "allow_event_prune", "yes", err)) < 0 ||
	    (rc = repo_prepare(r, &keep,
			       "INSERT INTO event_prunes(seq, prev_hash, hash,"
			       " pruned) SELECT seq, prev_hash, hash, ?2 FROM"
			       " events WHERE seq = ?1",
			       err)) < 0 ||
	    (rc = repo_prepare(r, &del, "DELETE FROM events WHERE seq = ?",
			       err)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(keep, 1, seqs[i]);
		sqlite3_bind_text(keep, 2, now, -1, SQLITE_STATIC);
		sqlite3_bind_int64(del, 1, seqs[i]);
		if (sqlite3_step(keep) != SQLITE_DONE ||
		    sqlite3_step(del) != SQLITE_DONE) {
			rc = repo_db_err(r->db, err, "event log");
			goto out;
		}
		sqlite3_reset(keep);
		sqlite3_reset(del);
	}
	rc = repo_setting_set(r, "allow_event_prune", "no", err);
out:
	sqlite3_finalize(keep);
	sqlite3_finalize(del);
	if (own) {
		if (rc == 0)
			rc = repo_commit(r, err);
		if (rc < 0)
			repo_rollback(r);
	}
	return rc;
}
