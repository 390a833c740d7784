// SPDX-License-Identifier: GPL-2.0
/* An NFLOG group through libmnl (nflog.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "nflog.h"
#include "nlsock.h"

/* Each packet is sent at once (the kernel's default waits for 100, or a
 * second): its socket and process are looked up while they still exist.
 * A message holds up to this many bytes. */
#define BATCH_BYTES	(64 * 1024)
/* The socket holds bursts while a file is written. */
#define RCVBUF		(16 << 20)
/* Messages one drain reads at most: under any flood the caller sees
 * signals and rotation between drains. */
#define DRAIN_MAX	4096

struct nflog {
	struct mnl_socket *nl;
	uint32_t portid, seq;
	uint16_t group;
	bool counting;		/* next is the sequence number expected */
	uint32_t next;
	uint64_t lost;
	nflog_fn fn;
	void *ctx;
	int n;
	uint8_t buf[BATCH_BYTES + 64 * 1024];
};

/* One configuration attribute for the group, acknowledged. */
static int config(struct nflog *l, uint16_t type, const void *data,
		  size_t len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	ssize_t n;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++l->seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(l->group);
	mnl_attr_put(nlh, type, len, data);
	if (mnl_socket_sendto(l->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(l->nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	return mnl_cb_run(buf, n, l->seq, l->portid, NULL, NULL) < 0 ?
		-errno : 0;
}

static int setup(struct nflog *l, uint32_t range)
{
	struct nfulnl_msg_config_cmd bind = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = {
		.copy_range = htonl(range),
		.copy_mode = NFULNL_COPY_PACKET,
	};
	uint32_t bufsiz = htonl(BATCH_BYTES), one = htonl(1);
	uint16_t flags = htons(NFULNL_CFG_F_SEQ);
	int ret;

	if ((ret = config(l, NFULA_CFG_CMD, &bind, sizeof(bind))) < 0)
		return ret;
	if ((ret = config(l, NFULA_CFG_MODE, &mode, sizeof(mode))) < 0)
		return ret;
	if ((ret = config(l, NFULA_CFG_NLBUFSIZ, &bufsiz, sizeof(bufsiz))) < 0)
		return ret;
	if ((ret = config(l, NFULA_CFG_QTHRESH, &one, sizeof(one))) < 0)
		return ret;
	return config(l, NFULA_CFG_FLAGS, &flags, sizeof(flags));
}

int nflog_open(uint16_t group, uint32_t range, struct nflog **out)
{
	struct nflog *l;
	int ret;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->group = group;
	if ((ret = nlsock_open(NETLINK_NETFILTER, &l->nl)) < 0)
		goto err_free;
	l->portid = mnl_socket_get_portid(l->nl);
	nlsock_rcvbuf(l->nl, RCVBUF);
	if ((ret = setup(l, range)) < 0)
		goto err_close;
	*out = l;
	return 0;

err_close:
	mnl_socket_close(l->nl);
err_free:
	free(l);
	return ret;
}

void nflog_close(struct nflog *l)
{
	if (!l)
		return;
	mnl_socket_close(l->nl);
	free(l);
}

int nflog_fd(const struct nflog *l)
{
	return mnl_socket_get_fd(l->nl);
}

uint64_t nflog_lost(const struct nflog *l)
{
	return l->lost;
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, NFULA_MAX) > 0)
		tb[type] = a;
	return MNL_CB_OK;
}

/* The sequence numbers say what the socket could not hold. */
static void count(struct nflog *l, const struct nlattr *seq)
{
	uint32_t s;

	if (!seq || mnl_attr_get_payload_len(seq) < 4)
		return;
	s = ntohl(mnl_attr_get_u32(seq));
	if (l->counting)
		l->lost += s - l->next;
	l->counting = true;
	l->next = s + 1;
}

static int packet_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFULA_MAX + 1] = { NULL };
	const struct nfulnl_msg_packet_hdr *ph;
	struct nflog *l = data;
	struct nflog_pkt p;

	if ((nlh->nlmsg_type & 0xff) != NFULNL_MSG_PACKET)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb);
	count(l, tb[NFULA_SEQ]);
	if (!tb[NFULA_PACKET_HDR] || !tb[NFULA_PAYLOAD] ||
	    mnl_attr_get_payload_len(tb[NFULA_PACKET_HDR]) < sizeof(*ph))
		return MNL_CB_OK;
	ph = mnl_attr_get_payload(tb[NFULA_PACKET_HDR]);
	p = (struct nflog_pkt){
		.data = mnl_attr_get_payload(tb[NFULA_PAYLOAD]),
		.len = mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]),
		.hook = ph->hook,
		.has_uid = tb[NFULA_UID] &&
			   mnl_attr_validate(tb[NFULA_UID], MNL_TYPE_U32) == 0,
	};
	if (p.has_uid)
		p.uid = ntohl(mnl_attr_get_u32(tb[NFULA_UID]));
	l->fn(l->ctx, &p);
	l->n++;
	return MNL_CB_OK;
}

int nflog_drain(struct nflog *l, nflog_read_fn read, nflog_fn fn, void *ctx)
{
	ssize_t got;
	int i, ret;

	l->fn = fn;
	l->ctx = ctx;
	l->n = 0;
	for (i = 0; i < DRAIN_MAX; i++) {
		got = recv(nflog_fd(l), l->buf, sizeof(l->buf), MSG_DONTWAIT);
		if (got < 0 && errno == EINTR)
			continue;
		/* Overrun: the sequence numbers count what it cost. */
		if (got < 0 && errno == ENOBUFS)
			continue;
		if (got < 0)
			return errno == EAGAIN ? l->n : -errno;
		if (read && (ret = read(ctx)) < 0)
			return ret;
		if (mnl_cb_run(l->buf, got, 0, l->portid, packet_cb, l) < 0 &&
		    errno != EINTR)
			return -errno;
	}
	return l->n;
}
