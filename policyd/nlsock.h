/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HONE_NLSOCK_H
#define HONE_NLSOCK_H

#include <stdint.h>

struct mnl_socket;
struct nlmsghdr;
struct nlsock_rx;

/* A netlink socket of bus (NETLINK_*), bound to an automatic port id.
 * Returns a negative errno on failure. */
int nlsock_open(int bus, struct mnl_socket **out);
/* A receive buffer of bytes for a socket that hears broadcasts: beyond
 * rmem_max while honefw may (CAP_NET_ADMIN), else as large as allowed. */
void nlsock_rcvbuf(struct mnl_socket *nl, int bytes);

/* Buffers to read a socket's datagrams NLSOCK_BATCH a system call: a
 * group's events come one a datagram, and a call per event would cost
 * the packets waiting for verdicts their CPU. */
int nlsock_rx_new(struct nlsock_rx **out);
void nlsock_rx_free(struct nlsock_rx *rx);
/* Reads all fd holds without waiting and calls fn on each message.
 * Counts in *lost the overruns (ENOBUFS) and the datagrams cut short.
 * Returns the datagrams read, or -errno. */
int nlsock_rx_drain(struct nlsock_rx *rx, int fd, uint64_t *lost,
		    void (*fn)(const struct nlmsghdr *nlh, void *ctx),
		    void *ctx);

#endif /* HONE_NLSOCK_H */
