// SPDX-License-Identifier: GPL-2.0
/* ctnetlink's destroy group and GET answers, parsed into struct ct_counts.
 * Nothing waits: requests are sent without an acknowledgement asked for,
 * and everything is read with MSG_DONTWAIT at the next drain. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ctacct.h"
#include "ctmsg.h"
#include "log.h"
#include "nlsock.h"

#define ACCT_SYSCTL	"/proc/sys/net/netfilter/nf_conntrack_acct"
#define ACCT_RCVBUF	(8 << 20)

struct ctacct {
	struct mnl_socket *nl;
	struct nlsock_rx *rx;
	uint32_t seq;
	uint64_t lost;
};

/* Attributes of one nest, by type; unknown and short ones left NULL. */
static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= CTA_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

static void nest_parse(const struct nlattr *nest, const struct nlattr **tb)
{
	memset(tb, 0, (CTA_MAX + 1) * sizeof(*tb));
	if (nest)
		mnl_attr_parse_nested(nest, attr_cb, tb);
}

static void addr_of(const struct nlattr *a, uint8_t *out, size_t len)
{
	if (a && mnl_attr_get_payload_len(a) == len)
		memcpy(out, mnl_attr_get_payload(a), len);
}

static void tuple_of(const struct nlattr *nest, uint8_t family,
		     struct rules_pkt *t)
{
	const struct nlattr *tb[CTA_MAX + 1], *ip[CTA_MAX + 1];
	size_t alen = family == AF_INET ? 4 : 16;

	t->family = family;
	nest_parse(nest, tb);
	nest_parse(tb[CTA_TUPLE_IP], ip);
	addr_of(ip[family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC],
		t->local, alen);
	addr_of(ip[family == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST],
		t->remote, alen);
	nest_parse(tb[CTA_TUPLE_PROTO], ip);
	if (ip[CTA_PROTO_NUM])
		t->proto = mnl_attr_get_u8(ip[CTA_PROTO_NUM]);
	if (ip[CTA_PROTO_SRC_PORT])
		t->lport = ntohs(mnl_attr_get_u16(ip[CTA_PROTO_SRC_PORT]));
	if (ip[CTA_PROTO_DST_PORT])
		t->rport = ntohs(mnl_attr_get_u16(ip[CTA_PROTO_DST_PORT]));
}

static void counters_of(const struct nlattr *nest, uint64_t *packets,
			uint64_t *bytes)
{
	const struct nlattr *tb[CTA_MAX + 1];

	nest_parse(nest, tb);
	if (tb[CTA_COUNTERS_PACKETS])
		*packets = be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_PACKETS]));
	if (tb[CTA_COUNTERS_BYTES])
		*bytes = be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_BYTES]));
}

static void entry_of(const struct nlmsghdr *nlh, struct ct_counts *n)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[CTA_MAX + 1] = { 0 };

	memset(n, 0, sizeof(*n));
	mnl_attr_parse(nlh, sizeof(*nfg), attr_cb, tb);
	tuple_of(tb[CTA_TUPLE_ORIG], nfg->nfgen_family, &n->orig);
	counters_of(tb[CTA_COUNTERS_ORIG], &n->packets[0], &n->bytes[0]);
	counters_of(tb[CTA_COUNTERS_REPLY], &n->packets[1], &n->bytes[1]);
	n->destroyed = (nlh->nlmsg_type & 0xff) == IPCTNL_MSG_CT_DELETE;
}

struct drain {
	void (*fn)(void *ctx, const struct ct_counts *n);
	void *ctx;
};

static void on_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct drain *dr = data;
	struct ct_counts n;

	/* Errors: an entry asked for that is gone already. */
	if (nlh->nlmsg_type >> 8 != NFNL_SUBSYS_CTNETLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg))
		return;
	entry_of(nlh, &n);
	dr->fn(dr->ctx, &n);
}

void ctacct_drain(struct ctacct *c,
		  void (*fn)(void *ctx, const struct ct_counts *n), void *ctx)
{
	struct drain dr = { fn, ctx };

	nlsock_rx_drain(c->rx, mnl_socket_get_fd(c->nl), &c->lost, on_msg,
			&dr);
}

void ctacct_ask(struct ctacct *c, const struct rules_pkt *t)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = ctmsg_tuple(buf, IPCTNL_MSG_CT_GET, ++c->seq,
					   t, 0);

	/* A lost request costs one interim record, not a verdict's time. */
	if (mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) < 0)
		log_debug("ctnetlink get: %s", strerror(errno));
}

int ctacct_acct_on(void)
{
	int fd = open(ACCT_SYSCTL, O_RDWR | O_CLOEXEC), ret = 0;
	char c = '0';

	if (fd < 0)
		return -errno;
	if (pread(fd, &c, 1, 0) == 1 && c == '0' && pwrite(fd, "1", 1, 0) != 1)
		ret = -errno;
	close(fd);
	if (!ret && c == '0')
		log_info("ipfix: nf_conntrack_acct switched on: connections "
			 "older than this count no packets");
	return ret;
}

int ctacct_open(struct ctacct **out)
{
	struct ctacct *c;
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	ret = nlsock_rx_new(&c->rx);
	if (ret)
		goto err_free;
	c->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!c->nl) {
		ret = -errno;
		goto err_rx;
	}
	if (mnl_socket_bind(c->nl, 1U << (NFNLGRP_CONNTRACK_DESTROY - 1),
			    MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto err_sock;
	}
	/* A storm of ends must not outrun honefw; what is lost is counted. */
	nlsock_rcvbuf(c->nl, ACCT_RCVBUF);
	*out = c;
	return 0;

err_sock:
	mnl_socket_close(c->nl);
err_rx:
	nlsock_rx_free(c->rx);
err_free:
	free(c);
	return ret;
}

void ctacct_close(struct ctacct *c)
{
	if (!c)
		return;
	mnl_socket_close(c->nl);
	nlsock_rx_free(c->rx);
	free(c);
}

int ctacct_fd(const struct ctacct *c)
{
	return mnl_socket_get_fd(c->nl);
}

uint64_t ctacct_lost(const struct ctacct *c)
{
	return c->lost;
}
