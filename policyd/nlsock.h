/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HONE_NLSOCK_H
#define HONE_NLSOCK_H

struct mnl_socket;

/* A netlink socket of bus (NETLINK_*), bound to an automatic port id.
 * Returns a negative errno on failure. */
int nlsock_open(int bus, struct mnl_socket **out);
/* A receive buffer of bytes for a socket that hears broadcasts: beyond
 * rmem_max while honefw may (CAP_NET_ADMIN), else as large as allowed. */
void nlsock_rcvbuf(struct mnl_socket *nl, int bytes);

#endif /* HONE_NLSOCK_H */
