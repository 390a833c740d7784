/* SPDX-License-Identifier: GPL-2.0 */
/*
 * honeread's own nftables table, "inet honeread": every packet a process
 * of this host sends or receives goes to an NFLOG group, the way hone.ko
 * sees them: outgoing before any other chain (priority raw - 1: what was
 * sent, also what a firewall then drops), incoming after every other
 * (what a process receives). Nothing is dropped or changed.
 */
#ifndef HONE_NFTLOG_H
#define HONE_NFTLOG_H

#include <stdint.h>

struct nftlog;

/* Install the table (replacing a stale one of a killed honeread). */
int nftlog_open(uint16_t group, struct nftlog **out);
/* Remove the table. */
void nftlog_close(struct nftlog *t);

#endif /* HONE_NFTLOG_H */
