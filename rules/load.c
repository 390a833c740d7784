// SPDX-License-Identifier: GPL-2.0
/* Loading a rule set: the files rules_read() gives parsed in their order;
 * checks across files; diagnostics; the rule set's accessors. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_priv.h"

void load_say(struct load *ld, const char *file, unsigned line, bool warning,
	      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!warning && ++ld->errors > RULES_MAX_ERRORS) {
		if (ld->errors == RULES_MAX_ERRORS + 1 && ld->report)
			ld->report(ld->ctx, file, line, false,
				   "too many errors, not reporting the rest");
		return;
	}
	if (!ld->report)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ld->report(ld->ctx, file, line, warning, msg);
}

/* The name rules point to, kept for the rule set's lifetime. */
static const char *file_intern(struct rules *rs, const char *name)
{
	char **v = realloc(rs->files, (rs->nfiles + 1) * sizeof(*v));

	if (!v)
		return NULL;
	rs->files = v;
	v[rs->nfiles] = strdup(name);
	return v[rs->nfiles] ? v[rs->nfiles++] : NULL;
}

static int by_name(const void *a, const void *b)
{
	const struct rule *x = *(struct rule *const *)a;
	const struct rule *y = *(struct rule *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Rule names are how logs and --explain name a rule: unique across files.
 * Sorting keeps 100,000 rules fast. */
static int check_names(struct load *ld)
{
	struct rules *rs = ld->rs;
	struct rule **v;
	size_t i;

	if (rs->n < 2)
		return 0;
	v = malloc(rs->n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v, rs->rule, rs->n * sizeof(*v));
	qsort(v, rs->n, sizeof(*v), by_name);
	for (i = 1; i < rs->n; i++)
		if (!strcmp(v[i - 1]->name, v[i]->name))
			load_say(ld, v[i]->file, v[i]->line, false,
				 "[%s]: expected a new rule name, already used at %s:%u",
				 v[i]->name, v[i - 1]->file, v[i - 1]->line);
	free(v);
	return 0;
}

/* A rule with nothing but an action takes every packet: what follows it
 * is dead, which is surely not what its author meant. Said once. */
static void check_reachable(struct load *ld)
{
	const struct rule *r, *all;
	size_t i;

	for (i = 0; i + 1 < ld->rs->n; i++) {
		all = ld->rs->rule[i];
		if (all->keys & ~KEYS_ACTION)
			continue;
		r = ld->rs->rule[i + 1];
		load_say(ld, r->file, r->line, true, "the rules from [%s] on (%zu) are "
			 "never reached: [%s] at %s:%u takes every packet",
			 r->name, ld->rs->n - i - 1, all->name, all->file, all->line);
		return;
	}
}

/* A redirect to one of honefw's own queues would come back to it, and be
 * redirected again, for ever. */
static void check_redirects(struct load *ld)
{
	unsigned q = ld->rs->g.queue;
	const struct rule *r;
	size_t i;

	for (i = 0; i < ld->rs->n; i++) {
		r = ld->rs->rule[i];
		if (r->v.action == RULES_REDIRECT_QUEUE && r->v.queue >= q &&
		    r->v.queue < q + RULES_QUEUES)
			load_say(ld, r->file, r->line, false, "[%s]: expected "
				 "a queue not honefw's own (%u-%u): queue:%u",
				 r->name, q, q + RULES_QUEUES - 1, r->v.queue);
	}
}

/* Does b do what a does to a packet besides its action: the same redirect
 * target or DSCP? */
static bool same_effect(const struct rules_verdict *a,
			const struct rules_verdict *b)
{
	if (a->action == RULES_REDIRECT_ADDR)
		return b->action == a->action && b->family == a->family &&
		       b->port == a->port &&
		       !memcmp(b->addr, a->addr, sizeof(a->addr));
	return b->has_dscp && b->dscp == a->dscp;
}

/* RULES_EFFECTS_MAX: said at the rule that brings one too many. */
static void check_effects(struct load *ld)
{
	const struct rules_verdict *e[RULES_EFFECTS_MAX], *v;
	size_t i, j, n = 0;

	for (i = 0; i < ld->rs->n; i++) {
		v = &ld->rs->rule[i]->v;
		if (v->action != RULES_REDIRECT_ADDR && !v->has_dscp)
			continue;
		for (j = 0; j < n && !same_effect(e[j], v); j++)
			;
		if (j < n)
			continue;
		if (n == RULES_EFFECTS_MAX) {
			load_say(ld, ld->rs->rule[i]->file, ld->rs->rule[i]->line,
				 false, "[%s]: expected at most %d distinct "
				 "redirect targets and dscp values in the rule set",
				 ld->rs->rule[i]->name, RULES_EFFECTS_MAX);
			return;
		}
		e[n++] = v;
	}
}

/* The defaults: unknown is default's, kernel is unknown's, so that a file
 * written before either existed means what it meant. And what an
 * allowlist most likely did not mean. */
static void check_global(struct load *ld)
{
	struct rules_global *g = &ld->rs->g;

	if (!ld->global_line[G_UNKNOWN])
		g->unknown = g->def;
	if (!ld->global_line[G_KERNEL])
		g->kernel = g->unknown;
	if (g->def == RULES_DROP && ld->global_line[G_UNKNOWN] &&
	    g->unknown == RULES_ACCEPT)
		load_say(ld, ld->global_file, ld->global_line[G_UNKNOWN], true,
			 "unknown = accept lets through every packet whose process "
			 "is not known, e.g. of a process that exits right after "
			 "sending: an allowlist is open to them (kernel = accept "
			 "passes the kernel's own packets)");
}

/* [ipfix] without a collector names nowhere to send. */
static void check_ipfix(struct load *ld)
{
	const char *why;

	if (ld->ipfix_file && ipfix_finish(&ld->rs->ipfix, &why) < 0)
		load_say(ld, ld->ipfix_file, ld->ipfix_line, false,
			 "[ipfix]: expected %s", why);
}

static int load_finish(struct load *ld, struct rules **out)
{
	struct rules *rs = ld->rs;
	size_t i;
	int ret;

	ret = check_names(ld);
	if (!ret) {
		check_reachable(ld);
		check_effects(ld);
		check_redirects(ld);
		check_ipfix(ld);
	}
	if (!ret && ld->errors)
		ret = -EINVAL;
	check_global(ld);
	for (i = 0; !ret && i < rs->n; i++) {
		rs->rule[i]->idx = i;
		if (rs->rule[i]->log < 0)
			rs->rule[i]->v.log = rs->g.log;
		else
			rs->rule[i]->v.log = rs->rule[i]->log;
		rs->need_sha256 |= !!rs->rule[i]->nsha256;
		rs->need_host |= !!rs->rule[i]->host.n;
	}
	if (!ret)
		ret = index_build(rs);
	for (i = 0; !ret && i < rs->n; i++) {
		const struct rule *r = rs->rule[i], *by = index_shadow(rs, r);

		if (by)
			load_say(ld, r->file, r->line, true, "[%s] is never reached: "
				 "[%s] at %s:%u takes every packet of its executables",
				 r->name, by->name, by->file, by->line);
	}
	if (ret) {
		rules_free(rs);
		return ret;
	}
	*out = rs;
	return 0;
}

static int load_init(struct load *ld, rules_report_fn report, void *ctx)
{
	*ld = (struct load){ .report = report, .ctx = ctx };
	ld->rs = calloc(1, sizeof(*ld->rs));
	if (!ld->rs)
		return -ENOMEM;
	ld->rs->g = (struct rules_global){
		.def = RULES_ACCEPT, .failmode = RULES_FAIL_OPEN,
	};
	return 0;
}

static int parse_file(struct load *ld, const struct rules_file *f)
{
	const char *file = file_intern(ld->rs, f->name);

	return file ? parse_buffer(ld, file, f->main_file, f->buf, f->len) :
		      -ENOMEM;
}

/* resolve: the files are this host's, read from its disk. */
static int parse_files(const struct rules_file *files, size_t n,
		       unsigned errors, bool resolve, rules_report_fn report,
		       void *ctx, struct rules **out)
{
	struct load ld;
	size_t i;
	int ret;

	*out = NULL;
	ret = load_init(&ld, report, ctx);
	if (ret)
		return ret;
	ld.errors = errors;
	for (i = 0; !ret && i < n; i++)
		ret = parse_file(&ld, &files[i]);
	if (!ret && resolve)
		ret = paths_resolve(&ld);
	if (ret) {
		rules_free(ld.rs);
		return ret;
	}
	return load_finish(&ld, out);
}

int rules_parse(const struct rules_file *files, size_t n, unsigned errors,
		rules_report_fn report, void *ctx, struct rules **out)
{
	return parse_files(files, n, errors, true, report, ctx, out);
}

int rules_load_buffer(const char *name, const char *buf, size_t len,
		      rules_report_fn report, void *ctx, struct rules **out)
{
	const struct rules_file f = {
		.name = name, .main_file = true, .buf = buf, .len = len,
	};

	return parse_files(&f, 1, 0, false, report, ctx, out);
}

/* What rules_load() keeps of each file rules_read() gives: its own copy,
 * since the reader frees its buffers. */
struct file_list {
	struct rules_file *v;
	size_t n;
};

static int file_keep(void *ctx, const struct rules_file *f)
{
	struct file_list *l = ctx;
	struct rules_file *v = realloc(l->v, (l->n + 1) * sizeof(*v));
	char *name, *buf;

	if (!v)
		return -ENOMEM;
	l->v = v;
	name = strdup(f->name);
	buf = malloc(f->len + 1);	/* malloc(0) may be NULL */
	if (!name || !buf) {
		free(name);
		free(buf);
		return -ENOMEM;
	}
	memcpy(buf, f->buf, f->len);
	v[l->n++] = (struct rules_file){
		.name = name, .main_file = f->main_file, .buf = buf, .len = f->len,
	};
	return 0;
}

static void file_list_free(struct file_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free((char *)l->v[i].name);
		free((char *)l->v[i].buf);
	}
	free(l->v);
}

/* As honefw will do it across two processes, in one. */
int rules_load(const char *path, unsigned flags, rules_report_fn report,
	       void *ctx, struct rules **out)
{
	struct file_list l = { 0 };
	unsigned errors;
	int ret;

	*out = NULL;
	ret = rules_read(path, flags, report, ctx, file_keep, &l, &errors);
	if (!ret)
		ret = rules_parse(l.v, l.n, errors, report, ctx, out);
	file_list_free(&l);
	return ret;
}

void rules_free(struct rules *rs)
{
	size_t i;

	if (!rs)
		return;
	index_free(&rs->index);
	ipfix_free(&rs->ipfix);
	for (i = 0; i < rs->n; i++)
		rule_free(rs->rule[i]);
	for (i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->files);
	free(rs->rule);
	free(rs);
}

const struct rules_global *rules_global(const struct rules *rs)
{
	return &rs->g;
}

const struct rules_ipfix *rules_ipfix(const struct rules *rs)
{
	return &rs->ipfix;
}

size_t rules_count(const struct rules *rs)
{
	return rs->n;
}

const struct rules_verdict *rules_verdict_nth(const struct rules *rs, size_t i)
{
	return &rs->rule[i]->v;
}

bool rules_need_sha256(const struct rules *rs)
{
	return rs->need_sha256;
}

bool rules_need_host(const struct rules *rs)
{
	return rs->need_host;
}

const char *rule_name(const struct rule *r)
{
	return r->name;
}

const char *rule_file(const struct rule *r)
{
	return r->file;
}

unsigned rule_line(const struct rule *r)
{
	return r->line;
}

size_t rule_index(const struct rule *r)
{
	return r->idx;
}

const char *rules_action_name(enum rules_action a)
{
	switch (a) {
	case RULES_ACCEPT:
		return "accept";
	case RULES_DROP:
		return "drop";
	case RULES_REJECT:
		return "reject";
	case RULES_REDIRECT_QUEUE:
	case RULES_REDIRECT_ADDR:
		return "redirect";
	}
	return "?";
}
