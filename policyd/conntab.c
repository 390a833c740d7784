// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "conntab.h"

struct centry {
	struct conn c;
	struct hnode node;
	struct centry *newer, *older;	/* LRU list */
	struct centry *cnext, *cprev;	/* closed list, oldest first */
	struct pent *owner;
	uint64_t closed_at;
	uint64_t retry_at;	/* no owner: when to look again */
};

struct conntab {
	struct htab cookies;
	struct centry *newest, *oldest;
	struct centry *cfirst, *clast;
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
	t->procs = procs;
	t->max = max;
	*out = t;
	return 0;
}

static void unlink_lru(struct conntab *t, struct centry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		t->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		t->oldest = e->newer;
}

static void link_lru(struct conntab *t, struct centry *e)
{
	e->newer = NULL;
	e->older = t->newest;
	if (t->newest)
		t->newest->newer = e;
	else
		t->oldest = e;
	t->newest = e;
}

static void unlink_closed(struct conntab *t, struct centry *e)
{
	if (!e->c.closed)
		return;
	if (e->cprev)
		e->cprev->cnext = e->cnext;
	else
		t->cfirst = e->cnext;
	if (e->cnext)
		e->cnext->cprev = e->cprev;
	else
		t->clast = e->cprev;
	e->c.closed = false;
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
	unlink_lru(t, e);
	unlink_closed(t, e);
	set_owner(t, e, NULL);
	free(e);
}

void conntab_free(struct conntab *t)
{
	if (!t)
		return;
	while (t->newest)
		destroy(t, t->newest);
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
	if (t->newest != e) {
		unlink_lru(t, e);
		link_lru(t, e);
	}
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
		link_lru(t, e);
	}
	unlink_closed(t, e);
	set_owner(t, e, owner);
	e->c.uid = uid;
	e->c.inode = inode;
	return &e->c;
}

void conntab_close(struct conntab *t, uint64_t cookie, uint64_t now)
{
	struct centry *e = lookup(t, cookie);

	if (!e || e->c.closed)
		return;
	e->c.closed = true;
	e->closed_at = now;
	e->cnext = NULL;
	e->cprev = t->clast;
	if (t->clast)
		t->clast->cnext = e;
	else
		t->cfirst = e;
	t->clast = e;
}

void conntab_expire(struct conntab *t, uint64_t now, uint64_t grace)
{
	while (t->cookies.n > t->max)
		destroy(t, t->oldest);
	while (t->cfirst && t->cfirst->closed_at + grace < now)
		destroy(t, t->cfirst);
}

bool conntab_retry(struct conn *c, uint64_t now, uint64_t interval)
{
	struct centry *e = htab_entry(c, struct centry, c);

	if (now < e->retry_at)
		return false;
	e->retry_at = now + interval;
	return true;
}
