/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DNS answers the host receives, as honefw's table logs them to an
 * NFLOG group (nft.c, done_in): each whole packet with the uid of the
 * socket it is delivered to. An answer counts only if it comes from a
 * resolver of resolv.conf (source port 53) to a socket with an owner;
 * its bindings are handed on with that uid. The kernel names the socket
 * only when it has looked it up before the input hook (early demux), which
 * it skips for packets that keep their route: those on loopback, from a
 * local resolver. For them the caller names the owner.
 */
#ifndef HONE_DNSLOG_H
#define HONE_DNSLOG_H

#include <stdbool.h>
#include <stdint.h>

struct dnslog;
struct rules_pkt;

typedef void (*dnslog_fn)(void *ctx, uint32_t uid, uint8_t family,
			  const uint8_t *addr, const char *name, uint32_t ttl);
/* The uid of the socket an answer (pkt, as received) is for, when the
 * kernel did not say; false if not known either. */
typedef bool (*dnslog_owner_fn)(void *ctx, const struct rules_pkt *pkt,
				uint32_t *uid);

struct dnslog_stats {
	uint64_t answers;	/* counted: from a resolver, to a socket */
	uint64_t untrusted;	/* from an address not in resolv.conf */
	uint64_t nosock;	/* to no socket with a known owner */
	uint64_t malformed;	/* not a DNS answer honefw could read */
	uint64_t split;		/* TCP: not whole in one segment */
	uint64_t lost;		/* the socket's buffer overran */
};

/* Bind NFLOG group (in the caller's network namespace). */
int dnslog_open(uint16_t group, struct dnslog **out);
void dnslog_close(struct dnslog *l);
int dnslog_fd(const struct dnslog *l);
/* The resolvers whose answers count: the nameserver lines of path (read
 * again at every call, i.e. at start and SIGHUP). How many. */
int dnslog_resolvers(struct dnslog *l, const char *path);
/* Read what is pending without blocking; fn for every binding. */
int dnslog_drain(struct dnslog *l, dnslog_fn fn, dnslog_owner_fn owner,
		 void *ctx);
void dnslog_stats(const struct dnslog *l, struct dnslog_stats *st);

#endif /* HONE_DNSLOG_H */
