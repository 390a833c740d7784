// SPDX-License-Identifier: GPL-2.0
/*
 * Offloaded flows (by socket and 5-tuple, and listed by socket and by the
 * socket's owner's pid), the sock_diag destroy groups that say when a
 * socket is gone (unless the sensor says it: hone.ko), and the ctnetlink
 * deletes that end its flows' verdicts. Nothing here waits on
 * the verdict path: the deletes and mark changes of a drain go out as one
 * send at its end (nfnetlink takes each message of it in turn), which the
 * kernel handles at once and is not asked to acknowledge; the errors it
 * sends back and the destroy notices are read without waiting, errors
 * counted, at the next drain.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/sock_diag.h>

#include "ctmsg.h"
#include "diag.h"
#include "flow.h"
#include "htab.h"
#include "list.h"
#include "nlsock.h"
#include "offload.h"

/* ~10,000 destroy notices. */
#define GONE_RCVBUF	(8 << 20)

/* The offloads of one socket (by cookie), of one owner's pid or of one
 * user: a socket's end ends its own, a process that changes (an exec)
 * takes back its own, a user past its share gives up its oldest. A pid's
 * taken back wait apart until a verdict is given again: a process that
 * execs over and over costs no more than the packets it has judged
 * again. */
struct group {
	struct hnode node;	/* by cookie, pid or uid */
	struct list on;		/* struct off: in force; a user's, all, oldest
				 * verdict first */
	struct list back;	/* taken back (a pid's) */
	size_t n;		/* a user's */
};

struct off {
	struct hnode node;	/* by socket cookie and 5-tuple (off_key()) */
	uint64_t cookie;
	struct list in_sock, in_pid, in_uid;
	struct group *sock, *pid, *uid;
	struct rules_pkt key;	/* the 5-tuple */
};

struct offloads {
	struct mnl_socket *ct;		/* ctnetlink */
	struct mnl_socket *gone;	/* sock_diag destroy groups */
	struct nlsock_rx *rx;
	uint32_t ct_portid, seq;
	uint32_t clear;		/* the mark bits a verdict taken back loses */
	uint64_t rnd;		/* off_random() */
	int ct_error;		/* ctnetlink unusable: offload nothing */
	bool deleted;		/* requests sent, their errors not read */
	size_t out_len, out_n;	/* requests waiting in out: bytes, how many */
	uint8_t out[32 * 1024];
	bool lost;		/* destroy notices lost since offloads_lost() */
	struct htab h;		/* struct off */
	struct htab socks, pids, uids;	/* struct group */
	struct offload_stats st;
};

/* A socket that talks to many peers (an unconnected UDP server) has many
 * flows: each is found by its own key, not by a walk of the socket's. */
static uint64_t off_key(uint64_t cookie, uint64_t tuple_hash)
{
	return tuple_hash ^ cookie * 0x9e3779b97f4a7c15ULL;
}

static struct group *group_of(const struct htab *t, uint64_t key)
{
	struct hnode *n = htab_find(t, key);

	return n ? htab_entry(n, struct group, node) : NULL;
}

static struct group *group_get(struct htab *t, uint64_t key)
{
	struct group *g = group_of(t, key);

	if (g)
		return g;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->node.key = key;
	list_init(&g->on);
	list_init(&g->back);
	htab_insert(t, &g->node);
	return g;
}

/* g goes with its last offload. */
static void group_put(struct htab *t, struct group *g)
{
	if (!g || !list_empty(&g->on) || !list_empty(&g->back))
		return;
	htab_remove(t, &g->node);
	free(g);
}

/* The requests waiting go out, one send for them all. */
static void ct_flush(struct offloads *o)
{
	if (!o->out_n)
		return;
	if (mnl_socket_sendto(o->ct, o->out, o->out_len) < 0)
		o->st.errors += o->out_n;
	else
		o->deleted = true;
	o->out_len = o->out_n = 0;
}

/* A request the kernel answers only if it refuses it (read at the next
 * drain: on_ct_msg()), sent at the end of this one (ct_flush()). */
static bool ct_send(struct offloads *o, const struct nlmsghdr *nlh)
{
	size_t len = NLMSG_ALIGN(nlh->nlmsg_len);

	if (len > sizeof(o->out))
		return false;
	if (o->out_len + len > sizeof(o->out))
		ct_flush(o);
	memcpy(o->out + o->out_len, nlh, nlh->nlmsg_len);
	o->out_len += len;
	o->out_n++;
	return true;
}

static void ct_delete(struct offloads *o, const struct rules_pkt *t)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = ctmsg_tuple(buf, IPCTNL_MSG_CT_DELETE, ++o->seq,
					   t, 0);

	o->st.ended += ct_send(o, nlh);
}

/* The entry nlh names loses the mark bits of clear. */
static bool ct_clear(struct offloads *o, struct nlmsghdr *nlh, uint32_t clear)
{
	/* The kernel keeps the bits the mask does not name. */
	mnl_attr_put_u32(nlh, CTA_MARK, 0);
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(clear));
	return ct_send(o, nlh);
}

/* No CREATE: this entry or none. */
static void take_back(struct offloads *o, const struct rules_pkt *t)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	ct_clear(o, ctmsg_tuple(buf, IPCTNL_MSG_CT_NEW, ++o->seq, t, 0),
		 o->clear);
}

void offload_take_back(struct offloads *o, const struct rules_pkt *pkt)
{
	struct rules_pkt t;

	if (o->ct_error)
		return;
	flow_tuple(pkt, &t);
	take_back(o, &t);
}

size_t offloads_take_back_pid(struct offloads *o, uint32_t pid)
{
	struct group *p = group_of(&o->pids, pid);
	struct list *l;
	size_t k = 0;

	for (; p && !list_empty(&p->on); k++) {
		l = p->on.next;
		take_back(o, &list_entry(l, struct off, in_pid)->key);
		list_del(l);
		list_add_tail(&p->back, l);
	}
	o->st.changed += k;
	return k;
}

/* f is forgotten, and its groups with their last. */
static void off_free(struct offloads *o, struct off *f)
{
	htab_remove(&o->h, &f->node);
	list_del(&f->in_sock);
	list_del(&f->in_pid);
	list_del(&f->in_uid);
	f->uid->n--;
	group_put(&o->socks, f->sock);
	group_put(&o->pids, f->pid);
	group_put(&o->uids, f->uid);
	free(f);
}

/* f's verdict is given again: in force, if taken back, under the owner it
 * was given for (with the netlink sensor, a socket passed on is its
 * holder's seen last), and its user's newest. */
static void refresh(struct offloads *o, struct off *f, uint32_t pid)
{
	struct group *p;

	list_del(&f->in_pid);
	if (f->pid->node.key != pid && (p = group_get(&o->pids, pid))) {
		group_put(&o->pids, f->pid);
		f->pid = p;
	}
	list_add_tail(&f->pid->on, &f->in_pid);
	list_del(&f->in_uid);
	list_add_tail(&f->uid->on, &f->in_uid);
}

/* A verdict given up to make room: taken back (its connection's next
 * packet is judged, and offloaded again) and forgotten. Had it been
 * forgotten alone, its mark would outlive the socket it was given for. */
static void give_up(struct offloads *o, struct off *f)
{
	take_back(o, &f->key);
	off_free(o, f);
	o->st.given_up++;
}

/* xorshift64*: which verdict a full table gives up. */
static uint64_t off_random(struct offloads *o)
{
	o->rnd ^= o->rnd >> 12;
	o->rnd ^= o->rnd << 25;
	o->rnd ^= o->rnd >> 27;
	return o->rnd * 0x2545f4914f6cdd1dULL;
}

int offload_add(struct offloads *o, uint64_t cookie, uint32_t pid,
		uint32_t uid, const struct rules_pkt *pkt)
{
	struct group *s, *p = NULL, *u = NULL;
	struct rules_pkt t;
	struct hnode *n;
	struct off *f;
	uint64_t key;

	if (o->ct_error)
		return o->ct_error;
	key = off_key(cookie, flow_tuple(pkt, &t));
	for (n = htab_find(&o->h, key); n; n = htab_find_next(n)) {
		f = htab_entry(n, struct off, node);
		if (f->cookie == cookie && !memcmp(&f->key, &t, sizeof(t))) {
			refresh(o, f, pid);
			return 0;
		}
	}
	/* A user past its share gives up its own oldest verdict; a full
	 * table, one at random, so that whoever holds most of it (a user
	 * with many uids: subordinate ids) gives up most. */
	u = group_of(&o->uids, uid);
	if (u && u->n >= OFFLOAD_USER_MAX)
		give_up(o, list_entry(u->on.next, struct off, in_uid));
	else if (o->h.n >= OFFLOAD_MAX)
		give_up(o, htab_entry(htab_any(&o->h, off_random(o)),
				      struct off, node));
	s = group_get(&o->socks, cookie);
	if (s)
		p = group_get(&o->pids, pid);
	if (p)
		u = group_get(&o->uids, uid);
	f = u ? calloc(1, sizeof(*f)) : NULL;
	if (!f) {
		group_put(&o->uids, u);
		group_put(&o->pids, p);
		group_put(&o->socks, s);
		return -ENOMEM;
	}
	f->node.key = key;
	f->cookie = cookie;
	f->key = t;
	f->sock = s;
	f->pid = p;
	f->uid = u;
	htab_insert(&o->h, &f->node);
	list_add_tail(&s->on, &f->in_sock);
	list_add_tail(&p->on, &f->in_pid);
	list_add_tail(&u->on, &f->in_uid);
	u->n++;
	return 0;
}

/* Can verdicts be ended? Deleting an entry nobody has must say ENOENT;
 * without ctnetlink (not loaded, not built) nothing would end them. */
static int ct_probe(struct offloads *o)
{
	const struct rules_pkt none = { .family = AF_INET,
					.proto = IPPROTO_UDP };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = ctmsg_tuple(buf, IPCTNL_MSG_CT_DELETE, ++o->seq,
					   &none, NLM_F_ACK);
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t got;

	if (mnl_socket_sendto(o->ct, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	got = mnl_socket_recvfrom(o->ct, buf, sizeof(buf));
	if (got < 0)
		return -errno;
	if (mnl_cb_run(buf, got, seq, o->ct_portid, NULL, NULL) < 0)
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

void offload_end(struct offloads *o, uint64_t cookie)
{
	struct group *s = group_of(&o->socks, cookie);
	struct off *f;
	bool last = !s;

	/* s goes with its last flow. */
	while (!last) {
		f = list_entry(s->on.next, struct off, in_sock);
		last = f->in_sock.next == &s->on;
		ct_delete(o, &f->key);
		off_free(o, f);
	}
}

/* What the kernel said of earlier deletes: only refusals are errors (the
 * entry may have expired on its own). */
static void on_ct_msg(const struct nlmsghdr *nlh, void *data)
{
	struct offloads *o = data;
	const struct nlmsgerr *err;

	if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != o->ct_portid ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*err))
		return;
	err = mnl_nlmsg_get_payload(nlh);
	if (err->error && err->error != -ENOENT)
		o->st.errors++;
}

struct drain {
	struct offloads *o;
	void (*gone)(void *ctx, uint64_t cookie);
	void *ctx;
	int n;
};

static void on_gone_msg(const struct nlmsghdr *nlh, void *data)
{
	struct drain *dr = data;
	const struct inet_diag_msg *m;
	uint64_t cookie;

	/* Only the kernel broadcasts to these groups. */
	if (nlh->nlmsg_pid != 0 || nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return;
	m = mnl_nlmsg_get_payload(nlh);
	cookie = (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	offload_end(dr->o, cookie);
	dr->gone(dr->ctx, cookie);
	dr->n++;
}

int offloads_drain(struct offloads *o, bool readable,
		   void (*gone)(void *ctx, uint64_t cookie), void *ctx)
{
	struct drain dr = { o, gone, ctx, 0 };
	uint64_t lost = o->st.lost, cut = 0;

	if (o->gone && readable)
		nlsock_rx_drain(o->rx, mnl_socket_get_fd(o->gone),
				&o->st.lost, on_gone_msg, &dr);
	/* The kernel answers a delete as it is sent: only errors, no
	 * acknowledgement asked for (an overrun there costs only their
	 * count, hence cut, read by no one). */
	if (o->deleted) {
		o->deleted = false;
		nlsock_rx_drain(o->rx, mnl_socket_get_fd(o->ct), &cut,
				on_ct_msg, o);
	}
	/* What the sensor's drain and this one ended goes out before more
	 * is judged. */
	ct_flush(o);
	/* Notices were lost: offloads_lost() says so. */
	if (o->st.lost != lost)
		o->lost = true;
	return dr.n;
}

bool offloads_lost(const struct offloads *o)
{
	return o->lost;
}

size_t offloads_sweep(struct offloads *o, const uint64_t *live, size_t n,
		      void (*gone)(void *ctx, uint64_t cookie), void *ctx)
{
	uint64_t *dead = NULL, *v;
	size_t i, ndead = 0, cap = 0;
	struct hnode *h;

	/* Collected first: offload_end() takes sockets out of the table. */
	for (i = 0; i <= o->socks.mask; i++) {
		for (h = o->socks.b[i]; h; h = h->next) {
			if (diag_live_has(live, n, h->key))
				continue;
			if (ndead == cap) {
				cap = cap ? cap * 2 : 256;
				v = realloc(dead, cap * sizeof(*v));
				if (!v)
					goto out;
				dead = v;
			}
			dead[ndead++] = h->key;
		}
	}
	o->lost = false;
out:
	for (i = 0; i < ndead; i++) {
		offload_end(o, dead[i]);
		gone(ctx, dead[i]);
	}
	ct_flush(o);
	free(dead);
	return ndead;
}

/* Verdicts being taken back: the bits they lose, how many changes went.
 * The changes go on the deletes' socket: the kernel's refusals are read
 * and counted with theirs, at the next drain. */
struct forget {
	struct offloads *o;
	uint32_t clear;
	int n;
};

/* One entry of the dump: its mark loses the bits of clear, the entry named
 * as the dump named it (its original tuple, in its zone). */
static int on_marked(const struct nlmsghdr *nlh, void *data)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct forget *fg = data;
	const struct nlattr *a;
	struct nlmsghdr *req;
	bool tuple = false;

	req = mnl_nlmsg_put_header(buf);
	req->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW;
	req->nlmsg_flags = NLM_F_REQUEST;	/* no CREATE: this one or none */
	req->nlmsg_seq = ++fg->o->seq;
	memcpy(mnl_nlmsg_put_extra_header(req, sizeof(*nfg)), nfg,
	       sizeof(*nfg));
	mnl_attr_for_each(a, nlh, sizeof(*nfg)) {
		uint16_t type = mnl_attr_get_type(a);

		if (type != CTA_TUPLE_ORIG && type != CTA_ZONE)
			continue;
		if (mnl_attr_get_payload_len(a) > sizeof(buf) / 2)
			return MNL_CB_OK;
		mnl_attr_put(req, a->nla_type, mnl_attr_get_payload_len(a),
			     mnl_attr_get_payload(a));
		tuple |= type == CTA_TUPLE_ORIG;
	}
	if (!tuple)
		return MNL_CB_OK;
	fg->n += ct_clear(fg->o, req, fg->clear);
	return MNL_CB_OK;
}

/* A dump of what the mark test finds, each entry changed as it comes (on
 * a socket of its own: the dump's holds the dump alone). */
static int forget(struct mnl_socket *dump, struct forget *fg, uint32_t mark,
		  uint32_t mask)
{
	static char buf[1 << 16];
	uint32_t seq = 1, portid = mnl_socket_get_portid(dump);
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	ssize_t got;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;		/* both families */
	nfg->version = NFNETLINK_V0;
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mask));
	if (mnl_socket_sendto(dump, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		got = mnl_socket_recvfrom(dump, buf, sizeof(buf));
		if (got < 0)
			return -errno;
		ret = mnl_cb_run(buf, got, seq, portid, on_marked, fg);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

int offloads_forget(struct offloads *o, uint32_t mark, uint32_t mask,
		    uint32_t clear)
{
	struct forget fg = { .o = o, .clear = clear };
	struct mnl_socket *dump;
	int ret;

	/* Nothing is offloaded, and no mark trusted (nft_conf.offload). */
	if (o->ct_error)
		return 0;
	ret = nlsock_open(NETLINK_NETFILTER, &dump);
	if (ret)
		return ret;
	ret = forget(dump, &fg, mark, mask);
	ct_flush(o);
	mnl_socket_close(dump);
	return ret ?: fg.n;
}

int offloads_error(const struct offloads *o)
{
	return o->ct_error;
}

int offloads_fd(const struct offloads *o)
{
	return o->gone ? mnl_socket_get_fd(o->gone) : -1;
}

void offloads_stats(const struct offloads *o, struct offload_stats *st)
{
	*st = o->st;
	st->flows = o->h.n;
}

static int open_gone(struct mnl_socket **out)
{
	static const unsigned groups = 1U << (SKNLGRP_INET_TCP_DESTROY - 1) |
		1U << (SKNLGRP_INET_UDP_DESTROY - 1) |
		1U << (SKNLGRP_INET6_TCP_DESTROY - 1) |
		1U << (SKNLGRP_INET6_UDP_DESTROY - 1);
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_SOCK_DIAG,
						 SOCK_NONBLOCK | SOCK_CLOEXEC);
	int ret;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		mnl_socket_close(nl);
		return ret;
	}
	/* A storm of closes must not outrun honefw: what is lost anyway
	 * costs a sweep (offloads_lost()). */
	nlsock_rcvbuf(nl, GONE_RCVBUF);
	*out = nl;
	return 0;
}

int offloads_open(bool notices, uint32_t clear, struct offloads **out)
{
	struct offloads *o;
	int ret;

	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	ret = htab_init(&o->h, 1024);
	if (ret)
		goto err_free;
	ret = htab_init(&o->socks, 1024);
	if (ret)
		goto err_htab;
	ret = htab_init(&o->pids, 1024);
	if (ret)
		goto err_socks;
	ret = htab_init(&o->uids, 64);
	if (ret)
		goto err_pids;
	ret = nlsock_rx_new(&o->rx);
	if (ret)
		goto err_uids;
	ret = nlsock_open(NETLINK_NETFILTER, &o->ct);
	if (ret)
		goto err_rx;
	o->ct_portid = mnl_socket_get_portid(o->ct);
	o->clear = clear;
	o->rnd = ((uint64_t)time(NULL) << 20 ^ (uintptr_t)o) | 1;
	o->ct_error = ct_probe(o);
	ret = notices ? open_gone(&o->gone) : 0;
	if (ret)
		goto err_ct;
	*out = o;
	return 0;

err_ct:
	mnl_socket_close(o->ct);
err_rx:
	nlsock_rx_free(o->rx);
err_uids:
	htab_free(&o->uids);
err_pids:
	htab_free(&o->pids);
err_socks:
	htab_free(&o->socks);
err_htab:
	htab_free(&o->h);
err_free:
	free(o);
	return ret;
}

static void free_off(struct hnode *n)
{
	free(htab_entry(n, struct off, node));
}

static void free_group(struct hnode *n)
{
	free(htab_entry(n, struct group, node));
}

void offloads_close(struct offloads *o)
{
	if (!o)
		return;
	htab_clear(&o->uids, free_group);
	htab_free(&o->uids);
	htab_clear(&o->pids, free_group);
	htab_free(&o->pids);
	htab_clear(&o->socks, free_group);
	htab_free(&o->socks);
	htab_clear(&o->h, free_off);
	htab_free(&o->h);
	if (o->gone)
		mnl_socket_close(o->gone);
	mnl_socket_close(o->ct);
	nlsock_rx_free(o->rx);
	free(o);
}
