/* Unit tests: SHA256SUMS lines as coreutils writes and reads them. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "custody/lines.h"
#include "custody/sums.h"

#define HEX "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Write one line to a string. */
static char *
write_line(const char *path, size_t len)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_int_equal(sums_write_line(f, HEX, path, len), 0);
	fclose(f);
	return text;
}

/* Plain names are written as is; names with \, \n or \r escaped as coreutils does. */
static void
test_write_escaping(void **state)
{
	char *line;

	(void)state;
	line = write_line("files/a b", 9);
	assert_string_equal(line, HEX "  files/a b\n");
	free(line);
	line = write_line("a\nb", 3);
	assert_string_equal(line, "\\" HEX "  a\\nb\n");
	free(line);
	line = write_line("c\\d\re", 5);
	assert_string_equal(line, "\\" HEX "  c\\\\d\\re\n");
	free(line);
}

/* What is written parses back to the same name. */
static void
test_round_trip(void **state)
{
	const char *names[] = { "x", "files/with space", "n\nl", "b\\s", "r\rr", "\\\n\\" };
	char *line, *hex, *path;
	size_t i, len, path_len;

	(void)state;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		line = write_line(names[i], strlen(names[i]));
		len = strlen(line) - 1;
		line[len] = '\0';
		assert_int_equal(sums_parse_line(line, len, &hex, &path, &path_len), 0);
		assert_string_equal(hex, HEX);
		assert_int_equal(path_len, strlen(names[i]));
		assert_memory_equal(path, names[i], path_len);
		free(line);
	}
}

/* Malformed lines are refused. */
static void
test_malformed(void **state)
{
	const char *bad[] = {
		"", "abc  x", HEX " x", HEX "  ", "\\" HEX "  a\\qb",
		"g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  x",
		"\\" HEX "  trailing\\",
	};
	char line[256], *hex, *path;
	size_t i, path_len;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(line, sizeof line, "%s", bad[i]);
		assert_int_equal(sums_parse_line(line, strlen(line), &hex, &path,
		    &path_len), -1);
	}
}

struct collected {
	char	lines[8][64];
	size_t	count;
	size_t	too_long;
};

/* lines callback that stores what it gets. */
static int
collect_line(char *line, size_t len, size_t number, void *arg)
{
	struct collected *c = arg;

	(void)number;
	if (line == NULL) {
		c->too_long++;
		return 0;
	}
	assert_true(len < 64);
	memcpy(c->lines[c->count++], line, len + 1);
	return 0;
}

/* The line splitter: lines across feeds, a last line without newline, the cap. */
static void
test_lines(void **state)
{
	struct collected c = { 0 };
	struct lines l;
	int unterminated;

	(void)state;
	lines_init(&l, 10);
	assert_int_equal(lines_feed(&l, "ab", 2, collect_line, &c), 0);
	assert_int_equal(lines_feed(&l, "c\n\nde", 5, collect_line, &c), 0);
	assert_int_equal(lines_feed(&l, "0123456789X\nf", 13, collect_line, &c), 0);
	assert_int_equal(lines_finish(&l, collect_line, &c, &unterminated), 0);
	assert_true(unterminated);
	assert_int_equal(c.count, 3);
	assert_string_equal(c.lines[0], "abc");
	assert_string_equal(c.lines[1], "");
	assert_string_equal(c.lines[2], "f");
	assert_int_equal(c.too_long, 1);
	lines_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_escaping),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
