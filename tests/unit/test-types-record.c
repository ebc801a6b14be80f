/* Unit tests: the types record written and read back in its canonical form. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "custody/error.h"
#include "custody/types-record.h"

#define HEX_A "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HEX_B "554bb18af7b7ec5ee6cc145fed4bc429e24e91c7c6804d4dc3c2e0eff333e2b3"

/* A record of two members, one named by bytes that are not UTF-8. */
static char *
make_record(size_t *len)
{
	struct types_record_info info = { .entries = 5, .type_bytes = 1048576 };
	json_t *members = json_pack("[{s:i, s:s, s:s}, {s:i, s:s, s:s}]",
	    "index", 1, "mime", "text/plain", "path", "files/a \xc3\xa9",
	    "index", 3, "mime", "image/png", "path_base64", "ZmlsZXMv/w==");
	char *data;

	memcpy(info.archive_sha256, HEX_A, 65);
	memcpy(info.merkle_root, HEX_B, 65);
	memcpy(info.database_sha256, HEX_A, 65);
	memcpy(info.signer, HEX_B, 65);
	strcpy(info.tool_version, "5.44");
	strcpy(info.typed_at, "2026-12-01T22:12:25.049529084Z");
	assert_non_null(members);
	data = types_record_serialize(&info, members, len);
	json_decref(members);
	assert_non_null(data);
	return data;
}

/* The bytes are the documented ones, and they parse back to the same. */
static void
test_round_trip(void **state)
{
	struct types_record r;
	size_t len;
	char *data = make_record(&len);

	(void)state;
	assert_non_null(strstr(data, "\n{\"index\":1,\"mime\":\"text/plain\","
	    "\"path\":\"files/a \\u00E9\",\"type\":\"member\"}\n"));
	assert_non_null(strstr(data, "\n{\"members\":2,\"type\":\"trailer\"}\n"));
	assert_int_equal(strncmp(data, "{\"archive_sha256\":\"" HEX_A "\",\"entries\":5,"
	    "\"format\":\"custody-types\"", 98), 0);
	assert_int_equal(types_record_parse(data, len, &r), 0);
	assert_string_equal(r.info.merkle_root, HEX_B);
	assert_int_equal(r.info.entries, 5);
	assert_string_equal(r.info.tool_version, "5.44");
	assert_int_equal(json_array_size(r.members), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    r.members, 1), "path_base64")), "ZmlsZXMv/w==");
	types_record_free(&r);
	free(data);
}

/* Parse a variant of the record; returns the message of its refusal. */
static const char *
refusal(const char *data, size_t len)
{
	struct types_record r;
	int rc = types_record_parse(data, len, &r);

	types_record_free(&r);
	return rc == 0 ? NULL : error_message();
}

/* Truncation, a line not canonical, a wrong count, extra keys: refused, named. */
static void
test_refused(void **state)
{
	size_t len;
	char *data = make_record(&len), *copy = malloc(len + 64), *p;

	(void)state;
	assert_non_null(copy);
	assert_non_null(strstr(refusal(data, len - 1), "truncated"));
	assert_non_null(strstr(refusal(data, 0), "empty"));
	p = strstr(data, "{\"members\":2");
	assert_non_null(strstr(refusal(data, (size_t)(p - data)), "no trailer line"));
	memcpy(copy, data, len);
	copy[strstr(copy, "{\"members\":2") - copy + 11] = '3';
	assert_non_null(strstr(refusal(copy, len), "the trailer counts 3"));
	/* The same object with one space more is not the canonical line. */
	p = strstr(data, "\"index\":1");
	memcpy(copy, data, (size_t)(p - data));
	memcpy(copy + (p - data), "\"index\": ", 9);
	memcpy(copy + (p - data) + 9, p + 8, len - (size_t)(p - data) - 8);
	assert_non_null(strstr(refusal(copy, len + 1), "not in the canonical form"));
	memcpy(copy, data, len);
	p = strstr(copy, "\"version\":1");
	p[10] = '2';
	assert_non_null(strstr(refusal(copy, len), "not a version 1 custody-types header"));
	memcpy(copy, data, len);
	p = strstr(copy, "\"type\":\"member\"");
	memcpy(p, "\"type\":\"memben\"", 15);
	assert_non_null(strstr(refusal(copy, len), "not a member line"));
	free(copy);
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
