/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whose a queued packet is. The owners hold all that attribution knows:
 * the processes (pid -> process and its pedigree), the sockets (cookie ->
 * owner) and the flows (5-tuple -> socket: told by hone.ko before the
 * packet, else asked of sock_diag). The sensors tell them typed events
 * (event.h) and do the reading and hashing; the verdict path asks
 * owner_of(), one lookup, and nothing else.
 */
#ifndef HONE_OWNER_H
#define HONE_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
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

int owners_open(struct owners **out);
/* The flows of the network namespace whose inode is netns, the one ask
 * (sock_diag: diag_ask()) looks in: flow events of other namespaces are
 * not ours (the same addresses there are other sockets). No flow is known
 * before, nor owner_of() asked. */
int owners_flows_open(struct owners *o, uint32_t netns, flows_ask_fn ask,
		      void *ctx);
void owners_close(struct owners *o);
/* How long a closed connection still names its process, for packets of
 * it judged late (TIME_WAIT is 60 s); OWNERS_GRACE unless set. */
#define OWNERS_GRACE	(120ULL * 1000000000ULL)
void owners_set_grace(struct owners *o, uint64_t ns);

/* ---- what the sensors tell ------------------------------------------- */

/* Who holds socket inode of uid, for a socket no event told (the netlink
 * sensor searches /proc): 0 and *out, -ENOENT, or -EINPROGRESS while a
 * search goes on (asked again when it ends). */
typedef int (*owners_find_fn)(void *ctx, uint32_t uid, uint64_t inode,
			      const struct proc **out);
void owners_set_finder(struct owners *o, owners_find_fn fn, void *ctx);
/* fn(ctx, cookie) for each socket the sensor says is freed, as it is told
 * (hone.ko's close events; the netlink sensor has none of its own). */
typedef void (*owners_closed_fn)(void *ctx, uint64_t cookie);
void owners_on_close(struct owners *o, owners_closed_fn fn, void *ctx);
/* fn(ctx, p) for each live process whose verdict may have changed though
 * none of its packets was judged: forked, exec'd or told by a snapshot,
 * its ids changed, its digest told, linked to its parent or an ancestor
 * exec'd (its pedigree); once the run of events that changed it ends
 * (owners_settle()): a snapshot's pedigrees are whole then, and a fork
 * and the exec after it are one change. */
typedef void (*owners_changed_fn)(void *ctx, const struct proc *p);
void owners_on_change(struct owners *o, owners_changed_fn fn, void *ctx);
/* A run of events starts, at now (CLOCK_MONOTONIC ns, the verdict
 * path's). */
void owners_begin(struct owners *o, uint64_t now);
/* 0, or negative: the event is lost (out of memory). */
int owners_proc_event(struct owners *o, const struct ev_proc *ev);
int owners_sock_event(struct owners *o, const struct ev_sock *ev);
/* The run ends: the processes whose parent came after them are linked (a
 * snapshot is in no order), the changed ones told (owners_on_change()),
 * and sockets closed for longer than the grace are forgotten. lost:
 * events the sensor lost so far; when it grows, a flow event may be among
 * them, and told flows are checked again. The only call that frees
 * entries: what owner_of() gave stays valid until then. */
void owners_settle(struct owners *o, uint64_t lost);
/* uid's name, looked up since its processes so far were told. */
void owners_named(struct owners *o, uint32_t uid, const char *name);
/* What the sensor hashed of p's executable, since its exec. */
void owners_digest(struct owners *o, const struct proc *p,
		   const struct ev_digest *d);
/* The digest of the verdict given ahead for p's image, as the daemon gave
 * it (struct proc). */
void owners_set_ahead(struct owners *o, const struct proc *p, uint64_t digest);

/* ---- what the verdict path asks -------------------------------------- */

/* pkt's owner; queued_sock: the queue said the packet has a socket, and
 * pkt->uid (has_uid) whose: outside TCP, a flow's socket of another user
 * is looked for again and never taken for it (UDP sockets may share a
 * 5-tuple, and a port freed is taken by the next).
 * cookie: the socket it was found to be sent or received by before it was
 * parked, 0 if none: it stays the packet's owner while the owners hold it,
 * closed or not (it had the packet all the same). */
void owner_of(struct owners *o, const struct rules_pkt *pkt,
	      bool queued_sock, uint64_t cookie, uint64_t now,
	      struct owner *out);
/* The user of pkt's socket, without looking for its process: false if
 * no socket is known. */
bool owner_uid(struct owners *o, const struct rules_pkt *pkt, uint64_t now,
	       uint32_t *uid);
/* The socket with this cookie. Given what sock_diag said (uid, inode),
 * one no event told is searched for (the finder), at most once a second;
 * *waits (unless NULL): that search goes on. NULL when no owner is
 * known. */
struct conn *owners_conn(struct owners *o, uint64_t cookie, uint32_t uid,
			 uint64_t inode, bool *waits);
/* The process with this pid (an exited one while something holds it). */
const struct proc *owners_proc(const struct owners *o, uint32_t pid);
/* Whether pid, started then (0: whenever), is known and alive. */
bool owners_knows(const struct owners *o, uint32_t pid, uint64_t start);
/* The processes from the most recently active; NULL at the end. */
const struct proc *owners_recent(const struct owners *o);
const struct proc *owners_older(const struct owners *o,
				const struct proc *p);
/* p was active just now (it holds a socket looked for). */
void owners_touch(struct owners *o, const struct proc *p);
/* sock_diag says the socket is destroyed (the netlink sensor has no close
 * event of its own). */
void owners_conn_gone(struct owners *o, uint64_t cookie, uint64_t now);
/* Destroy notices were lost: close the connections live(ctx, cookie)
 * denies. Returns how many. */
size_t owners_conns_sweep(struct owners *o,
			  bool (*live)(void *ctx, uint64_t cookie), void *ctx,
			  uint64_t now);
/* The flows, for their upkeep and counts. */
struct flows *owners_flows(const struct owners *o);

struct owners_stats {
	uint64_t procs, conns;
	uint64_t evicted;	/* open connections forgotten: table full */
};
void owners_stats(const struct owners *o, struct owners_stats *st);

#endif /* HONE_OWNER_H */
