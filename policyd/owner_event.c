// SPDX-License-Identifier: GPL-2.0
/*
 * The sensors' typed events (event.h) into the owners' tables: one way
 * for hone.ko's blocks and the proc connector's events alike. Nothing here
 * reads a file or a socket: the sensor has read and hashed already.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "owner_priv.h"

static void add_orphan(struct owners *o, struct pent *e)
{
	size_t cap = o->orphans_cap ? o->orphans_cap * 2 : 64;
	struct orphan *v;

	if (o->norphans == o->orphans_cap) {
		v = realloc(o->orphans, cap * sizeof(*v));
		if (!v)
			return;		/* it only misses its parent */
		o->orphans = v;
		o->orphans_cap = cap;
	}
	proctab_get(e);
	o->orphans[o->norphans++] = (struct orphan){ e, 0 };
}

#define ORPHAN_RUNS	8

/* e changed in this run: told at its end, once (owners_on_change()). */
static void changed(struct owners *o, struct pent *e)
{
	if (!o->change || !list_empty(&e->changed))
		return;
	proctab_get(e);
	list_add_tail(&o->changed, &e->changed);
}

/* What e runs, and whose child it is, is part of its descendants'
 * pedigrees, as deep as a pedigree reaches: its children's links, not a
 * walk of every process, so that an exec costs what its own tree holds. */
static void kids_changed(struct owners *o, const struct pent *e,
			 unsigned depth)
{
	const struct list *n;
	struct pent *d;

	if (depth > RULES_DEPTH_MAX)
		return;
	for (n = e->kids.next; n != &e->kids; n = n->next) {
		d = list_entry(n, struct pent, sibling);
		if (!d->p.exited)
			changed(o, d);
		kids_changed(o, d, depth + 1);
	}
}

static void descendants_changed(struct owners *o, const struct pent *e)
{
	if (o->change)
		kids_changed(o, e, 1);
}

static void tell_changed(struct owners *o)
{
	struct pent *e;

	while (!list_empty(&o->changed)) {
		e = list_entry(o->changed.next, struct pent, changed);
		list_del(&e->changed);
		if (!e->p.exited)
			o->change(o->change_ctx, &e->p);
		proctab_put(o->procs, e);
	}
}

static void adopt_orphans(struct owners *o)
{
	struct pent *e, *parent;
	size_t i, kept = 0;

	for (i = 0; i < o->norphans; i++) {
		e = o->orphans[i].e;
		parent = owners_current(o, e->p.view.ppid, 0);
		if (parent && !e->p.exited) {
			proctab_adopt(e, parent);
			changed(o, e);
			descendants_changed(o, e);
		}
		if (parent || e->p.exited || ++o->orphans[i].runs >= ORPHAN_RUNS)
			proctab_put(o->procs, e);
		else
			o->orphans[kept++] = o->orphans[i];
	}
	o->norphans = kept;
}

void owners_begin(struct owners *o, uint64_t now)
{
	o->now = now;
}

void owners_settle(struct owners *o, uint64_t lost)
{
	if (o->events)
		adopt_orphans(o);
	o->events = 0;
	tell_changed(o);
	o->evicted += conntab_expire(o->conns, o->now, o->grace);
	/* A flow event may be among what was lost. */
	if (lost != o->lost && o->flows)
		flows_distrust(o->flows);
	o->lost = lost;
}

static void set_digest(struct pent *e, const struct ev_digest *d)
{
	e->p.exe_key = d->key;
	e->p.digest_wanted = d->wanted;
	e->p.has_sha256 = d->known;
	e->p.view.sha256 = d->known ? e->p.sha256 : NULL;
	if (d->known)
		memcpy(e->p.sha256, d->sha256, sizeof(e->p.sha256));
}

void owners_digest(struct owners *o, const struct proc *p,
		   const struct ev_digest *d)
{
	/* The owners' own entry: the caller only holds it as const. */
	struct pent *e = proc_pent(p);

	set_digest(e, d);
	changed(o, e);
}

void owners_named(struct owners *o, uint32_t uid, const char *name)
{
	struct pent *e;

	for (e = proctab_recent(o->procs); e; e = proctab_older(o->procs, e))
		if (e->p.view.uid == uid && !e->p.user)
			proctab_set_ids(o->procs, e, uid, e->p.view.gid, name);
}

static struct pent *new_proc(struct owners *o, const struct ev_proc *ev)
{
	struct pent *parent = NULL, *e;

	if (ev->has_ppid)
		parent = owners_current(o, ev->ppid, ev->ppid_start);
	e = proctab_new(o->procs, ev->pid, ev->start, parent);
	if (!e)
		return NULL;
	if (ev->has_ppid && ev->ppid && !parent) {
		e->p.view.ppid = ev->ppid;
		add_orphan(o, e);
	}
	return e;
}

/* What runs, and its digest. */
static int exec_image(struct owners *o, struct pent *e,
		      const struct ev_proc *ev)
{
	int ret = proctab_exec(o->procs, e, ev->path, ev->file, ev->foreign,
			       ev->argv, ev->argvlen);

	if (!ret && ev->digest)
		set_digest(e, ev->digest);
	if (!ret && ev->script)
		ret = proctab_script(e, ev->script, ev->script_file,
				     ev->script_foreign);
	return ret;
}

int owners_proc_event(struct owners *o, const struct ev_proc *ev)
{
	struct pent *e = owners_current(o, ev->pid, ev->start);
	int ret = 0;

	o->events++;
	switch (ev->kind) {
	case EV_FORK:
		/* A fork of a known pid and start: read already (a snapshot,
		 * /proc at start-up). */
		if (e && ev->start && e->p.start == ev->start)
			return 0;
		e = new_proc(o, ev);
		/* Without its parent, the event tells what it runs. */
		if (e && !e->p.view.parent && ev->path)
			ret = exec_image(o, e, ev);
		break;
	case EV_EXEC:
		if (!e)
			e = new_proc(o, ev);
		if (e)
			ret = exec_image(o, e, ev);
		break;
	case EV_IDS:
		if (!e)
			return 0;
		break;
	case EV_EXIT:
		if (e)
			proctab_exit(o->procs, e);
		return 0;
	}
	if (!ret && e && ev->cgroup)
		ret = proctab_cgroup(e, ev->cgroup, ev->cgroup_id);
	if (!e)
		return -ENOMEM;
	/* A new image: hone.ko ended the verdict given ahead for the last
	 * (a snapshot tells the one that runs again). */
	if (ev->kind != EV_IDS && ev->image != e->p.image) {
		e->p.image = ev->image;
		e->p.ahead = 0;
	}
	changed(o, e);
	if (ev->kind == EV_EXEC)
		descendants_changed(o, e);
	if (ret)
		return ret;
	if (ev->has_uid || ev->has_gid)
		proctab_set_ids(o->procs, e,
				ev->has_uid ? ev->uid : e->p.view.uid,
				ev->has_gid ? ev->gid : e->p.view.gid,
				ev->has_uid ? ev->user : e->p.user);
	return 0;
}

/* The flow's socket, whose owner a packet of it names (before accept(),
 * its listener's): told whether or not its process is known. A listener,
 * or a connection not accepted yet (no inode), stands in for the socket
 * to come. */
static void on_flow(struct owners *o, const struct ev_sock *ev)
{
	struct pent *owner = owners_current(o, ev->pid, 0);

	if (owner)
		conntab_set(o->conns, ev->cookie, owner, ev->uid, ev->inode);
	if (o->flows && ev->whole && ev->netns == o->netns)
		flows_tell(o->flows, &ev->addrs, ev->cookie, ev->uid,
			   ev->inode, ev->listen || !ev->inode, o->now);
}

int owners_sock_event(struct owners *o, const struct ev_sock *ev)
{
	struct pent *owner;

	o->events++;
	switch (ev->kind) {
	case EV_SOCK_OPEN:
		owner = owners_current(o, ev->pid, 0);
		/* No owner: a kernel socket, or its process is unknown. */
		if (owner && !conntab_set(o->conns, ev->cookie, owner, ev->uid,
					  ev->inode))
			return -ENOMEM;
		break;
	case EV_SOCK_FLOW:
		on_flow(o, ev);
		break;
	case EV_SOCK_CLOSE:
		conntab_close(o->conns, ev->cookie, o->now);
		if (o->closed)
			o->closed(o->closed_ctx, ev->cookie);
		break;
	}
	return 0;
}
