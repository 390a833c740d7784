/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sock_diag, in the network namespace it was opened in: the socket of a
 * 5-tuple, and the cookies of every TCP and UDP socket. The flows ask it
 * through diag_ask() (flows_open()); they do no I/O of their own.
 */
#ifndef HONE_DIAG_H
#define HONE_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

/* What sock_diag says of a socket. */
struct diag_sk {
	uint64_t cookie;
	uint32_t uid;
	uint64_t inode;		/* 0: a connection not accepted yet */
	bool listen;		/* a TCP listener */
};

struct diag;

int diag_open(struct diag **out);
void diag_close(struct diag *d);
/* The socket of key's 5-tuple as this host sees it (flow_tuple()): 0,
 * -ENOENT or -errno. TCP finds established sockets, then listeners (an
 * incoming SYN finds its server); UDP finds unconnected sockets too.
 * ctx is a struct diag. */
int diag_ask(void *ctx, const struct rules_pkt *key, struct diag_sk *out);
/* After destroy notices were lost: the cookies of every TCP and UDP socket
 * now, sorted, to free. */
int diag_live(struct diag *d, uint64_t **cookies, size_t *n);
bool diag_live_has(const uint64_t *cookies, size_t n, uint64_t cookie);

#endif /* HONE_DIAG_H */
