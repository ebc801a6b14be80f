/*
 * The seal (custody/seal.json): the signed statement over an archive. It
 * commits to the manifest (SHA-256 and Merkle root over its entry lines)
 * and to every other member of custody/ by hash; custody/seal.sig is the
 * raw Ed25519 signature of seal.json's exact bytes.
 */
#ifndef CUSTODY_SEAL_H
#define CUSTODY_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "custody/key.h"

#define SEAL_VERSION	1
#define SEAL_VERSION_PARTS	2	/* a seal whose texts were written in parts */
#define SEAL_MAX_SIZE	(1024 * 1024)
#define SEAL_PATH	"custody/seal.json"
#define SEAL_SIG_PATH	"custody/seal.sig"
#define SUMS_PATH	"custody/SHA256SUMS"
#define LOG_PATH	"custody/collection.log"

/*
 * A text of custody/ may be written in parts as it grows: part N of the
 * manifest is custody/manifest.d/NNNNNN.jsonl, of SHA256SUMS
 * custody/SHA256SUMS.d/NNNNNN, of the log custody/collection.log.d/NNNNNN
 * (six digits, from 000001), all before the text's final member.
 */
enum seal_text {
	SEAL_TEXT_MANIFEST,
	SEAL_TEXT_SUMS,
	SEAL_TEXT_LOG,
	SEAL_TEXTS
};

#define SEAL_PARTS_MAX		999999
#define SEAL_PART_NAME_SIZE	64

struct seal_counts {
	uint64_t	entries;	/* manifest entry lines */
	uint64_t	members;	/* files/ and live/ members */
	uint64_t	bytes;		/* content bytes in those members */
	uint64_t	skipped;	/* left out by design */
	uint64_t	errors;		/* could not be read */
	uint64_t	changed;	/* changed while read or truncated */
};

struct seal {
	json_t			*json;
	const char		*case_id;
	const char		*evidence_id;
	const char		*hostname;
	const char		*collector_name;
	const char		*collector_role;
	const char		*collector_organization;	/* may be NULL */
	const char		*fingerprint;
	unsigned char		 public_key[KEY_RAW_SIZE];
	bool			 one_time;	/* collector.one_time: a key made for this archive */
	const char		*started;
	const char		*finished;
	struct seal_counts	 counts;
	const char		*manifest_sha256;
	const char		*merkle_root;
	const char		*sums_sha256;
	const char		*log_sha256;
	const char		*tool_version;
	uint64_t		 parts[SEAL_TEXTS];	/* all 0: a version 1 seal */
};

/*
 * Serialize a seal from its fields (json ignored) as indented JSON with a
 * final newline; malloc'd, NULL on error.
 */
char *seal_serialize(const struct seal *, const struct key *collector,
    size_t *len);
/* Parse and check a seal; fields point into seal->json. 0 or -1. */
int seal_parse(const char *data, size_t len, struct seal *);
/* The final member of a text: custody/manifest.jsonl... */
const char *seal_text_path(enum seal_text);
/* The name of part number (1 to SEAL_PARTS_MAX) of a text into out. 0 or -1. */
int seal_part_name(enum seal_text, uint64_t number, char out[SEAL_PART_NAME_SIZE]);
/*
 * Whether a member name lies in a text's parts directory: 1 with *text
 * and *number set (*number 0 when the rest is not a part's name custody
 * writes), 0 when it is not in one.
 */
int seal_part_parse(const char *path, size_t len, enum seal_text *text,
    uint64_t *number);
/* Release a parsed seal. */
void seal_free(struct seal *);

#endif
