/*
 * repo.h - a Vellum repository: its configuration, its SQLite catalog and
 * its PREMIS event log.  Everything above this layer (fixity, metadata,
 * ingest, oai, cli) reaches the repository through this header.
 *
 * A repository is a directory holding:
 *   vellum.conf   configuration (key = value lines, see docs/config.md)
 *   catalog.db    the SQLite catalog (schema in docs/catalog.md)
 *   storage/      the storage root (configurable)
 *
 * Threads: a struct repo and its sqlite3 handle belong to one thread.
 */
#ifndef REPO_H
#define REPO_H

#include <sqlite3.h>
#include <stdint.h>

#include "vl.h"

#define REPO_CONF_NAME    "vellum.conf"
#define REPO_CATALOG_NAME "catalog.db"

/* Configuration, read once at open.  All strings are owned by the repo. */
struct repo_config {
	char *name;          /* repositoryName in OAI Identify */
	char *base_url;      /* OAI-PMH base URL */
	char *admin_email;   /* adminEmail; may hold several, comma-separated */
	char *oai_namespace; /* oai-identifier namespace, e.g. demo.example.org
			      */
	char *digests;       /* default digest algorithms, comma-separated */
	char *schema_dir;    /* XSD directory for validation ("" = none) */
	char *storage_root;  /* absolute path of the storage root */
	char *notify_url;    /* audit failure webhook ("" = none) */
	char *mail_to;       /* audit failure mail ("" = none) */
	char *listen;        /* default address for `vellum serve` */
	unsigned page_size;  /* OAI-PMH list page size */
};

struct repo {
	char *path; /* absolute repository directory */
	struct repo_config cfg;
	sqlite3 *db;
	/* The event log's statements, prepared on first use (events.c) and
	 * finalized by repo_close(): an ingest or audit adds many events. */
	sqlite3_stmt *ev_last, *ev_insert;
	/* The user events are recorded for, looked up on the first event
	 * (a passwd lookup per event cost 14 us). */
	char *ev_user;
};

/* Options for repo_init(); NULL fields take defaults. */
struct repo_init_opts {
	const char *name, *base_url, *admin_email, *oai_namespace;
	const char *digests, *schema_dir, *storage_root;
};

/* Creates a new repository in dir (created if missing; must be empty of
 * any Vellum repository).  VL_E_EXISTS if one is already there. */
int repo_init(const char *dir, const struct repo_init_opts *opts,
	      struct vl_err *err);

/*
 * Finds the repository directory: explicit (the -r argument) if given,
 * else $VELLUM_REPO, else the current directory if it holds vellum.conf.
 * Writes the directory into out.  VL_E_NOTFOUND with a message naming
 * the place looked at otherwise.
 */
int repo_locate(struct vl_buf *out, const char *explicit_dir,
		struct vl_err *err);

/* Opens the repository at dir: reads the config, opens the catalog and
 * applies pending migrations.  VL_E_VERSION if the catalog is newer than
 * this binary.  *out is freed with repo_close(). */
int repo_open(struct repo **out, const char *dir, struct vl_err *err);
void repo_close(struct repo *r);

/* Parses a config file into cfg (used by repo_open, exposed for tests).
 * Errors name the file and line.  repo_config_release() frees strings. */
int repo_config_load(struct repo_config *cfg, const char *path,
		     const char *repo_dir, struct vl_err *err);
void repo_config_release(struct repo_config *cfg);
/* Documented keys with their meaning, NULL-terminated, for help text. */
extern const char *const repo_config_keys[][2];

/* ---- catalog ---- */

/* Catalog schema version this binary writes (PRAGMA user_version). */
int repo_catalog_version(void);
/* Opens (creating if allowed) a catalog file with Vellum's settings. */
int repo_catalog_open(sqlite3 **out, const char *path, int create,
		      struct vl_err *err);
/* Transactions: BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int repo_begin(struct repo *r, struct vl_err *err);
int repo_commit(struct repo *r, struct vl_err *err);
void repo_rollback(struct repo *r);
/* Fills err with "what: sqlite message" and returns VL_E_DB. */
int repo_db_err(sqlite3 *db, struct vl_err *err, const char *what);
/* Prepares sql; on failure fills err.  Finalize with sqlite3_finalize. */
int repo_prepare(struct repo *r, sqlite3_stmt **st, const char *sql,
		 struct vl_err *err);
/* Reads / writes a value in the settings table.  get returns a
 * malloc'd string in *out or NULL when unset. */
int repo_setting_get(struct repo *r, const char *key, char **out,
		     struct vl_err *err);
int repo_setting_set(struct repo *r, const char *key, const char *value,
		     struct vl_err *err);

struct repo_stats {
	int64_t objects, deleted, files, bytes, collections, events;
	int64_t metadata_versions;
	char last_audit[VL_TIME_LEN]; /* "" if never */
	char last_audit_outcome[16];
};
int repo_stats(struct repo *r, struct repo_stats *st, struct vl_err *err);

/* ---- collections (OAI-PMH sets) ---- */

/* Checks that spec is a valid setSpec: levels of letters, digits and
 * -_.!~*'() separated by ':'. */
int repo_collection_check(const char *spec, struct vl_err *err);
/* Creates the collection and its ancestors ("a:b" needs "a") if missing.
 * Call inside the caller's transaction. */
int repo_collection_ensure(struct repo *r, const char *spec,
			   struct vl_err *err);

/* ---- PREMIS events (append-only, hash-chained) ---- */

enum repo_outcome { REPO_SUCCESS, REPO_FAILURE, REPO_WARNING };

struct repo_event {
	const char *object_id; /* may be NULL for repository-level events */
	const char *file_path; /* may be NULL */
	const char *type;      /* LoC eventType code: "ing", "fix", ... */
	enum repo_outcome outcome;
	const char *detail;         /* eventDetail: what was done, how */
	const char *outcome_detail; /* eventOutcomeDetailNote */
	const char *datetime;       /* NULL = now */
};

/* Label of an LoC eventType code ("fix" -> "fixity check"), or NULL. */
const char *repo_event_label(const char *code);
const char *repo_outcome_name(enum repo_outcome o);
#define REPO_EVENT_TYPE_BASE \
	"http://id.loc.gov/vocabulary/preservation/eventType/"

/* Appends an event; the caller may hold a transaction (then the event is
 * part of it).  The agent is "vellum/VERSION" and the user from the
 * environment.  Fills uuid_out (37 bytes) if not NULL. */
int repo_event_add(struct repo *r, const struct repo_event *ev, char *uuid_out,
		   struct vl_err *err);
/* Recomputes the hash chain; VL_E_CHECK naming the first broken event.
 * Events removed by repo_event_prune() are bridged by their recorded
 * (seq, prev_hash, hash); count is the number of events present. */
int repo_event_verify_chain(struct repo *r, int64_t *count, struct vl_err *err);
/* Removes the events with the given seq numbers (n of them), keeping
 * each one's (seq, prev_hash, hash) in table event_prunes so the chain
 * still verifies.  Runs inside the caller's transaction if one is open.
 * The deletion trigger allows it only inside this call. */
int repo_event_prune(struct repo *r, const int64_t *seqs, size_t n,
		     struct vl_err *err);

/* ---- storage ----
 *
 * Every stored byte is reached through these functions: nothing outside
 * repo/ builds a storage path or opens a stored file itself, so another
 * backend (object storage) can replace the POSIX one behind them.
 *
 * An object is stored under an opaque key (repo_store_key()).  It is built
 * in a stage - a private local working directory - and becomes visible
 * only at repo_stage_commit(), atomically: a crash before leaves nothing
 * but a stage that repo_store_clean_stages() removes; after, the whole
 * object.  Stages are locked by their process, so cleaning never touches
 * the stage of a live ingest.
 *
 * POSIX backend layout (docs/storage.md):
 *   ROOT/objects/XX/YY/ENCODED-ID/   the bag; XX/YY are the first four hex
 *                                    digits of SHA-256(id)
 *   ROOT/.staging/ENCODED-ID.RANDOM/ stages (object/ inside is what gets
 *                                    stored), each with a .lock file
 *   ROOT/.trash/                     objects being removed
 */

struct repo_stage;

/* The storage key of an object id; malloc'd, caller frees. */
char *repo_store_key(const char *object_id);

enum repo_stage_mode {
	REPO_STAGE_CREATE,  /* a new object: repo_stage_dir() exists, empty */
	REPO_STAGE_VACANT,  /* a new object whose directory the caller
			       creates (e.g. by making a bag into it) */
	REPO_STAGE_REPLACE, /* an update: repo_stage_dir() starts as the
			       stored object, payload files hard-linked */
};

/* Starts a stage.  For REPO_STAGE_REPLACE, write new content only by
 * replacing files (vl_write_file_atomic), never by writing into an
 * existing file: it is shared with the stored object. */
int repo_stage_new(struct repo *r, const char *object_id,
		   enum repo_stage_mode mode, struct repo_stage **out,
		   struct vl_err *err);
/* Where the object is built: a local directory, inside the stage. */
const char *repo_stage_dir(const struct repo_stage *s);
/* A private scratch directory beside it, removed with the stage and
 * covered by its lock (temporary files, unpacked archives). */
const char *repo_stage_scratch(const struct repo_stage *s);
/*
 * Makes the stage durable (its files, directories and commit marker, by
 * syncing the storage file system) and puts it in place with one rename: a new
 * object with RENAME_NOREPLACE (VL_E_EXISTS if the key is taken), an update
 * with RENAME_EXCHANGE. Then the caller commits the catalog and calls
 * repo_stage_finish(), or repo_stage_rollback() if that commit failed.  version
 * is the md_version the catalog will hold for the object once committed
 * (updates).  If the process dies in between, repo_store_clean_stages() undoes
 * the store unless the catalog recorded it.  On error the stage is still owned
 * by the caller (abort it).
 */
int repo_stage_commit(struct repo_stage *s, int64_t version,
		      struct vl_err *err);
/* repo_stage_commit() for n stages at once (versions[i] for s[i]; NULL
 * means 1 for all), syncing the file system twice for the whole group.
 * On error some stages may be in place: the caller rolls back each
 * (repo_stage_rollback undoes only what was stored). */
int repo_stage_commit_many(struct repo_stage *const *s, const int64_t *versions,
			   size_t n, struct vl_err *err);
/* The catalog recorded the commit: drop the stage (for an update, the old
 * version) and free it. */
void repo_stage_finish(struct repo_stage *s);
/* The catalog commit failed: undo the store (remove the new object, or
 * swap the old version back), drop the stage, free it. */
int repo_stage_rollback(struct repo_stage *s, struct vl_err *err);
/* Removes the stage and frees it.  NULL is fine. */
void repo_stage_abort(struct repo_stage *s);

/*
 * A stage group: the stages of a batch share one locked directory and one
 * commit marker, so each object costs no lock file, marker or directory
 * of its own (creating and removing those per object is most of what a
 * small object's store costs).  repo_stage_new_in() works like
 * repo_stage_new() (and may be called from several threads); its stages
 * have no scratch directory (repo_stage_scratch() is NULL).  Free the
 * group after every stage in it was finished, rolled back or aborted.
 */
struct repo_stage_group;
int repo_stage_group_new(struct repo *r, struct repo_stage_group **out,
			 struct vl_err *err);
int repo_stage_new_in(struct repo_stage_group *g, const char *object_id,
		      enum repo_stage_mode mode, struct repo_stage **out,
		      struct vl_err *err);
/* Removes the group's directory and lock.  NULL is fine. */
void repo_stage_group_free(struct repo_stage_group *g);

/* Removes stages left by processes that died, first undoing a store
 * their catalog commit never recorded; reports each through cb (may be
 * NULL).  Returns the number removed, or a negative code. */
int repo_store_clean_stages(struct repo *r,
			    void (*cb)(void *ctx, const char *what), void *ctx,
			    struct vl_err *err);

#define REPO_SIZE_UNKNOWN UINT64_MAX

struct repo_stat {
	uint64_t size; /* REPO_SIZE_UNKNOWN when not asked for */
	int regular;   /* 0: a symlink, device, directory ... not a file */
	time_t mtime;
};

/* Opens a stored file read-only (never through a symlink).  VL_E_NOTFOUND
 * if missing, VL_E_UNSAFE if not a regular file. */
int repo_store_open(struct repo *r, const char *key, const char *relpath,
		    int *fd, struct vl_err *err);
int repo_store_stat(struct repo *r, const char *key, const char *relpath,
		    struct repo_stat *st, struct vl_err *err);
/* Calls cb for every entry below the object (files and anything else that
 * is not a directory), relative paths in byte order.  cb returns 0 to go
 * on, non-zero to stop (returned). */
int repo_store_list(struct repo *r, const char *key,
		    int (*cb)(void *ctx, const char *relpath,
			      const struct repo_stat *st),
		    void *ctx, struct vl_err *err);
/* A stored object held open for reading many of its files (an audit):
 * its directory is resolved once, its files relative to it.  The same
 * rules as repo_store_open() and repo_store_list(); usable from several
 * threads at once.  VL_E_NOTFOUND if the object is not stored. */
struct repo_object;
int repo_object_open(struct repo *r, const char *key, struct repo_object **out,
		     struct vl_err *err);
int repo_object_file(struct repo_object *o, const char *relpath, int *fd,
		     struct vl_err *err);
/* flags: REPO_LIST_NO_SIZES when sizes are not needed (regular files
 * may then come with REPO_SIZE_UNKNOWN and mtime 0: no stat each). */
#define REPO_LIST_NO_SIZES 1u
int repo_object_list(struct repo_object *o, unsigned flags,
		     int (*cb)(void *ctx, const char *relpath,
			       const struct repo_stat *st),
		     void *ctx, struct vl_err *err);
void repo_object_close(struct repo_object *o);
/* Calls cb with every stored object key (for doctor). */
int repo_store_list_objects(struct repo *r,
			    int (*cb)(void *ctx, const char *key), void *ctx,
			    struct vl_err *err);
int repo_store_exists(struct repo *r, const char *key);
/* Replaces (or creates) one stored file of an object with the bytes of
 * src_fd from its start: written to a temporary file beside it, fsync'd,
 * renamed over the old entry (a file or a planted symlink), directory
 * fsync'd.  Missing directories on the way are created; a symlink on the
 * way is refused (VL_E_UNSAFE).  For restoring a damaged file from a
 * replica; never for changing an object (that is a stage's job). */
int repo_store_replace_file(struct repo *r, const char *key,
			    const char *relpath, int src_fd,
			    struct vl_err *err);
/* Removes a stored object: moved to the trash in one rename, then
 * deleted. */
int repo_store_delete(struct repo *r, const char *key, struct vl_err *err);

#endif
