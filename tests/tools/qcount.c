// SPDX-License-Identifier: GPL-2.0
/*
 * qcount QUEUE SECONDS [batch]: a second NFQUEUE consumer for the tests
 * (the IDS of redirect=queue:N). Binds QUEUE, accepts every packet, and
 * after SECONDS prints how many it saw. Static and library-free: plain
 * netlink, one verdict per packet; with "batch", one batch verdict per
 * recv (the best bare consumer, the benchmarks' baseline).
 */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOT_SIZE	2048	/* a packet message with 64 bytes of packet */
#include "mmsg.h"

static struct nlmsghdr *msg(char *b, uint16_t type, uint16_t queue)
{
	struct nlmsghdr *nlh = (void *)b;
	struct nfgenmsg *g = NLMSG_DATA(nlh);

	memset(b, 0, NLMSG_SPACE(sizeof(*g)));
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*g));
	nlh->nlmsg_type = NFNL_SUBSYS_QUEUE << 8 | type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(queue);
	return nlh;
}

static void attr(struct nlmsghdr *nlh, uint16_t type, const void *d,
		 uint16_t len)
{
	struct nlattr *a = (void *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, d, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static int send_msg(int fd, struct nlmsghdr *nlh)
{
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };

	return sendto(fd, nlh, nlh->nlmsg_len, 0, (void *)&k, sizeof(k));
}

static void verdict(int fd, char *out, uint16_t type, uint16_t queue,
		    long id)
{
	struct nfqnl_msg_verdict_hdr vh = {
		.verdict = htonl(NF_ACCEPT), .id = htonl(id),
	};

	attr(msg(out, type, queue), NFQA_VERDICT_HDR, &vh, sizeof(vh));
	send_msg(fd, (void *)out);
}

/* The packet id of a queued packet message of got bytes, or -1. */
static long packet_id(struct nlmsghdr *nlh, unsigned got)
{
	int len = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(struct nfgenmsg));
	struct nlattr *a = (void *)((char *)NLMSG_DATA(nlh) +
				    sizeof(struct nfgenmsg));
	struct nfqnl_msg_packet_hdr *ph;

	if (got < NLMSG_LENGTH(sizeof(struct nfgenmsg)) ||
	    nlh->nlmsg_len > got ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nfgenmsg)) ||
	    (nlh->nlmsg_type & 0xff) != NFQNL_MSG_PACKET)
		return -1;
	for (; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len),
	     a = (void *)((char *)a + NLA_ALIGN(a->nla_len))) {
		if ((a->nla_type & NLA_TYPE_MASK) != NFQA_PACKET_HDR)
			continue;
		ph = (void *)((char *)a + NLA_HDRLEN);
		return ntohl(ph->packet_id);
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND };
	struct nfqnl_msg_config_params params = {
		.copy_range = htonl(64), .copy_mode = NFQNL_COPY_PACKET,
	};
	struct sockaddr_nl me = { .nl_family = AF_NETLINK };
	uint32_t gso = htonl(NFQA_CFG_F_GSO), maxlen = htonl(4096);
	int rcvbuf = 4096 * 1280;
	struct nlmsghdr *nlh;
	char out[256];
	unsigned long count = 0;
	uint16_t queue;
	time_t end;
	long id, last;
	int fd, i, n, batch = argc == 4 && !strcmp(argv[3], "batch");

	if (argc != 3 && !batch) {
		fprintf(stderr, "usage: qcount QUEUE SECONDS [batch]\n");
		return 2;
	}
	queue = atoi(argv[1]);
	end = time(NULL) + atoi(argv[2]);
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
	if (fd < 0 || bind(fd, (void *)&me, sizeof(me)) < 0) {
		perror("qcount: netlink");
		return 1;
	}
	/* As deep a queue and socket as honefw's (policyd/queue.c). */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	nlh = msg(out, NFQNL_MSG_CONFIG, queue);
	attr(nlh, NFQA_CFG_CMD, &cmd, sizeof(cmd));
	attr(nlh, NFQA_CFG_PARAMS, &params, sizeof(params));
	attr(nlh, NFQA_CFG_FLAGS, &gso, sizeof(gso));
	attr(nlh, NFQA_CFG_MASK, &gso, sizeof(gso));
	attr(nlh, NFQA_CFG_QUEUE_MAXLEN, &maxlen, sizeof(maxlen));
	if (send_msg(fd, nlh) < 0) {
		perror("qcount: bind queue");
		return 1;
	}
	fprintf(stderr, "qcount: queue %u bound\n", queue);
	mmsg_init();
	while (time(NULL) < end) {
		n = mmsg_read(fd, batch ? SLOTS : 1);
		last = -1;
		for (i = 0; i < n; i++) {
			id = packet_id((void *)buf[i], mm[i].msg_len);
			if (id < 0)
				continue;
			count++;
			last = id;
			if (!batch)
				verdict(fd, out, NFQNL_MSG_VERDICT, queue, id);
		}
		/* Every packet up to the last one read: ids only grow. */
		if (batch && last >= 0)
			verdict(fd, out, NFQNL_MSG_VERDICT_BATCH, queue, last);
	}
	printf("%lu\n", count);
	return 0;
}
