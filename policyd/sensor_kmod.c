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
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <hone/hone.h>

#include "log.h"
#include "pcapng.h"
#include "sensor_priv.h"

struct kmod {
	struct pcapng_reader r;
	bool lost_sync;		/* an error was said: quiet until a section */
	bool gave;		/* a verdict given ahead since the last read */
	uint64_t dropped;	/* process and connection events, at the last resync */
	uint64_t told;		/* ... as the last statistics block said */
	uint64_t resync_at;	/* not before then (sensor_now()) */
	uint8_t chunk[64 * 1024];	/* one read(2) */
	char path[PATH_MAX + 1];
	char script[PATH_MAX + 1];
	char cgroup[PATH_MAX + 1];
};

static struct kmod *km_of(const struct sensor *s)
{
	return s->priv;
}

/* ---- the stream --------------------------------------------------------
 *
 * Blocks as hone.h draws them, framed and checked by pcapng.c. Packets
 * but those passed by a verdict given ahead (in a saved capture), unknown
 * blocks and options are skipped.
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

/* What a process block says of the files that run, beyond its event. */
struct kfiles {
	struct exe_file exe, script;
	bool exe_dev, exe_ino, script_dev, script_ino;
	bool foreign;		/* honefw's log: the path is a claim */
};

/* The block's event, typed; false for one of no known kind. */
static bool proc_kind(uint32_t event, enum ev_proc_kind *kind)
{
	switch (event) {
	case HONE_PROC_FORK:
		*kind = EV_FORK;
		return true;
	case HONE_PROC_EXEC:
	case HONE_PROC_KTHREAD:
		*kind = EV_EXEC;
		return true;
	case HONE_PROC_EXIT:
		*kind = EV_EXIT;
		return true;
	}
	return false;
}

/* Whether the event says what runs: an exec, or a fork whose parent is
 * not known (the owners copy a known parent's image). */
static bool tells_image(const struct sensor *s, const struct ev_proc *ev)
{
	if (!ev->path)
		return false;
	return ev->kind == EV_EXEC || (ev->kind == EV_FORK && !(ev->has_ppid &&
	       owners_knows(s->owners, ev->ppid, ev->ppid_start)));
}

static void process_block(struct sensor *s, const struct pcapng_block *b)
{
	struct kmod *k = km_of(s);
	struct ev_proc ev = { .pid = pcapng_u32(b, 0) };
	struct ev_digest dg;
	uint32_t event = HONE_PROC_EXEC;
	struct kfiles f = { 0 };
	struct pcapng_opt o;
	size_t cur = 0, plen = 0;

	while (pcapng_opt_next(b, &cur, &o)) {
		switch (o.code) {
		case HONE_PROC_EVENT:
			event = pcapng_opt_u32(b, &o);
			break;
		case HONE_PROC_PATH:
			/* Repeated pieces are one path (the 2013 spec). */
			if (o.len > sizeof(k->path) - 1 - plen)
				break;
			memcpy(k->path + plen, o.val, o.len);
			plen += o.len;
			k->path[plen] = '\0';
			ev.path = k->path;
			break;
		case HONE_PROC_ARGV:
			ev.argv = (const char *)o.val;
			ev.argvlen = o.len;
			break;
		case HONE_PROC_PPID:
			ev.ppid = pcapng_opt_u32(b, &o);
			ev.has_ppid = true;
			break;
		case HONE_PROC_UID:
			/* The gid comes with it (0 if not said). */
			ev.uid = pcapng_opt_u32(b, &o);
			ev.has_uid = ev.has_gid = true;
			break;
		case HONE_PROC_GID:
			ev.gid = pcapng_opt_u32(b, &o);
			break;
		case HONE_PROC_START:
			ev.start = pcapng_opt_u64(b, &o);
			break;
		case HONE_PROC_PPID_START:
			ev.ppid_start = pcapng_opt_u64(b, &o);
			break;
		case HONE_PROC_EXE_DEV:
			f.exe.dev = pcapng_opt_u64(b, &o);
			f.exe_dev = true;
			break;
		case HONE_PROC_EXE_INO:
			f.exe.ino = pcapng_opt_u64(b, &o);
			f.exe_ino = true;
			break;
		case HONE_PROC_FOREIGN:
			f.foreign = pcapng_opt_u32(b, &o);
			break;
		case HONE_PROC_SCRIPT:
			ev.script = opt_str(&o, k->script, sizeof(k->script));
			break;
		case HONE_PROC_SCRIPT_DEV:
			f.script.dev = pcapng_opt_u64(b, &o);
			f.script_dev = true;
			break;
		case HONE_PROC_SCRIPT_INO:
			f.script.ino = pcapng_opt_u64(b, &o);
			f.script_ino = true;
			break;
		case HONE_PROC_CGROUP_ID:
			ev.cgroup_id = pcapng_opt_u64(b, &o);
			break;
		case HONE_PROC_CGROUP:
			ev.cgroup = opt_str(&o, k->cgroup, sizeof(k->cgroup));
			break;
		case HONE_PROC_IMAGE:
			ev.image = pcapng_opt_u64(b, &o);
			break;
		}
	}
	s->st.events++;
	if (!proc_kind(event, &ev.kind))
		return;
	/* Without the file, what the path names is only a claim. */
	ev.file = f.exe_dev && f.exe_ino && !f.foreign ? &f.exe : NULL;
	ev.foreign = ev.path && !sensor_claim(s, ev.path, ev.file);
	ev.script_file = f.script_dev && f.script_ino ? &f.script : NULL;
	if (event != HONE_PROC_EXEC)
		ev.script = NULL;
	ev.script_foreign = ev.script &&
			    !sensor_claim(s, ev.script, ev.script_file);
	if (ev.has_uid)
		ev.user = sensor_user(s, ev.uid);
	if (tells_image(s, &ev) && sensor_hash_exe(s, ev.pid, &dg))
		ev.digest = &dg;
	sensor_tell_proc(s, &ev);
}

/* An address option: u16 port, u16 0, 4 or 16 address bytes; true if it
 * is one. */
static bool opt_end(const struct pcapng_block *b, const struct pcapng_opt *o,
		    uint8_t *addr, uint16_t *port)
{
	uint16_t v;

	if (o->len != 8 && o->len != 20)
		return false;
	memcpy(&v, o->val, 2);
	*port = b->swap ? __builtin_bswap16(v) : v;
	memcpy(addr, o->val + 4, o->len - 4);
	return true;
}

/* The block's event, typed; false for one of no known kind. */
static bool sock_kind(uint32_t event, enum ev_sock_kind *kind)
{
	switch (event) {
	case HONE_CONN_OPEN:
	case HONE_CONN_ACCEPT:
		*kind = EV_SOCK_OPEN;
		return true;
	case HONE_CONN_FLOW:
		*kind = EV_SOCK_FLOW;
		return true;
	case HONE_CONN_CLOSE:
		*kind = EV_SOCK_CLOSE;
		return true;
	}
	return false;
}

static void connection_block(struct sensor *s, const struct pcapng_block *b)
{
	struct ev_sock ev = {
		.cookie = pcapng_u32(b, 0),	/* the 2013 32-bit id, unless... */
		.pid = pcapng_u32(b, 4),
	};
	uint32_t event = HONE_CONN_OPEN;
	bool local = false, remote = false;
	struct pcapng_opt o;
	size_t cur = 0;

	while (pcapng_opt_next(b, &cur, &o)) {
		switch (o.code) {
		case HONE_CONN_EVENT:
			event = pcapng_opt_u32(b, &o);
			break;
		case HONE_CONN_COOKIE:
			ev.cookie = pcapng_opt_u64(b, &o);	/* ...the whole cookie */
			break;
		case HONE_CONN_UID:
			ev.uid = pcapng_opt_u32(b, &o);
			break;
		case HONE_CONN_INODE:
			ev.inode = pcapng_opt_u64(b, &o);
			break;
		case HONE_CONN_NETNS:
			ev.netns = pcapng_opt_u32(b, &o);
			break;
		case HONE_CONN_LISTEN:
			ev.listen = pcapng_opt_u32(b, &o);
			break;
		case HONE_CONN_FAMILY:
			ev.addrs.family = pcapng_opt_u32(b, &o);
			break;
		case HONE_CONN_PROTO:
			ev.addrs.proto = pcapng_opt_u32(b, &o);
			break;
		case HONE_CONN_LOCAL:
			local |= opt_end(b, &o, ev.addrs.local, &ev.addrs.lport);
			break;
		case HONE_CONN_REMOTE:
			remote |= opt_end(b, &o, ev.addrs.remote,
					  &ev.addrs.rport);
			break;
		}
	}
	s->st.events++;
	if (!sock_kind(event, &ev.kind))
		return;
	ev.whole = local && remote;
	sensor_tell_sock(s, &ev);
}

/* The module's counters of lost events, as the statistics block says:
 * one comes in the stream whenever they grow. */
static void statistics_block(struct sensor *s, const struct pcapng_block *b)
{
	struct pcapng_opt o;
	uint64_t lost = 0, dropped = 0;
	size_t cur = 0;

	while (pcapng_opt_next(b, &cur, &o)) {
		switch (o.code) {
		case HONE_ISB_PROC_RDROP:
		case HONE_ISB_CONN_RDROP:
			dropped += pcapng_opt_u64(b, &o);
			/* fallthrough */
		case HONE_ISB_PROC_DROP:
		case HONE_ISB_CONN_DROP:
			lost += pcapng_opt_u64(b, &o);
			break;
		}
	}
	s->st.lost = lost;
	km_of(s)->told = dropped;
}

/* hone.ko hands the reader that gives verdicts ahead the packets they
 * let pass, whatever records it asked for: told to the daemon. Other
 * packets (in a saved capture) are skipped. */
static void packet_block(struct sensor *s, const struct pcapng_block *b)
{
	struct pcapng_epb e;

	if (!s->prejudged || !b->known)
		return;
	pcapng_epb(b, &e);
	if (!e.prejudged || (e.flags & 3) != HONE_EPB_FLAG_OUTBOUND)
		return;
	s->prejudged(s->prejudged_ctx, &(struct sensor_prejudged){
		.data = e.data, .len = e.caplen, .wire_len = e.len,
		.cookie = e.cookie, .ctmark = e.prejudged,
	});
}

void sensor_feed(struct sensor *s, const struct pcapng_block *b)
{
	switch (b->type) {
	case HONE_BT_EPB:
		packet_block(s, b);
		break;
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
	size_t got, want;
	ssize_t n;
	int err, ret = 0;

	/* The fd never blocks (sensor_open_fd()), and a short read means
	 * the module had no more: one read(2) a drain when little comes. */
	for (got = 0; got < DRAIN_MAX; got += n) {
		want = DRAIN_MAX - got < sizeof(k->chunk) ?
		       DRAIN_MAX - got : sizeof(k->chunk);
		n = read(s->fd, k->chunk, want);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			ret = -errno;
		if (n < 0)
			break;
		k->gave = false;
		err = parse(s, k->chunk, n);
		if (err)
			ret = err;
		/* A verdict given anew (a parent's exec changed a pedigree)
		 * may have let a SYN pass by the old one since the read: its
		 * record waits lazily, read it now, to take that back. */
		if ((size_t)n < want && !k->gave)
			break;
	}
	resync(s, k->told);
	return ret ? ret : (int)(s->st.events - before);
}

int sensor_prejudge(struct sensor *s, const struct proc *p,
		    const struct hone_prejudge_range *r, size_t n)
{
	struct hone_prejudge_ports pj = {
		.pid = p->view.pid, .uid = p->view.uid, .image = p->image,
		.n = n,
	};

	if (s->kind != SENSOR_KMOD || s->offline)
		return -EOPNOTSUPP;
	if (n > HONE_PREJUDGE_RANGES)
		return -EINVAL;
	memcpy(pj.range, r, n * sizeof(*r));
	if (ioctl(s->fd, HEIO_PREJUDGE_PORTS, &pj) < 0)
		return -errno;
	km_of(s)->gave = true;
	return 0;
}

int sensor_prejudge_clear(struct sensor *s)
{
	if (s->kind != SENSOR_KMOD || s->offline)
		return -EOPNOTSUPP;
	return ioctl(s->fd, HEIO_PREJUDGE_CLEAR) < 0 ? -errno : 0;
}

/* The longest a socket's event waits to wake honefw (HEIO_SET_LAZY). */
#define LAZY_US		50000

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
		/* Sockets' events and the SYNs passed ahead wait for the
		 * next process event or queued packet (each batch drains
		 * the sensor first), or LAZY_US: fewer wakeups per
		 * connection. A new image still wakes honefw at once (its
		 * verdict is given), as does the close of a UDP socket (its
		 * verdict ends). */
		if (ioctl(s->fd, HEIO_SET_LAZY, &(struct hone_lazy){
				.lazy = HONE_RECORDS_CONN | HONE_RECORDS_FLOW |
					HONE_RECORDS_PACKET,
				.delay_us = LAZY_US }) < 0) {
			ret = -errno;
			log_warn("hone.ko sensor: HEIO_SET_LAZY (a module "
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
