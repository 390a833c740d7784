// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "conntab.h"

struct centry {
	struct conn c;
	struct hnode node;
	struct list link;	/* LRU: most recently used first */
	struct list clink;	/* closed ones, oldest first */
	struct pent *owner;
	uint64_t closed_at;
	uint64_t retry_at;	/* no owner: when to look again */
};

struct conntab {
	struct htab cookies;
	struct list lru;
	struct list closed;
	struct proctab *procs;
	size_t max;
};

int conntab_init(struct proctab *procs, size_t max, struct conntab **out)
{
	struct conntab *t;
	int ret;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	ret = htab_init(&t->cookies, 1024);
	if (ret) {
		free(t);
		return ret;
	}
	list_init(&t->lru);
	list_init(&t->closed);
	t->procs = procs;
	t->max = max;
	*out = t;
	return 0;
}

static void set_owner(struct conntab *t, struct centry *e, struct pent *owner)
{
	if (owner)
		proctab_get(owner);
	if (e->owner)
		proctab_put(t->procs, e->owner);
	e->owner = owner;
	e->c.proc = owner ? &owner->p : NULL;
	e->c.pid = owner ? owner->p.view.pid : 0;
}

static void destroy(struct conntab *t, struct centry *e)
{
	htab_remove(&t->cookies, &e->node);
	list_del(&e->link);
	list_del(&e->clink);
	set_owner(t, e, NULL);
	free(e);
}

void conntab_free(struct conntab *t)
{
	if (!t)
		return;
	while (!list_empty(&t->lru))
		destroy(t, list_entry(t->lru.next, struct centry, link));
	htab_free(&t->cookies);
	free(t);
}

size_t conntab_count(const struct conntab *t)
{
	return t->cookies.n;
}

static struct centry *lookup(struct conntab *t, uint64_t cookie)
{
	struct hnode *n = htab_find(&t->cookies, cookie);

	return n ? htab_entry(n, struct centry, node) : NULL;
}

struct conn *conntab_find(struct conntab *t, uint64_t cookie)
{
	struct centry *e = lookup(t, cookie);

	if (!e)
		return NULL;
	list_del(&e->link);
	list_add(&t->lru, &e->link);
	return &e->c;
}

struct conn *conntab_set(struct conntab *t, uint64_t cookie,
			 struct pent *owner, uint32_t uid, uint64_t inode)
{
	struct centry *e = lookup(t, cookie);

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		e->c.cookie = cookie;
		e->node.key = cookie;
		htab_insert(&t->cookies, &e->node);
		list_add(&t->lru, &e->link);
		list_init(&e->clink);
	}
	list_del(&e->clink);
	e->c.closed = false;
	set_owner(t, e, owner);
	e->c.uid = uid;
	e->c.inode = inode;
	return &e->c;
}

static void close_entry(struct conntab *t, struct centry *e, uint64_t now)
{
	e->c.closed = true;
	e->closed_at = now;
	list_add_tail(&t->closed, &e->clink);
}

void conntab_close(struct conntab *t, uint64_t cookie, uint64_t now)
{
	struct centry *e = lookup(t, cookie);

	if (e && !e->c.closed)
		close_entry(t, e, now);
}

size_t conntab_expire(struct conntab *t, uint64_t now, uint64_t grace)
{
	struct centry *e;
	size_t evicted = 0;

	for (; t->cookies.n > t->max; evicted++)
		destroy(t, list_entry(t->lru.prev, struct centry, link));
	while (!list_empty(&t->closed)) {
		e = list_entry(t->closed.next, struct centry, clink);
		if (e->closed_at + grace >= now)
			break;
		destroy(t, e);
	}
	htab_fit(&t->cookies);
	return evicted;
}

size_t conntab_sweep(struct conntab *t, bool (*live)(void *ctx, uint64_t cookie),
		     void *ctx, uint64_t now)
{
	struct list *l;
	struct centry *e;
	size_t n = 0;

	for (l = t->lru.next; l != &t->lru; l = l->next) {
		e = list_entry(l, struct centry, link);
		if (e->c.closed || live(ctx, e->c.cookie))
			continue;
		close_entry(t, e, now);
		n++;
	}
	return n;
}

void conntab_retry_now(struct conn *c)
{
	htab_entry(c, struct centry, c)->retry_at = 0;
}

bool conntab_retry(struct conn *c, uint64_t now, uint64_t interval)
{
	struct centry *e = htab_entry(c, struct centry, c);

	if (now < e->retry_at)
		return false;
	e->retry_at = now + interval;
	return true;
}
