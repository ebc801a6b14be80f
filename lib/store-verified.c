/*
 * What a verifier remembers of a case it verified: the tree head (size
 * and root) of the ledger it checked whole, kept in the verifying user's
 * own state directory, never in the case, so that someone who can
 * rewrite the case cannot rewrite what was verified. A later verify
 * proves the ledger extends that head and checks only the events after
 * it. The file is one JSON object (custody-formats(5), LEDGER VERIFIED
 * STATE); it is trusted only when it is a regular file of the user's,
 * writable by no one else.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/hash.h"
#include "custody/merkle.h"
#include "custody/store-check.h"
#include "custody/util.h"

#define STORE_VERIFIED_FORMAT	"custody-ledger-verified"
#define STORE_VERIFIED_VERSION	1
#define STORE_VERIFIED_MAX	4096	/* bytes of a state file */
#define STORE_VERIFIED_DIR	"custody/ledger-verified"

/* Make a directory of the user's (0700) unless it is there. 0 or -1. */
static int
store_verified_mkdir(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	return error_set_errno("%s", path);
}

/* The state directory: $XDG_STATE_HOME/custody/..., or ~/.local/state/custody/... */
static int
store_verified_dir(char *out, size_t size, bool create)
{
	const char *state = getenv("XDG_STATE_HOME"), *home;
	struct passwd *pw = getpwuid(geteuid());
	char base[4096];
	int n;

	/* The home of the user custody runs as, not of whoever set $HOME. */
	home = pw != NULL ? pw->pw_dir : NULL;

	if (state != NULL && state[0] == '/')
		n = snprintf(base, sizeof base, "%s", state);
	else if (home != NULL && home[0] == '/') {
		n = snprintf(base, sizeof base, "%s/.local", home);
		if (n > 0 && (size_t)n < sizeof base && create &&
		    store_verified_mkdir(base) != 0)
			return -1;
		n = snprintf(base, sizeof base, "%s/.local/state", home);
	} else
		return error_set("neither XDG_STATE_HOME nor the user's home "
		    "directory is an absolute path: nowhere to keep what was "
		    "verified");
	if (n < 0 || (size_t)n >= sizeof base)
		return error_set("the state directory's name is too long");
	if (create && store_verified_mkdir(base) != 0)
		return -1;
	n = snprintf(out, size, "%s/custody", base);
	if (n > 0 && (size_t)n < size && create && store_verified_mkdir(out) != 0)
		return -1;
	n = snprintf(out, size, "%s/%s", base, STORE_VERIFIED_DIR);
	if (n < 0 || (size_t)n >= size)
		return error_set("the state directory's name is too long");
	return create ? store_verified_mkdir(out) : 0;
}

/* The file a case's state is kept in: named by its id and its first event. */
int
store_verified_path(const char *case_id, size_t case_id_len,
    const merkle_hash first, char *out, size_t size, bool create)
{
	unsigned char id[32], *buf;
	char dir[4200], hex[65];
	int n, rc;

	if ((buf = malloc(case_id_len + 1 + MERKLE_HASH_SIZE)) == NULL)
		return error_set_errno("malloc");
	memcpy(buf, case_id, case_id_len);
	buf[case_id_len] = '\0';
	memcpy(buf + case_id_len + 1, first, MERKLE_HASH_SIZE);
	rc = hash_sha256(buf, case_id_len + 1 + MERKLE_HASH_SIZE, id);
	free(buf);
	if (rc != 0 || store_verified_dir(dir, sizeof dir, create) != 0)
		return -1;
	n = snprintf(out, size, "%s/%s.json", dir, util_hex(id, sizeof id, hex));
	if (n < 0 || (size_t)n >= size)
		return error_set("the state file's name is too long");
	return 0;
}

/* A state file is trusted only as the user's own regular file, writable by no one else. */
static int
store_verified_trusted(const char *path, int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return error_set_errno("%s", path);
	if (!S_ISREG(st.st_mode))
		return error_set("%s: not a regular file", path);
	if (st.st_uid != geteuid() || (st.st_mode & 022) != 0)
		return error_set("%s: owned by another user or writable by others: "
		    "it is not trusted (remove it)", path);
	return 0;
}

/* A hex SHA-256 member. 0 or -1. */
static int
store_verified_hash(json_t *o, const char *key, merkle_hash out)
{
	const char *hex = json_string_value(json_object_get(o, key));

	if (hex == NULL || json_string_length(json_object_get(o, key)) != 64 ||
	    util_unhex(hex, out, MERKLE_HASH_SIZE) != 0)
		return error_set("\"%s\" is not a SHA-256 in hex", key);
	return 0;
}

/* Check and read the members of a state. 0 or -1 (error set). */
static int
store_verified_members(json_t *o, const char *case_id, size_t case_id_len,
    const merkle_hash first, struct store_verified *v)
{
	json_t *id = json_object_get(o, "case_id"), *size = json_object_get(o, "size");
	const char *format = json_string_value(json_object_get(o, "format"));
	const char *at = json_string_value(json_object_get(o, "verified_at"));
	merkle_hash recorded;

	if (!json_is_object(o) || json_object_size(o) != 7 || format == NULL ||
	    strcmp(format, STORE_VERIFIED_FORMAT) != 0 ||
	    json_integer_value(json_object_get(o, "version")) != STORE_VERIFIED_VERSION)
		return error_set("not a version %d %s state", STORE_VERIFIED_VERSION,
		    STORE_VERIFIED_FORMAT);
	if (!json_is_integer(size) || json_integer_value(size) < 1 || at == NULL ||
	    strlen(at) >= sizeof v->verified_at || !json_is_string(id))
		return error_set("\"size\", \"verified_at\" or \"case_id\" is missing "
		    "or invalid");
	if (store_verified_hash(o, "first_event", recorded) != 0 ||
	    store_verified_hash(o, "root", v->root) != 0)
		return -1;
	if (json_string_length(id) != case_id_len ||
	    memcmp(json_string_value(id), case_id, case_id_len) != 0 ||
	    memcmp(recorded, first, MERKLE_HASH_SIZE) != 0)
		return error_set("it is of another case");
	v->size = (uint64_t)json_integer_value(size);
	snprintf(v->verified_at, sizeof v->verified_at, "%s", at);
	return 0;
}

/* Read a case's state: 0 read, 1 there is none, -1 unreadable or untrusted (error set). */
int
store_verified_load(const char *path, const char *case_id, size_t case_id_len,
    const merkle_hash first, struct store_verified *v)
{
	json_error_t jerr;
	size_t len;
	char *text;
	json_t *o;
	int fd, rc;

	memset(v, 0, sizeof *v);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 1 : error_set_errno("%s", path);
	if (store_verified_trusted(path, fd) != 0 ||
	    util_read_fd(fd, STORE_VERIFIED_MAX, &text, &len) != 0) {
		close(fd);
		return error_prefix("%s", path);
	}
	close(fd);
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (o == NULL)
		return error_set("%s: not JSON: %s (remove it to verify in full)",
		    path, jerr.text);
	rc = store_verified_members(o, case_id, case_id_len, first, v);
	json_decref(o);
	if (rc != 0)
		return error_prefix("%s (remove it to verify in full)", path);
	return 0;
}

/* The state as text: sorted keys, one line. NULL (error set). */
static char *
store_verified_text(const char *case_id, size_t case_id_len,
    const merkle_hash first, const struct store_verified *v)
{
	char first_hex[65], root_hex[65], *text;
	json_t *o = json_pack("{s:s%, s:s, s:s, s:s, s:I, s:s, s:i}", "case_id",
	    case_id, case_id_len, "first_event", util_hex(first, MERKLE_HASH_SIZE,
	    first_hex), "format", STORE_VERIFIED_FORMAT, "root", util_hex(v->root,
	    MERKLE_HASH_SIZE, root_hex), "size", (json_int_t)v->size,
	    "verified_at", v->verified_at, "version", STORE_VERIFIED_VERSION);

	if (o == NULL) {
		error_set("cannot build the verified state");
		return NULL;
	}
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(o);
	if (text == NULL)
		error_set("cannot serialize the verified state");
	return text;
}

/* Write a file whole under a temporary name, then rename it into place. 0 or -1. */
static int
store_verified_replace(const char *path, const char *text)
{
	char tmp[4300];
	int fd, n, rc;

	n = snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof tmp)
		return error_set("the state file's name is too long");
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600)) < 0)
		return error_set_errno("%s", tmp);
	rc = util_write_all(fd, text, strlen(text)) != 0 ||
	    util_write_all(fd, "\n", 1) != 0 ? error_prefix("%s", tmp) : 0;
	if (rc == 0 && fsync(fd) != 0)
		rc = error_set_errno("%s", tmp);
	if (close(fd) != 0 && rc == 0)
		rc = error_set_errno("%s", tmp);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = error_set_errno("%s", path);
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* Remember a case's verified tree head (replacing what was). 0 or -1. */
int
store_verified_save(const char *path, const char *case_id, size_t case_id_len,
    const merkle_hash first, const struct store_verified *v)
{
	char *text = store_verified_text(case_id, case_id_len, first, v);
	int rc;

	if (text == NULL)
		return -1;
	rc = store_verified_replace(path, text);
	free(text);
	return rc;
}
