/*
 * The types record: the MIME type of every member with content of a
 * sealed archive, computed from the sealed content on the examiner's
 * machine and signed there, bound to the archive by its SHA-256 and the
 * Merkle root of its seal. JSON lines in one canonical form (the ledger
 * events' form: jansson's JSON_COMPACT | JSON_SORT_KEYS |
 * JSON_ENSURE_ASCII), each ending in LF:
 *
 *	{"archive_sha256":..,"entries":N,"format":"custody-types",
 *	 "merkle_root":..,"signer":..,"tool":{"database_sha256":..,
 *	 "name":"libmagic","version":".."},"type":"header",
 *	 "type_bytes":N,"typed_at":..,"version":1}
 *	{"index":I,"mime":..,"path":..,"type":"member"}	(or "path_base64")
 *	{"members":N,"type":"trailer"}
 *
 * FILE.sig beside it is the raw Ed25519 signature of FILE's exact bytes,
 * as custody/seal.sig is of the seal (custody-formats(5), TYPES RECORD).
 */
#ifndef CUSTODY_TYPES_RECORD_H
#define CUSTODY_TYPES_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "custody/key.h"
#include "custody/util.h"

#define TYPES_RECORD_FORMAT	"custody-types"
#define TYPES_RECORD_VERSION	1
#define TYPES_RECORD_MAX_SIZE	((size_t)1 << 30)
#define TYPES_RECORD_TOOL	"libmagic"

/* What a record says of the archive and of how it was typed. */
struct types_record_info {
	char		archive_sha256[65];
	char		merkle_root[65];
	uint64_t	entries;		/* manifest entry lines (leaves) */
	char		tool_version[32];	/* libmagic's, "5.45" */
	char		database_sha256[65];	/* of the compiled magic database */
	uint64_t	type_bytes;		/* of each member's start typed */
	char		signer[KEY_FINGERPRINT_SIZE];
	char		typed_at[UTIL_TIME_SIZE];
};

struct types_record {
	struct types_record_info info;
	json_t		*members;	/* [{"index","mime","path"|"path_base64","type"}] */
};

/*
 * The record's bytes: info, then members (objects {"index", "mime",
 * "path" or "path_base64"}, in index order) each as a member line, then
 * the trailer. malloc'd; NULL with the error set.
 */
char *types_record_serialize(const struct types_record_info *,
    const json_t *members, size_t *len);
/*
 * Parse a record: every line canonical, the header of this format and
 * version, each member line well formed, the trailer's count right.
 * Duplicates and order are the checker's to judge. 0, or -1 with the reason.
 */
int types_record_parse(const char *data, size_t len, struct types_record *);
void types_record_free(struct types_record *);

#endif
