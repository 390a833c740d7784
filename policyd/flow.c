// SPDX-License-Identifier: GPL-2.0
/*
 * Queued packet -> 5-tuple -> socket. sock_diag answers with the socket's
 * cookie (the sensor's connection id), uid and inode. TCP looks up
 * established sockets and then listeners, so an incoming SYN finds its
 * server; UDP finds unconnected sockets too.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netfilter.h>
#include <linux/sock_diag.h>

#include <hone/hone.h>

#include "flow.h"
#include "log.h"
#include "nlsock.h"

#define NSEC		1000000000ULL
#define FLOW_RECHECK	(2 * NSEC)	/* a tuple may get a new socket */
#define FLOW_RETELL	(10 * NSEC)	/* a per-packet drop flood: a line
					 * per flow every 10 s */
/* Idle that long, a flow has nothing left worth keeping: its decision
 * would be told again, its socket is told again by hone.ko before its
 * next packet (else asked for again). */
#define FLOW_IDLE	FLOW_RETELL
_Static_assert(FLOW_IDLE >= 2 * HONE_FLOW_RETELL_SEC * NSEC, "told again");
#define FLOW_IDLE_FULL	(1 * NSEC)	/* when over FLOW_MAX */
#define FLOW_MAX	65536
#define DIAG_WAIT_US	100000

struct flows {
	struct mnl_socket *diag;
	uint32_t portid, seq;
	struct htab h;
	uint64_t gen;		/* what was told since the last distrust */
	uint64_t asked;		/* sock_diag lookups */
};

static int parse_l4(const uint8_t *l4, size_t len, struct rules_pkt *pkt)
{
	uint16_t sport, dport;

	if (pkt->proto != IPPROTO_TCP && pkt->proto != IPPROTO_UDP &&
	    pkt->proto != IPPROTO_SCTP && pkt->proto != IPPROTO_UDPLITE)
		return 0;
	if (len < 4)
		return 0;	/* a later fragment: no ports */
	sport = (uint16_t)(l4[0] << 8 | l4[1]);
	dport = (uint16_t)(l4[2] << 8 | l4[3]);
	pkt->lport = pkt->dir == RULES_DIR_OUT ? sport : dport;
	pkt->rport = pkt->dir == RULES_DIR_OUT ? dport : sport;
	if (pkt->proto == IPPROTO_TCP && len >= 14)
		pkt->tcpflags = l4[13];
	return 0;
}

static void set_addrs(struct rules_pkt *pkt, const void *src, const void *dst,
		      size_t alen)
{
	memcpy(pkt->local, pkt->dir == RULES_DIR_OUT ? src : dst, alen);
	memcpy(pkt->remote, pkt->dir == RULES_DIR_OUT ? dst : src, alen);
}

/* *l4: where the transport header starts (or a later fragment's data). */
static int parse_ip6(const uint8_t *data, size_t len, struct rules_pkt *pkt,
		     size_t *l4)
{
	const struct ip6_hdr *ip6 = (const void *)data;
	size_t off = sizeof(*ip6);
	uint8_t nh;

	if (len < off)
		return -EINVAL;
	pkt->length = sizeof(*ip6) + ntohs(ip6->ip6_plen);
	set_addrs(pkt, &ip6->ip6_src, &ip6->ip6_dst, 16);
	nh = ip6->ip6_nxt;
	/* Extension headers before the transport header. */
	for (;;) {
		if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
		    nh == IPPROTO_DSTOPTS) {
			if (off + 2 > len)
				return -EINVAL;
			nh = data[off];
			off += (data[off + 1] + 1) * 8;
		} else if (nh == IPPROTO_FRAGMENT) {
			if (off + 8 > len)
				return -EINVAL;
			/* Only the first fragment carries ports. */
			if (ntohs(*(const uint16_t *)(data + off + 2)) & ~7) {
				pkt->proto = data[off];
				*l4 = off + 8;
				return 0;
			}
			nh = data[off];
			off += 8;
		} else {
			break;
		}
	}
	pkt->proto = nh;
	*l4 = off;
	return off > len ? -EINVAL : parse_l4(data + off, len - off, pkt);
}

static int parse_ip4(const uint8_t *data, size_t len, struct rules_pkt *pkt,
		     size_t *l4)
{
	const struct iphdr *ip = (const void *)data;
	size_t hl;

	if (len < sizeof(*ip) || ip->ihl < 5 || ip->ihl * 4U > len ||
	    ntohs(ip->tot_len) < ip->ihl * 4U)
		return -EINVAL;
	hl = ip->ihl * 4U;
	pkt->proto = ip->protocol;
	pkt->length = ntohs(ip->tot_len);
	set_addrs(pkt, &ip->saddr, &ip->daddr, 4);
	*l4 = hl;
	if (ntohs(ip->frag_off) & IP_OFFMASK)
		return 0;
	return parse_l4(data + hl, len - hl, pkt);
}

int flow_parse_l4(const uint8_t *data, size_t len, unsigned hook,
		  struct rules_pkt *pkt, size_t *l4)
{
	memset(pkt, 0, sizeof(*pkt));
	if (len < 1)
		return -EINVAL;
	pkt->dir = hook == NF_INET_LOCAL_IN || hook == NF_INET_PRE_ROUTING ?
		RULES_DIR_IN : RULES_DIR_OUT;
	switch (data[0] >> 4) {
	case 4:
		pkt->family = AF_INET;
		return parse_ip4(data, len, pkt, l4);
	case 6:
		pkt->family = AF_INET6;
		return parse_ip6(data, len, pkt, l4);
	}
	return -EINVAL;
}

int flow_parse(const uint8_t *data, size_t len, unsigned hook,
	       struct rules_pkt *pkt)
{
	size_t l4;

	return flow_parse_l4(data, len, hook, pkt, &l4);
}

/* The transport header's length, of what a first fragment carries. */
static size_t l4_header(const uint8_t *l4, size_t len, uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return len > 12 ? (size_t)(l4[12] >> 4) * 4 : 20;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 8;
	case IPPROTO_SCTP:
		return 12;	/* the common header */
	}
	return 0;
}

size_t flow_headers(const uint8_t *data, size_t len)
{
	struct rules_pkt pkt;
	size_t l4 = 0, hl;

	if (flow_parse_l4(data, len, NF_INET_LOCAL_OUT, &pkt, &l4) < 0 || l4 > len)
		return 0;
	hl = l4 + (pkt.lport || pkt.rport || pkt.proto == IPPROTO_ICMP ||
		   pkt.proto == IPPROTO_ICMPV6 ?
		   l4_header(data + l4, len - l4, pkt.proto) : 0);
	return hl < len ? hl : len;
}

uint64_t flow_tuple(const struct rules_pkt *pkt, struct rules_pkt *t)
{
	const uint8_t *p = (const void *)t;
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	size_t i;

	memset(t, 0, sizeof(*t));
	t->family = pkt->family;
	t->proto = pkt->proto;
	memcpy(t->local, pkt->local, sizeof(t->local));
	memcpy(t->remote, pkt->remote, sizeof(t->remote));
	t->lport = pkt->lport;
	t->rport = pkt->rport;
	for (i = 0; i < sizeof(*t); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* Ask sock_diag for the socket of f's tuple. 0, -ENOENT or -errno. */
static int diag_lookup(struct flows *fl, struct flow *f)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const struct inet_diag_msg *m;
	struct inet_diag_req_v2 *req;
	const struct nlmsgerr *err;
	struct nlmsghdr *nlh;
	size_t alen = f->key.family == AF_INET ? 4 : 16;
	bool udp = f->key.proto != IPPROTO_TCP;
	uint32_t seq = ++fl->seq;
	ssize_t got;
	int len;

	fl->asked++;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = f->key.family;
	req->sdiag_protocol = f->key.proto;
	req->idiag_states = ~0U;
	req->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	/* TCP looks up (src, dst) as (local, remote); UDP, for historical
	 * reasons, the other way round (udp_dump_one). */
	memcpy(req->id.idiag_src, udp ? f->key.remote : f->key.local, alen);
	memcpy(req->id.idiag_dst, udp ? f->key.local : f->key.remote, alen);
	req->id.idiag_sport = htons(udp ? f->key.rport : f->key.lport);
	req->id.idiag_dport = htons(udp ? f->key.lport : f->key.rport);
	if (mnl_socket_sendto(fl->diag, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		got = mnl_socket_recvfrom(fl->diag, buf, sizeof(buf));
		if (got < 0)
			return -errno;
		len = (int)got;
		for (nlh = (void *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			/* A late answer, or not the kernel's to us. */
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != fl->portid)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err))
					return -EBADMSG;
				err = mnl_nlmsg_get_payload(nlh);
				return err->error ? err->error : -ENOENT;
			}
			if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
				return -EBADMSG;
			m = mnl_nlmsg_get_payload(nlh);
			/* A listener, or a socket not accepted yet: ask
			 * again at the next packet. */
			f->provisional = !udp && (m->idiag_state == TCP_LISTEN
						   || !m->idiag_inode);
			/* Until accept() the listener's owner stands for
			 * the socket in its queue. */
			if (!m->idiag_inode && f->has_sock)
				return 0;
			f->cookie = (uint64_t)m->id.idiag_cookie[1] << 32 |
				m->id.idiag_cookie[0];
			f->uid = m->idiag_uid;
			f->inode = m->idiag_inode;
			return 0;
		}
	}
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

/* pkt's flow, made on first sight. */
static struct flow *flow_of(struct flows *fl, const struct rules_pkt *pkt,
			    uint64_t now)
{
	struct rules_pkt t;
	struct hnode *n;
	struct flow *f;
	uint64_t h;

	h = flow_tuple(pkt, &t);
	n = htab_find(&fl->h, h);
	f = n ? htab_entry(n, struct flow, node) : NULL;
	if (f && memcmp(&f->key, &t, sizeof(t))) {
		htab_remove(&fl->h, n);
		free(f);
		f = NULL;
	}
	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f)
			return NULL;
		f->key = t;
		f->node.key = h;
		f->checked = now - FLOW_RECHECK;
		htab_insert(&fl->h, &f->node);
	}
	f->used = now;
	return f;
}

struct flow *flows_get(struct flows *fl, const struct rules_pkt *pkt,
		       uint64_t now)
{
	struct flow *f = flow_of(fl, pkt, now);

	/* The sensor tells every socket's new addresses before their
	 * packet: nothing to ask. */
	if (!f || f->sensed == fl->gen)
		return f;
	/* Past the handshake the accepted socket replaces the listener. */
	if (f->provisional && !(pkt->tcpflags & TH_SYN))
		f->checked = now - FLOW_RECHECK;
	if (now - f->checked >= FLOW_RECHECK)
		flow_recheck(fl, f, now);
	return f;
}

void flows_tell(struct flows *fl, const struct rules_pkt *pkt,
		uint64_t cookie, uint32_t uid, uint64_t inode, bool provisional,
		uint64_t now)
{
	struct flow *f = flow_of(fl, pkt, now);

	if (!f)
		return;
	f->has_sock = true;
	f->sensed = fl->gen;
	f->provisional = provisional;
	f->cookie = cookie;
	f->uid = uid;
	f->inode = inode;
	f->checked = now;
}

void flows_distrust(struct flows *fl)
{
	fl->gen++;
}

uint64_t flows_asked(const struct flows *fl)
{
	return fl->asked;
}

void flow_recheck(struct flows *fl, struct flow *f, uint64_t now)
{
	int ret;

	if (!has_ports(f->key.proto) || f->sensed == fl->gen)
		return;
	f->checked = now;
	f->sensed = 0;
	ret = diag_lookup(fl, f);
	f->has_sock = ret == 0;
	if (ret < 0 && ret != -ENOENT)
		log_debug("sock_diag: %s", strerror(-ret));
}

bool flow_news(struct flow *f, const struct rules_verdict *v, uint64_t now)
{
	if (f->told && f->told_rule == v->rule && f->told_action == v->action &&
	    now - f->told < FLOW_RETELL)
		return false;
	f->told_rule = v->rule;
	f->told_action = v->action;
	f->told = now;
	return true;
}

struct idle {
	uint64_t now, idle;
};

static bool idle_gone(struct hnode *n, void *ctx)
{
	const struct idle *i = ctx;
	struct flow *f = htab_entry(n, struct flow, node);

	if (i->now - f->used < i->idle)
		return false;
	free(f);
	return true;
}

static void drop_idle(struct flows *fl, uint64_t now, uint64_t idle)
{
	struct idle i = { now, idle };

	htab_prune(&fl->h, idle_gone, &i);
}

void flows_expire(struct flows *fl, uint64_t now)
{
	drop_idle(fl, now, fl->h.n > FLOW_MAX ? FLOW_IDLE_FULL : FLOW_IDLE);
}

struct live {
	uint64_t *v;
	size_t n, cap;
};

static int live_add(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct live *l = data;
	uint64_t *v;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	if (l->n == l->cap) {
		v = realloc(l->v, (l->cap ? l->cap * 2 : 4096) * sizeof(*v));
		if (!v)
			return MNL_CB_ERROR;
		l->v = v;
		l->cap = l->cap ? l->cap * 2 : 4096;
	}
	l->v[l->n++] = (uint64_t)m->id.idiag_cookie[1] << 32 |
		       m->id.idiag_cookie[0];
	return MNL_CB_OK;
}

/* Every socket of one family and protocol, in every state. */
static int dump(struct flows *fl, uint8_t family, uint8_t proto,
		struct live *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;
	uint32_t seq = ++fl->seq;
	ssize_t got;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = proto;
	req->idiag_states = ~0U;
	if (mnl_socket_sendto(fl->diag, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		got = mnl_socket_recvfrom(fl->diag, buf, sizeof(buf));
		if (got < 0)
			return -errno;
		ret = mnl_cb_run(buf, got, seq, fl->portid, live_add, l);
	} while (ret == MNL_CB_OK);
	return ret < 0 ? -errno : 0;
}

static int cookie_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int flows_live(struct flows *fl, uint64_t **cookies, size_t *n)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct live l = { 0 };
	size_t i, j;
	int ret;

	for (i = 0; i < sizeof(families); i++) {
		for (j = 0; j < sizeof(protos); j++) {
			ret = dump(fl, families[i], protos[j], &l);
			if (ret < 0) {
				free(l.v);
				return ret;
			}
		}
	}
	qsort(l.v, l.n, sizeof(*l.v), cookie_cmp);
	*cookies = l.v;
	*n = l.n;
	return 0;
}

bool flows_live_has(const uint64_t *cookies, size_t n, uint64_t cookie)
{
	return bsearch(&cookie, cookies, n, sizeof(*cookies), cookie_cmp);
}

size_t flows_count(const struct flows *fl)
{
	return fl->h.n;
}

int flows_open(struct flows **out)
{
	struct flows *fl;
	int ret;

	fl = calloc(1, sizeof(*fl));
	if (!fl)
		return -ENOMEM;
	ret = htab_init(&fl->h, 1024);
	if (ret < 0)
		goto err_free;
	fl->gen = 1;
	ret = nlsock_open(NETLINK_SOCK_DIAG, &fl->diag);
	if (ret < 0)
		goto err_htab;
	/* The kernel answers while it takes the request; should an answer
	 * ever be lost, the verdict path must not wait for it. */
	if (setsockopt(mnl_socket_get_fd(fl->diag), SOL_SOCKET, SO_RCVTIMEO,
		       &(struct timeval){ .tv_usec = DIAG_WAIT_US },
		       sizeof(struct timeval)) < 0) {
		ret = -errno;
		mnl_socket_close(fl->diag);
		goto err_htab;
	}
	fl->portid = mnl_socket_get_portid(fl->diag);
	*out = fl;
	return 0;

err_htab:
	htab_free(&fl->h);
err_free:
	free(fl);
	return ret;
}

void flows_close(struct flows *fl)
{
	if (!fl)
		return;
	drop_idle(fl, 0, 0);
	mnl_socket_close(fl->diag);
	htab_free(&fl->h);
	free(fl);
}
