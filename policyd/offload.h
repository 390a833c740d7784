/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A connection-wide verdict lives in the conntrack mark (nft.h), and it
 * lasts only as long as the socket it was given for: honefw remembers the
 * flows it offloaded per socket cookie, and when that socket is freed
 * (sock_diag's destroy notice, or hone.ko's close event, which the caller
 * passes to offload_end()), deletes their conntrack entries (ctnetlink).
 * The next packet on that 5-tuple, from whatever socket, is queued and
 * judged.
 */
#ifndef HONE_OFFLOAD_H
#define HONE_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

struct offloads;

/* As many as a default conntrack table holds, and a user's share: the
 * verdicts of one user's sockets, however many flows they make, cannot
 * fill the table for the others. */
#define OFFLOAD_MAX		(1U << 18)
#define OFFLOAD_USER_MAX	(OFFLOAD_MAX / 4)

struct offload_stats {
	uint64_t flows;		/* offloaded flows remembered now */
	uint64_t ended;		/* conntrack entries deleted */
	uint64_t changed;	/* verdicts taken back: their process changed */
	uint64_t given_up;	/* verdicts taken back to make room */
	uint64_t errors;	/* deletes and mark changes the kernel
				 * refused (not ENOENT) */
	uint64_t lost;		/* overruns: destroy notices lost */
};

/* In the network namespace whose sockets and conntrack table are judged;
 * notices: subscribe to sock_diag's destroy notices (without them the
 * caller tells every socket freed: offload_end()); clear: the mark bits a
 * verdict taken back loses. */
int offloads_open(bool notices, uint32_t clear, struct offloads **out);
void offloads_close(struct offloads *o);
/* 0, or why conntrack entries cannot be deleted (ctnetlink missing): then
 * nothing is offloaded, every packet is judged. */
int offloads_error(const struct offloads *o);
/* Every conntrack entry whose mark & mask == mark loses the mark bits of
 * clear: verdicts of rules no longer in force (an earlier honefw's, or
 * those of the generation a reload is about to reuse) are taken back. Its
 * one wait is the dump, a walk of the conntrack table; changes the kernel
 * refuses count in errors. Returns how many changes were sent (0 without
 * ctnetlink: nothing to take back), or a negative errno. */
int offloads_forget(struct offloads *o, uint32_t mark, uint32_t mask,
		    uint32_t clear);
/* Readable when sockets were destroyed: then call offloads_drain(); -1
 * without notices. */
int offloads_fd(const struct offloads *o);
/* pkt's flow gets a connection-wide verdict for the socket cookie, whose
 * owner is pid and user uid. To make room, a verdict is given up (taken
 * back): uid's oldest past its share, one at random when the table is
 * full. 0, or -ENOMEM (or offloads_error()): then the verdict must stay
 * per packet. */
int offload_add(struct offloads *o, uint64_t cookie, uint32_t pid,
		uint32_t uid, const struct rules_pkt *pkt);
/* The socket is gone: delete its flows' conntrack entries, at the next
 * offloads_drain() (sent with the other requests of the drain). */
void offload_end(struct offloads *o, uint64_t cookie);
/* A verdict pkt's connection holds that honefw did not give it (hone.ko's
 * given ahead, and stale): its conntrack mark loses the bits of clear
 * (offloads_open()), so the connection's next packet is queued and
 * judged. Sent at the next offloads_drain(), without waiting; a refusal
 * counts in errors, an entry not found (not confirmed yet) is none. */
void offload_take_back(struct offloads *o, const struct rules_pkt *pkt);
/* The same for every flow of the sockets pid owns (its verdicts may have
 * changed: an exec) whose verdict is in force: not those taken back
 * since offload_add() last gave them one. They stay offloads, to end with
 * their sockets. Returns how many. */
size_t offloads_take_back_pid(struct offloads *o, uint32_t pid);
/* Read every pending destroy notice without blocking (none unless
 * readable: a poll of offloads_fd() said so), end those sockets' offloads
 * and tell gone(ctx, cookie); send what waits for the kernel. Returns how
 * many sockets, or a negative errno. */
int offloads_drain(struct offloads *o, bool readable,
		   void (*gone)(void *ctx, uint64_t cookie), void *ctx);
void offloads_stats(const struct offloads *o, struct offload_stats *st);
/* Whether destroy notices were lost since the last sweep: sockets may be
 * gone unsaid, and the caller sweeps with a dump (diag_live()). */
bool offloads_lost(const struct offloads *o);
/* End the offloads of sockets not among the n live ones (sorted), telling
 * gone(ctx, cookie). Returns how many sockets. */
size_t offloads_sweep(struct offloads *o, const uint64_t *live, size_t n,
		      void (*gone)(void *ctx, uint64_t cookie), void *ctx);

#endif /* HONE_OFFLOAD_H */
