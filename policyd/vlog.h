/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The verdict log: one text line per decision that is not a plain accept
 * (log.h: stderr or syslog) and, with --log FILE, a PCAP-NG file with the
 * sensor's process and connection blocks and one Enhanced Packet Block per
 * judged packet of a log = yes rule, its comment naming verdict, rule,
 * process and user. With --log-all, both tell every judgement.
 */
#ifndef HONE_VLOG_H
#define HONE_VLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "rules.h"
#include "sensor.h"

struct vlog;

/* One judged packet, as the log tells it. */
struct vlog_entry {
	const uint8_t *data;	/* from the IP header */
	size_t len, wire_len;
	const struct rules_pkt *pkt;
	const struct conn *conn;	/* NULL: no socket or owner known */
	const struct proc *proc;
	const struct rules_verdict *v;
	uint32_t mark;		/* the mark the packet left with */
	bool dry_run;		/* v is what would have been done */
	/* hone.ko passed it unqueued by a verdict given ahead, which set
	 * this conntrack mark (0: it was queued); stale: not the verdict
	 * the rules give now (v is what was done), taken back. */
	uint32_t prejudged;
	bool stale;
	bool repeat;		/* its flow was told of just now: no text line */
};

/* The PCAP-NG file's state, for --status: counts since it was opened. */
struct vlog_stats {
	const char *path;	/* NULL: no --log */
	uint64_t written, lost;
};

/* path NULL: text lines only; all: accepts and log = no too. path must
 * outlive l. */
int vlog_open(const char *path, bool all, struct vlog **out);
/* SIGHUP: go on in a new file at the path (rotated), with its own section;
 * one that cannot be opened keeps the old file, and says so. */
void vlog_reopen(struct vlog *l);
void vlog_close(struct vlog *l);
void vlog_packet(struct vlog *l, const struct vlog_entry *e);
/* The journal fields of e's decision (honefw(8) lists them). */
void vlog_fields(const struct vlog_entry *e, struct log_fields *lf);
/* A name the host learned for addr (AF_INET/AF_INET6), as a Name
 * Resolution Block, so readers show it with no lookup of their own. */
void vlog_name(struct vlog *l, uint8_t family, const uint8_t *addr,
	       const char *name);
/* Write the buffered blocks (after each batch, and once a second: a
 * failing file is retried). */
void vlog_flush(struct vlog *l);
void vlog_stats(const struct vlog *l, struct vlog_stats *st);

#endif /* HONE_VLOG_H */
