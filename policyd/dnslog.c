// SPDX-License-Identifier: GPL-2.0
/*
 * DNS answers from an NFLOG group (nflog.c): whole packets, each sent at
 * once with the uid of the socket it is delivered to when the kernel knows
 * it (a name must be known before the connect that follows the answer is
 * judged: daemon.c reads this socket before every batch).
 *
 * Who can forge what: an answer is only as good as its sender. Only
 * answers from a resolver of resolv.conf count, so a user cannot bind a
 * name to an address of his choosing by asking his own name server; and
 * an answer counts only for the user whose socket it reached, so one
 * user's lookups never name another user's connection. What is left is
 * the resolver's own trust: a poisoned cache or an answer spoofed on the
 * path names what it likes (DNSSEC validation belongs in the resolver).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>

#include "dns.h"
#include "dnslog.h"
#include "flow.h"
#include "nflog.h"

#define RESOLVERS_MAX	8
#define COPY_RANGE	0xffff
#define UDP_HDR		8
#define TCP_HDR		20

struct resolver {
	uint8_t family;
	uint8_t addr[16];
};

struct dnslog {
	struct nflog *log;
	struct resolver res[RESOLVERS_MAX];
	size_t nres;
	struct dnslog_stats st;
	dnslog_fn fn;		/* during a drain */
	dnslog_owner_fn owner;
	void *ctx;
	uint32_t uid;		/* of the answer being read */
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int dnslog_open(uint16_t group, struct dnslog **out)
{
	struct dnslog *l = calloc(1, sizeof(*l));
	int ret;

	if (!l)
		return -ENOMEM;
	ret = nflog_open(group, COPY_RANGE, &l->log);
	if (ret < 0) {
		free(l);
		return ret;
	}
	*out = l;
	return 0;
}

void dnslog_close(struct dnslog *l)
{
	if (!l)
		return;
	nflog_close(l->log);
	free(l);
}

int dnslog_fd(const struct dnslog *l)
{
	return nflog_fd(l->log);
}

/* "nameserver ADDR" (an IPv6 one maybe with %scope). */
static void resolver_add(struct dnslog *l, char *a)
{
	struct resolver *r = &l->res[l->nres];

	a[strcspn(a, "%")] = '\0';
	if (inet_pton(AF_INET, a, r->addr) == 1)
		r->family = AF_INET;
	else if (inet_pton(AF_INET6, a, r->addr) == 1)
		r->family = AF_INET6;
	else
		return;
	l->nres++;
}

int dnslog_resolvers(struct dnslog *l, const char *path)
{
	char line[256], addr[64];
	FILE *f;

	/* No file, no resolvers: stale ones would be trusted still. */
	l->nres = 0;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && l->nres < RESOLVERS_MAX)
		if (sscanf(line, " nameserver %63s", addr) == 1)
			resolver_add(l, addr);
	fclose(f);
	return l->nres;
}

static bool from_resolver(const struct dnslog *l, const struct rules_pkt *pkt)
{
	size_t i;

	for (i = 0; i < l->nres; i++)
		if (l->res[i].family == pkt->family &&
		    !memcmp(l->res[i].addr, pkt->remote,
			    pkt->family == AF_INET ? 4 : 16))
			return true;
	return false;
}

static void bind_one(void *ctx, const char *name, uint8_t family,
		     const uint8_t *addr, uint32_t ttl)
{
	struct dnslog *l = ctx;

	l->fn(l->ctx, l->uid, family, addr, name, ttl);
}

/* The DNS message in a TCP segment: whole, after its 2-byte length. */
static int tcp_message(struct dnslog *l, const uint8_t *seg, size_t len,
		       const uint8_t **msg, size_t *mlen)
{
	size_t doff;

	if (len < TCP_HDR || (doff = (seg[12] >> 4) * 4U) < TCP_HDR ||
	    doff > len)
		return -EINVAL;
	if (doff == len)
		return -ENODATA;	/* an ACK, a FIN: no answer */
	if (len - doff < 2 || get16(seg + doff) != len - doff - 2) {
		l->st.split++;
		return -ENODATA;
	}
	*msg = seg + doff + 2;
	*mlen = len - doff - 2;
	return 0;
}

static int udp_message(const uint8_t *dgram, size_t len, const uint8_t **msg,
		       size_t *mlen)
{
	size_t ulen;

	if (len < UDP_HDR || (ulen = get16(dgram + 4)) < UDP_HDR || ulen > len)
		return -EINVAL;
	*msg = dgram + UDP_HDR;
	*mlen = ulen - UDP_HDR;
	return 0;
}

static void answer(struct dnslog *l, const uint8_t *p, size_t len,
		   bool has_uid)
{
	struct rules_pkt pkt;
	const uint8_t *msg;
	size_t l4, mlen;
	int ret;

	if (flow_parse_l4(p, len, NF_INET_LOCAL_IN, &pkt, &l4) < 0 ||
	    pkt.rport != 53 || l4 >= len) {
		l->st.malformed++;
		return;
	}
	if (!from_resolver(l, &pkt)) {
		l->st.untrusted++;
		return;
	}
	if (!has_uid && !l->owner(l->ctx, &pkt, &l->uid)) {
		l->st.nosock++;
		return;
	}
	ret = pkt.proto == IPPROTO_TCP ?
		tcp_message(l, p + l4, len - l4, &msg, &mlen) :
		udp_message(p + l4, len - l4, &msg, &mlen);
	if (ret == -ENODATA)
		return;
	if (ret < 0 || dns_parse(msg, mlen, bind_one, l) < 0) {
		l->st.malformed++;
		return;
	}
	l->st.answers++;
}

static void packet(void *ctx, const struct nflog_pkt *p)
{
	struct dnslog *l = ctx;

	l->uid = p->has_uid ? p->uid : 0;
	answer(l, p->data, p->len, p->has_uid);
}

int dnslog_drain(struct dnslog *l, dnslog_fn fn, dnslog_owner_fn owner,
		 void *ctx)
{
	l->fn = fn;
	l->owner = owner;
	l->ctx = ctx;
	return nflog_drain(l->log, NULL, packet, l);
}

void dnslog_stats(const struct dnslog *l, struct dnslog_stats *st)
{
	*st = l->st;
	st->lost = nflog_lost(l->log);
}
