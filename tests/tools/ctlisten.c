// SPDX-License-Identifier: GPL-2.0
/*
 * ctlisten SECONDS: joins conntrack's destroy group, reads every message a
 * batch at a time, and after SECONDS prints how many it read. The
 * benchmarks' floor for flow export: what the kernel's destroy events cost
 * with anyone at all listening. Static and library-free.
 */
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SLOT_SIZE	1024	/* a destroy event with counters */
#include "mmsg.h"

int main(int argc, char **argv)
{
	struct sockaddr_nl me = {
		.nl_family = AF_NETLINK,
		.nl_groups = 1U << (NFNLGRP_CONNTRACK_DESTROY - 1),
	};
	int rcvbuf = 8 << 20, fd, i, n;	/* as policyd/ctacct.c */
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
	mmsg_init();
	while (time(NULL) < end) {
		n = mmsg_read(fd, SLOTS);
		for (i = 0; i < n; i++)
			count += mm[i].msg_len >= NLMSG_HDRLEN;
	}
	printf("%lu\n", count);
	return 0;
}
