/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The connections honefw exports: who each belongs to (copied at its first
 * judged packet, so an exited process or a reload changes nothing), and
 * the conntrack counts that end it (ctacct.h) turned into IPFIX records
 * (ipfix.h): one when it ends, and one per active timeout before.
 */
#ifndef HONE_EXPORT_H
#define HONE_EXPORT_H

#include <stdint.h>

#include "ipfix.h"
#include "rules.h"

struct exporter;
struct flow;
struct proc;

struct export_stats {
	struct ipfix_stats ipfix;
	uint64_t conns;		/* being followed now */
	uint64_t untracked;	/* not followed: table full */
	uint64_t unseen;	/* ended unseen (destroy events lost) */
	uint64_t lost;		/* destroy events the kernel dropped */
};

/* In the network namespace judged. */
int export_open(const struct rules_ipfix *c, struct exporter **out);
void export_close(struct exporter *e);
/* Whether e exports as c says (else a reload opens a new one). */
bool export_same(const struct exporter *e, const struct rules_ipfix *c);
/* A judged packet of flow f (NULL if none could be kept): the first one
 * of a connection starts following it. */
void export_judged(struct exporter *e, const struct rules_pkt *pkt,
		   const struct flow *f, const struct proc *proc,
		   const struct rules_verdict *v);
/* Reads conntrack's news, builds records, sends them: after each batch
 * and each tick (which also asks for the counts of long connections);
 * out_revents: what poll said of export_out_fd(). */
void export_run(struct exporter *e, bool tick, short out_revents);
/* Descriptors to poll: conntrack (POLLIN) and the collector's socket. */
int export_ct_fd(const struct exporter *e);
int export_out_fd(const struct exporter *e);
short export_out_events(const struct exporter *e);
void export_stats(const struct exporter *e, struct export_stats *st);

#endif /* HONE_EXPORT_H */
