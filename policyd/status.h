/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What an operator asks first, from one snapshot of honefw's counters:
 * honefw --status (text, or one JSON object) and the metrics file
 * (Prometheus' text format, for node_exporter's textfile collector).
 */
#ifndef HONE_STATUS_H
#define HONE_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "queue.h"
#include "rules.h"
#include "vlog.h"

/* Packets a rule decided, and connections whose first packet it decided. */
struct status_hits {
	uint64_t packets, conns;
};

/* After a rule set's rules, its [global] fallbacks count in hits[]. */
enum status_fallback {
	STATUS_DEFAULT,		/* a known process no rule matched */
	STATUS_UNKNOWN,		/* a socket whose process is not known */
	STATUS_KERNEL,		/* no socket: the kernel's own packets */
	STATUS__FALLBACKS,
};

struct status {
	const char *config;
	const struct rules *rs;
	const struct status_hits *hits;	/* rules_count(rs) + fallbacks */
	int64_t loaded;			/* when rs was loaded (epoch seconds) */
	uint64_t reloads;
	bool dry_run;
	const char *sensor;		/* "kmod" or "netlink" */
	uint64_t judged, unknown, unparsable, errors, parked;
	uint64_t procs, conns, evicted, flows;
	uint64_t offloaded, changed, given_up, notices_lost;
	uint64_t events, events_lost;
	uint64_t fd_reads;		/* netlink: processes' descriptors read */
	/* Verdicts given ahead (ahead.h): given, ended, connections hone.ko
	 * passed by them, and those whose verdict was stale. */
	bool ahead;
	uint64_t ahead_given, ahead_ended, ahead_passed, ahead_taken_back;
	uint64_t diag_lookups;		/* sock_diag asked for a flow's socket */
	uint16_t queue, nqueues;	/* honefw's: queue to queue + nqueues - 1 */
	bool has_queue_stats;		/* /proc listed them: q is their sum */
	struct queue_stats q;
	struct vlog_stats log;
	uint64_t lines_lost;		/* text log lines (log_lost()) */
	/* IPFIX export: collector NULL when there is none. */
	const char *collector, *collector_port;
	bool export_up;			/* UDP, or TCP connected */
	uint64_t export_records, export_dropped;
	uint64_t heap;			/* bytes in use */
};

/* The index in hits[] that counts a packet judged by v. */
size_t status_hit_index(const struct rules *rs, const struct rules_verdict *v,
			enum status_fallback fallback);

/* Each returns 0, or -errno when f could not be written. */
/* The packets judged, the tables and the sensor: three lines of
 * status_text(), sep between them (no newline after). */
void status_counts(const struct status *st, FILE *f, const char *sep);
int status_text(const struct status *st, FILE *f);
int status_json(const struct status *st, FILE *f);
int status_prom(const struct status *st, FILE *f);
/* The metrics file, through priv_metrics(): written to PATH.tmp, then
 * renamed over path, so a reader sees the old file or the new one,
 * whole. */
int status_prom_file(const struct status *st, const char *path);

#endif /* HONE_STATUS_H */
