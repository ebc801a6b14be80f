/* Unit tests: RFC 3161 requests, responses and tokens; an in-process TSA. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "custody/error.h"
#include "custody/tsa.h"

#define TEST_POLICY	"1.2.3.4.1"

/* The test PKI: a CA, a TSA it certifies, and strangers. */
struct pki {
	EVP_PKEY	*ca_key;
	EVP_PKEY	*tsa_key;
	EVP_PKEY	*other_key;
	X509		*ca;
	X509		*tsa;		/* EKU critical timeStamping */
	X509		*plain;		/* same key, no EKU */
	X509		*other_ca;	/* never heard of the TSA */
	char		 ca_file[64];
	char		 other_file[64];
};

/* One extension, as openssl.cnf would spell it. */
struct extension {
	int		 nid;
	const char	*value;
};

static const struct extension ca_extensions[] = {
	{ NID_basic_constraints, "critical,CA:TRUE" },
	{ NID_key_usage, "critical,keyCertSign,cRLSign" },
	{ NID_subject_key_identifier, "hash" },
	{ 0, NULL }
};

static const struct extension tsa_extensions[] = {
	{ NID_basic_constraints, "critical,CA:FALSE" },
	{ NID_key_usage, "critical,digitalSignature" },
	{ NID_ext_key_usage, "critical,timeStamping" },
	{ NID_subject_key_identifier, "hash" },
	{ NID_authority_key_identifier, "keyid:always" },
	{ 0, NULL }
};

static const struct extension plain_extensions[] = {
	{ NID_basic_constraints, "critical,CA:FALSE" },
	{ NID_key_usage, "critical,digitalSignature" },
	{ NID_subject_key_identifier, "hash" },
	{ NID_authority_key_identifier, "keyid:always" },
	{ 0, NULL }
};

static const unsigned char data_one[] = "evidence item one\n";
static const unsigned char data_two[] = "evidence item two\n";

/* The SHA-256 of a string. */
static void
sha256(const unsigned char *data, size_t len, unsigned char digest[32])
{
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(data, len, digest, &n, EVP_sha256(), NULL),
	    1);
	assert_int_equal(n, 32);
}

/* A fresh P-256 key (OpenSSL 3.0's TSA cannot sign with Ed25519). */
static EVP_PKEY *
make_key(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_non_null(key);
	return key;
}

/* Add extensions to a certificate being made. */
static void
add_extensions(X509 *cert, X509 *issuer, const struct extension *list)
{
	X509_EXTENSION *ext;
	X509V3_CTX v3;

	X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
	for (; list->value != NULL; list++) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, list->nid, list->value);
		assert_non_null(ext);
		assert_int_equal(X509_add_ext(cert, ext, -1), 1);
		X509_EXTENSION_free(ext);
	}
}

/* A certificate for key named cn, signed by issuer (or itself). */
static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *signer,
    long serial, const struct extension *list)
{
	X509 *cert = X509_new();

	assert_non_null(cert);
	assert_int_equal(X509_set_version(cert, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(cert),
	    serial), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(cert), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(cert), 86400));
	assert_int_equal(X509_set_pubkey(cert, key), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(cert),
	    "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0), 1);
	if (issuer == NULL)
		issuer = cert;
	assert_int_equal(X509_set_issuer_name(cert,
	    X509_get_subject_name(issuer)), 1);
	add_extensions(cert, issuer, list);
	assert_true(X509_sign(cert, signer, EVP_sha256()) > 0);
	return cert;
}

/* Write a certificate to a new temporary PEM file. */
static void
write_pem(X509 *cert, char *path, size_t size)
{
	FILE *f;
	int fd;

	snprintf(path, size, "/tmp/test-tsa-ca-XXXXXX");
	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(f = fdopen(fd, "w"));
	assert_int_equal(PEM_write_X509(f, cert), 1);
	assert_int_equal(fclose(f), 0);
}

/* Build the test PKI once for all tests. */
static int
setup(void **state)
{
	struct pki *p = calloc(1, sizeof *p);

	assert_non_null(p);
	p->ca_key = make_key();
	p->tsa_key = make_key();
	p->other_key = make_key();
	p->ca = make_cert("Test CA", p->ca_key, NULL, p->ca_key, 1,
	    ca_extensions);
	p->tsa = make_cert("Test TSA", p->tsa_key, p->ca, p->ca_key, 2,
	    tsa_extensions);
	p->plain = make_cert("Test TSA", p->tsa_key, p->ca, p->ca_key, 3,
	    plain_extensions);
	p->other_ca = make_cert("Other CA", p->other_key, NULL, p->other_key,
	    1, ca_extensions);
	write_pem(p->ca, p->ca_file, sizeof p->ca_file);
	write_pem(p->other_ca, p->other_file, sizeof p->other_file);
	*state = p;
	return 0;
}

/* Throw the test PKI away. */
static int
teardown(void **state)
{
	struct pki *p = *state;

	unlink(p->ca_file);
	unlink(p->other_file);
	X509_free(p->ca);
	X509_free(p->tsa);
	X509_free(p->plain);
	X509_free(p->other_ca);
	EVP_PKEY_free(p->ca_key);
	EVP_PKEY_free(p->tsa_key);
	EVP_PKEY_free(p->other_key);
	free(p);
	return 0;
}

/* A malloc'd copy of DER that OpenSSL allocated; frees OpenSSL's. */
static unsigned char *
der_take(unsigned char *der, int n, size_t *len)
{
	unsigned char *copy;

	assert_true(n > 0);
	assert_non_null(copy = malloc(n));
	memcpy(copy, der, n);
	OPENSSL_free(der);
	*len = n;
	return copy;
}

/* The in-process TSA: answer a DER request, accepting SHA-256 if told to. */
static unsigned char *
respond(X509 *cert, EVP_PKEY *key, int accept_sha256,
    const unsigned char *req, size_t req_len, size_t *len)
{
	TS_RESP_CTX *ctx = TS_RESP_CTX_new();
	ASN1_OBJECT *policy = OBJ_txt2obj(TEST_POLICY, 1);
	BIO *in = BIO_new_mem_buf(req, (int)req_len);
	unsigned char *der = NULL;
	TS_RESP *resp;

	assert_non_null(ctx);
	assert_non_null(policy);
	assert_non_null(in);
	assert_int_equal(TS_RESP_CTX_set_signer_cert(ctx, cert), 1);
	assert_int_equal(TS_RESP_CTX_set_signer_key(ctx, key), 1);
	assert_int_equal(TS_RESP_CTX_set_def_policy(ctx, policy), 1);
	if (accept_sha256)
		assert_int_equal(TS_RESP_CTX_add_md(ctx, EVP_sha256()), 1);
	assert_non_null(resp = TS_RESP_create_response(ctx, in));
	der = der_take(der, i2d_TS_RESP(resp, &der), len);
	TS_RESP_free(resp);
	BIO_free(in);
	ASN1_OBJECT_free(policy);
	TS_RESP_CTX_free(ctx);
	return der;
}

/* A request for data and the test TSA's answer to it. */
static void
request_and_respond(const struct pki *p, const unsigned char *data,
    size_t size, unsigned char **req, size_t *req_len, unsigned char **resp,
    size_t *resp_len)
{
	unsigned char digest[32];

	sha256(data, size, digest);
	assert_int_equal(tsa_request(digest, req, req_len), 0);
	*resp = respond(p->tsa, p->tsa_key, 1, *req, *req_len, resp_len);
}

/* The request with its imprint replaced by another digest, same nonce. */
static unsigned char *
request_other_imprint(const unsigned char *der, size_t len,
    const unsigned char digest[32], size_t *out_len)
{
	const unsigned char *p = der;
	unsigned char copy[32], *out = NULL;
	TS_REQ *req = d2i_TS_REQ(NULL, &p, (long)len);

	assert_non_null(req);
	memcpy(copy, digest, sizeof copy);
	assert_int_equal(TS_MSG_IMPRINT_set_msg(TS_REQ_get_msg_imprint(req),
	    copy, sizeof copy), 1);
	out = der_take(out, i2d_TS_REQ(req, &out), out_len);
	TS_REQ_free(req);
	return out;
}

/* The request without its nonce. */
static unsigned char *
request_no_nonce(const unsigned char *der, size_t len, size_t *out_len)
{
	const unsigned char *p = der;
	unsigned char *out = NULL;
	TS_REQ *req = d2i_TS_REQ(NULL, &p, (long)len), *bare = TS_REQ_new();

	assert_non_null(req);
	assert_non_null(bare);
	assert_int_equal(TS_REQ_set_version(bare, 1), 1);
	assert_int_equal(TS_REQ_set_msg_imprint(bare,
	    TS_REQ_get_msg_imprint(req)), 1);
	assert_int_equal(TS_REQ_set_cert_req(bare, 1), 1);
	out = der_take(out, i2d_TS_REQ(bare, &out), out_len);
	TS_REQ_free(bare);
	TS_REQ_free(req);
	return out;
}

/* The DER TSTInfo inside a DER response. */
static unsigned char *
response_tst_info(const unsigned char *der, size_t len, size_t *out_len)
{
	const unsigned char *p = der;
	TS_RESP *resp = d2i_TS_RESP(NULL, &p, (long)len);
	unsigned char *out = NULL;

	assert_non_null(resp);
	out = der_take(out, i2d_TS_TST_INFO(TS_RESP_get_tst_info(resp), &out),
	    out_len);
	TS_RESP_free(resp);
	return out;
}

/* A TSTInfo with its imprint algorithm replaced, digest kept. */
static unsigned char *
tst_info_other_algorithm(const unsigned char *der, size_t len, int nid,
    size_t *out_len)
{
	const unsigned char *p = der;
	TS_TST_INFO *tst = d2i_TS_TST_INFO(NULL, &p, (long)len);
	X509_ALGOR *algorithm = X509_ALGOR_new();
	unsigned char *out = NULL;

	assert_non_null(tst);
	assert_non_null(algorithm);
	assert_int_equal(X509_ALGOR_set0(algorithm, OBJ_nid2obj(nid),
	    V_ASN1_NULL, NULL), 1);
	assert_int_equal(TS_MSG_IMPRINT_set_algo(
	    TS_TST_INFO_get_msg_imprint(tst), algorithm), 1);
	out = der_take(out, i2d_TS_TST_INFO(tst, &out), out_len);
	X509_ALGOR_free(algorithm);
	TS_TST_INFO_free(tst);
	return out;
}

/* A token for a TSTInfo signed by any certificate (CAdES adds ESS). */
static unsigned char *
cms_token(const unsigned char *tst, size_t tst_len, X509 *cert, EVP_PKEY *key,
    size_t *len)
{
	BIO *in = BIO_new_mem_buf(tst, (int)tst_len);
	CMS_ContentInfo *cms;
	unsigned char *out = NULL;

	assert_non_null(in);
	assert_non_null(cms = CMS_sign(NULL, NULL, NULL, NULL,
	    CMS_PARTIAL | CMS_BINARY));
	assert_int_equal(CMS_set1_eContentType(cms,
	    OBJ_nid2obj(NID_id_smime_ct_TSTInfo)), 1);
	assert_non_null(CMS_add1_signer(cms, cert, key, EVP_sha256(),
	    CMS_BINARY | CMS_CADES));
	assert_int_equal(CMS_final(cms, in, NULL, CMS_BINARY), 1);
	out = der_take(out, i2d_CMS_ContentInfo(cms, &out), len);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return out;
}

/* Where the last seconds digit of the first GeneralizedTime (genTime) is. */
static size_t
gen_time_offset(const unsigned char *der, size_t len)
{
	size_t i, j;

	for (i = 0; i + 17 <= len; i++) {
		if (der[i] != 0x18 || der[i + 1] != 0x0f || der[i + 16] != 'Z')
			continue;
		for (j = i + 2; j < i + 16; j++)
			if (der[j] < '0' || der[j] > '9')
				break;
		if (j == i + 16)
			return i + 15;
	}
	fail_msg("no genTime in the token");
	return 0;
}

/* A copy of der with one byte changed. */
static unsigned char *
flipped(const unsigned char *der, size_t len, size_t offset)
{
	unsigned char *copy = malloc(len);

	assert_non_null(copy);
	assert_true(offset < len);
	memcpy(copy, der, len);
	copy[offset] ^= 0x01;
	return copy;
}

/* Expect a call to have failed with a message that mentions what. */
static void
expect_failure(int rc, const char *what)
{
	assert_int_equal(rc, -1);
	if (strstr(error_message(), what) == NULL)
		fail_msg("message '%s' lacks '%s'", error_message(), what);
	/* The core must leave OpenSSL's error queue empty. */
	assert_int_equal(ERR_peek_error(), 0);
	error_clear();
}

/* Verify a token for data against a CA file; return code only. */
static int
verify(const unsigned char *token, size_t len, const unsigned char *data,
    size_t size, const char *ca_file)
{
	unsigned char digest[32];
	char name[256];
	time_t when;

	sha256(data, size, digest);
	return tsa_verify(token, len, digest, ca_file, &when, name,
	    sizeof name);
}

/* Check a response against a request; return code only. */
static int
check(const unsigned char *req, size_t req_len, const unsigned char *resp,
    size_t resp_len, const char *ca_file)
{
	unsigned char *token = NULL;
	size_t token_len = 99;
	time_t when;
	int rc;

	rc = tsa_check_response(req, req_len, resp, resp_len, ca_file, &token,
	    &token_len, &when);
	if (rc == -1) {
		assert_null(token);
		assert_int_equal(token_len, 0);
	}
	free(token);
	return rc;
}

/* A request is a version 1 TimeStampReq for the SHA-256 with a fresh nonce. */
static void
test_request_format(void **state)
{
	unsigned char digest[32], *der[2];
	const unsigned char *p;
	const ASN1_OBJECT *oid;
	TS_MSG_IMPRINT *imprint;
	TS_REQ *req[2];
	size_t len[2];
	int i;

	(void)state;
	sha256(data_one, sizeof data_one, digest);
	for (i = 0; i < 2; i++) {
		assert_int_equal(tsa_request(digest, &der[i], &len[i]), 0);
		p = der[i];
		assert_non_null(req[i] = d2i_TS_REQ(NULL, &p, (long)len[i]));
		assert_ptr_equal(p, der[i] + len[i]);
		assert_int_equal(TS_REQ_get_version(req[i]), 1);
		assert_int_equal(TS_REQ_get_cert_req(req[i]), 1);
		assert_null(TS_REQ_get_policy_id(req[i]));
		assert_non_null(TS_REQ_get_nonce(req[i]));
		imprint = TS_REQ_get_msg_imprint(req[i]);
		X509_ALGOR_get0(&oid, NULL, NULL,
		    TS_MSG_IMPRINT_get_algo(imprint));
		assert_int_equal(OBJ_obj2nid(oid), NID_sha256);
		assert_int_equal(ASN1_STRING_length(
		    TS_MSG_IMPRINT_get_msg(imprint)), 32);
		assert_memory_equal(ASN1_STRING_get0_data(
		    TS_MSG_IMPRINT_get_msg(imprint)), digest, 32);
	}
	/* Two requests for the same data differ in their nonce. */
	assert_int_not_equal(ASN1_INTEGER_cmp(TS_REQ_get_nonce(req[0]),
	    TS_REQ_get_nonce(req[1])), 0);
	for (i = 0; i < 2; i++) {
		TS_REQ_free(req[i]);
		free(der[i]);
	}
}

/* A good response checks out, and its token verifies alone and inside it. */
static void
test_response_good(void **state)
{
	struct pki *p = *state;
	unsigned char digest[32], *req, *resp, *token;
	size_t req_len, resp_len, token_len;
	time_t when, again, now = time(NULL);
	char name[64];

	request_and_respond(p, data_one, sizeof data_one, &req, &req_len, &resp,
	    &resp_len);
	assert_int_equal(tsa_check_response(req, req_len, resp, resp_len,
	    p->ca_file, &token, &token_len, &when), 0);
	assert_true(when >= now - 60 && when <= now + 60);
	/* The token is the response's own bytes, not an encoding of ours. */
	assert_true(token_len < resp_len);
	assert_memory_equal(token, resp + resp_len - token_len, token_len);
	sha256(data_one, sizeof data_one, digest);
	assert_int_equal(tsa_verify(token, token_len, digest, p->ca_file,
	    &again, name, sizeof name), 0);
	assert_int_equal(again, when);
	assert_string_equal(name, "CN=Test TSA");
	assert_int_equal(tsa_verify(resp, resp_len, digest, p->ca_file, &again,
	    name, sizeof name), 0);
	assert_int_equal(again, when);
	/* A short name buffer truncates, but stays a string. */
	assert_int_equal(tsa_verify(token, token_len, digest, p->ca_file,
	    &again, name, 5), 0);
	assert_string_equal(name, "CN=T");
	assert_int_equal(check(req, req_len, resp, resp_len, NULL), 0);
	free(token);
	free(req);
	free(resp);
}

/* A token does not verify for other data. */
static void
test_verify_other_digest(void **state)
{
	struct pki *p = *state;
	unsigned char *req, *resp;
	size_t req_len, resp_len;

	request_and_respond(p, data_one, sizeof data_one, &req, &req_len, &resp,
	    &resp_len);
	assert_int_equal(verify(resp, resp_len, data_one, sizeof data_one,
	    p->ca_file), 0);
	expect_failure(verify(resp, resp_len, data_two, sizeof data_two,
	    p->ca_file), "imprint mismatch");
	free(req);
	free(resp);
}

/* An answer to another request (another nonce) is refused. */
static void
test_response_other_request(void **state)
{
	struct pki *p = *state;
	unsigned char *req, *resp, *req2, *resp2;
	size_t req_len, resp_len, req2_len, resp2_len;

	request_and_respond(p, data_one, sizeof data_one, &req, &req_len, &resp,
	    &resp_len);
	request_and_respond(p, data_one, sizeof data_one, &req2, &req2_len,
	    &resp2, &resp2_len);
	assert_int_equal(check(req2, req2_len, resp2, resp2_len, p->ca_file),
	    0);
	expect_failure(check(req, req_len, resp2, resp2_len, p->ca_file),
	    "nonce mismatch");
	expect_failure(check(req, req_len, resp2, resp2_len, NULL),
	    "nonce mismatch");
	free(req);
	free(resp);
	free(req2);
	free(resp2);
}

/* An answer with the nonce but another imprint, or no nonce, is refused. */
static void
test_response_other_imprint(void **state)
{
	struct pki *p = *state;
	unsigned char digest[32], *req, *resp, *forged, *answer;
	size_t req_len, resp_len, forged_len, answer_len;

	request_and_respond(p, data_one, sizeof data_one, &req, &req_len, &resp,
	    &resp_len);
	sha256(data_two, sizeof data_two, digest);
	forged = request_other_imprint(req, req_len, digest, &forged_len);
	answer = respond(p->tsa, p->tsa_key, 1, forged, forged_len,
	    &answer_len);
	assert_int_equal(check(forged, forged_len, answer, answer_len,
	    p->ca_file), 0);
	expect_failure(check(req, req_len, answer, answer_len, p->ca_file),
	    "imprint mismatch");
	expect_failure(check(req, req_len, answer, answer_len, NULL),
	    "imprint mismatch");
	free(forged);
	free(answer);
	forged = request_no_nonce(req, req_len, &forged_len);
	answer = respond(p->tsa, p->tsa_key, 1, forged, forged_len,
	    &answer_len);
	expect_failure(check(req, req_len, answer, answer_len, p->ca_file),
	    "nonce");
	expect_failure(check(forged, forged_len, answer, answer_len,
	    p->ca_file), "no nonce");
	free(forged);
	free(answer);
	free(req);
	free(resp);
}

/* A byte flipped in the signature is caught (with a CA). */
static void
test_tampered_signature(void **state)
{
	struct pki *p = *state;
	unsigned char *req, *resp, *token, *bad;
	size_t req_len, resp_len, token_len;
	time_t when;

	request_and_respond(p, data_one, sizeof data_one, &req, &req_len, &resp,
	    &resp_len);
	assert_int_equal(tsa_check_response(req, req_len, resp, resp_len,
	    p->ca_file, &token, &token_len, &when), 0);
	/* The signature value ends both the token and the response. */
	bad = flipped(token, token_len, token_len - 1);
	expect_failure(verify(bad, token_len, data_one, sizeof data_one,
	    p->ca_file), "does not verify");
	free(bad);
	bad = flipped(resp, resp_len, resp_len - 1);
	expect_failure(verify(bad, resp_len, data_one, sizeof data_one,
	    p->ca_file), "does not verify");
	expect_failure(check(req, req_len, bad, resp_len, p->ca_file),
	    "rejected");
	/* Without a CA only the binding to the request is checked. */
	assert_int_equal(check(req, req_len, bad, resp_len, NULL), 0);
	free(bad);
	free(token);
	free(req);
	free(resp);
}

/* A byte changed in the signed content (the time) is caught. */
static void
test_tampered_content(void **state)
{
	struct pki *p = *state;
	unsigned char *req, *resp, *token, *bad;
	size_t req_len, resp_len, token_len;
	time_t when;

	request_and_respond(p, data_one, sizeof data_one, &req, &req_len, &resp,
	    &resp_len);
	assert_int_equal(tsa_check_response(req, req_len, resp, resp_len,
	    p->ca_file, &token, &token_len, &when), 0);
	bad = flipped(token, token_len, gen_time_offset(token, token_len));
	expect_failure(verify(bad, token_len, data_one, sizeof data_one,
	    p->ca_file), "does not verify");
	free(bad);
	bad = flipped(resp, resp_len, gen_time_offset(resp, resp_len));
	expect_failure(verify(bad, resp_len, data_one, sizeof data_one,
	    p->ca_file), "does not verify");
	expect_failure(check(req, req_len, bad, resp_len, p->ca_file),
	    "rejected");
	free(bad);
	free(token);
	free(req);
	free(resp);
}

/* A CA that did not certify the TSA, or no usable CA file, is refused. */
static void
test_unrelated_ca(void **state)
{
	struct pki *p = *state;
	unsigned char digest[32], *req, *resp;
	size_t req_len, resp_len;
	time_t when;
	char name[64];

	request_and_respond(p, data_one, sizeof data_one, &req, &req_len, &resp,
	    &resp_len);
	expect_failure(verify(resp, resp_len, data_one, sizeof data_one,
	    p->other_file), "certificate verify error");
	expect_failure(check(req, req_len, resp, resp_len, p->other_file),
	    "certificate verify error");
	expect_failure(verify(resp, resp_len, data_one, sizeof data_one,
	    "/nonexistent/ca.pem"),
	    "cannot load CA file '/nonexistent/ca.pem'");
	sha256(data_one, sizeof data_one, digest);
	expect_failure(tsa_verify(resp, resp_len, digest, NULL, &when, name,
	    sizeof name), "no CA file");
	free(req);
	free(resp);
}

/* A token signed by a certificate without the timeStamping usage is refused. */
static void
test_no_timestamping_usage(void **state)
{
	struct pki *p = *state;
	unsigned char *req, *resp, *tst, *token;
	size_t req_len, resp_len, tst_len, token_len;

	request_and_respond(p, data_one, sizeof data_one, &req, &req_len, &resp,
	    &resp_len);
	tst = response_tst_info(resp, resp_len, &tst_len);
	/* The same way of signing with the real TSA certificate verifies. */
	token = cms_token(tst, tst_len, p->tsa, p->tsa_key, &token_len);
	assert_int_equal(verify(token, token_len, data_one, sizeof data_one,
	    p->ca_file), 0);
	free(token);
	token = cms_token(tst, tst_len, p->plain, p->tsa_key, &token_len);
	expect_failure(verify(token, token_len, data_one, sizeof data_one,
	    p->ca_file), "unsuitable certificate purpose");
	free(token);
	free(tst);
	free(req);
	free(resp);
}

/* A token over the same 32 bytes under another hash algorithm is refused. */
static void
test_other_algorithm(void **state)
{
	struct pki *p = *state;
	unsigned char *req, *resp, *tst, *other, *token;
	size_t req_len, resp_len, tst_len, other_len, token_len;

	request_and_respond(p, data_one, sizeof data_one, &req, &req_len, &resp,
	    &resp_len);
	tst = response_tst_info(resp, resp_len, &tst_len);
	other = tst_info_other_algorithm(tst, tst_len, NID_sha3_256,
	    &other_len);
	token = cms_token(other, other_len, p->tsa, p->tsa_key, &token_len);
	expect_failure(verify(token, token_len, data_one, sizeof data_one,
	    p->ca_file), "not over a SHA-256 digest");
	free(token);
	free(other);
	free(tst);
	free(req);
	free(resp);
}

/* A response that refuses the request is not a time-stamp. */
static void
test_rejection(void **state)
{
	struct pki *p = *state;
	unsigned char digest[32], *req, *resp;
	size_t req_len, resp_len;

	sha256(data_one, sizeof data_one, digest);
	assert_int_equal(tsa_request(digest, &req, &req_len), 0);
	/* This TSA accepts no digest algorithm: badAlg. */
	resp = respond(p->tsa, p->tsa_key, 0, req, req_len, &resp_len);
	expect_failure(check(req, req_len, resp, resp_len, p->ca_file),
	    "did not grant the time-stamp: rejection");
	expect_failure(check(req, req_len, resp, resp_len, NULL),
	    "rejection");
	expect_failure(verify(resp, resp_len, data_one, sizeof data_one,
	    p->ca_file), "rejection");
	free(req);
	free(resp);
}

/* Garbage, truncated DER, trailing bytes, the wrong structure: refused. */
static void
test_malformed(void **state)
{
	struct pki *p = *state;
	static const unsigned char garbage[] = "this is not DER at all";
	unsigned char *req, *resp, *token, *longer;
	size_t req_len, resp_len, token_len, cut[3];
	time_t when;
	int i;

	request_and_respond(p, data_one, sizeof data_one, &req, &req_len, &resp,
	    &resp_len);
	assert_int_equal(tsa_check_response(req, req_len, resp, resp_len,
	    p->ca_file, &token, &token_len, &when), 0);
	expect_failure(verify(garbage, sizeof garbage, data_one,
	    sizeof data_one, p->ca_file), "malformed");
	expect_failure(check(req, req_len, garbage, sizeof garbage, NULL),
	    "malformed time-stamp response");
	expect_failure(check(garbage, sizeof garbage, resp, resp_len, NULL),
	    "malformed time-stamp request");
	expect_failure(verify(req, req_len, data_one, sizeof data_one,
	    p->ca_file), "malformed");
	expect_failure(verify(token, 0, data_one, sizeof data_one, p->ca_file),
	    "empty");
	cut[0] = 1;
	cut[1] = token_len / 2;
	cut[2] = token_len - 1;
	for (i = 0; i < 3; i++) {
		expect_failure(verify(token, cut[i], data_one, sizeof data_one,
		    p->ca_file), "malformed");
		expect_failure(verify(resp, cut[i], data_one, sizeof data_one,
		    p->ca_file), "malformed");
		expect_failure(check(req, req_len, resp, cut[i], NULL),
		    "malformed");
	}
	expect_failure(check(req, req_len - 1, resp, resp_len, NULL),
	    "malformed");
	assert_non_null(longer = malloc(token_len + 1));
	memcpy(longer, token, token_len);
	longer[token_len] = 0;
	expect_failure(verify(longer, token_len + 1, data_one, sizeof data_one,
	    p->ca_file), "trailing bytes");
	free(longer);
	free(token);
	free(req);
	free(resp);
}

/* Inputs over TSA_MAX_SIZE are refused before parsing. */
static void
test_oversized(void **state)
{
	struct pki *p = *state;
	unsigned char *req, *resp, *big;
	size_t req_len, resp_len;

	request_and_respond(p, data_one, sizeof data_one, &req, &req_len, &resp,
	    &resp_len);
	assert_non_null(big = calloc(1, TSA_MAX_SIZE + 1));
	memcpy(big, resp, resp_len);
	expect_failure(verify(big, TSA_MAX_SIZE + 1, data_one, sizeof data_one,
	    p->ca_file), "too large");
	expect_failure(check(req, req_len, big, TSA_MAX_SIZE + 1, NULL),
	    "too large");
	memcpy(big, req, req_len);
	expect_failure(check(big, TSA_MAX_SIZE + 1, resp, resp_len, NULL),
	    "too large");
	/* At the cap itself the size is fine and the content is judged. */
	expect_failure(check(big, TSA_MAX_SIZE, resp, resp_len, NULL),
	    "trailing bytes");
	free(big);
	free(req);
	free(resp);
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_format),
		cmocka_unit_test(test_response_good),
		cmocka_unit_test(test_verify_other_digest),
		cmocka_unit_test(test_response_other_request),
		cmocka_unit_test(test_response_other_imprint),
		cmocka_unit_test(test_tampered_signature),
		cmocka_unit_test(test_tampered_content),
		cmocka_unit_test(test_unrelated_ca),
		cmocka_unit_test(test_no_timestamping_usage),
		cmocka_unit_test(test_other_algorithm),
		cmocka_unit_test(test_rejection),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_oversized),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
