// SPDX-License-Identifier: GPL-2.0
/*
 * Queued packet -> 5-tuple -> socket: told by hone.ko, else asked of
 * sock_diag (through the function flows_open() was given), which answers
 * with the socket's cookie (the sensor's connection id), uid and inode.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <linux/netfilter.h>

#include <hone/hone.h>

#include "flow.h"

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

struct flows {
	flows_ask_fn ask;
	void *ask_ctx;
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

/* murmur3's finalizer: every bit of the word in every bit of the hash. */
static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

uint64_t flow_tuple(const struct rules_pkt *pkt, struct rules_pkt *t)
{
	/* A user chooses his ports and addresses: with a seed of this
	 * process's, he cannot choose tuples that share a hash (a flow of
	 * another's would be replaced: flow_of()) or a bucket. */
	static uint64_t seed;
	uint64_t w[5], h;
	size_t i;

	_Static_assert(offsetof(struct rules_pkt, rport) + sizeof(t->rport) <=
		       sizeof(w), "the tuple is the first 40 bytes");
	/* Early at boot, the address ASLR gave it. */
	if (!seed && getrandom(&seed, sizeof(seed), GRND_NONBLOCK) !=
		     sizeof(seed))
		seed = (uintptr_t)&seed;
	seed |= 1;
	memset(t, 0, sizeof(*t));
	t->family = pkt->family;
	t->proto = pkt->proto;
	memcpy(t->local, pkt->local, sizeof(t->local));
	memcpy(t->remote, pkt->remote, sizeof(t->remote));
	t->lport = pkt->lport;
	t->rport = pkt->rport;
	memcpy(w, t, sizeof(w));
	h = seed;
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		h = mix(h ^ w[i]);
	return h;
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
	struct diag_sk sk;
	int ret;

	if (!has_ports(f->key.proto) || f->sensed == fl->gen)
		return;
	f->checked = now;
	f->sensed = 0;
	fl->asked++;
	ret = fl->ask(fl->ask_ctx, &f->key, &sk);
	if (ret < 0) {
		f->has_sock = false;
		return;
	}
	/* A listener, or a socket not accepted yet: ask again at the next
	 * packet. */
	f->provisional = sk.listen || (f->key.proto == IPPROTO_TCP && !sk.inode);
	/* Until accept() the listener's owner stands for the socket in its
	 * queue. */
	if (sk.inode || !f->has_sock) {
		f->cookie = sk.cookie;
		f->uid = sk.uid;
		f->inode = sk.inode;
	}
	f->has_sock = true;
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

size_t flows_count(const struct flows *fl)
{
	return fl->h.n;
}

int flows_open(flows_ask_fn ask, void *ctx, struct flows **out)
{
	struct flows *fl;
	int ret;

	fl = calloc(1, sizeof(*fl));
	if (!fl)
		return -ENOMEM;
	ret = htab_init(&fl->h, 1024);
	if (ret < 0) {
		free(fl);
		return ret;
	}
	fl->gen = 1;
	fl->ask = ask;
	fl->ask_ctx = ctx;
	*out = fl;
	return 0;
}

void flows_close(struct flows *fl)
{
	if (!fl)
		return;
	drop_idle(fl, 0, 0);
	htab_free(&fl->h);
	free(fl);
}
