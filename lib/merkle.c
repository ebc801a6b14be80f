/* RFC 9162 Merkle trees: hashing, streaming roots, and audit proofs. */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "custody/merkle.h"

/* Domain separation prefixes, so a leaf can never pass for a node. */
#define LEAF_PREFIX	0x00
#define NODE_PREFIX	0x01

static EVP_MD *merkle_sha256;
static pthread_once_t merkle_sha256_once = PTHREAD_ONCE_INIT;

/* Fetch SHA-256 once: EVP_sha256() fetches it anew on every init. */
static void
merkle_fetch(void)
{
	merkle_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

/* SHA-256, fetched once (any thread). */
static const EVP_MD *
merkle_md(void)
{
	pthread_once(&merkle_sha256_once, merkle_fetch);
	return merkle_sha256 != NULL ? merkle_sha256 : EVP_sha256();
}

/* Hash prefix || a || b with SHA-256 into out. */
static void
digest(unsigned char prefix, const void *a, size_t alen, const void *b,
    size_t blen, merkle_hash out)
{
	merkle_hash tmp;
	EVP_MD_CTX *ctx;
	unsigned int len = 0;
	int ok;

	/* The core cannot report errors from here, so a failed digest
	 * yields all zeroes: never a real root, so nothing verifies. */
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		memset(out, 0, MERKLE_HASH_SIZE);
		return;
	}
	ok = EVP_DigestInit_ex(ctx, merkle_md(), NULL) &&
	    EVP_DigestUpdate(ctx, &prefix, 1) &&
	    (alen == 0 || EVP_DigestUpdate(ctx, a, alen)) &&
	    (blen == 0 || EVP_DigestUpdate(ctx, b, blen)) &&
	    EVP_DigestFinal_ex(ctx, tmp, &len);
	EVP_MD_CTX_free(ctx);
	/* Through tmp, so out may alias an input. */
	if (!ok || len != MERKLE_HASH_SIZE)
		memset(tmp, 0, sizeof tmp);
	memcpy(out, tmp, MERKLE_HASH_SIZE);
}

/* Hash one leaf's data. */
void
merkle_leaf_hash(const void *data, size_t len, merkle_hash out)
{
	digest(LEAF_PREFIX, data, len, NULL, 0, out);
}

/* Hash two child nodes into their parent. */
void
merkle_node_hash(const merkle_hash left, const merkle_hash right,
    merkle_hash out)
{
	digest(NODE_PREFIX, left, MERKLE_HASH_SIZE, right, MERKLE_HASH_SIZE,
	    out);
}

/* The root of the empty tree: SHA-256 of nothing, without a prefix. */
static void
empty_root(merkle_hash out)
{
	unsigned int len = 0;

	if (!EVP_Digest("", 0, out, &len, EVP_sha256(), NULL) ||
	    len != MERKLE_HASH_SIZE)
		memset(out, 0, MERKLE_HASH_SIZE);
}

/* The largest power of two strictly below n, for n >= 2. */
static uint64_t
split_point(uint64_t n)
{
	uint64_t k = 1;

	/* k < n - k is 2k < n without overflowing at k = 2^63. */
	while (k < n - k)
		k <<= 1;
	return k;
}

/* Whether n is a power of two (n > 0). */
static int
is_power_of_two(uint64_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

/* Right-shift fn and sn together until fn is odd or zero. */
static void
shift_even(uint64_t *fn, uint64_t *sn)
{
	while (*fn != 0 && (*fn & 1) == 0) {
		*fn >>= 1;
		*sn >>= 1;
	}
}

/* Start an empty builder. */
void
merkle_builder_init(struct merkle_builder *b)
{
	memset(b, 0, sizeof *b);
}

/* Append one leaf hash, merging the full subtrees it completes. */
void
merkle_builder_add(struct merkle_builder *b, const merkle_hash leaf)
{
	merkle_hash h;
	uint64_t s;

	/* A full count cannot grow; a bad depth means a corrupted builder. */
	if (b->size == UINT64_MAX || b->depth > MERKLE_MAX_PROOF)
		return;
	memcpy(h, leaf, sizeof h);
	/* Each trailing one bit of the size is a full subtree of the
	 * same height as h, waiting for a right sibling. */
	for (s = b->size; (s & 1) != 0 && b->depth > 0; s >>= 1) {
		b->depth--;
		merkle_node_hash(b->stack[b->depth], h, h);
	}
	if (b->depth >= MERKLE_MAX_PROOF)
		return;
	memcpy(b->stack[b->depth++], h, sizeof h);
	b->size++;
}

/* The root over every leaf added so far (the builder stays usable). */
void
merkle_builder_root(const struct merkle_builder *b, merkle_hash out)
{
	merkle_hash h;
	unsigned i;

	i = b->depth > MERKLE_MAX_PROOF ? MERKLE_MAX_PROOF : b->depth;
	if (i == 0) {
		empty_root(out);
		return;
	}
	/* The subtrees shrink left to right; the smaller ones on the
	 * right nest first, as in the recursive definition. */
	memcpy(h, b->stack[--i], sizeof h);
	while (i > 0) {
		i--;
		merkle_node_hash(b->stack[i], h, h);
	}
	memcpy(out, h, sizeof h);
}

/* Root over n leaf hashes held in memory. */
void
merkle_root(const merkle_hash *leaves, uint64_t n, merkle_hash out)
{
	struct merkle_builder b;
	uint64_t i;

	merkle_builder_init(&b);
	for (i = 0; i < n; i++)
		merkle_builder_add(&b, leaves[i]);
	merkle_builder_root(&b, out);
}

/* Whether n leaf hashes could be in memory at all. */
static int
size_fits(uint64_t n)
{
	return n <= SIZE_MAX / sizeof(merkle_hash);
}

/* PATH(m, D[0:n]) of RFC 9162 2.1.3.1, appended to proof. */
static void
path(const merkle_hash *d, uint64_t n, uint64_t m, merkle_hash *proof,
    size_t *len)
{
	uint64_t k;

	if (n <= 1)
		return;
	k = split_point(n);
	/* The sibling's hash comes after the deeper part of the path. */
	if (m < k) {
		path(d, k, m, proof, len);
		merkle_root(d + k, n - k, proof[(*len)++]);
	} else {
		path(d + k, n - k, m - k, proof, len);
		merkle_root(d, k, proof[(*len)++]);
	}
}

/* Inclusion proof of leaf index in the tree of the first n leaves. */
int
merkle_inclusion_proof(const merkle_hash *leaves, uint64_t n,
    uint64_t index, merkle_hash *proof, size_t *proof_len)
{
	*proof_len = 0;
	if (index >= n || !size_fits(n))
		return -1;
	/* The recursion halves n at least, so at most 64 hashes. */
	path(leaves, n, index, proof, proof_len);
	return 0;
}

/* SUBPROOF(m, D[0:n], b) of RFC 9162 2.1.4.1, appended to proof. */
static void
subproof(const merkle_hash *d, uint64_t m, uint64_t n, int complete,
    merkle_hash *proof, size_t *len)
{
	uint64_t k;

	if (m == n) {
		/* The verifier knows the old root itself; send it only
		 * for a subtree the old tree did not end on. */
		if (!complete)
			merkle_root(d, n, proof[(*len)++]);
		return;
	}
	k = split_point(n);
	if (m <= k) {
		subproof(d, m, k, complete, proof, len);
		merkle_root(d + k, n - k, proof[(*len)++]);
	} else {
		subproof(d + k, m - k, n - k, 0, proof, len);
		merkle_root(d, k, proof[(*len)++]);
	}
}

/* Consistency proof between the first m and the first n leaves. */
int
merkle_consistency_proof(const merkle_hash *leaves, uint64_t m,
    uint64_t n, merkle_hash *proof, size_t *proof_len)
{
	*proof_len = 0;
	if (m == 0 || m > n || !size_fits(n))
		return -1;
	/* Each step halves n, so at most 64 hashes. */
	subproof(leaves, m, n, 1, proof, proof_len);
	return 0;
}

/* An old tree by its frontier and the leaves added since, for a proof between them. */
struct extension {
	const struct merkle_builder	*old;
	const merkle_hash		*added;
};

/* MTH(D[a:b]): a block of the old frontier, or a range of added leaves. 0 or -1. */
static int
extension_root(const struct extension *x, uint64_t a, uint64_t b, merkle_hash out)
{
	uint64_t m = x->old->size, start = 0, block;
	unsigned i, bit = 64;

	if (a >= m) {
		merkle_root(x->added + (a - m), b - a, out);
		return 0;
	}
	/* The frontier holds one full subtree per bit of m, largest first. */
	for (i = 0; i < x->old->depth; i++) {
		while (bit > 0 && (m & ((uint64_t)1 << (bit - 1))) == 0)
			bit--;
		if (bit == 0)
			return -1;
		block = (uint64_t)1 << --bit;
		if (start == a && start + block == b) {
			memcpy(out, x->old->stack[i], MERKLE_HASH_SIZE);
			return 0;
		}
		start += block;
	}
	return -1;
}

/* SUBPROOF(m, D[off:off+n], b) over an extension, appended to proof. 0 or -1. */
static int
extension_subproof(const struct extension *x, uint64_t m, uint64_t off,
    uint64_t n, int complete, merkle_hash *proof, size_t *len)
{
	uint64_t k;

	if (m == n)
		return complete ? 0 : extension_root(x, off, off + n, proof[(*len)++]);
	k = split_point(n);
	if (m <= k)
		return extension_subproof(x, m, off, k, complete, proof, len) != 0 ?
		    -1 : extension_root(x, off + k, off + n, proof[(*len)++]);
	return extension_subproof(x, m - k, off + k, n - k, 0, proof, len) != 0 ?
	    -1 : extension_root(x, off, off + k, proof[(*len)++]);
}

/* Consistency proof from an old tree's frontier and the leaves added after it. */
int
merkle_consistency_proof_extend(const struct merkle_builder *old,
    const merkle_hash *added, uint64_t count, merkle_hash *proof,
    size_t *proof_len)
{
	struct extension x = { old, added };

	*proof_len = 0;
	if (old->size == 0 || old->depth > MERKLE_MAX_PROOF ||
	    (unsigned)__builtin_popcountll(old->size) != old->depth ||
	    count > UINT64_MAX - old->size || !size_fits(count))
		return -1;
	return extension_subproof(&x, old->size, 0, old->size + count, 1, proof,
	    proof_len);
}

/* Fold one inclusion path hash p into the running root r. */
static void
inclusion_step(const merkle_hash p, uint64_t *fn, uint64_t *sn,
    merkle_hash r)
{
	if ((*fn & 1) != 0 || *fn == *sn) {
		merkle_node_hash(p, r, r);
		/* Skip the levels where the last node has no sibling. */
		if ((*fn & 1) == 0)
			shift_even(fn, sn);
	} else
		merkle_node_hash(r, p, r);
	*fn >>= 1;
	*sn >>= 1;
}

/* Check an inclusion proof (RFC 9162 2.1.3.2). */
int
merkle_inclusion_verify(const merkle_hash leaf, uint64_t index,
    uint64_t size, const merkle_hash *proof, size_t proof_len,
    const merkle_hash root)
{
	merkle_hash r;
	uint64_t fn, sn;
	size_t i;

	if (index >= size || proof_len > MERKLE_MAX_PROOF)
		return -1;
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, sizeof r);
	for (i = 0; i < proof_len; i++) {
		/* A hash past the root: the proof is too long. */
		if (sn == 0)
			return -1;
		inclusion_step(proof[i], &fn, &sn, r);
	}
	/* sn != 0: the proof stopped short of the root. */
	if (sn != 0 || memcmp(r, root, sizeof r) != 0)
		return -1;
	return 0;
}

/* Fold one consistency path hash c into the old and new roots. */
static void
consistency_step(const merkle_hash c, uint64_t *fn, uint64_t *sn,
    merkle_hash fr, merkle_hash sr)
{
	if ((*fn & 1) != 0 || *fn == *sn) {
		merkle_node_hash(c, fr, fr);
		merkle_node_hash(c, sr, sr);
		if ((*fn & 1) == 0)
			shift_even(fn, sn);
	} else
		merkle_node_hash(sr, c, sr);
	*fn >>= 1;
	*sn >>= 1;
}

/* Run RFC 9162 2.1.4.2 over a proof for 0 < m < n. */
static int
consistency_path(uint64_t m, uint64_t n, const merkle_hash root_m,
    const merkle_hash root_n, const merkle_hash *proof, size_t proof_len)
{
	merkle_hash fr, sr;
	uint64_t fn, sn;
	size_t i;

	/* A power-of-two old tree is a complete subtree: its root is
	 * the implicit first path element instead of proof[0]. */
	i = is_power_of_two(m) ? 0 : 1;
	memcpy(fr, i == 0 ? root_m : proof[0], sizeof fr);
	memcpy(sr, fr, sizeof sr);
	fn = m - 1;
	sn = n - 1;
	while ((fn & 1) != 0) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < proof_len; i++) {
		if (sn == 0)
			return -1;
		consistency_step(proof[i], &fn, &sn, fr, sr);
	}
	if (sn != 0 || memcmp(fr, root_m, sizeof fr) != 0 ||
	    memcmp(sr, root_n, sizeof sr) != 0)
		return -1;
	return 0;
}

/* Check a consistency proof (RFC 9162 2.1.4.2). */
int
merkle_consistency_verify(uint64_t m, uint64_t n,
    const merkle_hash root_m, const merkle_hash root_n,
    const merkle_hash *proof, size_t proof_len)
{
	/* Nothing is proved about an empty old tree, or a shrunk one. */
	if (m == 0 || m > n || proof_len > MERKLE_MAX_PROOF)
		return -1;
	if (m == n) {
		if (proof_len != 0 || memcmp(root_m, root_n,
		    MERKLE_HASH_SIZE) != 0)
			return -1;
		return 0;
	}
	if (proof_len == 0)
		return -1;
	return consistency_path(m, n, root_m, root_n, proof, proof_len);
}
