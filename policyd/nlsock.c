// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
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
