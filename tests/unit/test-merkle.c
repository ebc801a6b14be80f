/* Unit tests of lib/merkle.c: RFC 9162 vectors, generated trees, bounds. */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "custody/merkle.h"

#define VECTORS		TEST_VECTORS "/rfc9162"
#define GEN_LEAVES	128	/* leaves of the generated trees */
#define GEN_MAX		64	/* largest generated tree proved */
#define ROOTS_MAX	16	/* most leaf inputs read from roots.json */

/* The vector files shipped in tests/vectors/rfc9162, and their happy ones. */
#define INCLUSION_FILES		98
#define INCLUSION_HAPPY		6
#define CONSISTENCY_FILES	98
#define CONSISTENCY_HAPPY	6

/* Counts kept while walking a vector directory. */
struct tally {
	unsigned	files;
	unsigned	happy;
	unsigned	bad;
};

/* Runs one vector file: 1 refused, 0 accepted, -1 unreadable. */
typedef int (*vector_fn)(const char *, int *);

/* roots.json: leaf hashes of the inputs, and the root of every prefix. */
struct roots_vec {
	merkle_hash	leaves[ROOTS_MAX];
	merkle_hash	roots[ROOTS_MAX + 1];
	size_t		nleaves;
};

/* Leaves and prefix roots of the generated trees, made by gen_setup. */
static struct {
	merkle_hash	leaves[GEN_LEAVES];
	merkle_hash	roots[GEN_LEAVES + 1];
} gen;

/* Wrong sizes that verification accepted because the shape matched. */
static unsigned shape_twins;

/* A file's contents as a malloc'd string, or NULL. */
static char *
slurp(const char *path)
{
	FILE *f;
	char *buf = NULL;
	long len;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)len + 1)) != NULL) {
		if (fread(buf, 1, (size_t)len, f) == (size_t)len)
			buf[len] = '\0';
		else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/*
 * Take the unsigned member key out of JSON text and blank it to 0:
 * jansson's integers are signed, and the vectors write index -1 as
 * 2^64 - 1, which it refuses.
 */
static int
lift_u64(char *text, const char *key, uint64_t *out)
{
	char quoted[64], *p, *end;
	unsigned long long v;

	snprintf(quoted, sizeof quoted, "\"%s\"", key);
	if ((p = strstr(text, quoted)) == NULL)
		return -1;
	p += strlen(quoted);
	p += strspn(p, " \t\r\n");
	if (*p++ != ':')
		return -1;
	p += strspn(p, " \t\r\n");
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno != 0)
		return -1;
	*out = v;
	memset(p, ' ', (size_t)(end - p));
	*p = '0';
	return 0;
}

/* Parse a vector file, lifting out its n unsigned members first. */
static json_t *
load_vector(const char *path, const char *const *keys, uint64_t *vals,
    size_t n)
{
	json_error_t err;
	json_t *root = NULL;
	char *text;
	size_t i;

	if ((text = slurp(path)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (lift_u64(text, keys[i], &vals[i]) != 0)
			goto out;
	if ((root = json_loads(text, 0, &err)) == NULL)
		print_error("%s:%d: %s\n", path, err.line, err.text);
out:
	free(text);
	return root;
}

/*
 * Decode base64 text into out, zero-padded, with the decoded size in
 * *len; -1 when it is not base64 or longer than a hash.
 */
static int
b64_hash(const char *text, merkle_hash out, size_t *len)
{
	unsigned char buf[48];
	size_t tlen = strlen(text), pad = 0;
	int n;

	memset(out, 0, MERKLE_HASH_SIZE);
	*len = 0;
	if (tlen == 0)
		return 0;
	if (tlen % 4 != 0 || tlen > 44)
		return -1;
	if ((n = EVP_DecodeBlock(buf, (const unsigned char *)text,
	    (int)tlen)) < 0)
		return -1;
	/* EVP_DecodeBlock counts the bytes the '=' padding stands for. */
	pad = (text[tlen - 1] == '=') + (text[tlen - 2] == '=');
	if ((size_t)n < pad || (size_t)n - pad > MERKLE_HASH_SIZE)
		return -1;
	*len = (size_t)n - pad;
	memcpy(out, buf, *len);
	return 0;
}

/*
 * Decode the hash member key; 0 when usable. A hashed value (a leaf or
 * proof hash) must be exactly 32 bytes, as the transparency-dev verifier
 * checks. A root is only ever compared, so a shorter one is zero-padded:
 * it still equals an identical given root and can match no SHA-256.
 */
static int
member_hash(json_t *obj, const char *key, merkle_hash out, int hashed)
{
	json_t *v = json_object_get(obj, key);
	size_t len;

	if (!json_is_string(v)) {
		memset(out, 0, MERKLE_HASH_SIZE);
		return -1;
	}
	if (b64_hash(json_string_value(v), out, &len) != 0)
		return -1;
	return hashed && len != MERKLE_HASH_SIZE ? -1 : 0;
}

/* The proof member (null or an array of hashes), sized exactly. */
static merkle_hash *
member_proof(json_t *obj, size_t *len, int *bad)
{
	json_t *arr = json_object_get(obj, "proof"), *v;
	merkle_hash *proof;
	size_t i, hlen;

	*len = 0;
	if (json_is_null(arr))
		return NULL;
	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		*bad |= !json_is_array(arr);
		return NULL;
	}
	/* Exactly as many as given, so ASan sees any read past the end. */
	*len = json_array_size(arr);
	proof = calloc(*len, sizeof *proof);
	assert_non_null(proof);
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || b64_hash(json_string_value(v),
		    proof[i], &hlen) != 0 || hlen != MERKLE_HASH_SIZE)
			*bad = 1;
	}
	return proof;
}

/* The wantErr member, or -1 when it is not a boolean. */
static int
member_want_err(json_t *obj, int *want_err)
{
	json_t *v = json_object_get(obj, "wantErr");

	if (!json_is_boolean(v))
		return -1;
	*want_err = json_is_true(v);
	return 0;
}

/* Run one inclusion vector file: 1 refused, 0 accepted, -1 unreadable. */
static int
inclusion_file(const char *path, int *want_err)
{
	static const char *const keys[] = { "leafIdx", "treeSize" };
	merkle_hash root, leaf, *proof;
	uint64_t v[2];
	size_t len;
	int bad = 0, rc;
	json_t *j;

	if ((j = load_vector(path, keys, v, 2)) == NULL)
		return -1;
	if (member_want_err(j, want_err) != 0) {
		json_decref(j);
		return -1;
	}
	bad |= member_hash(j, "root", root, 0) != 0;
	bad |= member_hash(j, "leafHash", leaf, 1) != 0;
	proof = member_proof(j, &len, &bad);
	/* Run even when malformed: the verifier must not crash on it. */
	rc = merkle_inclusion_verify(leaf, v[0], v[1], proof, len, root);
	free(proof);
	json_decref(j);
	return bad || rc != 0;
}

/* Run one consistency vector file: 1 refused, 0 accepted, -1 unreadable. */
static int
consistency_file(const char *path, int *want_err)
{
	static const char *const keys[] = { "size1", "size2" };
	merkle_hash root1, root2, *proof;
	uint64_t v[2];
	size_t len;
	int bad = 0, rc;
	json_t *j;

	if ((j = load_vector(path, keys, v, 2)) == NULL)
		return -1;
	if (member_want_err(j, want_err) != 0) {
		json_decref(j);
		return -1;
	}
	bad |= member_hash(j, "root1", root1, 0) != 0;
	bad |= member_hash(j, "root2", root2, 0) != 0;
	proof = member_proof(j, &len, &bad);
	rc = merkle_consistency_verify(v[0], v[1], root1, root2, proof, len);
	free(proof);
	json_decref(j);
	return bad || rc != 0;
}

/* Whether name ends in suffix. */
static int
ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n >= s && strcmp(name + n - s, suffix) == 0;
}

static void walk(const char *, vector_fn, struct tally *);

/* Run fn over path if it is a vector file, or walk it if a directory. */
static void
visit(const char *path, vector_fn fn, struct tally *t)
{
	struct stat st;
	int want = 0, r;

	if (stat(path, &st) != 0) {
		print_error("%s: %s\n", path, strerror(errno));
		t->bad++;
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		walk(path, fn, t);
		return;
	}
	if (!ends_with(path, ".json"))
		return;
	t->files++;
	if ((r = fn(path, &want)) != want) {
		print_error("%s: %s (wantErr %s)\n", path, r < 0 ?
		    "unreadable" : r ? "refused" : "accepted",
		    want ? "true" : "false");
		t->bad++;
	}
	if (r >= 0 && !want)
		t->happy++;
}

/* Run fn over every vector file under dir. */
static void
walk(const char *dir, vector_fn fn, struct tally *t)
{
	struct dirent *de;
	char path[4096];
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		print_error("%s: %s\n", dir, strerror(errno));
		t->bad++;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir,
		    de->d_name) >= sizeof path) {
			t->bad++;
			continue;
		}
		visit(path, fn, t);
	}
	closedir(d);
}

/* Decode hex into at most max bytes; the byte count, or -1. */
static int
unhex(const char *text, unsigned char *out, size_t max)
{
	size_t i, len = strlen(text);
	unsigned int byte;

	if (len % 2 != 0 || len / 2 > max)
		return -1;
	for (i = 0; i < len / 2; i++) {
		if (sscanf(text + 2 * i, "%2x", &byte) != 1)
			return -1;
		out[i] = (unsigned char)byte;
	}
	return (int)(len / 2);
}

/* Load roots.json: leaf hashes of its inputs and the prefix roots. */
static void
load_roots(struct roots_vec *rv)
{
	unsigned char buf[64];
	json_t *j, *inputs, *roots, *v;
	size_t i;
	int n;

	j = load_vector(VECTORS "/roots.json", NULL, NULL, 0);
	assert_non_null(j);
	inputs = json_object_get(j, "leafInputs");
	roots = json_object_get(j, "roots");
	assert_true(json_is_array(inputs) && json_is_array(roots));
	rv->nleaves = json_array_size(inputs);
	assert_true(rv->nleaves > 0 && rv->nleaves <= ROOTS_MAX);
	/* One root per prefix, the empty one included. */
	assert_int_equal(json_array_size(roots), rv->nleaves + 1);
	json_array_foreach(inputs, i, v) {
		assert_true(json_is_string(v));
		n = unhex(json_string_value(v), buf, sizeof buf);
		assert_true(n >= 0);
		merkle_leaf_hash(buf, (size_t)n, rv->leaves[i]);
	}
	json_array_foreach(roots, i, v) {
		assert_true(json_is_string(v));
		assert_int_equal(unhex(json_string_value(v), rv->roots[i],
		    MERKLE_HASH_SIZE), MERKLE_HASH_SIZE);
	}
	json_decref(j);
}

/* The largest power of two below n >= 2, computed apart from the library. */
static uint64_t
oracle_split(uint64_t n)
{
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

/* MTH of RFC 9162 2.1.1, by its recursive definition. */
static void
oracle_mth(const merkle_hash *d, uint64_t n, merkle_hash out)
{
	merkle_hash left, right;
	uint64_t k;

	if (n == 1) {
		memcpy(out, d[0], MERKLE_HASH_SIZE);
		return;
	}
	k = oracle_split(n);
	oracle_mth(d, k, left);
	oracle_mth(d + k, n - k, right);
	merkle_node_hash(left, right, out);
}

/*
 * The path from the root down to leaf i of a tree of n: its length, and
 * one bit per level in *turns (1 going right). Two trees sharing it fold
 * an inclusion proof into the same root.
 */
static unsigned
oracle_shape(uint64_t i, uint64_t n, uint64_t *turns)
{
	unsigned depth = 0;
	uint64_t k;

	*turns = 0;
	for (; n > 1; depth++) {
		k = oracle_split(n);
		*turns <<= 1;
		if (i >= k) {
			*turns |= 1;
			i -= k;
			n -= k;
		} else
			n = k;
	}
	return depth;
}

/* Build the generated leaves and their prefix roots, by the definition. */
static int
gen_setup(void **state)
{
	unsigned char data[16];
	unsigned i;

	(void)state;
	for (i = 0; i < GEN_LEAVES; i++) {
		snprintf((char *)data, sizeof data, "leaf %u", i);
		merkle_leaf_hash(data, strlen((char *)data), gen.leaves[i]);
	}
	/* The empty root is SHA-256 of nothing. */
	assert_int_equal(unhex("e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855", gen.roots[0],
	    MERKLE_HASH_SIZE), MERKLE_HASH_SIZE);
	for (i = 1; i <= GEN_LEAVES; i++)
		oracle_mth(gen.leaves, i, gen.roots[i]);
	return 0;
}

/* A heap copy of exactly len hashes (NULL for none), to catch over-reads. */
static merkle_hash *
exact_copy(const merkle_hash *proof, size_t len)
{
	merkle_hash *copy;

	if (len == 0)
		return NULL;
	copy = malloc(len * sizeof *copy);
	assert_non_null(copy);
	memcpy(copy, proof, len * sizeof *copy);
	return copy;
}

/* Flip one bit of a hash, chosen by salt so the runs cover every bit. */
static void
flip(merkle_hash h, unsigned salt)
{
	h[(salt / 8) % MERKLE_HASH_SIZE] ^= (unsigned char)(1 << (salt % 8));
}

/* Leaf, node and empty hashes against known answers. */
static void
test_hashes(void **state)
{
	merkle_hash a, b, out, alias;
	unsigned char both[2 * MERKLE_HASH_SIZE];
	struct merkle_builder mb;

	(void)state;
	merkle_leaf_hash("", 0, a);
	/* RFC 9162's leaf hash of the empty string. */
	assert_int_equal(unhex("6e340b9cffb37a989ca544e6bb780a2c"
	    "78901d3fb33738768511a30617afa01d", b, sizeof b), 32);
	assert_memory_equal(a, b, MERKLE_HASH_SIZE);
	merkle_builder_init(&mb);
	merkle_builder_root(&mb, out);
	assert_memory_equal(out, gen.roots[0], MERKLE_HASH_SIZE);
	merkle_root(NULL, 0, out);
	assert_memory_equal(out, gen.roots[0], MERKLE_HASH_SIZE);
	/* Domain separation: a node is not the leaf of its children. */
	memcpy(both, gen.leaves[0], MERKLE_HASH_SIZE);
	memcpy(both + MERKLE_HASH_SIZE, gen.leaves[1], MERKLE_HASH_SIZE);
	merkle_leaf_hash(both, sizeof both, a);
	merkle_node_hash(gen.leaves[0], gen.leaves[1], out);
	assert_memory_not_equal(a, out, MERKLE_HASH_SIZE);
	assert_memory_equal(out, gen.roots[2], MERKLE_HASH_SIZE);
	/* The output may alias an input. */
	memcpy(alias, gen.leaves[0], MERKLE_HASH_SIZE);
	merkle_node_hash(alias, gen.leaves[1], alias);
	assert_memory_equal(alias, out, MERKLE_HASH_SIZE);
}

/* Every prefix root of roots.json, from merkle_root and the builder. */
static void
test_roots_json(void **state)
{
	struct merkle_builder b, before;
	struct roots_vec rv;
	merkle_hash out, again;
	size_t n;

	(void)state;
	load_roots(&rv);
	for (n = 0; n <= rv.nleaves; n++) {
		merkle_root(rv.leaves, n, out);
		assert_memory_equal(out, rv.roots[n], MERKLE_HASH_SIZE);
	}
	merkle_builder_init(&b);
	for (n = 0; n <= rv.nleaves; n++) {
		if (n > 0)
			merkle_builder_add(&b, rv.leaves[n - 1]);
		assert_int_equal(b.size, n);
		before = b;
		merkle_builder_root(&b, out);
		merkle_builder_root(&b, again);
		assert_memory_equal(&before, &b, sizeof b);
		assert_memory_equal(out, rv.roots[n], MERKLE_HASH_SIZE);
		assert_memory_equal(again, out, MERKLE_HASH_SIZE);
	}
}

/*
 * The happy inclusion files against roots.json: their leafIdx counts from
 * 0 and their proofs are what merkle_inclusion_proof makes.
 */
static void
check_happy_inclusion(const struct roots_vec *rv, const char *path)
{
	static const char *const keys[] = { "leafIdx", "treeSize" };
	merkle_hash leaf, root, *proof, mine[MERKLE_MAX_PROOF];
	uint64_t v[2];
	size_t len, mlen;
	int bad = 0, want = 1;
	json_t *j;

	j = load_vector(path, keys, v, 2);
	assert_non_null(j);
	assert_int_equal(member_want_err(j, &want), 0);
	assert_false(want);
	assert_int_equal(member_hash(j, "leafHash", leaf, 1), 0);
	assert_int_equal(member_hash(j, "root", root, 1), 0);
	proof = member_proof(j, &len, &bad);
	assert_false(bad);
	assert_true(v[0] < v[1] && v[1] <= rv->nleaves);
	assert_memory_equal(leaf, rv->leaves[v[0]], MERKLE_HASH_SIZE);
	assert_memory_equal(root, rv->roots[v[1]], MERKLE_HASH_SIZE);
	assert_int_equal(merkle_inclusion_proof(rv->leaves, v[1], v[0], mine,
	    &mlen), 0);
	assert_int_equal(mlen, len);
	if (len > 0)
		assert_memory_equal(mine, proof, len * sizeof *proof);
	free(proof);
	json_decref(j);
}

/* The happy consistency files against roots.json and our proofs. */
static void
check_happy_consistency(const struct roots_vec *rv, const char *path)
{
	static const char *const keys[] = { "size1", "size2" };
	merkle_hash root1, root2, *proof, mine[MERKLE_MAX_PROOF];
	uint64_t v[2];
	size_t len, mlen;
	int bad = 0, want = 1;
	json_t *j;

	j = load_vector(path, keys, v, 2);
	assert_non_null(j);
	assert_int_equal(member_want_err(j, &want), 0);
	assert_false(want);
	assert_int_equal(member_hash(j, "root1", root1, 1), 0);
	assert_int_equal(member_hash(j, "root2", root2, 1), 0);
	proof = member_proof(j, &len, &bad);
	assert_false(bad);
	assert_true(v[0] > 0 && v[0] <= v[1] && v[1] <= rv->nleaves);
	assert_memory_equal(root1, rv->roots[v[0]], MERKLE_HASH_SIZE);
	assert_memory_equal(root2, rv->roots[v[1]], MERKLE_HASH_SIZE);
	assert_int_equal(merkle_consistency_proof(rv->leaves, v[0], v[1],
	    mine, &mlen), 0);
	assert_int_equal(mlen, len);
	if (len > 0)
		assert_memory_equal(mine, proof, len * sizeof *proof);
	free(proof);
	json_decref(j);
}

/* The numbered happy paths agree with roots.json, counting from 0. */
static void
test_vector_index_base(void **state)
{
	struct roots_vec rv;
	char path[4096];
	int i;

	(void)state;
	load_roots(&rv);
	for (i = 0; i <= 4; i++) {
		snprintf(path, sizeof path, VECTORS
		    "/inclusion/%d/happy-path.json", i);
		check_happy_inclusion(&rv, path);
		snprintf(path, sizeof path, VECTORS
		    "/consistency/%d/happy-path.json", i);
		check_happy_consistency(&rv, path);
	}
}

/* Every inclusion vector file: happy ones verify, the rest are refused. */
static void
test_inclusion_vectors(void **state)
{
	struct tally t = { 0, 0, 0 };

	(void)state;
	walk(VECTORS "/inclusion", inclusion_file, &t);
	assert_int_equal(t.bad, 0);
	assert_int_equal(t.files, INCLUSION_FILES);
	assert_int_equal(t.happy, INCLUSION_HAPPY);
}

/* Every consistency vector file: happy ones verify, the rest are refused. */
static void
test_consistency_vectors(void **state)
{
	struct tally t = { 0, 0, 0 };

	(void)state;
	walk(VECTORS "/consistency", consistency_file, &t);
	assert_int_equal(t.bad, 0);
	assert_int_equal(t.files, CONSISTENCY_FILES);
	assert_int_equal(t.happy, CONSISTENCY_HAPPY);
}

/* merkle_root and the builder agree with the recursive definition. */
static void
test_generated_roots(void **state)
{
	struct merkle_builder b;
	merkle_hash out;
	unsigned n;

	(void)state;
	merkle_builder_init(&b);
	for (n = 0; n <= GEN_LEAVES; n++) {
		if (n > 0)
			merkle_builder_add(&b, gen.leaves[n - 1]);
		merkle_builder_root(&b, out);
		assert_memory_equal(out, gen.roots[n], MERKLE_HASH_SIZE);
		/* The stack holds one full subtree per set bit of n. */
		assert_int_equal(b.depth, __builtin_popcount(n));
		merkle_root(gen.leaves, n, out);
		assert_memory_equal(out, gen.roots[n], MERKLE_HASH_SIZE);
	}
}

/* A flipped bit anywhere, or a hash too many or too few, is refused. */
static void
tamper_inclusion(uint64_t n, uint64_t i, const merkle_hash *proof,
    size_t len)
{
	merkle_hash t[MERKLE_MAX_PROOF + 1], leaf, root, *p;
	size_t j;

	for (j = 0; j < len; j++) {
		memcpy(t, proof, len * sizeof *t);
		flip(t[j], (unsigned)(n * 5 + i * 11 + j * 37));
		p = exact_copy(t, len);
		assert_int_equal(merkle_inclusion_verify(gen.leaves[i], i, n,
		    p, len, gen.roots[n]), -1);
		free(p);
	}
	memcpy(leaf, gen.leaves[i], sizeof leaf);
	flip(leaf, (unsigned)(n + i));
	memcpy(root, gen.roots[n], sizeof root);
	flip(root, (unsigned)(n * 3 + i));
	assert_int_equal(merkle_inclusion_verify(leaf, i, n, proof, len,
	    gen.roots[n]), -1);
	assert_int_equal(merkle_inclusion_verify(gen.leaves[i], i, n, proof,
	    len, root), -1);
	if (len > 0)
		memcpy(t, proof, len * sizeof *t);
	memcpy(t[len], gen.roots[n], sizeof t[len]);
	assert_int_equal(merkle_inclusion_verify(gen.leaves[i], i, n, t,
	    len + 1, gen.roots[n]), -1);
	if (len > 0)
		assert_int_equal(merkle_inclusion_verify(gen.leaves[i], i, n,
		    proof, len - 1, gen.roots[n]), -1);
}

/*
 * Another index always fails; another size fails unless the leaf sits
 * at the same place in both trees (as leaf 0 of 5 and of 8: the proof
 * does not bind the size beyond that, in the RFC too).
 */
static void
misplace_inclusion(uint64_t n, uint64_t i, const merkle_hash *proof,
    size_t len)
{
	uint64_t j, k, s, turns, sturns;
	unsigned depth;
	int want;

	for (j = 0; j <= n; j++)
		if (j != i)
			assert_int_equal(merkle_inclusion_verify(gen.leaves[i],
			    j, n, proof, len, gen.roots[n]), -1);
	assert_int_equal(merkle_inclusion_verify(gen.leaves[i], UINT64_MAX,
	    n, proof, len, gen.roots[n]), -1);
	depth = oracle_shape(i, n, &turns);
	for (k = 0; k <= GEN_LEAVES + 1; k++) {
		/* The last round stands for the largest size. */
		s = k <= GEN_LEAVES ? k : UINT64_MAX;
		if (s == n)
			continue;
		want = i < s && oracle_shape(i, s, &sturns) == depth &&
		    sturns == turns ? 0 : -1;
		shape_twins += want == 0;
		assert_int_equal(merkle_inclusion_verify(gen.leaves[i], i, s,
		    proof, len, gen.roots[n]), want);
	}
}

/* Generated inclusion proofs: every index of every size from 1 to 64. */
static void
test_generated_inclusion(void **state)
{
	merkle_hash proof[MERKLE_MAX_PROOF], *p;
	uint64_t n, i, turns;
	size_t len;

	(void)state;
	shape_twins = 0;
	for (n = 1; n <= GEN_MAX; n++) {
		for (i = 0; i < n; i++) {
			assert_int_equal(merkle_inclusion_proof(gen.leaves, n,
			    i, proof, &len), 0);
			assert_int_equal(len, oracle_shape(i, n, &turns));
			p = exact_copy(proof, len);
			assert_int_equal(merkle_inclusion_verify(gen.leaves[i],
			    i, n, p, len, gen.roots[n]), 0);
			tamper_inclusion(n, i, p, len);
			misplace_inclusion(n, i, p, len);
			free(p);
		}
	}
	/* The shape rule above was exercised both ways. */
	assert_true(shape_twins > 0);
}

/* Whether (m, n) with its true roots should accept proof: if it is ours. */
static int
consistency_expect(uint64_t m, uint64_t n, const merkle_hash *proof,
    size_t len)
{
	merkle_hash mine[MERKLE_MAX_PROOF];
	size_t mlen;

	if (merkle_consistency_proof(gen.leaves, m, n, mine, &mlen) != 0 ||
	    mlen != len)
		return -1;
	return len == 0 || memcmp(mine, proof, len * sizeof *mine) == 0 ?
	    0 : -1;
}

/*
 * Other sizes, each with its true roots: accepted only where our proof
 * for them is this very proof (else a SHA-256 collision would be needed).
 */
static void
misplace_consistency(uint64_t m, uint64_t n, const merkle_hash *proof,
    size_t len)
{
	const uint64_t pairs[][2] = {
		{ m - 1, n }, { m + 1, n }, { m, n - 1 }, { m, n + 1 },
		{ m + 1, n + 1 }, { m - 1, n - 1 }, { m, 2 * n }, { n, m },
		{ 0, n }, { 0, 0 }, { n, n }, { m, m }
	};
	size_t k;
	uint64_t a, b;

	for (k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
		a = pairs[k][0];
		b = pairs[k][1];
		if ((a == m && b == n) || a > GEN_LEAVES || b > GEN_LEAVES)
			continue;
		assert_int_equal(merkle_consistency_verify(a, b, gen.roots[a],
		    gen.roots[b], proof, len), consistency_expect(a, b, proof,
		    len));
	}
	assert_int_equal(merkle_consistency_verify(m, UINT64_MAX, gen.roots[m],
	    gen.roots[n], proof, len), -1);
	assert_int_equal(merkle_consistency_verify(UINT64_MAX - 1, UINT64_MAX,
	    gen.roots[m], gen.roots[n], proof, len), -1);
}

/* A flipped bit in a hash or root, swapped roots, or a bad length fail. */
static void
tamper_consistency(uint64_t m, uint64_t n, const merkle_hash *proof,
    size_t len)
{
	merkle_hash t[MERKLE_MAX_PROOF + 1], r1, r2, *p;
	size_t j;

	for (j = 0; j < len; j++) {
		memcpy(t, proof, len * sizeof *t);
		flip(t[j], (unsigned)(m * 7 + n * 13 + j * 41));
		p = exact_copy(t, len);
		assert_int_equal(merkle_consistency_verify(m, n, gen.roots[m],
		    gen.roots[n], p, len), -1);
		free(p);
	}
	memcpy(r1, gen.roots[m], sizeof r1);
	flip(r1, (unsigned)(m + n));
	memcpy(r2, gen.roots[n], sizeof r2);
	flip(r2, (unsigned)(m * 3 + n));
	assert_int_equal(merkle_consistency_verify(m, n, r1, gen.roots[n],
	    proof, len), -1);
	assert_int_equal(merkle_consistency_verify(m, n, gen.roots[m], r2,
	    proof, len), -1);
	if (m != n)
		assert_int_equal(merkle_consistency_verify(m, n, gen.roots[n],
		    gen.roots[m], proof, len), -1);
	if (len > 0)
		memcpy(t, proof, len * sizeof *t);
	memcpy(t[len], gen.roots[m], sizeof t[len]);
	assert_int_equal(merkle_consistency_verify(m, n, gen.roots[m],
	    gen.roots[n], t, len + 1), -1);
	if (len > 0)
		assert_int_equal(merkle_consistency_verify(m, n, gen.roots[m],
		    gen.roots[n], proof, len - 1), -1);
}

/* Generated consistency proofs: every 0 < m <= n <= 64. */
static void
test_generated_consistency(void **state)
{
	merkle_hash proof[MERKLE_MAX_PROOF], *p;
	uint64_t m, n;
	size_t len;

	(void)state;
	for (n = 1; n <= GEN_MAX; n++) {
		for (m = 1; m <= n; m++) {
			assert_int_equal(merkle_consistency_proof(gen.leaves,
			    m, n, proof, &len), 0);
			/* Only m == n needs nothing; then nothing is sent. */
			assert_true((len == 0) == (m == n));
			p = exact_copy(proof, len);
			assert_int_equal(merkle_consistency_verify(m, n,
			    gen.roots[m], gen.roots[n], p, len), 0);
			tamper_consistency(m, n, p, len);
			misplace_consistency(m, n, p, len);
			free(p);
		}
	}
}

/* Fill hashes with distinct values standing for proof nodes. */
static void
fill_hashes(merkle_hash *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		merkle_leaf_hash(&i, sizeof i, h[i]);
}

/*
 * Inclusion in a tree of 2^64 - 1 leaves: leaf 0 has 64 siblings, all on
 * the right; the last leaf 63, all on the left (the tree splits as
 * 2^63 + (2^62 + (... + 1))).
 */
static void
test_huge_inclusion(void **state)
{
	merkle_hash proof[MERKLE_MAX_PROOF + 1], right, left, *p;
	size_t i;

	(void)state;
	fill_hashes(proof, MERKLE_MAX_PROOF + 1);
	memcpy(right, gen.leaves[0], sizeof right);
	memcpy(left, gen.leaves[0], sizeof left);
	for (i = 0; i < MERKLE_MAX_PROOF; i++) {
		merkle_node_hash(right, proof[i], right);
		if (i < MERKLE_MAX_PROOF - 1)
			merkle_node_hash(proof[i], left, left);
	}
	p = exact_copy(proof, MERKLE_MAX_PROOF);
	assert_int_equal(merkle_inclusion_verify(gen.leaves[0], 0, UINT64_MAX,
	    p, MERKLE_MAX_PROOF, right), 0);
	assert_int_equal(merkle_inclusion_verify(gen.leaves[0], UINT64_MAX - 1,
	    UINT64_MAX, p, MERKLE_MAX_PROOF - 1, left), 0);
	assert_int_equal(merkle_inclusion_verify(gen.leaves[0], UINT64_MAX - 1,
	    UINT64_MAX, p, MERKLE_MAX_PROOF, left), -1);
	assert_int_equal(merkle_inclusion_verify(gen.leaves[0], 1, UINT64_MAX,
	    p, MERKLE_MAX_PROOF, right), -1);
	assert_int_equal(merkle_inclusion_verify(gen.leaves[0], UINT64_MAX,
	    UINT64_MAX, p, MERKLE_MAX_PROOF, left), -1);
	assert_int_equal(merkle_inclusion_verify(gen.leaves[0], 0, UINT64_MAX,
	    p, MERKLE_MAX_PROOF - 1, right), -1);
	free(p);
	/* Past MERKLE_MAX_PROOF, refused before any hash is read. */
	assert_int_equal(merkle_inclusion_verify(gen.leaves[0], 0, UINT64_MAX,
	    proof, MERKLE_MAX_PROOF + 1, right), -1);
	assert_int_equal(merkle_inclusion_verify(gen.leaves[0], 0, 0, NULL, 0,
	    gen.roots[0]), -1);
}

/* Consistency at the top of the size range, and its refusals. */
static void
test_huge_consistency(void **state)
{
	merkle_hash proof[MERKLE_MAX_PROOF + 1], root_n, *p;
	const uint64_t half = (uint64_t)1 << 63;

	(void)state;
	fill_hashes(proof, MERKLE_MAX_PROOF + 1);
	/* 2^63 leaves are a complete left subtree of 2^64 - 1. */
	merkle_node_hash(gen.roots[64], proof[0], root_n);
	p = exact_copy(proof, 1);
	assert_int_equal(merkle_consistency_verify(half, UINT64_MAX,
	    gen.roots[64], root_n, p, 1), 0);
	assert_int_equal(merkle_consistency_verify(half + 1, UINT64_MAX,
	    gen.roots[64], root_n, p, 1), -1);
	assert_int_equal(merkle_consistency_verify(half, half,
	    gen.roots[64], root_n, p, 1), -1);
	free(p);
	assert_int_equal(merkle_consistency_verify(half, UINT64_MAX,
	    gen.roots[64], root_n, proof, 2), -1);
	assert_int_equal(merkle_consistency_verify(UINT64_MAX, UINT64_MAX,
	    root_n, root_n, NULL, 0), 0);
	assert_int_equal(merkle_consistency_verify(UINT64_MAX, UINT64_MAX - 1,
	    root_n, root_n, NULL, 0), -1);
	assert_int_equal(merkle_consistency_verify(0, 0, gen.roots[0],
	    gen.roots[0], NULL, 0), -1);
	assert_int_equal(merkle_consistency_verify(0, 5, gen.roots[0],
	    gen.roots[5], NULL, 0), -1);
	assert_int_equal(merkle_consistency_verify(half - 1, UINT64_MAX,
	    gen.roots[1], root_n, proof, MERKLE_MAX_PROOF + 1), -1);
	assert_int_equal(merkle_consistency_verify(half - 1, UINT64_MAX,
	    gen.roots[1], root_n, proof, MERKLE_MAX_PROOF), -1);
}

/*
 * Proofs longer than the algorithm consumes, or for a shrinking tree, with
 * roots made up to match what a careless verifier would compute from them.
 */
static void
test_crafted_proofs(void **state)
{
	merkle_hash proof[MERKLE_MAX_PROOF + 1], r1, r2, *p;
	uint64_t n, i;
	size_t len;

	(void)state;
	for (n = 1; n <= GEN_MAX; n++) {
		for (i = 0; i < n; i++) {
			/* Past the root, fn == sn == 0 folds from the left. */
			assert_int_equal(merkle_inclusion_proof(gen.leaves, n,
			    i, proof, &len), 0);
			memcpy(proof[len], gen.leaves[i], sizeof proof[len]);
			merkle_node_hash(proof[len], gen.roots[n], r1);
			p = exact_copy(proof, len + 1);
			assert_int_equal(merkle_inclusion_verify(gen.leaves[i],
			    i, n, p, len + 1, r1), -1);
			free(p);
		}
		for (i = 1; i < n; i++) {
			assert_int_equal(merkle_consistency_proof(gen.leaves,
			    i, n, proof, &len), 0);
			memcpy(proof[len], gen.leaves[i], sizeof proof[len]);
			merkle_node_hash(proof[len], gen.roots[i], r1);
			merkle_node_hash(proof[len], gen.roots[n], r2);
			p = exact_copy(proof, len + 1);
			assert_int_equal(merkle_consistency_verify(i, n, r1, r2,
			    p, len + 1), -1);
			free(p);
		}
	}
	/* size1 3 > size2 2 would fold to root2 = H(proof[0], proof[1]). */
	memcpy(proof[0], gen.leaves[0], sizeof proof[0]);
	memcpy(proof[1], gen.leaves[1], sizeof proof[1]);
	assert_int_equal(merkle_consistency_verify(3, 2, gen.leaves[0],
	    gen.roots[2], proof, 2), -1);
}

/* Proof generation refuses bad indexes and sizes without reading. */
static void
test_generation_bounds(void **state)
{
	merkle_hash proof[MERKLE_MAX_PROOF];
	size_t len = 99;

	(void)state;
	assert_int_equal(merkle_inclusion_proof(gen.leaves, 0, 0, proof,
	    &len), -1);
	assert_int_equal(len, 0);
	assert_int_equal(merkle_inclusion_proof(gen.leaves, 5, 5, proof,
	    &len), -1);
	assert_int_equal(merkle_inclusion_proof(gen.leaves, 5, UINT64_MAX,
	    proof, &len), -1);
	/* More leaves than memory could hold: refused, never read. */
	assert_int_equal(merkle_inclusion_proof(gen.leaves, UINT64_MAX, 0,
	    proof, &len), -1);
	assert_int_equal(merkle_consistency_proof(gen.leaves, 0, 5, proof,
	    &len), -1);
	assert_int_equal(merkle_consistency_proof(gen.leaves, 6, 5, proof,
	    &len), -1);
	assert_int_equal(merkle_consistency_proof(gen.leaves, 1, UINT64_MAX,
	    proof, &len), -1);
	assert_int_equal(merkle_consistency_proof(gen.leaves, 5, 5, proof,
	    &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(merkle_inclusion_proof(gen.leaves, 1, 0, proof,
	    &len), 0);
	assert_int_equal(len, 0);
}

/* A builder holding 2^64 - 1 leaves takes no more. */
static void
test_builder_full(void **state)
{
	struct merkle_builder b, before;
	merkle_hash out;

	(void)state;
	merkle_builder_init(&b);
	b.size = UINT64_MAX;
	b.depth = MERKLE_MAX_PROOF;
	fill_hashes(b.stack, MERKLE_MAX_PROOF);
	before = b;
	merkle_builder_add(&b, gen.leaves[0]);
	assert_memory_equal(&b, &before, sizeof b);
	merkle_builder_root(&b, out);
	assert_memory_not_equal(out, gen.roots[0], MERKLE_HASH_SIZE);
}

/* Run the tests. */
/*
 * A proof made from the old tree's frontier and the added leaves is the
 * one made from every leaf, and it verifies from the old root; a
 * frontier of another tree makes a proof that does not.
 */
static void
test_consistency_extend(void **state)
{
	merkle_hash leaves[80], proof[MERKLE_MAX_PROOF], want[MERKLE_MAX_PROOF];
	merkle_hash root_m, root_n;
	struct merkle_builder old, grown;
	size_t len, want_len;
	uint64_t m, n, i;
	unsigned char byte;

	(void)state;
	for (i = 0; i < 80; i++) {
		byte = (unsigned char)i;
		merkle_leaf_hash(&byte, 1, leaves[i]);
	}
	for (m = 1; m <= 40; m++)
		for (n = m; n <= 80; n++) {
			merkle_builder_init(&old);
			for (i = 0; i < m; i++)
				merkle_builder_add(&old, leaves[i]);
			assert_int_equal(merkle_consistency_proof_extend(&old,
			    leaves + m, n - m, proof, &len), 0);
			assert_int_equal(merkle_consistency_proof(leaves, m, n, want,
			    &want_len), 0);
			assert_int_equal(len, want_len);
			assert_memory_equal(proof, want, len * MERKLE_HASH_SIZE);
			merkle_root(leaves, m, root_m);
			merkle_root(leaves, n, root_n);
			assert_int_equal(merkle_consistency_verify(m, n, root_m, root_n,
			    proof, len), 0);
			/*
			 * An old leaf rewritten: the tree grown from that frontier
			 * is not consistent with root_m (whether or not the proof
			 * carries the old root, which a power of two leaves out).
			 */
			old.stack[0][0] ^= 1;
			grown = old;
			for (i = m; i < n; i++)
				merkle_builder_add(&grown, leaves[i]);
			merkle_builder_root(&grown, root_n);
			assert_int_equal(merkle_consistency_proof_extend(&old,
			    leaves + m, n - m, proof, &len), 0);
			assert_int_not_equal(merkle_consistency_verify(m, n,
			    root_m, root_n, proof, len), 0);
		}
	/* A builder whose depth is not its size's: refused. */
	merkle_builder_init(&old);
	merkle_builder_add(&old, leaves[0]);
	old.depth = 2;
	assert_int_equal(merkle_consistency_proof_extend(&old, leaves, 1, proof,
	    &len), -1);
	merkle_builder_init(&old);
	assert_int_equal(merkle_consistency_proof_extend(&old, leaves, 1, proof,
	    &len), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_roots_json),
		cmocka_unit_test(test_vector_index_base),
		cmocka_unit_test(test_inclusion_vectors),
		cmocka_unit_test(test_consistency_vectors),
		cmocka_unit_test(test_generated_roots),
		cmocka_unit_test(test_generated_inclusion),
		cmocka_unit_test(test_generated_consistency),
		cmocka_unit_test(test_huge_inclusion),
		cmocka_unit_test(test_huge_consistency),
		cmocka_unit_test(test_crafted_proofs),
		cmocka_unit_test(test_generation_bounds),
		cmocka_unit_test(test_builder_full),
		cmocka_unit_test(test_consistency_extend),
	};

	return cmocka_run_group_tests(tests, gen_setup, NULL);
}
