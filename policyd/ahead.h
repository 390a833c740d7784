/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Verdicts given ahead (hone.h, HEIO_PREJUDGE_PORTS). With hone.ko, a
 * process whose outgoing TCP connections to a remote port get a verdict
 * that nothing else of the packet decides (rules_ahead_ports()), a plain
 * accept for the whole connection, has it given to the module, per range
 * of ports, as the conntrack mark the queue would have saved:
 * its SYNs pass the table's fast path unqueued, and the module hands each
 * to honefw, which judges it as it judges a queued packet (daemon.c) and
 * takes back a verdict it finds stale. Kept in step with the processes
 * (owners_on_change()) and with the rules and their generation
 * (ahead_clear() and ahead_renew() at each reload). Never in a dry run,
 * nor without connection-wide verdicts (no ctnetlink).
 */
#ifndef HONE_AHEAD_H
#define HONE_AHEAD_H

#include <stdbool.h>
#include <stdint.h>

#include "rules.h"
#include "sensor.h"

struct ahead;
struct nft;
struct offloads;
struct owners;

struct ahead_stats {
	bool on;		/* giving verdicts ahead */
	uint64_t given;		/* verdicts given (or changed) */
	uint64_t ended;		/* ended before their image was */
	uint64_t passed;	/* connections hone.ko passed by one */
	uint64_t taken_back;	/* ... whose verdict was stale */
};

/* on: hone.ko's sensor, enforcing, with connection-wide verdicts; else
 * every call does nothing. A module that refuses them is said at once. */
int ahead_open(bool on, struct sensor *s, struct owners *o,
	       struct offloads *off, struct ahead **out);
void ahead_close(struct ahead *a);
/* p's verdict under rs, as the table n installed marks it: given,
 * changed or ended as it differs from the one given for p's image. */
void ahead_judge(struct ahead *a, const struct rules *rs, struct nft *n,
		 const struct proc *p);
/* Before a new table and generation go in: every verdict ends, and none
 * is given until ahead_renew(). */
void ahead_clear(struct ahead *a);
/* They are in force: every live process's verdict is given anew. */
void ahead_renew(struct ahead *a, const struct rules *rs, struct nft *n);
/* hone.ko passed the first packet pkt of socket cookie by the verdict
 * that set ctmark, and honefw's judgement of it would have saved mark (0:
 * none): true if that verdict was stale, then taken back from the
 * connection (its next packet is queued and judged) and p's (the owner,
 * NULL if none is known) given anew. */
bool ahead_passed(struct ahead *a, const struct rules *rs, struct nft *n,
		  uint64_t cookie, const struct rules_pkt *pkt,
		  const struct proc *p, uint32_t ctmark, uint32_t mark);
void ahead_stats(const struct ahead *a, struct ahead_stats *st);

#endif /* HONE_AHEAD_H */
