/* SPDX-License-Identifier: GPL-2.0 */
/* One NFQUEUE: packets in by recvmmsg, verdicts out in one sendto. */
#ifndef HONE_QUEUE_H
#define HONE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct queue;

/* Bytes of each packet honefw is given: headers and the start of L7, for
 * the log. */
#define QUEUE_COPY_RANGE	512

struct queue_pkt {
	uint32_t id;
	uint8_t hook;		/* NF_INET_LOCAL_IN or NF_INET_LOCAL_OUT */
	uint32_t mark;		/* the packet's mark when queued */
	const uint8_t *data;	/* from the IP header */
	size_t len;		/* bytes in data (at most the copy range) */
	size_t wire_len;	/* the whole packet's length */
	bool has_sock;		/* a full socket holds it (NFQA_UID) */
	uint32_t uid;		/* that socket's owner, with has_sock */
};

typedef void (*queue_fn)(void *ctx, struct queue *q,
			 const struct queue_pkt *p);
/* What to do before the packets of one received batch are judged. */
typedef void (*queue_batch_fn)(void *ctx);

/* fail_open: accept rather than drop when the queue overflows, for a dry
 * run only: a user who can fill the queue would pass unjudged. */
int queue_open(uint16_t num, bool fail_open, struct queue **out);
void queue_close(struct queue *q);
int queue_fd(const struct queue *q);
uint16_t queue_num(const struct queue *q);

/* The kernel's own counters of the queue. */
struct queue_stats {
	uint64_t waiting;	/* packets queued, not yet judged */
	uint64_t dropped;	/* the queue was full */
	uint64_t user_dropped;	/* netlink could not take them to honefw */
};
/* From /proc/net/netfilter/nfnetlink_queue of honefw's network namespace;
 * -ENOENT if the queue is not listed. */
int queue_stats(const struct queue *q, struct queue_stats *st);
/* Read the pending packets without blocking, a few hundred at most (a
 * flood must leave the caller time for its other work), calling batch (if
 * set) as each batch arrives and fn for each packet, then send the
 * verdicts fn gave. Returns the number of packets or -errno. */
int queue_read(struct queue *q, queue_batch_fn batch, queue_fn fn, void *ctx);
/* verdict is NF_ACCEPT, NF_DROP or NF_QUEUE_NR(n); mark replaces the
 * packet's whole mark when has_mark. */
/* Send the verdicts given since the last read or flush. */
int queue_flush(struct queue *q);
int queue_verdict(struct queue *q, uint32_t id, uint32_t verdict,
		  bool has_mark, uint32_t mark);

#endif /* HONE_QUEUE_H */
