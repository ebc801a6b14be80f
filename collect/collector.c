/*
 * The life cycle of a collection: setup, the output, the entries of a
 * profile, and the end.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custody/error.h"
#include "custody/filetype.h"
#include "custody/hash.h"
#include "custody/key.h"
#include "custody/manifest.h"
#include "custody/merkle.h"
#include "custody/pathmap.h"
#include "custody/profile.h"
#include "custody/util.h"
#include "collector.h"
#include "live.h"
#include "mountclass.h"
#include "pkgcheck.h"
#include "collector-private.h"

/* Online CPUs, for the typing threads (1 when unknown). */
static int
collector_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}

/* Allocate the parts that do not depend on the output. */
static int
collector_setup(struct collector *c, const struct collect_options *opt)
{
	struct stat st;

	c->opt = opt;
	util_time_now(&c->started);
	merkle_builder_init(&c->tree);
	c->slurp_size = 64 * 1024;
	c->buffer = malloc(READ_BLOCK);
	c->slurp = malloc(c->slurp_size);
	c->result.problems = json_array();
	if (c->buffer == NULL || c->slurp == NULL || c->result.problems == NULL)
		return error_set_errno("malloc");
	if (hash_set_init(&c->hashes, opt->hash_mask) != 0 ||
	    hash_set_init(&c->walk_hashes, opt->hash_mask) != 0 ||
	    (c->ids = idmap_load()) == NULL)
		return -1;
	if (opt->types && (c->typer = typer_new(collector_cpus(), TYPER_JOBS)) == NULL)
		return -1;
	if (opt->key_path != NULL && stat(opt->key_path, &st) == 0) {
		c->key_st = st;
		c->have_key_st = true;
	}
	return 0;
}

/* Open the archive output and the spools beside it. */
static int
collector_open_output(struct collector *c, const char *final_path)
{
	char *copy = NULL, *dir = NULL;
	int rc;

	if (final_path != NULL) {
		if ((c->final_path = strdup(final_path)) == NULL ||
		    (copy = strdup(final_path)) == NULL)
			return error_set_errno("strdup");
		dir = dirname(copy);
	}
	rc = -1;
	if ((c->writer = writer_open(final_path, c->opt->compress)) != NULL &&
	    writer_output_stat(c->writer, &c->output_st) == 0 &&
	    spool_open(&c->manifest, dir) == 0 && spool_open(&c->sums, dir) == 0 &&
	    spool_open(&c->log, dir) == 0)
		rc = 0;
	free(copy);
	return rc;
}

/* Prepare a collection. */
struct collector *
collector_new(const struct collect_options *opt)
{
	struct collector *c = calloc(1, sizeof *c);
	const char *out = opt->output;

	if (c == NULL) {
		error_set_errno("calloc");
		return NULL;
	}
	if (collector_setup(c, opt) != 0 ||
	    collector_open_output(c, strcmp(out, "-") == 0 ? NULL : out) != 0 ||
	    collector_header(c) != 0 || sink_start(c) != 0) {
		collector_free(c);
		return NULL;
	}
	return c;
}

/* Collect a path, glob or tree with the entry's limits. */
int
collector_path(struct collector *c, const char *path,
    const struct profile_entry *entry)
{
	struct walk_rules rules = {
		.max_depth = -1,
		.max_size = -1,
		.over_limit = c->opt->over_limit,
		.explicit_root = entry == NULL,
	};
	int64_t budget = entry != NULL ? entry->max_total : -1;

	if (entry != NULL) {
		rules.max_depth = entry->max_depth;
		rules.max_size = entry->max_size;
		rules.over_limit = entry->over_limit;
		rules.exclude = entry->exclude;
		rules.keep = entry->keep;
		rules.hash_only = entry->content == PROFILE_CONTENT_HASH;
		rules.summary = entry->skipped == PROFILE_SKIPPED_SUMMARY;
		rules.budget = budget >= 0 ? &budget : NULL;
	}
	return walk_path(c, path, &rules);
}

/* The package managers' digests, from the packages source, when it ran. */
struct pkgcheck *
collector_pkgcheck(struct collector *c)
{
	/*
	 * The source adds to it: the sink must not read it meanwhile. It is
	 * the sink's again when the source is done (collector_live).
	 */
	sink_wait(c);
	c->pkgcheck_ready = NULL;
	if (c->pkgcheck == NULL)
		c->pkgcheck = pkgcheck_new();
	return c->pkgcheck;
}

/* Abandon the collection, removing partial output. */
void
collector_free(struct collector *c)
{
	if (c == NULL)
		return;
	sink_free(c);
	writer_abort(c->writer);
	spool_close(&c->manifest);
	spool_close(&c->sums);
	spool_close(&c->log);
	hash_set_free(&c->hashes);
	hash_set_free(&c->walk_hashes);
	util_buffer_free(&c->line);
	util_buffer_free(&c->sums_line);
	util_buffer_free(&c->log_line);
	filetype_free(c->filetype);
	typer_free(c->typer);
	while (c->head != NULL) {
		struct pending *next = c->head->next;

		pending_free(c->head);
		c->head = next;
	}
	idmap_free(c->ids);
	free(c->seen.slots);
	pathset_free(&c->named);
	while (c->tree_count > 0)
		free(c->trees[--c->tree_count].path);
	free(c->trees);
	pkgcheck_free(c->pkgcheck);
	select_summary_free(&c->summary);
	mountclass_table_free(&c->mounts);
	json_decref(c->result.problems);
	free(c->buffer);
	free(c->slurp);
	free(c->final_path);
	free(c);
}

/* Release what a result holds. */
void
collect_result_free(struct collect_result *r)
{
	free(r->archive_path);
	json_decref(r->problems);
	memset(r, 0, sizeof *r);
}
