// SPDX-License-Identifier: GPL-2.0
/*
 * One entry per (uid, address, name), hashed by (uid, address) so that a
 * lookup finds every name of an address at once, and kept in the order
 * learned (a refresh counts as learned anew) so that a full table drops
 * the oldest. Expired entries never answer a lookup, whether or not the
 * once-a-second sweep has freed them yet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "htab.h"
#include "list.h"
#include "names.h"

#define NSEC	1000000000ULL

struct name {
	struct hnode node;	/* key: hash of uid, family, address */
	struct list order;	/* newest first */
	uint32_t uid;
	uint8_t family;
	uint8_t addr[16];
	uint64_t expires;	/* ns, monotonic */
	char name[];
};

struct names {
	struct htab h;
	struct list order;
	size_t max;
	struct names_stats st;
};

static uint64_t key_of(uint32_t uid, uint8_t family, const uint8_t *addr)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ uid ^ (uint64_t)family << 32;
	size_t i;

	for (i = 0; i < (family == AF_INET ? 4U : 16U); i++)
		h = (h ^ addr[i]) * 0x100000001b3ULL;
	return h;
}

static bool same_addr(const struct name *e, uint32_t uid, uint8_t family,
		      const uint8_t *addr)
{
	return e->uid == uid && e->family == family &&
	       !memcmp(e->addr, addr, family == AF_INET ? 4 : 16);
}

static void drop(struct names *t, struct name *e)
{
	htab_remove(&t->h, &e->node);
	list_del(&e->order);
	free(e);
	t->st.entries--;
}

static uint64_t expiry(uint32_t ttl, uint64_t now)
{
	if (ttl < NAMES_TTL_MIN)
		ttl = NAMES_TTL_MIN;
	if (ttl > NAMES_TTL_MAX)
		ttl = NAMES_TTL_MAX;
	return now + ttl * NSEC;
}

int names_add(struct names *t, uint32_t uid, uint8_t family,
	      const uint8_t *addr, const char *name, uint32_t ttl,
	      uint64_t now)
{
	uint64_t key = key_of(uid, family, addr);
	size_t len = strlen(name);
	struct name *e = NULL;
	struct hnode *n;
	bool fresh;

	for (n = htab_find(&t->h, key); n && !e; n = htab_find_next(n)) {
		e = htab_entry(n, struct name, node);
		if (!same_addr(e, uid, family, addr) || strcmp(e->name, name))
			e = NULL;
	}
	if (e) {
		fresh = e->expires <= now;
		e->expires = expiry(ttl, now);
		list_del(&e->order);
		list_add(&t->order, &e->order);
		t->st.refreshed += !fresh;
		t->st.added += fresh;
		return fresh;
	}
	if (t->st.entries == t->max) {
		drop(t, list_entry(t->order.prev, struct name, order));
		t->st.evicted++;
	}
	e = calloc(1, sizeof(*e) + len + 1);
	if (!e)
		return -ENOMEM;
	e->node.key = key;
	e->uid = uid;
	e->family = family;
	memcpy(e->addr, addr, family == AF_INET ? 4 : 16);
	e->expires = expiry(ttl, now);
	memcpy(e->name, name, len + 1);
	htab_insert(&t->h, &e->node);
	list_add(&t->order, &e->order);
	t->st.entries++;
	t->st.added++;
	return 1;
}

size_t names_get(const struct names *t, uint32_t uid, uint8_t family,
		 const uint8_t *addr, uint64_t now, const char **out,
		 size_t max)
{
	const struct hnode *h = htab_find(&t->h, key_of(uid, family, addr));
	const struct name *e;
	size_t n = 0;

	for (; h && n < max; h = htab_find_next(h)) {
		e = htab_entry(h, const struct name, node);
		if (same_addr(e, uid, family, addr) && e->expires > now)
			out[n++] = e->name;
	}
	return n;
}

void names_each(const struct names *t, uint64_t now,
		void (*fn)(void *ctx, uint8_t family, const uint8_t *addr,
			   const char *name), void *ctx)
{
	const struct list *l;

	for (l = t->order.prev; l != &t->order; l = l->prev) {
		const struct name *e = list_entry(l, const struct name, order);

		if (e->expires > now)
			fn(ctx, e->family, e->addr, e->name);
	}
}

void names_expire(struct names *t, uint64_t now)
{
	struct list *l, *prev;

	for (l = t->order.prev; l != &t->order; l = prev) {
		struct name *e = list_entry(l, struct name, order);

		prev = l->prev;
		if (e->expires <= now) {
			drop(t, e);
			t->st.expired++;
		}
	}
}

void names_stats(const struct names *t, struct names_stats *st)
{
	*st = t->st;
}

int names_open(size_t max, struct names **out)
{
	struct names *t = calloc(1, sizeof(*t));
	int ret;

	if (!t)
		return -ENOMEM;
	ret = htab_init(&t->h, 256);
	if (ret < 0) {
		free(t);
		return ret;
	}
	list_init(&t->order);
	t->max = max ? max : 1;
	*out = t;
	return 0;
}

void names_close(struct names *t)
{
	if (!t)
		return;
	while (!list_empty(&t->order))
		drop(t, list_entry(t->order.next, struct name, order));
	htab_free(&t->h);
	free(t);
}
