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
#include "ahead.h"
#include "ctl.h"
#include "diag.h"
#include "export.h"
#include "dnslog.h"
#include "flow.h"
#include "honefw.h"
#include "loader.h"
#include "log.h"
#include "names.h"
#include "nft.h"
#include "offload.h"
#include "owner.h"
#include "priv.h"
#include "queue.h"
#include "rules.h"
#include "sensor.h"
#include "status.h"
#include "sys.h"
#include "vlog.h"

#define NSEC		1000000000ULL
#define TICK_MS		1000
#define PARK_MAX	4096		/* packets waiting for a digest or an
					 * owner */
#define PARK_QUEUE_MAX	(PARK_MAX / 4)	/* of one queue's: a user's flood
					 * leaves the others room */
#define HASH_SLICE	(1U << 20)	/* bytes hashed between batches */
#define METRICS_TICKS	5		/* the metrics file is rewritten */
/* Conntrack's ends are read at most this often: one wakeup and one IPFIX
 * message per ended connection would take their CPU from verdicts. */
#define EXPORT_MS	50
#define LOAD_SLOW	(5 * NSEC)	/* a reload this long is said, and a
					 * SIGHUP then gives it up */
#define LOADS_LEFT_MAX	8		/* parses given up, left running */

/* A packet held back until its process's executable is hashed: verdicts
 * need not come in order, and other packets go on meanwhile. */
struct parked {
	struct queue *q;	/* where it waits */
	struct queue_pkt p;
	uint64_t cookie;	/* its socket, if known: it stays its owner */
	uint8_t data[QUEUE_COPY_RANGE];
};

struct daemon {
	const struct honefw_opts *o;
	struct rules *rs;
	struct sensor *sensor;
	struct diag *diag;	/* sock_diag, in honefw's namespace */
	struct owners *owners;	/* whose each packet is */
	struct offloads *off;
	struct ahead *ahead;	/* verdicts given to hone.ko */
	struct nft *nft;
	struct queue *q[RULES_QUEUES];	/* queue_num(q[0]) + i each */
	struct vlog *log;
	struct exporter *exp;	/* NULL: no [ipfix] */
	struct ctl *ctl;
	struct dnslog *dns;	/* once rules use host */
	struct names *names;
	struct loader *loading;	/* a reload's rules being parsed */
	uint64_t load_started;
	bool load_said;		/* that it takes long */
	unsigned loads_left;	/* given up while stuck */
	bool reload_again;	/* SIGHUP meanwhile: read the files again */
	int sigfd;
	bool gen;		/* flipped by every reload (nft.h) */
	bool closing;		/* judge now, nothing waits any more */
	struct parked *parked;	/* PARK_MAX */
	size_t nparked;
	uint16_t parked_of[RULES_QUEUES];	/* by queue */
	uint64_t now;
	uint64_t judged, unknown, errors, unparsable;
	uint64_t told_unparsable;	/* when last said; a flood is a line
					 * a second */
	size_t entries;		/* in the tables, at most since the last trim */
	bool shrinking;		/* trimmed, and the tables have not grown since */
	uint64_t evicted;	/* connections evicted, as last said */
	uint64_t export_dropped;	/* IPFIX records dropped, as last said */
	uint64_t queue_dropped[RULES_QUEUES];	/* by the kernel's queues,
						 * as last said */
	uint64_t exported;	/* when conntrack's ends were last read */
	uint64_t swept_lost;	/* hone.ko's lost events at the last sweep */
	struct status_hits *hits;	/* per rule of rs, then fallbacks */
	int64_t loaded;		/* when rs was loaded */
	uint64_t reloads;
	unsigned ticks;
	int metrics_err;	/* the metrics file's error, as last said */
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

static void not_loaded(const char *path, int err)
{
	log_warnx("%s: not loaded: %s", path, err == -EINVAL ?
		  "errors above" : strerror(-err));
}

static int load_rules(const char *path, struct rules **out)
{
	int ret = priv_rules(path, report, NULL, out);

	if (ret < 0)
		not_loaded(path, ret);
	return ret;
}

/* A redirect to one of honefw's own queues would come back for ever. The
 * rules' own check knows the file's queue; honefw's start at --queue, or
 * where it started (a reload does not move them). */
static int check_redirects(const struct rules *rs, unsigned base)
{
	const struct rules_verdict *v;
	int ret = 0;
	size_t i;

	for (i = 0; i < rules_count(rs); i++) {
		v = rules_verdict_nth(rs, i);
		if (v->action != RULES_REDIRECT_QUEUE || v->queue < base ||
		    v->queue >= base + RULES_QUEUES)
			continue;
		log_warnx("%s:%u: [%s]: expected a queue not honefw's own "
			  "(%u-%u): queue:%u", rule_file(v->rule),
			  rule_line(v->rule), rule_name(v->rule), base,
			  base + RULES_QUEUES - 1, v->queue);
		ret = -EINVAL;
	}
	return ret;
}

/* Counts are of the rules in force, from zero at each load: a rule of the
 * same name may have moved, changed or gone, and its count with it. */
static int hits_reset(struct daemon *d, const struct rules *rs)
{
	struct status_hits *h;

	h = calloc(rules_count(rs) + STATUS__FALLBACKS, sizeof(*h));
	if (!h)
		return -ENOMEM;
	free(d->hits);
	d->hits = h;
	d->loaded = time(NULL);
	return 0;
}

/* honefw's table, for the rules in force. */
static int install(struct daemon *d)
{
	const struct rules_global *g = rules_global(d->rs);
	const struct nft_conf c = {
		.queue = queue_num(d->q[0]),
		.fail_closed = g->failmode == RULES_FAIL_CLOSED,
		.gen = d->gen,
		.offload = !offloads_error(d->off),
		.dns_log = d->dns && rules_need_host(d->rs),
		.log_group = queue_num(d->q[0]),
	};

	return nft_install(d->nft, &c, d->rs);
}

/* The table in again, and the verdicts given ahead that it ended. */
static void reinstall(struct daemon *d)
{
	int ret = install(d);

	if (ret < 0)
		log_warnx("nftables: %s", strerror(-ret));
	else
		ahead_renew(d->ahead, d->rs, d->nft);
}

/* Before a generation's table goes in, no conntrack mark may hold a
 * verdict of rules not in force that the table would take for one of its
 * own: at start any of honefw's (an earlier honefw's, whose generation
 * this one may share); at a reload, those of the generation about to come
 * back, given two reloads ago to connections that sent nothing since. */
static void forget_verdicts(struct daemon *d, bool any)
{
	uint32_t mask = HONE_MARK_FLOW | (any ? 0 : HONE_MARK_GEN);
	uint32_t mark = HONE_MARK_FLOW | (!any && d->gen ? HONE_MARK_GEN : 0);
	int ret = offloads_forget(d->off, mark, mask, ~HONE_MARK_USER);

	if (ret < 0)
		log_warnx("conntrack netlink: taking back verdicts of earlier "
			  "rules: %s", strerror(-ret));
	else if (ret > 0)
		log_info("verdicts of %s taken back from %d connections: "
			 "each is judged again at its next packet",
			 any ? "an earlier honefw" : "rules two reloads ago",
			 ret);
}

/* The answer when honefw cannot judge: what failmode says of its absence. */
static uint32_t fail_verdict(const struct daemon *d)
{
	return rules_global(d->rs)->failmode == RULES_FAIL_CLOSED ?
		NF_DROP : NF_ACCEPT;
}

/* A packet honefw cannot parse has no owner and no rule can name it: the
 * rules' default decides, for this packet alone (q NULL: hone.ko passed
 * it, by a verdict given ahead). */
static void judge_unparsable(struct daemon *d, struct queue *q,
			     const struct queue_pkt *p)
{
	enum rules_action def = rules_global(d->rs)->def;

	d->unparsable++;
	if (d->now - d->told_unparsable >= NSEC) {
		d->told_unparsable = d->now;
		log_warnx("%sunparsable packet %s, %zu bytes (%" PRIu64 " so "
			  "far): %s%s", d->o->dry_run ? "dry-run: " : "",
			  p->hook == NF_INET_LOCAL_IN ? "in" : "out", p->len,
			  d->unparsable, q ? "default " :
			  "passed by a verdict given ahead",
			  q ? rules_action_name(def) : "");
	}
	if (q)
		queue_verdict(q, p->id, def == RULES_ACCEPT || d->o->dry_run ?
			      NF_ACCEPT : NF_DROP, false, 0);
}

/* A connection-wide verdict is tied to the socket it was given for: none
 * known (or closed already: a late packet), a listener's stand-in, or no
 * room to remember it, and the verdict holds for this packet only.
 * Outside TCP, sockets may share a 5-tuple: the verdict names its user
 * too, *own, the uid for the mark's low bits (nft.c), which must fit
 * there and not cover a QoS mark. */
static bool offload(struct daemon *d, const struct flow *f,
		    const struct conn *conn, const struct rules_pkt *pkt,
		    uint32_t mark, uint32_t *own)
{
	uint32_t uid = 0;

	if (!conn || conn->closed || !f || f->provisional)
		return false;
	if (pkt->proto != IPPROTO_TCP) {
		uid = pkt->has_uid ? pkt->uid : conn->uid;
		if ((mark & HONE_MARK_USER) || uid > HONE_MARK_USER)
			return false;
	}
	if (offload_add(d->off, conn->cookie, conn->pid, conn->uid, pkt) < 0)
		return false;
	*own = uid;
	return true;
}

/* false when full (or its queue's share is: a user's flood, parked while
 * its owner is searched for, must not keep another user's packets from
 * waiting for theirs), or the packet is gone already (q NULL: passed
 * ahead): then it is judged without what it waits for (a digest, which
 * matches no sha256 key; an owner: unknown). */
static bool park(struct daemon *d, struct queue *q, const struct queue_pkt *p,
		 const struct conn *conn)
{
	struct parked *k;
	unsigned int i;

	if (!q || d->closing || d->nparked == PARK_MAX ||
	    p->len > sizeof(k->data))
		return false;
	i = queue_num(q) - queue_num(d->q[0]);
	if (d->parked_of[i] == PARK_QUEUE_MAX)
		return false;
	d->parked_of[i]++;
	k = &d->parked[d->nparked++];
	k->q = q;
	k->cookie = conn ? conn->cookie : 0;
	/* Parked again from its own slot (rejudge()): already there. */
	if (p->data != k->data) {
		k->p = *p;
		memcpy(k->data, p->data, p->len);
		k->p.data = k->data;
	}
	return true;
}

/* A connection is counted for the rule that decided its first packet. */
static void count_hit(struct daemon *d, const struct rules_verdict *v,
		      const struct rules_pkt *pkt, const struct proc *proc)
{
	enum status_fallback fb = proc ? STATUS_DEFAULT :
		pkt->nosock ? STATUS_KERNEL : STATUS_UNKNOWN;
	struct status_hits *h = &d->hits[status_hit_index(d->rs, v, fb)];

	h->packets++;
	h->conns += pkt->nth == 1;
}

/* The names the socket's owner had remote resolved from. */
static void hosts_of(struct daemon *d, const struct conn *conn,
		     struct rules_pkt *pkt, const char **hosts)
{
	if (!conn || !d->names || !rules_need_host(d->rs))
		return;
	pkt->hosts = hosts;
	pkt->nhosts = names_get(d->names, conn->uid, pkt->family, pkt->remote,
				d->now, hosts, NAMES_PER_ADDR);
}

/* cookie: the socket a parked packet was found to have (owner_of()), or
 * the one hone.ko names for a packet it passed by a verdict given ahead;
 * prejudged: the conntrack mark that verdict set. Such a packet is gone
 * (q NULL): judged as if queued, it is sent no verdict, and is logged as
 * what was done, accepted. */
static void judge_one(struct daemon *d, struct queue *q,
		      const struct queue_pkt *p, uint64_t cookie,
		      uint32_t prejudged)
{
	const char *hosts[NAMES_PER_ADDR];
	struct rules_verdict v, done;
	struct rules_pkt pkt;
	struct action a = { .verdict = NF_ACCEPT };
	const struct proc *proc;
	struct conn *conn;
	struct owner who;
	uint32_t own = 0;
	struct flow *f;
	bool stale;
	int ret;

	if (flow_parse(p->data, p->len, p->hook, &pkt) < 0) {
		judge_unparsable(d, q, p);
		return;
	}
	pkt.has_uid = p->has_sock;
	pkt.uid = p->uid;
	owner_of(d->owners, &pkt, p->has_sock, cookie, d->now, &who);
	/* Its owner is being searched for, while other packets go on: it is
	 * judged again once the search has ended. */
	if (who.waits && park(d, q, p, NULL))
		return;
	f = who.flow;
	conn = who.conn;
	proc = who.proc;
	pkt.nosock = who.nosock;
	if (proc && rules_need_sha256(d->rs) &&
	    sensor_digest(d->sensor, proc) == -EINPROGRESS && park(d, q, p, conn))
		return;
	if (!proc)
		d->unknown++;
	pkt.nth = conn ? ++conn->packets : f ? ++f->packets : 1;
	hosts_of(d, conn, &pkt, hosts);
	rules_match(d->rs, &pkt, proc ? &proc->view : NULL, &v);
	d->judged++;
	count_hit(d, &v, &pkt, proc);
	if (d->exp)
		export_judged(d->exp, &pkt, f, proc, &v);
	ret = action_of(d->nft, &v, pkt.dir, p->mark, &a);
	if (ret < 0) {
		d->errors++;
		log_warnx("action %s: %s: failmode answers",
			  rules_action_name(v.action), strerror(-ret));
		a = (struct action){ .verdict = fail_verdict(d) };
	}
	if ((a.mark & HONE_MARK_FLOW) && !d->o->dry_run &&
	    !offload(d, f, conn, &pkt, a.mark, &own))
		a.mark &= ~(HONE_MARK_FLOW | HONE_MARK_GEN);
	/* The act chain saves a connection-wide verdict's mark whole. */
	stale = prejudged && ahead_passed(d->ahead, d->rs, d->nft, cookie,
					  &pkt, proc, prejudged,
					  a.mark & HONE_MARK_FLOW ?
					  a.mark | own : 0);
	done = v;
	if (stale)
		done = (struct rules_verdict){ .action = RULES_ACCEPT,
					       .log = v.log, .rule = v.rule };
	vlog_packet(d->log, &(struct vlog_entry){
		.data = p->data, .len = p->len, .wire_len = p->wire_len,
		.pkt = &pkt, .conn = conn, .proc = proc, .v = &done,
		.mark = a.has_mark && !stale ? a.mark : p->mark,
		.dry_run = d->o->dry_run, .prejudged = prejudged,
		.stale = stale,
		.repeat = f && !flow_news(f, &done, d->now),
	});
	if (!q)
		return;
	if (d->o->dry_run)
		queue_verdict(q, p->id, NF_ACCEPT, false, 0);
	else
		queue_verdict(q, p->id, a.verdict, a.has_mark, a.mark | own);
}

static void judge(void *ctx, struct queue *q, const struct queue_pkt *p)
{
	judge_one(ctx, q, p, 0, 0);
}

/* hone.ko passed a connection's SYN by a verdict given ahead: judged as
 * if it had been queued. */
static void passed_ahead(void *ctx, const struct sensor_prejudged *pj)
{
	struct daemon *d = ctx;
	const struct conn *c = owners_conn(d->owners, pj->cookie, 0, 0, NULL);
	/* It left with the mark's QoS bits: the fast path's. */
	struct queue_pkt p = {
		.hook = NF_INET_LOCAL_OUT, .mark = pj->ctmark & HONE_MARK_USER,
		.data = pj->data, .len = pj->len, .wire_len = pj->wire_len,
		.has_sock = c != NULL, .uid = c ? c->uid : 0,
	};

	judge_one(d, NULL, &p, pj->cookie, pj->ctmark);
}

/* A process changed (owners_on_change()): its verdicts may have. Those
 * of its connections judged as a whole are taken back, so that their
 * next packets are judged as what it is now (an exec keeps the sockets),
 * and so is the verdict given ahead for its new sockets. */
static void proc_changed(void *ctx, const struct proc *p)
{
	struct daemon *d = ctx;

	offloads_take_back_pid(d->off, p->view.pid);
	ahead_judge(d->ahead, d->rs, d->nft, p);
}

/* Judge again what waited for a digest or an owner; what still waits
 * parks again. */
static void rejudge(struct daemon *d)
{
	size_t i, n = d->nparked;

	d->nparked = 0;
	memset(d->parked_of, 0, sizeof(d->parked_of));
	for (i = 0; i < n; i++)
		judge_one(d, d->parked[i].q, &d->parked[i].p,
			  d->parked[i].cookie, 0);
	for (i = 0; i < RULES_QUEUES; i++)
		queue_flush(d->q[i]);
}

/* A slice of hashing between batches; when a file is done, the packets
 * that waited for it are judged (not those that wait for a search), and
 * the processes that run it learn its digest (their verdicts given
 * ahead). */
static void hash_some(struct daemon *d)
{
	size_t before = sensor_hashing(d->sensor), left;

	left = before ? sensor_hash_work(d->sensor, HASH_SLICE) : 0;
	if (d->nparked && (left < before ||
			   (!left && !sensor_searching(d->sensor))))
		rejudge(d);
	if (left < before)
		sensor_digests_done(d->sensor);
}

static void socket_gone(void *ctx, uint64_t cookie)
{
	struct daemon *d = ctx;

	owners_conn_gone(d->owners, cookie, d->now);
}

/* hone.ko says a socket is freed, as sock_diag's destroy notice would,
 * from the same destructor: honefw does not subscribe to those. */
static void socket_freed(void *ctx, uint64_t cookie)
{
	struct daemon *d = ctx;

	offload_end(d->off, cookie);
}

static void name_logged(void *ctx, uint8_t family, const uint8_t *addr,
			const char *name)
{
	struct daemon *d = ctx;

	vlog_name(d->log, family, addr, name);
}

static void learned(void *ctx, uint32_t uid, uint8_t family,
		    const uint8_t *addr, const char *name, uint32_t ttl)
{
	struct daemon *d = ctx;

	/* Out of memory: the name is not known, and matches nothing. */
	if (names_add(d->names, uid, family, addr, name, ttl, d->now) > 0)
		name_logged(d, family, addr, name);
}

/* An answer on loopback names no socket (dnslog.h): its flow does, the
 * query's, which was judged a moment before (its socket, once looked up,
 * is kept for the flow's life even if closed since). */
static bool answer_owner(void *ctx, const struct rules_pkt *pkt,
			 uint32_t *uid)
{
	struct daemon *d = ctx;

	return owner_uid(d->owners, pkt, d->now, uid);
}

/* Every packet of the batch was reported by hone.ko before it was queued:
 * read those reports (and any event) before judging. So are the DNS
 * answers the host received before the connect being judged. */
static void drain(void *ctx)
{
	struct daemon *d = ctx;
	struct pollfd p[] = {
		{ .fd = sensor_fd(d->sensor), .events = POLLIN },
		{ .fd = offloads_fd(d->off), .events = POLLIN },
		{ .fd = d->dns ? dnslog_fd(d->dns) : -1, .events = POLLIN },
	};
	const size_t np = sizeof(p) / sizeof(p[0]);
	size_t i, n = 0;
	int ret;

	/* Every batch: one poll says which sources have anything, where a
	 * read of each would cost a syscall apiece. poll(2) asks each
	 * descriptor itself, so it also sees what waits lazily for a
	 * wakeup (hone(4) HEIO_SET_LAZY). With one source, or if the poll
	 * fails, each is read. */
	for (i = 0; i < np; i++)
		n += p[i].fd >= 0;
	if (n < 2 || poll(p, np, 0) < 0)
		for (i = 0; i < np; i++)
			p[i].revents = POLLIN;
	ret = sensor_drain_polled(d->sensor, d->now, p[0].revents);
	if (ret < 0)
		log_warnx("sensor: %s", strerror(-ret));
	if (d->dns && p[2].revents &&
	    (ret = dnslog_drain(d->dns, learned, answer_owner, d)) < 0)
		log_warnx("DNS answers: %s", strerror(-ret));
	/* Sockets gone end their flows' verdicts before more are judged. */
	ret = offloads_drain(d->off, p[1].revents, socket_gone, d);
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

	return diag_live_has(l->v, l->n, cookie);
}

/* Whether sockets may have been freed unsaid: destroy notices lost, or
 * hone.ko's events (its closes among them) since the last sweep. */
static bool closes_lost(struct daemon *d)
{
	struct sensor_stats st;

	if (offloads_lost(d->off))
		return true;
	if (sensor_kind(d->sensor) != SENSOR_KMOD)
		return false;
	sensor_stats(d->sensor, &st);
	return st.lost != d->swept_lost;
}

/* Closes were lost in a storm of them: a sock_diag dump says which
 * sockets still live; the others' offloads end and their connections
 * close as if told. Tried again each tick until it works. */
static void sweep(struct daemon *d)
{
	const char *what = sensor_kind(d->sensor) == SENSOR_KMOD ?
			   "hone.ko's events" : "socket destroy notices";
	struct sensor_stats st;
	uint64_t *v;
	struct live_set l;
	size_t ended, closed;
	int ret;

	/* Read before the dump: what is lost during it is swept next. */
	sensor_stats(d->sensor, &st);
	ret = diag_live(d->diag, &v, &l.n);
	if (ret < 0) {
		log_warnx("%s were lost, and sock_diag's dump failed: %s", what,
			  strerror(-ret));
		return;
	}
	d->swept_lost = st.lost;
	l.v = v;
	ended = offloads_sweep(d->off, v, l.n, socket_gone, d);
	/* hone.ko's connections are of every network namespace: only
	 * its own sockets are in the dump. */
	closed = sensor_kind(d->sensor) == SENSOR_NETLINK ?
		 owners_conns_sweep(d->owners, is_live, &l, d->now) : 0;
	log_warnx("%s were lost: a dump of %zu sockets found %zu offloaded "
		  "and %zu other sockets gone", what, l.n, ended, closed);
	free(v);
}

/* [ipfix] as rs says: kept if unchanged, else a new exporter (what the
 * old one still held is lost, and counted there). */
static int export_apply(struct daemon *d, const struct rules *rs)
{
	const struct rules_ipfix *c = rules_ipfix(rs);
	struct exporter *e = NULL;
	int ret;

	if (d->exp && c->host && export_same(d->exp, c))
		return 0;
	if (c->host && ((ret = priv_acct_on()) < 0 ||
			(ret = export_open(c, &e)) < 0))
		return ret;
	export_close(d->exp);
	d->exp = e;
	if (e)
		log_info("ipfix: exporting to %s:%s over %s, PEN %u", c->host,
			 c->port, c->transport == RULES_TCP ? "tcp" : "udp",
			 c->pen);
	return 0;
}

/* ip netns exec's resolv.conf for the namespace honefw serves. */
static void resolvers_read(struct daemon *d)
{
	char path[300] = "/etc/resolv.conf";
	int n;

	if (d->o->netns) {
		snprintf(path, sizeof(path), "/etc/netns/%s/resolv.conf",
			 d->o->netns);
		if (access(path, F_OK) < 0)
			strcpy(path, "/etc/resolv.conf");
	}
	n = dnslog_resolvers(d->dns, path);
	if (n < 0)
		log_warnx("%s: %s: host rules match nothing", path,
			  strerror(-n));
	else if (!n)
		log_warnx("%s: no nameserver: host rules match nothing", path);
	else
		log_info("names: from DNS answers of the %d resolver%s of %s",
			 n, n == 1 ? "" : "s", path);
}

/* Rules with host: learn names from the DNS answers the host receives,
 * through the table's NFLOG rule, group = the queue's number. */
static void names_start(struct daemon *d)
{
	int ret;

	if (!rules_need_host(d->rs))
		return;
	if (!d->names && (ret = names_open(NAMES_MAX, &d->names)) < 0)
		fatalx("names: %s", strerror(-ret));
	if (d->dns)
		return;
	if ((ret = dnslog_open(queue_num(d->q[0]), &d->dns)) < 0) {
		log_warnx("NFLOG group %u: %s: host rules match nothing",
			  queue_num(d->q[0]), strerror(-ret));
		return;
	}
	resolvers_read(d);
}

/* The new files could not be read or parsed. */
static void reload_unparsed(const struct daemon *d, int err)
{
	not_loaded(d->o->config, err);
	log_warnx("reload failed: keeping the rules in force");
}

/* Whether a SIGHUP gives up the parse under way: one stuck (in NSS) must
 * not hold the rules the operator fixed, by uid say; each given up leaves
 * a thread behind until NSS answers, so only a few. */
static bool reload_gives_up(struct daemon *d)
{
	if (d->now - d->load_started < LOAD_SLOW ||
	    d->loads_left >= LOADS_LEFT_MAX)
		return false;
	log_warnx("reload: giving up the parse of %s, stuck for %llu s: "
		  "reading the files again", d->o->config,
		  (unsigned long long)((d->now - d->load_started) / NSEC));
	loader_abandon(d->loading);
	d->loading = NULL;
	d->loads_left++;
	return true;
}

/* SIGHUP: the files are read now, and parsed off the verdict path
 * (loader.h); one load at a time, the next SIGHUP's after it. */
static void reload(struct daemon *d)
{
	int ret;

	/* The resolvers may have changed, whatever becomes of the rules. */
	if (d->dns)
		resolvers_read(d);
	if (d->loading && !reload_gives_up(d)) {
		d->reload_again = true;
		return;
	}
	d->reload_again = false;
	ret = loader_start(d->o->config, report, NULL, &d->loading);
	if (ret < 0) {
		reload_unparsed(d, ret);
		return;
	}
	d->load_started = d->now;
	d->load_said = false;
}

/* A parse that does not end holds every later reload: the operator is
 * told why nothing changes. */
static void reload_slow(struct daemon *d)
{
	if (!d->loading || d->load_said || d->now - d->load_started < LOAD_SLOW)
		return;
	d->load_said = true;
	log_warnx("reload: %s still being parsed after %llu s (a user or "
		  "group name waiting for NSS?); the rules in force judge, "
		  "and a SIGHUP gives it up", d->o->config, LOAD_SLOW / NSEC);
}

/* The parsed rules replace those in force, if they pass the checks. */
static void reload_apply(struct daemon *d, struct rules *rs)
{
	int ret;

	if (check_redirects(rs, queue_num(d->q[0])) < 0) {
		log_warnx("reload failed: keeping the rules in force");
		rules_free(rs);
		return;
	}
	if (rules_need_sha256(rs) && (ret = sensor_hash_sha256(d->sensor))) {
		log_warnx("reload failed: sha256 rules but no digests: %s",
			  strerror(-ret));
		rules_free(rs);
		return;
	}
	if ((ret = hits_reset(d, rs)) < 0) {
		log_warnx("reload failed: %s", strerror(-ret));
		rules_free(rs);
		return;
	}
	d->reloads++;
	if ((ret = export_apply(d, rs)) < 0)
		log_warnx("ipfix: %s: exporting as before", strerror(-ret));
	rules_free(d->rs);
	d->rs = rs;
	d->gen = !d->gen;
	names_start(d);
	/* From now on no SYN takes a verdict of the rules replaced: one that
	 * passed the new table's queue chain with an old generation's mark
	 * would be queued, and judged twice. */
	ahead_clear(d->ahead);
	forget_verdicts(d, false);
	/* New rules judge live connections again; the queue stays. */
	reinstall(d);
	if (rules_global(rs)->queue != queue_num(d->q[0]) && d->o->queue < 0)
		log_warnx("[global] queue %u takes effect at restart; still %u",
			  rules_global(rs)->queue, queue_num(d->q[0]));
	log_info("reloaded %s: %zu rules", d->o->config, rules_count(rs));
}

static void reload_end(struct daemon *d)
{
	struct rules *rs;
	int ret = loader_end(d->loading, &rs);

	if (ret == -EAGAIN)
		return;
	d->loading = NULL;
	if (ret < 0) {
		reload_unparsed(d, ret);
	} else {
		reload_apply(d, rs);
	}
	if (d->reload_again) {
		d->reload_again = false;
		reload(d);
	}
}

/* Freed table entries stay in glibc's heap, which gives memory back only
 * from its top: when large tables have shrunk by half (a storm of sockets
 * is over), hand the free pages back, and again at each halving after,
 * for the pages the last entries of the storm kept. A full connection
 * table is said, once a tick at most. */
#define TRIM_MIN	4096U

static void tables(struct daemon *d)
{
	struct owners_stats st;
	size_t n;

	owners_stats(d->owners, &st);
	if (st.evicted != d->evicted) {
		log_warnx("connection table full: %" PRIu64 " open connections "
			  "forgotten, least recently used first",
			  st.evicted - d->evicted);
		d->evicted = st.evicted;
	}
	n = st.procs + st.conns + flows_count(owners_flows(d->owners));
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

/* The kernel's counts of all of honefw's queues; -ENOENT when it lists
 * none of them. */
static int queues_stats(const struct daemon *d, struct queue_stats *sum)
{
	struct queue_stats st;
	int ret = -ENOENT;
	size_t i;

	*sum = (struct queue_stats){ 0 };
	for (i = 0; i < RULES_QUEUES; i++) {
		if (queue_stats(d->q[i], &st) < 0)
			continue;
		sum->waiting += st.waiting;
		sum->dropped += st.dropped;
		sum->user_dropped += st.user_dropped;
		ret = 0;
	}
	return ret;
}

static void snapshot(const struct daemon *d, struct status *st)
{
	struct export_stats es;
	struct offload_stats os;
	struct sensor_stats ss;
	struct owners_stats ow;
	struct ahead_stats as;
	struct mallinfo2 mi = mallinfo2();

	sensor_stats(d->sensor, &ss);
	owners_stats(d->owners, &ow);
	offloads_stats(d->off, &os);
	ahead_stats(d->ahead, &as);
	*st = (struct status){
		.config = d->o->config, .rs = d->rs, .hits = d->hits,
		.loaded = d->loaded, .reloads = d->reloads,
		.dry_run = d->o->dry_run,
		.sensor = sensor_kind(d->sensor) == SENSOR_KMOD ? "kmod" :
			"netlink",
		.judged = d->judged, .unknown = d->unknown,
		.unparsable = d->unparsable, .errors = d->errors,
		.parked = d->nparked,
		.procs = ow.procs, .conns = ow.conns, .evicted = ow.evicted,
		.flows = flows_count(owners_flows(d->owners)),
		.offloaded = os.flows, .changed = os.changed,
		.given_up = os.given_up,
		.notices_lost = os.lost,
		.events = ss.events, .events_lost = ss.lost,
		.fd_reads = ss.fd_scans,
		.ahead = as.on, .ahead_given = as.given,
		.ahead_ended = as.ended, .ahead_passed = as.passed,
		.ahead_taken_back = as.taken_back,
		.diag_lookups = flows_asked(owners_flows(d->owners)),
		.queue = queue_num(d->q[0]), .nqueues = RULES_QUEUES,
		.heap = mi.uordblks,
		.lines_lost = log_lost(),
	};
	st->has_queue_stats = queues_stats(d, &st->q) == 0;
	vlog_stats(d->log, &st->log);
	if (d->exp) {
		export_stats(d->exp, &es);
		st->collector = rules_ipfix(d->rs)->host;
		st->collector_port = rules_ipfix(d->rs)->port;
		st->export_up = es.ipfix.up ||
				rules_ipfix(d->rs)->transport != RULES_TCP;
		st->export_records = es.ipfix.records;
		st->export_dropped = es.ipfix.dropped;
	}
}

static void names_status(struct daemon *d)
{
	struct dnslog_stats ds = { 0 };
	struct names_stats ns;

	names_stats(d->names, &ns);
	if (d->dns)
		dnslog_stats(d->dns, &ds);
	log_info("status: names: %" PRIu64 " bindings (%" PRIu64 " learned, %"
		 PRIu64 " refreshed, %" PRIu64 " expired, %" PRIu64 " evicted: "
		 "table full); DNS answers: %" PRIu64 " read, %" PRIu64 " not "
		 "from a resolver, %" PRIu64 " to no socket, %" PRIu64
		 " unreadable, %" PRIu64 " split over TCP segments, %" PRIu64
		 " lost", ns.entries, ns.added, ns.refreshed, ns.expired,
		 ns.evicted, ds.answers, ds.untrusted, ds.nosock, ds.malformed,
		 ds.split, ds.lost);
}

/* SIGUSR1: what an operator asks first, on one line (and one of names). */
static void status(struct daemon *d)
{
	struct export_stats es;
	struct status st;
	char *line = NULL;
	size_t len;
	FILE *m;

	snapshot(d, &st);
	if (d->exp) {
		export_stats(d->exp, &es);
		log_info("status: ipfix: %" PRIu64 " records sent, %" PRIu64
			 " dropped, %" PRIu64 " connections followed (%" PRIu64
			 " not: table full; %" PRIu64 " ended unseen, %" PRIu64
			 " conntrack events lost)%s", es.ipfix.records,
			 es.ipfix.dropped, es.conns, es.untracked, es.unseen,
			 es.lost, rules_ipfix(d->rs)->transport == RULES_TCP &&
			 !es.ipfix.up ? "; collector not connected" : "");
	}
	m = open_memstream(&line, &len);
	if (m) {
		status_counts(&st, m, "; ");
		if (fclose(m) == 0)
			log_info("status: %s; heap %" PRIu64 " KiB in use", line,
				 st.heap / 1024);
		free(line);
	} else {
		log_warn("status");
	}
	if (d->names)
		names_status(d);
}

/* honefw --status, answered from the loop (ctl.c). */
static int answer(void *ctx, bool json, FILE *f)
{
	struct status st;

	snapshot(ctx, &st);
	return json ? status_json(&st, f) : status_text(&st, f);
}

/* A failure is said once, and its end. */
static void metrics(struct daemon *d)
{
	struct status st;
	int ret;

	snapshot(d, &st);
	ret = status_prom_file(&st, d->o->metrics);
	if (ret < 0 && ret != d->metrics_err)
		log_warnx("metrics %s: %s", d->o->metrics, strerror(-ret));
	else if (!ret && d->metrics_err)
		log_info("metrics %s: written again", d->o->metrics);
	d->metrics_err = ret;
}

/* Drops are said once a tick at most, as they grow. */
static void export_tick(struct daemon *d)
{
	struct export_stats es;

	if (!d->exp)
		return;
	export_run(d->exp, true, 0);
	export_stats(d->exp, &es);
	if (es.ipfix.dropped != d->export_dropped)
		log_warnx("ipfix: %" PRIu64 " records dropped (%" PRIu64 " so "
			  "far): the collector's socket is full or away",
			  es.ipfix.dropped - d->export_dropped,
			  es.ipfix.dropped);
	d->export_dropped = es.ipfix.dropped;
}

/* A full queue drops what it cannot hold (never accepts it: a flood would
 * let its sender's packets pass unjudged), said once a tick at most. */
static void queue_tick(struct daemon *d)
{
	struct queue_stats st;
	char who[32];
	uint64_t n;
	size_t i;

	for (i = 0; i < RULES_QUEUES; i++) {
		if (queue_stats(d->q[i], &st) < 0)
			continue;
		n = st.dropped + st.user_dropped;
		if (i < RULES_QUEUE_USERS)
			snprintf(who, sizeof(who), "uid %% %d = %zu",
				 RULES_QUEUE_USERS, i);
		else
			snprintf(who, sizeof(who), "%s",
				 i == RULES_QUEUE_ROOT ? "root" : "no socket");
		if (n > d->queue_dropped[i])
			log_warnx("queue %u (%s): %" PRIu64 " packets dropped "
				  "unjudged (%" PRIu64 " so far): they came "
				  "faster than honefw judges", queue_num(d->q[i]),
				  who, n - d->queue_dropped[i], n);
		d->queue_dropped[i] = n;
	}
}

static void tick(struct daemon *d)
{
	int ret;

	/* Closed connections expire with no traffic too. */
	drain(d);
	reload_slow(d);
	if (closes_lost(d))
		sweep(d);
	flows_expire(owners_flows(d->owners), d->now);
	if (d->names)
		names_expire(d->names, d->now);
	tables(d);
	queue_tick(d);
	/* A log that could not be written is tried again with no traffic. */
	vlog_flush(d->log);
	export_tick(d);
	if (++d->ticks % METRICS_TICKS == 0)
		metrics(d);
	ret = nft_present(d->nft);
	if (ret != 0)
		return;
	log_warnx("table inet hone was removed: installing it again");
	reinstall(d);
}

/* 1 to go on, 0 to stop. */
static int on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload(d);
			/* logrotate's postrotate: even if the rules failed;
			 * the new file names what is known, as it stands
			 * alone */
			vlog_reopen(d->log);
			if (d->names)
				names_each(d->names, d->now, name_logged, d);
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

/* Milliseconds until conntrack's ends may be read again, 0 now. */
static uint64_t export_wait(const struct daemon *d)
{
	uint64_t since = (d->now - d->exported) / 1000000;

	return since >= EXPORT_MS ? 0 : EXPORT_MS - since;
}

/* Each queue that has packets, a few hundred at most from each: one
 * user's flood delays the others' packets by one turn, no more. */
static bool read_queues(struct daemon *d, const struct pollfd *pfd)
{
	bool any = false;
	size_t i;
	int ret;

	for (i = 0; i < RULES_QUEUES; i++) {
		if (!pfd[i].revents)
			continue;
		any = true;
		ret = queue_read(d->q[i], drain, judge, d);
		if (ret < 0)
			log_warnx("queue %u: %s", queue_num(d->q[i]),
				  strerror(-ret));
	}
	if (any)
		vlog_flush(d->log);
	return any;
}

enum { PFD_SIG, PFD_SENSOR, PFD_OFFLOADS, PFD_DNS, PFD_CT, PFD_EXPORT,
       PFD_FIND, PFD_LOAD, PFD_QUEUE, PFD_CTL = PFD_QUEUE + RULES_QUEUES };

static int loop(struct daemon *d)
{
	struct pollfd pfd[PFD_CTL + CTL_POLLFDS] = {
		[PFD_SIG] = { .fd = d->sigfd, .events = POLLIN },
		[PFD_SENSOR] = { .fd = sensor_fd(d->sensor), .events = POLLIN },
		[PFD_OFFLOADS] = { .fd = offloads_fd(d->off), .events = POLLIN },
		[PFD_DNS] = { .fd = -1, .events = POLLIN },
		[PFD_FIND] = { .fd = sensor_find_fd(d->sensor), .events = POLLIN },
	};
	uint64_t last = monotonic_ns(), wait;
	size_t nctl, i;
	int ret;

	for (i = 0; i < RULES_QUEUES; i++)
		pfd[PFD_QUEUE + i] = (struct pollfd){
			.fd = queue_fd(d->q[i]), .events = POLLIN,
		};
	for (;;) {
		/* DNS answers: opened by a reload that brought host rules;
		 * a reload may open another exporter. A negative fd is not
		 * polled. */
		pfd[PFD_DNS].fd = d->dns ? dnslog_fd(d->dns) : -1;
		wait = export_wait(d);
		pfd[PFD_CT].fd = d->exp && !wait ? export_ct_fd(d->exp) : -1;
		pfd[PFD_CT].events = POLLIN;
		pfd[PFD_EXPORT].fd = d->exp ? export_out_fd(d->exp) : -1;
		pfd[PFD_EXPORT].events = d->exp ? export_out_events(d->exp) : 0;
		pfd[PFD_LOAD] = (struct pollfd){
			.fd = d->loading ? loader_fd(d->loading) : -1,
			.events = POLLIN,
		};
		nctl = ctl_pollfds(d->ctl, pfd + PFD_CTL);
		/* While something is being hashed, or parked packets wait for
		 * no search, do not sleep on poll. */
		ret = poll(pfd, PFD_CTL + nctl, sensor_hashing(d->sensor) ||
			   (d->nparked && !sensor_searching(d->sensor)) ? 0 :
			   wait ? (int)wait : TICK_MS);
		if (ret < 0 && errno != EINTR)
			return -errno;
		d->now = monotonic_ns();
		if (pfd[PFD_SIG].revents && !on_signal(d))
			return 0;
		/* Each batch read drains the sensor first. */
		if (!read_queues(d, pfd + PFD_QUEUE) &&
		    (pfd[PFD_SENSOR].revents || pfd[PFD_OFFLOADS].revents ||
		     pfd[PFD_DNS].revents))
			drain(d);
		/* Records go out after the batch's verdicts, never before. */
		if (d->exp && (pfd[PFD_CT].revents || pfd[PFD_EXPORT].revents)) {
			export_run(d->exp, false, pfd[PFD_EXPORT].revents);
			d->exported = d->now;
		}
		/* A search has ended: what waited for it is judged. */
		if (pfd[PFD_FIND].revents && sensor_find_drain(d->sensor) > 0 &&
		    d->nparked)
			rejudge(d);
		if (pfd[PFD_LOAD].revents)
			reload_end(d);
		/* After the verdicts: a status client waits, packets not. */
		ctl_serve(d->ctl, pfd + PFD_CTL, nctl, d->now, answer, d);
		hash_some(d);
		if (d->now - last >= TICK_MS * 1000000ULL) {
			last = d->now;
			tick(d);
		}
	}
}

static void shut(struct daemon *d)
{
	size_t i;

	loader_abandon(d->loading);
	export_close(d->exp);
	ctl_close(d->ctl);
	vlog_close(d->log);
	dnslog_close(d->dns);
	names_close(d->names);
	for (i = 0; i < RULES_QUEUES; i++)
		queue_close(d->q[i]);
	nft_close(d->nft);
	offloads_close(d->off);
	/* The sensor tells the owners to its end, and they the verdicts
	 * given ahead. */
	sensor_close(d->sensor);
	ahead_close(d->ahead);
	owners_close(d->owners);
	diag_close(d->diag);
	rules_free(d->rs);
	free(d->parked);
	free(d->hits);
	if (d->sigfd >= 0)
		close(d->sigfd);
}

int daemon_main(const struct honefw_opts *o)
{
	struct daemon d = { .o = o, .sigfd = -1 };
	const struct rules_global *g;
	struct offload_stats os;
	size_t qnum, i;
	uint32_t ino;
	bool kmod, ahead;
	int ret;

	if (load_rules(o->config, &d.rs) < 0)
		return 1;
	g = rules_global(d.rs);
	qnum = o->queue >= 0 ? (size_t)o->queue : g->queue;
	if (check_redirects(d.rs, qnum) < 0) {
		rules_free(d.rs);
		return 1;
	}
	if (hits_reset(&d, d.rs) < 0)
		fatal("calloc");
	d.parked = calloc(PARK_MAX, sizeof(*d.parked));
	if (!d.parked)
		fatal("calloc");
	d.sigfd = sys_signals(0);
	if (d.sigfd < 0)
		fatal("signalfd");
	/* The proc connector only speaks in the initial network namespace:
	 * open the sensor before joining another one. */
	if ((ret = owners_open(&d.owners)) < 0)
		fatalx("owners: %s", strerror(-ret));
	if (o->conn_grace >= 0)
		owners_set_grace(d.owners, (uint64_t)o->conn_grace * NSEC);
	ret = sensor_open(o->sensor, rules_need_sha256(d.rs), d.owners,
			  &d.sensor);
	if (ret < 0)
		fatalx("sensor: %s", strerror(-ret));
	if (o->netns && (ret = sys_join_netns(o->netns)) < 0)
		fatalx("netns %s: %s", o->netns, strerror(-ret));
	if ((ret = sys_netns_ino(&ino)) < 0)
		fatalx("/proc/self/ns/net: %s", strerror(-ret));
	if ((ret = diag_open(&d.diag)) < 0 ||
	    (ret = owners_flows_open(d.owners, ino, diag_ask, d.diag)) < 0)
		fatalx("sock_diag: %s", strerror(-ret));
	/* hone.ko tells every socket freed itself. */
	kmod = sensor_kind(d.sensor) == SENSOR_KMOD;
	if ((ret = offloads_open(!kmod, ~HONE_MARK_USER, &d.off)) < 0)
		fatalx("sock_diag destroy groups, ctnetlink: %s",
		       strerror(-ret));
	if (kmod)
		owners_on_close(d.owners, socket_freed, &d);
	if ((ret = nft_open(&d.nft)) < 0)
		fatalx("nftables: %s", strerror(-ret));
	/* Bind the queues before the table sends packets to them. */
	for (i = 0; i < RULES_QUEUES; i++)
		if ((ret = queue_open(qnum + i, o->dry_run, &d.q[i])) < 0)
			fatalx("queue %zu: %s%s", qnum + i, strerror(-ret),
			       ret == -EBUSY || ret == -EPERM ?
			       " (another honefw is running?)" : "");
	if ((ret = vlog_open(o->log, o->log_all, &d.log)) < 0)
		fatalx("verdict log %s: %s", o->log, strerror(-ret));
	names_start(&d);
	/* In the namespace judged: its conntrack counts the connections. */
	if ((ret = export_apply(&d, d.rs)) < 0)
		fatalx("ipfix: %s", strerror(-ret));
	/* After the queue: a second honefw has been turned away by then. */
	if ((ret = ctl_open(o->socket, &d.ctl)) < 0)
		fatalx("control socket %s: %s", o->socket, ret == -EADDRINUSE ?
		       "another honefw answers there (--socket)" :
		       ret == -EEXIST ? "something else is there" :
		       strerror(-ret));
	forget_verdicts(&d, true);
	if ((ret = install(&d)) < 0)
		fatalx("nftables: installing table inet hone: %s",
		       strerror(-ret));
	/* Only connection-wide verdicts are given ahead (nft_conf.offload),
	 * and in a dry run none: the processes' are given as they become
	 * known, from the first drain of the sensor on. */
	ahead = kmod && !o->dry_run && !offloads_error(d.off);
	if (ahead_open(ahead, d.sensor, d.owners, d.off, &d.ahead) < 0)
		fatal("calloc");
	owners_on_change(d.owners, proc_changed, &d);
	if (ahead)
		sensor_on_prejudged(d.sensor, passed_ahead, &d);
	ret = priv_split(&(struct priv_conf){
		.user = o->user, .config = o->config, .log = o->log,
		.metrics = o->metrics, .socket = o->socket, .report = report,
	});
	if (ret < 0)
		fatalx("privilege separation: user %s: %s%s", o->user,
		       ret == -ESRCH ? "no such user" : strerror(-ret),
		       ret == -ESRCH ? " (useradd --system --no-create-home "
		       "--shell /usr/sbin/nologin " PRIV_USER ", or --user)" :
		       "");
	if ((ret = log_async()) < 0)
		fatalx("log writer: %s", strerror(-ret));
	if ((ret = sensor_names_async(d.sensor)) < 0)
		fatalx("users' names: %s", strerror(-ret));
	log_info("running: %zu rules, queues %u-%u (%s), failmode %s, sensor "
		 "%s%s%s", rules_count(d.rs), queue_num(d.q[0]),
		 queue_num(d.q[RULES_QUEUES - 1]), nft_native_queue(d.nft) ?
		 "nft queue" : "xt NFQUEUE", g->failmode == RULES_FAIL_OPEN ?
		 "open" : "closed", sensor_kind(d.sensor) == SENSOR_KMOD ?
		 "kmod" : "netlink", ahead ? ", verdicts given ahead" : "",
		 o->dry_run ? ", dry run" : "");
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
	metrics(&d);
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
	for (i = 0; i < RULES_QUEUES; i++)
		queue_read(d.q[i], drain, judge, &d);
	vlog_flush(d.log);
	log_info("judged %" PRIu64 " packets, %" PRIu64 " of them with no "
		 "known process; %" PRIu64 " unparsable; %" PRIu64 " action "
		 "errors", d.judged, d.unknown, d.unparsable, d.errors);
	offloads_stats(d.off, &os);
	log_info("offloaded flows: %" PRIu64 " ended with their socket, %"
		 PRIu64 " still open, %" PRIu64 " taken back (their process "
		 "changed), %" PRIu64 " taken back (to make room), %" PRIu64
		 " errors", os.ended, os.flows, os.changed, os.given_up,
		 os.errors);
	shut(&d);
	return ret < 0;
}
