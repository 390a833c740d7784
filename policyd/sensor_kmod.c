// SPDX-License-Identifier: GPL-2.0
/*
 * The hone.ko sensor: /dev/hone's PCAP-NG stream into the tables. The
 * module tells every fork, exec and exit, and who created or accepted
 * each socket, before the socket's first packet; a reader's first read
 * snapshots what already runs. The same code reads any Hone capture
 * (sensor_open_fd), so it is tested without the module.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <hone/hone.h>

#include "sensor_priv.h"

/* What a process block says. */
struct kproc {
	uint32_t pid, event;
	uint64_t start;			/* 0: not given */
	const char *path;		/* NULL: not given */
	const char *argv;		/* NUL-separated */
	size_t argvlen;
	bool has_ppid, has_ids;
	uint32_t ppid, uid, gid;
	uint64_t ppid_start;		/* 0: not given */
};

/* What a connection block says. */
struct kconn {
	uint64_t cookie;
	uint32_t pid, event, uid;
	uint64_t inode;
};

struct kmod {
	uint8_t buf[2 * HONE_BLOCK_MAX];	/* bytes not parsed yet */
	size_t len;
	bool swap;		/* this section is in the other byte order */
	bool section;		/* a Section Header was read */
	char path[PATH_MAX + 1];
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

static void adopt_orphans(struct sensor *s)
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
		    proctab_exec(s->procs, e, kp->path, kp->argv, kp->argvlen))
			e = NULL;
		break;
	case HONE_PROC_EXEC:
	case HONE_PROC_KTHREAD:
		if (!e)
			e = new_proc(s, kp);
		if (e && proctab_exec(s->procs, e, kp->path, kp->argv,
				      kp->argvlen))
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
	if (!e) {
		s->st.lost++;
		return;
	}
	if (kp->has_ids)
		proctab_set_ids(s->procs, e, kp->uid, kp->gid);
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
	case HONE_CONN_CLOSE:
		conntab_close(s->conns, kc->cookie, sensor_now());
		break;
	}
}

/* ---- the stream --------------------------------------------------------
 *
 * Blocks as hone.h draws them; byte order from each Section Header. What
 * Hone does not need (packets, unknown blocks and options) is skipped.
 */

static uint32_t rd32(const struct kmod *k, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return k->swap ? __builtin_bswap32(v) : v;
}

static uint16_t rd16(const struct kmod *k, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return k->swap ? __builtin_bswap16(v) : v;
}

static uint64_t rd64(const struct kmod *k, const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return k->swap ? __builtin_bswap64(v) : v;
}

struct opt {
	uint16_t code, len;
	const uint8_t *val;
};

/* The next option at *p (< end); false at the end of the list. Bad
 * lengths end the list: the block's fixed part is still used. */
static bool next_opt(const struct kmod *k, const uint8_t **p,
		     const uint8_t *end, struct opt *o)
{
	if (end - *p < 4)
		return false;
	o->code = rd16(k, *p);
	o->len = rd16(k, *p + 2);
	o->val = *p + 4;
	if (o->code == HONE_OPT_ENDOFOPT || o->len > end - o->val)
		return false;
	*p = o->val + ((o->len + 3U) & ~3U);
	if (*p > end)
		*p = end;
	return true;
}

static uint32_t opt32(const struct kmod *k, const struct opt *o)
{
	return o->len >= 4 ? rd32(k, o->val) : 0;
}

static uint64_t opt64(const struct kmod *k, const struct opt *o)
{
	return o->len >= 8 ? rd64(k, o->val) : 0;
}

static void process_block(struct sensor *s, const uint8_t *b, size_t len)
{
	struct kmod *k = km_of(s);
	const uint8_t *p = b + 12, *end = b + len;
	struct kproc kp = { .event = HONE_PROC_EXEC };
	size_t plen = 0;
	struct opt o;

	if (len < 12)
		return;
	kp.pid = rd32(k, b);
	while (next_opt(k, &p, end, &o)) {
		switch (o.code) {
		case HONE_PROC_EVENT:
			kp.event = opt32(k, &o);
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
			kp.ppid = opt32(k, &o);
			kp.has_ppid = true;
			break;
		case HONE_PROC_UID:
			kp.uid = opt32(k, &o);
			kp.has_ids = true;
			break;
		case HONE_PROC_GID:
			kp.gid = opt32(k, &o);
			break;
		case HONE_PROC_START:
			kp.start = opt64(k, &o);
			break;
		case HONE_PROC_PPID_START:
			kp.ppid_start = opt64(k, &o);
			break;
		}
	}
	on_proc(s, &kp);
}

static void connection_block(struct sensor *s, const uint8_t *b, size_t len)
{
	struct kmod *k = km_of(s);
	const uint8_t *p = b + 16, *end = b + len;
	struct kconn kc = { .event = HONE_CONN_OPEN };
	struct opt o;

	if (len < 16)
		return;
	kc.cookie = rd32(k, b);		/* the 2013 32-bit id, unless... */
	kc.pid = rd32(k, b + 4);
	while (next_opt(k, &p, end, &o)) {
		switch (o.code) {
		case HONE_CONN_EVENT:
			kc.event = opt32(k, &o);
			break;
		case HONE_CONN_COOKIE:
			kc.cookie = opt64(k, &o);	/* ...the whole cookie */
			break;
		case HONE_CONN_UID:
			kc.uid = opt32(k, &o);
			break;
		case HONE_CONN_INODE:
			kc.inode = opt64(k, &o);
			break;
		}
	}
	on_conn(s, &kc);
}

/* The module's counters of lost events, as the statistics block says. */
static void statistics_block(struct sensor *s, const uint8_t *b, size_t len)
{
	struct kmod *k = km_of(s);
	const uint8_t *p = b + 12, *end = b + len;
	uint64_t lost = 0;
	struct opt o;

	if (len < 12)
		return;
	while (next_opt(k, &p, end, &o)) {
		switch (o.code) {
		case HONE_ISB_PROC_DROP:
		case HONE_ISB_PROC_RDROP:
		case HONE_ISB_CONN_DROP:
		case HONE_ISB_CONN_RDROP:
			lost += opt64(k, &o);
			break;
		}
	}
	s->st.lost = lost;
}

/* One whole block: type, length, body, length. */
static void dispatch(struct sensor *s, uint32_t type, const uint8_t *body,
		     size_t len)
{
	switch (type) {
	case HONE_BT_PROCESS:
		process_block(s, body, len);
		break;
	case HONE_BT_CONNECTION:
		connection_block(s, body, len);
		break;
	case HONE_BT_ISB:
		statistics_block(s, body, len);
		break;
	}
}

/* Parse the whole blocks in the buffer; keep a partial one. -EBADMSG if
 * the stream is not Hone's PCAP-NG. */
static int parse(struct sensor *s)
{
	struct kmod *k = km_of(s);
	size_t off = 0, total;
	uint32_t type, magic;
	int ret = 0;

	while (k->len - off >= HONE_BLOCK_MIN) {
		const uint8_t *b = k->buf + off;

		memcpy(&type, b, 4);
		if (type == HONE_BT_SHB) {
			if (k->len - off < 12 + 4)
				break;
			memcpy(&magic, b + 8, 4);
			if (magic != HONE_BYTE_ORDER_MAGIC &&
			    magic != __builtin_bswap32(HONE_BYTE_ORDER_MAGIC)) {
				ret = -EBADMSG;
				break;
			}
			k->swap = magic != HONE_BYTE_ORDER_MAGIC;
			k->section = true;
		} else if (!k->section) {
			ret = -EBADMSG;
			break;
		}
		type = rd32(k, b);
		total = rd32(k, b + 4);
		if (total < HONE_BLOCK_MIN || total % 4 || total > HONE_BLOCK_MAX) {
			ret = -EBADMSG;
			break;
		}
		if (k->len - off < total)
			break;
		if (rd32(k, b + total - 4) != total) {
			ret = -EBADMSG;
			break;
		}
		dispatch(s, type, b + 8, total - 12);
		off += total;
	}
	if (ret) {
		/* Resynchronise at the next Section Header: the module
		 * starts one after HEIO_RESTART. */
		k->section = false;
		off = k->len;
	}
	memmove(k->buf, k->buf + off, k->len - off);
	k->len -= off;
	return ret;
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
	int ret = 0;

	for (got = 0; got < DRAIN_MAX; got += n) {
		/* Never wait, even on a device that would block a read. */
		if (poll(&pfd, 1, 0) != 1)
			break;
		n = read(s->fd, k->buf + k->len, sizeof(k->buf) - k->len);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			ret = -errno;
		if (n <= 0)
			break;
		k->len += n;
		if (parse(s))
			s->st.lost++;	/* a stretch of the stream skipped */
	}
	if (s->st.events != before)
		adopt_orphans(s);
	if (!ioctl(s->fd, HEIO_GET_STATS, &hs))
		s->st.lost = hs.proc_lost + hs.proc_dropped + hs.conn_lost +
			     hs.conn_dropped;
	return ret ? ret : (int)(s->st.events - before);
}

static int kmod_open(struct sensor *s)
{
	struct kmod *k;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	if (s->fd < 0) {
		s->fd = open("/dev/hone", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (s->fd < 0) {
			free(k);
			return -errno;
		}
	}
	s->priv = k;
	return 0;
}

static void kmod_close(struct sensor *s)
{
	struct kmod *k = km_of(s);

	/* The tables, freed first, took the orphans with them. */
	free(k->orphans);
	free(k);
	close(s->fd);
}

const struct sensor_ops sensor_kmod_ops = {
	.open = kmod_open,
	.close = kmod_close,
	.drain = kmod_drain,
};
