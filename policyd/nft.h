/* SPDX-License-Identifier: GPL-2.0 */
/*
 * honefw's own nftables table, "inet hone". Packets leave the queue with a
 * mark whose top byte is honefw's; the table's later chains act on it:
 *
 *	HONE_MARK_FLOW		connection-wide verdict: saved to the ct mark,
 *				later packets skip the queue
 *	HONE_MARK_DROP		drop (after saving the ct mark)
 *	HONE_MARK_REJECT	TCP RST / ICMP port unreachable
 *	HONE_MARK_GEN		the rules generation of a FLOW verdict: a
 *				reload flips it, so live connections are
 *				judged again by the new rules
 *	HONE_MARK_EFFECT	index of an effect: a redirect target (DNAT
 *				at output) or a DSCP code point (set on
 *				output)
 *
 * The low 24 bits are the rule's QoS mark; the packet leaves with them.
 */
#ifndef HONE_NFT_H
#define HONE_NFT_H

#include <stdbool.h>
#include <stdint.h>

#define HONE_MARK_FLOW		0x80000000U
#define HONE_MARK_DROP		0x40000000U
#define HONE_MARK_REJECT	0x20000000U
#define HONE_MARK_GEN		0x10000000U
#define HONE_MARK_EFFECT		0x0f000000U
#define HONE_MARK_EFFECT_SHIFT	24
#define HONE_MARK_USER		0x00ffffffU
#define HONE_EFFECT_MAX		15

struct nft;
struct rules;
struct rules_verdict;

struct nft_conf {
	uint16_t queue;
	bool fail_closed;	/* no bypass: dropped while nobody listens */
	bool gen;		/* HONE_MARK_GEN of this generation's verdicts */
	bool offload;		/* connection-wide verdicts (ctnetlink ends
				 * them): else no conntrack mark is trusted */
	bool dns_log;		/* DNS answers to NFLOG log_group (host rules) */
	uint16_t log_group;
};

int nft_open(struct nft **out);
void nft_close(struct nft *n);
/* Replace any "inet hone" table (a stale one of a killed honefw too) by a
 * fresh one, in one atomic batch, with the redirects and DSCP rules of rs.
 * -ENOSPC: rs has more than HONE_EFFECT_MAX of those. */
int nft_install(struct nft *n, const struct nft_conf *c,
		const struct rules *rs);
/* 1 if the table is still there, 0 if someone removed it. */
int nft_present(struct nft *n);
int nft_remove(struct nft *n);
/* The bits a connection-wide verdict carries in this generation. */
uint32_t nft_flow_bits(const struct nft *n);
/* True when the kernel has the native queue expression (else xt compat). */
bool nft_native_queue(const struct nft *n);
/* The HONE_MARK_EFFECT index of v's redirect target or DSCP, 0 if it has
 * neither, -ENOENT if the installed table does not know it. */
int nft_effect(const struct nft *n, const struct rules_verdict *v);

#endif /* HONE_NFT_H */
