/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nftables batches for a table of one's own (honefw's "inet hone",
 * nft.c; honeread's "inet honeread", nftlog.c): libnftnl objects sent as
 * one netlink batch, every message acknowledged, the first error returned.
 * Builders never fail on their own: a failed allocation is latched and
 * nftb_commit() refuses the batch (honefw is single-threaded and must not
 * exit on the packet path).
 */
#ifndef HONE_NFTB_H
#define HONE_NFTB_H

#include <stdbool.h>
#include <stdint.h>

struct mnl_nlmsg_batch;
struct mnl_socket;
struct nftnl_expr;
struct nftnl_rule;

#define NFTB_BATCH_SIZE	(64 * 1024)

struct nftb {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
};

struct nftb_batch {
	struct mnl_nlmsg_batch *b;
	const char *table;	/* family inet */
	uint32_t first, seq;	/* the batch's sequence numbers */
	unsigned acks;		/* messages that will be acknowledged */
	bool replace;		/* keep the table and chains, swap rules */
	char buf[NFTB_BATCH_SIZE];
};

/* A NETLINK_NETFILTER socket that never waits long for an answer. */
int nftb_open(struct nftb *n);
void nftb_close(struct nftb *n);

/* obj, or NULL with the failure latched. */
void *nftb_built(void *obj);
/* An expression of that name appended to r (NULL: r or it failed). */
struct nftnl_expr *nftb_expr(struct nftnl_rule *r, const char *name);

void nftb_start(struct nftb *n, struct nftb_batch *bt, const char *table);
void nftb_table(struct nftb_batch *bt, uint16_t type, uint16_t flags);
/* The table, new and empty, whatever was there under its name (a stale
 * one of a killed daemon). */
void nftb_table_anew(struct nftb_batch *bt);
/* A base chain with policy accept (type NULL: a chain to jump to); with
 * bt->replace, its rules deleted (the chain, and what waits in a queue
 * for its hook, stay). */
void nftb_chain(struct nftb_batch *bt, const char *name, const char *type,
		uint32_t hook, int32_t prio);
/* A set that rules fill (dynamic), of keys key_len bytes long, at most
 * size of them; id names it to rules of the same batch. With
 * bt->replace, its elements deleted. */
void nftb_set(struct nftb_batch *bt, const char *name, uint32_t id,
	      uint32_t key_len, uint32_t size);
/* A verdict map of the 32-bit keys 0 to n - 1, key i a jump to
 * chains[i]. With bt->replace, its elements replaced. */
void nftb_vmap(struct nftb_batch *bt, const char *name, uint32_t id,
	       const char *const *chains, uint32_t n);
struct nftnl_rule *nftb_rule_new(const struct nftb_batch *bt,
				 const char *chain);
/* Append r to its chain; frees r. */
void nftb_rule(struct nftb_batch *bt, struct nftnl_rule *r);
int nftb_commit(struct nftb *n, struct nftb_batch *bt);

/* 1 if the table is there, 0 if not. */
int nftb_present(struct nftb *n, const char *table);
/* Delete the table if it is there. */
int nftb_remove(struct nftb *n, const char *table);

#endif /* HONE_NFTB_H */
