/*
 * RFC 9162 Merkle trees: leaf = SHA-256(0x00 || data),
 * node = SHA-256(0x01 || left || right), empty tree = SHA-256("").
 * Leaf indexes count from 0.
 */
#ifndef CUSTODY_MERKLE_H
#define CUSTODY_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_SIZE 32
#define MERKLE_MAX_PROOF 64	/* enough for 2^64 leaves */

typedef unsigned char merkle_hash[MERKLE_HASH_SIZE];

/* Hash one leaf's data. */
void merkle_leaf_hash(const void *data, size_t len, merkle_hash out);
/* Hash two child nodes into their parent. */
void merkle_node_hash(const merkle_hash left, const merkle_hash right,
    merkle_hash out);

/*
 * A tree built leaf by leaf in O(log n) memory, for streaming a root
 * over millions of manifest lines.
 */
struct merkle_builder {
	uint64_t	size;
	merkle_hash	stack[MERKLE_MAX_PROOF];	/* roots of full subtrees */
	unsigned	depth;
};

void merkle_builder_init(struct merkle_builder *);
void merkle_builder_add(struct merkle_builder *, const merkle_hash leaf);
/* The root over every leaf added so far (the builder stays usable). */
void merkle_builder_root(const struct merkle_builder *, merkle_hash out);

/* Root over n leaf hashes held in memory. */
void merkle_root(const merkle_hash *leaves, uint64_t n, merkle_hash out);

/*
 * Inclusion proof (RFC 9162 2.1.3.1) of leaf `index` in the tree of the
 * first n leaves; writes up to MERKLE_MAX_PROOF hashes to proof and their
 * number to *proof_len. Returns 0, or -1 if index >= n.
 */
int merkle_inclusion_proof(const merkle_hash *leaves, uint64_t n,
    uint64_t index, merkle_hash *proof, size_t *proof_len);
/* Check an inclusion proof (RFC 9162 2.1.3.2); 0 when it holds, -1 otherwise. */
int merkle_inclusion_verify(const merkle_hash leaf, uint64_t index,
    uint64_t size, const merkle_hash *proof, size_t proof_len,
    const merkle_hash root);

/*
 * Consistency proof (RFC 9162 2.1.4.1) between the tree of the first m
 * leaves and that of the first n (0 < m <= n). Returns 0, or -1 on bad sizes.
 */
int merkle_consistency_proof(const merkle_hash *leaves, uint64_t m,
    uint64_t n, merkle_hash *proof, size_t *proof_len);
/*
 * The same proof made from the old tree's frontier (a builder of m
 * leaves) and the count leaves added after it, without the m old leaves:
 * what a verifier that remembers a tree head needs. 0, or -1 on a bad builder.
 */
int merkle_consistency_proof_extend(const struct merkle_builder *old,
    const merkle_hash *added, uint64_t count, merkle_hash *proof,
    size_t *proof_len);
/* Check a consistency proof (RFC 9162 2.1.4.2); 0 when it holds, -1 otherwise. */
int merkle_consistency_verify(uint64_t m, uint64_t n,
    const merkle_hash root_m, const merkle_hash root_n,
    const merkle_hash *proof, size_t proof_len);

#endif
