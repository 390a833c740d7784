/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small intrusive hash table keyed by a 64-bit integer (pid, socket
 * cookie, inode). Chained, power-of-two buckets, grows at load 1; shrinks
 * only when asked (htab_fit), never while a caller walks the buckets.
 */
#ifndef HONE_HTAB_H
#define HONE_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hnode {
	struct hnode *next;
	uint64_t key;
};

struct htab {
	struct hnode **b;
	size_t mask;
	size_t n;
	size_t min;	/* buckets at init: never fewer */
};

#define htab_entry(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* FNV-1a: a string's key, folded into h (start with HTAB_SEED). */
#define HTAB_SEED	0xcbf29ce484222325ULL
static inline uint64_t htab_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

/* FNV-1a: len bytes at p, folded into h. */
static inline uint64_t htab_bytes(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

int htab_init(struct htab *h, size_t buckets);
void htab_free(struct htab *h);
/* Inserts even if the key exists; htab_find then returns the newest. */
void htab_insert(struct htab *h, struct hnode *n);
struct hnode *htab_find(const struct htab *h, uint64_t key);
/* The next older entry with n's key, or NULL. */
struct hnode *htab_find_next(const struct hnode *n);
/* An entry: the first of the first bucket not empty from bucket r on (r
 * random: about one of n at random, at load 1/2 to 1), or NULL. */
struct hnode *htab_any(const struct htab *h, uint64_t r);
void htab_remove(struct htab *h, struct hnode *n);
/* After many removals: fewer buckets, for a load of 1/8 to 1/4. */
void htab_fit(struct htab *h);
/* Remove the entries gone(n, ctx) says are gone (it may free them), then
 * fit the table. Returns how many. */
size_t htab_prune(struct htab *h, bool (*gone)(struct hnode *n, void *ctx),
		  void *ctx);
/* Empty the table, handing each entry to release (which may free it). */
void htab_clear(struct htab *h, void (*release)(struct hnode *n));

#endif /* HONE_HTAB_H */
