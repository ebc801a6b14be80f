/* Unit tests: manifest lines written and read back, and hostile lines refused. */
#include "config.h"

#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "custody/hash.h"
#include "custody/manifest.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A file entry with two digests, written then parsed. */
static void
test_entry_round_trip(void **state)
{
	struct manifest_entry e = { 0 };
	struct manifest_record r;
	struct hash_set set;
	struct stat st = { 0 };
	char *line;
	size_t len;

	(void)state;
	st.st_mode = S_IFREG | 0640;
	st.st_size = 0;
	assert_int_equal(hash_set_init(&set, HASH_MASK(HASH_SHA256) | HASH_MASK(HASH_MD5)), 0);
	hash_set_final(&set);
	e.path = "files/etc/x";
	e.path_len = strlen(e.path);
	e.source = "/etc/x";
	e.source_len = 6;
	e.kind = "file";
	e.status = STATUS_OK;
	e.st = &st;
	e.has_content = true;
	e.hashes = &set;
	e.mime = "inode/x-empty";
	line = manifest_entry_line(&e, &len);
	assert_non_null(line);
	assert_null(strchr(line, '\n'));
	assert_int_equal(manifest_parse_line(line, len, &r), 0);
	assert_int_equal(r.type, MANIFEST_ENTRY);
	assert_true(r.has_content);
	assert_string_equal(r.path, "files/etc/x");
	assert_string_equal(r.hashes[HASH_SHA256], EMPTY_SHA256);
	assert_string_equal(r.hashes[HASH_MD5], "d41d8cd98f00b204e9800998ecf8427e");
	assert_int_equal(r.hash_mask, HASH_MASK(HASH_SHA256) | HASH_MASK(HASH_MD5));
	assert_string_equal(json_string_value(json_object_get(r.json, "mode")), "0640");
	manifest_record_free(&r);
	hash_set_free(&set);
	free(line);
}

/* Names that are not UTF-8 travel as base64 and come back byte for byte. */
static void
test_binary_names(void **state)
{
	json_t *o = json_object();
	char *back;
	size_t len;

	(void)state;
	assert_int_equal(manifest_set_bytes(o, "path", "files/\xff\xfe", 8), 0);
	assert_null(json_object_get(o, "path"));
	assert_non_null(json_object_get(o, "path_base64"));
	assert_int_equal(manifest_get_bytes(o, "path", &back, &len), 0);
	assert_int_equal(len, 8);
	assert_memory_equal(back, "files/\xff\xfe", 8);
	free(back);
	json_decref(o);
}

/* Only paths custody could have written are safe. */
static void
test_path_safety(void **state)
{
	(void)state;
	assert_true(manifest_path_safe("files/etc/passwd", 16));
	assert_true(manifest_path_safe("live/processes.json", 19));
	assert_false(manifest_path_safe("files/../etc", 12));
	assert_false(manifest_path_safe("/etc/passwd", 11));
	assert_false(manifest_path_safe("files//x", 8));
	assert_false(manifest_path_safe("files/./x", 9));
	assert_false(manifest_path_safe("custody/seal.json", 17));
	assert_false(manifest_path_safe("files/", 6));
	assert_false(manifest_path_safe("files/a\0b", 9));
}

/* Hostile lines: each refused with a reason. */
static void
test_hostile_lines(void **state)
{
	const char *bad[] = {
		"not json",
		"[1,2]",
		"{\"type\":\"entry\",\"type\":\"entry\"}",
		"{\"type\":\"nonsense\"}",
		"{\"type\":\"entry\",\"kind\":\"file\",\"status\":\"ok\",\"path\":\"files/../x\",\"size\":1,\"sha256\":\"" EMPTY_SHA256 "\"}",
		"{\"type\":\"entry\",\"kind\":\"file\",\"status\":\"ok\",\"path\":\"files/x\",\"size\":-1,\"sha256\":\"" EMPTY_SHA256 "\"}",
		"{\"type\":\"entry\",\"kind\":\"file\",\"status\":\"ok\",\"path\":\"files/x\",\"size\":99999999999999999999,\"sha256\":\"" EMPTY_SHA256 "\"}",
		"{\"type\":\"entry\",\"kind\":\"file\",\"status\":\"ok\",\"path\":\"files/x\",\"size\":1}",
		"{\"type\":\"entry\",\"kind\":\"file\",\"status\":\"ok\",\"path\":\"files/x\",\"size\":1,\"sha256\":\"XYZ\"}",
		"{\"type\":\"entry\",\"kind\":\"fifo\",\"status\":\"ok\",\"path\":\"files/x\",\"size\":1,\"sha256\":\"" EMPTY_SHA256 "\"}",
		"{\"type\":\"entry\",\"kind\":\"file\",\"status\":\"fine\"}",
		"{\"type\":\"trailer\"}",
	};
	struct manifest_record r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(manifest_parse_line(bad[i], strlen(bad[i]), &r), -1);
		/* A failed parse leaves nothing to free (verify relies on it). */
		assert_null(r.json);
		assert_null(r.path);
		/* An entry line is still a leaf: the caller must know it was one. */
		assert_int_equal(r.type, strncmp(bad[i], "{\"type\":\"entry\"", 15) == 0 ?
		    MANIFEST_ENTRY : MANIFEST_UNKNOWN);
	}
}

/* Header and trailer lines. */
static void
test_header_trailer(void **state)
{
	json_t *h = manifest_header_new();
	struct manifest_record r;
	const char *trailer = "{\"type\":\"trailer\",\"entries\":42}";
	char *line;
	size_t len;

	(void)state;
	line = manifest_dump(h, &len);
	assert_int_equal(manifest_parse_line(line, len, &r), 0);
	assert_int_equal(r.type, MANIFEST_HEADER);
	manifest_record_free(&r);
	assert_int_equal(manifest_parse_line(trailer, strlen(trailer), &r), 0);
	assert_int_equal(r.type, MANIFEST_TRAILER);
	assert_int_equal(r.entries, 42);
	manifest_record_free(&r);
	free(line);
	json_decref(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_round_trip),
		cmocka_unit_test(test_binary_names),
		cmocka_unit_test(test_path_safety),
		cmocka_unit_test(test_hostile_lines),
		cmocka_unit_test(test_header_trailer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
