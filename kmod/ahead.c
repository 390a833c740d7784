// SPDX-License-Identifier: GPL-2.0
/*
 * Verdicts given ahead (HEIO_PREJUDGE, HEIO_PREJUDGE_PORTS). A firewall's
 * queue costs each new connection a round trip to userspace before its
 * SYN may leave; for a process whose verdict nothing of the packet but
 * its remote port decides, the firewall can say it before. The verdict is
 * the conntrack mark the firewall's own rules let pass: a hook right after
 * conntrack at LOCAL_OUT sets it on the new entry of a SYN that a socket
 * of that process image sends, and hands the packet to the reader that
 * gave the verdict, so that it knows the connection as if it had judged
 * it. A record that does not fit the reader's ring leaves the mark unset:
 * the SYN is queued and judged.
 *
 * Verdicts live in the process cache (process.c), per image: an exec or a
 * fork makes a new one, and an exit takes it away. A generation counter
 * ends them all at once: a clear, or the reader's close. A verdict is a
 * few ranges of remote ports with their marks, published by RCU: the hook
 * reads it without a lock.
 */
#include <linux/netfilter.h>
#include <linux/rcupdate.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/nsproxy.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/inet_sock.h>
#include <net/netfilter/nf_conntrack.h>
#include "sensor.h"

static struct hone_reader __rcu *ahead_reader;
static DEFINE_MUTEX(ahead_lock);
/* Verdicts of another generation are void; 0 is nobody's. */
static u32 ahead_gen = 1;
/* They hold in one network namespace, the giver's: the firewall's
 * table is there, and a mark set anywhere else would be a stranger's. */
static u64 ahead_net;

/* r gives the verdicts from now on, for the network namespace of the
 * caller, unless another reader does. Under ahead_lock. */
static int ahead_take(struct hone_reader *r)
{
	struct hone_reader *cur = rcu_dereference_protected(ahead_reader,
							    lockdep_is_held(&ahead_lock));

	if (cur && cur != r)
		return -EBUSY;
	WRITE_ONCE(ahead_net, current->nsproxy->net_ns->net_cookie);
	if (!cur)
		rcu_assign_pointer(ahead_reader, r);
	return 0;
}

/* Voids every verdict given so far. Under ahead_lock. */
static void ahead_void(void)
{
	u32 gen = ahead_gen + 1;

	WRITE_ONCE(ahead_gen, gen ?: 1);
}

static bool ahead_ranges_ok(const struct hone_prejudge_ports *pj)
{
	u32 i;

	if (pj->flags || pj->n > HONE_PREJUDGE_RANGES)
		return false;
	for (i = 0; i < pj->n; i++)
		if (pj->range[i].lo > pj->range[i].hi || !pj->range[i].ctmark ||
		    (i && pj->range[i].lo <= pj->range[i - 1].hi))
			return false;
	return true;
}

int hone_ahead_give(struct hone_reader *r, const struct hone_prejudge_ports *pj)
{
	struct hone_ahead *a = NULL;
	int ret;

	if (!IS_ENABLED(CONFIG_NF_CONNTRACK_MARK))
		return -EOPNOTSUPP;
	if (!ahead_ranges_ok(pj))
		return -EINVAL;
	if (pj->n) {
		a = kmalloc(struct_size(a, range, pj->n), GFP_KERNEL);
		if (!a)
			return -ENOMEM;
		a->uid = pj->uid;
		a->n = pj->n;
		memcpy(a->range, pj->range, flex_array_size(a, range, pj->n));
	}
	mutex_lock(&ahead_lock);
	ret = ahead_take(r);
	if (!ret) {
		if (a)
			a->gen = ahead_gen;
		ret = hone_proc_ahead_set(pj->pid, pj->image, a);
	}
	mutex_unlock(&ahead_lock);
	if (ret)
		kfree(a);
	return ret;
}

/* HEIO_PREJUDGE: one mark for every port. */
int hone_ahead_give_all(struct hone_reader *r, const struct hone_prejudge *pj)
{
	struct hone_prejudge_ports pp = {
		.pid = pj->pid, .uid = pj->uid, .image = pj->image,
		.n = !!pj->ctmark, .flags = pj->flags,
		.range[0] = { .lo = 0, .hi = U16_MAX, .ctmark = pj->ctmark },
	};

	return hone_ahead_give(r, &pp);
}

/* Under rcu_read_lock: a's mark for a socket of uid to remote port port,
 * if a is of generation gen; else 0. */
u32 hone_ahead_mark(const struct hone_ahead *a, u32 uid, u32 gen, u16 port)
{
	u32 i;

	if (!a || a->gen != gen || a->uid != uid)
		return 0;
	for (i = 0; i < a->n && a->range[i].lo <= port; i++)
		if (port <= a->range[i].hi)
			return a->range[i].ctmark;
	return 0;
}

int hone_ahead_clear(struct hone_reader *r)
{
	int ret;

	mutex_lock(&ahead_lock);
	ret = ahead_take(r);
	if (!ret)
		ahead_void();
	mutex_unlock(&ahead_lock);
	return ret;
}

/* r is closing: its verdicts end. The caller waits for RCU readers (the
 * hook) before r is freed. */
void hone_ahead_release(struct hone_reader *r)
{
	mutex_lock(&ahead_lock);
	if (rcu_access_pointer(ahead_reader) == r) {
		RCU_INIT_POINTER(ahead_reader, NULL);
		ahead_void();
	}
	mutex_unlock(&ahead_lock);
}

#if IS_ENABLED(CONFIG_NF_CONNTRACK_MARK)
/* At LOCAL_OUT right after conntrack (packet.c registers it), the first
 * SYN of a connection a socket of a process sends: its conntrack entry is
 * new and still this packet's alone, so setting its mark races with
 * nobody. Runs under rcu_read_lock, as every hook. */
unsigned int hone_ahead_hook(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state)
{
	struct sock *sk = skb->sk;
	enum ip_conntrack_info ctinfo;
	struct hone_reader *r;
	struct hone_owner *o;
	struct hone_payload p;
	struct hone_rec_pkt rec;
	struct nf_conn *ct;
	u64 cookie;
	u32 mark;

	/* A mark of the socket's own (SO_MARK) is the firewall's to see: its
	 * verdict, queued, may keep it for the connection. */
	r = rcu_dereference(ahead_reader);
	if (!r || !sk || !sk_fullsock(sk) || sk->sk_protocol != IPPROTO_TCP ||
	    sk->sk_state != TCP_SYN_SENT || skb->mark ||
	    state->net->net_cookie != READ_ONCE(ahead_net))
		return NF_ACCEPT;
	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || ctinfo != IP_CT_NEW || nf_ct_is_confirmed(ct) || READ_ONCE(ct->mark))
		return NF_ACCEPT;
	o = hone_pkt_owner(sk, &cookie);
	mark = o ? hone_owner_ahead(o, READ_ONCE(ahead_gen),
				    ntohs(inet_sk(sk)->inet_dport)) : 0;
	if (!mark)
		return NF_ACCEPT;
	hone_pkt_fill(&rec, &p, skb, false, cookie, o);
	rec.ctmark = mark;
	if (hone_reader_put(r, &rec.h, sizeof(rec), &p))
		WRITE_ONCE(ct->mark, mark);
	return NF_ACCEPT;
}
#endif
