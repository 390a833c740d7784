// SPDX-License-Identifier: GPL-2.0
/*
 * nlsock_rx_drain(): what a netlink socket holds, NLSOCK_BATCH datagrams a
 * system call. The datagrams come from a Unix datagram socket here: the
 * batching is the code under test, not the kernel's netlink.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "nlsock.h"

struct seen {
	unsigned msgs;
	uint32_t next_seq;	/* each message in order */
	bool in_order;
};

static void count(const struct nlmsghdr *nlh, void *ctx)
{
	struct seen *s = ctx;

	s->in_order &= nlh->nlmsg_seq == s->next_seq;
	s->next_seq++;
	s->msgs++;
}

/* A datagram of n netlink messages, numbered from seq; len bytes at
 * least (the last message padded out). */
static void send_dgram(int fd, uint32_t seq, unsigned n, size_t len)
{
	static char buf[3 * 8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nlh;
	size_t off = 0, each;
	unsigned i;

	for (i = 0; i < n; i++) {
		each = NLMSG_HDRLEN + 8;
		if (i == n - 1 && off + each < len)
			each = NLMSG_ALIGN(len - off);
		nlh = (struct nlmsghdr *)(buf + off);
		memset(nlh, 0, each);
		nlh->nlmsg_len = each;
		nlh->nlmsg_type = NLMSG_DONE;
		nlh->nlmsg_seq = seq + i;
		off += each;
	}
	cr_assert_eq(send(fd, buf, off, 0), (ssize_t)off);
}

static int pair(int sv[2])
{
	int big = 1 << 20;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv))
		return -1;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	return 0;
}

/* More datagrams than a batch, two messages each: every message once, in
 * order, and the datagrams counted. */
Test(nlsock, drains_past_a_batch_in_order)
{
	struct seen s = { .in_order = true };
	struct nlsock_rx *rx;
	uint64_t lost = 0;
	int sv[2], i, n;

	cr_assert_eq(pair(sv), 0);
	cr_assert_eq(nlsock_rx_new(&rx), 0);
	for (i = 0; i < 40; i++)
		send_dgram(sv[0], 2 * i, 2, 0);
	n = nlsock_rx_drain(rx, sv[1], &lost, count, &s);
	cr_expect_eq(n, 40);
	cr_expect_eq(s.msgs, 80);
	cr_expect(s.in_order);
	cr_expect_eq(lost, 0);
	/* Nothing left: the next drain reads nothing and says so. */
	cr_expect_eq(nlsock_rx_drain(rx, sv[1], &lost, count, &s), 0);
	nlsock_rx_free(rx);
	close(sv[0]);
	close(sv[1]);
}

/* A datagram longer than a buffer is cut: counted as lost, none of its
 * messages taken, and the ones after it still read. */
Test(nlsock, a_datagram_cut_short_is_lost_not_parsed)
{
	struct seen s = { .in_order = true };
	struct nlsock_rx *rx;
	uint64_t lost = 0;
	int sv[2];

	cr_assert_eq(pair(sv), 0);
	cr_assert_eq(nlsock_rx_new(&rx), 0);
	send_dgram(sv[0], 0, 1, 0);
	send_dgram(sv[0], 1, 3, 2 * 8192);
	send_dgram(sv[0], 1, 1, 0);
	cr_expect_eq(nlsock_rx_drain(rx, sv[1], &lost, count, &s), 3);
	cr_expect_eq(lost, 1);
	cr_expect_eq(s.msgs, 2);
	cr_expect(s.in_order);
	nlsock_rx_free(rx);
	close(sv[0]);
	close(sv[1]);
}
