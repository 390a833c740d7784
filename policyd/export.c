// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ctacct.h"
#include "export.h"
#include "flow.h"
#include "htab.h"
#include "list.h"
#include "log.h"
#include "sensor.h"

#define XCONN_MAX	(1U << 18)	/* as many as conntrack holds */
#define PEDIGREE_MAX	512

struct xconn {
	struct hnode node;	/* by flow_tuple() hash */
	struct list link;	/* by when due, the soonest first */
	struct rules_pkt t;	/* flow_tuple() */
	bool egress;		/* this host opened it */
	bool asked;		/* counts asked for, no answer yet */
	uint64_t start_ms, due_ms;
	uint64_t packets[2], bytes[2];	/* as far as already exported */
	struct ipfix_ids who;
	char *exe, *user, *pedigree, *rule;
	const char *verdict;
	uint8_t sha256[32];
	bool has_sha256;
};

struct exporter {
	struct rules_ipfix conf;
	struct ipfix *ipfix;
	struct ctacct *ct;
	struct htab h;
	struct list due;
	uint64_t now_ms;
	uint64_t untracked, unseen;
};

static uint64_t realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* t: a flow_tuple() of hash h. */
static struct xconn *find(const struct exporter *e, const struct rules_pkt *t,
			  uint64_t h)
{
	struct hnode *n = htab_find(&e->h, h);
	struct xconn *x;

	for (; n; n = htab_find_next(n)) {
		x = htab_entry(n, struct xconn, node);
		if (!memcmp(&x->t, t, sizeof(*t)))
			return x;
	}
	return NULL;
}

static struct xconn *lookup(const struct exporter *e,
			    const struct rules_pkt *pkt)
{
	struct rules_pkt t;
	uint64_t h = flow_tuple(pkt, &t);

	return find(e, &t, h);
}

static void xconn_free(struct xconn *x)
{
	free(x->exe);
	free(x->user);
	free(x->pedigree);
	free(x->rule);
	free(x);
}

static void forget(struct exporter *e, struct xconn *x)
{
	htab_remove(&e->h, &x->node);
	list_del(&x->link);
	xconn_free(x);
}

/* The parents' executables, nearest first: "/bin/sh < /usr/sbin/sshd". */
static char *pedigree_of(const struct rules_proc *p)
{
	char buf[PEDIGREE_MAX];
	size_t len = 0;
	int n;

	buf[0] = '\0';
	for (p = p->parent; p && len < sizeof(buf); p = p->parent) {
		n = snprintf(buf + len, sizeof(buf) - len, "%s%s",
			     len ? " < " : "", p->exe ? p->exe : "?");
		if (n < 0)
			break;
		len += n;
	}
	return strdup(buf);
}

static int who_of(struct xconn *x, const struct proc *p)
{
	x->who = (struct ipfix_ids){
		.pid = p->view.pid, .ppid = p->view.ppid,
		.uid = p->view.uid, .gid = p->view.gid,
	};
	/* A foreign path is a claim, exported as the log shows it. */
	if ((p->exe && !(x->exe = strdup(p->exe))) ||
	    (p->user && !(x->user = strdup(p->user))) ||
	    !(x->pedigree = pedigree_of(&p->view)))
		return -ENOMEM;
	x->has_sha256 = p->has_sha256;
	memcpy(x->sha256, p->sha256, sizeof(x->sha256));
	return 0;
}

void export_judged(struct exporter *e, const struct rules_pkt *pkt,
		   const struct flow *f, const struct proc *proc,
		   const struct rules_verdict *v)
{
	struct xconn *x;

	/* The flow's tuple is hashed already: most packets stop here. */
	if (f ? find(e, &f->key, f->node.key) : lookup(e, pkt))
		return;
	if (e->h.n >= XCONN_MAX) {
		e->untracked++;
		return;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		goto err;
	x->node.key = flow_tuple(pkt, &x->t);
	x->egress = pkt->dir == RULES_DIR_OUT;
	x->start_ms = realtime_ms();
	x->due_ms = x->start_ms + e->conf.active_timeout * 1000ULL;
	x->verdict = rules_action_name(v->action);
	if ((v->rule && !(x->rule = strdup(rule_name(v->rule)))) ||
	    (proc && who_of(x, proc) < 0))
		goto err;
	htab_insert(&e->h, &x->node);
	list_add_tail(&e->due, &x->link);
	return;
err:
	if (x)
		xconn_free(x);
	e->untracked++;
}

/* conntrack's original direction, seen from this host: a tuple of ours. */
static struct xconn *of_entry(const struct exporter *e,
			      const struct ct_counts *n)
{
	struct rules_pkt t = n->orig;
	struct xconn *x = lookup(e, &t);

	if (x)
		return x;
	memcpy(t.local, n->orig.remote, sizeof(t.local));
	memcpy(t.remote, n->orig.local, sizeof(t.remote));
	t.lport = n->orig.rport;
	t.rport = n->orig.lport;
	return lookup(e, &t);
}

/* src is whoever opened it: conntrack's original direction. */
static void record(struct exporter *e, struct xconn *x,
		   const struct ct_counts *n, uint8_t reason)
{
	struct ipfix_flow f = {
		.family = n->orig.family, .proto = n->orig.proto,
		.sport = n->orig.lport, .dport = n->orig.rport,
		.n = {
			.packets = n->packets[0] - x->packets[0],
			.octets = n->bytes[0] - x->bytes[0],
			.rev_packets = n->packets[1] - x->packets[1],
			.rev_octets = n->bytes[1] - x->bytes[1],
		},
		.start_ms = x->start_ms, .end_ms = e->now_ms,
		.end_reason = reason, .egress = x->egress,
		.who = x->who,
		.exe = x->exe, .user = x->user, .pedigree = x->pedigree,
		.rule = x->rule ? x->rule : "default", .verdict = x->verdict,
		.sha256 = x->has_sha256 ? x->sha256 : NULL,
	};

	memcpy(f.src, n->orig.local, sizeof(f.src));
	memcpy(f.dst, n->orig.remote, sizeof(f.dst));
	ipfix_add(e->ipfix, &f, e->now_ms);
	memcpy(x->packets, n->packets, sizeof(x->packets));
	memcpy(x->bytes, n->bytes, sizeof(x->bytes));
}

static void on_counts(void *ctx, const struct ct_counts *n)
{
	struct exporter *e = ctx;
	struct xconn *x = of_entry(e, n);

	if (!x)
		return;
	if (!n->destroyed) {
		x->asked = false;
		record(e, x, n, IPFIX_END_ACTIVE);
		return;
	}
	/* conntrack ends TCP at its close, other protocols when idle. */
	record(e, x, n, n->orig.proto == IPPROTO_TCP ? IPFIX_END_FLOW :
	       IPFIX_END_IDLE);
	forget(e, x);
}

/* Long connections: ask for their counts once per active timeout. One
 * asked before and never answered has ended unseen. */
static void active_timeouts(struct exporter *e)
{
	struct xconn *x;

	while (!list_empty(&e->due)) {
		x = list_entry(e->due.next, struct xconn, link);
		if (x->due_ms > e->now_ms)
			break;
		if (x->asked) {
			e->unseen++;
			forget(e, x);
			continue;
		}
		ctacct_ask(e->ct, &x->t);
		x->asked = true;
		x->due_ms = e->now_ms + e->conf.active_timeout * 1000ULL;
		list_del(&x->link);
		list_add_tail(&e->due, &x->link);
	}
}

void export_run(struct exporter *e, bool tick, short out_revents)
{
	e->now_ms = realtime_ms();
	ctacct_drain(e->ct, on_counts, e);
	if (tick)
		active_timeouts(e);
	ipfix_flush(e->ipfix, e->now_ms, out_revents);
}

static struct ipfix_conf ipfix_conf_of(const struct rules_ipfix *c)
{
	return (struct ipfix_conf){
		.host = c->host, .port = c->port,
		.tcp = c->transport == RULES_TCP, .pen = c->pen,
	};
}

bool export_same(const struct exporter *e, const struct rules_ipfix *c)
{
	struct ipfix_conf ic = ipfix_conf_of(c);

	return ipfix_same(e->ipfix, &ic) &&
	       e->conf.active_timeout == c->active_timeout;
}

int export_open(const struct rules_ipfix *c, struct exporter **out)
{
	struct ipfix_conf ic = ipfix_conf_of(c);
	struct exporter *e;
	int ret;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->conf = (struct rules_ipfix){
		.transport = c->transport, .pen = c->pen,
		.active_timeout = c->active_timeout,
	};
	list_init(&e->due);
	ret = htab_init(&e->h, 1024);
	if (ret)
		goto err_free;
	ret = ctacct_open(&e->ct);
	if (ret)
		goto err_htab;
	ret = ipfix_open(&ic, realtime_ms(), &e->ipfix);
	if (ret)
		goto err_ct;
	*out = e;
	return 0;

err_ct:
	ctacct_close(e->ct);
err_htab:
	htab_free(&e->h);
err_free:
	free(e);
	return ret;
}

static void release(struct hnode *n)
{
	xconn_free(htab_entry(n, struct xconn, node));
}

void export_close(struct exporter *e)
{
	if (!e)
		return;
	ipfix_close(e->ipfix, realtime_ms());
	ctacct_close(e->ct);
	htab_clear(&e->h, release);
	htab_free(&e->h);
	free(e);
}

int export_ct_fd(const struct exporter *e)
{
	return ctacct_fd(e->ct);
}

int export_out_fd(const struct exporter *e)
{
	return ipfix_fd(e->ipfix);
}

short export_out_events(const struct exporter *e)
{
	return ipfix_events(e->ipfix);
}

void export_stats(const struct exporter *e, struct export_stats *st)
{
	ipfix_stats(e->ipfix, &st->ipfix);
	st->conns = e->h.n;
	st->untracked = e->untracked;
	st->unseen = e->unseen;
	st->lost = ctacct_lost(e->ct);
}
