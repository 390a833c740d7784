// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>

#include "htab.h"

static size_t slot(const struct htab *h, uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return key & h->mask;
}

int htab_init(struct htab *h, size_t buckets)
{
	size_t n = 16;

	while (n < buckets)
		n <<= 1;
	h->b = calloc(n, sizeof(*h->b));
	if (!h->b)
		return -ENOMEM;
	h->mask = n - 1;
	h->n = 0;
	h->min = n;
	return 0;
}

void htab_free(struct htab *h)
{
	free(h->b);
	h->b = NULL;
}

static int resize(struct htab *h, size_t buckets)
{
	struct htab nh;
	struct hnode *n, *next;
	size_t i;
	int ret;

	ret = htab_init(&nh, buckets);
	if (ret)
		return ret;
	for (i = 0; i <= h->mask; i++) {
		for (n = h->b[i]; n; n = next) {
			next = n->next;
			n->next = nh.b[slot(&nh, n->key)];
			nh.b[slot(&nh, n->key)] = n;
		}
	}
	nh.n = h->n;
	nh.min = h->min;
	free(h->b);
	*h = nh;
	return 0;
}

void htab_insert(struct htab *h, struct hnode *n)
{
	struct hnode **b;

	/* A failed grow only makes chains longer. */
	if (h->n > h->mask)
		resize(h, (h->mask + 1) * 2);
	b = &h->b[slot(h, n->key)];
	n->next = *b;
	*b = n;
	h->n++;
}

struct hnode *htab_find(const struct htab *h, uint64_t key)
{
	struct hnode *n;

	for (n = h->b[slot(h, key)]; n; n = n->next)
		if (n->key == key)
			return n;
	return NULL;
}

struct hnode *htab_find_next(const struct hnode *n)
{
	struct hnode *m;

	for (m = n->next; m; m = m->next)
		if (m->key == n->key)
			return m;
	return NULL;
}

struct hnode *htab_any(const struct htab *h, uint64_t r)
{
	size_t i;

	for (i = 0; h->n && i <= h->mask; i++)
		if (h->b[(r + i) & h->mask])
			return h->b[(r + i) & h->mask];
	return NULL;
}

void htab_clear(struct htab *h, void (*release)(struct hnode *n))
{
	struct hnode *n, *next;
	size_t i;

	for (i = 0; i <= h->mask; i++) {
		for (n = h->b[i]; n; n = next) {
			next = n->next;
			release(n);
		}
		h->b[i] = NULL;
	}
	h->n = 0;
}

void htab_remove(struct htab *h, struct hnode *n)
{
	struct hnode **p;

	for (p = &h->b[slot(h, n->key)]; *p; p = &(*p)->next) {
		if (*p == n) {
			*p = n->next;
			h->n--;
			return;
		}
	}
}

void htab_fit(struct htab *h)
{
	size_t buckets = h->mask + 1;

	while (buckets > h->min && h->n < buckets / 8)
		buckets /= 2;
	/* A failed resize only keeps the memory. */
	if (buckets != h->mask + 1)
		resize(h, buckets);
}

size_t htab_prune(struct htab *h, bool (*gone)(struct hnode *n, void *ctx),
		  void *ctx)
{
	struct hnode **pp, *n, *next;
	size_t i, pruned = 0;

	for (i = 0; i <= h->mask; i++) {
		for (pp = &h->b[i]; (n = *pp);) {
			next = n->next;
			if (!gone(n, ctx)) {
				pp = &n->next;
				continue;
			}
			*pp = next;
			h->n--;
			pruned++;
		}
	}
	htab_fit(h);
	return pruned;
}
