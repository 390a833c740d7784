/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPFIX export (RFC 7011) of one record per connection, through libfixbuf,
 * to one collector over UDP or TCP. libfixbuf only builds the messages, in
 * memory; honefw sends them on a non-blocking socket of its own, so a slow
 * or absent collector costs records (counted), never a verdict's time.
 * Nothing outside ipfix.c knows libfixbuf.
 */
#ifndef HONE_IPFIX_H
#define HONE_IPFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* flowEndReason (IANA) */
#define IPFIX_END_IDLE		1
#define IPFIX_END_ACTIVE	2
#define IPFIX_END_FLOW		3	/* end of flow detected */
#define IPFIX_END_FORCED	4	/* honefw stopping */

/* Hone's own elements under the configured PEN (honefw(8)). From 101:
 * pmacct takes ids 1 and 2 of any enterprise for RFC 5103's reverse
 * counters. */
enum ipfix_hone_ie {
	IPFIX_HONE_PID = 101,
	IPFIX_HONE_PPID,
	IPFIX_HONE_PEDIGREE,
	IPFIX_HONE_UID,
	IPFIX_HONE_GID,
	IPFIX_HONE_RULE,
	IPFIX_HONE_VERDICT,
	IPFIX_HONE_SHA256,
	IPFIX_HONE_HOST,
};

/* Who owns a connection: the process's ids. */
struct ipfix_ids {
	uint32_t pid, ppid, uid, gid;
};

/* What it carried since the last record, each way. */
struct ipfix_counts {
	uint64_t octets, packets;	/* src -> dst */
	uint64_t rev_octets, rev_packets;	/* dst -> src */
};

/* One connection as exported: src is whoever opened it. Strings may be
 * NULL (then empty). */
struct ipfix_flow {
	uint8_t family, proto;
	uint8_t src[16], dst[16];	/* network order; IPv4 in 4 bytes */
	uint16_t sport, dport;
	struct ipfix_counts n;
	uint64_t start_ms, end_ms;	/* since the epoch */
	uint8_t end_reason;		/* IPFIX_END_* */
	bool egress;			/* this host opened it */
	struct ipfix_ids who;
	const char *exe, *user, *pedigree, *rule, *verdict;
	const uint8_t *sha256;		/* 32 bytes or NULL */
};

struct ipfix_conf {
	const char *host, *port;
	bool tcp;
	uint32_t pen;
};

struct ipfix_stats {
	uint64_t records;	/* handed to the socket */
	uint64_t dropped;	/* lost: socket full, collector away */
	uint64_t messages;
	bool up;		/* TCP: connected */
};

struct ipfix;

/* Resolves the collector (a name blocks once, here) and opens the
 * socket; TCP connects in the background. */
int ipfix_open(const struct ipfix_conf *c, uint64_t now_ms,
	       struct ipfix **out);
/* Sends what it can first. */
void ipfix_close(struct ipfix *x, uint64_t now_ms);
/* Whether c is what x was opened with. */
bool ipfix_same(const struct ipfix *x, const struct ipfix_conf *c);
/* Adds a record to the message being built; a full message is sent (or
 * dropped and counted) first. now_ms: CLOCK_REALTIME. */
void ipfix_add(struct ipfix *x, const struct ipfix_flow *f, uint64_t now_ms);
/* Sends the message being built and what TCP has queued, without
 * waiting; reconnects TCP. Call after each batch and each tick, with what
 * poll said of ipfix_fd() (0 if nothing). */
void ipfix_flush(struct ipfix *x, uint64_t now_ms, short revents);
/* The socket, and the poll events it waits for (POLLOUT while TCP has
 * bytes queued or connects; else 0). */
int ipfix_fd(const struct ipfix *x);
short ipfix_events(const struct ipfix *x);
void ipfix_stats(const struct ipfix *x, struct ipfix_stats *st);

#endif /* HONE_IPFIX_H */
