/* Several message digests computed together over one pass of the data. */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "custody/error.h"
#include "custody/hash.h"
#include "custody/util.h"

static const char *const hash_names[HASH_COUNT] = {
	"sha256", "sha1", "md5", "sha512"
};

/* The OpenSSL digest of an algorithm. */
static const EVP_MD *
hash_md(enum hash_alg alg)
{
	switch (alg) {
	case HASH_SHA256:
		return EVP_sha256();
	case HASH_SHA1:
		return EVP_sha1();
	case HASH_MD5:
		return EVP_md5();
	case HASH_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/* The manifest name of an algorithm. */
const char *
hash_name(enum hash_alg alg)
{
	return alg < HASH_COUNT ? hash_names[alg] : "unknown";
}

/* The algorithm with that name, or -1. */
int
hash_lookup(const char *name)
{
	int i;

	for (i = 0; i < HASH_COUNT; i++)
		if (strcmp(name, hash_names[i]) == 0)
			return i;
	return -1;
}

/* Parse a comma-separated list of algorithm names. */
int
hash_parse_list(const char *text, unsigned *mask)
{
	char name[16];
	const char *p = text, *end;
	size_t len;
	int alg;

	*mask = HASH_MASK(HASH_SHA256);
	for (;;) {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0 || len >= sizeof name)
			return error_set("invalid hash list \"%s\"", text);
		memcpy(name, p, len);
		name[len] = '\0';
		if ((alg = hash_lookup(name)) < 0)
			return error_set("unknown hash \"%s\" (sha256, sha1, md5, sha512)", name);
		*mask |= HASH_MASK(alg);
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

/*
 * The helper thread: it runs the digests other than SHA-256 over a block
 * while the caller runs SHA-256 and goes on writing, so that asking for
 * SHA-1, MD5 or SHA-512 as well costs less wall time than their sum.
 */
struct hash_helper {
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 changed;
	const void	*data;
	size_t		 len;
	bool		 busy;		/* a block is being digested */
	bool		 stop;
	bool		 failed;
	struct hash_set	*set;
};

/* Digest one block with every algorithm but SHA-256. */
static bool
hash_others(struct hash_set *set, const void *data, size_t len)
{
	int i;

	for (i = 1; i < HASH_COUNT; i++)
		if (set->ctx[i] != NULL &&
		    EVP_DigestUpdate(set->ctx[i], data, len) != 1)
			return false;
	return true;
}

/* The helper's loop. */
static void *
hash_helper_main(void *arg)
{
	struct hash_helper *h = arg;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (!h->busy && !h->stop)
			pthread_cond_wait(&h->changed, &h->lock);
		if (h->stop)
			break;
		pthread_mutex_unlock(&h->lock);
		if (!hash_others(h->set, h->data, h->len))
			h->failed = true;
		pthread_mutex_lock(&h->lock);
		h->busy = false;
		pthread_cond_broadcast(&h->changed);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* Start a helper for a set with more than SHA-256; without one, all runs inline. */
static void
hash_helper_start(struct hash_set *set)
{
	struct hash_helper *h;

	if ((set->mask & ~HASH_MASK(HASH_SHA256)) == 0 ||
	    (h = calloc(1, sizeof *h)) == NULL)
		return;
	h->set = set;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->changed, NULL);
	if (util_thread_start(&h->thread, hash_helper_main, h) != 0) {
		pthread_mutex_destroy(&h->lock);
		pthread_cond_destroy(&h->changed);
		free(h);
		return;
	}
	set->helper = h;
}

/* Wait for the helper's block. */
int
hash_set_wait(struct hash_set *set)
{
	struct hash_helper *h = set->helper;
	bool failed;

	if (h == NULL)
		return 0;
	pthread_mutex_lock(&h->lock);
	while (h->busy)
		pthread_cond_wait(&h->changed, &h->lock);
	failed = h->failed;
	h->failed = false;
	pthread_mutex_unlock(&h->lock);
	return failed ? error_set("digest failed") : 0;
}

/* Feed a block, the other digests running beside the caller. */
int
hash_set_update_async(struct hash_set *set, const void *data, size_t len)
{
	struct hash_helper *h = set->helper;

	if (h == NULL)
		return hash_set_update(set, data, len);
	if (hash_set_wait(set) != 0)
		return -1;
	pthread_mutex_lock(&h->lock);
	h->data = data;
	h->len = len;
	h->busy = true;
	pthread_cond_broadcast(&h->changed);
	pthread_mutex_unlock(&h->lock);
	if (EVP_DigestUpdate(set->ctx[HASH_SHA256], data, len) != 1)
		return error_set("sha256 failed");
	return 0;
}

/* Prepare contexts for the algorithms in mask. */
int
hash_set_init(struct hash_set *set, unsigned mask)
{
	int i;

	memset(set, 0, sizeof *set);
	set->mask = mask & HASH_MASK_ALL;
	for (i = 0; i < HASH_COUNT; i++) {
		if (!(set->mask & HASH_MASK(i)))
			continue;
		if ((set->ctx[i] = EVP_MD_CTX_new()) == NULL) {
			hash_set_free(set);
			return error_set("cannot allocate a digest context");
		}
	}
	hash_helper_start(set);
	return hash_set_reset(set);
}

/* Start over for new data. */
int
hash_set_reset(struct hash_set *set)
{
	int i;

	if (hash_set_wait(set) != 0)
		return -1;
	for (i = 0; i < HASH_COUNT; i++) {
		set->length[i] = 0;
		if (set->ctx[i] != NULL &&
		    EVP_DigestInit_ex(set->ctx[i], hash_md(i), NULL) != 1)
			return error_set("cannot start %s", hash_names[i]);
	}
	return 0;
}

/* Feed data to every digest. */
int
hash_set_update(struct hash_set *set, const void *data, size_t len)
{
	int i;

	if (hash_set_wait(set) != 0)
		return -1;
	for (i = 0; i < HASH_COUNT; i++)
		if (set->ctx[i] != NULL &&
		    EVP_DigestUpdate(set->ctx[i], data, len) != 1)
			return error_set("%s failed", hash_names[i]);
	return 0;
}

/* Finish every digest. */
int
hash_set_final(struct hash_set *set)
{
	int i;

	if (hash_set_wait(set) != 0)
		return -1;
	for (i = 0; i < HASH_COUNT; i++)
		if (set->ctx[i] != NULL &&
		    EVP_DigestFinal_ex(set->ctx[i], set->digest[i],
		    &set->length[i]) != 1)
			return error_set("%s failed", hash_names[i]);
	return 0;
}

/* Hex of one finished digest. */
void
hash_set_hex(const struct hash_set *set, enum hash_alg alg,
    char out[HASH_HEX_SIZE])
{
	util_hex(set->digest[alg], set->length[alg], out);
}

/* Stop the helper thread. */
static void
hash_helper_stop(struct hash_set *set)
{
	struct hash_helper *h = set->helper;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	while (h->busy)
		pthread_cond_wait(&h->changed, &h->lock);
	h->stop = true;
	pthread_cond_broadcast(&h->changed);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->changed);
	free(h);
	set->helper = NULL;
}

/* Release the contexts. */
void
hash_set_free(struct hash_set *set)
{
	int i;

	hash_helper_stop(set);
	for (i = 0; i < HASH_COUNT; i++) {
		EVP_MD_CTX_free(set->ctx[i]);
		set->ctx[i] = NULL;
	}
}

/* SHA-256 of one buffer. */
int
hash_sha256(const void *data, size_t len, unsigned char out[32])
{
	if (EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) != 1)
		return error_set("sha256 failed");
	return 0;
}

/* SHA-256 of a file, streamed. */
int
hash_file_sha256(const char *path, unsigned char out[32], uint64_t *size)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *buffer = malloc(1024 * 1024);
	ssize_t n = -1;
	int fd = -1, rc = -1;

	if (md == NULL || buffer == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		error_set("cannot start sha256");
	else if ((fd = util_open_file(AT_FDCWD, path, NULL)) >= 0) {
		*size = 0;
		while ((n = read(fd, buffer, 1024 * 1024)) > 0) {
			EVP_DigestUpdate(md, buffer, (size_t)n);
			*size += (uint64_t)n;
		}
		if (n < 0)
			error_set_errno("%s", path);
		else if (EVP_DigestFinal_ex(md, out, NULL) == 1)
			rc = 0;
	}
	if (fd >= 0)
		close(fd);
	free(buffer);
	EVP_MD_CTX_free(md);
	return rc;
}
