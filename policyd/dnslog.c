// SPDX-License-Identifier: GPL-2.0
/*
 * NFLOG (nfnetlink_log) through libmnl: one config message binds the
 * group, asks for whole packets and one message per packet at once (the
 * kernel adds the uid of the socket a packet is delivered to whenever the
 * packet has one) (a name must be known before the connect that follows
 * the answer is judged: daemon.c reads this socket before every batch).
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

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "dns.h"
#include "dnslog.h"
#include "flow.h"
#include "nlsock.h"

#define RESOLVERS_MAX	8
#define COPY_RANGE	0xffff
#define BUF_SIZE	(COPY_RANGE + 4096)
#define RCVBUF		(4 * 1024 * 1024)
#define UDP_HDR		8
#define TCP_HDR		20

struct resolver {
	uint8_t family;
	uint8_t addr[16];
};

struct dnslog {
	struct mnl_socket *nl;
	uint32_t portid;
	struct resolver res[RESOLVERS_MAX];
	size_t nres;
	struct dnslog_stats st;
	dnslog_fn fn;		/* during a drain */
	dnslog_owner_fn owner;
	void *ctx;
	uint32_t uid;		/* of the answer being read */
	uint8_t buf[BUF_SIZE];
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int configure(struct dnslog *l, uint16_t group)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = {
		.copy_range = htonl(COPY_RANGE),
		.copy_mode = NFULNL_COPY_PACKET,
	};
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	int ret;

	nlh->nlmsg_type = NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(group);
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(1));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, 0);
	if (mnl_socket_sendto(l->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	ret = mnl_socket_recvfrom(l->nl, buf, sizeof(buf));
	if (ret < 0)
		return -errno;
	ret = mnl_cb_run(buf, ret, 1, l->portid, NULL, NULL);
	return ret < 0 ? -errno : 0;
}

int dnslog_open(uint16_t group, struct dnslog **out)
{
	struct dnslog *l = calloc(1, sizeof(*l));
	int ret;

	if (!l)
		return -ENOMEM;
	ret = nlsock_open(NETLINK_NETFILTER, &l->nl);
	if (ret < 0)
		goto err_free;
	l->portid = mnl_socket_get_portid(l->nl);
	nlsock_rcvbuf(l->nl, RCVBUF);
	ret = configure(l, group);
	if (ret < 0)
		goto err_close;
	*out = l;
	return 0;

err_close:
	mnl_socket_close(l->nl);
err_free:
	free(l);
	return ret;
}

void dnslog_close(struct dnslog *l)
{
	if (!l)
		return;
	mnl_socket_close(l->nl);
	free(l);
}

int dnslog_fd(const struct dnslog *l)
{
	return mnl_socket_get_fd(l->nl);
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

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, NFULA_MAX) >= 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int packet_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFULA_MAX + 1] = { NULL };
	struct dnslog *l = data;
	bool has_uid;

	if (nlh->nlmsg_type != (NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb) < 0 ||
	    !tb[NFULA_PAYLOAD]) {
		l->st.malformed++;
		return MNL_CB_OK;
	}
	has_uid = tb[NFULA_UID] &&
		  mnl_attr_validate(tb[NFULA_UID], MNL_TYPE_U32) == 0;
	l->uid = has_uid ? ntohl(mnl_attr_get_u32(tb[NFULA_UID])) : 0;
	answer(l, mnl_attr_get_payload(tb[NFULA_PAYLOAD]),
	       mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]), has_uid);
	return MNL_CB_OK;
}

int dnslog_drain(struct dnslog *l, dnslog_fn fn, dnslog_owner_fn owner,
		 void *ctx)
{
	int fd = mnl_socket_get_fd(l->nl), n = 0;
	ssize_t len;

	l->fn = fn;
	l->owner = owner;
	l->ctx = ctx;
	for (;;) {
		len = recv(fd, l->buf, sizeof(l->buf), MSG_DONTWAIT);
		if (len < 0 && errno == ENOBUFS) {
			l->st.lost++;
			continue;
		}
		if (len < 0)
			return errno == EAGAIN ? n : -errno;
		if (mnl_cb_run(l->buf, len, 0, l->portid, packet_cb, l) < 0)
			return -errno;
		n++;
	}
}

void dnslog_stats(const struct dnslog *l, struct dnslog_stats *st)
{
	*st = l->st;
}
