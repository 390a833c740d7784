/* SPDX-License-Identifier: GPL-2.0 */
/* Between owner.c (lookups) and owner_event.c (the sensors' events). */
#ifndef HONE_OWNER_PRIV_H
#define HONE_OWNER_PRIV_H

#include "conntab.h"
#include "owner.h"
#include "proctab.h"

struct owners {
	struct proctab *procs;
	struct conntab *conns;
	struct flows *flows;
	uint32_t netns;		/* whose flow events are ours */
	uint64_t now;		/* of the run of events (owners_begin) */
	uint64_t lost;		/* the sensor's lost events, last seen */
	uint64_t events;	/* told since the last settle */
	uint64_t grace;		/* ns a closed connection is kept */
	uint64_t evicted;
	owners_find_fn find;
	void *find_ctx;
	owners_closed_fn closed;
	void *closed_ctx;
	owners_changed_fn change;
	void *change_ctx;
	struct list changed;	/* told at the run's end, each held */
	/* Processes whose parent was not known yet: linked when a run of
	 * events ends. Held, for a few runs at most (a parent lost with
	 * its events never comes). */
	struct orphan {
		struct pent *e;
		unsigned runs;
	} *orphans;
	size_t norphans, orphans_cap;
};

/* The live process with this pid, if it is the one that started then. */
static inline struct pent *owners_current(const struct owners *o,
					  uint32_t pid, uint64_t start)
{
	struct pent *e = proctab_find(o->procs, pid);

	if (!e || e->p.exited || (start && e->p.start && e->p.start != start))
		return NULL;
	return e;
}

#endif /* HONE_OWNER_PRIV_H */
