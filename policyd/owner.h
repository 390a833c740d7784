/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whose a queued packet is: the one lookup the verdict path makes. The
 * owners hold the flows (5-tuple -> socket: told by hone.ko before the
 * packet, else asked of sock_diag) and ask the sensor, which holds the
 * sockets and processes, for the rest.
 */
#ifndef HONE_OWNER_H
#define HONE_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "sensor.h"

struct owners;

struct owner {
	struct flow *flow;		/* NULL: out of memory */
	struct conn *conn;		/* its socket, when known */
	const struct proc *proc;	/* the socket's process, when known */
	bool waits;			/* a search for its owner goes on */
	bool nosock;			/* no socket anywhere: the kernel's */
};

/* For the sensor s, in the network namespace whose inode is netns (flow
 * events of other namespaces are not ours). */
int owners_open(struct sensor *s, uint32_t netns, struct owners **out);
void owners_close(struct owners *o);
/* The sensor's events, before a batch of packets is judged: 0 or the
 * sensor's error. */
int owners_drain(struct owners *o, uint64_t now);
/* pkt's owner; queued_sock: the queue said the packet has a socket.
 * cookie: the socket it was found to be sent or received by before it was
 * parked, 0 if none: it stays the packet's owner while the sensor holds it,
 * closed or not (it had the packet all the same). */
void owner_of(struct owners *o, const struct rules_pkt *pkt,
	      bool queued_sock, uint64_t cookie, uint64_t now,
	      struct owner *out);
/* The user of pkt's socket, without looking for its process: false if
 * no socket is known. */
bool owner_uid(struct owners *o, const struct rules_pkt *pkt, uint64_t now,
	       uint32_t *uid);
/* The flows, for their upkeep and counts. */
struct flows *owners_flows(const struct owners *o);

#endif /* HONE_OWNER_H */
