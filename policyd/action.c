// SPDX-License-Identifier: GPL-2.0
/*
 * Verdicts become a queue verdict plus honefw's bits in the packet mark
 * (nft.h). A connection-wide verdict carries HONE_MARK_FLOW: the table saves
 * the mark to the ct mark and later packets of the connection never reach
 * the queue. Drop, reject and redirect are done by the table's later chains
 * so that they, too, can hold for the whole connection, and so is setting
 * the DSCP of what the host sends.
 */
#include <errno.h>
#include <linux/netfilter.h>

#include "action.h"
#include "nft.h"

int action_of(struct nft *n, const struct rules_verdict *v, uint8_t dir,
	      uint32_t mark, struct action *a)
{
	/* honefw owns the top byte; the rest is the packet's QoS mark. */
	uint32_t m = mark & HONE_MARK_USER;
	int idx;

	if (v->has_mark)
		m = (m & ~HONE_MARK_USER) | (v->mark & HONE_MARK_USER);
	if (!v->per_packet)
		m |= nft_flow_bits(n);
	a->verdict = NF_ACCEPT;
	switch (v->action) {
	case RULES_ACCEPT:
		idx = nft_effect(n, v);
		if (idx < 0)
			return idx;
		m |= (uint32_t)idx << HONE_MARK_EFFECT_SHIFT;
		break;
	case RULES_DROP:
		if (v->per_packet) {
			a->verdict = NF_DROP;
			a->has_mark = false;
			return 0;
		}
		m |= HONE_MARK_DROP;
		break;
	case RULES_REJECT:
		m |= HONE_MARK_REJECT;
		break;
	case RULES_REDIRECT_QUEUE:
		/* Every packet goes to the other consumer: never offloaded. */
		m &= ~(HONE_MARK_FLOW | HONE_MARK_GEN);
		a->verdict = NF_QUEUE_NR(v->queue) | NF_VERDICT_FLAG_QUEUE_BYPASS;
		break;
	case RULES_REDIRECT_ADDR:
		/* DNAT at output binds the whole connection; incoming
		 * packets are already at their local socket. */
		if (dir != RULES_DIR_OUT)
			break;
		idx = nft_effect(n, v);
		if (idx < 0)
			return idx;
		m |= (uint32_t)idx << HONE_MARK_EFFECT_SHIFT | nft_flow_bits(n);
		break;
	default:
		return -EINVAL;
	}
	a->has_mark = m != mark;
	a->mark = m;
	return 0;
}
