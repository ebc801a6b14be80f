/* A hash table keyed by byte strings, with open addressing. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "custody/error.h"
#include "custody/pathmap.h"

struct pathmap_slot {
	char		*key;		/* key bytes, then the value, in one block */
	size_t		 len;
	uint64_t	 hash;
};

struct pathmap {
	struct pathmap_slot	*slots;
	size_t			 capacity;	/* a power of two */
	size_t			 count;
	size_t			 value_size;
};

/* FNV-1a: fast and good enough for paths. */
static uint64_t
pathmap_hash(const char *key, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* A new, empty map. */
struct pathmap *
pathmap_new(size_t value_size)
{
	struct pathmap *map = calloc(1, sizeof *map);

	if (map == NULL || (map->slots = calloc(64, sizeof *map->slots)) == NULL) {
		free(map);
		error_set_errno("calloc");
		return NULL;
	}
	map->capacity = 64;
	map->value_size = value_size;
	return map;
}

/* The slot holding key, or the empty slot where it would go. */
static struct pathmap_slot *
pathmap_find(struct pathmap_slot *slots, size_t capacity, const char *key,
    size_t len, uint64_t hash)
{
	size_t i = (size_t)hash & (capacity - 1);

	while (slots[i].key != NULL) {
		if (slots[i].hash == hash && slots[i].len == len &&
		    memcmp(slots[i].key, key, len) == 0)
			break;
		i = (i + 1) & (capacity - 1);
	}
	return &slots[i];
}

/* Double the table when it is more than half full. */
static int
pathmap_grow(struct pathmap *map)
{
	struct pathmap_slot *slots, *old = map->slots;
	size_t i, capacity = map->capacity * 2;

	if ((slots = calloc(capacity, sizeof *slots)) == NULL)
		return error_set_errno("calloc");
	for (i = 0; i < map->capacity; i++)
		if (old[i].key != NULL)
			*pathmap_find(slots, capacity, old[i].key, old[i].len,
			    old[i].hash) = old[i];
	free(old);
	map->slots = slots;
	map->capacity = capacity;
	return 0;
}

/* Look a key up, inserting it when asked. */
void *
pathmap_get(struct pathmap *map, const char *key, size_t len, int create,
    int *created)
{
	uint64_t hash = pathmap_hash(key, len);
	struct pathmap_slot *slot;
	size_t value_offset = (len + 1 + 15) & ~(size_t)15;

	if (created != NULL)
		*created = 0;
	slot = pathmap_find(map->slots, map->capacity, key, len, hash);
	if (slot->key != NULL)
		return slot->key + value_offset;
	if (!create)
		return NULL;
	if (map->count + 1 > map->capacity / 2) {
		if (pathmap_grow(map) != 0)
			return NULL;
		slot = pathmap_find(map->slots, map->capacity, key, len, hash);
	}
	if ((slot->key = calloc(1, value_offset + map->value_size)) == NULL) {
		error_set_errno("calloc");
		return NULL;
	}
	memcpy(slot->key, key, len);
	slot->len = len;
	slot->hash = hash;
	map->count++;
	if (created != NULL)
		*created = 1;
	return slot->key + value_offset;
}

/* Number of keys. */
size_t
pathmap_count(const struct pathmap *map)
{
	return map->count;
}

/* Visit every key and value. */
int
pathmap_each(struct pathmap *map, int (*fn)(const char *, size_t, void *,
    void *), void *arg)
{
	size_t i, value_offset;
	int rc;

	for (i = 0; i < map->capacity; i++) {
		if (map->slots[i].key == NULL)
			continue;
		value_offset = (map->slots[i].len + 1 + 15) & ~(size_t)15;
		rc = fn(map->slots[i].key, map->slots[i].len,
		    map->slots[i].key + value_offset, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Release the map and its keys and values. */
void
pathmap_free(struct pathmap *map)
{
	size_t i;

	if (map == NULL)
		return;
	for (i = 0; i < map->capacity; i++)
		free(map->slots[i].key);
	free(map->slots);
	free(map);
}
