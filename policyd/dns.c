// SPDX-License-Identifier: GPL-2.0
/*
 * The answer section of a DNS response, read twice over a bounded number
 * of records: first the CNAME chain from the question's name, then the
 * addresses of its last name. Nothing is trusted: a name is read only
 * within the message, a compression pointer must point before the labels
 * that led to it (so every jump goes strictly backward and a loop cannot
 * be built), a label must be printable ASCII without dots (a label
 * "a.b" must not pass for two), and a chain longer than DNS_CHAIN_MAX or
 * one that comes back to a name is refused.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"

#define HDR_LEN		12
#define RR_FIXED	10	/* type, class, ttl, rdlength */
#define CLASS_IN	1
#define TYPE_A		1
#define TYPE_CNAME	5
#define TYPE_AAAA	28
#define FLAG_QR		0x8000
#define OPCODE(f)	((f) >> 11 & 0xf)
#define RCODE(f)	((f) & 0xf)

struct msg {
	const uint8_t *p;
	size_t len;
	size_t answers;		/* offset of the answer section */
	unsigned ancount;	/* answer records looked at */
};

struct rr {
	char owner[DNS_NAME_MAX + 1];
	uint16_t type, class;
	uint32_t ttl;
	size_t rdata;		/* offset */
	uint16_t rdlen;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* One label's bytes appended to out (n bytes so far), lowercased. */
static int label_add(const uint8_t *l, size_t llen, char *out, size_t *n)
{
	size_t i;

	if (*n + !!*n + llen > DNS_NAME_MAX)
		return -EBADMSG;
	if (*n)
		out[(*n)++] = '.';
	for (i = 0; i < llen; i++) {
		if (l[i] <= ' ' || l[i] >= 0x7f || l[i] == '.')
			return -EBADMSG;
		out[(*n)++] = l[i] >= 'A' && l[i] <= 'Z' ? l[i] + 32 : l[i];
	}
	return 0;
}

/* The name at *off into out; *off moves past it as written in place
 * (up to and including its first pointer). */
static int name_read(const struct msg *m, size_t *off, char *out)
{
	size_t pos = *off, limit = *off, n = 0;
	bool jumped = false;
	int ret;

	for (;;) {
		if (pos >= m->len)
			return -EBADMSG;
		if (m->p[pos] == 0)
			break;
		if ((m->p[pos] & 0xc0) == 0xc0) {
			size_t ptr;

			if (pos + 2 > m->len)
				return -EBADMSG;
			ptr = (size_t)(m->p[pos] & 0x3f) << 8 | m->p[pos + 1];
			if (ptr >= limit)
				return -EBADMSG;	/* forward: a loop */
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			pos = limit = ptr;
			continue;
		}
		if (m->p[pos] & 0xc0)
			return -EBADMSG;	/* extended label types */
		if (pos + 1 + m->p[pos] > m->len)
			return -EBADMSG;
		ret = label_add(m->p + pos + 1, m->p[pos], out, &n);
		if (ret < 0)
			return ret;
		pos += 1 + m->p[pos];
	}
	if (!jumped)
		*off = pos + 1;
	out[n] = '\0';
	return 0;
}

static int rr_read(const struct msg *m, size_t *off, struct rr *rr)
{
	int ret = name_read(m, off, rr->owner);

	if (ret < 0)
		return ret;
	if (*off + RR_FIXED > m->len)
		return -EBADMSG;
	rr->type = get16(m->p + *off);
	rr->class = get16(m->p + *off + 2);
	rr->ttl = get32(m->p + *off + 4);
	rr->rdlen = get16(m->p + *off + 8);
	rr->rdata = *off + RR_FIXED;
	if (rr->rdata + rr->rdlen > m->len)
		return -EBADMSG;
	*off = rr->rdata + rr->rdlen;
	return 0;
}

/* The target of the CNAME record owned by name, if there is one: 1. */
static int cname_of(const struct msg *m, const char *name, char *target,
		    uint32_t *ttl)
{
	size_t off = m->answers, t;
	struct rr rr;
	unsigned i;
	int ret;

	for (i = 0; i < m->ancount; i++) {
		if ((ret = rr_read(m, &off, &rr)) < 0)
			return ret;
		if (rr.type != TYPE_CNAME || rr.class != CLASS_IN ||
		    strcmp(rr.owner, name))
			continue;
		t = rr.rdata;
		if ((ret = name_read(m, &t, target)) < 0)
			return ret;
		if (t != rr.rdata + rr.rdlen || !*target)
			return -EBADMSG;
		*ttl = rr.ttl;
		return 1;
	}
	return 0;
}

static bool in_chain(char chain[][DNS_NAME_MAX + 1], size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(chain[i], s))
			return true;
	return false;
}

/* The question's name, then each CNAME's target; ttl the smallest. */
static int chain_read(const struct msg *m, char chain[][DNS_NAME_MAX + 1],
		      size_t *n, uint32_t *ttl)
{
	char target[DNS_NAME_MAX + 1];
	uint32_t t;
	int ret;

	while ((ret = cname_of(m, chain[*n - 1], target, &t)) > 0) {
		if (*n == DNS_CHAIN_MAX || in_chain(chain, *n, target))
			return -ELOOP;
		strcpy(chain[(*n)++], target);
		if (t < *ttl)
			*ttl = t;
	}
	return ret;
}

static int addrs_bind(const struct msg *m, char chain[][DNS_NAME_MAX + 1],
		      size_t n, uint32_t ttl, dns_bind_fn fn, void *ctx)
{
	size_t off = m->answers, i;
	uint8_t family;
	unsigned r;
	struct rr rr;
	int ret, count = 0;

	for (r = 0; r < m->ancount; r++) {
		if ((ret = rr_read(m, &off, &rr)) < 0)
			return ret;
		if (rr.class != CLASS_IN || strcmp(rr.owner, chain[n - 1]))
			continue;
		if (rr.type == TYPE_A && rr.rdlen == 4)
			family = AF_INET;
		else if (rr.type == TYPE_AAAA && rr.rdlen == 16)
			family = AF_INET6;
		else
			continue;
		for (i = 0; i < n; i++)
			fn(ctx, chain[i], family, m->p + rr.rdata,
			   rr.ttl < ttl ? rr.ttl : ttl);
		count += n;
	}
	return count;
}

int dns_parse(const uint8_t *p, size_t len, dns_bind_fn fn, void *ctx)
{
	char chain[DNS_CHAIN_MAX][DNS_NAME_MAX + 1];
	struct msg m = { .p = p, .len = len, .answers = HDR_LEN };
	uint32_t ttl = UINT32_MAX;
	uint16_t flags, ancount;
	size_t n = 1;
	int ret;

	if (len < HDR_LEN)
		return -EINVAL;
	flags = get16(p + 2);
	ancount = get16(p + 6);
	if (!(flags & FLAG_QR) || OPCODE(flags) || RCODE(flags) ||
	    get16(p + 4) != 1)
		return -EINVAL;
	if ((ret = name_read(&m, &m.answers, chain[0])) < 0)
		return ret;
	if (!*chain[0] || m.answers + 4 > len ||
	    get16(p + m.answers + 2) != CLASS_IN)
		return -EINVAL;
	m.answers += 4;
	m.ancount = ancount < DNS_ANSWERS_MAX ? ancount : DNS_ANSWERS_MAX;
	if ((ret = chain_read(&m, chain, &n, &ttl)) < 0)
		return ret;
	return addrs_bind(&m, chain, n, ttl, fn, ctx);
}
