// SPDX-License-Identifier: GPL-2.0
/*
 * The "inet hone" table, built with libnftnl and sent as one netlink batch:
 *
 *	set owners	(mark, uid) pairs of connection-wide verdicts
 *	map queues	I: jump queueI, I = 0-7 (the users' queues)
 *	chain queueI	[queue0: meta skuid 0: queue num N+9 [bypass] (root's)]
 *			queue num N+I [bypass]
 *	chain in/out	filter, input/output, priority -150
 *		ct protocol tcp, ct mark & (FLOW|GEN) == FLOW|gen: meta
 *			mark set ct mark without FLOW|GEN, accept (the fast
 *			path; a reload flips gen; a drop or reject stays in
 *			the mark)
 *		[out: ct direction original, ct mark & (FLOW|GEN|USER) .
 *			meta skuid @owners (this generation's pairs): meta
 *			mark set ct mark & (EFFECT|DROP|REJECT), accept]
 *		[out: ct direction reply; again ct state related:] the same
 *			test: the same
 *		meta mark set meta mark & USER (no action but a verdict's)
 *		icmpv6 type 130-137, 143 (MLD, ND): accept
 *		meta skuid & 7 vmap @queues: jump queueI, I = 0-7
 *		queue num N+8 [bypass] (no socket holds it)
 *	chain act_in/act_out	filter, same hooks, priority -149
 *		[act_in: DNS answers not marked to drop or reject: log]
 *		meta mark & ~USER == 0: accept (offloaded, or not ours)
 *		meta mark & FLOW, ct state not related: ct mark set meta mark
 *			[not TCP: add meta mark & (FLOW|GEN|USER) . meta
 *			skuid to owners; meta mark set meta mark & ~USER]
 *		meta mark & DROP: drop
 *		meta mark & REJECT: reject (tcp reset, else icmpx port-unreach),
 *			but not the reset or ICMP error a reject sent
 *		[act_out: DSCP effects]
 *		meta mark set meta mark & USER: the packet goes on with the
 *		rule's QoS mark only
 *
 * Once something is redirected, output has two chains more, and act_out
 * leaves its last two steps to the second (its first test accepts a
 * packet with an effect alone too):
 *
 *	chain nat_out	nat, output, priority -100
 *		meta mark & REDIR == i: dnat to the i-th redirect target
 *	chain done_out	filter, output, priority -99
 *		DSCP effects; meta mark set meta mark & USER
 *
 * An accept verdict resumes at the next base chain, so the act chains see
 * what the queue decided. This kernel ignores a verdict's ct mark, hence the
 * copy from the packet mark. Failmode closed drops the bypass flag: with no
 * listener the queue rule drops, and the table outlives a killed daemon.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include "nft.h"
#include "nftb.h"
#include "rules.h"

#define TABLE		"hone"
#define PRIO_QUEUE	(-150)	/* after conntrack, before dstnat */
#define PRIO_ACT	(-149)
#define PRIO_NAT	(-100)
#define PRIO_DONE	(-99)	/* after the DNAT that reads REDIR */
/* The pairs (connection-wide mark, uid) verdicts were given with: the
 * owner test of what other protocols than TCP send (add_offloaded()). A
 * pair per user and verdict, for many users: one user's range of
 * subordinate uids (65,536 by default) must not fill it, and a full set
 * keeps a newcomer's verdicts per packet until the next reload. */
#define OWNERS		"owners"
#define OWNERS_ID	1
#define OWNERS_MAX	(1 << 20)
/* The users' queues by uid & 7 (add_users_queue()). */
#define QUEUES		"queues"
#define QUEUES_ID	2
static const char *const queue_chains[] = {
	"queue0", "queue1", "queue2", "queue3",
	"queue4", "queue5", "queue6", "queue7",
};
_Static_assert(sizeof(queue_chains) / sizeof(*queue_chains) ==
	       RULES_QUEUE_USERS, "a chain per users' queue");
/* Mark bits an offloaded packet takes from its connection's: what its
 * verdict does besides accepting it (the act chain's). */
#define ACTS	(HONE_MARK_EFFECT | HONE_MARK_DROP | HONE_MARK_REJECT)

/* What a HONE_MARK_EFFECT index does: a DNAT to addr:port, or (family 0)
 * a DSCP code point. */
struct effect {
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;		/* network order */
	uint8_t dscp;
};

struct nft {
	struct nftb nb;
	bool native;
	bool installed;
	bool nat;		/* nat_out and done_out installed: they stay */
	struct nft_conf conf;
	struct effect effects[HONE_EFFECT_MAX];
	unsigned neffects;
};

/* A meta or ct expression: key loaded into a register or set from one. */
static void keyed(struct nftnl_rule *r, const char *name, uint16_t key_attr,
		  uint32_t key, uint16_t reg_attr, uint32_t reg)
{
	struct nftnl_expr *e = nftb_expr(r, name);

	if (!e)
		return;
	nftnl_expr_set_u32(e, key_attr, key);
	nftnl_expr_set_u32(e, reg_attr, reg);
}

#define meta_load(r, key, reg) \
	keyed(r, "meta", NFTNL_EXPR_META_KEY, key, NFTNL_EXPR_META_DREG, reg)
#define meta_store(r, key, reg) \
	keyed(r, "meta", NFTNL_EXPR_META_KEY, key, NFTNL_EXPR_META_SREG, reg)
#define ct_load(r, key, reg) \
	keyed(r, "ct", NFTNL_EXPR_CT_KEY, key, NFTNL_EXPR_CT_DREG, reg)
#define ct_store(r, key, reg) \
	keyed(r, "ct", NFTNL_EXPR_CT_KEY, key, NFTNL_EXPR_CT_SREG, reg)

static void cmp(struct nftnl_rule *r, uint32_t reg, uint32_t op,
		const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftb_expr(r, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

static void cmp_u8(struct nftnl_rule *r, uint32_t reg, uint8_t v)
{
	cmp(r, reg, NFT_CMP_EQ, &v, sizeof(v));
}

/* dreg = (sreg & mask) ^ xor over len bytes (at most 4; host order as
 * meta and ct load them, network order from a packet). */
static void bitwise(struct nftnl_rule *r, uint32_t sreg, uint32_t dreg,
		    const void *mask, const void *xor, uint32_t len)
{
	struct nftnl_expr *e = nftb_expr(r, "bitwise");
	uint32_t zero = 0;

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor ? xor : &zero, len);
}

static void and_mask(struct nftnl_rule *r, uint32_t sreg, uint32_t dreg,
		     uint32_t mask)
{
	bitwise(r, sreg, dreg, &mask, NULL, sizeof(mask));
}

static void and_mask8(struct nftnl_rule *r, uint32_t reg, uint8_t mask)
{
	bitwise(r, reg, reg, &mask, NULL, sizeof(mask));
}

/* len bytes of the transport header at off into dreg. */
static void payload_th(struct nftnl_rule *r, uint32_t off, uint32_t len,
		       uint32_t dreg)
{
	struct nftnl_expr *e = nftb_expr(r, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
			   NFT_PAYLOAD_TRANSPORT_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
}

/* len bytes of the network header at off, to or from reg; a write to the
 * IPv4 header fixes its checksum. */
static void payload_net(struct nftnl_rule *r, uint32_t off, uint32_t len,
			uint32_t reg, bool write, bool csum)
{
	struct nftnl_expr *e = nftb_expr(r, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
			   NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, write ? NFTNL_EXPR_PAYLOAD_SREG :
			   NFTNL_EXPR_PAYLOAD_DREG, reg);
	if (csum) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_CSUM_TYPE,
				   NFT_PAYLOAD_CSUM_INET);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_CSUM_OFFSET, 10);
	}
}

/* Load the packet mark into reg 1 and go on only if (mark & bits) != 0. */
static void mark_has(struct nftnl_rule *r, uint32_t bits)
{
	uint32_t zero = 0;

	meta_load(r, NFT_META_MARK, NFT_REG_1);
	and_mask(r, NFT_REG_1, NFT_REG_2, bits);
	cmp(r, NFT_REG_2, NFT_CMP_NEQ, &zero, sizeof(zero));
}

static void verdict(struct nftnl_rule *r, int v)
{
	struct nftnl_expr *e = nftb_expr(r, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, v);
}

static void immediate(struct nftnl_rule *r, uint32_t dreg, const void *data,
		      uint32_t len)
{
	struct nftnl_expr *e = nftb_expr(r, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
}

static void queue_to(struct nftnl_rule *r, uint16_t num, bool bypass,
		     bool native)
{
	struct xt_NFQ_info_v3 *info;
	struct nftnl_expr *e;

	if (native) {
		if (!(e = nftb_expr(r, "queue")))
			return;
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, num);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, 1);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS,
				   bypass ? NFT_QUEUE_FLAG_BYPASS : 0);
		return;
	}
	/* libnftnl keeps (and frees) the target's info. */
	if (!(info = nftb_built(calloc(1, sizeof(*info)))))
		return;
	info->queuenum = num;
	info->queues_total = 1;
	info->flags = bypass ? NFQ_FLAG_BYPASS : 0;
	if (!(e = nftb_expr(r, "target"))) {
		free(info);
		return;
	}
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, sizeof(*info));
}

static void reject(struct nftnl_rule *r, uint32_t type, uint8_t code)
{
	struct nftnl_expr *e = nftb_expr(r, "reject");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, type);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, code);
}

static void dnat(struct nftnl_rule *r, const struct effect *d)
{
	struct nftnl_expr *e;

	immediate(r, NFT_REG_1, d->addr, d->family == AF_INET ? 4 : 16);
	immediate(r, NFT_REG_2, &d->port, sizeof(d->port));
	if (!(e = nftb_expr(r, "nat")))
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY,
			   d->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
}

/* Go on only for packets of effect idx and family. */
static void effect_is(struct nftnl_rule *r, unsigned idx, uint8_t family)
{
	uint32_t want = idx << HONE_MARK_EFFECT_SHIFT;

	meta_load(r, NFT_META_MARK, NFT_REG_1);
	and_mask(r, NFT_REG_1, NFT_REG_1, HONE_MARK_EFFECT);
	cmp(r, NFT_REG_1, NFT_CMP_EQ, &want, sizeof(want));
	meta_load(r, NFT_META_NFPROTO, NFT_REG_1);
	cmp_u8(r, NFT_REG_1, family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
}

static void add_redirect_rules(struct nftb_batch *bt, const struct effect *d,
			       unsigned idx)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct nftnl_rule *r;
	size_t i;

	for (i = 0; i < sizeof(protos); i++) {
		r = nftb_rule_new(bt, "nat_out");
		effect_is(r, idx, d->family);
		meta_load(r, NFT_META_L4PROTO, NFT_REG_1);
		cmp_u8(r, NFT_REG_1, protos[i]);
		dnat(r, d);
		nftb_rule(bt, r);
	}
}

/* The DSCP field, ECN kept: in IPv4's TOS byte, written with the byte
 * before it (the checksum is fixed a 16-bit word at a time), in IPv6's
 * traffic class across its first two bytes. */
static void add_dscp_rules(struct nftb_batch *bt, const char *chain,
			   const struct effect *d, unsigned idx)
{
	const uint8_t keep4[2] = { 0xff, 0x03 };
	const uint8_t set4[2] = { 0, (uint8_t)(d->dscp << 2) };
	const uint8_t keep6[2] = { 0xf0, 0x3f };
	const uint8_t set6[2] = { d->dscp >> 2, (uint8_t)(d->dscp << 6) };
	struct nftnl_rule *r;

	r = nftb_rule_new(bt, chain);
	effect_is(r, idx, AF_INET);
	payload_net(r, 0, 2, NFT_REG_1, false, false);
	bitwise(r, NFT_REG_1, NFT_REG_1, keep4, set4, 2);
	payload_net(r, 0, 2, NFT_REG_1, true, true);
	nftb_rule(bt, r);

	r = nftb_rule_new(bt, chain);
	effect_is(r, idx, AF_INET6);
	payload_net(r, 0, 2, NFT_REG_1, false, false);
	bitwise(r, NFT_REG_1, NFT_REG_1, keep6, set6, 2);
	payload_net(r, 0, 2, NFT_REG_1, true, false);
	nftb_rule(bt, r);
}

static void add_nat_chain(struct nftb_batch *bt)
{
	nftb_chain(bt, "nat_out", "nat", NF_INET_LOCAL_OUT, PRIO_NAT);
}

/* ICMPv6 of types lo to hi: accept. */
static void add_icmp6_accept(struct nftb_batch *bt, const char *chain,
			     uint8_t lo, uint8_t hi)
{
	struct nftnl_rule *r = nftb_rule_new(bt, chain);

	meta_load(r, NFT_META_L4PROTO, NFT_REG_1);
	cmp_u8(r, NFT_REG_1, IPPROTO_ICMPV6);
	payload_th(r, 0, 1, NFT_REG_1);
	cmp(r, NFT_REG_1, NFT_CMP_GTE, &lo, 1);
	cmp(r, NFT_REG_1, NFT_CMP_LTE, &hi, 1);
	verdict(r, NF_ACCEPT);
	nftb_rule(bt, r);
}

/* Go on only if the connection's verdict is of this generation (its mark
 * then in reg 1). */
static void flow_is(struct nftnl_rule *r, const struct nft *n)
{
	uint32_t flow = nft_flow_bits(n);

	ct_load(r, NFT_CT_MARK, NFT_REG_1);
	and_mask(r, NFT_REG_1, NFT_REG_2, HONE_MARK_FLOW | HONE_MARK_GEN);
	cmp(r, NFT_REG_2, NFT_CMP_EQ, &flow, sizeof(flow));
}

/* Go on only if the packet is (related) or is not (!related) one that
 * belongs to another connection, as an ICMP error does. */
static void ct_related(struct nftnl_rule *r, bool related)
{
	uint32_t zero = 0;

	ct_load(r, NFT_CT_STATE, NFT_REG_3);
	and_mask(r, NFT_REG_3, NFT_REG_3, NF_CT_STATE_BIT(IP_CT_RELATED));
	cmp(r, NFT_REG_3, related ? NFT_CMP_NEQ : NFT_CMP_EQ, &zero,
	    sizeof(zero));
}

static void proto_is_not_tcp(struct nftnl_rule *r)
{
	uint8_t tcp = IPPROTO_TCP;

	meta_load(r, NFT_META_L4PROTO, NFT_REG_3);
	cmp(r, NFT_REG_3, NFT_CMP_NEQ, &tcp, sizeof(tcp));
}

/* The key of owners: the connection-wide bits and low bits of the mark
 * in reg, the packet's socket's uid (meta skuid: no socket, no key). */
static void owner_key(struct nftnl_rule *r, uint32_t reg)
{
	and_mask(r, reg, NFT_REG32_00,
		 HONE_MARK_FLOW | HONE_MARK_GEN | HONE_MARK_USER);
	meta_load(r, NFT_META_SKUID, NFT_REG32_01);
}

/* The key in reg 32_00 looked up in set (id): a miss ends the rule; a
 * verdict map's element gives the rule its verdict. */
static void lookup(struct nftnl_rule *r, const char *set, uint32_t id,
		   bool verdict)
{
	struct nftnl_expr *e = nftb_expr(r, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG32_00);
	if (verdict)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id);
}

/* The key in reg 32_00 added to owners. */
static void owners_add(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftb_expr(r, "dynset");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG32_00);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_ADD);
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, OWNERS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, OWNERS_ID);
}

/* The packet leaves with these bits of its connection's mark (reg 1). */
static void leave_with(struct nftb_batch *bt, struct nftnl_rule *r,
		       uint32_t bits)
{
	and_mask(r, NFT_REG_1, NFT_REG_1, bits);
	meta_store(r, NFT_META_MARK, NFT_REG_1);
	verdict(r, NF_ACCEPT);
	nftb_rule(bt, r);
}

/* An offloaded packet leaves with what its verdict does besides: the act
 * chain lets an accepted one go at its first test and drops or rejects
 * the others (a reload can turn an accepted connection's verdict into a
 * drop, stored in its mark by its first packet judged after).
 *
 * No two sockets hold one TCP connection, and an ICMP error about it
 * shares its entry: the mark is the verdict, its low bits the QoS mark.
 * Sockets of other protocols may share a 5-tuple (UDP's and ping's with
 * SO_REUSEADDR, whoever owns them), so what the host sends the way the
 * connection was opened takes the verdict only from a socket of the user
 * it was given to: its uid is in the mark's low bits (daemon.c), and the
 * act chain put the pair in owners. Incoming, the socket is not known yet
 * (none for unconnected UDP): the mark is the verdict. */
static void add_offloaded(struct nftb_batch *bt, const struct nft *n,
			  const char *name, uint32_t hook)
{
	struct nftnl_rule *r = nftb_rule_new(bt, name);
	const uint32_t zero = 0;

	ct_load(r, NFT_CT_PROTOCOL, NFT_REG_1);
	cmp_u8(r, NFT_REG_1, IPPROTO_TCP);
	flow_is(r, n);
	leave_with(bt, r, HONE_MARK_USER | ACTS);
	if (hook == NF_INET_LOCAL_IN) {
		r = nftb_rule_new(bt, name);
		flow_is(r, n);
		leave_with(bt, r, ACTS);
		return;
	}
	/* owners holds this generation's pairs alone (a reload empties it):
	 * the lookup tests the generation too. */
	r = nftb_rule_new(bt, name);
	ct_load(r, NFT_CT_DIRECTION, NFT_REG_1);
	cmp_u8(r, NFT_REG_1, IP_CT_DIR_ORIGINAL);
	ct_load(r, NFT_CT_MARK, NFT_REG_2);
	/* A packet judged one by one (no FLOW) reads no uid here. */
	and_mask(r, NFT_REG_2, NFT_REG_3, HONE_MARK_FLOW);
	cmp(r, NFT_REG_3, NFT_CMP_NEQ, &zero, sizeof(zero));
	owner_key(r, NFT_REG_2);
	lookup(r, OWNERS, OWNERS_ID, false);
	and_mask(r, NFT_REG_2, NFT_REG_2, ACTS);
	meta_store(r, NFT_META_MARK, NFT_REG_2);
	verdict(r, NF_ACCEPT);
	nftb_rule(bt, r);
	/* The answers of a local server to the connection's opener (its
	 * peer's, on loopback), and ICMP errors. */
	r = nftb_rule_new(bt, name);
	ct_load(r, NFT_CT_DIRECTION, NFT_REG_1);
	cmp_u8(r, NFT_REG_1, IP_CT_DIR_REPLY);
	flow_is(r, n);
	leave_with(bt, r, ACTS);
	r = nftb_rule_new(bt, name);
	ct_related(r, true);
	flow_is(r, n);
	leave_with(bt, r, ACTS);
}

/* meta skuid 0: root's queue, in queue0's chain (0 modulo 8): the other
 * users' packets read no uid for it. */
static void add_root_queue(struct nftb_batch *bt, const struct nft *n,
			   const char *name)
{
	struct nftnl_rule *r = nftb_rule_new(bt, name);
	const uint32_t root = 0;

	meta_load(r, NFT_META_SKUID, NFT_REG_1);
	cmp(r, NFT_REG_1, NFT_CMP_EQ, &root, sizeof(root));
	queue_to(r, n->conf.queue + RULES_QUEUE_ROOT, !n->conf.fail_closed,
		 n->native);
	nftb_rule(bt, r);
}

/* The users' queues, the uid read once: meta skuid & 7 picks a chain of
 * a queue rule in the map queues (a rule a queue read it up to nine
 * times, each under the socket's callback lock). The queue number could
 * come from a register, but not on a kernel without nft's queue (the xt
 * target's is fixed). */
static void add_users_queues(struct nftb_batch *bt, const struct nft *n)
{
	struct nftnl_rule *r;
	uint32_t i;

	for (i = 0; i < RULES_QUEUE_USERS; i++) {
		nftb_chain(bt, queue_chains[i], NULL, 0, 0);
		if (i == 0)
			add_root_queue(bt, n, queue_chains[i]);
		r = nftb_rule_new(bt, queue_chains[i]);
		queue_to(r, n->conf.queue + i, !n->conf.fail_closed, n->native);
		nftb_rule(bt, r);
	}
	nftb_vmap(bt, QUEUES, QUEUES_ID, queue_chains, RULES_QUEUE_USERS);
}

static void add_users_queue(struct nftb_batch *bt, const char *name)
{
	struct nftnl_rule *r = nftb_rule_new(bt, name);

	meta_load(r, NFT_META_SKUID, NFT_REG32_00);
	and_mask(r, NFT_REG32_00, NFT_REG32_00, RULES_QUEUE_USERS - 1);
	lookup(r, QUEUES, QUEUES_ID, true);
	nftb_rule(bt, r);
}

static void add_queue_chain(struct nftb_batch *bt, const struct nft *n,
			    const char *name, uint32_t hook)
{
	struct nftnl_rule *r;

	nftb_chain(bt, name, "filter", hook, PRIO_QUEUE);
	/* Without ctnetlink nothing is offloaded: no conntrack mark, an
	 * earlier honefw's neither, is taken for a verdict. */
	if (n->conf.offload)
		add_offloaded(bt, n, name, hook);

	/* Any other packet is judged, or passes unjudged (the rule below;
	 * failmode open with no listener or a full queue): the act chain
	 * must see only what a verdict gives, never action bits the packet
	 * came with. CAP_NET_RAW, which ping has, lets a user mark his
	 * packets as he likes (SO_MARK: ping -m). */
	r = nftb_rule_new(bt, name);
	meta_load(r, NFT_META_MARK, NFT_REG_1);
	and_mask(r, NFT_REG_1, NFT_REG_1, HONE_MARK_USER);
	meta_store(r, NFT_META_MARK, NFT_REG_1);
	nftb_rule(bt, r);

	/* IPv6's own plumbing (MLD 130-132 and 143, ND 133-137) belongs to
	 * no application: never queued, so no rule can break IPv6. Not the
	 * types between (node information 139-140 carries what its sender
	 * likes, and ping -N, which has CAP_NET_RAW, sends it). */
	add_icmp6_accept(bt, name, 130, 137);
	add_icmp6_accept(bt, name, 143, 143);

	/* A queue per class of users, one for root alone (the first user,
	 * 1000, is 0 modulo 8), and one for what no socket holds (meta skuid
	 * finds no owner): a user who floods fills his own, and honefw reads
	 * them all by turns. */
	add_users_queue(bt, name);
	r = nftb_rule_new(bt, name);
	queue_to(r, n->conf.queue + RULES_QUEUE_NOSOCK, !n->conf.fail_closed,
		 n->native);
	nftb_rule(bt, r);
}

/* DNS answers (source port 53) go to NFLOG group log_group, whole, one
 * message each at once: honefw learns names from them (dnslog.c). Only
 * what the rules let in counts: not what is marked to drop or reject. */
static void add_dns_log(struct nftb_batch *bt, const struct nft *n,
			const char *chain)
{
	static const uint8_t protos[] = { IPPROTO_UDP, IPPROTO_TCP };
	const uint16_t port = htons(53);
	uint32_t zero = 0;
	struct nftnl_rule *r;
	struct nftnl_expr *e;
	size_t i;

	for (i = 0; i < sizeof(protos); i++) {
		r = nftb_rule_new(bt, chain);
		meta_load(r, NFT_META_MARK, NFT_REG_1);
		and_mask(r, NFT_REG_1, NFT_REG_1,
			 HONE_MARK_DROP | HONE_MARK_REJECT);
		cmp(r, NFT_REG_1, NFT_CMP_EQ, &zero, sizeof(zero));
		meta_load(r, NFT_META_L4PROTO, NFT_REG_1);
		cmp_u8(r, NFT_REG_1, protos[i]);
		payload_th(r, 0, 2, NFT_REG_1);
		cmp(r, NFT_REG_1, NFT_CMP_EQ, &port, sizeof(port));
		if ((e = nftb_expr(r, "log"))) {
			nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP,
					   n->conf.log_group);
			nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_QTHRESHOLD, 1);
		}
		nftb_rule(bt, r);
	}
}

/* Output's DSCP effects, then the mark cut: the packet goes on with the
 * rule's QoS mark only. */
static void add_done_rules(struct nftb_batch *bt, const struct nft *n,
			   const char *chain, uint32_t hook)
{
	struct nftnl_rule *r;
	unsigned i;

	for (i = 0; hook == NF_INET_LOCAL_OUT && i < n->neffects; i++)
		if (!n->effects[i].family)
			add_dscp_rules(bt, chain, &n->effects[i], i + 1);
	r = nftb_rule_new(bt, chain);
	mark_has(r, ~HONE_MARK_USER);
	and_mask(r, NFT_REG_1, NFT_REG_1, HONE_MARK_USER);
	meta_store(r, NFT_META_MARK, NFT_REG_1);
	nftb_rule(bt, r);
}

/* The verdict's actions; with done, the done rules follow in the same
 * chain (no NAT chain between: one base chain fewer for every packet). */
static void add_act_chain(struct nftb_batch *bt, const struct nft *n,
			  const char *name, uint32_t hook, bool done)
{
	uint32_t rest = HONE_MARK_USER | (done ? 0 : HONE_MARK_EFFECT);
	struct nftnl_rule *r;
	uint32_t zero = 0;

	nftb_chain(bt, name, "filter", hook, PRIO_ACT);
	if (done && hook == NF_INET_LOCAL_IN && n->conf.dns_log)
		add_dns_log(bt, n, name);

	/* Nothing to do here: offloaded (left at its first test in the
	 * queue chain), or not ours. */
	r = nftb_rule_new(bt, name);
	meta_load(r, NFT_META_MARK, NFT_REG_1);
	and_mask(r, NFT_REG_1, NFT_REG_1, ~rest);
	cmp(r, NFT_REG_1, NFT_CMP_EQ, &zero, sizeof(zero));
	verdict(r, NF_ACCEPT);
	nftb_rule(bt, r);

	/* A related packet (an ICMP error, from anyone) shares its
	 * connection's conntrack entry: its verdict must not become the
	 * connection's. */
	r = nftb_rule_new(bt, name);
	mark_has(r, HONE_MARK_FLOW);
	ct_related(r, false);
	ct_store(r, NFT_CT_MARK, NFT_REG_1);
	nftb_rule(bt, r);

	/* Other protocols than TCP: the verdict's owner pair goes to owners
	 * (the queue chain's test), and the uid off the packet's mark. */
	r = nftb_rule_new(bt, name);
	mark_has(r, HONE_MARK_FLOW);
	ct_related(r, false);
	proto_is_not_tcp(r);
	owner_key(r, NFT_REG_1);
	owners_add(r);
	nftb_rule(bt, r);
	r = nftb_rule_new(bt, name);
	mark_has(r, HONE_MARK_FLOW);
	proto_is_not_tcp(r);
	and_mask(r, NFT_REG_1, NFT_REG_1, ~HONE_MARK_USER);
	meta_store(r, NFT_META_MARK, NFT_REG_1);
	nftb_rule(bt, r);

	r = nftb_rule_new(bt, name);
	mark_has(r, HONE_MARK_DROP);
	verdict(r, NF_DROP);
	nftb_rule(bt, r);

	/* The reset or ICMP error a reject sends belongs to the rejected
	 * connection and carries its mark: let it through. */
	r = nftb_rule_new(bt, name);
	mark_has(r, HONE_MARK_REJECT);
	ct_related(r, true);
	verdict(r, NF_ACCEPT);
	nftb_rule(bt, r);

	r = nftb_rule_new(bt, name);
	mark_has(r, HONE_MARK_REJECT);
	meta_load(r, NFT_META_L4PROTO, NFT_REG_1);
	cmp_u8(r, NFT_REG_1, IPPROTO_TCP);
	payload_th(r, 13, 1, NFT_REG_1);	/* TCP flags */
	and_mask8(r, NFT_REG_1, TH_RST);
	cmp_u8(r, NFT_REG_1, TH_RST);
	verdict(r, NF_ACCEPT);
	nftb_rule(bt, r);

	r = nftb_rule_new(bt, name);
	mark_has(r, HONE_MARK_REJECT);
	meta_load(r, NFT_META_L4PROTO, NFT_REG_1);
	cmp_u8(r, NFT_REG_1, IPPROTO_TCP);
	reject(r, NFT_REJECT_TCP_RST, 0);
	nftb_rule(bt, r);

	r = nftb_rule_new(bt, name);
	mark_has(r, HONE_MARK_REJECT);
	reject(r, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_PORT_UNREACH);
	nftb_rule(bt, r);
	if (done)
		add_done_rules(bt, n, name, hook);
}


/* What v does besides its action, if anything. */
static bool effect_of(const struct rules_verdict *v, struct effect *e)
{
	memset(e, 0, sizeof(*e));	/* compared whole, padding too */
	if (v->action == RULES_REDIRECT_ADDR) {
		e->family = v->family;
		e->port = htons(v->port);
		memcpy(e->addr, v->addr, v->family == AF_INET ? 4 : 16);
		return true;
	}
	e->dscp = v->dscp;
	return v->has_dscp;
}

static int effect_find(const struct nft *n, const struct effect *e)
{
	unsigned i;

	for (i = 0; i < n->neffects; i++)
		if (!memcmp(&n->effects[i], e, sizeof(*e)))
			return i + 1;
	return -ENOENT;
}

/* The rule set's effects, each once: their rules come with the table, so
 * that no verdict waits for nftables. No rules (tests): none. */
static int effects_set(struct nft *n, const struct rules *rs)
{
	struct effect e;
	size_t i;

	n->neffects = 0;
	for (i = 0; rs && i < rules_count(rs); i++) {
		if (!effect_of(rules_verdict_nth(rs, i), &e) ||
		    effect_find(n, &e) > 0)
			continue;
		if (n->neffects == HONE_EFFECT_MAX)
			return -ENOSPC;
		n->effects[n->neffects++] = e;
	}
	return 0;
}

static bool has_redirect(const struct nft *n)
{
	unsigned i;

	for (i = 0; i < n->neffects; i++)
		if (n->effects[i].family)
			return true;
	return false;
}

static int install(struct nft *n)
{
	struct nftb_batch *bt;
	unsigned i;
	int ret;

	bt = malloc(sizeof(*bt));
	if (!bt)
		return -ENOMEM;
	nftb_start(&n->nb, bt, TABLE);
	/* Deleting a base chain drops every packet queued from its hook: our
	 * own table keeps its chains and only their rules are replaced. */
	bt->replace = n->installed;
	if (bt->replace)
		nftb_table(bt, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	else
		nftb_table_anew(bt);
	/* A NAT hook, and the done chain after it, cost every packet: only
	 * once something is redirected. Then they stay, emptied by a reload
	 * that redirects nothing (their old rules would name effects that
	 * mean something else now). */
	if (!bt->replace)
		n->nat = false;
	n->nat |= has_redirect(n);
	nftb_set(bt, OWNERS, OWNERS_ID, 2 * sizeof(uint32_t), OWNERS_MAX);
	add_users_queues(bt, n);
	add_queue_chain(bt, n, "in", NF_INET_LOCAL_IN);
	add_queue_chain(bt, n, "out", NF_INET_LOCAL_OUT);
	add_act_chain(bt, n, "act_in", NF_INET_LOCAL_IN, true);
	add_act_chain(bt, n, "act_out", NF_INET_LOCAL_OUT, !n->nat);
	if (n->nat) {
		add_nat_chain(bt);
		for (i = 0; i < n->neffects; i++)
			if (n->effects[i].family)
				add_redirect_rules(bt, &n->effects[i], i + 1);
		nftb_chain(bt, "done_out", "filter", NF_INET_LOCAL_OUT,
			   PRIO_DONE);
		add_done_rules(bt, n, "done_out", NF_INET_LOCAL_OUT);
	}
	ret = nftb_commit(&n->nb, bt);
	free(bt);
	return ret;
}

int nft_install(struct nft *n, const struct nft_conf *c,
		const struct rules *rs)
{
	int ret;

	_Static_assert(HONE_EFFECT_MAX >= RULES_EFFECTS_MAX, "mark bits");
	ret = effects_set(n, rs);
	if (ret < 0)
		return ret;
	n->conf = *c;
	ret = install(n);
	if (ret < 0 && n->installed) {
		/* Not as we left it (someone changed a chain): anew. */
		n->installed = false;
		ret = install(n);
	}
	if (ret == -ENOENT && n->native) {
		/* No queue expression (CONFIG_NFT_QUEUE off): xt compat. */
		n->native = false;
		ret = install(n);
	}
	n->installed = ret == 0;
	return ret;
}

int nft_present(struct nft *n)
{
	return nftb_present(&n->nb, TABLE);
}

int nft_remove(struct nft *n)
{
	n->installed = false;
	return nftb_remove(&n->nb, TABLE);
}

int nft_effect(const struct nft *n, const struct rules_verdict *v)
{
	struct effect e;

	return effect_of(v, &e) ? effect_find(n, &e) : 0;
}

uint32_t nft_flow_bits(const struct nft *n)
{
	return HONE_MARK_FLOW | (n->conf.gen ? HONE_MARK_GEN : 0);
}

bool nft_native_queue(const struct nft *n)
{
	return n->native;
}

int nft_open(struct nft **out)
{
	struct nft *n;
	int ret;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->native = true;
	ret = nftb_open(&n->nb);
	if (ret < 0) {
		free(n);
		return ret;
	}
	*out = n;
	return 0;
}

void nft_close(struct nft *n)
{
	if (!n)
		return;
	nftb_close(&n->nb);
	free(n);
}
