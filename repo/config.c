/*
 * config.c - the repository configuration file, vellum.conf.
 *
 * Format: one "key = value" per line; blank lines and lines starting with
 * '#' are ignored; unknown keys and malformed lines are errors naming the
 * file and line, so a typo never silently falls back to a default.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo.h"

const char *const repo_config_keys[][2] = {
	{ "name", "repository name (OAI Identify repositoryName)" },
	{ "base_url", "public OAI-PMH base URL, e.g. http://host/oai" },
	{ "admin_email", "administrator e-mail(s), comma-separated" },
	{ "oai_namespace", "namespace of oai:NAMESPACE:ID identifiers" },
	{ "digests", "default digest algorithms, comma-separated (sha512)" },
	{ "schema_dir", "directory of XSD schemas for validation" },
	{ "storage_root", "storage root, relative to the repository" },
	{ "notify_url", "webhook POSTed when an audit finds a failure" },
	{ "mail_to", "address mailed when an audit finds a failure" },
	{ "listen", "address:port for `vellum serve` (127.0.0.1:8080)" },
	{ "page_size", "OAI-PMH records per list page (100)" },
	{ NULL, NULL },
};

void
repo_config_release(struct repo_config *cfg)
{
	free(cfg->name);
	free(cfg->base_url);
	free(cfg->admin_email);
	free(cfg->oai_namespace);
	free(cfg->digests);
	free(cfg->schema_dir);
	free(cfg->storage_root);
	free(cfg->notify_url);
	free(cfg->mail_to);
	free(cfg->listen);
	memset(cfg, 0, sizeof(*cfg));
}

static char **
config_slot(struct repo_config *cfg, const char *key)
{
	if (!strcmp(key, "name"))
		return &cfg->name;
	if (!strcmp(key, "base_url"))
		return &cfg->base_url;
	if (!strcmp(key, "admin_email"))
		return &cfg->admin_email;
	if (!strcmp(key, "oai_namespace"))
		return &cfg->oai_namespace;
	if (!strcmp(key, "digests"))
		return &cfg->digests;
	if (!strcmp(key, "schema_dir"))
		return &cfg->schema_dir;
	if (!strcmp(key, "storage_root"))
		return &cfg->storage_root;
	if (!strcmp(key, "notify_url"))
		return &cfg->notify_url;
	if (!strcmp(key, "mail_to"))
		return &cfg->mail_to;
	if (!strcmp(key, "listen"))
		return &cfg->listen;
	return NULL;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
set_default(char **slot, const char *value)
{
	if (*slot)
		return 0;
	*slot = strdup(value);
	return *slot ? 0 : VL_E_NOMEM;
}

/* Resolves a path relative to the repository directory. */
static int
absolutize(char **slot, const char *repo_dir)
{
	char *p;
	size_t n;

	if (!*slot || !**slot || (*slot)[0] == '/')
		return 0;
	n = strlen(repo_dir) + strlen(*slot) + 2;
	if (!(p = malloc(n)))
		return VL_E_NOMEM;
	snprintf(p, n, "%s/%s", repo_dir, *slot);
	free(*slot);
	*slot = p;
	return 0;
}

static int
parse_line(struct repo_config *cfg, char *line, const char *path,
	   unsigned lineno, struct vl_err *err)
{
	char *eq, *key, *value, **slot;
	char *end;
	unsigned long n;

	line = trim(line);
	if (!*line || *line == '#')
		return 0;
	if (!(eq = strchr(line, '=')))
		return vl_err_set(err, VL_E_FORMAT,
				  "%s:%u: expected 'key = value'", path,
				  lineno);
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (!strcmp(key, "page_size")) {
		n = strtoul(value, &end, 10);
		if (*end || n < 1 || n > 10000)
			return vl_err_set(err, VL_E_FORMAT,
					  "%s:%u: page_size must be 1 to "
					  "10000, not '%s'",
					  path, lineno, value);
		cfg->page_size = (unsigned)n;
		return 0;
	}
	if (!(slot = config_slot(cfg, key)))
		return vl_err_set(err, VL_E_FORMAT, "%s:%u: unknown key '%s'",
				  path, lineno, key);
	free(*slot);
	if (!(*slot = strdup(value)))
		return vl_err_set(err, VL_E_NOMEM, "out of memory");
	return 0;
}

int
repo_config_load(struct repo_config *cfg, const char *path,
		 const char *repo_dir, struct vl_err *err)
{
	struct vl_buf text = VL_BUF_INIT;
	char *line, *next;
	unsigned lineno = 0;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if ((rc = vl_read_file(&text, path, 1 << 20, err)) < 0)
		goto out;
	for (line = text.buf; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if ((rc = parse_line(cfg, line, path, lineno, err)) < 0)
			goto out;
	}
	if (set_default(&cfg->name, "Vellum repository") ||
	    set_default(&cfg->base_url, "http://127.0.0.1:8080/oai") ||
	    set_default(&cfg->admin_email, "admin@example.org") ||
	    set_default(&cfg->oai_namespace, "vellum.localhost") ||
	    set_default(&cfg->digests, "sha512") ||
	    set_default(&cfg->schema_dir, "") ||
	    set_default(&cfg->storage_root, "storage") ||
	    set_default(&cfg->notify_url, "") ||
	    set_default(&cfg->mail_to, "") ||
	    set_default(&cfg->listen, "127.0.0.1:8080") ||
	    absolutize(&cfg->storage_root, repo_dir) ||
	    absolutize(&cfg->schema_dir, repo_dir)) {
		rc = vl_err_set(err, VL_E_NOMEM, "out of memory");
		goto out;
	}
	if (!cfg->page_size)
		cfg->page_size = 100;
out:
	if (rc < 0)
		repo_config_release(cfg);
	vl_buf_release(&text);
	return rc;
}
