/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A queued packet's flow: its 5-tuple and the socket that sent or receives
 * it (cookie, uid, inode). hone.ko tells it before the packet is queued
 * (flows_tell); else sock_diag is asked, once per flow and FLOW_RECHECK,
 * not per packet.
 */
#ifndef HONE_FLOW_H
#define HONE_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "htab.h"
#include "rules.h"

struct flow {
	struct hnode node;
	struct rules_pkt key;	/* the 5-tuple part only */
	bool has_sock;
	bool provisional;	/* a TCP listener or not accepted yet */
	uint64_t sensed;	/* the sensor told the socket, in this
				 * generation of flows_distrust() (0:
				 * never; 64 bits never wrap to it) */
	uint64_t cookie;
	uint32_t uid;
	uint64_t inode;
	uint64_t packets;	/* queued packets seen, when no connection */
	uint64_t checked;	/* when sock_diag was last asked (ns) */
	uint64_t used;
	/* The decision last told in the text log, and when. */
	const struct rule *told_rule;
	uint8_t told_action;
	uint64_t told;
};

struct flows;

/* Fill pkt from an IP packet queued at hook (NF_INET_LOCAL_IN/OUT): family,
 * proto, direction, addresses and ports seen from this host, TCP flags and
 * length. -EINVAL if it is not a whole IPv4/IPv6 header. */
int flow_parse(const uint8_t *data, size_t len, unsigned hook,
	       struct rules_pkt *pkt);
/* The same, and where the transport header starts (a later fragment:
 * where its data starts; it has no ports). */
int flow_parse_l4(const uint8_t *data, size_t len, unsigned hook,
		  struct rules_pkt *pkt, size_t *l4);

/* How many of an IP packet's first len bytes are headers: the IP header
 * with its options or IPv6 extension headers, and the TCP (with options),
 * UDP, UDP-Lite, ICMP, ICMPv6 (8 bytes) or SCTP (12) header; none of a
 * later fragment's data; 0 if it is not a whole IP header. */
size_t flow_headers(const uint8_t *data, size_t len);

/* The 5-tuple part of pkt into t (the rest zeroed); returns its hash. */
uint64_t flow_tuple(const struct rules_pkt *pkt, struct rules_pkt *t);

/* Who holds a 5-tuple, for flows no sensor told: 0, -ENOENT or -errno
 * (diag_ask()). */
typedef int (*flows_ask_fn)(void *ctx, const struct rules_pkt *key,
			    struct diag_sk *out);
int flows_open(flows_ask_fn ask, void *ctx, struct flows **out);
void flows_close(struct flows *f);
/* The flow of pkt, created on first sight; NULL only when out of memory.
 * now: CLOCK_MONOTONIC ns. */
struct flow *flows_get(struct flows *f, const struct rules_pkt *pkt,
		       uint64_t now);
/* Ask sock_diag again now: the socket the flow named is gone, and another
 * may hold its 5-tuple (unless the sensor told it: it would have told the
 * other). */
void flow_recheck(struct flows *f, struct flow *fl, uint64_t now);
/* The sensor saw a packet of pkt's 5-tuple leave or arrive on socket
 * cookie (of uid, with that inode, 0 before accept()): the flow's socket
 * from now on; provisional (a listener, not accepted yet) until told of
 * the accepted one. */
void flows_tell(struct flows *f, const struct rules_pkt *pkt,
		uint64_t cookie, uint32_t uid, uint64_t inode, bool provisional,
		uint64_t now);
/* The sensor lost events: what it told may be out of date, and every flow
 * is checked as if nothing had been told, until it is told again. A flow
 * told is otherwise not asked for, even once its socket is gone: a new
 * socket on the same 5-tuple would have been told. */
void flows_distrust(struct flows *f);
/* sock_diag lookups so far. */
uint64_t flows_asked(const struct flows *f);
/* True if v is worth a text line for f: another decision than the last one
 * told, or the same one FLOW_RETELL later. Records it. */
bool flow_news(struct flow *f, const struct rules_verdict *v, uint64_t now);
/* Forget flows idle for a while. */
void flows_expire(struct flows *f, uint64_t now);
size_t flows_count(const struct flows *f);

#endif /* HONE_FLOW_H */
