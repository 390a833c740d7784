// SPDX-License-Identifier: GPL-2.0
/*
 * The hone.ko sensor: /dev/hone's PCAP-NG stream into the tables. The
 * module tells every fork, exec and exit, who created or accepted each
 * socket, and each socket's new 5-tuples (flow events), all before the
 * packets they concern; a reader's first read snapshots what already
 * runs. The same code reads any Hone capture (sensor_open_fd), so it is
 * tested without the module.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <hone/hone.h>

#include "log.h"
#include "pcapng.h"
#include "sensor_priv.h"

/* What a process block says. */
struct kproc {
	uint32_t pid, event;
	uint64_t start;			/* 0: not given */
	const char *path;		/* NULL: not given */
	const char *argv;		/* NUL-separated */
	size_t argvlen;
	bool has_ppid, has_ids, has_dev, has_ino;
	bool foreign;			/* honefw's log: the path is a claim */
	uint32_t ppid, uid, gid;
	uint64_t ppid_start;		/* 0: not given */
	struct exe_file file;
	const char *script;		/* NULL: not given, or none */
	bool has_script_dev, has_script_ino;
	struct exe_file script_file;
	const char *cgroup;		/* NULL: not given */
	uint64_t cgroup_id;
};

/* What runs, if the block said: without it the path is only a claim. */
static const struct exe_file *kproc_file(const struct kproc *kp)
{
	return kp->has_dev && kp->has_ino && !kp->foreign ? &kp->file : NULL;
}

/* What a connection block says. */
struct kconn {
	uint64_t cookie;
	uint32_t pid, event, uid, netns;
	uint64_t inode;
	struct rules_pkt addrs;	/* family, proto, ends: a flow's 5-tuple */
	unsigned ends;		/* 1: local given, 2: remote given */
	bool listen;		/* a flow event of a listener */
};

struct kmod {
	struct pcapng_reader r;
	bool lost_sync;		/* an error was said: quiet until a section */
	uint64_t dropped;	/* process and connection events, at the last resync */
	uint64_t resync_at;	/* not before then (sensor_now()) */
	uint8_t chunk[64 * 1024];	/* one read(2) */
	char path[PATH_MAX + 1];
	char script[PATH_MAX + 1];
	char cgroup[PATH_MAX + 1];
	/* Processes whose parent was not known yet (the snapshot is in no
	 * particular order): linked at the end of a drain. Held, for a few
	 * drains with events at most (a parent lost with its events never
	 * comes). */
	struct orphan {
		struct pent *e;
		unsigned drains;
	} *orphans;
	size_t norphans, cap;
};

static struct kmod *km_of(const struct sensor *s)
{
	return s->priv;
}

/* The live process with this pid, if it is the one that started then. */
static struct pent *current(struct sensor *s, uint32_t pid, uint64_t start)
{
	struct pent *e = proctab_find(s->procs, pid);

	if (!e || e->p.exited || (start && e->p.start && e->p.start != start))
		return NULL;
	return e;
}

static void add_orphan(struct sensor *s, struct pent *e)
{
	struct kmod *k = km_of(s);
	struct orphan *v;

	if (k->norphans == k->cap) {
		v = realloc(k->orphans, (k->cap ? k->cap * 2 : 64) * sizeof(*v));
		if (!v)
			return;		/* it only misses its parent */
		k->orphans = v;
		k->cap = k->cap ? k->cap * 2 : 64;
	}
	proctab_get(e);
	k->orphans[k->norphans++] = (struct orphan){ e, 0 };
}

#define ORPHAN_DRAINS	8

void sensor_settle(struct sensor *s)
{
	struct kmod *k = km_of(s);
	struct pent *e, *parent;
	size_t i, kept = 0;

	for (i = 0; i < k->norphans; i++) {
		e = k->orphans[i].e;
		parent = current(s, e->p.view.ppid, 0);
		if (parent && !e->p.exited)
			proctab_adopt(e, parent);
		if (parent || e->p.exited ||
		    ++k->orphans[i].drains >= ORPHAN_DRAINS)
			proctab_put(s->procs, e);
		else
			k->orphans[kept++] = k->orphans[i];
	}
	k->norphans = kept;
}

static struct pent *new_proc(struct sensor *s, const struct kproc *kp)
{
	struct pent *parent = NULL, *e;

	if (kp->has_ppid)
		parent = current(s, kp->ppid, kp->ppid_start);
	e = proctab_new(s->procs, kp->pid, kp->start, parent);
	if (!e)
		return NULL;
	if (kp->has_ppid && kp->ppid && !parent) {
		e->p.view.ppid = kp->ppid;
		add_orphan(s, e);
	}
	return e;
}

/* What the block says beyond exe: on an exec, its script (none if not
 * said); whenever said, the cgroup. */
static int kproc_who(struct sensor *s, const struct kproc *kp, struct pent *e)
{
	const struct exe_file *sf = kp->has_script_dev && kp->has_script_ino ?
				    &kp->script_file : NULL;
	int ret = 0;

	if (kp->event == HONE_PROC_EXEC && kp->script)
		ret = proctab_script(s->procs, e, kp->script, sf);
	if (!ret && kp->cgroup)
		ret = proctab_cgroup(e, kp->cgroup, kp->cgroup_id);
	return ret;
}

static void on_proc(struct sensor *s, const struct kproc *kp)
{
	struct pent *e = current(s, kp->pid, kp->start);

	s->st.events++;
	switch (kp->event) {
	case HONE_PROC_FORK:
		/* A fork of a known pid and start is the snapshot again. */
		if (e && kp->start && e->p.start == kp->start)
			break;
		e = new_proc(s, kp);
		/* Without its parent, the block tells what it runs. */
		if (e && !e->p.view.parent && kp->path &&
		    proctab_exec(s->procs, e, kp->path, kproc_file(kp),
				 kp->argv, kp->argvlen))
			e = NULL;
		break;
	case HONE_PROC_EXEC:
	case HONE_PROC_KTHREAD:
		if (!e)
			e = new_proc(s, kp);
		if (e && proctab_exec(s->procs, e, kp->path, kproc_file(kp),
				      kp->argv, kp->argvlen))
			e = NULL;
		if (e && kp->path)
			sensor_hash_exe(s, e);
		break;
	case HONE_PROC_EXIT:
		if (!e)
			return;
		proctab_exit(s->procs, e);
		return;
	default:
		return;
	}
	if (!e || kproc_who(s, kp, e)) {
		s->st.lost++;
		return;
	}
	if (kp->has_ids)
		proctab_set_ids(s->procs, e, kp->uid, kp->gid);
}

/* The flow's socket, whose owner a packet of it names (before accept(),
 * its listener's): told whether or not its process is known. A listener,
 * or a connection not accepted yet (no inode), stands in for the socket
 * to come. */
static void on_flow(struct sensor *s, const struct kconn *kc)
{
	struct pent *owner = current(s, kc->pid, 0);
	struct conn *c = owner ? conntab_set(s->conns, kc->cookie, owner,
					     kc->uid, kc->inode) : NULL;
	struct conn none = {
		.cookie = kc->cookie, .uid = kc->uid, .inode = kc->inode,
	};

	/* The same addresses mean other sockets in other namespaces. */
	if (kc->ends == 3 && s->on_flow && kc->netns == s->flow_netns)
		s->on_flow(s->flow_ctx, &kc->addrs, c ? c : &none,
			   kc->listen || !kc->inode);
}

static void on_conn(struct sensor *s, const struct kconn *kc)
{
	struct pent *owner;

	s->st.events++;
	switch (kc->event) {
	case HONE_CONN_OPEN:
	case HONE_CONN_ACCEPT:
		owner = current(s, kc->pid, 0);
		/* No owner: a kernel socket, or its process is unknown. */
		if (owner && !conntab_set(s->conns, kc->cookie, owner, kc->uid,
					  kc->inode))
			s->st.lost++;
		break;
	case HONE_CONN_FLOW:
		on_flow(s, kc);
		break;
	case HONE_CONN_CLOSE:
		conntab_close(s->conns, kc->cookie, sensor_now());
		break;
	}
}

/* ---- the stream --------------------------------------------------------
 *
 * Blocks as hone.h draws them, framed and checked by pcapng.c. Packets
 * (in a saved capture), unknown blocks and options are skipped.
 */

/* A string option, NUL-terminated in buf; NULL if too long or empty. */
static const char *opt_str(const struct pcapng_opt *o, char *buf, size_t size)
{
	if (!o->len || o->len >= size || memchr(o->val, '\0', o->len))
		return NULL;
	memcpy(buf, o->val, o->len);
	buf[o->len] = '\0';
	return buf;
}

static void process_block(struct sensor *s, const struct pcapng_block *b)
{
	struct kmod *k = km_of(s);
	struct kproc kp = { .pid = pcapng_u32(b, 0), .event = HONE_PROC_EXEC };
	struct pcapng_opt o;
	size_t cur = 0, plen = 0;

	while (pcapng_opt_next(b, &cur, &o)) {
		switch (o.code) {
		case HONE_PROC_EVENT:
			kp.event = pcapng_opt_u32(b, &o);
			break;
		case HONE_PROC_PATH:
			/* Repeated pieces are one path (the 2013 spec). */
			if (o.len > sizeof(k->path) - 1 - plen)
				break;
			memcpy(k->path + plen, o.val, o.len);
			plen += o.len;
			k->path[plen] = '\0';
			kp.path = k->path;
			break;
		case HONE_PROC_ARGV:
			kp.argv = (const char *)o.val;
			kp.argvlen = o.len;
			break;
		case HONE_PROC_PPID:
			kp.ppid = pcapng_opt_u32(b, &o);
			kp.has_ppid = true;
			break;
		case HONE_PROC_UID:
			kp.uid = pcapng_opt_u32(b, &o);
			kp.has_ids = true;
			break;
		case HONE_PROC_GID:
			kp.gid = pcapng_opt_u32(b, &o);
			break;
		case HONE_PROC_START:
			kp.start = pcapng_opt_u64(b, &o);
			break;
		case HONE_PROC_PPID_START:
			kp.ppid_start = pcapng_opt_u64(b, &o);
			break;
		case HONE_PROC_EXE_DEV:
			kp.file.dev = pcapng_opt_u64(b, &o);
			kp.has_dev = true;
			break;
		case HONE_PROC_EXE_INO:
			kp.file.ino = pcapng_opt_u64(b, &o);
			kp.has_ino = true;
			break;
		case HONE_PROC_FOREIGN:
			kp.foreign = pcapng_opt_u32(b, &o);
			break;
		case HONE_PROC_SCRIPT:
			kp.script = opt_str(&o, k->script, sizeof(k->script));
			break;
		case HONE_PROC_SCRIPT_DEV:
			kp.script_file.dev = pcapng_opt_u64(b, &o);
			kp.has_script_dev = true;
			break;
		case HONE_PROC_SCRIPT_INO:
			kp.script_file.ino = pcapng_opt_u64(b, &o);
			kp.has_script_ino = true;
			break;
		case HONE_PROC_CGROUP_ID:
			kp.cgroup_id = pcapng_opt_u64(b, &o);
			break;
		case HONE_PROC_CGROUP:
			kp.cgroup = opt_str(&o, k->cgroup, sizeof(k->cgroup));
			break;
		}
	}
	on_proc(s, &kp);
}

/* An address option: u16 port, u16 0, 4 or 16 address bytes. */
static void opt_end(const struct pcapng_block *b, const struct pcapng_opt *o,
		    uint8_t *addr, uint16_t *port, unsigned end, struct kconn *kc)
{
	uint16_t v;

	if (o->len != 8 && o->len != 20)
		return;
	memcpy(&v, o->val, 2);
	*port = b->swap ? __builtin_bswap16(v) : v;
	memcpy(addr, o->val + 4, o->len - 4);
	kc->ends |= end;
}

static void connection_block(struct sensor *s, const struct pcapng_block *b)
{
	struct kconn kc = {
		.cookie = pcapng_u32(b, 0),	/* the 2013 32-bit id, unless... */
		.pid = pcapng_u32(b, 4),
		.event = HONE_CONN_OPEN,
	};
	struct pcapng_opt o;
	size_t cur = 0;

	while (pcapng_opt_next(b, &cur, &o)) {
		switch (o.code) {
		case HONE_CONN_EVENT:
			kc.event = pcapng_opt_u32(b, &o);
			break;
		case HONE_CONN_COOKIE:
			kc.cookie = pcapng_opt_u64(b, &o);	/* ...the whole cookie */
			break;
		case HONE_CONN_UID:
			kc.uid = pcapng_opt_u32(b, &o);
			break;
		case HONE_CONN_INODE:
			kc.inode = pcapng_opt_u64(b, &o);
			break;
		case HONE_CONN_NETNS:
			kc.netns = pcapng_opt_u32(b, &o);
			break;
		case HONE_CONN_LISTEN:
			kc.listen = pcapng_opt_u32(b, &o);
			break;
		case HONE_CONN_FAMILY:
			kc.addrs.family = pcapng_opt_u32(b, &o);
			break;
		case HONE_CONN_PROTO:
			kc.addrs.proto = pcapng_opt_u32(b, &o);
			break;
		case HONE_CONN_LOCAL:
			opt_end(b, &o, kc.addrs.local, &kc.addrs.lport, 1, &kc);
			break;
		case HONE_CONN_REMOTE:
			opt_end(b, &o, kc.addrs.remote, &kc.addrs.rport, 2, &kc);
			break;
		}
	}
	on_conn(s, &kc);
}

/* The module's counters of lost events, as the statistics block says. */
static void statistics_block(struct sensor *s, const struct pcapng_block *b)
{
	struct pcapng_opt o;
	uint64_t lost = 0;
	size_t cur = 0;

	while (pcapng_opt_next(b, &cur, &o)) {
		switch (o.code) {
		case HONE_ISB_PROC_DROP:
		case HONE_ISB_PROC_RDROP:
		case HONE_ISB_CONN_DROP:
		case HONE_ISB_CONN_RDROP:
			lost += pcapng_opt_u64(b, &o);
			break;
		}
	}
	s->st.lost = lost;
}

void sensor_feed(struct sensor *s, const struct pcapng_block *b)
{
	switch (b->type) {
	case HONE_BT_SHB:
		km_of(s)->lost_sync = false;
		break;
	case HONE_BT_PROCESS:
		process_block(s, b);
		break;
	case HONE_BT_CONNECTION:
		connection_block(s, b);
		break;
	case HONE_BT_ISB:
		statistics_block(s, b);
		break;
	}
}

/* Not Hone's PCAP-NG: say where, once, and skip to the next section (the
 * module starts one after HEIO_RESTART); until then, every stretch that
 * is skipped only counts as lost. */
static int stream_error(struct sensor *s, int err)
{
	struct kmod *k = km_of(s);

	s->st.lost++;
	if (k->lost_sync)
		err = 0;
	else
		log_warnx("hone.ko sensor: %s; skipping to the next section",
			  pcapng_error(&k->r));
	k->lost_sync = true;
	pcapng_resync(&k->r);
	return err;
}

/* The whole blocks of the n bytes read; a partial one waits for the next
 * read, unless n is 0: the end of a section or of the file, which must
 * not cut a block. */
static int parse(struct sensor *s, const uint8_t *p, size_t n)
{
	struct kmod *k = km_of(s);
	int err = n ? -EAGAIN : pcapng_finish(&k->r);
	struct pcapng_block b;
	size_t fed;

	while (err == -EAGAIN && n) {
		/* The reader may take part of p; once pcapng_next() has
		 * taken the whole blocks, the largest one fits. */
		fed = pcapng_feed(&k->r, p, n);
		p += fed;
		n -= fed;
		while (!(err = pcapng_next(&k->r, &b)))
			sensor_feed(s, &b);
	}
	if (!err || err == -EAGAIN)
		return 0;
	return stream_error(s, err);
}

/* Process and connection events the ring had no room for leave the
 * tables behind: the next section's snapshot brings them up to date. At
 * most once a second, so a flood of events does not meet a flood of
 * snapshots; what is dropped meanwhile waits for the next one. */
#define RESYNC_GAP	1000000000ULL

static void resync(struct sensor *s, uint64_t dropped)
{
	struct kmod *k = km_of(s);
	uint64_t now = sensor_now();

	if (dropped == k->dropped || now < k->resync_at)
		return;
	log_warnx("hone.ko sensor: %" PRIu64 " process and connection events "
		  "lost (ring full); resynchronising from a snapshot",
		  dropped - k->dropped);
	if (ioctl(s->fd, HEIO_RESTART) < 0)
		log_warn("hone.ko sensor: HEIO_RESTART");
	k->dropped = dropped;
	k->resync_at = now + RESYNC_GAP;
}

/* What one drain reads at most: a flood of events cannot keep the verdict
 * path waiting (the rest is read at the next drain). */
#define DRAIN_MAX	(4U << 20)

static int kmod_drain(struct sensor *s)
{
	struct kmod *k = km_of(s);
	uint64_t before = s->st.events;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	struct hone_stats hs;
	size_t got;
	ssize_t n;
	int err, ret = 0;

	for (got = 0; got < DRAIN_MAX; got += n) {
		/* Never wait, even on a device that would block a read. */
		if (poll(&pfd, 1, 0) != 1)
			break;
		n = read(s->fd, k->chunk, DRAIN_MAX - got < sizeof(k->chunk) ?
			 DRAIN_MAX - got : sizeof(k->chunk));
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			ret = -errno;
		if (n < 0)
			break;
		err = parse(s, k->chunk, n);
		if (err)
			ret = err;
		if (!n)
			break;
	}
	if (s->st.events != before)
		sensor_settle(s);
	if (!ioctl(s->fd, HEIO_GET_STATS, &hs)) {
		s->st.lost = hs.proc_lost + hs.proc_dropped + hs.conn_lost +
			     hs.conn_dropped;
		resync(s, hs.proc_dropped + hs.conn_dropped);
	}
	return ret ? ret : (int)(s->st.events - before);
}

static int kmod_open(struct sensor *s)
{
	struct kmod *k;
	int ret;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	ret = pcapng_init(&k->r, 0);
	if (ret)
		goto err_free;
	if (s->fd < 0 && !s->offline) {
		s->fd = open("/dev/hone", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (s->fd < 0) {
			ret = -errno;
			goto err_reader;
		}
		/* Events alone: no packet shares the ring with them, and
		 * each socket's flows are told before their packets. */
		if (ioctl(s->fd, HEIO_SET_RECORDS, HONE_RECORDS_PROC |
			  HONE_RECORDS_CONN | HONE_RECORDS_FLOW) < 0) {
			ret = -errno;
			log_warn("hone.ko sensor: HEIO_SET_RECORDS (a module "
				 "older than this honefw?)");
			goto err_fd;
		}
	}
	s->priv = k;
	return 0;

err_fd:
	close(s->fd);
	s->fd = -1;
err_reader:
	pcapng_free(&k->r);
err_free:
	free(k);
	return ret;
}

static void kmod_close(struct sensor *s)
{
	struct kmod *k = km_of(s);

	/* The tables, freed first, took the orphans with them. */
	free(k->orphans);
	pcapng_free(&k->r);
	free(k);
	if (s->fd >= 0)
		close(s->fd);
}

const struct sensor_ops sensor_kmod_ops = {
	.open = kmod_open,
	.close = kmod_close,
	.drain = kmod_drain,
};
