/* The modules source: /proc/modules, /sys/module and the kernel taint mask. */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"

/* The taint letters of the kernel's taint mask, in bit order. */
void
live_set_tainted(json_t *doc, json_t *errors)
{
	static const char letters[] = "PFSRMBUDAWCIOELKXTNJ";
	unsigned long long mask;
	struct live_file f;
	char flags[65];
	size_t i, n = 0;

	if (live_read(AT_FDCWD, "/proc/sys/kernel/tainted", LIVE_PROC_MAX,
	    &f) != 0) {
		live_note(errors);
		json_object_set_new(doc, "tainted", json_null());
		return;
	}
	mask = strtoull(f.data, NULL, 10);
	free(f.data);
	for (i = 0; i < 64; i++)
		if (mask & (1ULL << i))
			flags[n++] = i < sizeof letters - 1 ? letters[i] : '?';
	flags[n] = '\0';
	json_object_set_new(doc, "tainted", json_integer((json_int_t)mask));
	json_object_set_new(doc, "tainted_flags", json_string(flags));
}

/* The modules that use a module, from a "a,b," list ("-" for none). */
static json_t *
live_module_users(char *text)
{
	json_t *list = json_array();
	char *name, *save;

	if (strcmp(text, "-") == 0)
		return list;
	for (name = strtok_r(text, ",", &save); name != NULL;
	    name = strtok_r(NULL, ",", &save))
		json_array_append_new(list, live_string(name, strlen(name)));
	return list;
}

/* One /proc/modules line as an object; NULL if malformed. */
static json_t *
live_module(char *line)
{
	char *field[7], *save;
	size_t len;
	json_t *m;
	int n;

	for (n = 0; n < 7; n++)
		if ((field[n] = strtok_r(n == 0 ? line : NULL, " ", &save)) == NULL)
			break;
	if (n < 6)
		return NULL;
	m = json_object();
	live_set_bytes(m, "name", field[0], strlen(field[0]));
	json_object_set_new(m, "size",
	    json_integer((json_int_t)strtoull(field[1], NULL, 10)));
	json_object_set_new(m, "refcount",
	    json_integer((json_int_t)strtoll(field[2], NULL, 10)));
	json_object_set_new(m, "used_by", live_module_users(field[3]));
	json_object_set_new(m, "state", live_string(field[4], strlen(field[4])));
	json_object_set_new(m, "address", live_string(field[5], strlen(field[5])));
	if (n == 7) {
		/* "(OE)": the taint letters this module brought. */
		len = strspn(field[6], "(");
		json_object_set_new(m, "taint", live_string(field[6] + len,
		    strcspn(field[6] + len, ")")));
	}
	return m;
}

/* Add every module of a /proc/modules text. */
static void
live_modules_parse(json_t *list, char *text)
{
	char *cursor = text, *line;
	json_t *m;

	while ((line = util_next_line(&cursor)) != NULL)
		if ((m = live_module(line)) != NULL)
			json_array_append_new(list, m);
}

/* The modules source: /proc/modules and the kernel's taint. */
static int
live_modules(struct live_run *run)
{
	json_t *doc = run->doc, *errors = run->errors;
	struct live_file f;
	json_t *list = json_array();
	bool sysfs;

	live_set_tainted(doc, errors);
	sysfs = live_sysfs_modules(doc, errors) == 0;
	if (live_read(AT_FDCWD, "/proc/modules", LIVE_PROC_MAX, &f) != 0) {
		if (errno == ENOENT)
			json_object_set_new(doc, "note", json_string("no /proc/"
			    "modules: kernel built without loadable modules"));
		else
			live_note(errors);
		live_set_count(doc, list);
		json_object_set_new(doc, "modules", list);
		return json_is_null(json_object_get(doc, "tainted")) && !sysfs ?
		    error_set("neither /proc/modules nor /sys/module could be read") : 0;
	}
	live_modules_parse(list, f.data);
	live_set_count(doc, list);
	json_object_set_new(doc, "modules", list);
	free(f.data);
	return 0;
}

const struct live_reader live_reader_modules = {
	.origin = "/proc/modules, /sys/module, /proc/sys/kernel/tainted",
	.fill = live_modules,
};
