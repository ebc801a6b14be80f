/*
 * Say that a ledger does not verify, first and loudly, for the commands
 * that show it (log, export, audit): the check itself is in lib/.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custody/store.h"
#include "custody/store-check.h"
#include "custody/util.h"
#include "ledger.h"

/* Say loudly that the ledger does not verify, and list its problems. */
void
ledger_warn_problems(const struct store_check *c, FILE *out, const char *prefix)
{
	size_t i, n = json_array_size(c->problems);
	char *case_id = util_escape(store_case_id(c->store),
	    strlen(store_case_id(c->store)));
	const json_t *p, *seq;
	const char *text;

	fprintf(out, "%s*** NOT VERIFIED: the ledger of case %s does not verify "
	    "(%zu problem%s): what follows is NOT the verified custody record ***\n",
	    prefix, case_id != NULL ? case_id : "?", n, n == 1 ? "" : "s");
	free(case_id);
	json_array_foreach(c->problems, i, p) {
		seq = json_object_get(p, "event");
		text = json_string_value(json_object_get(p, "problem"));
		if (text == NULL)
			text = "(out of memory)";
		if (json_is_integer(seq))
			fprintf(out, "%sFAILED event #%" JSON_INTEGER_FORMAT ": %s\n",
			    prefix, json_integer_value(seq), text);
		else
			fprintf(out, "%sFAILED %s\n", prefix, text);
	}
}

/* Verify the ledger for a command that shows it; says so on stderr when it fails. */
int
ledger_warn_check(struct store *s, struct store_check *c, const char *command)
{
	char *case_id;

	if (store_check_run(s, c, NULL, 0, NULL) != 0)
		return -1;
	if (store_check_ok(c))
		return 0;
	case_id = util_escape(store_case_id(s), strlen(store_case_id(s)));
	fprintf(stderr, "custody %s: the ledger of case %s does NOT verify "
	    "(%zu problem%s, listed first in the output; custody ledger verify "
	    "explains)\n", command, case_id != NULL ? case_id : "?",
	    json_array_size(c->problems), json_array_size(c->problems) == 1 ?
	    "" : "s");
	free(case_id);
	return 0;
}
