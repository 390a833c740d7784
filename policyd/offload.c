// SPDX-License-Identifier: GPL-2.0
/*
 * Offloaded flows by socket cookie, the sock_diag destroy groups that say
 * when a socket is gone, and the ctnetlink deletes that end its flows'
 * verdicts. Nothing here waits on the verdict path: a delete is a send to
 * the kernel, which handles it at once and is not asked to acknowledge;
 * the errors it sends back and the destroy notices are read without
 * waiting, errors counted, at the next drain.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/sock_diag.h>

#include "ctmsg.h"
#include "flow.h"
#include "htab.h"
#include "nlsock.h"
#include "offload.h"

/* As many as a default conntrack table holds. */
#define OFFLOAD_MAX	(1U << 18)
/* ~10,000 destroy notices. */
#define GONE_RCVBUF	(8 << 20)

struct off {
	struct hnode node;	/* by socket cookie; several per cookie */
	struct rules_pkt key;	/* the 5-tuple */
};

struct offloads {
	struct mnl_socket *ct;		/* ctnetlink */
	struct mnl_socket *gone;	/* sock_diag destroy groups */
	uint32_t ct_portid, seq;
	int ct_error;		/* ctnetlink unusable: offload nothing */
	bool lost;		/* destroy notices lost since offloads_lost() */
	struct htab h;
	struct offload_stats st;
};

static struct off *first(const struct offloads *o, uint64_t cookie)
{
	struct hnode *n = htab_find(&o->h, cookie);

	return n ? htab_entry(n, struct off, node) : NULL;
}

static struct off *next(const struct off *f)
{
	struct hnode *n = htab_find_next(&f->node);

	return n ? htab_entry(n, struct off, node) : NULL;
}

int offload_add(struct offloads *o, uint64_t cookie,
		const struct rules_pkt *pkt)
{
	struct rules_pkt t;
	struct off *f;

	if (o->ct_error)
		return o->ct_error;
	flow_tuple(pkt, &t);
	for (f = first(o, cookie); f; f = next(f))
		if (!memcmp(&f->key, &t, sizeof(t)))
			return 0;
	if (o->h.n >= OFFLOAD_MAX) {
		o->st.full++;
		return -ENOSPC;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->key = t;
	f->node.key = cookie;
	htab_insert(&o->h, &f->node);
	return 0;
}

static void ct_delete(struct offloads *o, const struct rules_pkt *t)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = ctmsg_tuple(buf, IPCTNL_MSG_CT_DELETE, ++o->seq,
					   t, 0);

	if (mnl_socket_sendto(o->ct, nlh, nlh->nlmsg_len) < 0)
		o->st.errors++;
	else
		o->st.ended++;
}

/* Can verdicts be ended? Deleting an entry nobody has must say ENOENT;
 * without ctnetlink (not loaded, not built) nothing would end them. */
static int ct_probe(struct offloads *o)
{
	const struct rules_pkt none = { .family = AF_INET,
					.proto = IPPROTO_UDP };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = ctmsg_tuple(buf, IPCTNL_MSG_CT_DELETE, ++o->seq,
					   &none, NLM_F_ACK);
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t got;

	if (mnl_socket_sendto(o->ct, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	got = mnl_socket_recvfrom(o->ct, buf, sizeof(buf));
	if (got < 0)
		return -errno;
	if (mnl_cb_run(buf, got, seq, o->ct_portid, NULL, NULL) < 0)
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

void offload_end(struct offloads *o, uint64_t cookie)
{
	struct off *f;

	while ((f = first(o, cookie))) {
		ct_delete(o, &f->key);
		htab_remove(&o->h, &f->node);
		free(f);
	}
}

/* What the kernel said of earlier deletes: only refusals are errors (the
 * entry may have expired on its own). */
static void read_ct_errors(struct offloads *o)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const struct nlmsgerr *err;
	struct nlmsghdr *nlh;
	ssize_t got;
	int len;

	while ((got = recv(mnl_socket_get_fd(o->ct), buf, sizeof(buf),
			   MSG_DONTWAIT)) > 0) {
		len = (int)got;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_pid != o->ct_portid ||
			    mnl_nlmsg_get_payload_len(nlh) < sizeof(*err))
				continue;
			err = mnl_nlmsg_get_payload(nlh);
			if (err->error && err->error != -ENOENT)
				o->st.errors++;
		}
	}
}

int offloads_drain(struct offloads *o,
		   void (*gone)(void *ctx, uint64_t cookie), void *ctx)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const struct inet_diag_msg *m;
	struct nlmsghdr *nlh;
	uint64_t cookie;
	int len, n = 0;
	ssize_t got;

	read_ct_errors(o);
	for (;;) {
		got = recv(mnl_socket_get_fd(o->gone), buf, sizeof(buf),
			   MSG_DONTWAIT);
		if (got < 0 && errno == EINTR)
			continue;
		/* ENOBUFS: notices were lost, offloads_lost() says so. */
		if (got < 0 && errno == ENOBUFS) {
			o->st.lost++;
			o->lost = true;
			continue;
		}
		if (got <= 0)
			break;
		len = (int)got;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			/* Only the kernel broadcasts to these groups. */
			if (nlh->nlmsg_pid != 0 ||
			    nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
				continue;
			m = mnl_nlmsg_get_payload(nlh);
			cookie = (uint64_t)m->id.idiag_cookie[1] << 32 |
				 m->id.idiag_cookie[0];
			offload_end(o, cookie);
			gone(ctx, cookie);
			n++;
		}
	}
	return n;
}

bool offloads_lost(const struct offloads *o)
{
	return o->lost;
}

size_t offloads_sweep(struct offloads *o, const uint64_t *live, size_t n,
		      void (*gone)(void *ctx, uint64_t cookie), void *ctx)
{
	uint64_t *dead = NULL, *v;
	size_t i, ndead = 0, cap = 0;
	struct hnode *h;

	/* Collected first: offload_end() takes entries out of the table. */
	for (i = 0; i <= o->h.mask; i++) {
		for (h = o->h.b[i]; h; h = h->next) {
			if (flows_live_has(live, n, h->key))
				continue;
			if (ndead == cap) {
				cap = cap ? cap * 2 : 256;
				v = realloc(dead, cap * sizeof(*v));
				if (!v)
					goto out;
				dead = v;
			}
			dead[ndead++] = h->key;
		}
	}
	o->lost = false;
out:
	for (i = 0; i < ndead; i++) {
		offload_end(o, dead[i]);
		gone(ctx, dead[i]);
	}
	free(dead);
	return ndead;
}

int offloads_error(const struct offloads *o)
{
	return o->ct_error;
}

int offloads_fd(const struct offloads *o)
{
	return mnl_socket_get_fd(o->gone);
}

void offloads_stats(const struct offloads *o, struct offload_stats *st)
{
	*st = o->st;
	st->flows = o->h.n;
}

static int open_gone(struct mnl_socket **out)
{
	static const unsigned groups = 1U << (SKNLGRP_INET_TCP_DESTROY - 1) |
		1U << (SKNLGRP_INET_UDP_DESTROY - 1) |
		1U << (SKNLGRP_INET6_TCP_DESTROY - 1) |
		1U << (SKNLGRP_INET6_UDP_DESTROY - 1);
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_SOCK_DIAG,
						 SOCK_NONBLOCK | SOCK_CLOEXEC);
	int ret;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		mnl_socket_close(nl);
		return ret;
	}
	/* A storm of closes must not outrun honefw: what is lost anyway
	 * costs a sweep (offloads_lost()). */
	nlsock_rcvbuf(nl, GONE_RCVBUF);
	*out = nl;
	return 0;
}

int offloads_open(struct offloads **out)
{
	struct offloads *o;
	int ret;

	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	ret = htab_init(&o->h, 1024);
	if (ret)
		goto err_free;
	ret = nlsock_open(NETLINK_NETFILTER, &o->ct);
	if (ret)
		goto err_htab;
	o->ct_portid = mnl_socket_get_portid(o->ct);
	o->ct_error = ct_probe(o);
	ret = open_gone(&o->gone);
	if (ret)
		goto err_ct;
	*out = o;
	return 0;

err_ct:
	mnl_socket_close(o->ct);
err_htab:
	htab_free(&o->h);
err_free:
	free(o);
	return ret;
}

static void free_off(struct hnode *n)
{
	free(htab_entry(n, struct off, node));
}

void offloads_close(struct offloads *o)
{
	if (!o)
		return;
	htab_clear(&o->h, free_off);
	htab_free(&o->h);
	mnl_socket_close(o->gone);
	mnl_socket_close(o->ct);
	free(o);
}
