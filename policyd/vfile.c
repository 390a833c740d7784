// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict log's PCAP-NG file (include/hone/hone.h, DESIGN "PCAP-NG as
 * written by Hone"): Section Header, one raw-IP interface, then Hone process
 * and connection blocks the first time a process or socket shows up in the
 * section, and an Enhanced Packet Block per logged packet.
 *
 * The file is an audit trail: it is appended to, and every open starts a
 * section that stands alone (its own headers, and again every process and
 * connection block its packets refer to), so restarts and rotation keep
 * what was written and each file reads on its own. Blocks are built whole in
 * a buffer and written whole; a write cut short (a full disk) is cut back to
 * its last whole block, and the entries that could not be written are
 * counted, said when writing works again, and recorded in the file as the
 * isb_ifdrop of an Interface Statistics block.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <hone/hone.h>

#include "dns.h"
#include "htab.h"
#include "log.h"
#include "nft.h"
#include "pcapng.h"
#include "proctab.h"
#include "vfile.h"

#define OUT_SIZE	(256 * 1024)
/* The largest block: a process's path and an argv option (pcapng_opt cuts
 * it at 64 KiB), or a packet's snaplen, with small options. */
#define BLOCK_SIZE	(72 * 1024)
#define SNAPLEN		512	/* queue.c's copy range */
/* Processes and sockets a section remembers having written: past this a
 * new section starts (and stands alone), so memory stays bounded. */
#define SEEN_MAX	65536

struct seen {
	struct hnode node;	/* pid or cookie */
	uint64_t stamp;		/* process start time and what it runs */
};

struct vfile {
	const char *path;
	int fd;
	off_t good;		/* where a torn file must be cut back to */
	bool torn;		/* cutting back failed: retried first */
	bool section;		/* its SHB and IDB are written or queued */
	struct htab procs, conns;	/* written or queued in the section */
	int err;		/* the write error in force, 0 when writing */
	uint64_t entries;	/* given to the file since the open */
	uint64_t lost;		/* entries not written since the open */
	uint64_t unsaid;	/* of them, since writing last worked */
	struct pcapng_builder w;	/* over out; w.len bytes are queued */
	uint8_t out[OUT_SIZE];
};

/* Blocks are built in place after what is queued; room() keeps
 * BLOCK_SIZE free for the next one. */
static struct pcapng_builder *begin(struct vfile *f, uint32_t type)
{
	f->w.cap = f->w.len + BLOCK_SIZE;
	pcapng_begin(&f->w, type);
	return &f->w;
}

/* End the options and fill in the lengths: the block is queued. */
static int end(struct vfile *f)
{
	int ret = pcapng_end(&f->w);

	/* Over BLOCK_SIZE: the block is too big, not the disk full. */
	return ret == -ENOSPC ? -EMSGSIZE : ret < 0 ? ret : 0;
}

static void opt_str(struct pcapng_builder *w, uint16_t code, const char *s)
{
	if (s)
		pcapng_opt_utf8(w, code, s, strlen(s));
}

static void put_ts(struct pcapng_builder *w)
{
	struct timespec ts;
	uint64_t us;

	clock_gettime(CLOCK_REALTIME, &ts);
	us = (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	pcapng_put32(w, us >> 32);
	pcapng_put32(w, (uint32_t)us);
}

static uint32_t u32at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* A process's stamp: its start time and what it runs, so that an exec
 * (same pid, same start) is written again and a replay sees the new
 * program. */
static uint64_t proc_stamp(const struct proc *p)
{
	return htab_str(HTAB_SEED ^ p->start, p->exe ? p->exe : "") ^
	       p->exe_ino ^ p->foreign;
}

/* Whether key (with stamp) is written or queued in this section. */
static bool seen(const struct htab *h, uint64_t key, uint64_t stamp)
{
	struct hnode *n = htab_find(h, key);

	return n && htab_entry(n, struct seen, node)->stamp == stamp;
}

static void mark_seen(struct htab *h, uint64_t key, uint64_t stamp)
{
	struct hnode *n = htab_find(h, key);
	struct seen *s;

	if (n) {
		s = htab_entry(n, struct seen, node);
	} else {
		s = calloc(1, sizeof(*s));
		if (!s)
			return;	/* written again later: harmless */
		s->node.key = key;
		htab_insert(h, &s->node);
	}
	s->stamp = stamp;
}

static void free_seen(struct hnode *n)
{
	free(htab_entry(n, struct seen, node));
}

static void forget(struct htab *h)
{
	htab_clear(h, free_seen);
}

/* The first entry lost since writing worked is said; the rest counted. */
static void lose_entries(struct vfile *f, uint64_t n, int err)
{
	if (!f->err)
		log_warnx("verdict log %s: %s: counting the entries lost until "
			  "it can be written again", f->path, strerror(err));
	f->err = err;
	f->lost += n;
	f->unsaid += n;
}

/* Where the file may end once n queued bytes reached it: after the last
 * whole block, and never after a Section Header without its interface. */
static size_t whole(const struct vfile *f, size_t n)
{
	size_t off = 0, keep = 0;
	uint32_t len;

	while (n - off >= 8 && (len = u32at(f->out + off + 4)) <= n - off) {
		if (u32at(f->out + off) != HONE_BT_SHB)
			keep = off + len;
		off += len;
	}
	return keep;
}

/* The queued blocks from off on did not reach the file: count their
 * entries, and whatever later entries would refer to in them (headers,
 * process and connection blocks) is written again. */
static void lose_blocks(struct vfile *f, size_t off, int err)
{
	bool referred = false;
	uint64_t n = 0;

	for (; off < f->w.len; off += u32at(f->out + off + 4)) {
		switch (u32at(f->out + off)) {
		case HONE_BT_EPB:
			n++;
			break;
		case HONE_BT_SHB:
		case HONE_BT_IDB:
			f->section = false;
			/* fallthrough */
		case HONE_BT_PROCESS:
		case HONE_BT_CONNECTION:
			referred = true;
			break;
		}
	}
	if (referred) {
		forget(&f->procs);
		forget(&f->conns);
	}
	f->w.len = 0;
	lose_entries(f, n, err);
}

/* A write cut short left part of a block at the file's end: nothing may
 * follow it. */
static int cut(struct vfile *f)
{
	f->torn = ftruncate(f->fd, f->good) < 0;
	return f->torn ? -errno : 0;
}

static int write_queued(struct vfile *f)
{
	size_t off = 0, keep;
	ssize_t n;
	int ret = 0;

	if (f->torn && (ret = cut(f)) < 0) {
		lose_blocks(f, 0, -ret);
		return ret;
	}
	while (off < f->w.len) {
		n = write(f->fd, f->out + off, f->w.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		off += n;
	}
	if (!ret) {
		f->w.len = 0;
		return 0;
	}
	keep = whole(f, off);
	/* Appending leaves the offset at the end of what was written; the
	 * end, not a size kept here, as the file may have been truncated
	 * since. A cut that fails is tried again before the next write. */
	if (keep < off) {
		f->good = lseek(f->fd, 0, SEEK_CUR) - (off_t)(off - keep);
		cut(f);
	}
	lose_blocks(f, keep, -ret);
	return ret;
}

static int write_headers(struct vfile *f)
{
	const uint64_t section_len = UINT64_MAX;	/* -1: unknown */
	struct pcapng_builder *w;
	struct utsname u;
	int ret;

	forget(&f->procs);
	forget(&f->conns);
	w = begin(f, HONE_BT_SHB);
	pcapng_put32(w, HONE_BYTE_ORDER_MAGIC);
	pcapng_put32(w, 1);		/* version 1.0 */
	pcapng_put(w, &section_len, sizeof(section_len));
	if (uname(&u) == 0) {
		char os[sizeof(u.sysname) + sizeof(u.release) + 2];
		uint8_t host[1 + sizeof(u.nodename)] = { HONE_HOSTID_STRING };
		size_t n = strlen(u.nodename);

		snprintf(os, sizeof(os), "%s %s", u.sysname, u.release);
		opt_str(w, HONE_SHB_OS, os);
		/* Which host judged: --inventory merges several hosts' logs. */
		memcpy(host + 1, u.nodename, n);
		pcapng_opt(w, HONE_SHB_HOSTID, host, 1 + n);
	}
	opt_str(w, HONE_SHB_USERAPPL, "Hone " HONE_VERSION " honefw");
	if ((ret = end(f)) < 0)
		return ret;

	w = begin(f, HONE_BT_IDB);
	pcapng_put32(w, HONE_LINKTYPE_RAW);	/* u16 link type, u16 reserved */
	pcapng_put32(w, SNAPLEN);
	opt_str(w, HONE_IF_NAME, "honefw");
	opt_str(w, HONE_IF_DESCRIPTION, "packets judged by honefw");
	if ((ret = end(f)) < 0)
		return ret;
	f->section = true;
	return 0;
}

/* After entries were lost: how many, in the file where they are missing.
 * Headers lost with them come first (nothing else is queued then). */
static int write_stats(struct vfile *f)
{
	struct pcapng_builder *w;
	char note[128];
	int ret;

	if (!f->section && (ret = write_headers(f)) < 0)
		return ret;
	w = begin(f, HONE_BT_ISB);
	pcapng_put32(w, 0);		/* interface */
	put_ts(w);
	pcapng_opt64(w, HONE_ISB_IFDROP, f->lost);
	snprintf(note, sizeof(note), "honefw: %" PRIu64 " entries lost before "
		 "this block: %s", f->unsaid, strerror(f->err));
	opt_str(w, HONE_OPT_COMMENT, note);
	return end(f);
}

int vfile_flush(struct vfile *f)
{
	uint64_t unsaid = f->unsaid;
	int ret;

	/* Failing, each flush tries again, and what proves writing works
	 * is the count of what was lost. */
	if (f->err && (ret = write_stats(f)) < 0)
		return ret;
	if ((ret = write_queued(f)) < 0 || !f->err)
		return ret;
	log_warnx("verdict log %s: written again: %" PRIu64 " entries lost",
		  f->path, unsaid);
	f->err = 0;
	f->unsaid = 0;
	return 0;
}

/* Write what is queued if the next block might not fit. */
static int room(struct vfile *f)
{
	return sizeof(f->out) - f->w.len < BLOCK_SIZE ? vfile_flush(f) : 0;
}

/* A process block, after its ancestors' (the pedigree reads top-down).
 * Marked seen once queued: a block lost before then is written again. */
static int write_proc(struct vfile *f, const struct proc *p)
{
	const struct pent *e = proc_pent(p);
	struct pcapng_builder *w;
	int ret;

	if (seen(&f->procs, p->view.pid, proc_stamp(p)))
		return 0;
	if (p->view.parent) {
		ret = write_proc(f, htab_entry(p->view.parent, struct proc,
					       view));
		if (ret < 0)
			return ret;
	}
	w = begin(f, HONE_BT_PROCESS);
	pcapng_put32(w, p->view.pid);
	put_ts(w);
	opt_str(w, HONE_PROC_PATH, p->exe);
	if (e->argv)
		pcapng_opt(w, HONE_PROC_ARGV, e->argv, e->argvlen);
	pcapng_opt32(w, HONE_PROC_PPID, p->view.ppid);
	pcapng_opt32(w, HONE_PROC_UID, p->view.uid);
	pcapng_opt32(w, HONE_PROC_GID, p->view.gid);
	pcapng_opt64(w, HONE_PROC_START, p->start);
	if (p->exe_ino) {
		pcapng_opt64(w, HONE_PROC_EXE_DEV, p->exe_dev);
		pcapng_opt64(w, HONE_PROC_EXE_INO, p->exe_ino);
	}
	/* What honefw found: a replay elsewhere cannot look. */
	if (p->foreign)
		pcapng_opt32(w, HONE_PROC_FOREIGN, 1);
	/* A foreign script has no file: a replay takes it for a claim. */
	if (p->script)
		opt_str(w, HONE_PROC_SCRIPT, p->script);
	if (p->script && !p->script_foreign) {
		pcapng_opt64(w, HONE_PROC_SCRIPT_DEV, p->script_dev);
		pcapng_opt64(w, HONE_PROC_SCRIPT_INO, p->script_ino);
	}
	if (p->cgroup) {
		if (p->cgroup_id)
			pcapng_opt64(w, HONE_PROC_CGROUP_ID, p->cgroup_id);
		opt_str(w, HONE_PROC_CGROUP, p->cgroup);
	}
	if ((ret = end(f)) < 0)
		return ret;
	mark_seen(&f->procs, p->view.pid, proc_stamp(p));
	return room(f);
}

static void opt_endpoint(struct pcapng_builder *w, uint16_t code,
			 uint8_t family, const uint8_t *addr, uint16_t port)
{
	uint8_t v[20] = { 0 };

	memcpy(v, &port, 2);
	memcpy(v + 4, addr, family == AF_INET ? 4 : 16);
	pcapng_opt(w, code, v, family == AF_INET ? 8 : 20);
}

static int write_conn(struct vfile *f, const struct conn *c,
		      const struct rules_pkt *pkt)
{
	struct pcapng_builder *w;
	int ret;

	if (seen(&f->conns, c->cookie, c->pid))
		return 0;
	w = begin(f, HONE_BT_CONNECTION);
	pcapng_put32(w, (uint32_t)c->cookie);
	pcapng_put32(w, c->pid);
	put_ts(w);
	pcapng_opt64(w, HONE_CONN_COOKIE, c->cookie);
	pcapng_opt32(w, HONE_CONN_FAMILY, pkt->family);
	pcapng_opt32(w, HONE_CONN_PROTO, pkt->proto);
	opt_endpoint(w, HONE_CONN_LOCAL, pkt->family, pkt->local, pkt->lport);
	opt_endpoint(w, HONE_CONN_REMOTE, pkt->family, pkt->remote,
		     pkt->rport);
	pcapng_opt32(w, HONE_CONN_UID, c->uid);
	pcapng_opt64(w, HONE_CONN_INODE, c->inode);
	if ((ret = end(f)) < 0)
		return ret;
	mark_seen(&f->conns, c->cookie, c->pid);
	return room(f);
}

static uint32_t hone_verdict(enum rules_action a)
{
	switch (a) {
	case RULES_ACCEPT:
		return HONE_VERDICT_ACCEPT;
	case RULES_DROP:
		return HONE_VERDICT_DROP;
	case RULES_REJECT:
		return HONE_VERDICT_REJECT;
	default:
		return HONE_VERDICT_REDIRECT;
	}
}

static int write_epb(struct vfile *f, const struct vlog_entry *e,
		     const char *comment)
{
	size_t cap = e->len < SNAPLEN ? e->len : SNAPLEN;
	const struct rules_verdict *v = e->v;
	struct pcapng_builder *w;

	w = begin(f, HONE_BT_EPB);
	pcapng_put32(w, 0);		/* interface */
	put_ts(w);
	pcapng_put32(w, cap);
	pcapng_put32(w, e->wire_len);
	pcapng_put(w, e->data, cap);
	pcapng_opt32(w, HONE_EPB_FLAGS, e->pkt->dir == RULES_DIR_IN ?
		     HONE_EPB_FLAG_INBOUND : HONE_EPB_FLAG_OUTBOUND);
	if (e->conn) {
		pcapng_opt32(w, HONE_EPB_CONN, (uint32_t)e->conn->cookie);
		pcapng_opt64(w, HONE_EPB_COOKIE, e->conn->cookie);
	}
	if (e->proc)
		pcapng_opt32(w, HONE_EPB_PID, e->proc->view.pid);
	pcapng_opt32(w, HONE_EPB_VERDICT, hone_verdict(v->action));
	pcapng_opt32(w, HONE_EPB_MARK, e->mark & HONE_MARK_USER);
	opt_str(w, HONE_EPB_RULE, v->rule ? rule_name(v->rule) : "default");
	pcapng_opt64(w, HONE_EPB_NTH, e->pkt->nth);
	opt_str(w, HONE_OPT_COMMENT, comment);
	return end(f);
}

/* An entry whose last block was never queued (ret < 0) is lost here, not
 * when queued blocks fail to reach the file. */
static int entry_done(struct vfile *f, int ret)
{
	if (ret < 0) {
		lose_entries(f, 1, -ret);
		return ret;
	}
	return room(f);
}

int vfile_packet(struct vfile *f, const struct vlog_entry *e,
		 const char *comment)
{
	int ret = 0;

	f->entries++;
	if (!f->section || f->procs.n + f->conns.n >= SEEN_MAX)
		ret = write_headers(f);
	if (!ret && e->proc)
		ret = write_proc(f, e->proc);
	if (!ret && e->conn)
		ret = write_conn(f, e->conn, e->pkt);
	if (!ret)
		ret = write_epb(f, e, comment);
	return entry_done(f, ret);
}

/* A name learned from a DNS answer: one NRB of one record. The records
 * are laid out as options are, and the list's end record is an
 * opt_endofopt; pcapng_end() writes it. */
int vfile_name(struct vfile *f, uint8_t family, const uint8_t *addr,
	       const char *name)
{
	size_t alen = family == AF_INET ? 4 : 16, nlen = strlen(name) + 1;
	uint8_t v[16 + DNS_NAME_MAX + 1];
	int ret = 0;

	if (nlen > DNS_NAME_MAX + 1)
		return -EINVAL;
	if (!f->section)
		ret = write_headers(f);
	if (!ret) {
		memcpy(v, addr, alen);
		memcpy(v + alen, name, nlen);
		begin(f, HONE_BT_NRB);
		pcapng_opt(&f->w, family == AF_INET ? HONE_NRB_IPV4 :
			   HONE_NRB_IPV6, v, alen + nlen);
		ret = end(f);
	}
	return entry_done(f, ret);
}

void vfile_stats(const struct vfile *f, uint64_t *written, uint64_t *lost)
{
	/* What is still queued is written at the end of its batch, before
	 * anyone can ask. */
	*written = f->entries - f->lost;
	*lost = f->lost;
}

static const char *open_error(int err)
{
	switch (err) {
	case ELOOP:
		return "refused: a symbolic link; expected a regular file";
	case ENXIO:
		return "refused: a FIFO or socket; expected a regular file";
	default:
		return strerror(err);
	}
}

/* A log no one else can read, or swap for a file of theirs: a regular
 * file of the euid's, its only link, no access for group or others. */
static int check(struct vfile *f)
{
	struct stat st;
	char why[96] = "";

	if (fstat(f->fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		snprintf(why, sizeof(why), "not a regular file");
	else if (st.st_uid != geteuid())
		snprintf(why, sizeof(why), "owned by uid %u; expected uid %u",
			 (unsigned)st.st_uid, (unsigned)geteuid());
	else if (st.st_nlink != 1)
		snprintf(why, sizeof(why), "%ju links; expected 1",
			 (uintmax_t)st.st_nlink);
	else if (st.st_mode & 077)
		snprintf(why, sizeof(why), "mode %04o; expected no access for "
			 "group or others (0600)", st.st_mode & 07777);
	if (*why) {
		log_warnx("verdict log %s: refused: %s", f->path, why);
		return -EPERM;
	}
	return 0;
}

int vfile_open(const char *path, struct vfile **out)
{
	struct vfile *f;
	int ret;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->path = path;
	/* Not through a link, and a FIFO or device must not block or wake
	 * anything before it is refused. */
	f->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
		     O_NONBLOCK | O_CLOEXEC, 0600);
	if (f->fd < 0) {
		ret = -errno;
		log_warnx("verdict log %s: %s", path, open_error(-ret));
		goto err_free;
	}
	f->w.buf = f->out;
	if ((ret = check(f)) < 0)
		goto err_close;
	if ((ret = htab_init(&f->procs, 256)) < 0)
		goto err_close;
	if ((ret = htab_init(&f->conns, 256)) < 0)
		goto err_procs;
	if ((ret = write_headers(f)) < 0)
		goto err_conns;
	/* A full disk is no reason to stop: counted like any later write. */
	vfile_flush(f);
	*out = f;
	return 0;

err_conns:
	htab_free(&f->conns);
err_procs:
	htab_free(&f->procs);
err_close:
	close(f->fd);
err_free:
	free(f);
	return ret;
}

void vfile_close(struct vfile *f)
{
	if (!f)
		return;
	vfile_flush(f);
	if (f->unsaid)
		log_warnx("verdict log %s: closed: %" PRIu64 " entries lost",
			  f->path, f->unsaid);
	forget(&f->conns);
	forget(&f->procs);
	htab_free(&f->conns);
	htab_free(&f->procs);
	close(f->fd);
	free(f);
}
