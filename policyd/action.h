/* SPDX-License-Identifier: GPL-2.0 */
/* A rule's verdict -> what the queue answers and the mark the packet gets. */
#ifndef HONE_ACTION_H
#define HONE_ACTION_H

#include <stdbool.h>
#include <stdint.h>

#include "rules.h"

struct nft;

struct action {
	uint32_t verdict;	/* NF_ACCEPT, NF_DROP, NF_QUEUE_NR(n) | bypass */
	bool has_mark;
	uint32_t mark;		/* the packet's whole new mark */
};

/* mark: the packet's mark when queued. Redirects to ADDR:PORT get their
 * DNAT rule from n on first use. */
int action_of(struct nft *n, const struct rules_verdict *v, uint8_t dir,
	      uint32_t mark, struct action *a);

#endif /* HONE_ACTION_H */
