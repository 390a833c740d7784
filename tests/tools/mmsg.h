/* SPDX-License-Identifier: GPL-2.0 */
/* The tools' batched netlink reads: SLOTS messages of up to SLOT_SIZE. */
#ifndef HONE_TOOLS_MMSG_H
#define HONE_TOOLS_MMSG_H

#include <poll.h>
#include <sys/socket.h>

#ifndef SLOT_SIZE
#error "define SLOT_SIZE before mmsg.h"
#endif
#define SLOTS		64

static char buf[SLOTS][SLOT_SIZE];
static struct mmsghdr mm[SLOTS];
static struct iovec iov[SLOTS];

static void mmsg_init(void)
{
	int i;

	for (i = 0; i < SLOTS; i++) {
		iov[i] = (struct iovec){ buf[i], SLOT_SIZE };
		mm[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i],
						 .msg_iovlen = 1 };
	}
}

/* Up to max messages, after waiting 100 ms at most: how many (in buf[i],
 * mm[i].msg_len bytes), 0 if none. */
static int mmsg_read(int fd, int max)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	if (poll(&p, 1, 100) <= 0)
		return 0;
	/* ENOBUFS: the kernel counted it. */
	n = recvmmsg(fd, mm, max, MSG_DONTWAIT, NULL);
	return n < 0 ? 0 : n;
}

#endif
