// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

#include "nlsock.h"

int nlsock_open(int bus, struct mnl_socket **out)
{
	struct mnl_socket *nl = mnl_socket_open(bus);
	int ret;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		mnl_socket_close(nl);
		return ret;
	}
	*out = nl;
	return 0;
}

void nlsock_rcvbuf(struct mnl_socket *nl, int bytes)
{
	int fd = mnl_socket_get_fd(nl);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}

#define NLSOCK_BATCH	16
#define NLSOCK_DGRAM	8192	/* MNL_SOCKET_BUFFER_SIZE on 4 KiB pages */

struct nlsock_rx {
	struct mmsghdr m[NLSOCK_BATCH];
	struct iovec iov[NLSOCK_BATCH];
	char buf[NLSOCK_BATCH][NLSOCK_DGRAM]
		__attribute__((aligned(NLMSG_ALIGNTO)));
};

int nlsock_rx_new(struct nlsock_rx **out)
{
	struct nlsock_rx *rx = calloc(1, sizeof(*rx));
	size_t i;

	if (!rx)
		return -ENOMEM;
	for (i = 0; i < NLSOCK_BATCH; i++) {
		rx->iov[i] = (struct iovec){ rx->buf[i], NLSOCK_DGRAM };
		rx->m[i].msg_hdr.msg_iov = &rx->iov[i];
		rx->m[i].msg_hdr.msg_iovlen = 1;
	}
	*out = rx;
	return 0;
}

void nlsock_rx_free(struct nlsock_rx *rx)
{
	free(rx);
}

int nlsock_rx_drain(struct nlsock_rx *rx, int fd, uint64_t *lost,
		    void (*fn)(const struct nlmsghdr *nlh, void *ctx),
		    void *ctx)
{
	const struct nlmsghdr *nlh;
	int n, i, len, total = 0;

	for (;;) {
		n = recvmmsg(fd, rx->m, NLSOCK_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				(*lost)++;
				continue;
			}
			return errno == EAGAIN ? total : -errno;
		}
		for (i = 0; i < n; i++) {
			if (rx->m[i].msg_hdr.msg_flags & MSG_TRUNC) {
				(*lost)++;
				continue;
			}
			len = (int)rx->m[i].msg_len;
			for (nlh = (const struct nlmsghdr *)rx->buf[i];
			     mnl_nlmsg_ok(nlh, len);
			     nlh = mnl_nlmsg_next(nlh, &len))
				fn(nlh, ctx);
		}
		total += n;
		if (n < NLSOCK_BATCH)
			return total;
	}
}
