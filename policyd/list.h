/* SPDX-License-Identifier: GPL-2.0 */
/* A circular doubly linked list with a sentinel head, as the kernel's:
 * recency and LRU orders of the sensor's tables. */
#ifndef HONE_LIST_H
#define HONE_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list {
	struct list *prev, *next;
};

#define list_entry(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

static inline void list_init(struct list *h)
{
	h->prev = h->next = h;
}

static inline bool list_empty(const struct list *h)
{
	return h->next == h;
}

static inline void list_insert(struct list *n, struct list *prev,
			       struct list *next)
{
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

/* At the front (the newest end). */
static inline void list_add(struct list *h, struct list *n)
{
	list_insert(n, h, h->next);
}

static inline void list_add_tail(struct list *h, struct list *n)
{
	list_insert(n, h->prev, h);
}

/* Leaves n linked to itself: deleting it again is harmless. */
static inline void list_del(struct list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

#endif /* HONE_LIST_H */
