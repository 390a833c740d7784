// SPDX-License-Identifier: GPL-2.0
/* nftables batches for a table of one's own (nftb.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nftb.h"
#include "nlsock.h"

/*
 * Builders run on the packet path too (a first redirect), where honefw
 * must never exit: a failed allocation is latched here, the builders skip
 * what they cannot build, and batch_commit() refuses the batch. honefw is
 * single-threaded.
 */
static int build_err;

void *nftb_built(void *obj)
{
	if (!obj)
		build_err = -ENOMEM;
	return obj;
}

struct nftnl_expr *nftb_expr(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e;

	if (!r || !(e = nftb_built(nftnl_expr_alloc(name))))
		return NULL;
	nftnl_rule_add_expr(r, e);
	return e;
}

void nftb_start(struct nftb *n, struct nftb_batch *bt, const char *table)
{
	bt->b = mnl_nlmsg_batch_start(bt->buf, sizeof(bt->buf));
	bt->table = table;
	bt->first = bt->seq = n->seq;
	bt->acks = 0;
	bt->replace = false;
	build_err = 0;
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt->b), bt->seq++);
	mnl_nlmsg_batch_next(bt->b);
}

static struct nlmsghdr *batch_msg(struct nftb_batch *bt, uint16_t type,
				  uint16_t flags)
{
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b), type,
				    NFPROTO_INET, flags | NLM_F_ACK, bt->seq++);
	bt->acks++;
	return nlh;
}

void nftb_table(struct nftb_batch *bt, uint16_t type, uint16_t flags)
{
	struct nftnl_table *t = nftb_built(nftnl_table_alloc());

	if (!t)
		return;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, bt->table);
	nftnl_table_nlmsg_build_payload(batch_msg(bt, type, flags), t);
	nftnl_table_free(t);
	mnl_nlmsg_batch_next(bt->b);
}

void nftb_table_anew(struct nftb_batch *bt)
{
	/* Create-then-delete takes over a stale table atomically. */
	nftb_table(bt, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	nftb_table(bt, NFT_MSG_DELTABLE, 0);
	nftb_table(bt, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL);
}

/* Delete every rule of a chain; the chain, and what waits in the queue for
 * its hook, stay. */
static void flush(struct nftb_batch *bt, const char *chain)
{
	struct nftnl_rule *r = nftb_built(nftnl_rule_alloc());

	if (!r)
		return;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, bt->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_nlmsg_build_payload(batch_msg(bt, NFT_MSG_DELRULE, 0), r);
	nftnl_rule_free(r);
	mnl_nlmsg_batch_next(bt->b);
}

void nftb_chain(struct nftb_batch *bt, const char *name, const char *type,
			uint32_t hook, int32_t prio)
{
	struct nftnl_chain *c = nftb_built(nftnl_chain_alloc());

	if (!c)
		return;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, bt->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (type) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nftnl_chain_nlmsg_build_payload(batch_msg(bt, NFT_MSG_NEWCHAIN,
						  NLM_F_CREATE), c);
	nftnl_chain_free(c);
	mnl_nlmsg_batch_next(bt->b);
	if (bt->replace)
		flush(bt, name);
}

/* The set s, new; with bt->replace, its elements deleted. */
static void set_new(struct nftb_batch *bt, struct nftnl_set *s,
		    const char *name, uint32_t id, uint32_t key_len)
{
	nftnl_set_set_str(s, NFTNL_SET_TABLE, bt->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	nftnl_set_nlmsg_build_payload(batch_msg(bt, NFT_MSG_NEWSET,
						NLM_F_CREATE), s);
	mnl_nlmsg_batch_next(bt->b);
	/* No elements named: all of them. */
	if (bt->replace) {
		nftnl_set_elems_nlmsg_build_payload(batch_msg(bt,
						NFT_MSG_DELSETELEM, 0), s);
		mnl_nlmsg_batch_next(bt->b);
	}
}

void nftb_set(struct nftb_batch *bt, const char *name, uint32_t id,
	      uint32_t key_len, uint32_t size)
{
	struct nftnl_set *s = nftb_built(nftnl_set_alloc());

	if (!s)
		return;
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_EVAL);
	nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, size);
	set_new(bt, s, name, id, key_len);
	nftnl_set_free(s);
}

void nftb_vmap(struct nftb_batch *bt, const char *name, uint32_t id,
	       const char *const *chains, uint32_t n)
{
	struct nftnl_set *s = nftb_built(nftnl_set_alloc());
	struct nftnl_set_elem *e;
	uint32_t i;

	if (!s)
		return;
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
	set_new(bt, s, name, id, sizeof(i));
	for (i = 0; i < n; i++) {
		if (!(e = nftb_built(nftnl_set_elem_alloc())))
			break;
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &i, sizeof(i));
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, NFT_JUMP);
		nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, chains[i]);
		nftnl_set_elem_add(s, e);
	}
	nftnl_set_elems_nlmsg_build_payload(batch_msg(bt, NFT_MSG_NEWSETELEM,
						      NLM_F_CREATE), s);
	mnl_nlmsg_batch_next(bt->b);
	nftnl_set_free(s);
}

struct nftnl_rule *nftb_rule_new(const struct nftb_batch *bt,
				 const char *chain)
{
	struct nftnl_rule *r = nftb_built(nftnl_rule_alloc());

	if (!r)
		return NULL;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, bt->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	return r;
}

void nftb_rule(struct nftb_batch *bt, struct nftnl_rule *r)
{
	if (!r)
		return;
	nftnl_rule_nlmsg_build_payload(batch_msg(bt, NFT_MSG_NEWRULE,
						 NLM_F_APPEND | NLM_F_CREATE), r);
	nftnl_rule_free(r);
	mnl_nlmsg_batch_next(bt->b);
}

/* An answer to us, to one of the messages [first, last): late answers to
 * an earlier batch (one that timed out) are not this batch's. */
static bool ours(const struct nftb *n, const struct nlmsghdr *nlh,
		 uint32_t first, uint32_t last)
{
	return (nlh->nlmsg_pid == 0 || nlh->nlmsg_pid == n->portid) &&
	       nlh->nlmsg_seq - first < last - first;
}

/* Answers read from the socket, handed out one at a time by answer(). */
struct answers {
	char buf[8192];		/* MNL_SOCKET_BUFFER_SIZE at most */
	struct nlmsghdr *next;	/* NULL: read more */
	int len;		/* bytes from next on */
};

/* The next answer to us for one of the messages [first, last), reading
 * as needed; NULL with *err set when the socket fails. */
static const struct nlmsghdr *answer(struct nftb *n, struct answers *a,
				     uint32_t first, uint32_t last, int *err)
{
	const struct nlmsghdr *nlh;
	ssize_t got;

	for (;;) {
		while (a->next && mnl_nlmsg_ok(a->next, a->len)) {
			nlh = a->next;
			a->next = mnl_nlmsg_next(a->next, &a->len);
			if (ours(n, nlh, first, last))
				return nlh;
		}
		got = mnl_socket_recvfrom(n->nl, a->buf, sizeof(a->buf));
		if (got < 0) {
			*err = -errno;
			return NULL;
		}
		a->next = (struct nlmsghdr *)a->buf;
		a->len = (int)got;
	}
}

/* An acknowledgement's error (0 for success), -EBADMSG if cut short. */
static int ack_error(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

	return mnl_nlmsg_get_payload_len(nlh) < sizeof(*err) ? -EBADMSG :
		err->error;
}

/* Read one answer per acknowledged message; the first error wins. */
static int read_acks(struct nftb *n, const struct nftb_batch *bt)
{
	struct answers a = { .next = NULL };
	const struct nlmsghdr *nlh;
	unsigned acks;
	int ret = 0, err;

	for (acks = bt->acks; acks > 0; acks--) {
		do {
			nlh = answer(n, &a, bt->first, bt->seq, &err);
			if (!nlh)
				return err;
		} while (nlh->nlmsg_type != NLMSG_ERROR);
		err = ack_error(nlh);
		if (err == -EBADMSG)
			return err;
		if (err && !ret)
			ret = err;
	}
	return ret;
}

int nftb_commit(struct nftb *n, struct nftb_batch *bt)
{
	int ret;

	nftnl_batch_end(mnl_nlmsg_batch_current(bt->b), bt->seq++);
	mnl_nlmsg_batch_next(bt->b);
	n->seq = bt->seq;
	if (build_err)
		ret = build_err;
	else if (mnl_socket_sendto(n->nl, mnl_nlmsg_batch_head(bt->b),
				   mnl_nlmsg_batch_size(bt->b)) < 0)
		ret = -errno;
	else
		ret = read_acks(n, bt);
	mnl_nlmsg_batch_stop(bt->b);
	return ret;
}

int nftb_present(struct nftb *n, const char *table)
{
	struct answers a = { .next = NULL };
	const struct nlmsghdr *ans;
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	uint32_t seq = n->seq++;
	int err;

	t = nftnl_table_alloc();
	if (!t)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nlh = nftnl_nlmsg_build_hdr(a.buf, NFT_MSG_GETTABLE, NFPROTO_INET, 0,
				    seq);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	if (!(ans = answer(n, &a, seq, seq + 1, &err)))
		return err;
	if (ans->nlmsg_type != NLMSG_ERROR)
		return 1;
	err = ack_error(ans);
	return err == -ENOENT ? 0 : err;
}

int nftb_remove(struct nftb *n, const char *table)
{
	struct nftb_batch *bt;
	int ret;

	bt = malloc(sizeof(*bt));
	if (!bt)
		return -ENOMEM;
	nftb_start(n, bt, table);
	nftb_table(bt, NFT_MSG_DELTABLE, 0);
	ret = nftb_commit(n, bt);
	free(bt);
	return ret == -ENOENT ? 0 : ret;
}

int nftb_open(struct nftb *n)
{
	struct timeval tv = { .tv_sec = 2 };
	int ret;

	n->seq = time(NULL);
	ret = nlsock_open(NETLINK_NETFILTER, &n->nl);
	if (ret < 0)
		return ret;
	/* Never hang on a missing answer. */
	if (setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0) {
		ret = -errno;
		mnl_socket_close(n->nl);
		return ret;
	}
	n->portid = mnl_socket_get_portid(n->nl);
	return 0;
}

void nftb_close(struct nftb *n)
{
	mnl_socket_close(n->nl);
}
