/*
 * Types records of a verified archive (custody-formats(5), TYPES
 * RECORD): made from one check pass with types, and checked against one.
 */
#ifndef CUSTODY_VERIFY_TYPES_H
#define CUSTODY_VERIFY_TYPES_H

#include "custody/key.h"
#include "custody/types-record.h"

struct check;
struct store;

#define TYPES_SIG_SUFFIX	".sig"

/*
 * The signed record of a pass made with types over an archive that
 * verifies, whose seal gives merkle_root: written to path and
 * path.sig, never replacing a file. Fills *info and the record's
 * SHA-256. 0 or -1.
 */
int types_write(const struct check *, const char *merkle_root,
    const struct key *signer, const char *path, struct types_record_info *info,
    unsigned char record_sha256[32]);
/*
 * The record at path, against the pass that listed the archive's members
 * (and typed them, when it did): its signature (by key, or when key is
 * NULL by the handler of case it names), the archive and root it is
 * bound to, every member listed once, and the types when computed. What
 * differs is a problem of the pass; fills *info. 0, or -1 when the record
 * cannot be read at all.
 */
int types_check(struct check *, const char *merkle_root, const char *path,
    const struct key *key, struct store *case_store,
    struct types_record_info *info);

#endif
