/*
 * The histories source: shell and tool histories and start-up files of
 * every account in ROOT/etc/passwd, and of the system, handed to the file
 * collection; HISTFILE settings followed, history switched off recorded.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/profile.h"
#include "custody/util.h"

#include "atime.h"
#include "collector.h"
#include "live.h"
#include "live-histories.h"
#include "live-locate.h"

#define LIVE_HISTORY_SIZE_MAX	((int64_t)64 << 20)	/* per file, unless max_size */
#define LIVE_HOME_NAMES_MAX	20000	/* names read from one directory */

/* Where to look: a directory (relative to a home, or absolute) and a name pattern. */
struct live_place {
	const char	*dir;
	const char	*pattern;	/* fnmatch(3), FNM_PERIOD */
	const char	*kind;		/* "history" or "startup" */
};

/* In each home; rows of one directory are consecutive. */
static const struct live_place live_home_places[] = {
	{ "", ".*history*", "history" },	/* bash, zsh, sh, python, mysql, psql, node, sqlite, ... */
	{ "", ".*hst*", "history" },		/* .lesshst, .wget-hsts */
	{ "", ".viminfo", "history" },
	{ "", ".*_sessions", "history" },	/* .bash_sessions, .zsh_sessions */
	{ "", ".profile", "startup" },
	{ "", ".bash*", "startup" },		/* .bashrc, .bash_profile, .bash_login, .bash_logout, .bash_aliases */
	{ "", ".z*", "startup" },		/* .zshrc, .zprofile, .zshenv, .zlogin, .zlogout */
	{ "", ".*shrc", "startup" },		/* .kshrc, .mkshrc, .shrc, .cshrc, .tcshrc, .xonshrc */
	{ "", ".login", "startup" },
	{ "", ".logout", "startup" },
	{ ".local/share/fish", "fish_history*", "history" },
	{ ".local/share", "lesshst", "history" },
	{ ".local/state", "lesshst", "history" },
	{ ".local/share/nano", "*history", "history" },
	{ ".local/share/powershell/PSReadLine", "*_history.txt*", "history" },
	{ ".local/share/xonsh", "xonsh_history*", "history" },
	{ ".local/share/ion", "history", "history" },
	{ ".config/fish", "config.fish", "startup" },
	{ ".config/fish/conf.d", "*.fish", "startup" },
	{ ".config/powershell", "*.ps1", "startup" },
	{ NULL, NULL, NULL }
};

/* The system's start-up files, read by every account's shell. */
static const struct live_place live_system_places[] = {
	{ "/etc", "profile", "startup" },
	{ "/etc", "bash.bashrc", "startup" },
	{ "/etc", "bashrc", "startup" },
	{ "/etc", "bash.bash_logout", "startup" },
	{ "/etc", "environment", "startup" },
	{ "/etc", "zshenv", "startup" },
	{ "/etc", "zprofile", "startup" },
	{ "/etc", "zshrc", "startup" },
	{ "/etc", "zlogin", "startup" },
	{ "/etc", "zlogout", "startup" },
	{ "/etc", "csh.*", "startup" },
	{ "/etc", "ksh.kshrc", "startup" },
	{ "/etc", "mkshrc", "startup" },
	{ "/etc/profile.d", "*", "startup" },
	{ "/etc/zsh", "*", "startup" },
	{ "/etc/fish", "config.fish", "startup" },
	{ "/etc/fish/conf.d", "*.fish", "startup" },
	{ NULL, NULL, NULL }
};

/* The state of one run of the source. */
struct live_histories {
	struct live_run		*run;
	struct walk_rules	 rules;
	struct live_located	 located;
	void			*homes;		/* tsearch(3) of struct live_home */
	json_t			*system;	/* statements of the system's files */
	json_t			*statements;	/* every statement met */
	json_t			*findings;
};

/* A home searched, by its normalised path. */
struct live_home {
	const char	*path;
	json_t		*record;
};

/* Order homes for tsearch. */
static int
live_home_compare(const void *a, const void *b)
{
	return strcmp(((const struct live_home *)a)->path,
	    ((const struct live_home *)b)->path);
}

/* Join a directory and a name (or a relative path) as a host path. */
static int
live_histories_join(const char *dir, const char *name, char *out, size_t size)
{
	int n;

	if (name[0] == '\0')
		n = snprintf(out, size, "%s", dir);
	else
		n = snprintf(out, size, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir,
		    name);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Note a finding: something that stops or moves history. */
static void
live_histories_finding(struct live_histories *h, const char *kind,
    json_t *about, const char *home)
{
	json_t *f = json_deep_copy(about);

	if (f == NULL)
		return;
	json_object_set_new(f, "finding", json_string(kind));
	if (home != NULL)
		json_object_set_new(f, "home", live_string(home, strlen(home)));
	json_array_append_new(h->findings, f);
}

/*
 * Record where a link points (and whether reading it may have updated its
 * atime); a link to /dev/null keeps no history.
 */
static void
live_histories_link(struct live_histories *h, int dirfd, const char *name,
    const char *host, json_t *record, const char *kind)
{
	char target[PATH_MAX];
	size_t n;
	int rc = atime_readlink(dirfd, name, target, sizeof target, &n);

	if (rc < 0)
		return;
	json_object_set_new(record, "target", live_string(target, n));
	if (rc == 1)
		json_object_set_new(record, "atime_not_spared", json_true());
	if (strcmp(kind, "history") == 0 && strcmp(target, "/dev/null") == 0)
		live_histories_finding(h, "history-linked-to-dev-null", record,
		    NULL);
	(void)host;
}

/* Read a start-up file found in a directory and note its statements. */
static void
live_histories_scan(int dirfd, const char *name, const char *host,
    json_t *statements, json_t *record)
{
	struct live_file f;
	int fd = util_open_file(dirfd, name, NULL);

	if (fd < 0) {
		live_set_errno(record, "scan_error", errno);
		return;
	}
	if (live_read_fd(fd, LIVE_CONFIG_MAX, &f) != 0) {
		live_set_errno(record, "scan_error", errno);
		close(fd);
		return;
	}
	close(fd);
	if (f.truncated)
		json_object_set_new(record, "scan_truncated", json_true());
	live_histfile_scan(f.data, f.len, host, statements);
	free(f.data);
}

/* The type of an object, in words. */
static const char *
live_histories_type(mode_t mode)
{
	if (S_ISREG(mode))
		return "file";
	if (S_ISDIR(mode))
		return "directory";
	if (S_ISLNK(mode))
		return "link";
	return "other";
}

/* One name found in a place: recorded, handed to collection, scanned. */
static int
live_histories_found(struct live_histories *h, int dirfd, const char *name,
    const char *host, const char *kind, json_t *files, json_t *statements)
{
	struct stat st;
	json_t *record;
	int rc;

	if (live_locate_at(h->run, dirfd, name, host, &st) != 0)
		return 0;
	record = json_pack("{s:o,s:s,s:s}", "path", live_string(host,
	    strlen(host)), "kind", kind, "type", live_histories_type(st.st_mode));
	if (record == NULL)
		return 0;
	if (S_ISLNK(st.st_mode))
		live_histories_link(h, dirfd, name, host, record, kind);
	if ((rc = live_locate_collect(h->run, &h->located, host, &st,
	    &h->rules)) < 0) {
		json_decref(record);
		return -1;
	}
	json_object_set_new(record, "status", json_string(rc == 1 ?
	    "collected" : "already collected"));
	if (strcmp(kind, "startup") == 0 && S_ISREG(st.st_mode))
		live_histories_scan(dirfd, name, host, statements, record);
	json_array_append_new(files, record);
	return 0;
}

/* The kind of a name in a group of places of one directory, or NULL. */
static const char *
live_histories_match(const struct live_place *group, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fnmatch(group[i].pattern, name, FNM_PERIOD) == 0)
			return group[i].kind;
	return NULL;
}

/*
 * List one directory once for a group of places. -1 fatal; otherwise 0,
 * with *error the errno of a directory that could not be opened (0 when
 * it could, or when it is not there).
 */
static int
live_histories_place(struct live_histories *h, const char *dir,
    const struct live_place *group, size_t n, json_t *files,
    json_t *statements, int *error, json_t *record)
{
	struct dirent *d;
	const char *kind;
	char host[PATH_MAX];
	size_t names = 0;
	DIR *listing;
	int fd, rc = 0;

	*error = 0;
	if ((fd = live_locate_open_dir(h->run, dir)) < 0) {
		*error = errno == ENOENT ? 0 : errno;
		return 0;
	}
	if ((listing = fdopendir(fd)) == NULL) {
		*error = errno;
		close(fd);
		return 0;
	}
	while (rc == 0 && (d = readdir(listing)) != NULL) {
		if (++names > LIVE_HOME_NAMES_MAX) {
			json_object_set_new(record, "truncated", json_true());
			break;
		}
		if ((kind = live_histories_match(group, n, d->d_name)) == NULL ||
		    live_histories_join(dir, d->d_name, host, sizeof host) != 0)
			continue;
		rc = live_histories_found(h, dirfd(listing), d->d_name, host,
		    kind, files, statements);
	}
	closedir(listing);
	return rc;
}

/* Note a directory that could not be listed. */
static void
live_histories_unlisted(json_t *record, const char *dir, int error_number)
{
	json_t *list = json_object_get(record, "unreadable"), *p;

	if (list == NULL) {
		list = json_array();
		json_object_set_new(record, "unreadable", list);
	}
	p = json_pack("{s:o}", "path", live_string(dir, strlen(dir)));
	live_set_errno(p, "error", error_number);
	json_array_append_new(list, p);
}

/*
 * Search every place of a table, below base ("" for absolute places).
 * The first error of base itself is returned in *base_error.
 */
static int
live_histories_places(struct live_histories *h, const struct live_place *table,
    const char *base, json_t *files, json_t *statements, json_t *record,
    int *base_error)
{
	char dir[PATH_MAX];
	size_t i, n;
	int error, rc = 0;

	*base_error = 0;
	for (i = 0; table[i].dir != NULL && rc == 0; i += n) {
		for (n = 1; table[i + n].dir != NULL &&
		    strcmp(table[i + n].dir, table[i].dir) == 0; n++)
			;
		if (base[0] == '\0')
			snprintf(dir, sizeof dir, "%s", table[i].dir);
		else if (live_histories_join(base, table[i].dir, dir,
		    sizeof dir) != 0)
			continue;
		rc = live_histories_place(h, dir, &table[i], n, files,
		    statements, &error, record);
		if (error != 0 && table[i].dir[0] == '\0') {
			*base_error = error;
			break;
		}
		if (error != 0)
			live_histories_unlisted(record, dir, error);
	}
	return rc;
}

/* Expand a HISTFILE value for a home; NULL (and why) when it cannot be. */
static const char *
live_histories_expand(const char *value, bool literal, const char *home,
    char *out, size_t size)
{
	const char *rest = NULL;
	char joined[PATH_MAX * 2];

	if (!literal && (strcmp(value, "~") == 0 || strncmp(value, "~/", 2) == 0))
		rest = value + 1;
	else if (!literal && strncmp(value, "$HOME", 5) == 0 &&
	    (value[5] == '/' || value[5] == '\0'))
		rest = value + 5;
	else if (!literal && strncmp(value, "${HOME}", 7) == 0)
		rest = value + 7;
	else if (!literal && strpbrk(value, "$`") != NULL)
		return "not resolved: names a variable or a command";
	else if (!literal && value[0] == '~')
		return "not resolved: another account's home";
	if (rest != NULL)
		snprintf(joined, sizeof joined, "%s/%s", home, rest);
	else if (value[0] == '/')
		snprintf(joined, sizeof joined, "%s", value);
	else
		snprintf(joined, sizeof joined, "%s/%s", home, value);
	if (strlen(joined) >= PATH_MAX ||
	    live_locate_normalize(joined, out, size) != 0)
		return "not resolved: longer than a path can be";
	return NULL;
}

/* True when path lies in (or is) dir. */
static bool
live_histories_inside(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, len) == 0 && (path[len] == '/' ||
	    path[len] == '\0');
}

/* Collect the file a resolved HISTFILE names, as far as it may be. */
static int
live_histories_target(struct live_histories *h, const char *path,
    json_t *out)
{
	struct stat st;
	int rc;

	if (live_locate_file(h->run, path, &st, out) != 1)
		return 0;
	if ((rc = live_locate_collect(h->run, &h->located, path, &st,
	    &h->rules)) < 0)
		return -1;
	json_object_set_new(out, "status", json_string(rc == 1 ? "collected" :
	    "already collected"));
	return 0;
}

/* Resolve one HISTFILE assignment for a home (NULL: absolute only) into out. */
static int
live_histories_assignment(struct live_histories *h, json_t *statement,
    const char *home, json_t *out)
{
	json_t *value = json_object_get(statement, "value");
	const char *text = json_string_value(value), *why;
	char path[PATH_MAX];

	if (text == NULL) {
		json_object_set_new(out, "status",
		    json_string("not resolved: longer than 4095 bytes"));
		return 0;
	}
	if (text[0] == '\0') {
		json_object_set_new(out, "status",
		    json_string("history switched off: HISTFILE is empty"));
		live_histories_finding(h, "history-disabled", statement, home);
		return 0;
	}
	if ((why = live_histories_expand(text, json_is_true(json_object_get(
	    statement, "literal")), home != NULL ? home : "/", path,
	    sizeof path)) != NULL) {
		json_object_set_new(out, "status", json_string(why));
		return 0;
	}
	json_object_set_new(out, "path", live_string(path, strlen(path)));
	if (strcmp(path, "/dev/null") == 0) {
		json_object_set_new(out, "status",
		    json_string("history switched off: HISTFILE is /dev/null"));
		live_histories_finding(h, "history-disabled", statement, home);
		return 0;
	}
	if (home != NULL && !live_histories_inside(path, home))
		live_histories_finding(h, "history-outside-home", out, home);
	return live_histories_target(h, path, out);
}

/* True when an assignment's value depends on the home it is read for. */
static bool
live_histories_per_home(json_t *statement)
{
	const char *text = json_string_value(json_object_get(statement, "value"));

	return text != NULL && text[0] != '/' && text[0] != '\0' &&
	    !json_is_true(json_object_get(statement, "literal"));
}

/* Findings of the statements that are not assignments. */
static void
live_histories_switches(struct live_histories *h, json_t *statements,
    const char *home)
{
	static const char *const kinds[][2] = {
		{ "unset", "history-unset" },
		{ "size-zero", "history-size-zero" },
		{ "history-off", "history-off" },
	};
	const char *kind;
	json_t *s;
	size_t i, k;

	json_array_foreach(statements, i, s) {
		kind = json_string_value(json_object_get(s, "kind"));
		for (k = 0; kind != NULL && k < 3; k++)
			if (strcmp(kind, kinds[k][0]) == 0)
				live_histories_finding(h, kinds[k][1], s, home);
	}
}

/* Resolve assignments for a home: its own, then the system's that depend on it. */
static int
live_histories_resolve(struct live_histories *h, json_t *own,
    const char *home, json_t *record)
{
	json_t *list = json_array(), *s, *out;
	size_t i;
	int rc = 0;

	json_array_foreach(own, i, s) {
		if (rc != 0 || strcmp(json_string_value(json_object_get(s,
		    "kind")), "assignment") != 0)
			continue;
		out = json_pack("{s:O,s:O,s:O}", "file", json_object_get(s, "file"),
		    "line", json_object_get(s, "line"), "value",
		    json_object_get(s, "value"));
		rc = live_histories_assignment(h, s, home, out);
		json_array_append_new(list, out);
	}
	json_array_foreach(h->system, i, s) {
		if (rc != 0 || strcmp(json_string_value(json_object_get(s,
		    "kind")), "assignment") != 0 || !live_histories_per_home(s))
			continue;
		out = json_pack("{s:O,s:O,s:O}", "file", json_object_get(s, "file"),
		    "line", json_object_get(s, "line"), "value",
		    json_object_get(s, "value"));
		rc = live_histories_assignment(h, s, home, out);
		json_array_append_new(list, out);
	}
	json_object_set_new(record, "histfile", list);
	return rc;
}

/* Say why a home was not searched, from a failed lstat or its type. */
static bool
live_histories_home_usable(struct live_histories *h, const char *home,
    json_t *record)
{
	struct stat st;
	char disk[PATH_MAX], target[PATH_MAX];
	size_t n;
	int rc;
	const char *status = NULL;

	if (live_locate_stat(h->run, home, &st) != 0) {
		status = live_locate_why(errno);
		if (errno != ENOENT)
			live_set_errno(record, "error", errno);
	} else if (S_ISLNK(st.st_mode)) {
		status = "symbolic link, not followed";
		rc = live_locate_disk(h->run, home, disk, sizeof disk) != 0 ? -1 :
		    atime_readlink(AT_FDCWD, disk, target, sizeof target, &n);
		if (rc >= 0)
			json_object_set_new(record, "target",
			    live_string(target, n));
		if (rc == 1)
			json_object_set_new(record, "atime_not_spared",
			    json_true());
	} else if (!S_ISDIR(st.st_mode))
		status = "not a directory";
	if (status != NULL)
		json_object_set_new(record, "status", json_string(status));
	return status == NULL;
}

/* Search one home, once, whatever number of accounts share it. */
static int
live_histories_home(struct live_histories *h, const char *home, json_t *record)
{
	json_t *files, *own;
	int error, rc;

	if (!live_histories_home_usable(h, home, record))
		return 0;
	files = json_array();
	own = json_array();
	rc = live_histories_places(h, live_home_places, home, files, own, record,
	    &error);
	if (error != 0) {
		json_object_set_new(record, "status", json_string("unreadable"));
		live_set_errno(record, "error", error);
	} else
		json_object_set_new(record, "status", json_string("searched"));
	json_object_set_new(record, "files", files);
	if (rc == 0)
		rc = live_histories_resolve(h, own, home, record);
	live_histories_switches(h, own, home);
	json_array_extend(h->statements, own);
	json_decref(own);
	return rc;
}

/* The record of an account's home, made (and searched) on first sight. */
static int
live_histories_account_home(struct live_histories *h,
    const struct live_account *a, json_t *homes)
{
	struct live_home *key, **found;
	json_t *record;

	if ((key = calloc(1, sizeof *key)) == NULL)
		return error_set_errno("calloc");
	key->path = a->home;
	if ((found = tsearch(key, &h->homes, live_home_compare)) == NULL) {
		free(key);
		return error_set_errno("tsearch");
	}
	if (*found != key) {
		free(key);
		json_array_append_new(json_object_get((*found)->record,
		    "accounts"), json_string(a->name));
		return 0;
	}
	record = json_pack("{s:o,s:[s]}", "path", live_string(a->home,
	    strlen(a->home)), "accounts", a->name);
	key->record = record;
	json_array_append_new(homes, record);
	return live_histories_home(h, a->home, record);
}

/* Every account: recorded, its home searched once. */
static int
live_histories_accounts(struct live_histories *h,
    const struct live_accounts *accounts, json_t *list, json_t *homes)
{
	const struct live_account *a;
	json_t *record;
	size_t i;

	for (i = 0; i < accounts->n; i++) {
		a = &accounts->v[i];
		record = json_pack("{s:o,s:I,s:I,s:o,s:o,s:I}", "name",
		    live_string(a->name, strlen(a->name)), "uid", (json_int_t)a->uid,
		    "gid", (json_int_t)a->gid, "home", a->home != NULL ?
		    live_string(a->home, strlen(a->home)) : json_null(),
		    "shell", live_string(a->shell, strlen(a->shell)),
		    "line", (json_int_t)a->line);
		json_array_append_new(list, record);
		if (a->home == NULL) {
			json_object_set_new(record, "home_status",
			    json_string("not an absolute path: not searched"));
			continue;
		}
		if (live_histories_account_home(h, a, homes) != 0)
			return -1;
	}
	return 0;
}

/* The system's start-up files, and their absolute HISTFILE values. */
static int
live_histories_system(struct live_histories *h, json_t *doc)
{
	json_t *record = json_object(), *files = json_array(), *s, *out;
	size_t i;
	int error, rc;

	rc = live_histories_places(h, live_system_places, "", files, h->system,
	    record, &error);
	json_object_set_new(record, "files", files);
	json_array_foreach(h->system, i, s) {
		if (rc != 0 || strcmp(json_string_value(json_object_get(s,
		    "kind")), "assignment") != 0 || live_histories_per_home(s))
			continue;
		out = json_object();
		rc = live_histories_assignment(h, s, NULL, out);
		json_object_update(s, out);
		json_decref(out);
	}
	live_histories_switches(h, h->system, NULL);
	json_array_extend(h->statements, h->system);
	json_object_set_new(doc, "system", record);
	return rc;
}

/* Fill the histories document. */
static int
live_histories_fill(struct live_run *run)
{
	struct live_histories h = { .run = run };
	struct live_accounts accounts;
	json_t *list = json_array(), *homes = json_array();
	int rc;

	h.rules.max_depth = 2;
	h.rules.max_size = run->max_size >= 0 ? run->max_size :
	    LIVE_HISTORY_SIZE_MAX;
	h.rules.over_limit = PROFILE_OVER_LIMIT_TRUNCATE;
	h.rules.root = run->root;
	h.system = json_array();
	h.statements = json_array();
	h.findings = json_array();
	json_object_set_new(run->doc, "root", json_string(run->root));
	json_object_set_new(run->doc, "limits", json_pack("{s:I,s:i,s:I}",
	    "max_size", (json_int_t)h.rules.max_size, "max_depth", 2,
	    "names_per_directory", (json_int_t)LIVE_HOME_NAMES_MAX));
	rc = live_histories_system(&h, run->doc);
	if (live_accounts_read(run, &accounts) != 0)
		live_note(run->errors);
	json_object_set(run->doc, "passwd", accounts.passwd);
	if (rc == 0)
		rc = live_histories_accounts(&h, &accounts, list, homes);
	json_object_set_new(run->doc, "accounts", list);
	json_object_set_new(run->doc, "homes", homes);
	json_object_set_new(run->doc, "statements", h.statements);
	json_object_set_new(run->doc, "findings", h.findings);
	json_object_set_new(run->doc, "collected",
	    json_integer((json_int_t)h.located.count));
	live_accounts_free(&accounts);
	live_located_free(&h.located);
	tdestroy(h.homes, free);
	json_decref(h.system);
	return rc;
}

const struct live_reader live_reader_histories = {
	.origin = "ROOT/etc/passwd, the homes it names, the system's shell "
	    "start-up files",
	.fill = live_histories_fill,
};
