// SPDX-License-Identifier: GPL-2.0
/*
 * A sensor's typed events (event.h) into the tables: one way for hone.ko's
 * blocks and the proc connector's events alike.
 */
#include <stdlib.h>

#include "sensor_priv.h"

/* The live process with this pid, if it is the one that started then. */
static struct pent *current(struct sensor *s, uint32_t pid, uint64_t start)
{
	struct pent *e = proctab_find(s->procs, pid);

	if (!e || e->p.exited || (start && e->p.start && e->p.start != start))
		return NULL;
	return e;
}

bool sensor_knows(struct sensor *s, uint32_t pid, uint64_t start)
{
	return current(s, pid, start) != NULL;
}

static void add_orphan(struct sensor *s, struct pent *e)
{
	struct orphan *v;

	if (s->norphans == s->orphans_cap) {
		v = realloc(s->orphans, (s->orphans_cap ? s->orphans_cap * 2 :
					 64) * sizeof(*v));
		if (!v)
			return;		/* it only misses its parent */
		s->orphans = v;
		s->orphans_cap = s->orphans_cap ? s->orphans_cap * 2 : 64;
	}
	proctab_get(e);
	s->orphans[s->norphans++] = (struct orphan){ e, 0 };
}

#define ORPHAN_DRAINS	8

void sensor_settle(struct sensor *s)
{
	struct pent *e, *parent;
	size_t i, kept = 0;

	for (i = 0; i < s->norphans; i++) {
		e = s->orphans[i].e;
		parent = current(s, e->p.view.ppid, 0);
		if (parent && !e->p.exited)
			proctab_adopt(e, parent);
		if (parent || e->p.exited ||
		    ++s->orphans[i].drains >= ORPHAN_DRAINS)
			proctab_put(s->procs, e);
		else
			s->orphans[kept++] = s->orphans[i];
	}
	s->norphans = kept;
}

static struct pent *new_proc(struct sensor *s, const struct ev_proc *ev)
{
	struct pent *parent = NULL, *e;

	if (ev->has_ppid)
		parent = current(s, ev->ppid, ev->ppid_start);
	e = proctab_new(s->procs, ev->pid, ev->start, parent);
	if (!e)
		return NULL;
	if (ev->has_ppid && ev->ppid && !parent) {
		e->p.view.ppid = ev->ppid;
		add_orphan(s, e);
	}
	return e;
}

/* What runs, and from now on its digest. */
static int exec_image(struct sensor *s, struct pent *e,
		      const struct ev_proc *ev)
{
	int ret = proctab_exec(s->procs, e, ev->path, ev->file, ev->argv,
			       ev->argvlen);

	if (!ret && ev->path)
		sensor_hash_exe(s, e);
	if (!ret && ev->script)
		ret = proctab_script(s->procs, e, ev->script, ev->script_file);
	return ret;
}

void sensor_proc_event(struct sensor *s, const struct ev_proc *ev)
{
	struct pent *e = current(s, ev->pid, ev->start);
	int ret = 0;

	switch (ev->kind) {
	case EV_FORK:
		/* A fork of a known pid and start: read already (a snapshot,
		 * /proc at start-up). */
		if (e && ev->start && e->p.start == ev->start)
			return;
		e = new_proc(s, ev);
		/* Without its parent, the event tells what it runs. */
		if (e && !e->p.view.parent && ev->path)
			ret = exec_image(s, e, ev);
		break;
	case EV_EXEC:
		if (!e)
			e = new_proc(s, ev);
		if (e)
			ret = exec_image(s, e, ev);
		break;
	case EV_IDS:
		if (!e)
			return;
		break;
	case EV_EXIT:
		if (e)
			proctab_exit(s->procs, e);
		return;
	}
	if (!ret && e && ev->cgroup)
		ret = proctab_cgroup(e, ev->cgroup, ev->cgroup_id);
	if (!e || ret) {
		s->st.lost++;
		return;
	}
	if (ev->has_uid || ev->has_gid)
		proctab_set_ids(s->procs, e, ev->has_uid ? ev->uid : e->p.view.uid,
				ev->has_gid ? ev->gid : e->p.view.gid);
}

/* The flow's socket, whose owner a packet of it names (before accept(),
 * its listener's): told whether or not its process is known. A listener,
 * or a connection not accepted yet (no inode), stands in for the socket
 * to come. */
static void on_flow(struct sensor *s, const struct ev_sock *ev)
{
	struct pent *owner = current(s, ev->pid, 0);
	struct conn *c = owner ? conntab_set(s->conns, ev->cookie, owner,
					     ev->uid, ev->inode) : NULL;
	struct conn none = {
		.cookie = ev->cookie, .uid = ev->uid, .inode = ev->inode,
	};

	/* The same addresses mean other sockets in other namespaces. */
	if (ev->whole && s->on_flow && ev->netns == s->flow_netns)
		s->on_flow(s->flow_ctx, &ev->addrs, c ? c : &none,
			   ev->listen || !ev->inode);
}

void sensor_sock_event(struct sensor *s, const struct ev_sock *ev)
{
	struct pent *owner;

	switch (ev->kind) {
	case EV_SOCK_OPEN:
		owner = current(s, ev->pid, 0);
		/* No owner: a kernel socket, or its process is unknown. */
		if (owner && !conntab_set(s->conns, ev->cookie, owner, ev->uid,
					  ev->inode))
			s->st.lost++;
		break;
	case EV_SOCK_FLOW:
		on_flow(s, ev);
		break;
	case EV_SOCK_CLOSE:
		conntab_close(s->conns, ev->cookie, sensor_now());
		break;
	}
}
