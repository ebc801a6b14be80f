/* Unit tests of lib/profile.c: the format, its errors, sizes and loading. */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "custody/error.h"
#include "custody/profile.h"

/* A directory for profile files, made by setup, removed by teardown. */
static char temp_dir[] = "/tmp/custody-test-profile-XXXXXX";

/* One profile that must be refused, with a piece of the message expected. */
struct bad_case {
	const char	*yaml;
	const char	*expected;
};

/* A malloc'd printf. */
static char * __attribute__((format(printf, 1, 2)))
format(const char *fmt, ...)
{
	va_list ap;
	char *out;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(len >= 0);
	out = malloc((size_t)len + 1);
	assert_non_null(out);
	va_start(ap, fmt);
	vsnprintf(out, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return out;
}

/* Assert that text is a profile rejected with a message containing expected. */
static void
assert_rejected(const char *yaml, size_t len, const char *expected)
{
	struct profile *profile;

	error_clear();
	profile = profile_parse(yaml, len, "t.yaml");
	if (profile != NULL || strstr(error_message(), expected) == NULL)
		print_error("profile:\n%.300s\nexpected \"%s\"\n"
		    "got \"%s\"\n", yaml, expected, profile != NULL ? "(accepted)" : error_message());
	assert_null(profile);
	assert_non_null(strstr(error_message(), expected));
	profile_free(profile);
}

/* Parse a profile that must be accepted. */
static struct profile *
parse_ok(const char *yaml)
{
	struct profile *profile;

	profile = profile_parse(yaml, strlen(yaml), "t.yaml");
	if (profile == NULL)
		print_error("unexpected error: %s\n", error_message());
	assert_non_null(profile);
	return profile;
}

/* True when name is in profile_live_names. */
static int
live_known(const char *name)
{
	size_t i;

	for (i = 0; profile_live_names[i] != NULL; i++)
		if (strcmp(profile_live_names[i], name) == 0)
			return 1;
	return 0;
}

/* Check what every entry of any profile must satisfy. */
static void
assert_entry_sane(const struct profile_entry *entry)
{
	size_t i;

	if (entry->source == PROFILE_LIVE) {
		assert_non_null(entry->live);
		assert_null(entry->path);
		assert_true(live_known(entry->live));
		assert_int_equal(entry->max_depth, -1);
		/* A live source's cap on the content it keeps, or its default. */
		assert_true(entry->max_size >= -1);
	} else {
		assert_int_equal(entry->source, PROFILE_PATH);
		assert_non_null(entry->path);
		assert_null(entry->live);
		assert_int_equal(entry->path[0], '/');
		assert_null(strstr(entry->path, "//"));
		assert_null(strstr(entry->path, "/../"));
		assert_true(entry->max_depth >= -1);
		assert_true(entry->max_size >= -1);
	}
	assert_non_null(entry->exclude);
	for (i = 0; i < entry->exclude_count; i++)
		assert_non_null(entry->exclude[i]);
	assert_null(entry->exclude[entry->exclude_count]);
}

/* Index of the first path entry with this path, or -1. */
static int
find_path(const struct profile *profile, const char *path)
{
	size_t i;

	for (i = 0; i < profile->entry_count; i++)
		if (profile->entries[i].source == PROFILE_PATH &&
		    strcmp(profile->entries[i].path, path) == 0)
			return (int)i;
	return -1;
}

/* Index of the first live entry of this source, or -1. */
static int
find_live(const struct profile *profile, const char *live)
{
	size_t i;

	for (i = 0; i < profile->entry_count; i++)
		if (profile->entries[i].source == PROFILE_LIVE &&
		    strcmp(profile->entries[i].live, live) == 0)
			return (int)i;
	return -1;
}

/* True when a built-in profile of this name exists. */
static int
builtin_exists(const char *name)
{
	const char *const *names = profile_builtin_names();
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* The four built-in profiles exist, parse and have sane entries. */
static void
test_builtins_parse(void **state)
{
	const char *const *names = profile_builtin_names();
	struct profile *profile;
	size_t i, j;

	(void)state;
	assert_true(builtin_exists("triage"));
	assert_true(builtin_exists("logs"));
	assert_true(builtin_exists("configs"));
	assert_true(builtin_exists("full"));
	assert_non_null(names[0]);
	assert_non_null(names[1]);
	assert_non_null(names[2]);
	assert_non_null(names[3]);
	assert_null(names[4]);
	for (i = 0; names[i] != NULL; i++) {
		assert_non_null(profile_builtin_text(names[i]));
		profile = profile_load(names[i]);
		if (profile == NULL)
			print_error("%s: %s\n", names[i], error_message());
		assert_non_null(profile);
		assert_string_equal(profile->name, names[i]);
		assert_non_null(profile->description);
		assert_true(profile->entry_count > 0);
		for (j = 0; j < profile->entry_count; j++)
			assert_entry_sane(&profile->entries[j]);
		profile_free(profile);
	}
}

/* Triage reads all live sources first, in the documented order. */
static void
test_builtin_triage(void **state)
{
	static const char *const order[] = { "processes", "sockets", "users",
	    "modules", "mounts", "network", "system" };
	struct profile *profile = profile_load("triage");
	const struct profile_entry *entry;
	size_t i;
	int at;

	(void)state;
	assert_non_null(profile);
	assert_true(profile->entry_count > 7);
	for (i = 0; i < 7; i++) {
		assert_int_equal(profile->entries[i].source, PROFILE_LIVE);
		assert_string_equal(profile->entries[i].live, order[i]);
	}
	/* Further live sources follow those seven, before any path. */
	while (i < profile->entry_count &&
	    profile->entries[i].source == PROFILE_LIVE)
		i++;
	for (; i < profile->entry_count; i++)
		assert_int_equal(profile->entries[i].source, PROFILE_PATH);
	assert_true(find_path(profile, "/var/log") > 0);
	assert_true(find_path(profile, "/etc") >
	    find_path(profile, "/var/log"));
	/* Histories and logs are found where they are, by the live sources. */
	assert_true(find_live(profile, "histories") > 0);
	assert_true(find_live(profile, "logfiles") > 0);
	assert_int_equal(find_path(profile, "/home/*/.*history"), -1);
	assert_true(find_path(profile, "/var/spool/cron") > 0);
	assert_true(find_path(profile, "/home/*/.ssh/authorized_keys*") > 0);
	at = find_path(profile, "/tmp");
	assert_true(at > 0);
	entry = &profile->entries[at];
	assert_int_equal(entry->max_size, (int64_t)32 << 20);
	assert_int_equal(entry->max_total, (int64_t)128 << 20);
	assert_int_equal(entry->over_limit, PROFILE_OVER_LIMIT_SKIP);
	assert_int_equal(entry->keep, PROFILE_CLASS_MASK(PROFILE_CLASS_SCRIPT) |
	    PROFILE_CLASS_MASK(PROFILE_CLASS_ELF) |
	    PROFILE_CLASS_MASK(PROFILE_CLASS_ARCHIVE));
	assert_int_equal(entry->skipped, PROFILE_SKIPPED_SUMMARY);
	assert_int_equal(entry->content, PROFILE_CONTENT_ARCHIVE);
	entry = &profile->entries[find_path(profile, "/var/log")];
	assert_int_equal(entry->max_size, (int64_t)256 << 20);
	assert_string_equal(entry->exclude[0], "/var/log/journal");
	profile_free(profile);
}

/* Full is triage's entries, then hash-only entries of the program trees. */
static void
test_builtin_full(void **state)
{
	struct profile *triage = profile_load("triage");
	struct profile *full = profile_load("full");
	const struct profile_entry *entry;
	size_t i;
	int at;

	(void)state;
	assert_non_null(triage);
	assert_non_null(full);
	assert_string_equal(full->name, "full");
	assert_true(full->entry_count > triage->entry_count);
	for (i = 0; i < triage->entry_count; i++)
		assert_int_equal(full->entries[i].source,
		    triage->entries[i].source);
	at = find_path(full, "/usr/bin");
	assert_true(at >= 0 && (size_t)at >= triage->entry_count);
	entry = &full->entries[at];
	assert_int_equal(entry->content, PROFILE_CONTENT_HASH);
	assert_int_equal(entry->keep, PROFILE_CLASS_MASK(PROFILE_CLASS_ELF) |
	    PROFILE_CLASS_MASK(PROFILE_CLASS_EXECUTABLE));
	profile_free(triage);
	profile_free(full);
}

/* Every key of the format lands in the right field. */
static void
test_full_example(void **state)
{
	struct profile *profile;
	const struct profile_entry *e;

	(void)state;
	profile = parse_ok(
	    "name: my-profile_2\n"
	    "description: \"for tests\"\n"
	    "entries:\n"
	    "  - live: sockets\n"
	    "    description: open sockets\n"
	    "  - path: /var/log/\n"
	    "    max_depth: 8\n"
	    "    max_size: 256M\n"
	    "    over_limit: skip\n"
	    "    exclude: [\"*.gz\", \"/var/log/journal/*\"]\n"
	    "    description: >-\n"
	    "      logs\n"
	    "      folded\n"
	    "  - {path: \"/home/*/.ssh/[a-z]*\", exclude: \"*.pub\", "
	    "max_size: 0, max_depth: 0, over_limit: truncate}\n"
	    "  - path: /\n"
	    "    keep: [archive, script, executable, script]\n"
	    "    content: hash\n"
	    "    skipped: summary\n"
	    "    max_total: 1G\n");
	assert_string_equal(profile->name, "my-profile_2");
	assert_string_equal(profile->description, "for tests");
	assert_int_equal(profile->entry_count, 4);
	e = &profile->entries[0];
	assert_int_equal(e->source, PROFILE_LIVE);
	assert_string_equal(e->live, "sockets");
	assert_string_equal(e->description, "open sockets");
	assert_int_equal(e->exclude_count, 0);
	assert_null(e->exclude[0]);
	e = &profile->entries[1];
	assert_int_equal(e->source, PROFILE_PATH);
	assert_string_equal(e->path, "/var/log");
	assert_int_equal(e->max_depth, 8);
	assert_int_equal(e->max_size, (int64_t)256 * 1024 * 1024);
	assert_int_equal(e->over_limit, PROFILE_OVER_LIMIT_SKIP);
	assert_int_equal(e->exclude_count, 2);
	assert_string_equal(e->exclude[0], "*.gz");
	assert_string_equal(e->exclude[1], "/var/log/journal/*");
	assert_null(e->exclude[2]);
	assert_string_equal(e->description, "logs folded");
	e = &profile->entries[2];
	assert_string_equal(e->path, "/home/*/.ssh/[a-z]*");
	assert_int_equal(e->exclude_count, 1);
	assert_string_equal(e->exclude[0], "*.pub");
	assert_int_equal(e->max_size, 0);
	assert_int_equal(e->max_depth, 0);
	assert_int_equal(e->over_limit, PROFILE_OVER_LIMIT_TRUNCATE);
	e = &profile->entries[3];
	assert_string_equal(e->path, "/");
	assert_int_equal(e->keep, PROFILE_CLASS_MASK(PROFILE_CLASS_ARCHIVE) |
	    PROFILE_CLASS_MASK(PROFILE_CLASS_SCRIPT) |
	    PROFILE_CLASS_MASK(PROFILE_CLASS_EXECUTABLE));
	assert_int_equal(e->content, PROFILE_CONTENT_HASH);
	assert_int_equal(e->skipped, PROFILE_SKIPPED_SUMMARY);
	assert_int_equal(e->max_total, (int64_t)1 << 30);
	assert_int_equal(profile->entries[2].keep, 0);
	assert_int_equal(profile->entries[2].max_total, -1);
	assert_int_equal(profile->entries[2].content, PROFILE_CONTENT_ARCHIVE);
	assert_int_equal(profile->entries[2].skipped, PROFILE_SKIPPED_EACH);
	profile_free(profile);
}

/* Keys left out take their documented defaults. */
static void
test_defaults(void **state)
{
	struct profile *profile;
	const struct profile_entry *e;

	(void)state;
	profile = parse_ok("---\nname: d\nentries:\n- path: /etc\n...\n");
	assert_null(profile->description);
	assert_int_equal(profile->entry_count, 1);
	e = &profile->entries[0];
	assert_int_equal(e->source, PROFILE_PATH);
	assert_null(e->live);
	assert_null(e->description);
	assert_int_equal(e->max_depth, -1);
	assert_int_equal(e->max_size, -1);
	assert_int_equal(e->over_limit, PROFILE_OVER_LIMIT_TRUNCATE);
	assert_int_equal(e->exclude_count, 0);
	assert_non_null(e->exclude);
	assert_null(e->exclude[0]);
	profile_free(profile);
}

/* A live entry takes a root (trailing slashes dropped, "/" the host) and a size cap. */
static void
test_live_root(void **state)
{
	struct profile *profile;

	(void)state;
	profile = parse_ok("name: r\nentries:\n- live: logfiles\n  root: /mnt/img//\n"
	    "  max_size: 4K\n- live: users\n  root: /\n- live: system\n");
	assert_int_equal(profile->entry_count, 3);
	assert_string_equal(profile->entries[0].root, "/mnt/img");
	assert_int_equal(profile->entries[0].max_size, 4096);
	assert_string_equal(profile->entries[1].root, "");
	assert_null(profile->entries[2].root);
	assert_int_equal(profile->entries[2].max_size, -1);
	profile_free(profile);
}

#define HEAD "name: t\nentries:\n"

static const struct bad_case bad_cases[] = {
	/* Unknown keys, with the line and column of the key. */
	{ HEAD "  - path: /var/log\n    max_dept: 8\n",
	  "t.yaml:4:5: unknown key \"max_dept\" in entry" },
	{ "name: t\nentry:\n  - live: users\n",
	  "t.yaml:2:1: unknown key \"entry\" in profile" },
	{ HEAD "  - path: /x\n    ? [a]\n    : b\n",
	  "t.yaml:4:7: keys in entry must be strings" },
	/* Duplicate keys. */
	{ "name: t\nentries:\n  - live: users\nname: u\n",
	  "t.yaml:4:1: duplicate key \"name\" in profile (first at 1:1)" },
	{ HEAD "  - path: /a\n    path: /b\n",
	  "t.yaml:4:5: duplicate key \"path\" in entry (first at 3:5)" },
	/* Missing keys. */
	{ "entries:\n  - live: users\n",
	  "t.yaml:1:1: missing required key \"name\" in profile" },
	{ "\n\ndescription: x\nname: t\n",
	  "t.yaml:3:1: missing required key \"entries\" in profile" },
	{ HEAD "  - description: nothing\n",
	  "t.yaml:3:5: entry needs \"live\" or \"path\"" },
	{ HEAD "  - path: /x\n    live: users\n",
	  "t.yaml:4:5: entry has both \"live\" and \"path\"" },
	/* A digest of part of a file is refused. */
	{ HEAD "  - path: /x\n    content: hash\n    max_size: 1M\n",
	  "t.yaml:5:5: \"max_size\" with \"content: hash\" needs \"over_limit: skip\"" },
	/* root: and max_size: only on the live sources that use them. */
	{ HEAD "  - live: processes\n    root: /mnt\n",
	  "t.yaml:4:5: \"root\" does not apply to live source \"processes\": it "
	  "reads the running kernel (/proc, /sys, netlink), no files under a root" },
	{ HEAD "  - live: users\n    max_size: 1M\n",
	  "t.yaml:4:5: \"max_size\" does not apply to live source \"users\", "
	  "which archives no content it could cap" },
	{ HEAD "  - live: executables\n    root: /\n",
	  "t.yaml:4:5: \"root\" does not apply to live source \"executables\"" },
	{ HEAD "  - live: users\n    max_depth: 1\n",
	  "t.yaml:4:5: \"max_depth\" applies only to path entries" },
	{ HEAD "  - path: /x\n    root: /mnt\n",
	  "t.yaml:4:5: \"root\" applies only to live entries" },
	{ HEAD "  - live: users\n    root: mnt\n",
	  "t.yaml:4:11: root \"mnt\" must be absolute" },
	{ HEAD "  - live: users\n    root: /mnt/../etc\n",
	  "t.yaml:4:11: root \"/mnt/../etc\" has a \".\" or \"..\" component" },
	{ HEAD "  - live: users\n    exclude: \"*\"\n",
	  "t.yaml:4:5: \"exclude\" applies only to path entries" },
	/* Wrong types. */
	{ "name: [t]\nentries:\n  - live: users\n",
	  "t.yaml:1:7: \"name\" must be a string" },
	{ "name: t\nentries: /var/log\n",
	  "t.yaml:2:10: \"entries\" must be a sequence" },
	{ HEAD "  - /var/log\n", "t.yaml:3:5: entry must be a mapping" },
	{ "- name: t\n", "t.yaml:1:1: profile must be a mapping" },
	{ "just text\n", "t.yaml:1:1: profile must be a mapping" },
	{ HEAD "  - path: {a: b}\n", "t.yaml:3:11: \"path\" must be a string" },
	{ HEAD "  - path: /x\n    exclude: {a: b}\n",
	  "t.yaml:4:14: \"exclude\" must be a string or a sequence" },
	{ HEAD "  - path: /x\n    exclude: [[a]]\n",
	  "t.yaml:4:15: \"exclude\" patterns must be strings" },
	{ HEAD "  - path: /x\n    exclude: [\"\"]\n",
	  "t.yaml:4:15: \"exclude\" patterns must not be empty" },
	{ HEAD "  - path: /x\n    description:\n",
	  "\"description\" has no value" },
	{ "name: ~\nentries:\n  - live: users\n",
	  "t.yaml:1:7: \"name\" has no value" },
	/* Bad values. */
	{ "name: Triage\nentries:\n  - live: users\n",
	  "t.yaml:1:7: invalid name \"Triage\"" },
	{ HEAD "  - path: var/log\n",
	  "t.yaml:3:11: path \"var/log\" must be absolute" },
	{ HEAD "  - path: /var/../etc\n",
	  "t.yaml:3:11: path \"/var/../etc\" has a \".\" or \"..\" component" },
	{ HEAD "  - path: /var//log\n", "has an empty component" },
	{ HEAD "  - path: \"/a\\0b\"\n",
	  "t.yaml:3:11: \"path\" contains a NUL" },
	{ HEAD "  - live: proc\n",
	  "t.yaml:3:11: unknown live source \"proc\" (known: processes, "
	  "sockets, users, modules, mounts, network, system" },
	{ HEAD "  - path: /x\n    max_size: 12Q\n",
	  "t.yaml:4:15: \"max_size\": invalid size \"12Q\"" },
	{ HEAD "  - path: /x\n    max_size: -1\n",
	  "t.yaml:4:15: \"max_size\": invalid size \"-1\"" },
	{ HEAD "  - path: /x\n    max_size: 9999999T\n",
	  "t.yaml:4:15: \"max_size\": size \"9999999T\" is too large" },
	{ HEAD "  - path: /x\n    max_depth: -1\n",
	  "t.yaml:4:16: \"max_depth\" must be an integer from 0 to 4096, "
	  "not \"-1\"" },
	{ HEAD "  - path: /x\n    max_depth: 4097\n", "not \"4097\"" },
	{ HEAD "  - path: /x\n    max_depth: eight\n", "not \"eight\"" },
	{ HEAD "  - path: /x\n    over_limit: drop\n",
	  "t.yaml:4:17: \"over_limit\" must be \"truncate\" or \"skip\", "
	  "not \"drop\"" },
	{ "name: t\nentries: []\n", "t.yaml:2:10: \"entries\" is empty" },
	/* YAML itself. */
	{ "", "t.yaml:1:1: profile is empty" },
	{ "# only a comment\n", "profile is empty" },
	{ HEAD "  - path: /x\n\tmax_size: 1\n",
	  "t.yaml:4:1: found a tab character that violates indentation" },
	{ HEAD "  - path: /x\n    exclude: [a, b\n",
	  "t.yaml:5:1: did not find expected ',' or ']' (while parsing a "
	  "flow sequence at 4:14)" },
	{ "name: t: u\n",
	  "t.yaml:1:8: mapping values are not allowed in this context" },
	{ "name: t\nentries:\n  - &a {live: users}\n  - *a\n",
	  "t.yaml:4:5: aliases are not allowed" },
	{ "name: t\nentries:\n  - live: users\n---\nname: u\n",
	  "t.yaml:4:1: a profile holds only one document" },
	{ "name: t\xff\n", "t.yaml: byte 7: invalid" },
};

/* Every malformed profile is refused with a located, specific message. */
static void
test_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++)
		assert_rejected(bad_cases[i].yaml, strlen(bad_cases[i].yaml),
		    bad_cases[i].expected);
}

/* A profile with n entries "- live: users". */
static char *
many_entries(size_t n)
{
	static const char line[] = "- live: users\n";
	char *yaml, *at;
	size_t i;

	yaml = malloc(sizeof HEAD + n * (sizeof line - 1));
	assert_non_null(yaml);
	at = stpcpy(yaml, HEAD);
	for (i = 0; i < n; i++)
		at = stpcpy(at, line);
	return yaml;
}

/* Entry counts, string lengths and input size are capped. */
static void
test_limits(void **state)
{
	struct profile *profile;
	char *yaml, path[PATH_MAX + 64];

	(void)state;
	yaml = many_entries(10000);
	profile = parse_ok(yaml);
	assert_int_equal(profile->entry_count, 10000);
	profile_free(profile);
	free(yaml);
	yaml = many_entries(10001);
	assert_rejected(yaml, strlen(yaml),
	    "t.yaml:10003:3: too many entries (more than 10000)");
	free(yaml);

	path[0] = '/';
	memset(path + 1, 'a', PATH_MAX);
	path[PATH_MAX + 1] = '\0';
	yaml = format(HEAD "- path: %s\n", path);
	assert_rejected(yaml, strlen(yaml), "\"path\" is too long");
	free(yaml);
	assert_rejected("name: t", (size_t)1024 * 1024 + 1,
	    "t.yaml: profile larger than 1048576 bytes");
}

/* Messages quote values safely: control characters and long values. */
static void
test_message_quoting(void **state)
{
	char key[300], *yaml;

	(void)state;
	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	yaml = format(HEAD "- path: /x\n  %s: 1\n", key);
	assert_rejected(yaml, strlen(yaml), "kkk...\" in entry");
	free(yaml);
	yaml = format("%s", HEAD "- live: \"a\\x01b\"\n");
	assert_rejected(yaml, strlen(yaml), "unknown live source \"a?b\"");
	free(yaml);
}

/* One row of the size table. */
struct size_case {
	const char	*text;
	int		 ok;
	int64_t		 value;
};

static const struct size_case size_cases[] = {
	{ "0", 1, 0 },
	{ "123", 1, 123 },
	{ "512B", 1, 512 },
	{ "64K", 1, 64 * 1024 },
	{ "64k", 1, 64 * 1024 },
	{ "64KB", 1, 64 * 1024 },
	{ "64KiB", 1, 64 * 1024 },
	{ "64kB", 1, 64 * 1024 },
	{ "64kiB", 1, 64 * 1024 },
	{ "5MB", 1, 5 * 1024 * 1024 },
	{ "1kb", 0, 0 },
	{ "1Kb", 0, 0 },
	{ "1KIB", 0, 0 },
	{ "64kib", 0, 0 },
	{ "512b", 0, 0 },
	{ "1mb", 0, 0 },
	{ "10M", 1, 10 * 1024 * 1024 },
	{ "2G", 1, (int64_t)2 << 30 },
	{ "1T", 1, (int64_t)1 << 40 },
	{ "007", 1, 7 },
	{ "9223372036854775807", 1, INT64_MAX },
	{ "8388607T", 1, (int64_t)8388607 << 40 },
	{ "9223372036854775808", 0, 0 },
	{ "99999999999999999999999", 0, 0 },
	{ "8388608T", 0, 0 },
	{ "8796093022208G", 0, 0 },
	{ "", 0, 0 },
	{ "K", 0, 0 },
	{ "B", 0, 0 },
	{ "-1", 0, 0 },
	{ "+1", 0, 0 },
	{ " 1", 0, 0 },
	{ "1 ", 0, 0 },
	{ "1 K", 0, 0 },
	{ "1KK", 0, 0 },
	{ "1.5M", 0, 0 },
	{ "1Ki", 0, 0 },
	{ "1iB", 0, 0 },
	{ "1BB", 0, 0 },
	{ "1P", 0, 0 },
	{ "0x10", 0, 0 },
	{ "1e3", 0, 0 },
};

/* profile_parse_size accepts the documented forms and nothing else. */
static void
test_parse_size(void **state)
{
	const struct size_case *c;
	int64_t value;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof size_cases / sizeof size_cases[0]; i++) {
		c = &size_cases[i];
		value = 42;
		r = profile_parse_size(c->text, &value);
		if ((r == 0) != c->ok)
			print_error("size \"%s\": got %d\n", c->text, r);
		assert_int_equal(r, c->ok ? 0 : -1);
		assert_int_equal(value, c->ok ? c->value : 42);
	}
	assert_int_equal(profile_parse_size("9223372036854775808", &value), -1);
	assert_non_null(strstr(error_message(), "is too large"));
	assert_int_equal(profile_parse_size("1.5M", &value), -1);
	assert_non_null(strstr(error_message(), "invalid size \"1.5M\""));
	assert_int_equal(profile_parse_size(NULL, &value), -1);
}

/* Write text into a new file under temp_dir; returns its malloc'd path. */
static char *
write_temp(const char *text, size_t len)
{
	char *path;
	int fd;

	path = format("%s/profile-XXXXXX", temp_dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return path;
}

/* profile_load: built-ins by name, files by path, unknown names listed. */
static void
test_load(void **state)
{
	struct profile *profile;
	char *path;

	(void)state;
	profile = profile_load("logs");
	assert_non_null(profile);
	assert_string_equal(profile->name, "logs");
	profile_free(profile);

	assert_null(profile_load("nosuch"));
	assert_non_null(strstr(error_message(), "unknown profile \"nosuch\" "
	    "(built-in profiles: "));
	assert_non_null(strstr(error_message(), "triage"));
	assert_non_null(strstr(error_message(), "logs"));
	assert_non_null(strstr(error_message(), "configs"));
	assert_null(profile_load(""));
	assert_null(profile_load(NULL));
	assert_null(profile_builtin_text("nosuch"));
	assert_null(profile_builtin_text(NULL));

	path = write_temp(HEAD "  - path: /srv\n", strlen(HEAD) + 15);
	profile = profile_load(path);
	assert_non_null(profile);
	assert_string_equal(profile->name, "t");
	assert_string_equal(profile->entries[0].path, "/srv");
	profile_free(profile);
	unlink(path);
	free(path);

	/* Errors in a file name the file as it was given. */
	path = write_temp(HEAD "  - path: /srv\n    max_dept: 1\n",
	    strlen(HEAD) + 30);
	assert_null(profile_load(path));
	assert_true(strncmp(error_message(), path, strlen(path)) == 0);
	assert_non_null(strstr(error_message(), ":4:5: unknown key"));
	unlink(path);
	free(path);

	/* A name ending in .yaml is a file even without a slash. */
	assert_null(profile_load("custody-no-such-profile.yaml"));
	assert_non_null(strstr(error_message(), "custody-no-such-profile.yaml: "
	    "No such file"));
}

/* profile_load_file refuses links, directories, FIFOs and large files. */
static void
test_load_file_refusals(void **state)
{
	char *path, *link, *fifo, *big;
	size_t big_len = (size_t)1024 * 1024 + 1;

	(void)state;
	path = write_temp(HEAD "  - live: users\n", strlen(HEAD) + 16);
	link = format("%s/link.yaml", temp_dir);
	fifo = format("%s/fifo.yaml", temp_dir);
	assert_int_equal(symlink(path, link), 0);
	assert_null(profile_load_file(link));
	assert_non_null(strstr(error_message(), "symbolic link"));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_null(profile_load_file(fifo));
	assert_non_null(strstr(error_message(), "not a regular file"));
	assert_null(profile_load_file(temp_dir));
	assert_non_null(strstr(error_message(), "not a regular file"));
	assert_null(profile_load_file(""));

	big = malloc(big_len);
	assert_non_null(big);
	memset(big, '#', big_len);
	unlink(path);
	free(path);
	path = write_temp(big, big_len);
	free(big);
	assert_null(profile_load_file(path));
	assert_non_null(strstr(error_message(), "profile larger than"));
	unlink(path);
	unlink(link);
	unlink(fifo);
	free(path);
	free(link);
	free(fifo);
}

/* profile_free accepts NULL. */
static void
test_free_null(void **state)
{
	(void)state;
	profile_free(NULL);
}

/* Make the temporary directory. */
static int
setup(void **state)
{
	(void)state;
	return mkdtemp(temp_dir) == NULL ? -1 : 0;
}

/* Remove the temporary directory (the tests remove their files). */
static int
teardown(void **state)
{
	(void)state;
	return rmdir(temp_dir);
}

/* Run every test of the profile format. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtins_parse),
		cmocka_unit_test(test_builtin_triage),
		cmocka_unit_test(test_builtin_full),
		cmocka_unit_test(test_full_example),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_live_root),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_message_quoting),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_file_refusals),
		cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
