// SPDX-License-Identifier: GPL-2.0
/*
 * honefw --replay and --diff: judge recorded captures (replay.c) with the
 * matcher the daemon uses, and tell per application, user and rule what
 * was accepted, dropped, rejected, marked and redirected (packets and
 * connections); with --diff, only the connections and packets another
 * rule set judges otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "honefw.h"
#include "htab.h"
#include "list.h"
#include "log.h"
#include "replay.h"
#include "report.h"

enum { ACCEPTED, DROPPED, REJECTED, MARKED, REDIRECTED, NVERDICTS };

static const char *const verdict_names[NVERDICTS] = {
	"accepted", "dropped", "rejected", "marked", "redirected",
};

/* One application, user and deciding rule. */
struct row {
	struct hnode node;
	struct list link;		/* in first-seen order */
	const char *exe, *user;		/* in text */
	const struct rule *rule;
	const char *name;		/* the rule's, or the fallback's */
	uint64_t packets[NVERDICTS], conns[NVERDICTS];
	char text[];
};

/* A connection of the capture being read: the rows it has been counted
 * in (rarely more than one: per-packet rules), or, for --diff, how its
 * verdicts changed. */
struct cseen {
	struct hnode node;		/* cookie */
	struct list link;
	const struct row *row;
	unsigned counted;		/* 1 << verdict */
	struct cseen *more;		/* the same connection in another row */
	/* --diff */
	struct rules_pkt first;
	char *exe, *user;
	uint32_t pid;
	uint64_t packets, changed;
	struct rules_verdict old, now;
};

struct tally {
	const struct honefw_opts *o;
	const struct rules *rs, *old;
	struct htab rows, conns;
	struct list row_list, conn_list;
	uint64_t nconns, changed_conns, changed_packets;
	const char *file;		/* connections are per capture */
	int err;			/* -ENOMEM, said once */
};

static void oom(struct tally *t)
{
	if (!t->err)
		log_warnx("out of memory: counts are short");
	t->err = -ENOMEM;
}

static struct row *row_of(struct tally *t, const char *exe, const char *user,
			  const struct rule *rule, const char *name)
{
	uint64_t key = htab_str(htab_str(htab_str(HTAB_SEED, exe), user), name) ^
		       (uintptr_t)rule;
	struct hnode *n;
	struct row *r;

	for (n = htab_find(&t->rows, key); n; n = htab_find_next(n)) {
		r = htab_entry(n, struct row, node);
		if (r->rule == rule && r->name == name &&
		    !strcmp(r->exe, exe) && !strcmp(r->user, user))
			return r;
	}
	r = calloc(1, sizeof(*r) + strlen(exe) + strlen(user) + 2);
	if (!r) {
		oom(t);
		return NULL;
	}
	r->exe = strcpy(r->text, exe);
	r->user = strcpy(r->text + strlen(exe) + 1, user);
	r->rule = rule;
	r->name = name;
	r->node.key = key;
	htab_insert(&t->rows, &r->node);
	list_add_tail(&t->row_list, &r->link);
	return r;
}

static struct cseen *conn_of(struct tally *t, uint64_t cookie)
{
	struct hnode *n = htab_find(&t->conns, cookie);
	struct cseen *c;

	if (n)
		return htab_entry(n, struct cseen, node);
	c = calloc(1, sizeof(*c));
	if (!c) {
		oom(t);
		return NULL;
	}
	c->node.key = cookie;
	htab_insert(&t->conns, &c->node);
	list_add_tail(&t->conn_list, &c->link);
	t->nconns++;
	return c;
}

/* The connection's entry for row r: the first, or one chained to it. */
static struct cseen *conn_in_row(struct tally *t, struct cseen *c,
				 const struct row *r)
{
	struct cseen *m;

	if (!c->row)
		c->row = r;
	for (m = c; m; m = m->more)
		if (m->row == r)
			return m;
	m = calloc(1, sizeof(*m));
	if (!m) {
		oom(t);
		return NULL;
	}
	m->row = r;
	m->more = c->more;
	c->more = m;
	return m;
}

static unsigned verdicts_of(const struct rules_verdict *v)
{
	unsigned m = v->has_mark ? 1u << MARKED : 0;

	switch (v->action) {
	case RULES_ACCEPT:
		return m | 1u << ACCEPTED;
	case RULES_DROP:
		return m | 1u << DROPPED;
	case RULES_REJECT:
		return m | 1u << REJECTED;
	default:
		return m | 1u << REDIRECTED;
	}
}

static void count(struct tally *t, const struct replay_pkt *p,
		  const struct rules_verdict *v)
{
	char eb[4352], ub[16];
	unsigned vs = verdicts_of(v), i;
	struct cseen *c;
	struct row *r;

	r = row_of(t, report_exe(p->proc, eb, sizeof(eb)),
		   report_user(p->proc, ub, sizeof(ub)), v->rule,
		   p->parsed ? report_rule(v, &p->pkt, p->proc) : "unparsable");
	if (!r)
		return;
	c = p->cookie ? conn_of(t, p->cookie) : NULL;
	c = c ? conn_in_row(t, c, r) : NULL;
	for (i = 0; i < NVERDICTS; i++) {
		if (!(vs & 1u << i))
			continue;
		r->packets[i]++;
		if (c && !(c->counted & 1u << i))
			r->conns[i]++;
	}
	if (c)
		c->counted |= vs;
}

/* has_proc and pkt: which fallback decided, if no rule did. */
static void say_verdict(FILE *f, const char *what,
			const struct rules_verdict *v,
			const struct rules_pkt *pkt, bool has_proc, bool json)
{
	char at[4200];

	if (json) {
		fprintf(f, "\"%s\":{\"verdict\":\"%s\",\"mark\":%u,\"rule\":",
			what, rules_action_name(v->action), v->mark);
		report_json_str(f, report_rule(v, pkt, has_proc));
		fputs(",\"at\":", f);
		report_json_str(f, report_at(v->rule, at, sizeof(at)));
		putc('}', f);
		return;
	}
	fprintf(f, "%s%s %s at %s", rules_action_name(v->action),
		v->has_mark ? " mark" : "", report_rule(v, pkt, has_proc),
		report_at(v->rule, at, sizeof(at)));
}

/* One packet, as --explain tells it. */
static void explain(const struct tally *t, const struct replay_pkt *p,
		    const struct rules_verdict *v, const struct rules_verdict *old)
{
	char l[64], r[64], pb[16], eb[4352], ub[16], why[1024];
	const struct rules_pkt *k = &p->pkt;
	bool json = t->o->json;

	rules_explain(v->rule, k, p->proc ? &p->proc->view : NULL, why,
		      sizeof(why));
	if (!p->parsed)
		snprintf(why, sizeof(why), "unparsable: default");
	report_endpoint(k->family, k->local, k->lport, l, sizeof(l));
	report_endpoint(k->family, k->remote, k->rport, r, sizeof(r));
	if (json) {
		printf("{\"packet\":{\"file\":");
		report_json_str(stdout, p->file);
		printf(",\"offset\":%" PRIu64 ",\"dir\":\"%s\",\"proto\":\"%s\","
		       "\"local\":\"%s\",\"remote\":\"%s\",\"nth\":%" PRIu64
		       ",\"pid\":%u,\"exe\":", p->offset,
		       k->dir == RULES_DIR_IN ? "in" : "out",
		       report_proto(k->proto, pb, sizeof(pb)), l, r, k->nth,
		       p->proc ? p->proc->view.pid : 0);
		report_json_str(stdout, report_exe(p->proc, eb, sizeof(eb)));
		printf(",\"user\":");
		report_json_str(stdout, report_user(p->proc, ub, sizeof(ub)));
		putchar(',');
		if (old) {
			say_verdict(stdout, "old", old, k, p->proc, true);
			putchar(',');
		}
		say_verdict(stdout, old ? "new" : "judged", v, k, p->proc,
			    true);
		printf(",\"why\":");
		report_json_str(stdout, why);
		printf("}}\n");
		return;
	}
	printf("%s:%" PRIu64 ": %s %s %s %s %s nth=%" PRIu64 " pid=%u exe=%s "
	       "user=%s: ", p->file, p->offset,
	       k->dir == RULES_DIR_IN ? "in" : "out",
	       report_proto(k->proto, pb, sizeof(pb)), l,
	       k->dir == RULES_DIR_IN ? "<-" : "->", r, k->nth,
	       p->proc ? p->proc->view.pid : 0,
	       report_exe(p->proc, eb, sizeof(eb)),
	       report_user(p->proc, ub, sizeof(ub)));
	if (old) {
		say_verdict(stdout, "old", old, k, p->proc, false);
		fputs(" -> ", stdout);
	}
	say_verdict(stdout, "new", v, k, p->proc, false);
	printf(" (%s)\n", why);
}

static void judge(const struct rules *rs, const struct replay_pkt *p,
		  struct rules_verdict *v)
{
	if (p->parsed) {
		rules_match(rs, &p->pkt, p->proc ? &p->proc->view : NULL, v);
		return;
	}
	/* As the daemon: what cannot be parsed gets the default, alone. */
	*v = (struct rules_verdict){ .action = rules_global(rs)->def };
}

static void on_replay(void *ctx, const struct replay_pkt *p)
{
	struct tally *t = ctx;
	struct rules_verdict v;

	judge(t->rs, p, &v);
	count(t, p, &v);
	if (t->o->explain)
		explain(t, p, &v, NULL);
}

static bool same(const struct rules_verdict *a, const struct rules_verdict *b)
{
	return a->action == b->action && a->has_mark == b->has_mark &&
	       a->mark == b->mark && a->queue == b->queue &&
	       a->port == b->port && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static void on_diff(void *ctx, const struct replay_pkt *p)
{
	struct tally *t = ctx;
	struct rules_verdict v, old;
	char eb[4352], ub[16];
	struct cseen *c;

	judge(t->rs, p, &v);
	judge(t->old, p, &old);
	c = p->cookie ? conn_of(t, p->cookie) : NULL;
	if (c && !c->packets++) {
		c->first = p->pkt;
		c->pid = p->proc ? p->proc->view.pid : 0;
		c->exe = strdup(report_exe(p->proc, eb, sizeof(eb)));
		c->user = strdup(report_user(p->proc, ub, sizeof(ub)));
		if (!c->exe || !c->user)
			oom(t);
	}
	if (same(&v, &old))
		return;
	t->changed_packets++;
	if (c && !c->changed++) {
		t->changed_conns++;
		c->old = old;
		c->now = v;
	}
	/* A packet of no connection is told alone; a connection's, with
	 * --explain, each. */
	if (!c || t->o->explain)
		explain(t, p, &v, &old);
}

static void say_conn(const struct tally *t, const struct cseen *c)
{
	char l[64], r[64], pb[16];
	const struct rules_pkt *k = &c->first;

	report_endpoint(k->family, k->local, k->lport, l, sizeof(l));
	report_endpoint(k->family, k->remote, k->rport, r, sizeof(r));
	if (t->o->json) {
		printf("{\"conn\":{\"cookie\":%" PRIu64 ",\"dir\":\"%s\","
		       "\"proto\":\"%s\",\"local\":\"%s\",\"remote\":\"%s\","
		       "\"pid\":%u,\"exe\":", c->node.key,
		       k->dir == RULES_DIR_IN ? "in" : "out",
		       report_proto(k->proto, pb, sizeof(pb)), l, r, c->pid);
		report_json_str(stdout, c->exe ? c->exe : "?");
		printf(",\"user\":");
		report_json_str(stdout, c->user ? c->user : "?");
		printf(",\"packets\":%" PRIu64 ",\"changed\":%" PRIu64 ",",
		       c->packets, c->changed);
		say_verdict(stdout, "old", &c->old, k, c->pid, true);
		putchar(',');
		say_verdict(stdout, "new", &c->now, k, c->pid, true);
		printf("}}\n");
		return;
	}
	printf("conn %" PRIu64 " %s %s %s %s %s pid=%u exe=%s user=%s: %" PRIu64
	       " of %" PRIu64 " packets: ", c->node.key,
	       k->dir == RULES_DIR_IN ? "in" : "out",
	       report_proto(k->proto, pb, sizeof(pb)), l,
	       k->dir == RULES_DIR_IN ? "<-" : "->", r, c->pid,
	       c->exe ? c->exe : "?", c->user ? c->user : "?", c->changed,
	       c->packets);
	say_verdict(stdout, "old", &c->old, k, c->pid, false);
	fputs(" -> ", stdout);
	say_verdict(stdout, "new", &c->now, k, c->pid, false);
	putchar('\n');
}

static void say_row(const struct tally *t, const struct row *r)
{
	char at[4200];
	unsigned i;

	if (t->o->json) {
		printf("{\"exe\":");
		report_json_str(stdout, r->exe);
		printf(",\"user\":");
		report_json_str(stdout, r->user);
		printf(",\"rule\":");
		report_json_str(stdout, r->name);
		printf(",\"at\":");
		report_json_str(stdout, report_at(r->rule, at, sizeof(at)));
		for (i = 0; i < NVERDICTS; i++)
			printf(",\"%s\":{\"packets\":%" PRIu64 ",\"connections\":%"
			       PRIu64 "}", verdict_names[i], r->packets[i],
			       r->conns[i]);
		printf("}\n");
		return;
	}
	printf("%s\t%s\t%s\t%s", r->exe, r->user, r->name,
	       report_at(r->rule, at, sizeof(at)));
	for (i = 0; i < NVERDICTS; i++)
		printf("\t%" PRIu64 "/%" PRIu64, r->packets[i], r->conns[i]);
	putchar('\n');
}

static void summary(const struct tally *t, const struct replay_stats *st,
		    bool diff)
{
	const char *fmt = t->o->json ?
		"{\"summary\":{\"captures\":%" PRIu64 ",\"packets\":%" PRIu64
		",\"unparsable\":%" PRIu64 ",\"connections\":%" PRIu64 "%s" :
		"%s%" PRIu64 " captures, %" PRIu64 " packets (%" PRIu64
		" unparsable), %" PRIu64 " connections";

	if (t->o->json)
		printf(fmt, st->files, st->packets, st->unparsable, t->nconns,
		       "");
	else
		printf(fmt, diff ? "diff: " : "replay: ", st->files,
		       st->packets, st->unparsable, t->nconns);
	if (diff)
		printf(t->o->json ? ",\"changed_packets\":%" PRIu64
		       ",\"changed_connections\":%" PRIu64 :
		       "; changed: %" PRIu64 " packets, %" PRIu64
		       " connections", t->changed_packets, t->changed_conns);
	printf(t->o->json ? "}}\n" : "\n");
}

static void free_conn(struct hnode *n)
{
	struct cseen *c = htab_entry(n, struct cseen, node), *m;

	while ((m = c->more)) {
		c->more = m->more;
		free(m);
	}
	list_del(&c->link);
	free(c->exe);
	free(c->user);
	free(c);
}

static void free_row(struct hnode *n)
{
	free(htab_entry(n, struct row, node));
}

static void report(void *ctx, const char *file, unsigned line, bool warning,
		   const char *msg)
{
	(void)ctx;
	log_warnx("%s:%u: %s%s", file, line, warning ? "warning: " : "", msg);
}

/* The rules as written: replay enforces nothing, so they need not be
 * root's (a copy on another machine will do). */
static int load(const char *path, struct rules **out)
{
	int ret = rules_load(path, RULES_LOAD_NO_OWNER_CHECK, report, NULL,
			     out);

	if (ret < 0)
		log_warnx("%s: not loaded: %s", path, ret == -EINVAL ?
			  "errors above" : strerror(-ret));
	else if (rules_need_sha256(*out))
		log_warnx("%s: sha256 keys match nothing in a replay: a "
			  "capture holds no digests", path);
	return ret;
}

int replay_main(const struct honefw_opts *o, char *const files[], int n)
{
	struct tally t = { .o = o };
	struct rules *rs = NULL, *old = NULL;
	struct replay_stats st = { 0 };
	char err[512];
	const struct row *r;
	const struct list *l;
	int i, broken = 0;

	if (load(o->config, &rs) < 0 || (o->diff && load(o->diff, &old) < 0))
		goto out;
	t.rs = rs;
	t.old = old;
	if (htab_init(&t.rows, 256) || htab_init(&t.conns, 1024))
		fatalx("out of memory");
	list_init(&t.row_list);
	list_init(&t.conn_list);
	for (i = 0; i < n; i++) {
		if (replay_file(files[i], o->diff ? on_diff : on_replay, &t,
				&st, err, sizeof(err)) < 0) {
			log_warnx("%s; what was read before is counted", err);
			broken++;
		}
		/* Cookies are per boot: each capture has its own. */
		for (l = t.conn_list.next; l != &t.conn_list; l = l->next)
			if (list_entry(l, struct cseen, link)->changed)
				say_conn(&t, list_entry(l, struct cseen, link));
		htab_clear(&t.conns, free_conn);
	}
	fflush(stdout);
	if (!o->json && !o->diff)
		printf("EXE\tUSER\tRULE\tAT\tACCEPTED\tDROPPED\tREJECTED\t"
		       "MARKED\tREDIRECTED\t(packets/connections)\n");
	for (l = t.row_list.next; !o->diff && l != &t.row_list; l = l->next) {
		r = list_entry(l, struct row, link);
		say_row(&t, r);
	}
	summary(&t, &st, o->diff);
	htab_clear(&t.rows, free_row);
	htab_free(&t.conns);
	htab_free(&t.rows);
out:
	rules_free(old);
	rules_free(rs);
	if (!rs || (o->diff && !old) || broken || t.err)
		return 2;
	return o->diff && t.changed_packets;
}
