/* The accounts of ROOT/etc/passwd, read without NSS, broken lines recorded. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/error.h"

#include "live.h"
#include "live-locate.h"

/* Note a broken line: counted always, listed up to LIVE_BROKEN_MAX. */
static void
live_accounts_broken(json_t *passwd, json_t *broken, size_t line,
    const char *reason)
{
	json_t *count = json_object_get(passwd, "broken_lines");

	json_integer_set(count, json_integer_value(count) + 1);
	if (json_array_size(broken) >= LIVE_BROKEN_MAX)
		return;
	json_array_append_new(broken, json_pack("{s:I,s:s}", "line",
	    (json_int_t)line, "reason", reason));
}

/* Split a line into exactly seven colon-separated fields, in place. */
static bool
live_accounts_fields(char *line, char *field[7])
{
	int i;

	for (i = 0; i < 7; i++) {
		field[i] = line;
		line = strchr(line, ':');
		if (line == NULL)
			return i == 6;
		*line++ = '\0';
	}
	return false;
}

/* Why a passwd line cannot be an account, or NULL when it can. */
static const char *
live_accounts_problem(char *text, size_t len, char *field[7],
    unsigned long long *uid, unsigned long long *gid)
{
	if (len > LIVE_PASSWD_LINE_MAX)
		return "line longer than 4096 bytes";
	if (memchr(text, '\0', len) != NULL)
		return "NUL byte in line";
	if (text[0] == '+' || text[0] == '-')
		return "NIS entry, not an account";
	if (!live_accounts_fields(text, field))
		return "not seven fields";
	if (field[0][0] == '\0')
		return "empty user name";
	if (!live_decimal(field[2], uid) || *uid > UINT_MAX ||
	    !live_decimal(field[3], gid) || *gid > UINT_MAX)
		return "user or group id not a number";
	return NULL;
}

/* Add one well-formed line as an account. */
static int
live_accounts_add(struct live_accounts *a, size_t *size, char *field[7],
    unsigned long long uid, unsigned long long gid, size_t line)
{
	struct live_account *grown, *ac;
	char home[PATH_MAX];

	if ((grown = live_grow(a->v, size, a->n, sizeof *a->v)) == NULL)
		return -1;
	a->v = grown;
	ac = &a->v[a->n];
	memset(ac, 0, sizeof *ac);
	ac->uid = (unsigned long)uid;
	ac->gid = (unsigned long)gid;
	ac->line = line;
	ac->name = strdup(field[0]);
	ac->shell = strdup(field[6]);
	if (field[5][0] == '/' &&
	    live_locate_normalize(field[5], home, sizeof home) == 0)
		ac->home = strdup(home);
	if (ac->name == NULL || ac->shell == NULL ||
	    (field[5][0] == '/' && ac->home == NULL && strlen(field[5]) < PATH_MAX)) {
		free(ac->name);
		free(ac->shell);
		free(ac->home);
		return error_set_errno("strdup");
	}
	a->n++;
	return 0;
}

/* Turn the lines of a passwd file into accounts. */
static int
live_accounts_parse(struct live_accounts *a, char *data, size_t len,
    json_t *broken)
{
	char *line = data, *end, *field[7];
	unsigned long long uid, gid;
	const char *problem;
	size_t number = 0, size = 0;

	while (line < data + len) {
		end = memchr(line, '\n', (size_t)(data + len - line));
		if (end == NULL)
			end = data + len;
		*end = '\0';
		number++;
		if (line[0] == '\0' || line[0] == '#')
			;
		else if ((problem = live_accounts_problem(line,
		    (size_t)(end - line), field, &uid, &gid)) != NULL)
			live_accounts_broken(a->passwd, broken, number, problem);
		else if (a->n == LIVE_ACCOUNTS_MAX)
			json_object_set_new(a->passwd, "truncated", json_true());
		else if (live_accounts_add(a, &size, field, uid, gid, number) != 0)
			return -1;
		line = end + 1;
	}
	json_object_set_new(a->passwd, "lines", json_integer((json_int_t)number));
	json_object_set_new(a->passwd, "accounts", json_integer((json_int_t)a->n));
	return 0;
}

/* Read ROOT/etc/passwd into accounts. */
int
live_accounts_read(const struct live_run *run, struct live_accounts *a)
{
	struct live_file f;
	struct stat st;
	char real[PATH_MAX];
	json_t *broken = json_array();
	int rc;

	memset(a, 0, sizeof *a);
	a->passwd = json_pack("{s:s,s:I,s:o}", "path", "/etc/passwd",
	    "broken_lines", (json_int_t)0, "broken", broken);
	if (a->passwd == NULL)
		return error_set("out of memory");
	if (live_locate_read(run, "/etc/passwd", LIVE_PASSWD_MAX, &f, real,
	    &st) != 0) {
		json_object_set_new(a->passwd, "error", json_string(error_message()));
		return -1;
	}
	if (f.truncated)
		json_object_set_new(a->passwd, "truncated", json_true());
	rc = live_accounts_parse(a, f.data, f.len, broken);
	free(f.data);
	return rc;
}

/* Free the accounts and their record. */
void
live_accounts_free(struct live_accounts *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].home);
		free(a->v[i].shell);
	}
	free(a->v);
	json_decref(a->passwd);
	memset(a, 0, sizeof *a);
}
