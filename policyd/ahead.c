// SPDX-License-Identifier: GPL-2.0
/*
 * Verdicts given ahead (ahead.h). Each process's given mark is kept with
 * it (struct proc), so that only a change reaches hone.ko; the ioctls are
 * cheap and never wait. An error other than a process that exec'd or
 * exited meanwhile (-ESRCH) is said once, every verdict is ended, and
 * none is given again: each new connection is queued, as without.
 */
#include <errno.h>
#include <linux/netfilter.h>
#include <stdlib.h>

#include <hone/hone.h>

#include "action.h"
#include "ahead.h"
#include "htab.h"
#include "log.h"
#include "nft.h"
#include "offload.h"
#include "owner.h"

struct ahead {
	struct sensor *sensor;
	struct owners *owners;
	struct offloads *off;
	bool held;		/* between ahead_clear() and ahead_renew() */
	struct ahead_stats st;
};

static void give_up(struct ahead *a, const char *what, int err)
{
	errno = -err;
	log_warn("hone.ko: %s: no more verdicts given ahead, every new "
		 "connection is queued", what);
	a->st.on = false;
	/* None may outlive what honefw keeps of them. */
	sensor_prejudge_clear(a->sensor);
}

void ahead_clear(struct ahead *a)
{
	int ret;

	if (!a->st.on)
		return;
	a->held = true;
	ret = sensor_prejudge_clear(a->sensor);
	if (ret < 0)
		give_up(a, "HEIO_PREJUDGE_CLEAR", ret);
}

int ahead_open(bool on, struct sensor *s, struct owners *o,
	       struct offloads *off, struct ahead **out)
{
	struct ahead *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->sensor = s;
	a->owners = o;
	a->off = off;
	a->st.on = on;
	/* Whether the module gives verdicts to this reader is known at
	 * once, not at the first process. */
	ahead_clear(a);
	a->held = false;
	*out = a;
	return 0;
}

void ahead_close(struct ahead *a)
{
	free(a);
}

/* The conntrack mark the queue would save for the first packet of a TCP
 * connection judged v, sent with no mark of its own (judge_one(),
 * action_of()), if v is a plain accept of the whole connection whatever
 * the packet: the fast path passes it with its QoS mark and nothing more.
 * 0 if not. */
static uint32_t mark_of(struct nft *n, const struct rules_verdict *v)
{
	struct action act;

	if (v->action != RULES_ACCEPT || v->per_packet ||
	    action_of(n, v, RULES_DIR_OUT, 0, &act) < 0 ||
	    act.verdict != NF_ACCEPT)
		return 0;
	/* An effect (DSCP) to carry out is more than a plain accept. */
	return act.mark & ~(HONE_MARK_FLOW | HONE_MARK_GEN | HONE_MARK_USER) ?
	       0 : act.mark;
}

/* Into r, the ranges of remote ports whose SYNs p's verdict ahead passes,
 * with their marks; how many. Rules may cut the ports finer than hone.ko
 * holds: ranges past its room are left to the queue. */
static size_t ranges_of(const struct rules *rs, struct nft *n,
			const struct proc *p, struct hone_prejudge_range *r)
{
	struct rules_ahead ra[4 * HONE_PREJUDGE_RANGES];
	int i, got = rules_ahead_ports(rs, &p->view, ra,
				       sizeof(ra) / sizeof(ra[0]));
	size_t k = 0;
	uint32_t m;

	for (i = 0; i < got; i++) {
		m = mark_of(n, &ra[i].v);
		if (!m)
			continue;
		if (k && r[k - 1].ctmark == m && r[k - 1].hi + 1 == ra[i].lo) {
			r[k - 1].hi = ra[i].hi;
			continue;
		}
		if (k == HONE_PREJUDGE_RANGES)
			break;
		r[k++] = (struct hone_prejudge_range){
			.lo = ra[i].lo, .hi = ra[i].hi, .ctmark = m,
		};
	}
	return k;
}

/* What p keeps of the verdict it was given (struct proc): 64 bits of
 * FNV-1a of its ranges, 0 for none. */
static uint64_t digest_of(const struct hone_prejudge_range *r, size_t n)
{
	return n ? htab_bytes(HTAB_SEED, r, n * sizeof(*r)) ?: 1 : 0;
}

void ahead_judge(struct ahead *a, const struct rules *rs, struct nft *n,
		 const struct proc *p)
{
	struct hone_prejudge_range r[HONE_PREJUDGE_RANGES];
	uint64_t d;
	size_t k;
	int ret;

	/* hone.ko names each image: without its number, nothing to give. */
	if (!a->st.on || a->held || p->exited || !p->image)
		return;
	k = ranges_of(rs, n, p, r);
	d = digest_of(r, k);
	if (d == p->ahead)
		return;
	ret = sensor_prejudge(a->sensor, p, r, k);
	if (ret < 0 && ret != -ESRCH) {
		give_up(a, "HEIO_PREJUDGE_PORTS", ret);
		return;
	}
	/* -ESRCH: it runs another image now, or is gone; hone.ko holds
	 * none for it, and the events that say so are on their way. */
	if (ret < 0)
		d = 0;
	else if (d)
		a->st.given++;
	else
		a->st.ended++;
	owners_set_ahead(a->owners, p, d);
}

void ahead_renew(struct ahead *a, const struct rules *rs, struct nft *n)
{
	const struct proc *p;

	a->held = false;
	if (!a->st.on)
		return;
	for (p = owners_recent(a->owners); p; p = owners_older(a->owners, p)) {
		owners_set_ahead(a->owners, p, 0);
		ahead_judge(a, rs, n, p);
	}
}

bool ahead_passed(struct ahead *a, const struct rules *rs, struct nft *n,
		  uint64_t cookie, const struct rules_pkt *pkt,
		  const struct proc *p, uint32_t ctmark, uint32_t mark)
{
	a->st.passed++;
	if (mark == ctmark)
		return false;
	a->st.taken_back++;
	/* Given before a reload, or for what p was before a change not
	 * told yet. Should the change miss the entry (not confirmed yet),
	 * the socket's close still ends it. */
	offload_add(a->off, cookie, p ? p->view.pid : 0, p ? p->view.uid : 0,
		    pkt);
	offload_take_back(a->off, pkt);
	if (p)
		ahead_judge(a, rs, n, p);
	return true;
}

void ahead_stats(const struct ahead *a, struct ahead_stats *st)
{
	*st = a->st;
}
