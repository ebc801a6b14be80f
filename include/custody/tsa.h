/*
 * RFC 3161 time-stamps through OpenSSL's TS API: requests for any file,
 * responses checked against their request, tokens verified against a CA.
 */
#ifndef CUSTODY_TSA_H
#define CUSTODY_TSA_H

#include <stddef.h>
#include <time.h>

#define TSA_MAX_SIZE	(1024 * 1024)	/* requests, responses, tokens */

/*
 * A DER TimeStampReq for data whose SHA-256 is digest: version 1,
 * SHA-256 message imprint, a random 64-bit nonce, certReq true, no policy.
 * malloc'd DER in *der. 0 or -1.
 */
int tsa_request(const unsigned char digest[32], unsigned char **der, size_t *len);
/* The SHA-256 imprint a DER request asks to be stamped. 0 or -1. */
int tsa_request_digest(const unsigned char *request, size_t len,
    unsigned char digest[32]);
/*
 * Check a DER TimeStampResp against the DER request it answers: status
 * granted, same imprint, same nonce; the embedded token's signature and
 * certificate are checked against the CA file (PEM) when ca_file is not
 * NULL. On success *token (malloc'd DER of the token, the ContentInfo)
 * and *gen_time. 0, or -1 with the reason.
 */
int tsa_check_response(const unsigned char *request, size_t request_len,
    const unsigned char *response, size_t response_len, const char *ca_file,
    unsigned char **token, size_t *token_len, time_t *gen_time);
/*
 * Verify a token (DER TimeStampToken, or a whole DER TimeStampResp) for
 * data with SHA-256 digest against the CA file (PEM): signature, the
 * TSA certificate chain (with the timeStamping extended key usage) and
 * the imprint. *gen_time and a short description of the TSA (its
 * subject) on success. 0, or -1 with the reason.
 */
int tsa_verify(const unsigned char *token, size_t token_len,
    const unsigned char digest[32], const char *ca_file, time_t *gen_time,
    char *tsa_name, size_t tsa_name_size);

#endif
