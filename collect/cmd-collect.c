/* custody collect: snapshot a host into one sealed evidence archive. */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/command.h"
#include "custody/error.h"
#include "custody/event.h"
#include "custody/filetype.h"
#include "custody/hash.h"
#include "custody/compat.h"
#include "custody/key.h"
#include "custody/profile.h"
#include "custody/store.h"
#include "custody/util.h"
#include "collector.h"

#define PROFILES_MAX	32
#define EXCLUDES_MAX	256

struct collect_args {
	struct collect_options	 opt;
	const char		*profile_names[PROFILES_MAX];
	struct profile		*profiles[PROFILES_MAX];
	size_t			 profile_count;
	char			*exclude[EXCLUDES_MAX + 1];
	size_t			 exclude_count;
	const char		*passphrase_file;
	const char		*case_dir;	/* --case or $CUSTODY_CASE */
	const char		*location;	/* of the collected event */
	const char		*note;
	struct store		*store;		/* the case's ledger, when recording */
	bool			 output_given;
	bool			 case_id_given;
	bool			 evidence_id_given;
	bool			 type_bytes_given;
	char			 evidence_id[16];
	char			*output_path;	/* resolved; NULL when streaming */
	bool			 json;
	bool			 quiet;
	bool			 list_profiles;
	bool			 ephemeral;	/* --ephemeral, or no --key */
	char			 one_time_fingerprint[KEY_FINGERPRINT_SIZE];
	struct timespec		 started;	/* CLOCK_MONOTONIC */
	struct timespec		 last_progress;
};

static const struct option collect_longopts[] = {
	{ "key", required_argument, NULL, 'k' },
	{ "passphrase-file", required_argument, NULL, 'P' },
	{ "profile", required_argument, NULL, 'p' },
	{ "output", required_argument, NULL, 'o' },
	{ "compress", required_argument, NULL, 'c' },
	{ "hash", required_argument, NULL, 'H' },
	{ "case-id", required_argument, NULL, 'C' },
	{ "evidence-id", required_argument, NULL, 'E' },
	{ "exclude", required_argument, NULL, 'x' },
	{ "max-file-size", required_argument, NULL, 'm' },
	{ "over-limit", required_argument, NULL, 'L' },
	{ "include-secrets", no_argument, NULL, 'S' },
	{ "types", no_argument, NULL, 'Y' },
	{ "no-types", no_argument, NULL, 'T' },
	{ "type-bytes", required_argument, NULL, 'B' },
	{ "json", no_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "list-profiles", no_argument, NULL, 'l' },
	{ "ephemeral", no_argument, NULL, 'e' },
	{ "case", required_argument, NULL, 'K' },
	{ "location", required_argument, NULL, 'W' },
	{ "note", required_argument, NULL, 'N' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* Handle one option that takes a value with a limit or a choice. */
static int
collect_option_value(struct collect_args *a, int ch, const char *value)
{
	int64_t size;

	switch (ch) {
	case 'm':
		if (profile_parse_size(value, &a->opt.max_file_size) != 0)
			return error_set("invalid --max-file-size \"%s\"", value);
		return 0;
	case 'L':
		if (strcmp(value, "truncate") == 0)
			a->opt.over_limit = PROFILE_OVER_LIMIT_TRUNCATE;
		else if (strcmp(value, "skip") == 0)
			a->opt.over_limit = PROFILE_OVER_LIMIT_SKIP;
		else
			return error_set("--over-limit must be truncate or skip");
		return 0;
	case 'H':
		return hash_parse_list(value, &a->opt.hash_mask);
	case 'B':
		if (profile_parse_size(value, &size) != 0 || size < 64 ||
		    size > FILETYPE_BLOCK)
			return error_set("--type-bytes must be from 64 to %d",
			    FILETYPE_BLOCK);
		a->opt.type_bytes = (size_t)size;
		return 0;
	case 'p':
		if (a->profile_count == PROFILES_MAX)
			return error_set("too many --profile options");
		a->profile_names[a->profile_count++] = value;
		return 0;
	case 'x':
		if (a->exclude_count == EXCLUDES_MAX)
			return error_set("too many --exclude options");
		a->exclude[a->exclude_count++] = (char *)value;
		return 0;
	}
	return error_set("unexpected option");
}

/* Parse the command line into a; returns the index of the first path, or -1. */
static int
collect_parse(struct collect_args *a, int argc, char **argv)
{
	int ch;

	a->opt.case_id = "CASE";
	a->opt.evidence_id = "E001";
	a->opt.hash_mask = HASH_MASK(HASH_SHA256);
	/* Types come from the sealed content at the examiner's, not the host. */
	a->opt.types = false;
	a->opt.type_bytes = FILETYPE_BLOCK;
	a->opt.max_file_size = -1;
	a->opt.output = ".";
	a->opt.compress = "zstd";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "k:p:o:qh", collect_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'k': a->opt.key_path = optarg; break;
		case 'P': a->passphrase_file = optarg; break;
		case 'o': a->opt.output = optarg; a->output_given = true; break;
		case 'c': a->opt.compress = optarg; break;
		case 'C': a->opt.case_id = optarg; a->case_id_given = true; break;
		case 'E': a->opt.evidence_id = optarg; a->evidence_id_given = true; break;
		case 'K': a->case_dir = optarg; break;
		case 'W': a->location = optarg; break;
		case 'N': a->note = optarg; break;
		case 'S': a->opt.include_secrets = true; break;
		case 'Y': a->opt.types = true; break;
		case 'T': a->opt.types = false; break;
		case 'j': a->json = true; break;
		case 'q': a->quiet = true; break;
		case 'l': a->list_profiles = true; break;
		case 'e': a->ephemeral = true; break;
		case 'h': return -3;
		case 'B': a->type_bytes_given = true;
			/* FALLTHROUGH */
		case 'm': case 'L': case 'H': case 'p': case 'x':
			if (collect_option_value(a, ch, optarg) != 0)
				return -1;
			break;
		default:
			return error_set("see custody-collect(1)"), -2;
		}
	}
	a->opt.exclude = a->exclude;
	return optind;
}

/* Check the values that the run depends on before anything is written. */
static int
collect_check(struct collect_args *a, int paths)
{
	if (a->ephemeral && a->opt.key_path != NULL)
		return error_set("--ephemeral seals with a one-time key: it takes "
		    "no --key");
	if (a->opt.key_path == NULL && a->passphrase_file != NULL)
		return error_set("--passphrase-file is the passphrase of --key");
	a->ephemeral = a->opt.key_path == NULL;
	if (!util_id_ok(a->opt.case_id))
		return error_set("invalid --case-id \"%s\" (letters, digits, . _ -)",
		    a->opt.case_id);
	if (!util_id_ok(a->opt.evidence_id))
		return error_set("invalid --evidence-id \"%s\" (letters, digits, . _ -)",
		    a->opt.evidence_id);
	if (strcmp(a->opt.compress, "zstd") != 0 && strcmp(a->opt.compress, "gzip") != 0 &&
	    strcmp(a->opt.compress, "xz") != 0 && strcmp(a->opt.compress, "none") != 0)
		return error_set("unknown --compress \"%s\" (zstd, gzip, xz, none)",
		    a->opt.compress);
	if (a->type_bytes_given && !a->opt.types)
		return error_set("--type-bytes is for --types: the host types "
		    "nothing unless asked");
	if (a->profile_count == 0 && paths == 0)
		return error_set("nothing to collect: give --profile NAME or a PATH");
	return 0;
}

/* Load every profile named, so that a typo stops the run before it starts. */
static int
collect_load_profiles(struct collect_args *a)
{
	size_t i;

	if ((a->opt.profiles = json_array()) == NULL)
		return error_set("out of memory");
	for (i = 0; i < a->profile_count; i++) {
		if ((a->profiles[i] = profile_load(a->profile_names[i])) == NULL ||
		    profile_check_roots(a->profiles[i]) != 0)
			return -1;
		json_array_append_new(a->opt.profiles,
		    json_string(a->profiles[i]->name));
	}
	return 0;
}

/* The file extension of a compression. */
static const char *
collect_extension(const char *compress)
{
	if (strcmp(compress, "zstd") == 0)
		return ".tar.zst";
	if (strcmp(compress, "gzip") == 0)
		return ".tar.gz";
	if (strcmp(compress, "xz") == 0)
		return ".tar.xz";
	return ".tar";
}

/* Now as YYYYMMDDTHHMMSSZ (UTC, without the C library's time zone code). */
static void
collect_stamp(char out[17])
{
	static const int digits[] = { 0, 1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 14, 15,
	    17, 18 };
	char iso[UTIL_TIME_SIZE];
	struct timespec now;
	size_t i;

	util_time_now(&now);
	util_time_format(&now, iso);
	for (i = 0; i < sizeof digits / sizeof digits[0]; i++)
		out[i] = iso[digits[i]];
	out[i++] = 'Z';
	out[i] = '\0';
}

/* Decide where the archive goes: a name in a directory, a file, or stdout. */
static int
collect_resolve_output(struct collect_args *a)
{
	char host[256], stamp[32], *sidecar;
	struct stat st;
	bool exists;

	if (strcmp(a->opt.output, "-") == 0) {
		if (isatty(STDOUT_FILENO))
			return error_set("refusing to write an archive to a terminal");
		return 0;
	}
	if (stat(a->opt.output, &st) == 0 && S_ISDIR(st.st_mode)) {
		hostinfo_name(host, sizeof host);
		collect_stamp(stamp);
		if (asprintf(&a->output_path, "%s/%s_%s_%s_%s%s", a->opt.output,
		    a->opt.case_id, a->opt.evidence_id, host, stamp,
		    collect_extension(a->opt.compress)) < 0)
			return error_set_errno("asprintf");
	} else if ((a->output_path = strdup(a->opt.output)) == NULL)
		return error_set_errno("strdup");
	if (access(a->output_path, F_OK) == 0)
		return error_set("%s: already exists; evidence is never overwritten",
		    a->output_path);
	if (asprintf(&sidecar, "%s.sha256", a->output_path) < 0)
		return error_set_errno("asprintf");
	exists = access(sidecar, F_OK) == 0;
	free(sidecar);
	if (exists)
		return error_set("%s.sha256: already exists; evidence is never "
		    "overwritten", a->output_path);
	a->opt.output = a->output_path;
	return 0;
}

/* The command line for the header: arguments as given (no secret is ever one). */
static json_t *
collect_command_line(int argc, char **argv)
{
	json_t *args = json_array();
	int i;

	json_array_append_new(args, json_string("custody"));
	for (i = 0; i < argc; i++) {
		if (util_utf8_valid(argv[i], strlen(argv[i])))
			json_array_append_new(args, json_string(argv[i]));
		else
			json_array_append_new(args, json_string("(not UTF-8)"));
	}
	return args;
}

/* Print "files, bytes, rate" on one terminal line, a few times a second. */
static void
collect_progress(const struct collect_result *r, void *arg)
{
	struct collect_args *a = arg;
	struct timespec now;
	double since_last, since_start;

	clock_gettime(CLOCK_MONOTONIC, &now);
	since_last = (double)(now.tv_sec - a->last_progress.tv_sec) +
	    (double)(now.tv_nsec - a->last_progress.tv_nsec) / 1e9;
	if (since_last < 0.2)
		return;
	a->last_progress = now;
	since_start = (double)(now.tv_sec - a->started.tv_sec) +
	    (double)(now.tv_nsec - a->started.tv_nsec) / 1e9;
	fprintf(stderr, "\rcustody collect: %llu files, %.1f MB, %.1f MB/s   ",
	    (unsigned long long)r->entries, (double)r->content_bytes / 1e6,
	    since_start > 0 ? (double)r->content_bytes / 1e6 / since_start : 0.0);
}

/* Make a path absolute without resolving its final component. */
static char *
collect_absolute(const char *path)
{
	char cwd[PATH_MAX], *out;
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	if (path[0] == '/')
		return strndup(path, len);
	if (getcwd(cwd, sizeof cwd) == NULL)
		return NULL;
	if (len >= 2 && strncmp(path, "./", 2) == 0)
		path += 2, len -= 2;
	if (asprintf(&out, "%s/%.*s", strcmp(cwd, "/") == 0 ? "" : cwd,
	    (int)len, path) < 0)
		return NULL;
	return out;
}

/* Run every profile entry and every path through the collector. */
static int
collect_run(struct collect_args *a, struct collector *c, int argc, char **argv)
{
	const struct profile_entry *e;
	char *abs;
	size_t i, j;
	int rc;

	for (i = 0; i < a->profile_count; i++) {
		for (j = 0; j < a->profiles[i]->entry_count; j++) {
			e = &a->profiles[i]->entries[j];
			rc = e->source == PROFILE_LIVE ? collector_live(c, e) :
			    collector_path(c, e->path, e);
			if (rc != 0)
				return -1;
		}
	}
	for (; optind < argc; optind++) {
		if ((abs = collect_absolute(argv[optind])) == NULL)
			return error_set_errno("%s", argv[optind]);
		rc = collector_path(c, abs, NULL);
		free(abs);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* The machine-readable summary. */
static json_t *
collect_summary_json(const struct collect_result *r)
{
	return json_pack("{s:s?, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:O}",
	    "archive", r->archive_path, "sha256", r->archive_sha256,
	    "archive_bytes", (json_int_t)r->archive_bytes,
	    "merkle_root", r->merkle_root, "entries", (json_int_t)r->entries,
	    "members", (json_int_t)r->members,
	    "content_bytes", (json_int_t)r->content_bytes,
	    "skipped", (json_int_t)r->skipped, "errors", (json_int_t)r->errors,
	    "changed", (json_int_t)r->changed, "seconds", r->seconds,
	    "problems", r->problems);
}

/* The one-paragraph summary for people. */
static void
collect_summary_text(FILE *out, const struct collect_result *r)
{
	size_t i;
	json_t *p;

	fprintf(out, "custody collect: %s%s: %llu entries, %llu members, "
	    "%.1f MB of content in %.1f s; %llu skipped by design, "
	    "%llu could not be read, %llu changed or truncated. "
	    "Archive SHA-256 %s, Merkle root %s.\n",
	    r->archive_path != NULL ? "wrote " : "streamed the archive",
	    r->archive_path != NULL ? r->archive_path : "",
	    (unsigned long long)r->entries, (unsigned long long)r->members,
	    (double)r->content_bytes / 1e6, r->seconds,
	    (unsigned long long)r->skipped, (unsigned long long)r->errors,
	    (unsigned long long)r->changed, r->archive_sha256, r->merkle_root);
	json_array_foreach(r->problems, i, p)
		fprintf(out, "  %s: %s: %s\n",
		    json_string_value(json_object_get(p, "source")),
		    json_string_value(json_object_get(p, "status")),
		    json_string_value(json_object_get(p, "reason")));
}

/* Report the result; returns the exit status. */
static int
collect_report(struct collect_args *a, const struct collect_result *r)
{
	FILE *out = a->output_path != NULL ? stdout : stderr;
	json_t *summary;

	if (a->opt.progress_fn != NULL)
		fputc('\n', stderr);
	if (a->json) {
		summary = collect_summary_json(r);
		if (summary != NULL && a->ephemeral && json_object_set_new(summary,
		    "one_time_key_fingerprint", json_string(a->one_time_fingerprint)) != 0) {
			json_decref(summary);
			summary = NULL;
		}
		if (summary == NULL)
			return error_set("cannot build the summary"), EXIT_USAGE;
		json_dumpf(summary, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', out);
		json_decref(summary);
	} else if (!a->quiet)
		collect_summary_text(stderr, r);
	if (fflush(out) != 0 || ferror(out))
		return error_set_errno("write summary"), EXIT_USAGE;
	return r->errors > 0 ? EXIT_PARTIAL : EXIT_VERIFIED;
}

/* List the built-in profiles. */
static int
collect_list_profiles(void)
{
	const char *const *names = profile_builtin_names();
	struct profile *p;

	for (; *names != NULL; names++) {
		p = profile_load(*names);
		printf("%-10s %s\n", *names, p != NULL && p->description != NULL ?
		    p->description : "");
		profile_free(p);
	}
	return fflush(stdout) == 0 ? EXIT_VERIFIED : EXIT_USAGE;
}

/*
 * With a case (--case or $CUSTODY_CASE): the signer must be registered,
 * the case id is the case's, the evidence id the next free one unless
 * given (and then unused), and the archive goes into the case directory
 * unless -o says otherwise.
 */
static int
collect_open_case(struct collect_args *a)
{
	struct store_handler who;
	struct store_artifact art;

	if (a->case_dir == NULL && getenv("CUSTODY_CASE") != NULL &&
	    getenv("CUSTODY_CASE")[0] != '\0')
		a->case_dir = getenv("CUSTODY_CASE");
	if (a->case_dir == NULL)
		return a->location != NULL || a->note != NULL ?
		    error_set("--location and --note describe the ledger event: "
		    "they need --case") : 0;
	if (a->ephemeral)
		return error_set("--case%s needs --key: the collected event is "
		    "signed by a key registered in the case; without --case the "
		    "archive is sealed with a one-time key, and custody ledger "
		    "ingest records it in the case", a->case_dir ==
		    getenv("CUSTODY_CASE") ? " (from CUSTODY_CASE)" : "");
	if ((a->location != NULL && event_check_text("--location", a->location) != 0) ||
	    (a->note != NULL && event_check_text("--note", a->note) != 0) ||
	    (a->store = store_open(a->case_dir)) == NULL ||
	    store_require_handler(a->store, a->opt.key, &who) != 0)
		return -1;
	if (a->case_id_given && strcmp(a->opt.case_id, store_case_id(a->store)) != 0)
		return error_set("--case-id %s, but %s is case %s", a->opt.case_id,
		    a->case_dir, store_case_id(a->store));
	a->opt.case_id = store_case_id(a->store);
	if (a->evidence_id_given && store_artifact_get(a->store,
	    a->opt.evidence_id, &art) != 1)
		return error_set("evidence id %s is already recorded in case %s",
		    a->opt.evidence_id, a->opt.case_id);
	if (!a->evidence_id_given) {
		if (store_next_evidence_id(a->store, a->evidence_id) != 0)
			return -1;
		a->opt.evidence_id = a->evidence_id;
	}
	if (!a->output_given)
		a->opt.output = a->case_dir;
	return 0;
}

/* Record the archive as an artifact and its collection as a signed event. */
static int
collect_record(struct collect_args *a, const struct collect_result *r)
{
	struct store_artifact art = { 0 };
	struct event e = { .action = "collected" };
	char *copy = r->archive_path != NULL ? strdup(r->archive_path) : NULL;

	snprintf(art.evidence_id, sizeof art.evidence_id, "%s", a->opt.evidence_id);
	snprintf(art.archive_name, sizeof art.archive_name, "%s",
	    copy != NULL ? basename(copy) : "-");
	if (r->archive_path == NULL || realpath(r->archive_path, art.archive_path) == NULL)
		art.archive_path[0] = '\0';
	snprintf(art.archive_sha256, sizeof art.archive_sha256, "%s", r->archive_sha256);
	art.archive_size = (int64_t)r->archive_bytes;
	snprintf(art.merkle_root, sizeof art.merkle_root, "%s", r->merkle_root);
	hostinfo_name(art.host, sizeof art.host);
	snprintf(art.collected_at, sizeof art.collected_at, "%s", r->started);
	snprintf(art.collected_by, sizeof art.collected_by, "%s", a->opt.key->fingerprint);
	free(copy);
	e.artifact = art.evidence_id;
	e.location = a->location;
	e.note = a->note;
	if (store_begin(a->store) != 0)
		return -1;
	if (store_artifact_insert(a->store, &art) == 0 &&
	    store_append(a->store, &e, a->opt.key) == 0 && store_commit(a->store) == 0)
		return 0;
	store_rollback(a->store);
	return -1;
}

/* Allow one descriptor per directory level of a deep walk, where the system lets us. */
static void
collect_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= WALK_DEPTH_MAX + 64)
		return;
	rl.rlim_cur = rl.rlim_max < WALK_DEPTH_MAX + 64 ? rl.rlim_max :
	    WALK_DEPTH_MAX + 64;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/* Prepare everything that can fail before collection starts. */
static int
collect_prepare(struct collect_args *a, int argc, char **argv)
{
	struct key *key;

	if (collect_check(a, argc - optind) != 0 || collect_load_profiles(a) != 0)
		return -1;
	key = a->ephemeral ? key_generate_one_time() :
	    key_load_signing(a->opt.key_path, a->passphrase_file);
	if (key == NULL)
		return -1;
	a->opt.key = key;
	if (collect_open_case(a) != 0)
		return -1;
	a->opt.command_line = collect_command_line(argc, argv);
	if (collect_resolve_output(a) != 0)
		return -1;
	collect_raise_fd_limit();
	if (!a->quiet && !a->json && isatty(STDERR_FILENO)) {
		clock_gettime(CLOCK_MONOTONIC, &a->started);
		a->last_progress = a->started;
		a->opt.progress_fn = collect_progress;
		a->opt.progress_arg = a;
	}
	return 0;
}

/*
 * The seal is signed: wipe the one-time private key at once, and print its
 * fingerprint on one line for the technician's paper notes (even with
 * --quiet: without it the archive cannot be tied to this host later).
 */
static void
collect_forget_one_time(struct collect_args *a)
{
	const char *fp;

	if (!a->ephemeral || a->opt.key == NULL)
		return;
	fp = a->opt.key->fingerprint;
	memcpy(a->one_time_fingerprint, fp, KEY_FINGERPRINT_SIZE);
	key_free((struct key *)a->opt.key);
	a->opt.key = NULL;
	fp = a->one_time_fingerprint;
	if (!a->json)
		fprintf(stderr, "custody collect: one-time key fingerprint %.8s %.8s "
		    "%.8s %.8s %.8s %.8s %.8s %.8s (write it down with the host "
		    "and time)\n", fp, fp + 8, fp + 16, fp + 24, fp + 32, fp + 40,
		    fp + 48, fp + 56);
}

/* Release the arguments. */
static void
collect_args_free(struct collect_args *a)
{
	size_t i;

	for (i = 0; i < a->profile_count; i++)
		profile_free(a->profiles[i]);
	key_free((struct key *)a->opt.key);
	json_decref(a->opt.command_line);
	json_decref(a->opt.profiles);
	store_close(a->store);
	free(a->output_path);
}

/* custody collect. */
static int
cmd_collect_exec(int argc, char **argv)
{
	struct collect_args a;
	struct collect_result r;
	struct collector *c = NULL;
	int rc, status = EXIT_USAGE;

	memset(&a, 0, sizeof a);
	memset(&r, 0, sizeof r);
	if ((rc = collect_parse(&a, argc, argv)) < 0) {
		if (rc == -3) {
			printf("usage: custody %s\n", cmd_collect_entry.usage);
			status = EXIT_VERIFIED;
			goto out;
		}
		if (rc == -1)
			command_fail("collect", EXIT_USAGE);
		command_usage(&cmd_collect_entry);
		goto out;
	}
	if (a.list_profiles) {
		status = collect_list_profiles();
		goto out;
	}
	if (collect_prepare(&a, argc, argv) != 0 ||
	    (c = collector_new(&a.opt)) == NULL ||
	    collect_run(&a, c, argc, argv) != 0 || collector_finish(c, &r) != 0) {
		if (a.opt.progress_fn != NULL)
			fputc('\n', stderr);
		status = command_fail("collect", EXIT_USAGE);
		goto out;
	}
	collect_forget_one_time(&a);
	if (a.store != NULL && collect_record(&a, &r) != 0) {
		error_prefix("the archive %s was written but not recorded in the "
		    "ledger", r.archive_path != NULL ? r.archive_path : "(streamed)");
		status = command_fail("collect", EXIT_USAGE);
		goto out;
	}
	/* The log was sealed before the output was moved into place. */
	if (compat_missing(COMPAT_RENAMEAT2) && !a.quiet)
		fprintf(stderr, "custody collect: note: %s\n",
		    compat_describe(COMPAT_RENAMEAT2));
	status = collect_report(&a, &r);
	if (status == EXIT_USAGE)
		command_fail("collect", EXIT_USAGE);
	else if (a.store != NULL && !a.quiet && !a.json)
		fprintf(stderr, "custody collect: recorded as %s in case %s\n",
		    a.opt.evidence_id, a.opt.case_id);
out:
	collector_free(c);
	collect_result_free(&r);
	collect_args_free(&a);
	return status;
}

const struct command cmd_collect_entry = {
	"collect",
	"collect [--key KEYFILE | --ephemeral] [--profile NAME|FILE]... [-o DIR|FILE|-]\n"
	"               [--compress zstd|gzip|xz|none] [--hash ALG[,ALG]...]\n"
	"               [--case-id ID] [--evidence-id ID] [--exclude GLOB]...\n"
	"               [--max-file-size SIZE] [--over-limit truncate|skip]\n"
	"               [--include-secrets] [--types [--type-bytes SIZE] | --no-types]\n"
	"               [--passphrase-file FILE]\n"
	"               [--case DIR [--location TEXT] [--note TEXT]]\n"
	"               [--json] [--quiet] [PATH...]\n"
	"       custody collect --list-profiles",
	"snapshot this host into one sealed evidence archive",
	cmd_collect_exec
};
