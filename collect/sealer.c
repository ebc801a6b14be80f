/*
 * The seal writer: the manifest header and trailer, the custody/ members,
 * seal.json and its signature.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custody/compat.h"
#include "custody/error.h"
#include "custody/hash.h"
#include "custody/key.h"
#include "custody/manifest.h"
#include "custody/merkle.h"
#include "custody/seal.h"
#include "custody/sums.h"
#include "custody/util.h"
#include "collector.h"
#include "live.h"
#include "pkgcheck.h"
#include "collector-private.h"

/* The SHA-256 of the running binary, for the header. */
static void
collector_self_hash(struct collector *c, char out[65])
{
	unsigned char digest[32];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ssize_t n;
	int fd;

	strcpy(out, "unknown");
	/* /proc/self/exe is a link to the binary: follow it, on purpose. */
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = read(fd, c->buffer, READ_BLOCK)) > 0)
		EVP_DigestUpdate(md, c->buffer, (size_t)n);
	if (n == 0 && EVP_DigestFinal_ex(md, digest, NULL) == 1)
		util_hex(digest, sizeof digest, out);
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
}

/* The examiner object of the header. */
static json_t *
collector_examiner(const struct key *key)
{
	if (key->one_time)
		return json_pack("{s:s, s:b}", "fingerprint", key->fingerprint,
		    "one_time", 1);
	return json_pack("{s:s?, s:s?, s:s?, s:s}", "name", key->name,
	    "role", key->role, "organization", key->organization,
	    "fingerprint", key->fingerprint);
}

/* The hash names in use, as an array. */
static json_t *
collector_hash_names(unsigned mask)
{
	json_t *names = json_array();
	int alg;

	for (alg = 0; alg < HASH_COUNT; alg++)
		if (mask & HASH_MASK(alg))
			json_array_append_new(names, json_string(hash_name(alg)));
	return names;
}

/* Note what this kernel lacked so far (writing the output and spools). */
static void
collector_log_kernel(struct collector *c)
{
	enum compat_feature f;

	for (f = 0; f < COMPAT_FEATURES; f++)
		if (compat_missing(f))
			collector_log(c, "note kernel: %s", compat_describe(f));
}

/* Write the manifest's header line. */
int
collector_header(struct collector *c)
{
	json_t *h = manifest_header_new(), *host = hostinfo_collect();
	char started[UTIL_TIME_SIZE], self[65], *line;
	size_t len;

	util_time_format(&c->started, started);
	collector_self_hash(c, self);
	json_object_set_new(h, "case_id", json_string(c->opt->case_id));
	json_object_set_new(h, "evidence_id", json_string(c->opt->evidence_id));
	json_object_set_new(h, "started", json_string(started));
	json_object_set(h, "host", host != NULL ? host : json_null());
	json_object_set_new(h, "tool", json_pack("{s:s, s:s, s:s}", "name",
	    PACKAGE_NAME, "version", PACKAGE_VERSION, "sha256", self));
	json_object_set(h, "command_line", c->opt->command_line);
	json_object_set_new(h, "examiner", collector_examiner(c->opt->key));
	json_object_set_new(h, "hashes", collector_hash_names(c->opt->hash_mask));
	/* "host": typed here (mime, type_bytes); "none": by the examiner, later. */
	json_object_set_new(h, "types", json_string(c->opt->types ? "host" : "none"));
	if (c->opt->types)
		json_object_set_new(h, "type_bytes", json_integer((json_int_t)c->opt->type_bytes));
	json_object_set(h, "profiles", c->opt->profiles);
	json_decref(host);
	line = manifest_dump(h, &len);
	json_decref(h);
	if (line == NULL)
		return -1;
	fwrite(line, 1, len, c->manifest.file);
	fputc('\n', c->manifest.file);
	free(line);
	if (c->opt->key->one_time)
		collector_log(c, "start case %s evidence %s sealed with one-time key "
		    "%s (made in memory for this collection; its private half is "
		    "wiped after sealing and never written)", c->opt->case_id,
		    c->opt->evidence_id, c->opt->key->fingerprint);
	else
		collector_log(c, "start case %s evidence %s by %s", c->opt->case_id,
		    c->opt->evidence_id, c->opt->key->fingerprint);
	collector_log_kernel(c);
	return 0;
}

/* Write the trailer line. */
static int
collector_trailer(struct collector *c, const char *finished)
{
	json_t *t;
	char *line;
	size_t len;

	t = json_pack("{s:s, s:I, s:s, s:{s:I, s:I, s:I, s:I, s:I}}",
	    "type", "trailer", "entries", (json_int_t)c->result.entries,
	    "finished", finished, "counts",
	    "members", (json_int_t)c->result.members,
	    "bytes", (json_int_t)c->result.content_bytes,
	    "skipped", (json_int_t)c->result.skipped,
	    "errors", (json_int_t)c->result.errors,
	    "changed", (json_int_t)c->result.changed);
	if (t == NULL || (line = manifest_dump(t, &len)) == NULL) {
		json_decref(t);
		return error_set("cannot write the trailer");
	}
	json_decref(t);
	fwrite(line, 1, len, c->manifest.file);
	fputc('\n', c->manifest.file);
	free(line);
	return ferror(c->manifest.file) ? error_set_errno("manifest") : 0;
}

/* Write the final member of a text from its spool and list it in SHA256SUMS. */
static int
collector_custody_member(struct collector *c, struct spool *s, const char *path,
    char hex[65])
{
	unsigned char digest[32], whole[32];
	char member_hex[65];

	if (spool_to_member(c, s, path, digest) != 0 ||
	    spool_whole_digest(s, whole) != 0)
		return -1;
	util_hex(digest, sizeof digest, member_hex);
	/* The seal commits to the whole manifest: its parts, then this member. */
	util_hex(s == &c->manifest ? whole : digest, sizeof digest, hex);
	return s == &c->sums ? 0 : sums_write_line(c->sums.file, member_hex,
	    path, strlen(path));
}

/* Sign and write seal.json and seal.sig. */
static int
collector_seal(struct collector *c, struct seal *s)
{
	unsigned char signature[KEY_SIGNATURE_SIZE];
	struct timespec now;
	size_t len;
	char *text;
	int rc = -1;

	if ((text = seal_serialize(s, c->opt->key, &len)) == NULL)
		return -1;
	util_time_now(&now);
	if (key_sign(c->opt->key, text, len, signature) == 0 &&
	    writer_begin(c->writer, SEAL_PATH, (int64_t)len, &now) == 0 &&
	    writer_data(c->writer, text, len) == 0 && writer_end(c->writer) == 0 &&
	    writer_begin(c->writer, SEAL_SIG_PATH, sizeof signature, &now) == 0 &&
	    writer_data(c->writer, signature, sizeof signature) == 0 &&
	    writer_end(c->writer) == 0)
		rc = 0;
	free(text);
	return rc;
}

/* Fill the seal's fields from the run. */
static void
collector_seal_fields(struct collector *c, struct seal *s, const char *started,
    const char *finished, char *hostname)
{
	merkle_hash root;
	struct collect_result *r = &c->result;

	memset(s, 0, sizeof *s);
	s->case_id = c->opt->case_id;
	s->evidence_id = c->opt->evidence_id;
	hostinfo_name(hostname, 256);
	s->hostname = hostname;
	s->started = started;
	s->finished = finished;
	s->counts.entries = r->entries;
	s->counts.members = r->members;
	s->counts.bytes = r->content_bytes;
	s->counts.skipped = r->skipped;
	s->counts.errors = r->errors;
	s->counts.changed = r->changed;
	merkle_builder_root(&c->tree, root);
	util_hex(root, sizeof root, r->merkle_root);
	s->merkle_root = r->merkle_root;
	s->tool_version = PACKAGE_VERSION;
}

/* Write the custody/ members and the seal. */
static int
collector_write_custody(struct collector *c)
{
	char started[UTIL_TIME_SIZE], finished[UTIL_TIME_SIZE], hostname[256];
	char manifest_hex[65], log_hex[65], sums_hex[65];
	struct timespec end;
	struct seal s;

	if (collector_drain(c, true) != 0)
		return -1;
	util_time_now(&end);
	util_time_format(&c->started, started);
	util_time_format(&end, finished);
	snprintf(c->result.started, sizeof c->result.started, "%s", started);
	if (collector_trailer(c, finished) != 0)
		return -1;
	collector_log(c, "end: %llu entries, %llu errors; sealing",
	    (unsigned long long)c->result.entries,
	    (unsigned long long)c->result.errors);
	if (collector_custody_member(c, &c->manifest, MANIFEST_PATH, manifest_hex) != 0 ||
	    collector_custody_member(c, &c->log, LOG_PATH, log_hex) != 0 ||
	    collector_custody_member(c, &c->sums, SUMS_PATH, sums_hex) != 0)
		return -1;
	collector_seal_fields(c, &s, started, finished, hostname);
	s.manifest_sha256 = manifest_hex;
	s.log_sha256 = log_hex;
	s.sums_sha256 = sums_hex;
	s.parts[SEAL_TEXT_MANIFEST] = c->manifest.parts;
	s.parts[SEAL_TEXT_SUMS] = c->sums.parts;
	s.parts[SEAL_TEXT_LOG] = c->log.parts;
	c->result.seconds = (double)(end.tv_sec - c->started.tv_sec) +
	    (double)(end.tv_nsec - c->started.tv_nsec) / 1e9;
	return collector_seal(c, &s);
}

/* Write "HEX  NAME" beside the archive, exclusively. */
static int
collector_sidecar(const char *archive, const char *hex)
{
	char *path, *line, *copy = strdup(archive);
	int len, rc = -1;

	if (copy == NULL || asprintf(&path, "%s.sha256", archive) < 0) {
		free(copy);
		return error_set_errno("asprintf");
	}
	if ((len = asprintf(&line, "%s  %s\n", hex, basename(copy))) < 0)
		error_set_errno("asprintf");
	else {
		rc = util_write_new_file(path, line, (size_t)len, 0600);
		free(line);
	}
	free(path);
	free(copy);
	return rc;
}

/* Write custody/ and the seal, close the archive. */
int
collector_finish(struct collector *c, struct collect_result *result)
{
	unsigned char digest[32];
	struct writer *w = c->writer;

	/* The sink's package checks are done before they are reported. */
	if (sink_wait(c) != 0)
		return -1;
	if (c->pkgcheck != NULL &&
	    pkgcheck_write(c->pkgcheck, c, collector_reached) != 0)
		return -1;
	/* Everything read is written; the rest is done by this thread. */
	if (sink_stop(c) != 0 || collector_write_custody(c) != 0)
		return -1;
	c->writer = NULL;
	if (writer_close(w, digest, &c->result.archive_bytes) != 0)
		return -1;
	util_hex(digest, sizeof digest, c->result.archive_sha256);
	if (c->final_path != NULL &&
	    collector_sidecar(c->final_path, c->result.archive_sha256) != 0)
		return -1;
	*result = c->result;
	result->archive_path = c->final_path;
	c->final_path = NULL;
	c->result.problems = NULL;
	return 0;
}
