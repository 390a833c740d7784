// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict log's PCAP-NG file (include/hone/hone.h, DESIGN "PCAP-NG as
 * written by Hone"): Section Header, one raw-IP interface, then Hone process
 * and connection blocks the first time a process or socket shows up, and an
 * Enhanced Packet Block per logged packet. Blocks are built whole in a
 * buffer and written whole, so a killed honefw leaves no torn block.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <hone/hone.h>

#include "htab.h"
#include "nft.h"
#include "pcapng.h"
#include "proctab.h"
#include "vfile.h"

#define OUT_SIZE	(256 * 1024)
/* The largest block: a process's path and an argv option (pcapng_opt cuts
 * it at 64 KiB), or a packet's snaplen, with small options. */
#define BLOCK_SIZE	(72 * 1024)
#define SNAPLEN		512	/* queue.c's copy range */

struct seen {
	struct hnode node;	/* pid or cookie */
	uint64_t stamp;		/* process start time */
};

struct vfile {
	int fd;
	struct htab procs, conns;
	struct pcapng_builder w;	/* over out; w.len bytes are queued */
	uint8_t out[OUT_SIZE];
};

/* Blocks are built in place after what is queued; finish() keeps
 * BLOCK_SIZE free for the next one. */
static struct pcapng_builder *begin(struct vfile *f, uint32_t type)
{
	f->w.cap = f->w.len + BLOCK_SIZE;
	pcapng_begin(&f->w, type);
	return &f->w;
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

int vfile_flush(struct vfile *f)
{
	size_t off = 0;
	ssize_t n;

	while (off < f->w.len) {
		n = write(f->fd, f->out + off, f->w.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			f->w.len = 0;
			return -errno;
		}
		off += n;
	}
	f->w.len = 0;
	return 0;
}

/* End the options, fill in the lengths, leave the block queued. */
static int finish(struct vfile *f)
{
	int ret = pcapng_end(&f->w);

	/* Over BLOCK_SIZE: the block is too big, not the disk full. */
	if (ret == -ENOSPC)
		return -EMSGSIZE;
	if (ret < 0)
		return ret;
	if (sizeof(f->out) - f->w.len < BLOCK_SIZE)
		return vfile_flush(f);
	return 0;
}

static int write_headers(struct vfile *f)
{
	const uint64_t section_len = UINT64_MAX;	/* -1: unknown */
	struct pcapng_builder *w;
	struct utsname u;
	int ret;

	w = begin(f, HONE_BT_SHB);
	pcapng_put32(w, HONE_BYTE_ORDER_MAGIC);
	pcapng_put32(w, 1);		/* version 1.0 */
	pcapng_put(w, &section_len, sizeof(section_len));
	if (uname(&u) == 0) {
		char os[sizeof(u.sysname) + sizeof(u.release) + 2];

		snprintf(os, sizeof(os), "%s %s", u.sysname, u.release);
		opt_str(w, HONE_SHB_OS, os);
	}
	opt_str(w, HONE_SHB_USERAPPL, "Hone " HONE_VERSION " honefw");
	ret = finish(f);
	if (ret < 0)
		return ret;

	w = begin(f, HONE_BT_IDB);
	pcapng_put32(w, HONE_LINKTYPE_RAW);	/* u16 link type, u16 reserved */
	pcapng_put32(w, SNAPLEN);
	opt_str(w, HONE_IF_NAME, "honefw");
	opt_str(w, HONE_IF_DESCRIPTION, "packets judged by honefw");
	return finish(f);
}

/* True the first time key (with stamp) is seen. */
static bool first_sight(struct htab *h, uint64_t key, uint64_t stamp)
{
	struct hnode *n = htab_find(h, key);
	struct seen *s;

	if (n) {
		s = htab_entry(n, struct seen, node);
		if (s->stamp == stamp)
			return false;
		s->stamp = stamp;
		return true;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return true;	/* written again later: harmless */
	s->node.key = key;
	s->stamp = stamp;
	htab_insert(h, &s->node);
	return true;
}

/* A process block, after its ancestors' (the pedigree reads top-down). */
static int write_proc(struct vfile *f, const struct proc *p)
{
	const struct pent *e = proc_pent(p);
	struct pcapng_builder *w;
	int ret;

	if (!first_sight(&f->procs, p->view.pid, p->start))
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
	return finish(f);
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

	if (!first_sight(&f->conns, c->cookie, c->pid))
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
	return finish(f);
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

int vfile_packet(struct vfile *f, const struct vlog_entry *e,
		 const char *comment)
{
	size_t cap = e->len < SNAPLEN ? e->len : SNAPLEN;
	const struct rules_verdict *v = e->v;
	struct pcapng_builder *w;
	int ret;

	if (e->proc && (ret = write_proc(f, e->proc)) < 0)
		return ret;
	if (e->conn && (ret = write_conn(f, e->conn, e->pkt)) < 0)
		return ret;
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
	return finish(f);
}

int vfile_open(const char *path, struct vfile **out)
{
	struct vfile *f;
	int ret;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (f->fd < 0) {
		ret = -errno;
		goto err_free;
	}
	f->w.buf = f->out;
	ret = htab_init(&f->procs, 256);
	if (ret < 0)
		goto err_close;
	ret = htab_init(&f->conns, 256);
	if (ret < 0)
		goto err_procs;
	ret = write_headers(f);
	if (ret < 0 || (ret = vfile_flush(f)) < 0)
		goto err_conns;
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

static void free_seen(struct htab *h)
{
	struct hnode *n, *next;
	size_t i;

	for (i = 0; i <= h->mask; i++)
		for (n = h->b[i]; n; n = next) {
			next = n->next;
			free(htab_entry(n, struct seen, node));
		}
	htab_free(h);
}

void vfile_close(struct vfile *f)
{
	if (!f)
		return;
	vfile_flush(f);
	free_seen(&f->conns);
	free_seen(&f->procs);
	close(f->fd);
	free(f);
}
