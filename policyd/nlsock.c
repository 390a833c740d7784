// SPDX-License-Identifier: GPL-2.0
#include <errno.h>

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
