// SPDX-License-Identifier: GPL-2.0
/* sock_diag (diag.h). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include "diag.h"
#include "log.h"
#include "nlsock.h"

/* The kernel answers while it takes the request; should an answer ever be
 * lost, the verdict path must not wait for it. */
#define DIAG_WAIT_US	100000

struct diag {
	struct mnl_socket *nl;
	uint32_t portid, seq;
};

int diag_open(struct diag **out)
{
	struct diag *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return -ENOMEM;
	ret = nlsock_open(NETLINK_SOCK_DIAG, &d->nl);
	if (ret < 0)
		goto err_free;
	if (setsockopt(mnl_socket_get_fd(d->nl), SOL_SOCKET, SO_RCVTIMEO,
		       &(struct timeval){ .tv_usec = DIAG_WAIT_US },
		       sizeof(struct timeval)) < 0) {
		ret = -errno;
		goto err_close;
	}
	d->portid = mnl_socket_get_portid(d->nl);
	*out = d;
	return 0;

err_close:
	mnl_socket_close(d->nl);
err_free:
	free(d);
	return ret;
}

void diag_close(struct diag *d)
{
	if (!d)
		return;
	mnl_socket_close(d->nl);
	free(d);
}

static uint64_t cookie_of(const struct inet_diag_msg *m)
{
	return (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
}

/* A request for family and proto (flags: NLM_F_DUMP or not) in buf. */
static struct inet_diag_req_v2 *request(struct diag *d, char *buf,
					uint8_t family, uint8_t proto,
					uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++d->seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = proto;
	req->idiag_states = ~0U;
	return req;
}

static int send_request(struct diag *d, char *buf)
{
	const struct nlmsghdr *nlh = (const void *)buf;

	if (mnl_socket_sendto(d->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

/* The answer to the request d sent last: its socket, or its error. */
static int answer(struct diag *d, char *buf, ssize_t got,
		  const struct inet_diag_msg **out)
{
	const struct nlmsgerr *err;
	struct nlmsghdr *nlh;
	int len = (int)got;

	for (nlh = (void *)buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		/* A late answer, or not the kernel's to us. */
		if (nlh->nlmsg_seq != d->seq || nlh->nlmsg_pid != d->portid)
			continue;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err))
				return -EBADMSG;
			err = mnl_nlmsg_get_payload(nlh);
			return err->error ? err->error : -ENOENT;
		}
		if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    mnl_nlmsg_get_payload_len(nlh) < sizeof(**out))
			return -EBADMSG;
		*out = mnl_nlmsg_get_payload(nlh);
		return 0;
	}
	return -EAGAIN;
}

int diag_ask(void *ctx, const struct rules_pkt *key, struct diag_sk *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const struct inet_diag_msg *m = NULL;
	struct inet_diag_req_v2 *req;
	size_t alen = key->family == AF_INET ? 4 : 16;
	bool udp = key->proto != IPPROTO_TCP;
	struct diag *d = ctx;
	ssize_t got;
	int ret;

	req = request(d, buf, key->family, key->proto, 0);
	req->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	/* TCP looks up (src, dst) as (local, remote); UDP, for historical
	 * reasons, the other way round (udp_dump_one). */
	memcpy(req->id.idiag_src, udp ? key->remote : key->local, alen);
	memcpy(req->id.idiag_dst, udp ? key->local : key->remote, alen);
	req->id.idiag_sport = htons(udp ? key->rport : key->lport);
	req->id.idiag_dport = htons(udp ? key->lport : key->rport);
	if ((ret = send_request(d, buf)) < 0)
		return ret;
	do {
		got = mnl_socket_recvfrom(d->nl, buf, sizeof(buf));
		ret = got < 0 ? -errno : answer(d, buf, got, &m);
	} while (ret == -EAGAIN && got >= 0);
	if (ret < 0 && ret != -ENOENT)
		log_debug("sock_diag: %s", strerror(-ret));
	if (ret < 0)
		return ret;
	*out = (struct diag_sk){
		.cookie = cookie_of(m), .uid = m->idiag_uid,
		.inode = m->idiag_inode,
		.listen = !udp && m->idiag_state == TCP_LISTEN,
	};
	return 0;
}

struct live {
	uint64_t *v;
	size_t n, cap;
};

static int live_add(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct live *l = data;
	uint64_t *v;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	if (l->n == l->cap) {
		v = realloc(l->v, (l->cap ? l->cap * 2 : 4096) * sizeof(*v));
		if (!v)
			return MNL_CB_ERROR;
		l->v = v;
		l->cap = l->cap ? l->cap * 2 : 4096;
	}
	l->v[l->n++] = cookie_of(m);
	return MNL_CB_OK;
}

/* Every socket of one family and protocol, in every state. */
static int dump(struct diag *d, uint8_t family, uint8_t proto,
		struct live *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t got;
	int ret;

	request(d, buf, family, proto, NLM_F_DUMP);
	if ((ret = send_request(d, buf)) < 0)
		return ret;
	do {
		got = mnl_socket_recvfrom(d->nl, buf, sizeof(buf));
		if (got < 0)
			return -errno;
		ret = mnl_cb_run(buf, got, d->seq, d->portid, live_add, l);
	} while (ret == MNL_CB_OK);
	return ret < 0 ? -errno : 0;
}

static int cookie_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int diag_live(struct diag *d, uint64_t **cookies, size_t *n)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct live l = { 0 };
	size_t i, j;
	int ret;

	for (i = 0; i < sizeof(families); i++) {
		for (j = 0; j < sizeof(protos); j++) {
			ret = dump(d, families[i], protos[j], &l);
			if (ret < 0) {
				free(l.v);
				return ret;
			}
		}
	}
	qsort(l.v, l.n, sizeof(*l.v), cookie_cmp);
	*cookies = l.v;
	*n = l.n;
	return 0;
}

bool diag_live_has(const uint64_t *cookies, size_t n, uint64_t cookie)
{
	return bsearch(&cookie, cookies, n, sizeof(*cookies), cookie_cmp);
}
