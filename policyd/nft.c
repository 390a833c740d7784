// SPDX-License-Identifier: GPL-2.0
/*
 * The "inet hone" table, built with libnftnl and sent as one netlink batch:
 *
 *	chain in/out	filter, input/output, priority -150
 *		ct mark & (FLOW|GEN) == FLOW|gen: meta mark set ct mark,
 *			accept (the fast path; a reload flips gen)
 *		icmpv6 type 130-143 (ND, MLD): accept
 *		queue num N [bypass]
 *	chain act_in/act_out	filter, same hooks, priority -149
 *		meta mark & FLOW, ct state not related: ct mark set meta mark
 *		meta mark & DROP: drop
 *		meta mark & REJECT: reject (tcp reset, else icmpx port-unreach),
 *			but not the reset or ICMP error a reject sent
 *	chain nat_out	nat, output, priority -100
 *		meta mark & REDIR == i: dnat to the i-th redirect target
 *	chain done_in/done_out	filter, same hooks, priority -99
 *		meta mark set meta mark & USER: the packet goes on with the
 *		rule's QoS mark only
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
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include "nft.h"
#include "nftb.h"

#define TABLE		"hone"
#define PRIO_QUEUE	(-150)	/* after conntrack, before dstnat */
#define PRIO_ACT	(-149)
#define PRIO_NAT	(-100)
#define PRIO_DONE	(-99)	/* after the DNAT that reads REDIR */

struct redir {
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;		/* network order */
};

struct nft {
	struct nftb nb;
	bool native;
	bool installed;
	struct nft_conf conf;
	struct redir redir[HONE_REDIR_MAX];
	unsigned nredir;
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

/* dreg = sreg & mask over len bytes (1 or 4, host order as meta and ct
 * load them). */
static void and_bytes(struct nftnl_rule *r, uint32_t sreg, uint32_t dreg,
		      const void *mask, uint32_t len)
{
	struct nftnl_expr *e = nftb_expr(r, "bitwise");
	uint32_t zero = 0;

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, len);
}

static void and_mask(struct nftnl_rule *r, uint32_t sreg, uint32_t dreg,
		     uint32_t mask)
{
	and_bytes(r, sreg, dreg, &mask, sizeof(mask));
}

static void and_mask8(struct nftnl_rule *r, uint32_t reg, uint8_t mask)
{
	and_bytes(r, reg, reg, &mask, sizeof(mask));
}

/* The transport header's byte at off into dreg. */
static void payload_u8(struct nftnl_rule *r, uint32_t off, uint32_t dreg)
{
	struct nftnl_expr *e = nftb_expr(r, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
			   NFT_PAYLOAD_TRANSPORT_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
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

static void dnat(struct nftnl_rule *r, const struct redir *d)
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

static void add_redirect_rules(struct nftb_batch *bt, const struct redir *d,
			       unsigned idx)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	uint32_t want = idx << HONE_MARK_REDIR_SHIFT;
	struct nftnl_rule *r;
	size_t i;

	for (i = 0; i < sizeof(protos); i++) {
		r = nftb_rule_new(bt, "nat_out");
		meta_load(r, NFT_META_MARK, NFT_REG_1);
		and_mask(r, NFT_REG_1, NFT_REG_1, HONE_MARK_REDIR);
		cmp(r, NFT_REG_1, NFT_CMP_EQ, &want, sizeof(want));
		meta_load(r, NFT_META_NFPROTO, NFT_REG_1);
		cmp_u8(r, NFT_REG_1, d->family == AF_INET ? NFPROTO_IPV4 :
		       NFPROTO_IPV6);
		meta_load(r, NFT_META_L4PROTO, NFT_REG_1);
		cmp_u8(r, NFT_REG_1, protos[i]);
		dnat(r, d);
		nftb_rule(bt, r);
	}
}

static void add_nat_chain(struct nftb_batch *bt)
{
	nftb_chain(bt, "nat_out", "nat", NF_INET_LOCAL_OUT, PRIO_NAT);
}

static void add_queue_chain(struct nftb_batch *bt, const struct nft *n,
			    const char *name, uint32_t hook)
{
	uint32_t flow = HONE_MARK_FLOW | (n->conf.gen ? HONE_MARK_GEN : 0);
	const uint8_t icmp6_min = 130, icmp6_max = 143;
	struct nftnl_rule *r;

	nftb_chain(bt, name, "filter", hook, PRIO_QUEUE);

	/* An offloaded packet leaves with its QoS mark only: the later
	 * chains have nothing to do for it and let it go at their first
	 * test. */
	r = nftb_rule_new(bt, name);
	ct_load(r, NFT_CT_MARK, NFT_REG_1);
	and_mask(r, NFT_REG_1, NFT_REG_2, HONE_MARK_FLOW | HONE_MARK_GEN);
	cmp(r, NFT_REG_2, NFT_CMP_EQ, &flow, sizeof(flow));
	and_mask(r, NFT_REG_1, NFT_REG_1, HONE_MARK_USER);
	meta_store(r, NFT_META_MARK, NFT_REG_1);
	verdict(r, NF_ACCEPT);
	nftb_rule(bt, r);

	/* IPv6's own plumbing (MLD 130-132 and 143, ND 133-137) belongs to
	 * no application: never queued, so no rule can break IPv6. */
	r = nftb_rule_new(bt, name);
	meta_load(r, NFT_META_L4PROTO, NFT_REG_1);
	cmp_u8(r, NFT_REG_1, IPPROTO_ICMPV6);
	payload_u8(r, 0, NFT_REG_1);
	cmp(r, NFT_REG_1, NFT_CMP_GTE, &icmp6_min, 1);
	cmp(r, NFT_REG_1, NFT_CMP_LTE, &icmp6_max, 1);
	verdict(r, NF_ACCEPT);
	nftb_rule(bt, r);

	r = nftb_rule_new(bt, name);
	queue_to(r, n->conf.queue, !n->conf.fail_closed, n->native);
	nftb_rule(bt, r);
}

static void add_act_chain(struct nftb_batch *bt, const char *name, uint32_t hook)
{
	struct nftnl_rule *r;
	uint32_t zero = 0;

	nftb_chain(bt, name, "filter", hook, PRIO_ACT);

	/* Nothing of honefw's in the mark: offloaded, or not ours. */
	r = nftb_rule_new(bt, name);
	meta_load(r, NFT_META_MARK, NFT_REG_1);
	and_mask(r, NFT_REG_1, NFT_REG_1, ~HONE_MARK_USER);
	cmp(r, NFT_REG_1, NFT_CMP_EQ, &zero, sizeof(zero));
	verdict(r, NF_ACCEPT);
	nftb_rule(bt, r);

	/* A related packet (an ICMP error, from anyone) shares its
	 * connection's conntrack entry: its verdict must not become the
	 * connection's. */
	r = nftb_rule_new(bt, name);
	mark_has(r, HONE_MARK_FLOW);
	ct_load(r, NFT_CT_STATE, NFT_REG_3);
	and_mask(r, NFT_REG_3, NFT_REG_3, NF_CT_STATE_BIT(IP_CT_RELATED));
	cmp(r, NFT_REG_3, NFT_CMP_EQ, &zero, sizeof(zero));
	ct_store(r, NFT_CT_MARK, NFT_REG_1);
	nftb_rule(bt, r);

	r = nftb_rule_new(bt, name);
	mark_has(r, HONE_MARK_DROP);
	verdict(r, NF_DROP);
	nftb_rule(bt, r);

	/* The reset or ICMP error a reject sends belongs to the rejected
	 * connection and carries its mark: let it through. */
	r = nftb_rule_new(bt, name);
	mark_has(r, HONE_MARK_REJECT);
	ct_load(r, NFT_CT_STATE, NFT_REG_1);
	and_mask(r, NFT_REG_1, NFT_REG_1, NF_CT_STATE_BIT(IP_CT_RELATED));
	cmp(r, NFT_REG_1, NFT_CMP_NEQ, &zero, sizeof(zero));
	verdict(r, NF_ACCEPT);
	nftb_rule(bt, r);

	r = nftb_rule_new(bt, name);
	mark_has(r, HONE_MARK_REJECT);
	meta_load(r, NFT_META_L4PROTO, NFT_REG_1);
	cmp_u8(r, NFT_REG_1, IPPROTO_TCP);
	payload_u8(r, 13, NFT_REG_1);	/* TCP flags */
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
}

static void add_done_chain(struct nftb_batch *bt, const char *name, uint32_t hook)
{
	struct nftnl_rule *r;

	nftb_chain(bt, name, "filter", hook, PRIO_DONE);
	r = nftb_rule_new(bt, name);
	mark_has(r, ~HONE_MARK_USER);
	and_mask(r, NFT_REG_1, NFT_REG_1, HONE_MARK_USER);
	meta_store(r, NFT_META_MARK, NFT_REG_1);
	nftb_rule(bt, r);
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
	add_queue_chain(bt, n, "in", NF_INET_LOCAL_IN);
	add_queue_chain(bt, n, "out", NF_INET_LOCAL_OUT);
	add_act_chain(bt, "act_in", NF_INET_LOCAL_IN);
	add_act_chain(bt, "act_out", NF_INET_LOCAL_OUT);
	/* A NAT hook costs every packet: only once something is redirected. */
	if (n->nredir)
		add_nat_chain(bt);
	add_done_chain(bt, "done_in", NF_INET_LOCAL_IN);
	add_done_chain(bt, "done_out", NF_INET_LOCAL_OUT);
	for (i = 0; i < n->nredir; i++)
		add_redirect_rules(bt, &n->redir[i], i + 1);
	ret = nftb_commit(&n->nb, bt);
	free(bt);
	return ret;
}

int nft_install(struct nft *n, const struct nft_conf *c)
{
	int ret;

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

int nft_redirect(struct nft *n, uint8_t family, const uint8_t *addr,
		 uint16_t port)
{
	struct redir d = { .family = family, .port = htons(port) };
	struct nftb_batch *bt;
	unsigned i;
	int ret;

	memcpy(d.addr, addr, family == AF_INET ? 4 : 16);
	for (i = 0; i < n->nredir; i++)
		if (!memcmp(&n->redir[i], &d, sizeof(d)))
			return i + 1;
	if (n->nredir == HONE_REDIR_MAX)
		return -ENOSPC;
	bt = malloc(sizeof(*bt));
	if (!bt)
		return -ENOMEM;
	nftb_start(&n->nb, bt, TABLE);
	if (!n->nredir)
		add_nat_chain(bt);
	add_redirect_rules(bt, &d, n->nredir + 1);
	ret = nftb_commit(&n->nb, bt);
	free(bt);
	if (ret < 0)
		return ret;
	n->redir[n->nredir++] = d;
	return n->nredir;
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
