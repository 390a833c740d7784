// SPDX-License-Identifier: GPL-2.0
/* Judging a packet: the first rule in file order that matches it decides.
 * Only the index's candidates are tried. Nothing here writes shared state
 * (and matching allocates nothing), so any number of threads may match at
 * once. */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_priv.h"

/* exe-like patterns: "*" stays within one path component. */
static bool path_match(const char *pat, const char *s)
{
	if (!s)
		return false;
	if (!value_is_glob(pat))
		return !strcmp(pat, s);
	return !fnmatch(pat, s, FNM_PATHNAME);
}

static bool paths_match(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (path_match(l->v[i], s))
			return true;
	return false;
}

static bool id_in(const struct idlist *l, uint32_t id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i] == id)
			return true;
	return false;
}

static bool sha256_in(const struct rule *r, const uint8_t *d)
{
	size_t i;

	for (i = 0; d && i < r->nsha256; i++)
		if (!memcmp(r->sha256[i], d, 32))
			return true;
	return false;
}

/* The nearest ancestor that matches, or NULL. */
static const struct rules_proc *ancestor_of(const struct strlist *l,
					    const struct rules_proc *p)
{
	unsigned depth;

	for (depth = 0, p = p->parent; p && depth < RULES_DEPTH_MAX;
	     depth++, p = p->parent)
		if (paths_match(l, p->exe))
			return p;
	return NULL;
}

/* Positions in the chain as bits: bit d set means "the next element is
 * matched against the d-th process upward". Linear in chain x depth,
 * whatever the wildcards. */
static bool pedigree_match(const struct strlist *pat, const struct rules_proc *p)
{
	const struct rules_proc *chain[RULES_DEPTH_MAX - 1];
	uint64_t at = 1, next;
	unsigned m, d;
	size_t i;

	for (m = 0; p && m < RULES_DEPTH_MAX - 1; p = p->parent)
		chain[m++] = p;
	for (i = 0; i < pat->n && at; i++) {
		if (!strcmp(pat->v[i], "**")) {
			at = ~0ull << __builtin_ctzll(at);
			at &= m == 63 ? ~0ull : (2ull << m) - 1;
			continue;
		}
		for (next = 0, d = 0; d < m; d++)
			if ((at >> d & 1) && (!strcmp(pat->v[i], "*") ||
					      path_match(pat->v[i], chain[d]->exe)))
				next |= 2ull << d;
		at = next;
	}
	return at;
}

/* A cgroup pattern takes the cgroups below the ones it names too: a
 * service's processes may live in cgroups of its own making. */
static bool cgroup_match(const struct strlist *l, const char *cg)
{
	char buf[1024];
	size_t n;
	char *s;

	if (!cg || strlen(cg) >= sizeof(buf))
		return false;
	strcpy(buf, cg);
	for (n = strlen(buf); n; n = s - buf) {
		if (paths_match(l, buf))
			return true;
		s = strrchr(buf, '/');
		*s = '\0';
	}
	return paths_match(l, "/");
}

static bool units_match(const struct strlist *l, const char *unit)
{
	size_t i;

	for (i = 0; unit && i < l->n; i++)
		if (!fnmatch(l->v[i], unit, 0))
			return true;
	return false;
}

/* The who-keys but sha256: what the process's own events tell, where its
 * executable's digest may still be being computed. */
static bool who_told(const struct rule *r, const struct rules_proc *p)
{
	return (!r->exe.n || paths_match(&r->exe, p->exe)) &&
	       (!r->cmdline || (p->cmdline && !fnmatch(r->cmdline, p->cmdline, 0))) &&
	       (!r->uid.n || id_in(&r->uid, p->uid)) &&
	       (!r->gid.n || id_in(&r->gid, p->gid)) &&
	       (!r->parent.n || (p->parent && paths_match(&r->parent, p->parent->exe))) &&
	       (!r->ancestor.n || ancestor_of(&r->ancestor, p)) &&
	       (!r->pedigree.n || pedigree_match(&r->pedigree, p)) &&
	       (!r->script.n || paths_match(&r->script, p->script)) &&
	       (!r->unit.n || units_match(&r->unit, p->unit)) &&
	       (!r->cgroup.n || cgroup_match(&r->cgroup, p->cgroup));
}

static bool who_match(const struct rule *r, const struct rules_proc *p,
		      const struct rules_pkt *pkt)
{
	if (!p)
		return !(r->keys & KEYS_WHO) ||
		       ((r->keys & KEYS_WHO) == 1u << K_USER && pkt->has_uid &&
			id_in(&r->uid, pkt->uid));
	return who_told(r, p) && (!r->nsha256 || sha256_in(r, p->sha256));
}

const char *rules_unit_of(const char *cgroup, char *buf, size_t len)
{
	const char *c = cgroup, *end;
	size_t n;

	while (c && *c == '/') {
		c++;
		end = strchrnul(c, '/');
		n = end - c;
		if (n > 6 && !strncmp(end - 6, ".slice", 6)) {
			c = end;
			continue;
		}
		if ((n > 8 && !strncmp(end - 8, ".service", 8)) ||
		    (n > 6 && !strncmp(end - 6, ".scope", 6))) {
			if (n >= len)
				return NULL;
			memcpy(buf, c, n);
			buf[n] = '\0';
			return buf;
		}
		return NULL;
	}
	return NULL;
}

static bool range_in(const struct rangelist *l, uint64_t x)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (x >= l->v[i].lo && x <= l->v[i].hi)
			return true;
	return false;
}

static bool net_in(const struct netlist *l, uint8_t family, const uint8_t *a)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct net *nt = &l->v[i];
		unsigned whole = nt->plen / 8, rest = nt->plen % 8;

		if (nt->family != family || memcmp(nt->addr, a, whole))
			continue;
		if (!rest || !((nt->addr[whole] ^ a[whole]) & (0xff00 >> rest)))
			return true;
	}
	return false;
}

/* DNS names are case-insensitive; "*" may span labels. */
static bool host_match(const struct strlist *l, const struct rules_pkt *pkt)
{
	size_t i, j;

	for (i = 0; i < l->n; i++)
		for (j = 0; j < pkt->nhosts; j++)
			if (!fnmatch(l->v[i], pkt->hosts[j], FNM_CASEFOLD))
				return true;
	return false;
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP || proto == IPPROTO_UDPLITE;
}

static bool proto_in(const struct rule *r, uint8_t proto)
{
	return !(r->keys & (1u << K_PROTO)) ||
	       (r->proto[proto / 64] >> (proto % 64) & 1);
}

/* What holds for every packet of a connection. */
static bool conn_match(const struct rule *r, const struct rules_pkt *pkt)
{
	bool ports = has_ports(pkt->proto);

	return proto_in(r, pkt->proto) &&
	       (!r->remote.n || net_in(&r->remote, pkt->family, pkt->remote)) &&
	       (!r->local.n || net_in(&r->local, pkt->family, pkt->local)) &&
	       (!r->rport.n || (ports && range_in(&r->rport, pkt->rport))) &&
	       (!r->lport.n || (ports && range_in(&r->lport, pkt->lport))) &&
	       (!r->host.n || host_match(&r->host, pkt));
}

static bool packet_match(const struct rule *r, const struct rules_pkt *pkt)
{
	bool tcp = pkt->proto == IPPROTO_TCP;

	return (!r->dir || r->dir == pkt->dir) &&
	       (!(r->flags_set | r->flags_clear) ||
		(tcp && (pkt->tcpflags & r->flags_set) == r->flags_set &&
		 !(pkt->tcpflags & r->flags_clear))) &&
	       (!r->length.n || range_in(&r->length, pkt->length)) &&
	       (!r->nth.n || range_in(&r->nth, pkt->nth));
}

/* The [global] verdict a packet no rule matched gets. */
static void fallback(const struct rules *rs, enum rules_action action,
		     bool per_packet, struct rules_verdict *v)
{
	*v = (struct rules_verdict){
		.action = action,
		.log = rs->g.log,
		.per_packet = per_packet,
	};
}

/* The next candidate in file order from the index's sorted lists. */
static bool next_candidate(const uint32_t *lists[4], size_t counts[4],
			   size_t pos[4], uint32_t *idx)
{
	uint32_t best = UINT32_MAX;
	size_t i;

	for (i = 0; i < 4; i++)
		if (pos[i] < counts[i] && lists[i][pos[i]] < best)
			best = lists[i][pos[i]];
	if (best == UINT32_MAX)
		return false;
	for (i = 0; i < 4; i++)
		if (pos[i] < counts[i] && lists[i][pos[i]] == best)
			pos[i]++;
	*idx = best;
	return true;
}

const struct rule *rules_match(const struct rules *rs,
			       const struct rules_pkt *pkt,
			       const struct rules_proc *proc,
			       struct rules_verdict *v)
{
	const uint32_t *lists[4];
	size_t counts[4], pos[4] = { 0 };
	bool per_packet = false;
	uint32_t i;

	index_candidates(&rs->index, proc ? proc->exe : NULL, pkt, lists, counts);
	while (next_candidate(lists, counts, pos, &i)) {
		const struct rule *r = rs->rule[i];

		if (!who_match(r, proc, pkt) || !conn_match(r, pkt))
			continue;
		if (!packet_match(r, pkt)) {
			/* another packet of this connection may match it */
			per_packet = true;
			continue;
		}
		*v = r->v;
		v->per_packet |= per_packet;
		return r;
	}
	fallback(rs, proc ? rs->g.def : pkt->nosock ? rs->g.kernel :
		 rs->g.unknown, per_packet, v);
	return NULL;
}

/* ---- verdicts given ahead, per remote port ------------------------------ */

/* What a connection's first packet cannot tell before it is sent, but for
 * its remote port (ahead_step() looks at that itself): its ends and the
 * names of the remote one. */
#define KEYS_ENDS	((1u << K_REMOTE) | (1u << K_LOCAL) | (1u << K_LPORT) | \
			 (1u << K_HOST))

#define PORTS		65536u

/* What a rule whose who-keys match a process does to its SYN to a port. */
enum ahead_step {
	AHEAD_NEXT,	/* it does not take the SYN */
	AHEAD_REPLIES,	/* nor the SYN, but the connection's replies may */
	AHEAD_PACKET,	/* the rest of the packet decides */
	AHEAD_TAKES,	/* its verdict is the SYN's */
};

/* What the keys of such a rule make of the SYN. Its ends first: they say
 * whether the replies may match an inbound rule too. */
static enum ahead_step ahead_step(const struct rule *r, uint32_t port)
{
	if ((r->keys & (1u << K_RPORT)) && !range_in(&r->rport, port))
		return AHEAD_NEXT;
	if (r->keys & KEYS_ENDS)
		return AHEAD_PACKET;
	if (r->dir && r->dir != RULES_DIR_OUT)
		return AHEAD_REPLIES;
	if (r->keys & KEYS_PACKET & ~(1u << K_DIRECTION))
		return AHEAD_PACKET;
	return AHEAD_TAKES;
}

/* The rules that may take a SYN of a process, in file order. One that
 * ends the search at every port is the last; a SYN that gets past them all
 * gets the default, or is the digest's to decide when digest is set. */
struct ahead_cands {
	const struct rule **v;
	size_t n;
	bool digest;	/* a rule proc's digest, not computed, may match */
};

static int ahead_pick(const struct rules *rs, const struct rules_proc *proc,
		      struct ahead_cands *c)
{
	size_t i;

	*c = (struct ahead_cands){ .v = calloc(rs->n + 1, sizeof(*c->v)) };
	if (!c->v)
		return -ENOMEM;
	for (i = 0; i < rs->n; i++) {
		const struct rule *r = rs->rule[i];

		if (!proto_in(r, IPPROTO_TCP) || !who_told(r, proc))
			continue;
		/* It may match once the digest is known. */
		if (r->nsha256 && !proc->sha256) {
			c->digest = true;
			break;
		}
		if (r->nsha256 && !sha256_in(r, proc->sha256))
			continue;
		c->v[c->n++] = r;
		/* Without rport it does the same at every port: no SYN
		 * gets past it. */
		if (!(r->keys & (1u << K_RPORT)) && ahead_step(r, 0) >= AHEAD_PACKET)
			break;
	}
	return 0;
}

/* The verdict of the SYNs to port: false when the rest of the packet or
 * the digest decides. */
static bool ahead_at(const struct rules *rs, const struct ahead_cands *c,
		     uint32_t port, struct rules_verdict *v)
{
	bool per_packet = false;
	size_t i;

	for (i = 0; i < c->n; i++) {
		switch (ahead_step(c->v[i], port)) {
		case AHEAD_NEXT:
			break;
		case AHEAD_REPLIES:
			per_packet = true;
			break;
		case AHEAD_PACKET:
			return false;
		case AHEAD_TAKES:
			*v = c->v[i]->v;
			v->per_packet |= per_packet;
			return true;
		}
	}
	if (c->digest)
		return false;
	fallback(rs, rs->g.def, per_packet, v);
	return true;
}

static int by_value(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Where the candidates' rport ranges start and end (past it), with 0 and
 * PORTS, ascending and unique: from one to the next, each candidate does
 * the same to every port. */
static int ahead_cuts(const struct ahead_cands *c, uint32_t **cut, size_t *n)
{
	size_t i, j, m = 2;
	uint32_t *b;

	for (i = 0; i < c->n; i++)
		m += 2 * c->v[i]->rport.n;
	b = malloc(m * sizeof(*b));
	if (!b)
		return -ENOMEM;
	m = 0;
	b[m++] = 0;
	b[m++] = PORTS;
	for (i = 0; i < c->n; i++) {
		const struct rangelist *l = &c->v[i]->rport;

		for (j = 0; j < l->n; j++) {
			b[m++] = l->v[j].lo < PORTS ? l->v[j].lo : PORTS;
			b[m++] = l->v[j].hi < PORTS ? l->v[j].hi + 1 : PORTS;
		}
	}
	qsort(b, m, sizeof(*b), by_value);
	for (i = j = 1; i < m; i++)
		if (b[i] != b[j - 1])
			b[j++] = b[i];
	*cut = b;
	*n = j;
	return 0;
}

/* What a connection's SYN cannot tell apart: the same verdict. */
static bool same_verdict(const struct rules_verdict *a,
			 const struct rules_verdict *b)
{
	return a->rule == b->rule && a->action == b->action &&
	       a->per_packet == b->per_packet && a->has_mark == b->has_mark &&
	       a->mark == b->mark;
}

int rules_ahead_ports(const struct rules *rs, const struct rules_proc *proc,
		      struct rules_ahead *out, size_t max)
{
	struct ahead_cands c;
	struct rules_verdict v;
	uint32_t *cut = NULL;
	size_t i, ncut = 0, n = 0;
	int err;

	err = ahead_pick(rs, proc, &c);
	if (!err)
		err = ahead_cuts(&c, &cut, &ncut);
	for (i = 0; !err && i + 1 < ncut; i++) {
		if (!ahead_at(rs, &c, cut[i], &v))
			continue;
		if (n && out[n - 1].hi + 1u == cut[i] &&
		    same_verdict(&out[n - 1].v, &v)) {
			out[n - 1].hi = cut[i + 1] - 1;
			continue;
		}
		if (n == max)
			break;
		out[n++] = (struct rules_ahead){ cut[i], cut[i + 1] - 1, v };
	}
	free(cut);
	free(c.v);
	return err ? err : (int)n;
}

static bool proto_only(const struct rule *r, uint8_t proto)
{
	return (r->proto[proto / 64] >> (proto % 64) & 1) &&
	       __builtin_popcountll(r->proto[0]) + __builtin_popcountll(r->proto[1]) +
	       __builtin_popcountll(r->proto[2]) + __builtin_popcountll(r->proto[3]) == 1;
}

static bool families_only(const struct netlist *l, uint8_t family)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].family != family)
			return false;
	return l->n;
}

/* Cheap proofs that no packet can match a rule. */
bool rule_warn_never(const struct rule *r, const char **why)
{
	bool proto = r->keys & (1u << K_PROTO);
	unsigned p;

	if (proto && (r->rport.n || r->lport.n)) {
		for (p = 0; p < 256; p++)
			if (has_ports(p) && (r->proto[p / 64] >> (p % 64) & 1))
				break;
		if (p == 256) {
			*why = "rport/lport with protocols that have no ports";
			return true;
		}
	}
	if ((r->flags_set | r->flags_clear) && proto && !(r->proto[0] >> IPPROTO_TCP & 1)) {
		*why = "tcpflags without tcp";
		return true;
	}
	if (r->flags_set & r->flags_clear) {
		*why = "a TCP flag both required and excluded";
		return true;
	}
	if ((families_only(&r->remote, AF_INET) && families_only(&r->local, AF_INET6)) ||
	    (families_only(&r->remote, AF_INET6) && families_only(&r->local, AF_INET))) {
		*why = "remote and local of different address families";
		return true;
	}
	if ((proto_only(r, IPPROTO_ICMP) && (families_only(&r->remote, AF_INET6) ||
					     families_only(&r->local, AF_INET6))) ||
	    (proto_only(r, IPPROTO_ICMPV6) && (families_only(&r->remote, AF_INET) ||
					       families_only(&r->local, AF_INET)))) {
		*why = "icmp with IPv6 addresses, or icmpv6 with IPv4 ones";
		return true;
	}
	return false;
}

/* ---- explaining a verdict ----------------------------------------------- */

struct why {
	char *buf;
	size_t len, off;
};

static void __attribute__((format(printf, 2, 3)))
say(struct why *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->off >= w->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->off, w->len - w->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->off += (size_t)n;
}

static const char *exe_or(const struct rules_proc *p)
{
	return p && p->exe ? p->exe : "?";
}

static void say_addr(struct why *w, uint8_t family, const uint8_t *a)
{
	char s[INET6_ADDRSTRLEN];

	say(w, "%s", inet_ntop(family, a, s, sizeof(s)) ? s : "?");
}

/* What the packet or process showed for key k of a matching rule. */
static void say_key(struct why *w, const struct rule *r, enum rule_key k,
		    const struct rules_pkt *pkt, const struct rules_proc *p)
{
	const struct rules_proc *q;
	unsigned depth;

	say(w, "%s%s=", w->off ? " " : "", key_name(k));
	switch (k) {
	case K_EXE:
	case K_CMDLINE:
		say(w, "%s", k == K_EXE ? exe_or(p) : p->cmdline);
		break;
	case K_SHA256:
		say(w, "(the digest of %s)", exe_or(p));
		break;
	case K_USER:
	case K_GROUP:
		say(w, "%u", k == K_USER ? p->uid : p->gid);
		break;
	case K_PARENT:
		say(w, "%s", exe_or(p->parent));
		break;
	case K_ANCESTOR:
		say(w, "%s", exe_or(ancestor_of(&r->ancestor, p)));
		break;
	case K_PEDIGREE:
		for (q = p, depth = 0; q && depth < RULES_DEPTH_MAX;
		     q = q->parent, depth++)
			say(w, "%s%s", depth ? "<" : "", exe_or(q));
		break;
	case K_SCRIPT:
	case K_UNIT:
	case K_CGROUP:
		say(w, "%s", k == K_SCRIPT ? p->script : k == K_UNIT ? p->unit :
		    p->cgroup);
		break;
	case K_PROTO:
		say(w, "%u", pkt->proto);
		break;
	case K_REMOTE:
	case K_LOCAL:
		say_addr(w, pkt->family, k == K_REMOTE ? pkt->remote :
			 pkt->local);
		break;
	case K_RPORT:
	case K_LPORT:
		say(w, "%u", k == K_RPORT ? pkt->rport : pkt->lport);
		break;
	case K_DIRECTION:
		say(w, "%s", pkt->dir == RULES_DIR_IN ? "in" : "out");
		break;
	case K_TCPFLAGS:
		say(w, "%#x", pkt->tcpflags);
		break;
	case K_LENGTH:
		say(w, "%u", pkt->length);
		break;
	default:	/* K_NTH: actions are not matched */
		say(w, "%" PRIu64, pkt->nth);
		break;
	}
}

const char *rules_explain(const struct rule *r,
			  const struct rules_pkt *pkt,
			  const struct rules_proc *proc, char *buf, size_t len)
{
	struct why w = { buf, len, 0 };
	unsigned k;

	if (len)
		buf[0] = '\0';
	if (!r) {
		say(&w, "no rule matched: %s", !proc ? pkt->nosock ?
		    "no socket: kernel" : "no known process: unknown" :
		    "default");
		return buf;
	}
	for (k = 0; k < K_ACTION; k++)
		if (r->keys & (1u << k))
			say_key(&w, r, k, pkt, proc);
	if (!w.off)
		say(&w, "no key: every packet");
	return buf;
}
