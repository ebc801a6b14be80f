/* custody verify --signature: a detached signature of one file. */
#ifndef CUSTODY_VERIFY_SIGNATURE_H
#define CUSTODY_VERIFY_SIGNATURE_H

#include <stdbool.h>

/*
 * Check that file is signed by the key in key_path (custody's .pub, a bare
 * PEM public key, or a minisign public key) with signature_path (a raw
 * 64-byte Ed25519 signature or a .minisig). An exit status.
 */
int verify_signature(const char *signature_path, const char *key_path,
    const char *file, bool quiet);

#endif
