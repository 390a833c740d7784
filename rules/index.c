// SPDX-License-Identifier: GPL-2.0
/* The matcher's index: which rules a packet need be tried against. A rule
 * whose exe key names only exact paths is filed under each of them; else a
 * rule with a few exact remote ports under each port, else likewise local
 * ports; every other rule is in the rest. A packet's candidates are its
 * exe's bucket, its ports' buckets and the rest, each already in file
 * order, so that merging them keeps "first match in file order wins". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules_priv.h"

#define PORTS_INDEXED	64	/* more ports than this: not worth buckets */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

static uint64_t hash_port(uint32_t port)
{
	return (port + 1) * 0x9e3779b97f4a7c15ull >> 17;
}

static struct bucket *table_find(const struct table *t, const char *exe,
				 uint32_t port)
{
	size_t i;

	if (!t->b)
		return NULL;
	for (i = (exe ? hash_str(exe) : hash_port(port)) & t->mask;;
	     i = (i + 1) & t->mask) {
		struct bucket *b = &t->b[i];

		if (!b->idx)
			return b;
		if (exe ? !strcmp(b->exe, exe) : b->port == port)
			return b;
	}
}

static int table_init(struct table *t, size_t keys)
{
	size_t size = 16;

	while (size < 2 * keys)
		size *= 2;
	t->b = calloc(size, sizeof(*t->b));
	t->mask = size - 1;
	return t->b ? 0 : -ENOMEM;
}

static int table_add(struct table *t, const char *exe, uint32_t port,
		     uint32_t idx)
{
	struct bucket *b = table_find(t, exe, port);
	uint32_t *v;

	if (b->idx && b->idx[b->n - 1] == idx)
		return 0;	/* listed twice in one rule */
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 2;
		v = realloc(b->idx, b->cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		b->idx = v;
	}
	b->exe = exe;
	b->port = port;
	b->idx[b->n++] = idx;
	return 0;
}

static bool exe_indexable(const struct rule *r)
{
	size_t i;

	if (!(r->keys & (1u << K_EXE)))
		return false;
	for (i = 0; i < r->exe.n; i++)
		if (value_is_glob(r->exe.v[i]))
			return false;
	return true;
}

static bool ports_indexable(const struct rule *r, enum rule_key k,
			    const struct rangelist *l)
{
	uint64_t total = 0;
	size_t i;

	if (!(r->keys & (1u << k)))
		return false;
	for (i = 0; i < l->n; i++)
		total += l->v[i].hi - l->v[i].lo + 1;
	return total <= PORTS_INDEXED;
}

static int add_ports(struct table *t, const struct rangelist *l, uint32_t idx)
{
	uint64_t p;
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < l->n; i++)
		for (p = l->v[i].lo; !ret && p <= l->v[i].hi; p++)
			ret = table_add(t, NULL, p, idx);
	return ret;
}

static int index_rule(struct index *ix, const struct rule *r)
{
	size_t i;
	int ret = 0;

	if (exe_indexable(r)) {
		for (i = 0; !ret && i < r->exe.n; i++)
			ret = table_add(&ix->exe, r->exe.v[i], 0, r->idx);
		return ret;
	}
	if (ports_indexable(r, K_RPORT, &r->rport))
		return add_ports(&ix->rport, &r->rport, r->idx);
	if (ports_indexable(r, K_LPORT, &r->lport))
		return add_ports(&ix->lport, &r->lport, r->idx);
	ix->rest[ix->nrest++] = r->idx;
	return 0;
}

int index_build(struct rules *rs)
{
	struct index *ix = &rs->index;
	size_t i, exes = 0, ports = 0;
	int ret;

	for (i = 0; i < rs->n; i++) {
		exes += rs->rule[i]->exe.n;
		ports += PORTS_INDEXED;
	}
	ret = table_init(&ix->exe, exes);
	if (!ret)
		ret = table_init(&ix->rport, ports < 65536 ? ports : 65536);
	if (!ret)
		ret = table_init(&ix->lport, ports < 65536 ? ports : 65536);
	ix->rest = calloc(rs->n + 1, sizeof(*ix->rest));
	if (!ret && !ix->rest)
		ret = -ENOMEM;
	for (i = 0; !ret && i < rs->n; i++)
		ret = index_rule(ix, rs->rule[i]);
	return ret;
}

static void table_free(struct table *t)
{
	size_t i;

	for (i = 0; t->b && i <= t->mask; i++)
		free(t->b[i].idx);
	free(t->b);
}

void index_free(struct index *ix)
{
	table_free(&ix->exe);
	table_free(&ix->rport);
	table_free(&ix->lport);
	free(ix->rest);
}

/* An earlier rule with only exe (and action keys) that takes every
 * executable r names: r is never reached. Cheap, with the exe buckets. */
const struct rule *index_shadow(const struct rules *rs, const struct rule *r)
{
	const uint32_t exe_only = (1u << K_EXE) | KEYS_ACTION;
	const struct rule *by = NULL, *a;
	const struct bucket *b;
	size_t i, j;

	if (!exe_indexable(r))
		return NULL;
	for (i = 0; i < r->exe.n; i++) {
		b = table_find(&rs->index.exe, r->exe.v[i], 0);
		for (j = 0, a = NULL; b && b->idx && j < b->n && b->idx[j] < r->idx; j++)
			if (!(rs->rule[b->idx[j]]->keys & ~exe_only)) {
				a = rs->rule[b->idx[j]];
				break;
			}
		if (!a)
			return NULL;
		by = by && by->idx > a->idx ? by : a;
	}
	return by;
}

static void candidates_of(const struct table *t, const char *exe,
			  uint32_t port, const uint32_t **list, size_t *n)
{
	const struct bucket *b = table_find(t, exe, port);

	*list = b && b->idx ? b->idx : NULL;
	*n = b && b->idx ? b->n : 0;
}

void index_candidates(const struct index *ix, const char *exe,
		      const struct rules_pkt *pkt, const uint32_t *lists[4],
		      size_t counts[4])
{
	lists[0] = NULL;
	counts[0] = 0;
	if (exe)
		candidates_of(&ix->exe, exe, 0, &lists[0], &counts[0]);
	candidates_of(&ix->rport, NULL, pkt->rport, &lists[1], &counts[1]);
	candidates_of(&ix->lport, NULL, pkt->lport, &lists[2], &counts[2]);
	lists[3] = ix->rest;
	counts[3] = ix->nrest;
}
