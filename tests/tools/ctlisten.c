// SPDX-License-Identifier: GPL-2.0
/*
 * ctlisten SECONDS: joins conntrack's destroy group, reads every message a
 * batch at a time, and after SECONDS prints how many it read. The
 * benchmarks' floor for flow export: what the kernel's destroy events cost
 * with anyone at all listening. Static and library-free.
 */
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define SLOTS		64
#define SLOT_SIZE	1024	/* a destroy event with counters */
static char buf[SLOTS][SLOT_SIZE];

int main(int argc, char **argv)
{
	struct sockaddr_nl me = {
		.nl_family = AF_NETLINK,
		.nl_groups = 1U << (NFNLGRP_CONNTRACK_DESTROY - 1),
	};
	int rcvbuf = 8 << 20, fd, i, n;	/* as policyd/ctacct.c */
	struct mmsghdr m[SLOTS];
	struct iovec iov[SLOTS];
	unsigned long count = 0;
	time_t end;

	if (argc != 2) {
		fprintf(stderr, "usage: ctlisten SECONDS\n");
		return 2;
	}
	end = time(NULL) + atoi(argv[1]);
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
	if (fd < 0 || bind(fd, (void *)&me, sizeof(me)) < 0) {
		perror("ctlisten: netlink");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	for (i = 0; i < SLOTS; i++) {
		iov[i] = (struct iovec){ buf[i], SLOT_SIZE };
		m[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i],
						.msg_iovlen = 1 };
	}
	while (time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 100) <= 0)
			continue;
		/* ENOBUFS: the kernel counted it. */
		n = recvmmsg(fd, m, SLOTS, MSG_DONTWAIT, NULL);
		for (i = 0; i < n; i++)
			count += m[i].msg_len >= NLMSG_HDRLEN;
	}
	printf("%lu\n", count);
	return 0;
}
