// SPDX-License-Identifier: GPL-2.0
/*
 * honefw's main loop: poll the sensor, the queue and a signalfd. The sensor
 * is drained before every batch of packets, so a socket's creation is known
 * before its first packet is judged. SIGHUP reloads the rules (a bad file
 * keeps the old ones) and reopens the verdict log (rotation),
 * SIGTERM/SIGINT remove the table and exit. Once a
 * second the table is checked: if someone removed it, it comes back.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "flow.h"
#include "honefw.h"
#include "log.h"
#include "nft.h"
#include "offload.h"
#include "queue.h"
#include "rules.h"
#include "sensor.h"
#include "sys.h"
#include "vlog.h"

#define NSEC		1000000000ULL
#define TICK_MS		1000
#define PARK_MAX	1024		/* packets waiting for a digest */
#define HASH_SLICE	(1U << 20)	/* bytes hashed between batches */

/* A packet held back until its process's executable is hashed: verdicts
 * need not come in order, and other packets go on meanwhile. */
struct parked {
	struct queue_pkt p;
	uint8_t data[QUEUE_COPY_RANGE];
};

struct daemon {
	const struct honefw_opts *o;
	struct rules *rs;
	struct sensor *sensor;
	struct flows *flows;
	struct offloads *off;
	struct nft *nft;
	struct queue *q;
	struct vlog *log;
	int sigfd;
	bool gen;		/* flipped by every reload (nft.h) */
	bool closing;		/* judge now, nothing waits any more */
	struct parked *parked;	/* PARK_MAX */
	size_t nparked;
	uint64_t now;
	uint64_t judged, unknown, errors, unparsable;
	uint64_t told_unparsable;	/* when last said; a flood is a line
					 * a second */
	size_t entries;		/* in the tables, at most since the last trim */
	bool shrinking;		/* trimmed, and the tables have not grown since */
	uint64_t evicted;	/* connections evicted, as last said */
};

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static void report(void *ctx, const char *file, unsigned line, bool warning,
		   const char *msg)
{
	(void)ctx;
	if (line)
		log_warnx("%s:%u: %s%s", file, line, warning ? "warning: " : "",
			  msg);
	else
		log_warnx("%s: %s%s", file, warning ? "warning: " : "", msg);
}

static int load_rules(const char *path, struct rules **out)
{
	int ret = rules_load(path, 0, report, NULL, out);

	if (ret < 0)
		log_warnx("%s: not loaded: %s", path, ret == -EINVAL ?
			  "errors above" : strerror(-ret));
	return ret;
}

static struct nft_conf nft_conf_of(const struct daemon *d)
{
	const struct rules_global *g = rules_global(d->rs);

	return (struct nft_conf){
		.queue = queue_num(d->q),
		.fail_closed = g->failmode == RULES_FAIL_CLOSED,
		.gen = d->gen,
	};
}

/* The answer when honefw cannot judge: what failmode says of its absence. */
static uint32_t fail_verdict(const struct daemon *d)
{
	return rules_global(d->rs)->failmode == RULES_FAIL_CLOSED ?
		NF_DROP : NF_ACCEPT;
}

/* A packet honefw cannot parse has no owner and no rule can name it: the
 * rules' default decides, for this packet alone. */
static void judge_unparsable(struct daemon *d, struct queue *q,
			     const struct queue_pkt *p)
{
	enum rules_action def = rules_global(d->rs)->def;

	d->unparsable++;
	if (d->now - d->told_unparsable >= NSEC) {
		d->told_unparsable = d->now;
		log_warnx("%sunparsable packet %s, %zu bytes (%" PRIu64 " so "
			  "far): default %s", d->o->dry_run ? "dry-run: " : "",
			  p->hook == NF_INET_LOCAL_IN ? "in" : "out", p->len,
			  d->unparsable, rules_action_name(def));
	}
	queue_verdict(q, p->id, def == RULES_ACCEPT || d->o->dry_run ?
		      NF_ACCEPT : NF_DROP, false, 0);
}

/* A connection-wide verdict is tied to the socket it was given for: none
 * known (or closed already: a late packet), a listener's stand-in, or no
 * room to remember it, and the verdict holds for this packet only. */
static bool offload(struct daemon *d, const struct flow *f,
		    const struct conn *conn, const struct rules_pkt *pkt)
{
	if (!conn || conn->closed || !f || f->provisional)
		return false;
	return offload_add(d->off, conn->cookie, pkt) == 0;
}

/* false when full: then the packet is judged without its digest, which
 * matches no sha256 key. */
static bool park(struct daemon *d, const struct queue_pkt *p)
{
	struct parked *k;

	if (d->closing || d->nparked == PARK_MAX ||
	    p->len > sizeof(k->data))
		return false;
	k = &d->parked[d->nparked++];
	/* Parked again from its own slot (rejudge()): already there. */
	if (p->data != k->data) {
		k->p = *p;
		memcpy(k->data, p->data, p->len);
		k->p.data = k->data;
	}
	return true;
}

static void judge(void *ctx, struct queue *q, const struct queue_pkt *p)
{
	struct daemon *d = ctx;
	struct rules_verdict v;
	struct rules_pkt pkt;
	struct action a = { .verdict = NF_ACCEPT };
	const struct proc *proc = NULL;
	struct conn *conn = NULL;
	struct flow *f;
	int ret;

	if (flow_parse(p->data, p->len, p->hook, &pkt) < 0) {
		judge_unparsable(d, q, p);
		return;
	}
	f = flows_get(d->flows, &pkt, d->now);
	if (f && f->has_sock)
		conn = sensor_conn(d->sensor, f->cookie, f->uid, f->inode);
	/* The socket the flow named is gone: another may send on its
	 * 5-tuple now, and must not pass for it. */
	if (conn && conn->closed) {
		flow_recheck(d->flows, f, d->now);
		conn = f->has_sock ? sensor_conn(d->sensor, f->cookie, f->uid,
						 f->inode) : NULL;
	}
	if (!conn)
		conn = sensor_conn_sent(d->sensor, &pkt);
	if (conn)
		proc = conn->proc;
	/* No socket anywhere: the kernel's own packet (an RST, an ICMP
	 * error), not one of a process honefw failed to name. */
	pkt.nosock = !conn && !(f && f->has_sock) && !p->has_sock;
	if (proc && rules_need_sha256(d->rs) &&
	    sensor_digest(d->sensor, proc) == -EINPROGRESS && park(d, p))
		return;
	if (!proc)
		d->unknown++;
	pkt.nth = conn ? ++conn->packets : f ? ++f->packets : 1;
	rules_match(d->rs, &pkt, proc ? &proc->view : NULL, &v);
	d->judged++;
	ret = action_of(d->nft, &v, pkt.dir, p->mark, &a);
	if (ret < 0) {
		d->errors++;
		log_warnx("action %s: %s: failmode answers",
			  rules_action_name(v.action), strerror(-ret));
		a = (struct action){ .verdict = fail_verdict(d) };
	}
	if ((a.mark & HONE_MARK_FLOW) && !d->o->dry_run &&
	    !offload(d, f, conn, &pkt))
		a.mark &= ~(HONE_MARK_FLOW | HONE_MARK_GEN);
	vlog_packet(d->log, &(struct vlog_entry){
		.data = p->data, .len = p->len, .wire_len = p->wire_len,
		.pkt = &pkt, .conn = conn, .proc = proc, .v = &v,
		.mark = a.has_mark ? a.mark : p->mark,
		.dry_run = d->o->dry_run,
		.repeat = f && !flow_news(f, &v, d->now),
	});
	if (d->o->dry_run)
		queue_verdict(q, p->id, NF_ACCEPT, false, 0);
	else
		queue_verdict(q, p->id, a.verdict, a.has_mark, a.mark);
}

/* Judge again what waited for a digest; what still waits parks again. */
static void rejudge(struct daemon *d)
{
	size_t i, n = d->nparked;

	d->nparked = 0;
	for (i = 0; i < n; i++)
		judge(d, d->q, &d->parked[i].p);
	queue_flush(d->q);
}

/* A slice of hashing between batches; when a file is done, the packets
 * that waited for it are judged. */
static void hash_some(struct daemon *d)
{
	size_t before = sensor_hashing(d->sensor), left;

	left = before ? sensor_hash_work(d->sensor, HASH_SLICE) : 0;
	if (d->nparked && (left < before || !left))
		rejudge(d);
}

static void socket_gone(void *ctx, uint64_t cookie)
{
	struct daemon *d = ctx;

	sensor_conn_gone(d->sensor, cookie);
}

/* Every packet of the batch was reported by hone.ko before it was queued:
 * read those reports (and any event) before judging. */
static void drain(void *ctx)
{
	struct daemon *d = ctx;
	int ret = sensor_drain(d->sensor);

	if (ret < 0)
		log_warnx("sensor: %s", strerror(-ret));
	/* Sockets gone end their flows' verdicts before more are judged. */
	ret = offloads_drain(d->off, socket_gone, d);
	if (ret < 0)
		log_warnx("socket destroy notices: %s", strerror(-ret));
}

struct live_set {
	const uint64_t *v;
	size_t n;
};

static bool is_live(void *ctx, uint64_t cookie)
{
	const struct live_set *l = ctx;

	return flows_live_has(l->v, l->n, cookie);
}

/* Destroy notices were lost in a storm of closes: a sock_diag dump says
 * which sockets still live; the others' offloads end and their
 * connections close as if told. Tried again each tick until it works. */
static void sweep(struct daemon *d)
{
	uint64_t *v;
	struct live_set l;
	size_t ended, closed;
	int ret;

	ret = flows_live(d->flows, &v, &l.n);
	if (ret < 0) {
		log_warnx("socket destroy notices were lost, and sock_diag's "
			  "dump failed: %s", strerror(-ret));
		return;
	}
	l.v = v;
	ended = offloads_sweep(d->off, v, l.n, socket_gone, d);
	closed = sensor_conns_sweep(d->sensor, is_live, &l);
	log_warnx("socket destroy notices were lost: a dump of %zu sockets "
		  "found %zu offloaded and %zu other sockets gone", l.n, ended,
		  closed);
	free(v);
}

static void reload(struct daemon *d)
{
	struct nft_conf c;
	struct rules *rs;
	int ret;

	if (load_rules(d->o->config, &rs) < 0) {
		log_warnx("reload failed: keeping the rules in force");
		return;
	}
	if (rules_need_sha256(rs) && (ret = sensor_hash_sha256(d->sensor))) {
		log_warnx("reload failed: sha256 rules but no digests: %s",
			  strerror(-ret));
		rules_free(rs);
		return;
	}
	rules_free(d->rs);
	d->rs = rs;
	d->gen = !d->gen;
	c = nft_conf_of(d);
	/* New rules judge live connections again; the queue stays. */
	ret = nft_install(d->nft, &c);
	if (ret < 0)
		log_warnx("nftables: %s", strerror(-ret));
	ret = queue_set_fail_open(d->q, !c.fail_closed);
	if (ret < 0)
		log_warnx("queue %u: %s", queue_num(d->q), strerror(-ret));
	if (rules_global(rs)->queue != queue_num(d->q) && d->o->queue < 0)
		log_warnx("[global] queue %u takes effect at restart; still %u",
			  rules_global(rs)->queue, queue_num(d->q));
	log_info("reloaded %s: %zu rules", d->o->config, rules_count(rs));
}

/* Freed table entries stay in glibc's heap, which gives memory back only
 * from its top: when large tables have shrunk by half (a storm of sockets
 * is over), hand the free pages back, and again at each halving after,
 * for the pages the last entries of the storm kept. A full connection
 * table is said, once a tick at most. */
#define TRIM_MIN	4096U

static void tables(struct daemon *d)
{
	struct sensor_stats st;
	size_t n;

	sensor_stats(d->sensor, &st);
	if (st.evicted != d->evicted) {
		log_warnx("connection table full: %" PRIu64 " open connections "
			  "forgotten, least recently used first",
			  st.evicted - d->evicted);
		d->evicted = st.evicted;
	}
	n = st.procs + st.conns + flows_count(d->flows);
	if (n > d->entries) {
		d->entries = n;
		d->shrinking = false;
	} else if (n < d->entries / 2 &&
		   (d->entries >= TRIM_MIN || d->shrinking)) {
		malloc_trim(0);
		d->entries = n;
		d->shrinking = true;
	}
}

/* SIGUSR1: what an operator asks first, on one line. */
static void status(struct daemon *d)
{
	struct offload_stats os;
	struct sensor_stats st;
	struct mallinfo2 mi = mallinfo2();

	sensor_stats(d->sensor, &st);
	offloads_stats(d->off, &os);
	log_info("status: judged %" PRIu64 " packets (%" PRIu64 " with no known "
		 "process, %" PRIu64 " unparsable, %" PRIu64 " action errors), %zu "
		 "parked; tables: %" PRIu64 " processes, %" PRIu64 " connections "
		 "(%" PRIu64 " evicted: table full), %zu flows, %" PRIu64
		 " offloaded (%" PRIu64 " destroy notices lost); sensor: %" PRIu64
		 " events, %" PRIu64 " lost; heap %zu KiB in use", d->judged,
		 d->unknown, d->unparsable, d->errors, d->nparked, st.procs,
		 st.conns, st.evicted, flows_count(d->flows), os.flows, os.lost,
		 st.events, st.lost, mi.uordblks / 1024);
}

static void tick(struct daemon *d)
{
	struct nft_conf c;
	int ret;

	/* Closed connections expire with no traffic too. */
	drain(d);
	if (offloads_lost(d->off))
		sweep(d);
	flows_expire(d->flows, d->now);
	tables(d);
	/* A log that could not be written is tried again with no traffic. */
	vlog_flush(d->log);
	ret = nft_present(d->nft);
	if (ret != 0)
		return;
	log_warnx("table inet hone was removed: installing it again");
	c = nft_conf_of(d);
	ret = nft_install(d->nft, &c);
	if (ret < 0)
		log_warnx("nftables: %s", strerror(-ret));
}

/* 1 to go on, 0 to stop. */
static int on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload(d);
			/* logrotate's postrotate: even if the rules failed */
			vlog_reopen(d->log);
			break;
		case SIGUSR1:
			status(d);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("signal %u: removing table inet hone",
				 si.ssi_signo);
			return 0;
		}
	}
	return 1;
}

static int loop(struct daemon *d)
{
	struct pollfd pfd[4] = {
		{ .fd = d->sigfd, .events = POLLIN },
		{ .fd = sensor_fd(d->sensor), .events = POLLIN },
		{ .fd = offloads_fd(d->off), .events = POLLIN },
		{ .fd = queue_fd(d->q), .events = POLLIN },
	};
	uint64_t last = monotonic_ns();
	int ret;

	for (;;) {
		/* While something is being hashed, do not sleep on poll. */
		ret = poll(pfd, 4, sensor_hashing(d->sensor) ||
			   d->nparked ? 0 : TICK_MS);
		if (ret < 0 && errno != EINTR)
			return -errno;
		d->now = monotonic_ns();
		if (pfd[0].revents && !on_signal(d))
			return 0;
		if ((pfd[1].revents || pfd[2].revents) && !pfd[3].revents)
			drain(d);
		if (pfd[3].revents) {
			ret = queue_read(d->q, drain, judge, d);
			if (ret < 0)
				log_warnx("queue: %s", strerror(-ret));
			vlog_flush(d->log);
		}
		hash_some(d);
		if (d->now - last >= TICK_MS * 1000000ULL) {
			last = d->now;
			tick(d);
		}
	}
}

static void shut(struct daemon *d)
{
	vlog_close(d->log);
	queue_close(d->q);
	nft_close(d->nft);
	offloads_close(d->off);
	flows_close(d->flows);
	sensor_close(d->sensor);
	rules_free(d->rs);
	free(d->parked);
	if (d->sigfd >= 0)
		close(d->sigfd);
}

int daemon_main(const struct honefw_opts *o)
{
	struct daemon d = { .o = o, .sigfd = -1 };
	const struct rules_global *g;
	struct offload_stats os;
	struct nft_conf c;
	int ret;

	if (load_rules(o->config, &d.rs) < 0)
		return 1;
	d.parked = calloc(PARK_MAX, sizeof(*d.parked));
	if (!d.parked)
		fatal("calloc");
	g = rules_global(d.rs);
	d.sigfd = sys_signals();
	if (d.sigfd < 0)
		fatal("signalfd");
	/* The proc connector only speaks in the initial network namespace:
	 * open the sensor before joining another one. */
	ret = sensor_open(o->sensor, rules_need_sha256(d.rs), &d.sensor);
	if (ret < 0)
		fatalx("sensor: %s", strerror(-ret));
	if (o->conn_grace >= 0)
		sensor_set_grace(d.sensor, (uint64_t)o->conn_grace * NSEC);
	if (o->netns && (ret = sys_join_netns(o->netns)) < 0)
		fatalx("netns %s: %s", o->netns, strerror(-ret));
	if ((ret = flows_open(&d.flows)) < 0)
		fatalx("sock_diag: %s", strerror(-ret));
	if ((ret = offloads_open(&d.off)) < 0)
		fatalx("sock_diag destroy groups, ctnetlink: %s",
		       strerror(-ret));
	if ((ret = nft_open(&d.nft)) < 0)
		fatalx("nftables: %s", strerror(-ret));
	/* Bind the queue before the table sends packets to it. */
	ret = queue_open(o->queue >= 0 ? o->queue : g->queue,
			 g->failmode == RULES_FAIL_OPEN, &d.q);
	if (ret < 0)
		fatalx("queue %d: %s%s", o->queue >= 0 ? o->queue : g->queue,
		       strerror(-ret), ret == -EBUSY || ret == -EPERM ?
		       " (another honefw is running?)" : "");
	if ((ret = vlog_open(o->log, o->log_all, &d.log)) < 0)
		fatalx("verdict log %s: %s", o->log, strerror(-ret));
	c = nft_conf_of(&d);
	if ((ret = nft_install(d.nft, &c)) < 0)
		fatalx("nftables: installing table inet hone: %s",
		       strerror(-ret));
	if ((ret = sys_drop_privileges()) < 0)
		fatalx("dropping privileges: %s", strerror(-ret));
	log_info("running: %zu rules, queue %u (%s), failmode %s, sensor %s%s",
		 rules_count(d.rs), queue_num(d.q), nft_native_queue(d.nft) ?
		 "nft queue" : "xt NFQUEUE", g->failmode == RULES_FAIL_OPEN ?
		 "open" : "closed", sensor_kind(d.sensor) == SENSOR_KMOD ?
		 "kmod" : "netlink", o->dry_run ? ", dry run" : "");
	if ((ret = offloads_error(d.off)))
		log_warnx("conntrack netlink: %s: connection-wide verdicts "
			  "could not end with their socket, so every packet is "
			  "judged (modprobe nf_conntrack_netlink)",
			  strerror(-ret));
	if (g->unknown == RULES_ACCEPT)
		log_warnx("unknown = accept passes every packet of a socket "
			  "whose process is not known: %s",
			  sensor_kind(d.sensor) == SENSOR_KMOD ?
			  "with hone.ko, sockets older than the module" :
			  "with the netlink sensor, also those of a process "
			  "that exits before /proc is read");
	ret = loop(&d);
	if (ret < 0)
		log_warnx("main loop: %s", strerror(-ret));
	if (nft_remove(d.nft) < 0)
		log_warnx("removing table inet hone failed");
	/* Nothing is queued any more: answer what still waits, which closing
	 * the queue would drop. */
	d.now = monotonic_ns();
	d.closing = true;
	rejudge(&d);
	queue_read(d.q, drain, judge, &d);
	vlog_flush(d.log);
	log_info("judged %" PRIu64 " packets, %" PRIu64 " of them with no "
		 "known process; %" PRIu64 " unparsable; %" PRIu64 " action "
		 "errors", d.judged, d.unknown, d.unparsable, d.errors);
	offloads_stats(d.off, &os);
	log_info("offloaded flows: %" PRIu64 " ended with their socket, %"
		 PRIu64 " still open, %" PRIu64 " kept per packet (table "
		 "full), %" PRIu64 " errors", os.ended, os.flows, os.full,
		 os.errors);
	shut(&d);
	return ret < 0;
}
