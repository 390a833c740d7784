// SPDX-License-Identifier: GPL-2.0
/*
 * NFQUEUE through libnetfilter_queue's libmnl helpers (notes/nfqueue.md):
 * the bind, copy range, length and flags go in ONE config message, else
 * packets are dropped between bind and params even with bypass; recvmmsg
 * pulls up to BATCH packets per syscall; verdicts are concatenated and sent
 * in one sendto, a run of equal ones as one batch verdict when that is
 * safe (flush()); an error on this socket is logged, never fatal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "log.h"
#include "nlsock.h"
#include "queue.h"

#define BATCH		32
#define READ_MAX	(BATCH * 8)	/* packets one queue_read() takes */
#define SLOT_SIZE	(QUEUE_COPY_RANGE + 4096)
#define MAXLEN		4096
#define VERDICT_BUF	(64 * 1024)
#define VERDICT_MAX	128	/* bytes one verdict message may take */
#define PEND_MAX	(VERDICT_BUF / VERDICT_MAX)

struct pend {
	uint32_t id, verdict, mark;
	bool has_mark;
};

struct queue {
	struct mnl_socket *nl;
	uint32_t portid;
	uint16_t num;
	/* The kernel's counts, root's only to open: opened with the queue,
	 * read again from the start for each status (pread: stdio would
	 * serve a rewind from its buffer, the first reading forever). */
	int stats;
	/* Packets read and not given a verdict yet, the parked among them:
	 * the kernel holds them, and a batch verdict takes every packet up
	 * to its id. */
	uint64_t held;
	size_t npend;		/* verdicts given, not sent */
	struct pend pend[PEND_MAX];
	char vbuf[VERDICT_BUF];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	char slots[BATCH][SLOT_SIZE];
};

/* Once, before anything is queued: the answer is waited for. */
static int configure(struct queue *q, bool fail_open)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	/* UID_GID: the kernel says which packets a socket holds. */
	uint32_t flags = NFQA_CFG_F_GSO | NFQA_CFG_F_UID_GID;
	struct nlmsghdr *nlh;
	int ret;

	if (fail_open)
		flags |= NFQA_CFG_F_FAIL_OPEN;
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);
	nlh->nlmsg_flags |= NLM_F_ACK;
	/* Verdicts go with 0: an answer with this is the config's. */
	nlh->nlmsg_seq = 1;
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, QUEUE_COPY_RANGE);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, MAXLEN);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	ret = mnl_socket_recvfrom(q->nl, buf, sizeof(buf));
	if (ret < 0)
		return -errno;
	ret = mnl_cb_run(buf, ret, 1, q->portid, NULL, NULL);
	return ret < 0 ? -errno : 0;
}

int queue_open(uint16_t num, bool fail_open, struct queue **out)
{
	int one = 1, rcvbuf = MAXLEN * (QUEUE_COPY_RANGE + 1024), fd, ret;
	struct queue *q;
	int i;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->num = num;
	ret = nlsock_open(NETLINK_NETFILTER, &q->nl);
	if (ret < 0)
		goto err_free;
	q->portid = mnl_socket_get_portid(q->nl);
	fd = mnl_socket_get_fd(q->nl);
	/* Overruns are counted by the kernel; recv must not fail on them. */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one,
		       sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0) {
		ret = -errno;
		goto err_close;
	}
	ret = configure(q, fail_open);
	if (ret < 0)
		goto err_close;
	for (i = 0; i < BATCH; i++) {
		q->iov[i].iov_base = q->slots[i];
		q->iov[i].iov_len = SLOT_SIZE;
		q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	/* Only the counts are missing without it: queue_stats() says so. */
	q->stats = open("/proc/net/netfilter/nfnetlink_queue",
			O_RDONLY | O_CLOEXEC);
	*out = q;
	return 0;

err_close:
	mnl_socket_close(q->nl);
err_free:
	free(q);
	return ret;
}

void queue_close(struct queue *q)
{
	if (!q)
		return;
	if (q->stats >= 0)
		close(q->stats);
	mnl_socket_close(q->nl);
	free(q);
}

int queue_fd(const struct queue *q)
{
	return mnl_socket_get_fd(q->nl);
}

uint16_t queue_num(const struct queue *q)
{
	return q->num;
}

/* A line per bound queue: number, portid, packets waiting, copy mode and
 * range, dropped (queue full), user_dropped (netlink could not take it),
 * last id, 1. */
int queue_stats(const struct queue *q, struct queue_stats *st)
{
	char buf[4096], *line, *save;
	unsigned num;
	ssize_t n;

	if (q->stats < 0)
		return -ENOENT;
	n = pread(q->stats, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%u %*u %" SCNu64 " %*u %*u %" SCNu64 " %"
			   SCNu64, &num, &st->waiting, &st->dropped,
			   &st->user_dropped) == 4 && num == q->num)
			return 0;
	return -ENOENT;
}

static bool same(const struct pend *a, const struct pend *b)
{
	return a->verdict == b->verdict && a->has_mark == b->has_mark &&
	       (!a->has_mark || a->mark == b->mark);
}

/* A batch verdict gives its verdict to every packet the kernel holds up to
 * its id, so a run of equal verdicts may go as one only when every packet
 * read has its verdict here (none parked: a batch would take it along) and
 * the ids only grow (a run must not take an earlier id of a later run). */
static bool may_batch(const struct queue *q)
{
	size_t i;

	if (q->held)
		return false;
	for (i = 1; i < q->npend; i++)
		if ((int32_t)(q->pend[i].id - q->pend[i - 1].id) <= 0)
			return false;
	return true;
}

int queue_flush(struct queue *q)
{
	bool batch = may_batch(q);
	struct nlmsghdr *nlh;
	size_t i, j, len = 0;
	ssize_t n;

	for (i = 0; i < q->npend; i = j) {
		const struct pend *v;

		for (j = i + 1; batch && j < q->npend &&
		     same(&q->pend[i], &q->pend[j]); j++)
			;
		v = &q->pend[j - 1];
		nlh = nfq_nlmsg_put(q->vbuf + len, j - i > 1 ?
				    NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT,
				    q->num);
		nfq_nlmsg_verdict_put(nlh, v->id, v->verdict);
		if (v->has_mark)
			nfq_nlmsg_verdict_put_mark(nlh, v->mark);
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	if (!len)
		return 0;
	n = mnl_socket_sendto(q->nl, q->vbuf, len);
	if (n >= 0) {
		q->npend = 0;
		return 0;
	}
	/* Not one was taken: the kernel still holds those packets. */
	q->held += q->npend;
	q->npend = 0;
	return -errno;
}

int queue_verdict(struct queue *q, uint32_t id, uint32_t verdict,
		  bool has_mark, uint32_t mark)
{
	int ret;

	if (q->npend == PEND_MAX) {
		ret = queue_flush(q);
		if (ret < 0)
			return ret;
	}
	q->pend[q->npend++] = (struct pend){
		.id = id, .verdict = verdict, .has_mark = has_mark,
		.mark = mark,
	};
	if (q->held)
		q->held--;
	return 0;
}

static void parse(struct queue *q, const struct nlmsghdr *nlh, queue_fn fn,
		  void *ctx)
{
	struct nfqnl_msg_packet_hdr *ph;
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	struct queue_pkt p = { 0 };

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e) || !e->error)
			return;
		log_debug("queue %u: verdict refused: %s", q->num,
			  strerror(-e->error));
		return;
	}
	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	p.id = ntohl(ph->packet_id);
	q->held++;
	/* Nothing to judge it by: it must not stay held. */
	if (!attr[NFQA_PAYLOAD]) {
		queue_verdict(q, p.id, NF_DROP, false, 0);
		return;
	}
	p.hook = ph->hook;
	p.data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
	p.len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	p.wire_len = attr[NFQA_CAP_LEN] ?
		ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN])) : p.len;
	if (attr[NFQA_MARK])
		p.mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
	p.has_sock = attr[NFQA_UID] != NULL;
	if (p.has_sock)
		p.uid = ntohl(mnl_attr_get_u32(attr[NFQA_UID]));
	fn(ctx, q, &p);
}

int queue_read(struct queue *q, queue_batch_fn batch, queue_fn fn, void *ctx)
{
	const struct nlmsghdr *nlh;
	int n, i, len, total = 0, ret;

	for (;;) {
		n = recvmmsg(queue_fd(q), q->msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			if (errno == ENOBUFS)
				continue;
			ret = -errno;
			queue_flush(q);
			return ret;
		}
		if (batch && n > 0)
			batch(ctx);
		for (i = 0; i < n; i++) {
			len = q->msgs[i].msg_len;
			for (nlh = (void *)q->slots[i]; mnl_nlmsg_ok(nlh, len);
			     nlh = mnl_nlmsg_next(nlh, &len))
				parse(q, nlh, fn, ctx);
		}
		total += n;
		/* Let the verdicts out before the next burst. */
		ret = queue_flush(q);
		if (ret < 0)
			return ret;
		/* A flood must not keep the loop from signals, status
		 * clients and the tick: back to poll, which finds more. */
		if (n < BATCH || total >= READ_MAX)
			break;
	}
	ret = queue_flush(q);
	return ret < 0 ? ret : total;
}
