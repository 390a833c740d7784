// SPDX-License-Identifier: GPL-2.0
/*
 * honeread's source without hone.ko: the netlink sensor (proc connector,
 * /proc, sock_diag; sensor_netlink.c) knows the processes and who holds
 * each socket, and honeread's own table (nftlog.c) logs every packet to
 * an NFLOG group. Each packet's socket is found as honefw finds a queued
 * packet's (diag.c: sock_diag, cached per flow), and the stream hone.ko
 * would give is built from it: the process (after its ancestors) and the
 * socket before the packet's first block that names them. What the
 * sensor cannot attribute (a process gone before /proc was read, a socket
 * closed before its first packet was looked up) is recorded without.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hone/hone.h>
#include <linux/netfilter.h>

#include "diag.h"
#include "flow.h"
#include "honeread.h"
#include "htab.h"
#include "log.h"
#include "nflog.h"
#include "nftlog.h"
#include "owner.h"
#include "pcapng.h"
#include "report.h"
#include "sys.h"
#include "tblock.h"

struct nlsrc {
	struct hread *h;
	struct owners *owners;
	struct sensor *sensor;
	struct diag *diag;
	struct nflog *log;
	struct nftlog *table;
	uint64_t now, expired;	/* CLOCK_MONOTONIC ns */
	uint32_t snaplen;
	bool started;		/* the section's headers are in the stream */
	struct pcapng_builder w;
	uint8_t blk[HONE_BLOCK_MAX];
};

static struct nlsrc *nl_of(const struct hread *h)
{
	return h->priv;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static struct pcapng_builder *begin(struct nlsrc *s, uint32_t type)
{
	s->w = (struct pcapng_builder){ .buf = s->blk, .cap = sizeof(s->blk) };
	pcapng_begin(&s->w, type);
	return &s->w;
}

/* The block built goes the way /dev/hone's blocks go. */
static void emit(struct nlsrc *s)
{
	int len = pcapng_end(&s->w);

	if (len > 0)
		record_feed(s->h->rec, s->blk, len);
}

static void emit_proc(struct nlsrc *s, const struct proc *p)
{
	if (record_knows(s->h->rec, BFILE_PROC, p->view.pid, p->start))
		return;
	/* The pedigree reads top-down. */
	if (p->view.parent)
		emit_proc(s, htab_entry(p->view.parent, struct proc, view));
	tblock_proc(begin(s, HONE_BT_PROCESS), p);
	emit(s);
}

static void packet(void *ctx, const struct nflog_pkt *p)
{
	const uint8_t *data = p->data;
	size_t len = p->len;
	unsigned hook = p->hook;
	struct nlsrc *s = ctx;
	struct pcapng_builder *w;
	struct owner who = { 0 };
	const struct proc *proc;
	struct conn *conn;
	struct rules_pkt pkt;
	char comment[256], eb[256];
	size_t wire = len;

	/* Files end at their size, not at the end of a batch. */
	if (record_due(s->h->rec))
		record_rotate(s->h->rec);
	if (flow_parse(data, len, hook, &pkt) == 0) {
		wire = pkt.length;
		pkt.has_uid = p->has_uid;
		pkt.uid = p->uid;
		owner_of(s->owners, &pkt, p->has_uid, 0, s->now, &who);
	} else {
		memset(&pkt, 0, sizeof(pkt));
		pkt.dir = hook == NF_INET_LOCAL_IN ? RULES_DIR_IN : RULES_DIR_OUT;
	}
	conn = who.conn;
	proc = who.proc;
	if (proc)
		emit_proc(s, proc);
	if (conn && !record_knows(s->h->rec, BFILE_CONN, conn->cookie,
				  conn->pid)) {
		tblock_conn(begin(s, HONE_BT_CONNECTION), conn, &pkt);
		emit(s);
	}
	w = begin(s, HONE_BT_EPB);
	tblock_epb(w, data, len, wire, &pkt, conn, proc);
	if (proc)
		snprintf(comment, sizeof(comment), "pid=%u exe=%s conn=%" PRIu64,
			 proc->view.pid, report_exe(proc, eb, sizeof(eb)),
			 conn->cookie);
	else
		snprintf(comment, sizeof(comment), "pid=- exe=- conn=-");
	pcapng_opt_utf8(w, HONE_OPT_COMMENT, comment, strlen(comment));
	emit(s);
}

/* The section's header and interface, as hone.ko's reader begins. */
static void headers(struct nlsrc *s)
{
	tblock_shb(begin(s, HONE_BT_SHB), "honeread");
	emit(s);
	tblock_idb(begin(s, HONE_BT_IDB), s->snaplen, "honeread",
		   "Hone Capture Pseudo-device (netlink sensor, NFLOG)");
	emit(s);
	s->started = true;
}

/* Before each read's packets: they were all logged by then, so the
 * processes told of so far include any that sent them. */
static int learn(void *ctx)
{
	struct nlsrc *s = ctx;

	s->now = now_ns();
	return sensor_drain(s->sensor, s->now);
}

static int nl_read(struct hread *h)
{
	struct nlsrc *s = nl_of(h);
	int ret;

	if (!s->started)
		headers(s);
	if ((ret = learn(s)) < 0)
		return ret;
	if (s->now - s->expired >= 1000000000ULL) {
		flows_expire(owners_flows(s->owners), s->now);
		s->expired = s->now;
	}
	ret = nflog_drain(s->log, learn, packet, s);
	return ret < 0 ? ret : 0;
}

static void nl_rotate(struct hread *h)
{
	/* The next file gets its headers, processes and sockets from
	 * record.c's kept blocks. */
	record_rotate(h->rec);
}

static int nl_fds(struct hread *h, struct pollfd *p)
{
	struct nlsrc *s = nl_of(h);

	p[0] = (struct pollfd){ .fd = sensor_fd(s->sensor), .events = POLLIN };
	p[1] = (struct pollfd){ .fd = nflog_fd(s->log), .events = POLLIN };
	return 2;
}

static int nl_open(struct hread *h)
{
	uint32_t snaplen = h->o->snaplen ? h->o->snaplen : HONEREAD_HEADERS;
	struct nlsrc *s;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->h = h;
	/* The proc connector only speaks in the initial network namespace:
	 * the sensor opens before joining another one. */
	if ((ret = owners_open(&s->owners)) < 0) {
		log_warnx("owners: %s", strerror(-ret));
		goto err_free;
	}
	ret = sensor_open(SENSOR_NETLINK, false, s->owners, &s->sensor);
	if (ret < 0) {
		log_warnx("netlink sensor: %s", strerror(-ret));
		goto err_owners;
	}
	if (h->o->netns && (ret = sys_join_netns(h->o->netns)) < 0) {
		log_warnx("netns %s: %s", h->o->netns, strerror(-ret));
		goto err_sensor;
	}
	if ((ret = diag_open(&s->diag)) < 0) {
		log_warnx("sock_diag: %s", strerror(-ret));
		goto err_sensor;
	}
	/* Flow events are hone.ko's: none comes here. */
	if ((ret = owners_flows_open(s->owners, 0, diag_ask, s->diag)) < 0) {
		log_warnx("flows: %s", strerror(-ret));
		goto err_diag;
	}
	/* Bound before the table sends it anything. */
	if ((ret = nflog_open(h->o->group, snaplen, &s->log)) < 0) {
		log_warnx("NFLOG group %u: %s", h->o->group, strerror(-ret));
		goto err_diag;
	}
	if ((ret = nftlog_open(h->o->group, &s->table)) < 0) {
		log_warnx("nftables: %s", strerror(-ret));
		goto err_log;
	}
	s->snaplen = snaplen;
	h->priv = s;
	return 0;

err_log:
	nflog_close(s->log);
err_diag:
	diag_close(s->diag);
err_sensor:
	sensor_close(s->sensor);
err_owners:
	owners_close(s->owners);
err_free:
	free(s);
	return ret;
}

static void nl_close(struct hread *h)
{
	struct nlsrc *s = nl_of(h);
	uint64_t lost = nflog_lost(s->log);

	if (lost)
		log_warnx("NFLOG: %" PRIu64 " packets lost (socket full)", lost);
	nftlog_close(s->table);
	nflog_close(s->log);
	sensor_close(s->sensor);
	owners_close(s->owners);
	diag_close(s->diag);
	free(s);
}

const struct hread_source hread_netlink = {
	.name = "netlink",
	.open = nl_open,
	.close = nl_close,
	.fds = nl_fds,
	.read = nl_read,
	.rotate = nl_rotate,
};
