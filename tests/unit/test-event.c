/* Unit tests: the canonical serialization of ledger events. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "custody/event.h"

#define PREV "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A release event with every field set. */
static void
sample(struct event *e)
{
	memset(e, 0, sizeof *e);
	e->seq = 4;
	e->case_id = "IR-7";
	memcpy(e->prev, PREV, sizeof e->prev);
	e->time = "2026-11-23T10:00:00.000000000Z";
	e->action = "released";
	e->artifact = "E001";
	e->handler = "aa";
	e->counterpart = "bb";
	e->location = "Lobby";
	e->note = "bag 17";
}

/* The exact bytes: keys sorted, no white space, version 1. */
static void
test_canonical_bytes(void **state)
{
	struct event e;
	char *text;
	size_t len;

	(void)state;
	sample(&e);
	text = event_canonical(&e, &len);
	assert_string_equal(text, "{\"action\":\"released\",\"artifact\":\"E001\","
	    "\"case\":\"IR-7\",\"counterpart\":\"bb\",\"handler\":\"aa\","
	    "\"location\":\"Lobby\",\"note\":\"bag 17\",\"prev\":\"" PREV "\","
	    "\"seq\":4,\"time\":\"2026-11-23T10:00:00.000000000Z\",\"v\":1}");
	assert_int_equal(len, strlen(text));
	free(text);
}

/* Absent values are left out; non-ASCII text is escaped; refers is a number. */
static void
test_optional_and_escaping(void **state)
{
	struct event e;
	char *text;
	size_t len;

	(void)state;
	sample(&e);
	e.action = "received";
	e.counterpart = NULL;
	e.location = NULL;
	e.refers = 3;
	e.note = "caf\xc3\xa9\n\"ok\"";
	text = event_canonical(&e, &len);
	assert_null(strstr(text, "counterpart"));
	assert_null(strstr(text, "location"));
	assert_non_null(strstr(text, "\"refers\":3"));
	assert_non_null(strstr(text, "\"note\":\"caf\\u00E9\\n\\\"ok\\\"\""));
	free(text);
}

/* Details are part of the signed bytes. */
static void
test_details(void **state)
{
	struct event e;
	char *a, *b;
	size_t la, lb;
	json_t *d = json_pack("{s:s}", "archive_sha256", PREV);

	(void)state;
	sample(&e);
	e.action = "collected";
	e.details = d;
	a = event_canonical(&e, &la);
	json_object_set_new(d, "archive_sha256", json_string("00"));
	b = event_canonical(&e, &lb);
	assert_true(la != lb || memcmp(a, b, la) != 0);
	json_decref(d);
	free(a);
	free(b);
}

/* Actions and free texts are checked. */
static void
test_actions_and_texts(void **state)
{
	int recordable;
	char big[EVENT_TEXT_MAX + 2];

	(void)state;
	assert_true(event_action_known("analysed", &recordable));
	assert_true(recordable);
	assert_true(event_action_known("released", &recordable));
	assert_false(recordable);
	assert_false(event_action_known("stolen", &recordable));
	assert_int_equal(event_check_text("note", "two\nlines\tok"), 0);
	assert_int_equal(event_check_text("note", "bell\a"), -1);
	assert_int_equal(event_check_text("note", "bad\xff"), -1);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(event_check_text("note", big), -1);
}

/* event_parse gives back the event its canonical bytes were made from. */
static void
test_parse_round_trip(void **state)
{
	struct event e, back;
	json_t *o;
	char *text;
	size_t len;

	(void)state;
	sample(&e);
	e.note = "caf\xc3\xa9";
	text = event_canonical(&e, &len);
	assert_non_null(text);
	o = event_parse(text, len, &back);
	assert_non_null(o);
	assert_int_equal(back.seq, 4);
	assert_string_equal(back.case_id, "IR-7");
	assert_string_equal(back.prev, PREV);
	assert_string_equal(back.counterpart, "bb");
	assert_string_equal(back.note, "caf\xc3\xa9");
	assert_null(back.details);
	assert_int_equal(back.refers, 0);
	json_decref(o);
	free(text);
}

/* Bytes that are not an event in its one canonical form are refused. */
static void
test_parse_strict(void **state)
{
	static const char *const bad[] = {
		/* white space, unsorted keys, a duplicate, a NUL, a wrong type */
		"{\"action\": \"stored\"}",
		"{\"v\":1,\"action\":\"stored\"}",
		"{\"action\":\"stored\",\"action\":\"x\"}",
		"{\"action\":\"stored\",\"case\":\"C\",\"handler\":\"h\",\"note\":"
		    "\"a\\u0000b\",\"prev\":\"" PREV "\",\"seq\":1,\"time\":\"t\",\"v\":1}",
		"{\"action\":\"stored\",\"case\":\"C\",\"handler\":\"h\",\"prev\":\""
		    PREV "\",\"seq\":\"1\",\"time\":\"t\",\"v\":1}",
		"{\"action\":\"stored\",\"case\":\"C\",\"handler\":\"h\",\"prev\":\""
		    PREV "\",\"seq\":1,\"time\":\"t\",\"v\":1,\"x\":1}",
		"{\"action\":\"stored\",\"case\":\"C\",\"handler\":\"h\",\"prev\":\""
		    PREV "\",\"seq\":1,\"time\":\"t\",\"v\":2}",
		"{\"action\":\"stored\",\"case\":\"C\",\"handler\":\"h\",\"note\":"
		    "\"\xc3\xa9\",\"prev\":\"" PREV "\",\"seq\":1,\"time\":\"t\",\"v\":1}",
		"[1]",
	};
	static const char good[] = "{\"action\":\"stored\",\"case\":\"C\","
	    "\"handler\":\"h\",\"prev\":\"" PREV "\",\"seq\":1,\"time\":\"t\","
	    "\"v\":1}";
	struct event e;
	json_t *o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_null(event_parse(bad[i], strlen(bad[i]), &e));
	o = event_parse(good, sizeof good - 1, &e);
	assert_non_null(o);
	json_decref(o);
	/* A byte beyond the object is not the same bytes. */
	assert_null(event_parse(good, sizeof good, &e));
}

/* A text that is not UTF-8 cannot be serialized, and says so. */
static void
test_canonical_refuses_invalid_utf8(void **state)
{
	struct event e;
	size_t len;

	(void)state;
	sample(&e);
	e.location = "bad\xff";
	assert_null(event_canonical(&e, &len));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_bytes),
		cmocka_unit_test(test_optional_and_escaping),
		cmocka_unit_test(test_details),
		cmocka_unit_test(test_actions_and_texts),
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_parse_strict),
		cmocka_unit_test(test_canonical_refuses_invalid_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
