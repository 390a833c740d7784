// SPDX-License-Identifier: GPL-2.0
/*
 * honefw --inventory: every executable that communicated in the captures
 * (replay.c), per host, with its users, the chains of processes above it,
 * the remote addresses and ports of its connections, and its packets and
 * bytes. What a rule set for the host would have to name.
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

/* A few distinct strings: a program has few users, parents and peers. */
struct strset {
	char **v;
	size_t n, cap;
};

struct item {
	struct hnode node;
	struct list link;		/* in first-seen order */
	const char *host, *exe;		/* in name */
	struct strset users, parents, remotes, ports;
	uint64_t packets, bytes;
	char name[];
};

struct inventory {
	const struct honefw_opts *o;
	struct htab items, conns;	/* conns: cookies seen in this file */
	struct list list;
	uint64_t unowned;		/* packets of no known process */
	int err;
};

static int strset_add(struct strset *s, const char *v)
{
	char **nv;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], v))
			return 0;
	if (s->n == s->cap) {
		nv = realloc(s->v, (s->cap ? s->cap * 2 : 4) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = s->cap ? s->cap * 2 : 4;
	}
	if (!(s->v[s->n] = strdup(v)))
		return -ENOMEM;
	s->n++;
	return 0;
}

static void strset_free(struct strset *s)
{
	while (s->n)
		free(s->v[--s->n]);
	free(s->v);
}

static struct item *item_of(struct inventory *inv, const char *host,
			    const char *exe)
{
	uint64_t key = htab_str(htab_str(HTAB_SEED, host), exe);
	struct hnode *n;
	struct item *it;

	for (n = htab_find(&inv->items, key); n; n = htab_find_next(n)) {
		it = htab_entry(n, struct item, node);
		if (!strcmp(it->host, host) && !strcmp(it->exe, exe))
			return it;
	}
	it = calloc(1, sizeof(*it) + strlen(host) + strlen(exe) + 2);
	if (!it)
		return NULL;
	it->host = strcpy(it->name, host);
	it->exe = strcpy(it->name + strlen(host) + 1, exe);
	it->node.key = key;
	htab_insert(&inv->items, &it->node);
	list_add_tail(&inv->list, &it->link);
	return it;
}

/* True the first time the capture shows this socket. */
static bool new_conn(struct inventory *inv, uint64_t cookie)
{
	struct hnode *n;

	if (htab_find(&inv->conns, cookie))
		return false;
	n = calloc(1, sizeof(*n));
	if (!n) {
		inv->err = -ENOMEM;
		return false;
	}
	n->key = cookie;
	htab_insert(&inv->conns, n);
	return true;
}

/* A connection the program opened is told by the peer's port; one it
 * accepted, by its own port ("in"). */
static int add_conn(struct item *it, const struct replay_pkt *p)
{
	const struct rules_pkt *k = &p->pkt;
	char ub[16], pb[16], chain[4200], port[32], peer[64];
	bool in = k->dir == RULES_DIR_IN;
	int ret;

	report_addr(k->family, k->remote, peer, sizeof(peer));
	snprintf(port, sizeof(port), "%s/%u%s",
		 report_proto(k->proto, pb, sizeof(pb)),
		 in ? k->lport : k->rport, in ? " in" : "");
	if ((ret = strset_add(&it->users, report_user(p->proc, ub,
						      sizeof(ub)))) ||
	    (ret = strset_add(&it->parents, report_parents(p->proc, chain,
							    sizeof(chain)))))
		return ret;
	if (!p->parsed)
		return 0;
	if ((ret = strset_add(&it->remotes, peer)))
		return ret;
	return strset_add(&it->ports, port);
}

static void on_packet(void *ctx, const struct replay_pkt *p)
{
	struct inventory *inv = ctx;
	char eb[4352];
	struct item *it;

	if (!p->proc) {
		inv->unowned++;
		return;
	}
	it = item_of(inv, p->host, report_exe(p->proc, eb, sizeof(eb)));
	if (!it) {
		inv->err = -ENOMEM;
		return;
	}
	it->packets++;
	it->bytes += p->wire_len;
	if (new_conn(inv, p->cookie) && add_conn(it, p))
		inv->err = -ENOMEM;
}

static void say_set(const struct strset *s, bool json)
{
	size_t i;

	if (json)
		putchar('[');
	for (i = 0; i < s->n; i++) {
		if (i)
			putchar(',');
		if (json)
			report_json_str(stdout, s->v[i]);
		else
			fputs(s->v[i], stdout);
	}
	if (json)
		putchar(']');
	else if (!s->n)
		putchar('-');
}

static void say_item(const struct item *it, bool json)
{
	static const char *const names[] = {
		"users", "parents", "remotes", "ports",
	};
	const struct strset *sets[] = {
		&it->users, &it->parents, &it->remotes, &it->ports,
	};
	size_t i;

	if (json) {
		printf("{\"host\":");
		report_json_str(stdout, it->host);
		printf(",\"exe\":");
		report_json_str(stdout, it->exe);
	} else {
		printf("%s\t%s", it->host, it->exe);
	}
	for (i = 0; i < 4; i++) {
		printf(json ? ",\"%s\":" : "\t", names[i]);
		say_set(sets[i], json);
	}
	printf(json ? ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 "}\n" :
	       "\t%" PRIu64 "\t%" PRIu64 "\n", it->packets, it->bytes);
}

static void free_item(struct hnode *n)
{
	struct item *it = htab_entry(n, struct item, node);

	strset_free(&it->users);
	strset_free(&it->parents);
	strset_free(&it->remotes);
	strset_free(&it->ports);
	free(it);
}

static void free_node(struct hnode *n)
{
	free(n);
}

int inventory_main(const struct honefw_opts *o, char *const files[], int n)
{
	struct inventory inv = { .o = o };
	struct replay_stats st = { 0 };
	const struct list *l;
	char err[512];
	int i, broken = 0;

	if (htab_init(&inv.items, 256) || htab_init(&inv.conns, 1024))
		fatalx("out of memory");
	list_init(&inv.list);
	for (i = 0; i < n; i++) {
		if (replay_file(files[i], on_packet, &inv, &st, err,
				sizeof(err)) < 0) {
			log_warnx("%s; what was read before is counted", err);
			broken++;
		}
		/* Cookies are per boot: each capture has its own. */
		htab_clear(&inv.conns, free_node);
	}
	if (inv.err)
		log_warnx("out of memory: the inventory is short");
	if (!o->json)
		printf("HOST\tEXE\tUSERS\tPARENTS\tREMOTES\tPORTS\tPACKETS\t"
		       "BYTES\n");
	for (l = inv.list.next; l != &inv.list; l = l->next)
		say_item(list_entry(l, struct item, link), o->json);
	printf(o->json ? "{\"summary\":{\"captures\":%" PRIu64 ",\"packets\":%"
	       PRIu64 ",\"unowned\":%" PRIu64 "}}\n" :
	       "inventory: %" PRIu64 " captures, %" PRIu64 " packets, %" PRIu64
	       " of no known process\n", st.files, st.packets, inv.unowned);
	htab_clear(&inv.items, free_item);
	htab_free(&inv.items);
	htab_free(&inv.conns);
	return broken || inv.err ? 2 : 0;
}
