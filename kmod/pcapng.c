// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/hone: records as PCAP-NG blocks, host byte order, microsecond
 * timestamps, the layouts of include/hone/hone.h.
 */
#include <linux/utsname.h>
#include <linux/string.h>
#include <linux/ktime.h>
#include <linux/socket.h>
#include "sensor.h"

/* A block being built in the reader's output buffer. */
struct blk {
	u8 *buf;
	size_t size, len;
};

static void blk_put(struct blk *b, const void *data, size_t len)
{
	size_t pad = ALIGN(len, 4) - len;

	if (b->len + len + pad > b->size) {
		b->len = b->size + 1;	/* marks overflow */
		return;
	}
	memcpy(b->buf + b->len, data, len);
	memset(b->buf + b->len + len, 0, pad);
	b->len += len + pad;
}

static void blk_u32(struct blk *b, u32 v)
{
	blk_put(b, &v, sizeof(v));
}

/* PCAP-NG time: microseconds, high word first. */
static void ts_split(u64 ns, u32 v[2])
{
	u64 us = div_u64(ns, NSEC_PER_USEC);

	v[0] = us >> 32;
	v[1] = (u32)us;
}

static void blk_ts(struct blk *b, u64 ns)
{
	u32 v[2];

	ts_split(ns, v);
	blk_put(b, v, sizeof(v));
}

static void blk_start(struct blk *b, u8 *buf, size_t size, u32 type)
{
	b->buf = buf;
	b->size = size;
	b->len = 0;
	blk_u32(b, type);
	blk_u32(b, 0);		/* total length, set by blk_end */
}

static void opt_put(struct blk *b, u16 code, const void *data, size_t len)
{
	u16 hdr[2] = { code, len };

	blk_put(b, hdr, sizeof(hdr));
	blk_put(b, data, len);
}

static void opt_u32(struct blk *b, u16 code, u32 v)
{
	opt_put(b, code, &v, sizeof(v));
}

static void opt_u64(struct blk *b, u16 code, u64 v)
{
	opt_put(b, code, &v, sizeof(v));
}

static void opt_str(struct blk *b, u16 code, const char *s)
{
	opt_put(b, code, s, strlen(s));
}

/* Ends the options and the block; returns its length, 0 if it overflowed. */
static size_t blk_end(struct blk *b)
{
	u32 zero = 0, total;

	blk_put(b, &zero, sizeof(zero));	/* opt_endofopt */
	total = b->len + 4;
	blk_u32(b, total);
	if (b->len > b->size)
		return 0;
	memcpy(b->buf + 4, &total, sizeof(total));
	return total;
}

static size_t pcapng_head(struct hone_reader *r, u8 *buf, size_t size)
{
	struct new_utsname *u = utsname();
	static const u8 tsresol = 6;
	struct blk b;
	size_t shb;
	u64 section = -1;
	char os[5 * __NEW_UTS_LEN + 8];

	blk_start(&b, buf, size, HONE_BT_SHB);
	blk_u32(&b, HONE_BYTE_ORDER_MAGIC);
	blk_u32(&b, 1);		/* major 1, minor 0 */
	blk_put(&b, &section, sizeof(section));
	snprintf(os, sizeof(os), "%s %s %s %s %s", u->sysname, u->nodename,
		 u->release, u->version, u->machine);
	opt_str(&b, HONE_SHB_OS, os);
	opt_str(&b, HONE_SHB_USERAPPL, "Hone " HONE_VERSION);
	shb = blk_end(&b);
	if (!shb)
		return 0;

	blk_start(&b, buf + shb, size - shb, HONE_BT_IDB);
	blk_u32(&b, HONE_LINKTYPE_RAW);		/* link type, reserved */
	blk_u32(&b, r->snaplen);
	opt_str(&b, HONE_IF_DESCRIPTION, "Hone Capture Pseudo-device");
	opt_put(&b, HONE_IF_TSRESOL, &tsresol, 1);
	return blk_end(&b) ? shb + b.len : 0;
}

static size_t proc_block(const struct hone_rec_proc *p, struct blk *b)
{
	char kname[sizeof(p->comm) + 2];
	const char *data;

	blk_u32(b, p->pid);
	blk_ts(b, p->h.ts);
	if (p->event != HONE_PROC_EXEC)
		opt_u32(b, HONE_PROC_EVENT, p->event);
	if (p->event == HONE_PROC_KTHREAD) {
		snprintf(kname, sizeof(kname), "[%s]", p->comm);
		opt_str(b, HONE_PROC_PATH, kname);
	} else if (p->path_len) {
		opt_put(b, HONE_PROC_PATH, p->data, p->path_len);
	}
	if (p->argv_len)
		opt_put(b, HONE_PROC_ARGV, p->data + p->path_len, p->argv_len);
	opt_u32(b, HONE_PROC_PPID, p->ppid);
	opt_u32(b, HONE_PROC_UID, p->uid);
	opt_u32(b, HONE_PROC_GID, p->gid);
	opt_u32(b, HONE_PROC_TID, p->tid);
	opt_u64(b, HONE_PROC_START, p->start);
	opt_str(b, HONE_PROC_COMM, p->comm);
	if (p->event == HONE_PROC_EXIT)
		opt_u32(b, HONE_PROC_EXIT_CODE, p->exit_code);
	opt_u32(b, HONE_PROC_RUID, p->ruid);
	opt_u32(b, HONE_PROC_RGID, p->rgid);
	opt_u64(b, HONE_PROC_PPID_START, p->ppid_start);
	opt_u64(b, HONE_PROC_EXE_DEV, p->exe_dev);
	opt_u64(b, HONE_PROC_EXE_INO, p->exe_ino);
	opt_u32(b, HONE_PROC_MNTNS, p->mntns);
	data = p->data + p->path_len + p->argv_len;
	if (p->script_len) {
		opt_put(b, HONE_PROC_SCRIPT, data, p->script_len);
		opt_u64(b, HONE_PROC_SCRIPT_DEV, p->script_dev);
		opt_u64(b, HONE_PROC_SCRIPT_INO, p->script_ino);
	}
	if (p->cgroup_id) {
		opt_u64(b, HONE_PROC_CGROUP_ID, p->cgroup_id);
		opt_put(b, HONE_PROC_CGROUP, data + p->script_len, p->cgroup_len);
	}
	if (p->image)
		opt_u64(b, HONE_PROC_IMAGE, p->image);
	return blk_end(b);
}

static void opt_addr(struct blk *b, u16 code, u32 family, u16 port, const u8 *addr)
{
	u8 v[20] = { 0 };

	memcpy(v, &port, sizeof(port));
	memcpy(v + 4, addr, family == AF_INET ? 4 : 16);
	opt_put(b, code, v, family == AF_INET ? 8 : 20);
}

static size_t conn_block(const struct hone_rec_conn *c, struct blk *b)
{
	blk_u32(b, (u32)c->cookie);
	blk_u32(b, c->pid);
	blk_ts(b, c->h.ts);
	if (c->event != HONE_CONN_OPEN)
		opt_u32(b, HONE_CONN_EVENT, c->event);
	opt_u64(b, HONE_CONN_COOKIE, c->cookie);
	opt_u32(b, HONE_CONN_FAMILY, c->family);
	opt_u32(b, HONE_CONN_TYPE, c->type);
	opt_u32(b, HONE_CONN_PROTO, c->proto);
	opt_addr(b, HONE_CONN_LOCAL, c->family, c->lport, c->laddr);
	opt_addr(b, HONE_CONN_REMOTE, c->family, c->rport, c->raddr);
	opt_u32(b, HONE_CONN_UID, c->uid);
	opt_u32(b, HONE_CONN_TID, c->tid);
	opt_u32(b, HONE_CONN_NETNS, c->netns);
	if (c->inode)
		opt_u64(b, HONE_CONN_INODE, c->inode);
	if (c->listen)
		opt_u32(b, HONE_CONN_LISTEN, 1);
	return blk_end(b);
}

/* "pid=N exe=PATH conn=COOKIE", the path's bytes outside printable ASCII,
 * blanks, quotes and backslashes as \xHH, as honefw writes it: a path is
 * its owner's choice, and must not run into the next field. */
static void opt_comment(struct blk *b, const struct hone_rec_pkt *k)
{
	const u8 *exe = (const u8 *)k->data + k->caplen;
	char s[HONE_PATH_MAX + 64];
	size_t n, i;

	n = scnprintf(s, sizeof(s), "pid=%u exe=", k->pid);
	for (i = 0; i < k->exe_len && n < sizeof(s) - 44; i++) {
		if (exe[i] > 0x20 && exe[i] < 0x7f && exe[i] != '"' &&
		    exe[i] != '\\') {
			s[n++] = exe[i];
			continue;
		}
		s[n++] = '\\';
		s[n++] = 'x';
		s[n++] = hex_asc_hi(exe[i]);
		s[n++] = hex_asc_lo(exe[i]);
	}
	n += scnprintf(s + n, sizeof(s) - n, " conn=%llu", k->cookie);
	opt_put(b, HONE_OPT_COMMENT, s, n);
}

static size_t pkt_block(const struct hone_rec_pkt *k, struct blk *b)
{
	u32 pidtid[2] = { k->pid, k->tid };

	blk_u32(b, 0);			/* interface */
	blk_ts(b, k->h.ts);
	blk_u32(b, k->caplen);
	blk_u32(b, k->len);
	blk_put(b, k->data, k->caplen);
	opt_u32(b, HONE_EPB_FLAGS, k->dir);
	if (k->pid)
		opt_put(b, HONE_EPB_PID_TID, pidtid, sizeof(pidtid));
	if (k->cookie)
		opt_u32(b, HONE_EPB_CONN, (u32)k->cookie);
	if (k->pid)
		opt_u32(b, HONE_EPB_PID, k->pid);
	if (k->cookie) {
		opt_u64(b, HONE_EPB_COOKIE, k->cookie);
		opt_comment(b, k);
	}
	if (k->ctmark)
		opt_u32(b, HONE_EPB_PREJUDGED, k->ctmark);
	return blk_end(b);
}

static size_t pcapng_record(struct hone_reader *r, const struct hone_rec *rec,
			    u8 *buf, size_t size)
{
	struct blk b;

	switch (rec->type) {
	case HONE_REC_PROC:
		blk_start(&b, buf, size, HONE_BT_PROCESS);
		return proc_block((const struct hone_rec_proc *)rec, &b);
	case HONE_REC_CONN:
		blk_start(&b, buf, size, HONE_BT_CONNECTION);
		return conn_block((const struct hone_rec_conn *)rec, &b);
	case HONE_REC_PKT:
		blk_start(&b, buf, size, HONE_BT_EPB);
		return pkt_block((const struct hone_rec_pkt *)rec, &b);
	}
	return 0;
}

static void opt_ts(struct blk *b, u16 code, u64 ns)
{
	u32 v[2];

	ts_split(ns, v);
	opt_put(b, code, v, sizeof(v));
}

static size_t pcapng_stats(struct hone_reader *r, const struct hone_stats *st,
			   u8 *buf, size_t size)
{
	u64 now = ktime_get_real_ns();
	struct blk b;

	blk_start(&b, buf, size, HONE_BT_ISB);
	blk_u32(&b, 0);			/* interface */
	blk_ts(&b, now);
	opt_ts(&b, HONE_ISB_STARTTIME, r->start_ts);
	opt_ts(&b, HONE_ISB_ENDTIME, now);
	opt_u64(&b, HONE_ISB_IFRECV,
		st->packets + st->packets_dropped + st->packets_filtered);
	opt_u64(&b, HONE_ISB_IFDROP, st->packets_lost);
	opt_u64(&b, HONE_ISB_FILTERACCEPT, st->packets_filtered);
	opt_u64(&b, HONE_ISB_OSDROP, st->packets_dropped);
	opt_u64(&b, HONE_ISB_USRDELIV, st->packets);
	opt_u64(&b, HONE_ISB_PROC_RECV, st->proc_events + st->proc_dropped);
	opt_u64(&b, HONE_ISB_PROC_DROP, st->proc_lost);
	opt_u64(&b, HONE_ISB_PROC_RDROP, st->proc_dropped);
	opt_u64(&b, HONE_ISB_PROC_DELIV, st->proc_events);
	opt_u64(&b, HONE_ISB_CONN_RECV, st->conn_events + st->conn_dropped);
	opt_u64(&b, HONE_ISB_CONN_DROP, st->conn_lost);
	opt_u64(&b, HONE_ISB_CONN_RDROP, st->conn_dropped);
	opt_u64(&b, HONE_ISB_CONN_DELIV, st->conn_events);
	opt_u64(&b, HONE_ISB_OWNER_FULL, atomic64_read(&hone_owner_full));
	opt_u64(&b, HONE_ISB_PROC_FULL, atomic64_read(&hone_proc_full));
	opt_u64(&b, HONE_ISB_SCRIPT_LOST, atomic64_read(&hone_script_lost));
	return blk_end(&b);
}

const struct hone_format hone_pcapng_format = {
	.head = pcapng_head,
	.record = pcapng_record,
	.stats = pcapng_stats,
};
