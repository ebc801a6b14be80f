/* A hash table keyed by byte strings (archive or source paths). */
#ifndef CUSTODY_PATHMAP_H
#define CUSTODY_PATHMAP_H

#include <stddef.h>

struct pathmap;

/* A new, empty map whose values are value_size bytes, zeroed on insert. */
struct pathmap *pathmap_new(size_t value_size);
/*
 * The value stored under key; when absent, inserted (zeroed) if create is
 * set, else NULL. *created tells which, when not NULL. NULL on error too.
 */
void *pathmap_get(struct pathmap *, const char *key, size_t len, int create,
    int *created);
/* Number of keys. */
size_t pathmap_count(const struct pathmap *);
/*
 * Call fn for every key and value, in no particular order; stops and
 * returns the first non-zero result.
 */
int pathmap_each(struct pathmap *, int (*fn)(const char *key, size_t len,
    void *value, void *arg), void *arg);
void pathmap_free(struct pathmap *);

#endif
