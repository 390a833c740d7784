// SPDX-License-Identifier: GPL-2.0
/* The DNS answer parser (dns/) and the table of names it fills (names/). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "dns.h"
#include "names.h"

#define SEC	1000000000ULL

/* A message under construction. */
struct msg {
	uint8_t b[2048];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	cr_assert_leq(m->n + n, sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put16(struct msg *m, uint16_t v)
{
	uint8_t b[2] = { v >> 8, v & 0xff };

	put(m, b, 2);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

/* "a.b" as labels; "@N" is a compression pointer to offset N. */
static void put_name(struct msg *m, const char *s)
{
	const char *dot;
	uint8_t len;

	if (*s == '@') {
		put16(m, 0xc000 | atoi(s + 1));
		return;
	}
	for (; *s; s = *dot ? dot + 1 : dot) {
		dot = s + strcspn(s, ".");
		len = dot - s;
		put(m, &len, 1);
		put(m, s, len);
	}
	put(m, "", 1);
}

/* A response (flags 0x8180) to one question for qname, class IN. */
static void start(struct msg *m, const char *qname, uint16_t qtype,
		  uint16_t ancount)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, 0x8180);
	put16(m, 1);
	put16(m, ancount);
	put16(m, 0);
	put16(m, 0);
	put_name(m, qname);
	put16(m, qtype);
	put16(m, 1);
}

static void rr(struct msg *m, const char *owner, uint16_t type, uint32_t ttl,
	       const void *rdata, uint16_t rdlen)
{
	put_name(m, owner);
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	put16(m, rdlen);
	put(m, rdata, rdlen);
}

static void rr_a(struct msg *m, const char *owner, uint32_t ttl, const char *a)
{
	uint8_t addr[16];
	int v6 = strchr(a, ':') != NULL;

	cr_assert_eq(inet_pton(v6 ? AF_INET6 : AF_INET, a, addr), 1);
	rr(m, owner, v6 ? 28 : 1, ttl, addr, v6 ? 16 : 4);
}

static void rr_cname(struct msg *m, const char *owner, uint32_t ttl,
		     const char *target)
{
	struct msg t = { .n = 0 };

	put_name(&t, target);
	rr(m, owner, 5, ttl, t.b, t.n);
}

/* qname CNAME target, target A addr: the common two-record chain. */
static void chain2(struct msg *m, const char *qname, const char *target,
		   const char *addr)
{
	start(m, qname, 1, 2);
	rr_cname(m, "@12", 100, target);
	rr_a(m, target, 50, addr);
}

struct binding {
	char name[DNS_NAME_MAX + 1];
	char addr[INET6_ADDRSTRLEN];
	uint32_t ttl;
};

struct got {
	struct binding b[32];
	size_t n;
};

static void record(void *ctx, const char *name, uint8_t family,
		   const uint8_t *addr, uint32_t ttl)
{
	struct got *g = ctx;

	cr_assert_lt(g->n, 32);
	strcpy(g->b[g->n].name, name);
	inet_ntop(family, addr, g->b[g->n].addr, sizeof(g->b[g->n].addr));
	g->b[g->n++].ttl = ttl;
}

static int parse(const struct msg *m, struct got *g)
{
	memset(g, 0, sizeof(*g));
	return dns_parse(m->b, m->n, record, g);
}

static void has(const struct got *g, const char *name, const char *addr,
		uint32_t ttl)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!strcmp(g->b[i].name, name) && !strcmp(g->b[i].addr, addr)) {
			cr_assert_eq(g->b[i].ttl, ttl, "%s %s: ttl %u", name,
				     addr, g->b[i].ttl);
			return;
		}
	cr_assert_fail("no binding %s -> %s", name, addr);
}

Test(dns, a_and_aaaa)
{
	struct msg m;
	struct got g;

	start(&m, "Allowed.Test", 1, 1);
	rr_a(&m, "@12", 300, "10.99.0.2");
	cr_assert_eq(parse(&m, &g), 1);
	has(&g, "allowed.test", "10.99.0.2", 300);

	start(&m, "allowed.test", 28, 2);
	rr_a(&m, "allowed.test", 60, "fd99::2");
	rr_a(&m, "@12", 70, "fd99::5");
	cr_assert_eq(parse(&m, &g), 2);
	has(&g, "allowed.test", "fd99::2", 60);
	has(&g, "allowed.test", "fd99::5", 70);
}

/* The final addresses belong to every name of the chain, for as long as
 * the shortest-lived link holds. */
Test(dns, cname_chain)
{
	static const char *const names[] = {
		"www.example.org", "cdn.example.net", "edge.cdn.net",
	};
	struct msg m;
	struct got g;
	size_t i;

	start(&m, "www.example.org", 1, 5);
	rr_cname(&m, "@12", 100, "cdn.example.net");
	rr_a(&m, "unrelated.test", 300, "10.0.0.9");	/* in no chain */
	rr_cname(&m, "cdn.example.net", 600, "edge.cdn.net");
	rr_a(&m, "edge.cdn.net", 50, "192.0.2.4");
	rr_a(&m, "edge.cdn.net", 500, "192.0.2.5");
	cr_assert_eq(parse(&m, &g), 6);
	for (i = 0; i < 3; i++) {
		has(&g, names[i], "192.0.2.4", 50);
		has(&g, names[i], "192.0.2.5", 100);
	}
}

Test(dns, cname_loops_and_long_chains_refused)
{
	char a[16], b[16];
	struct msg m;
	struct got g;
	int i;

	start(&m, "a.test", 1, 2);
	rr_cname(&m, "a.test", 60, "b.test");
	rr_cname(&m, "b.test", 60, "a.test");
	cr_assert_eq(parse(&m, &g), -ELOOP);
	cr_assert_eq(g.n, 0);

	start(&m, "n0.test", 1, DNS_CHAIN_MAX + 1);
	for (i = 0; i < DNS_CHAIN_MAX; i++) {
		snprintf(a, sizeof(a), "n%d.test", i);
		snprintf(b, sizeof(b), "n%d.test", i + 1);
		rr_cname(&m, a, 60, b);
	}
	rr_a(&m, b, 60, "10.0.0.1");
	cr_assert_eq(parse(&m, &g), -ELOOP);
}

Test(dns, compression_loops_refused)
{
	struct msg m;
	struct got g;

	/* A pointer to itself, and one forward. */
	start(&m, "a.test", 1, 1);
	put16(&m, 0xc000 | (uint16_t)m.n);
	cr_assert_eq(parse(&m, &g), -EBADMSG);
	start(&m, "a.test", 1, 1);
	put16(&m, 0xc000 | (uint16_t)(m.n + 2));
	put_name(&m, "a.test");
	cr_assert_eq(parse(&m, &g), -EBADMSG);
	/* A question pointing into the header. */
	start(&m, "@0", 1, 0);
	cr_assert_eq(parse(&m, &g), -EBADMSG);
	/* A pointer forward to one that points back to it. */
	start(&m, "a.test", 1, 1);
	put16(&m, 0xc000 | (uint16_t)(m.n + 2));
	put16(&m, 0xc000 | (uint16_t)(m.n - 2));
	cr_assert_eq(parse(&m, &g), -EBADMSG);
}

/* A response with no answer whose question's name is the bytes given. */
static void start_raw(struct msg *m, const void *name, size_t n)
{
	start(m, "x", 1, 0);
	m->n = 12;
	put(m, name, n);
	put16(m, 1);
	put16(m, 1);
}

Test(dns, bad_names_refused)
{
	static const uint8_t dotted[] = { 3, 'a', '.', 'b', 4, 't', 'e', 's', 't', 0 };
	static const uint8_t nul[] = { 3, 'a', 0, 'b', 0 };
	uint8_t longname[5 * 64 + 1] = { 0 };
	struct msg m;
	struct got g;
	int i;

	start_raw(&m, dotted, sizeof(dotted));
	cr_assert_eq(parse(&m, &g), -EBADMSG, "a label with a dot");
	start_raw(&m, nul, sizeof(nul));
	cr_assert_eq(parse(&m, &g), -EBADMSG, "a label with a NUL");
	/* 5 labels of 63: over 253 characters */
	for (i = 0; i < 5; i++) {
		longname[i * 64] = 63;
		memset(longname + i * 64 + 1, 'a', 63);
	}
	start_raw(&m, longname, sizeof(longname));
	cr_assert_eq(parse(&m, &g), -EBADMSG, "a name too long");
	/* 3 labels of 63 and one of 61: 253, the longest */
	longname[3 * 64] = 61;
	longname[3 * 64 + 62] = 0;
	start_raw(&m, longname, 3 * 64 + 63);
	cr_assert_eq(parse(&m, &g), 0);
}

Test(dns, not_an_answer_refused)
{
	struct msg m;
	struct got g;

	start(&m, "a.test", 1, 1);
	rr_a(&m, "a.test", 60, "10.0.0.1");
	m.b[2] &= 0x7f;		/* a query */
	cr_assert_eq(parse(&m, &g), -EINVAL);
	m.b[2] |= 0x80;
	m.b[3] |= 3;		/* NXDOMAIN */
	cr_assert_eq(parse(&m, &g), -EINVAL);
	m.b[3] &= ~3;
	m.b[5] = 2;		/* two questions */
	cr_assert_eq(parse(&m, &g), -EINVAL);
	cr_assert_eq(dns_parse(m.b, 11, record, &g), -EINVAL);
}

/* Every cut of a good message is refused whole or read within it. */
Test(dns, every_truncation_refused)
{
	struct msg m;
	struct got g;
	size_t cut;

	chain2(&m, "www.example.org", "edge.cdn.net", "192.0.2.4");
	cr_assert_eq(parse(&m, &g), 2);
	for (cut = 0; cut < m.n; cut++) {
		memset(&g, 0, sizeof(g));
		cr_assert_lt(dns_parse(m.b, cut, record, &g), 0, "cut at %zu", cut);
		cr_assert_eq(g.n, 0);
	}
}

/* --- names ---------------------------------------------------------------- */

static struct names *table(size_t max)
{
	struct names *t;

	cr_assert_eq(names_open(max, &t), 0);
	return t;
}

static const uint8_t *addr4(const char *s)
{
	static uint8_t a[16];

	cr_assert_eq(inet_pton(AF_INET, s, a), 1);
	return a;
}

static size_t count(const struct names *t, uint32_t uid, const char *a,
		    uint64_t now)
{
	const char *out[NAMES_PER_ADDR];

	return names_get(t, uid, AF_INET, addr4(a), now, out, NAMES_PER_ADDR);
}

Test(names, expires_at_ttl)
{
	struct names *t = table(16);
	uint64_t t0 = 1000 * SEC;

	cr_assert_eq(names_add(t, 1000, AF_INET, addr4("10.0.0.1"), "a.test",
			       60, t0), 1);
	cr_assert_eq(count(t, 1000, "10.0.0.1", t0 + 59 * SEC), 1);
	cr_assert_eq(count(t, 1000, "10.0.0.1", t0 + 60 * SEC), 0,
		     "expired, though not swept yet");
	names_expire(t, t0 + 59 * SEC);
	{
		struct names_stats st;

		names_stats(t, &st);
		cr_assert_eq(st.entries, 1);
		names_expire(t, t0 + 60 * SEC);
		names_stats(t, &st);
		cr_assert_eq(st.entries, 0);
		cr_assert_eq(st.expired, 1);
	}
	names_close(t);
}

Test(names, ttl_floor_and_ceiling)
{
	struct names *t = table(16);

	names_add(t, 1, AF_INET, addr4("10.0.0.1"), "zero.test", 0, 0);
	names_add(t, 1, AF_INET, addr4("10.0.0.2"), "day.test", 86400, 0);
	cr_assert_eq(count(t, 1, "10.0.0.1", (NAMES_TTL_MIN - 1) * SEC), 1);
	cr_assert_eq(count(t, 1, "10.0.0.1", NAMES_TTL_MIN * SEC), 0);
	cr_assert_eq(count(t, 1, "10.0.0.2", (NAMES_TTL_MAX - 1) * SEC), 1);
	cr_assert_eq(count(t, 1, "10.0.0.2", NAMES_TTL_MAX * SEC), 0);
	names_close(t);
}

Test(names, per_user)
{
	struct names *t = table(16);

	names_add(t, 1000, AF_INET, addr4("10.0.0.1"), "a.test", 60, 0);
	cr_assert_eq(count(t, 1000, "10.0.0.1", SEC), 1);
	cr_assert_eq(count(t, 1001, "10.0.0.1", SEC), 0,
		     "another user's lookup names nothing of mine");
	cr_assert_eq(count(t, 1000, "10.0.0.2", SEC), 0);
	names_close(t);
}

Test(names, refresh_and_eviction)
{
	struct names *t = table(3);
	struct names_stats st;
	char name[16];
	int i;

	cr_assert_eq(names_add(t, 1, AF_INET, addr4("10.0.0.1"), "a.test",
			       60, 0), 1);
	cr_assert_eq(names_add(t, 1, AF_INET, addr4("10.0.0.1"), "a.test",
			       60, SEC), 0, "a refresh");
	for (i = 2; i <= 4; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		cr_assert_eq(names_add(t, 1, AF_INET, addr4("10.0.0.2"), name,
				       60, 2 * SEC), 1);
	}
	names_stats(t, &st);
	cr_assert_eq(st.entries, 3);
	cr_assert_eq(st.evicted, 1);
	cr_assert_eq(st.refreshed, 1);
	cr_assert_eq(count(t, 1, "10.0.0.1", 3 * SEC), 0, "the oldest went");
	cr_assert_eq(count(t, 1, "10.0.0.2", 3 * SEC), 3);
	names_close(t);
}

static void tally(void *ctx, uint8_t family, const uint8_t *addr,
		  const char *name)
{
	(void)family;
	(void)addr;
	(void)name;
	++*(int *)ctx;
}

/* What a reopened log is given: the bindings in force, none expired. */
Test(names, each_unexpired)
{
	struct names *t = table(16);
	int n = 0;

	names_add(t, 1, AF_INET, addr4("10.0.0.1"), "short.test", 40, 0);
	names_add(t, 1, AF_INET, addr4("10.0.0.2"), "long.test", 600, 0);
	names_add(t, 2, AF_INET, addr4("10.0.0.2"), "long.test", 600, 0);
	names_each(t, 50 * SEC, tally, &n);
	cr_assert_eq(n, 2);
	names_close(t);
}

static void add_all(void *ctx, const char *name, uint8_t family,
		    const uint8_t *addr, uint32_t ttl)
{
	names_add(ctx, 1000, family, addr, name, ttl, 0);
}

/* From an answer to the table: every name of the chain names the address. */
Test(names, cname_chain_names_the_address)
{
	struct names *t = table(16);
	const char *out[NAMES_PER_ADDR];
	struct msg m;
	size_t n, i;

	chain2(&m, "alias.test", "allowed.test", "10.99.0.2");
	cr_assert_eq(dns_parse(m.b, m.n, add_all, t), 2);
	n = names_get(t, 1000, AF_INET, addr4("10.99.0.2"), SEC, out,
		      NAMES_PER_ADDR);
	cr_assert_eq(n, 2);
	for (i = 0; i < n; i++)
		cr_assert(!strcmp(out[i], "alias.test") ||
			  !strcmp(out[i], "allowed.test"), "%s", out[i]);
	names_close(t);
}
