/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An NFLOG group through libmnl (nfnetlink_log): the packets an nftables
 * "log group N" rule sends, from their network header, with the hook that
 * logged them. The instance numbers its packets, so those the socket had
 * no room for are counted.
 */
#ifndef HONE_NFLOG_H
#define HONE_NFLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nflog;

/* A logged packet: from its network header, the hook that logged it, and
 * the uid of the socket it is delivered to when the kernel knows it. */
struct nflog_pkt {
	const uint8_t *data;
	size_t len;
	unsigned hook;
	bool has_uid;
	uint32_t uid;
};

typedef void (*nflog_fn)(void *ctx, const struct nflog_pkt *p);
/* Called after each read and before the packets it brought, which were
 * all logged by then: what happened before them can be learnt first.
 * Negative stops the drain with that error. */
typedef int (*nflog_read_fn)(void *ctx);

/* Bind group, copying up to range bytes of each packet. */
int nflog_open(uint16_t group, uint32_t range, struct nflog **out);
void nflog_close(struct nflog *l);
int nflog_fd(const struct nflog *l);
/* Hand pending packets to fn without blocking (a bounded number: call
 * again while the descriptor is readable), each read's after read(ctx)
 * unless it is NULL. Returns how many, or -errno. */
int nflog_drain(struct nflog *l, nflog_read_fn read, nflog_fn fn, void *ctx);
/* Packets the group logged that never reached us. */
uint64_t nflog_lost(const struct nflog *l);

#endif /* HONE_NFLOG_H */
