/* RFC 3161 time-stamps: requests, responses against them, tokens verified. */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/opensslv.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "custody/error.h"
#include "custody/tsa.h"

#define TSA_DIGEST_SIZE	32
#define TSA_TEXT_MAX	128	/* of a TSA's status text, in messages */

/* OpenSSL 3.4 renamed the verify context setters that take ownership. */
#if OPENSSL_VERSION_NUMBER >= 0x30400000L
#define tsa_ctx_set_store(c, s)		TS_VERIFY_CTX_set0_store(c, s)
#define tsa_ctx_set_imprint(c, i, n)	TS_VERIFY_CTX_set0_imprint(c, i, n)
#else
#define tsa_ctx_set_store(c, s)		TS_VERIFY_CTX_set_store(c, s)
#define tsa_ctx_set_imprint(c, i, n)	TS_VERIFY_CTX_set_imprint(c, i, n)
#endif

static int tsa_error(const char *, ...) __attribute__((format(printf, 1, 2)));

static const char *const tsa_status_names[] = {
	"granted", "grantedWithMods", "rejection", "waiting",
	"revocationWarning", "revocationNotification"
};

/* Replace what a terminal could act on: the text comes from outside. */
static void
tsa_sanitize(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
	}
}

/* Record a message with OpenSSL's first reason appended; empties its queue. */
static int
tsa_error(const char *fmt, ...)
{
	char message[512], reason[512];
	const char *text, *data = NULL;
	unsigned long e;
	int flags = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags);
	if (e == 0) {
		ERR_clear_error();
		return error_set("%s", message);
	}
	if ((text = ERR_reason_error_string(e)) == NULL)
		ERR_error_string_n(e, reason, sizeof reason);
	else if ((flags & ERR_TXT_STRING) && data != NULL && *data != '\0')
		snprintf(reason, sizeof reason, "%s (%s)", text, data);
	else
		snprintf(reason, sizeof reason, "%s", text);
	ERR_clear_error();
	tsa_sanitize(reason);
	return error_set("%s: %s", message, reason);
}

/* Whether len bytes of DER is a size we parse. */
static int
tsa_check_size(const unsigned char *der, size_t len, const char *what)
{
	if (der == NULL || len == 0)
		return error_set("empty %s", what);
	if (len > TSA_MAX_SIZE)
		return error_set("%s too large (over %d bytes)", what,
		    TSA_MAX_SIZE);
	return 0;
}

/* Whether a decoder succeeded and used up its input, which ends at end. */
static int
tsa_check_parse(const void *value, const unsigned char *p,
    const unsigned char *end, const char *what)
{
	if (value == NULL)
		return tsa_error("malformed %s", what);
	if (p != end)
		return error_set("trailing bytes after the %s", what);
	return 0;
}

/* A DER TimeStampReq, exactly len bytes. */
static TS_REQ *
tsa_parse_request(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	TS_REQ *req;

	if (tsa_check_size(der, len, "time-stamp request") == -1)
		return NULL;
	req = d2i_TS_REQ(NULL, &p, (long)len);
	if (tsa_check_parse(req, p, der + len, "time-stamp request") == -1) {
		TS_REQ_free(req);
		return NULL;
	}
	return req;
}

/* A DER TimeStampResp, exactly len bytes. */
static TS_RESP *
tsa_parse_response(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	TS_RESP *resp;

	if (tsa_check_size(der, len, "time-stamp response") == -1)
		return NULL;
	resp = d2i_TS_RESP(NULL, &p, (long)len);
	if (tsa_check_parse(resp, p, der + len, "time-stamp response") == -1) {
		TS_RESP_free(resp);
		return NULL;
	}
	return resp;
}

/* A DER TimeStampToken (a CMS ContentInfo), exactly len bytes. */
static PKCS7 *
tsa_parse_token(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	PKCS7 *token;

	if (tsa_check_size(der, len, "time-stamp token") == -1)
		return NULL;
	token = d2i_PKCS7(NULL, &p, (long)len);
	if (tsa_check_parse(token, p, der + len, "time-stamp token") == -1) {
		PKCS7_free(token);
		return NULL;
	}
	return token;
}

/* A random 64-bit nonce, so that an old answer cannot be replayed. */
static ASN1_INTEGER *
tsa_nonce_new(void)
{
	unsigned char bytes[8];
	ASN1_INTEGER *nonce;
	uint64_t value = 0;
	size_t i;

	if (RAND_bytes(bytes, sizeof bytes) != 1) {
		tsa_error("cannot make a nonce");
		return NULL;
	}
	for (i = 0; i < sizeof bytes; i++)
		value = value << 8 | bytes[i];
	if ((nonce = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set_uint64(nonce, value) != 1) {
		ASN1_INTEGER_free(nonce);
		tsa_error("cannot make a nonce");
		return NULL;
	}
	return nonce;
}

/* The SHA-256 message imprint of a digest. */
static TS_MSG_IMPRINT *
tsa_imprint_new(const unsigned char digest[TSA_DIGEST_SIZE])
{
	unsigned char copy[TSA_DIGEST_SIZE];
	TS_MSG_IMPRINT *imprint = TS_MSG_IMPRINT_new();
	X509_ALGOR *algorithm = X509_ALGOR_new();
	int ok;

	memcpy(copy, digest, sizeof copy);
	ok = imprint != NULL && algorithm != NULL &&
	    X509_ALGOR_set0(algorithm, OBJ_nid2obj(NID_sha256), V_ASN1_NULL,
	    NULL) == 1 &&
	    TS_MSG_IMPRINT_set_algo(imprint, algorithm) == 1 &&
	    TS_MSG_IMPRINT_set_msg(imprint, copy, sizeof copy) == 1;
	X509_ALGOR_free(algorithm);
	if (!ok) {
		TS_MSG_IMPRINT_free(imprint);
		tsa_error("cannot build the message imprint");
		return NULL;
	}
	return imprint;
}

/* A version 1 request for a digest, with a fresh nonce and certReq. */
static TS_REQ *
tsa_request_new(const unsigned char digest[TSA_DIGEST_SIZE])
{
	TS_MSG_IMPRINT *imprint;
	ASN1_INTEGER *nonce;
	TS_REQ *req;
	int ok;

	if ((imprint = tsa_imprint_new(digest)) == NULL)
		return NULL;
	if ((nonce = tsa_nonce_new()) == NULL) {
		TS_MSG_IMPRINT_free(imprint);
		return NULL;
	}
	req = TS_REQ_new();
	ok = req != NULL && TS_REQ_set_version(req, 1) == 1 &&
	    TS_REQ_set_msg_imprint(req, imprint) == 1 &&
	    TS_REQ_set_nonce(req, nonce) == 1 &&
	    TS_REQ_set_cert_req(req, 1) == 1;
	TS_MSG_IMPRINT_free(imprint);
	ASN1_INTEGER_free(nonce);
	if (!ok) {
		TS_REQ_free(req);
		tsa_error("cannot build the time-stamp request");
		return NULL;
	}
	return req;
}

/* Make a DER TimeStampReq for a SHA-256 digest. */
int
tsa_request(const unsigned char digest[32], unsigned char **der, size_t *len)
{
	unsigned char *p;
	TS_REQ *req;
	int n;

	*der = NULL;
	*len = 0;
	ERR_clear_error();
	if ((req = tsa_request_new(digest)) == NULL)
		return -1;
	if ((n = i2d_TS_REQ(req, NULL)) <= 0) {
		TS_REQ_free(req);
		return tsa_error("cannot encode the time-stamp request");
	}
	if ((*der = p = malloc(n)) == NULL) {
		TS_REQ_free(req);
		return error_set_errno("cannot encode the time-stamp request");
	}
	*len = i2d_TS_REQ(req, &p);
	TS_REQ_free(req);
	return 0;
}

/* Whether the TSA granted the request; the status and its text if not. */
/* The SHA-256 imprint a DER request asks to be stamped. */
int
tsa_request_digest(const unsigned char *request, size_t len,
    unsigned char digest[32])
{
	TS_REQ *req = tsa_parse_request(request, len);
	const ASN1_OCTET_STRING *msg;
	int rc = -1;

	if (req == NULL)
		return -1;
	msg = TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(req));
	if (msg == NULL || ASN1_STRING_length(msg) != 32)
		tsa_error("the request's imprint is not a SHA-256 digest");
	else {
		memcpy(digest, ASN1_STRING_get0_data(msg), 32);
		rc = 0;
	}
	TS_REQ_free(req);
	return rc;
}

/* Check the response's status: granted or granted with modifications. */
static int
tsa_check_status(TS_RESP *resp)
{
	TS_STATUS_INFO *info = TS_RESP_get_status_info(resp);
	const STACK_OF(ASN1_UTF8STRING) *texts;
	const ASN1_UTF8STRING *first;
	char text[TSA_TEXT_MAX] = "";
	long status;

	status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(info));
	if (status == TS_STATUS_GRANTED ||
	    status == TS_STATUS_GRANTED_WITH_MODS)
		return 0;
	texts = TS_STATUS_INFO_get0_text(info);
	if (texts != NULL && sk_ASN1_UTF8STRING_num(texts) > 0) {
		first = sk_ASN1_UTF8STRING_value(texts, 0);
		snprintf(text, sizeof text, ": '%.*s'",
		    ASN1_STRING_length(first),
		    (const char *)ASN1_STRING_get0_data(first));
		tsa_sanitize(text);
	}
	if (status < 0 || status > TS_STATUS_REVOCATION_NOTIFICATION)
		return error_set("the TSA answered with unknown status %ld%s",
		    status, text);
	return error_set("the TSA did not grant the time-stamp: %s%s",
	    tsa_status_names[status], text);
}

/* The trust store holding the CA certificates of a PEM file. */
static X509_STORE *
tsa_store_load(const char *ca_file)
{
	X509_STORE *store;

	if ((store = X509_STORE_new()) == NULL) {
		tsa_error("cannot load CA file '%s'", ca_file);
		return NULL;
	}
	if (X509_STORE_load_file(store, ca_file) != 1) {
		X509_STORE_free(store);
		tsa_error("cannot load CA file '%s'", ca_file);
		return NULL;
	}
	return store;
}

/* What a response must match: its request, and the CA when given. */
static TS_VERIFY_CTX *
tsa_response_ctx(TS_REQ *req, const char *ca_file)
{
	int flags = TS_VFY_VERSION | TS_VFY_IMPRINT | TS_VFY_NONCE;
	TS_VERIFY_CTX *ctx;
	X509_STORE *store;

	/* Without a nonce OpenSSL would silently skip the replay check. */
	if (TS_REQ_get_nonce(req) == NULL) {
		error_set("the time-stamp request has no nonce");
		return NULL;
	}
	if ((ctx = TS_REQ_to_TS_VERIFY_CTX(req, NULL)) == NULL) {
		tsa_error("cannot set up the verification");
		return NULL;
	}
	if (ca_file != NULL) {
		if ((store = tsa_store_load(ca_file)) == NULL) {
			TS_VERIFY_CTX_free(ctx);
			return NULL;
		}
		tsa_ctx_set_store(ctx, store);
		flags |= TS_VFY_SIGNATURE | TS_VFY_SIGNER;
	}
	TS_VERIFY_CTX_set_flags(ctx, flags);
	return ctx;
}

/* The time the TSA put in the token, in seconds since the epoch. */
static int
tsa_gen_time(const TS_TST_INFO *info, time_t *gen_time)
{
	const ASN1_GENERALIZEDTIME *t = TS_TST_INFO_get_time(info);
	struct tm tm;
	time_t when;

	memset(&tm, 0, sizeof tm);
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return tsa_error("the time-stamp has an invalid time");
	if ((when = timegm(&tm)) == (time_t)-1)
		return error_set("the time-stamp's time is out of range");
	*gen_time = when;
	return 0;
}

/*
 * Copy the token out of a DER response byte for byte: encoding it again
 * could reorder its signed attributes and break the signature.
 */
static int
tsa_token_copy(const unsigned char *der, size_t len, unsigned char **token,
    size_t *token_len)
{
	const unsigned char *p = der, *end = der + len;
	long body;
	int tag, class;
	PKCS7 *check;

	/* The SEQUENCE header, the status; the token runs to the end. */
	if ((ASN1_get_object(&p, &body, &tag, &class, end - p) & 0x81) != 0 ||
	    tag != V_ASN1_SEQUENCE ||
	    (ASN1_get_object(&p, &body, &tag, &class, end - p) & 0x81) != 0 ||
	    body >= end - p)
		return tsa_error("the time-stamp response is not in DER");
	p += body;
	if ((check = tsa_parse_token(p, end - p)) == NULL)
		return -1;
	PKCS7_free(check);
	if ((*token = malloc(end - p)) == NULL)
		return error_set_errno("cannot copy the time-stamp token");
	memcpy(*token, p, end - p);
	*token_len = end - p;
	return 0;
}

/* Check a DER response against its request (and a CA); its token and time. */
int
tsa_check_response(const unsigned char *request, size_t request_len,
    const unsigned char *response, size_t response_len, const char *ca_file,
    unsigned char **token, size_t *token_len, time_t *gen_time)
{
	TS_VERIFY_CTX *ctx = NULL;
	TS_RESP *resp = NULL;
	TS_REQ *req;
	int ret = -1;

	*token = NULL;
	*token_len = 0;
	ERR_clear_error();
	if ((req = tsa_parse_request(request, request_len)) == NULL ||
	    (resp = tsa_parse_response(response, response_len)) == NULL ||
	    tsa_check_status(resp) == -1 ||
	    (ctx = tsa_response_ctx(req, ca_file)) == NULL)
		goto out;
	if (TS_RESP_verify_response(ctx, resp) != 1) {
		tsa_error("time-stamp response rejected");
		goto out;
	}
	if (tsa_gen_time(TS_RESP_get_tst_info(resp), gen_time) == -1 ||
	    tsa_token_copy(response, response_len, token, token_len) == -1)
		goto out;
	ret = 0;
out:
	TS_VERIFY_CTX_free(ctx);
	TS_RESP_free(resp);
	TS_REQ_free(req);
	ERR_clear_error();
	return ret;
}

/* What a token must match: the digest, signed by a TSA the CA vouches for. */
static TS_VERIFY_CTX *
tsa_token_ctx(const unsigned char digest[TSA_DIGEST_SIZE], const char *ca_file)
{
	TS_VERIFY_CTX *ctx;
	unsigned char *imprint;
	X509_STORE *store;

	if ((ctx = TS_VERIFY_CTX_new()) == NULL ||
	    (imprint = OPENSSL_memdup(digest, TSA_DIGEST_SIZE)) == NULL) {
		TS_VERIFY_CTX_free(ctx);
		tsa_error("cannot set up the verification");
		return NULL;
	}
	tsa_ctx_set_imprint(ctx, imprint, TSA_DIGEST_SIZE);
	if ((store = tsa_store_load(ca_file)) == NULL) {
		TS_VERIFY_CTX_free(ctx);
		return NULL;
	}
	tsa_ctx_set_store(ctx, store);
	TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE |
	    TS_VFY_SIGNER | TS_VFY_IMPRINT);
	return ctx;
}

/* The token's time; its imprint must be SHA-256 (OpenSSL does not check). */
static int
tsa_token_time(PKCS7 *token, time_t *gen_time)
{
	const ASN1_OBJECT *oid;
	TS_TST_INFO *info;
	int ret;

	if ((info = PKCS7_to_TS_TST_INFO(token)) == NULL)
		return tsa_error("malformed time-stamp token");
	X509_ALGOR_get0(&oid, NULL, NULL,
	    TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(info)));
	if (OBJ_obj2nid(oid) != NID_sha256)
		ret = error_set("the time-stamp is not over a SHA-256 digest");
	else
		ret = tsa_gen_time(info, gen_time);
	TS_TST_INFO_free(info);
	return ret;
}

/* The subject of the certificate that signed the token, for people. */
static int
tsa_signer_name(PKCS7 *token, char *name, size_t size)
{
	STACK_OF(X509) *signers;
	BIO *bio = NULL;
	char *text;
	long n;
	int ret = -1;

	if (name == NULL || size == 0)
		return 0;
	if ((signers = PKCS7_get0_signers(token, NULL, 0)) != NULL &&
	    sk_X509_num(signers) == 1 &&
	    (bio = BIO_new(BIO_s_mem())) != NULL &&
	    X509_NAME_print_ex(bio, X509_get_subject_name(sk_X509_value(signers,
	    0)), 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_get_mem_data(bio, &text)) >= 0) {
		snprintf(name, size, "%.*s", n > INT_MAX ? INT_MAX :
		    (int)n, text);
		tsa_sanitize(name);
		ret = 0;
	} else
		tsa_error("cannot name the TSA");
	BIO_free(bio);
	sk_X509_free(signers);
	return ret;
}

/* Parse a DER TimeStampResp (granted) or else a bare TimeStampToken. */
static int
tsa_token_parse(const unsigned char *der, size_t len, TS_RESP **resp,
    PKCS7 **bare)
{
	*bare = NULL;
	*resp = tsa_parse_response(der, len);
	if (*resp != NULL)
		return tsa_check_status(*resp);
	ERR_clear_error();
	*bare = tsa_parse_token(der, len);
	return *bare != NULL ? 0 : -1;
}

/* Verify a token or response for a digest against a CA file. */
int
tsa_verify(const unsigned char *token, size_t token_len,
    const unsigned char digest[32], const char *ca_file, time_t *gen_time,
    char *tsa_name, size_t tsa_name_size)
{
	TS_VERIFY_CTX *ctx = NULL;
	TS_RESP *resp;
	PKCS7 *bare, *p7;
	int ret = -1;

	ERR_clear_error();
	if (ca_file == NULL)
		return error_set("no CA file to verify the time-stamp against");
	if (tsa_token_parse(token, token_len, &resp, &bare) == -1 ||
	    (ctx = tsa_token_ctx(digest, ca_file)) == NULL)
		goto out;
	p7 = resp != NULL ? TS_RESP_get_token(resp) : bare;
	if (TS_RESP_verify_token(ctx, p7) != 1) {
		tsa_error("time-stamp token does not verify");
		goto out;
	}
	if (tsa_token_time(p7, gen_time) == -1 ||
	    tsa_signer_name(p7, tsa_name, tsa_name_size) == -1)
		goto out;
	ret = 0;
out:
	TS_VERIFY_CTX_free(ctx);
	TS_RESP_free(resp);
	PKCS7_free(bare);
	ERR_clear_error();
	return ret;
}
