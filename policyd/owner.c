// SPDX-License-Identifier: GPL-2.0
/* Whose a queued packet is (owner.h): the tables and their lookups. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "owner_priv.h"

#define CONN_MAX	(1U << 18)
/* A socket nobody was found holding is searched for again after this. */
#define CONN_RETRY	(1ULL * 1000000000ULL)

int owners_open(struct owners **out)
{
	struct owners *o = calloc(1, sizeof(*o));
	int ret;

	if (!o)
		return -ENOMEM;
	ret = proctab_init(&o->procs);
	if (ret)
		goto err_free;
	ret = conntab_init(o->procs, CONN_MAX, &o->conns);
	if (ret)
		goto err_procs;
	o->grace = OWNERS_GRACE;
	list_init(&o->changed);
	*out = o;
	return 0;

err_procs:
	proctab_free(o->procs);
err_free:
	free(o);
	return ret;
}

int owners_flows_open(struct owners *o, uint32_t netns, flows_ask_fn ask,
		      void *ctx)
{
	int ret = flows_open(ask, ctx, &o->flows);

	if (!ret)
		o->netns = netns;
	return ret;
}

void owners_close(struct owners *o)
{
	if (!o)
		return;
	/* Connections hold processes; the tables take the orphans' entries
	 * along. */
	conntab_free(o->conns);
	proctab_free(o->procs);
	free(o->orphans);
	flows_close(o->flows);
	free(o);
}

void owners_set_grace(struct owners *o, uint64_t ns)
{
	o->grace = ns;
}

void owners_set_finder(struct owners *o, owners_find_fn fn, void *ctx)
{
	o->find = fn;
	o->find_ctx = ctx;
}

void owners_on_close(struct owners *o, owners_closed_fn fn, void *ctx)
{
	o->closed = fn;
	o->closed_ctx = ctx;
}

void owners_on_change(struct owners *o, owners_changed_fn fn, void *ctx)
{
	o->change = fn;
	o->change_ctx = ctx;
}

void owners_set_ahead(struct owners *o, const struct proc *p, uint64_t digest)
{
	(void)o;
	/* The owners' own entry: the caller only holds it as const. */
	proc_pent(p)->p.ahead = digest;
}

struct conn *owners_conn(struct owners *o, uint64_t cookie, uint32_t uid,
			 uint64_t inode, bool *waits)
{
	struct conn *c = conntab_find(o->conns, cookie);
	const struct proc *owner;
	bool dummy;
	int ret;

	if (!waits)
		waits = &dummy;
	*waits = false;
	if (c && c->proc)
		return c;
	/* hone.ko says who owns a socket before its first packet; without
	 * a socket inode there is no descriptor to look for. */
	if (!o->find || !inode)
		return NULL;
	if (!c) {
		c = conntab_set(o->conns, cookie, NULL, uid, inode);
		if (!c)
			return NULL;
	}
	if (!conntab_retry(c, o->now, CONN_RETRY))
		return NULL;
	ret = o->find(o->find_ctx, uid, inode, &owner);
	if (ret == -EINPROGRESS) {
		/* Asked again, not held back, when the search ends. */
		conntab_retry_now(c);
		*waits = true;
	}
	if (ret)
		return NULL;
	return conntab_set(o->conns, cookie, proc_pent(owner), uid, inode);
}

/* The socket f names, if its owner is known. */
static struct conn *flow_conn(struct owners *o, struct flow *f, bool *waits)
{
	if (!f || !f->has_sock)
		return NULL;
	return owners_conn(o, f->cookie, f->uid, f->inode, waits);
}

/* Whether c may be pkt's socket: the kernel names the packet's socket's
 * user (has_uid), and outside TCP another user's socket may hold the
 * flow's 5-tuple, gone and its port taken since or shared with it (UDP's
 * SO_REUSEADDR). TCP's sockets never share one, and an accepted one keeps
 * its listener's uid where the queue tells its acceptor's. */
static bool may_hold(const struct conn *c, const struct rules_pkt *pkt)
{
	return !pkt->has_uid || pkt->proto == IPPROTO_TCP ||
	       c->uid == pkt->uid;
}

/* The socket f names now: one closed, or of another user, is looked for
 * again, as another may send on its 5-tuple now and must not pass for it;
 * if it is still another user's, none. */
static struct conn *flow_owner(struct owners *o, const struct rules_pkt *pkt,
			       struct flow *f, uint64_t now, bool *waits)
{
	struct conn *c = flow_conn(o, f, waits);

	if (c && (c->closed || !may_hold(c, pkt))) {
		flow_recheck(o->flows, f, now);
		c = flow_conn(o, f, waits);
	}
	return c && may_hold(c, pkt) ? c : NULL;
}

void owner_of(struct owners *o, const struct rules_pkt *pkt,
	      bool queued_sock, uint64_t cookie, uint64_t now,
	      struct owner *out)
{
	struct flow *f = flows_get(o->flows, pkt, now);
	bool waits = false;
	struct conn *c;

	/* A search is retried by this clock too. */
	if (now > o->now)
		o->now = now;
	/* Known sockets only: no inode, no search (owners_conn()). */
	c = cookie ? owners_conn(o, cookie, 0, 0, &waits) : NULL;
	if (!c)
		c = flow_owner(o, pkt, f, now, &waits);
	*out = (struct owner){
		.flow = f, .conn = c, .proc = c ? c->proc : NULL,
		.waits = waits,
		/* The kernel's own packet (an RST, an ICMP error), not one
		 * of a process honefw failed to name. */
		.nosock = !c && !(f && f->has_sock) && !queued_sock,
	};
}

bool owner_uid(struct owners *o, const struct rules_pkt *pkt, uint64_t now,
	       uint32_t *uid)
{
	struct flow *f = flows_get(o->flows, pkt, now);

	if (!f || !f->has_sock)
		return false;
	*uid = f->uid;
	return true;
}

const struct proc *owners_proc(const struct owners *o, uint32_t pid)
{
	struct pent *e = proctab_find(o->procs, pid);

	return e ? &e->p : NULL;
}

bool owners_knows(const struct owners *o, uint32_t pid, uint64_t start)
{
	return owners_current(o, pid, start) != NULL;
}

const struct proc *owners_recent(const struct owners *o)
{
	struct pent *e = proctab_recent(o->procs);

	return e ? &e->p : NULL;
}

const struct proc *owners_older(const struct owners *o,
				const struct proc *p)
{
	struct pent *e = proctab_older(o->procs, proc_pent(p));

	return e ? &e->p : NULL;
}

void owners_touch(struct owners *o, const struct proc *p)
{
	proctab_touch(o->procs, proc_pent(p));
}

void owners_conn_gone(struct owners *o, uint64_t cookie, uint64_t now)
{
	conntab_close(o->conns, cookie, now);
}

size_t owners_conns_sweep(struct owners *o,
			  bool (*live)(void *ctx, uint64_t cookie), void *ctx,
			  uint64_t now)
{
	return conntab_sweep(o->conns, live, ctx, now);
}

struct flows *owners_flows(const struct owners *o)
{
	return o->flows;
}

void owners_stats(const struct owners *o, struct owners_stats *st)
{
	*st = (struct owners_stats){
		.procs = proctab_count(o->procs),
		.conns = conntab_count(o->conns),
		.evicted = o->evicted,
	};
}
