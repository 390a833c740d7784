// SPDX-License-Identifier: GPL-2.0
/* Judging a packet: the first rule in file order that matches it decides.
 * Only the index's candidates are tried. Nothing here allocates or writes
 * shared state, so any number of threads may match at once. */
#include <fnmatch.h>
#include <netinet/in.h>
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

static bool ancestor_match(const struct strlist *l, const struct rules_proc *p)
{
	unsigned depth;

	for (depth = 0, p = p->parent; p && depth < RULES_DEPTH_MAX;
	     depth++, p = p->parent)
		if (paths_match(l, p->exe))
			return true;
	return false;
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

static bool who_match(const struct rule *r, const struct rules_proc *p)
{
	if (!p)
		return !(r->keys & KEYS_WHO);
	return (!r->exe.n || paths_match(&r->exe, p->exe)) &&
	       (!r->nsha256 || sha256_in(r, p->sha256)) &&
	       (!r->cmdline || (p->cmdline && !fnmatch(r->cmdline, p->cmdline, 0))) &&
	       (!r->uid.n || id_in(&r->uid, p->uid)) &&
	       (!r->gid.n || id_in(&r->gid, p->gid)) &&
	       (!r->parent.n || (p->parent && paths_match(&r->parent, p->parent->exe))) &&
	       (!r->ancestor.n || ancestor_match(&r->ancestor, p)) &&
	       (!r->pedigree.n || pedigree_match(&r->pedigree, p));
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

/* What holds for every packet of a connection. */
static bool conn_match(const struct rule *r, const struct rules_pkt *pkt)
{
	bool ports = has_ports(pkt->proto);

	return (!(r->keys & (1u << K_PROTO)) ||
		(r->proto[pkt->proto / 64] >> (pkt->proto % 64) & 1)) &&
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

		if (!who_match(r, proc) || !conn_match(r, pkt))
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
	*v = (struct rules_verdict){
		.action = proc ? rs->g.def :
			  pkt->nosock ? rs->g.kernel : rs->g.unknown,
		.log = rs->g.log,
		.per_packet = per_packet,
	};
	return NULL;
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
