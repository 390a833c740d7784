/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-connection packet and byte counts, from conntrack: a connection-wide
 * verdict moves a flow out of the queue, so honefw never sees most of its
 * packets, but the kernel counts them (nf_conntrack_acct) and tells the
 * counts when the entry goes (ctnetlink destroy events) or when asked.
 */
#ifndef HONE_CTACCT_H
#define HONE_CTACCT_H

#include <stdbool.h>
#include <stdint.h>

#include "rules.h"

struct ct_counts {
	/* The original direction: local is its source, remote its
	 * destination (which may be this host). */
	struct rules_pkt orig;
	uint64_t packets[2], bytes[2];	/* [0] original, [1] reply */
	bool destroyed;			/* else the answer to ctacct_ask() */
};

struct ctacct;

/* nf_conntrack_acct on in this network namespace: entries made from now
 * on count (the kernel's default is not to; those before count nothing). */
int ctacct_acct_on(void);
/* In the network namespace judged, once ctacct_acct_on() there. */
int ctacct_open(struct ctacct **out);
void ctacct_close(struct ctacct *c);
int ctacct_fd(const struct ctacct *c);
/* Ask for t's counters (local -> remote, either direction); the answer
 * comes to ctacct_drain(), none if the entry is gone. */
void ctacct_ask(struct ctacct *c, const struct rules_pkt *t);
/* Reads what is pending without blocking, calling fn for each entry. */
void ctacct_drain(struct ctacct *c,
		  void (*fn)(void *ctx, const struct ct_counts *n), void *ctx);
/* Destroy events the kernel could not deliver (socket buffer full). */
uint64_t ctacct_lost(const struct ctacct *c);

#endif /* HONE_CTACCT_H */
