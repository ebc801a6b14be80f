/* custody prove: cut an inclusion proof of one file out of an archive. */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custody/command.h"
#include "custody/error.h"
#include "custody/merkle.h"
#include "custody/proof.h"
#include "custody/util.h"
#include "reader.h"

static const struct option prove_longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ NULL, 0, NULL, 0 }
};

/* Write the proof exclusively (or to stdout for "-"). */
static int
prove_write(const char *out, const char *text, size_t len)
{
	if (strcmp(out, "-") == 0)
		return fwrite(text, 1, len, stdout) == len ? 0 :
		    error_set_errno("stdout");
	return util_write_new_file(out, text, len, 0600);
}

/* Build the proof from a checked archive. */
static int
prove_build(struct check *c, const char *out)
{
	struct proof p = { 0 };
	char *text, archive_hex[65];
	size_t len;
	int rc;

	p.archive_sha256 = util_hex(c->archive_sha256, 32, archive_hex);
	p.seal = c->seal_text;
	p.seal_len = c->seal_len;
	p.signature = c->seal_sig;
	p.signature_len = c->seal_sig_len;
	p.entry = c->wanted_line;
	p.entry_len = c->wanted_len;
	p.index = c->wanted_index;
	p.tree_size = c->leaf_count;
	if (merkle_inclusion_proof(c->leaves, c->leaf_count, p.index, p.path,
	    &p.path_len) != 0)
		return error_set("cannot build the Merkle path");
	if ((text = proof_serialize(&p, &len)) == NULL)
		return -1;
	rc = prove_write(out, text, len);
	free(text);
	return rc;
}

/* Check the archive whole before cutting a proof from it. */
static int
prove_archive(const char *archive, const char *member, const char *out)
{
	struct check c = { .keep_leaves = true, .want = member };
	json_t *seal = NULL;
	int status = EXIT_VERIFIED;

	if (check_archive(archive, &c) != 0) {
		check_free(&c);
		return command_fail("prove", EXIT_USAGE);
	}
	check_seal(&c, NULL, &seal);
	if (json_array_size(c.problems) > 0 || c.failed) {
		error_set("%s does not verify (run custody verify); no proof written",
		    archive);
		status = command_fail("prove", EXIT_INTEGRITY);
	} else if (!c.wanted_found) {
		error_set("%s: no entry for \"%s\" in the manifest", archive, member);
		status = command_fail("prove", EXIT_USAGE);
	} else if (!c.wanted_has_content) {
		error_set("%s: \"%s\" has no content in the archive (see its "
		    "manifest entry); nothing to prove", archive, member);
		status = command_fail("prove", EXIT_USAGE);
	} else if (prove_build(&c, out) != 0)
		status = command_fail("prove", EXIT_USAGE);
	json_decref(seal);
	check_free(&c);
	return status;
}

/* custody prove. */
static int
cmd_prove_exec(int argc, char **argv)
{
	const char *out = NULL;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:", prove_longopts, NULL)) != -1) {
		if (ch != 'o')
			return command_usage(&cmd_prove_entry);
		out = optarg;
	}
	if (out == NULL || optind + 2 != argc)
		return command_usage(&cmd_prove_entry);
	return prove_archive(argv[optind], argv[optind + 1], out);
}

const struct command cmd_prove_entry = {
	"prove",
	"prove ARCHIVE MEMBER -o PROOF.json",
	"write an inclusion proof of one file of an archive",
	cmd_prove_exec
};
