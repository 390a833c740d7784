// SPDX-License-Identifier: GPL-2.0
/* honeread's table (nftlog.h), built with nftb.c. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "log.h"
#include "nftb.h"
#include "nftlog.h"

#define TABLE		"honeread"
#define PRIO_OUT	(-301)		/* NF_IP_PRI_RAW - 1, as hone.ko */
#define PRIO_IN		INT_MAX		/* NF_IP_PRI_LAST, as hone.ko */

struct nftlog {
	struct nftb nb;
};

static void log_chain(struct nftb_batch *bt, const char *name, uint32_t hook,
		      int32_t prio, uint16_t group)
{
	struct nftnl_rule *r;
	struct nftnl_expr *e;

	nftb_chain(bt, name, "filter", hook, prio);
	r = nftb_rule_new(bt, name);
	if ((e = nftb_expr(r, "log")))
		nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, group);
	nftb_rule(bt, r);
}

int nftlog_open(uint16_t group, struct nftlog **out)
{
	struct nftb_batch *bt;
	struct nftlog *t;
	int ret;

	t = calloc(1, sizeof(*t));
	bt = malloc(sizeof(*bt));
	if (!t || !bt) {
		ret = -ENOMEM;
		goto err_free;
	}
	if ((ret = nftb_open(&t->nb)) < 0)
		goto err_free;
	nftb_start(&t->nb, bt, TABLE);
	nftb_table_anew(bt);
	log_chain(bt, "out", NF_INET_LOCAL_OUT, PRIO_OUT, group);
	log_chain(bt, "in", NF_INET_LOCAL_IN, PRIO_IN, group);
	if ((ret = nftb_commit(&t->nb, bt)) < 0)
		goto err_close;
	free(bt);
	*out = t;
	return 0;

err_close:
	nftb_close(&t->nb);
err_free:
	free(bt);
	free(t);
	return ret;
}

void nftlog_close(struct nftlog *t)
{
	int ret;

	if (!t)
		return;
	if ((ret = nftb_remove(&t->nb, TABLE)) < 0)
		log_warnx("nftables: table inet " TABLE " not removed: %s",
			  strerror(-ret));
	nftb_close(&t->nb);
	free(t);
}
