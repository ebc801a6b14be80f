/* Checkpoints: signed tree heads as C2SP signed notes (tlog-checkpoint). */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "custody/checkpoint.h"
#include "custody/error.h"
#include "custody/util.h"

#define CHECKPOINT_DASH		"\xe2\x80\x94 "	/* U+2014 EM DASH, space */
#define CHECKPOINT_DASH_LEN	4
#define CHECKPOINT_ED25519	0x01		/* signed-note signature type */
#define CHECKPOINT_ID_SIZE	4
#define CHECKPOINT_BLOB_SIZE	(CHECKPOINT_ID_SIZE + KEY_SIGNATURE_SIZE)
#define CHECKPOINT_SIZE_DIGITS	20		/* digits in UINT64_MAX */

/* One line of a note, without its newline. */
struct checkpoint_line {
	const char	*start;
	size_t		 len;
};

/* One parsed signature line; blob is the key id and the signature. */
struct checkpoint_signature {
	const char	*name;
	size_t		 name_len;
	unsigned char	*blob;
	size_t		 blob_len;
};

/* What a note must be signed by to be accepted. */
struct checkpoint_signer {
	const char		*name;
	const struct key	*key;
	unsigned char		 id[CHECKPOINT_ID_SIZE];
};

/* Decode the code point at p, which must be valid UTF-8; *n is its length. */
static uint32_t
checkpoint_codepoint(const unsigned char *p, size_t *n)
{
	if (p[0] < 0x80) {
		*n = 1;
		return p[0];
	}
	if (p[0] < 0xe0) {
		*n = 2;
		return (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
	}
	if (p[0] < 0xf0) {
		*n = 3;
		return (uint32_t)(p[0] & 0x0f) << 12 |
		    (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	}
	*n = 4;
	return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
	    (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
}

/* True for Unicode White_Space (what Go's unicode.IsSpace reports). */
static bool
checkpoint_is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 ||
	    c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	    c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	    c == 0x3000;
}

/* True when data holds an ASCII control character (below U+0020). */
static bool
checkpoint_has_control(const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)data[i] < 0x20)
			return true;
	return false;
}

/* Check a key name: non-empty UTF-8 without spaces, '+' or controls. */
static int
checkpoint_check_name(const char *name, size_t len)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t i, n;

	if (len == 0)
		return error_set("key name is empty");
	if (len > CHECKPOINT_MAX_SIZE)
		return error_set("key name is too long");
	if (!util_utf8_valid(name, len) || checkpoint_has_control(name, len))
		return error_set("key name is not printable UTF-8");
	if (memchr(name, '+', len) != NULL)
		return error_set("key name contains '+'");
	for (i = 0; i < len; i += n)
		if (checkpoint_is_space(checkpoint_codepoint(p + i, &n)))
			return error_set("key name contains a space");
	return 0;
}

/* The 4-byte key id of an Ed25519 key under a key name. */
int
checkpoint_key_id(const char *key_name, const struct key *key,
    unsigned char id[4])
{
	static const unsigned char sep[2] = { '\n', CHECKPOINT_ED25519 };
	unsigned char digest[EVP_MAX_MD_SIZE];
	size_t len = key_name != NULL ? strlen(key_name) : 0;
	EVP_MD_CTX *ctx;
	int ok;

	if (key == NULL)
		return error_set("no key to compute a key id for");
	if (checkpoint_check_name(key_name, len) != 0)
		return -1;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return error_set("cannot allocate a digest context");
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, key_name, len) == 1 &&
	    EVP_DigestUpdate(ctx, sep, sizeof sep) == 1 &&
	    EVP_DigestUpdate(ctx, key->raw_public, KEY_RAW_SIZE) == 1 &&
	    EVP_DigestFinal_ex(ctx, digest, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return error_set("sha256 failed");
	memcpy(id, digest, CHECKPOINT_ID_SIZE);
	return 0;
}

/* Check an origin line: non-empty printable UTF-8 on one line. */
static int
checkpoint_check_origin(const char *origin, size_t len)
{
	if (len == 0)
		return error_set("checkpoint: origin is empty");
	if (len > CHECKPOINT_MAX_SIZE / 2)
		return error_set("checkpoint: origin is too long");
	if (!util_utf8_valid(origin, len) ||
	    checkpoint_has_control(origin, len))
		return error_set("checkpoint: origin is not printable UTF-8 "
		    "on one line");
	return 0;
}

/* The note text "origin\nsize\nbase64(root)\n", malloc'd. */
static char *
checkpoint_body(const char *origin, uint64_t size, const merkle_hash root,
    size_t *len)
{
	char *b64, *body;
	size_t room;
	int n;

	if ((b64 = util_base64(root, MERKLE_HASH_SIZE)) == NULL)
		return NULL;
	room = strlen(origin) + CHECKPOINT_SIZE_DIGITS + strlen(b64) + 4;
	if ((body = malloc(room)) == NULL) {
		error_set_errno("malloc");
		free(b64);
		return NULL;
	}
	n = snprintf(body, room, "%s\n%llu\n%s\n", origin,
	    (unsigned long long)size, b64);
	free(b64);
	if (n < 0 || (size_t)n >= room) {
		error_set("checkpoint: cannot format the note text");
		free(body);
		return NULL;
	}
	*len = (size_t)n;
	return body;
}

/* The line "— name base64(id || signature)\n" over body, malloc'd. */
static char *
checkpoint_signature_line(const char *key_name, const struct key *key,
    const char *body, size_t body_len)
{
	unsigned char blob[CHECKPOINT_BLOB_SIZE];
	char *b64, *line = NULL;
	size_t room;

	if (checkpoint_key_id(key_name, key, blob) != 0 ||
	    key_sign(key, body, body_len, blob + CHECKPOINT_ID_SIZE) != 0)
		return NULL;
	if ((b64 = util_base64(blob, sizeof blob)) == NULL)
		return NULL;
	room = CHECKPOINT_DASH_LEN + strlen(key_name) + strlen(b64) + 3;
	if ((line = malloc(room)) == NULL)
		error_set_errno("malloc");
	else
		snprintf(line, room, CHECKPOINT_DASH "%s %s\n", key_name, b64);
	free(b64);
	return line;
}

/* Sign a checkpoint; the whole note, malloc'd. */
char *
checkpoint_sign(const char *origin, uint64_t size, const merkle_hash root,
    const char *key_name, const struct key *key, size_t *len)
{
	char *body, *line, *note = NULL;
	size_t body_len, line_len;

	if (origin == NULL || checkpoint_check_origin(origin, strlen(origin)))
		return NULL;
	if ((body = checkpoint_body(origin, size, root, &body_len)) == NULL)
		return NULL;
	line = checkpoint_signature_line(key_name, key, body, body_len);
	if (line == NULL) {
		free(body);
		return NULL;
	}
	line_len = strlen(line);
	if (body_len + 1 + line_len > CHECKPOINT_MAX_SIZE)
		error_set("checkpoint: note would exceed %d bytes",
		    CHECKPOINT_MAX_SIZE);
	else if ((note = malloc(body_len + 1 + line_len + 1)) == NULL)
		error_set_errno("malloc");
	else {
		memcpy(note, body, body_len);
		note[body_len] = '\n';
		memcpy(note + body_len + 1, line, line_len + 1);
		*len = body_len + 1 + line_len;
	}
	free(body);
	free(line);
	return note;
}

/* Check the note as a whole: size, text only, a final newline. */
static int
checkpoint_check_note(const char *note, size_t len)
{
	size_t i;

	if (len > CHECKPOINT_MAX_SIZE)
		return error_set("checkpoint: note is larger than %d bytes",
		    CHECKPOINT_MAX_SIZE);
	if (len == 0)
		return error_set("checkpoint: note is empty");
	if (memchr(note, '\0', len) != NULL)
		return error_set("checkpoint: note contains a NUL byte");
	if (!util_utf8_valid(note, len))
		return error_set("checkpoint: note is not valid UTF-8");
	if (note[len - 1] != '\n')
		return error_set("checkpoint: note does not end with a "
		    "newline");
	/* signed-note: no control characters but the newline. */
	for (i = 0; i < len; i++)
		if ((unsigned char)note[i] < 0x20 && note[i] != '\n')
			return error_set("checkpoint: note contains a control "
			    "character");
	return 0;
}

/* Take the next line from [*cursor, end); false at the end. */
static bool
checkpoint_next_line(const char **cursor, const char *end,
    struct checkpoint_line *line)
{
	const char *nl;

	if (*cursor >= end)
		return false;
	nl = memchr(*cursor, '\n', (size_t)(end - *cursor));
	if (nl == NULL)
		nl = end;	/* not reached: the note ends with a newline */
	line->start = *cursor;
	line->len = (size_t)(nl - *cursor);
	*cursor = nl < end ? nl + 1 : end;
	return true;
}

/* Parse the tree size: a decimal without leading zeros that fits 64 bits. */
static int
checkpoint_parse_size(const struct checkpoint_line *line, uint64_t *size)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < line->len; i++)
		if (line->start[i] < '0' || line->start[i] > '9')
			break;
	if (line->len == 0 || i < line->len)
		return error_set("checkpoint: tree size is not a decimal "
		    "number");
	if (line->start[0] == '0' && line->len > 1)
		return error_set("checkpoint: tree size has a leading zero");
	for (i = 0; i < line->len; i++) {
		unsigned d = (unsigned)(line->start[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return error_set("checkpoint: tree size does not fit "
			    "in 64 bits");
		v = v * 10 + d;
	}
	*size = v;
	return 0;
}

/* Decode canonical base64 (what an encoder would write), malloc'd. */
static int
checkpoint_unbase64(const char *text, size_t len, unsigned char **out,
    size_t *out_len)
{
	char *copy, *again = NULL;
	int ok;

	if ((copy = strndup(text, len)) == NULL)
		return error_set_errno("strndup");
	ok = util_unbase64(copy, out, out_len) == 0;
	if (ok) {
		again = util_base64(*out, *out_len);
		ok = again != NULL && strcmp(again, copy) == 0;
		if (!ok)
			free(*out);
	}
	free(again);
	free(copy);
	return ok ? 0 : -1;
}

/* Parse the root hash line: base64 of exactly 32 bytes. */
static int
checkpoint_parse_root(const struct checkpoint_line *line, merkle_hash root)
{
	unsigned char *raw;
	size_t raw_len;

	if (checkpoint_unbase64(line->start, line->len, &raw, &raw_len) != 0)
		return error_set("checkpoint: root hash is not valid base64");
	if (raw_len != MERKLE_HASH_SIZE) {
		free(raw);
		return error_set("checkpoint: root hash is %zu bytes, not %d",
		    raw_len, MERKLE_HASH_SIZE);
	}
	memcpy(root, raw, MERKLE_HASH_SIZE);
	free(raw);
	return 0;
}

/* Keep copies of the origin and the note text in cp. */
static int
checkpoint_keep(const struct checkpoint_line *origin, const char *text,
    size_t text_len, struct checkpoint *cp)
{
	if ((cp->origin = strndup(origin->start, origin->len)) == NULL ||
	    (cp->text = malloc(text_len + 1)) == NULL)
		return error_set_errno("malloc");
	memcpy(cp->text, text, text_len);
	cp->text[text_len] = '\0';
	cp->text_len = text_len;
	return 0;
}

/* Parse the note text: origin, size, root, then extension lines. */
static int
checkpoint_parse_text(const char *text, size_t len, struct checkpoint *cp)
{
	const char *cursor = text, *end = text + len;
	struct checkpoint_line origin, size, root;

	if (!checkpoint_next_line(&cursor, end, &origin) ||
	    !checkpoint_next_line(&cursor, end, &size) ||
	    !checkpoint_next_line(&cursor, end, &root))
		return error_set("checkpoint: note text has fewer than three "
		    "lines");
	if (origin.len == 0)
		return error_set("checkpoint: origin is empty");
	if (checkpoint_parse_size(&size, &cp->size) != 0 ||
	    checkpoint_parse_root(&root, cp->root) != 0)
		return -1;
	/* Extension lines are opaque; the split at "\n\n" left none empty. */
	return checkpoint_keep(&origin, text, len, cp);
}

/* Parse "— name base64(id || signature)" into sig (blob malloc'd). */
static int
checkpoint_parse_signature(const struct checkpoint_line *line, int number,
    struct checkpoint_signature *sig)
{
	const char *rest, *space;
	size_t rest_len;

	if (line->len < CHECKPOINT_DASH_LEN ||
	    memcmp(line->start, CHECKPOINT_DASH, CHECKPOINT_DASH_LEN) != 0)
		return error_set("checkpoint: signature line %d does not start "
		    "with an em dash and a space", number);
	rest = line->start + CHECKPOINT_DASH_LEN;
	rest_len = line->len - CHECKPOINT_DASH_LEN;
	space = memchr(rest, ' ', rest_len);
	if (space == NULL || space + 1 == rest + rest_len)
		return error_set("checkpoint: signature line %d has no "
		    "signature", number);
	sig->name = rest;
	sig->name_len = (size_t)(space - rest);
	if (checkpoint_check_name(sig->name, sig->name_len) != 0)
		return error_prefix("checkpoint: signature line %d", number);
	space++;
	if (checkpoint_unbase64(space, rest_len - (size_t)(space - rest),
	    &sig->blob, &sig->blob_len) != 0)
		return error_set("checkpoint: signature line %d is not valid "
		    "base64", number);
	if (sig->blob_len <= CHECKPOINT_ID_SIZE) {
		free(sig->blob);
		return error_set("checkpoint: signature line %d is too short",
		    number);
	}
	return 0;
}

/*
 * Check a signature against the expected signer: a line with another name
 * or key id is skipped; a matching one must verify. *found on success.
 */
static int
checkpoint_check_signature(const struct checkpoint_signature *sig,
    const struct checkpoint_signer *signer, const char *text, size_t len,
    bool *found)
{
	if (sig->name_len != strlen(signer->name) ||
	    memcmp(sig->name, signer->name, sig->name_len) != 0 ||
	    memcmp(sig->blob, signer->id, CHECKPOINT_ID_SIZE) != 0)
		return 0;
	if (key_verify(signer->key, text, len, sig->blob + CHECKPOINT_ID_SIZE,
	    sig->blob_len - CHECKPOINT_ID_SIZE) != 0)
		return error_set("checkpoint: signature by key \"%s\" does not "
		    "verify", signer->name);
	*found = true;
	return 0;
}

/* Parse every signature line in [start, end) and look for the signer's. */
static int
checkpoint_parse_signatures(const char *start, const char *end,
    const struct checkpoint_signer *signer, const char *text, size_t len)
{
	struct checkpoint_signature sig;
	struct checkpoint_line line;
	bool found = false;
	int number = 0, rc;

	while (checkpoint_next_line(&start, end, &line)) {
		if (line.len == 0)
			return error_set("checkpoint: more than one blank "
			    "line");
		if (++number > CHECKPOINT_MAX_SIGNATURES)
			return error_set("checkpoint: more than %d signatures",
			    CHECKPOINT_MAX_SIGNATURES);
		if (checkpoint_parse_signature(&line, number, &sig) != 0)
			return -1;
		rc = checkpoint_check_signature(&sig, signer, text, len,
		    &found);
		free(sig.blob);
		if (rc != 0)
			return -1;
	}
	if (number == 0)
		return error_set("checkpoint: note has no signature lines");
	if (!found)
		return error_set("checkpoint: no signature by key \"%s\"",
		    signer->name);
	return 0;
}

/* The newline that ends the text, before the first blank line; or NULL. */
static const char *
checkpoint_find_blank(const char *note, size_t len)
{
	const char *p = note, *end = note + len, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL &&
	    nl + 1 < end) {
		if (nl[1] == '\n')
			return nl;
		p = nl + 1;
	}
	return NULL;
}

/* Split, parse and check a note whose signer is already known. */
static int
checkpoint_open(const char *note, size_t len,
    const struct checkpoint_signer *signer, struct checkpoint *cp)
{
	const char *blank;
	size_t text_len;

	if (checkpoint_check_note(note, len) != 0)
		return -1;
	if (note[0] == '\n')
		return error_set("checkpoint: origin is empty");
	/* Checkpoint lines are never empty: the first blank line splits. */
	if ((blank = checkpoint_find_blank(note, len)) == NULL)
		return error_set("checkpoint: no blank line between the text "
		    "and the signatures");
	text_len = (size_t)(blank - note) + 1;
	if (checkpoint_parse_text(note, text_len, cp) != 0)
		return -1;
	return checkpoint_parse_signatures(note + text_len + 1, note + len,
	    signer, note, text_len);
}

/* Parse a signed note and check it carries a valid signature by key. */
int
checkpoint_verify(const char *note, size_t len, const char *key_name,
    const struct key *key, struct checkpoint *cp)
{
	struct checkpoint_signer signer;
	struct checkpoint scratch;

	if (cp == NULL)
		cp = &scratch;
	memset(cp, 0, sizeof *cp);
	if (note == NULL)
		return error_set("checkpoint: no note");
	if (checkpoint_key_id(key_name, key, signer.id) != 0)
		return -1;
	signer.name = key_name;
	signer.key = key;
	if (checkpoint_open(note, len, &signer, cp) != 0) {
		checkpoint_free(cp);
		return -1;
	}
	if (cp == &scratch)
		checkpoint_free(cp);
	return 0;
}

/* Release what a checkpoint holds. */
void
checkpoint_free(struct checkpoint *cp)
{
	if (cp == NULL)
		return;
	free(cp->origin);
	free(cp->text);
	memset(cp, 0, sizeof *cp);
}
