// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict log's PCAP-NG file (include/hone/hone.h, DESIGN "PCAP-NG as
 * written by Hone"): Section Header, one raw-IP interface, then Hone process
 * and connection blocks the first time a process or socket shows up in the
 * section, and an Enhanced Packet Block per logged packet. bfile.c makes
 * it an audit trail: appended to, each open a section that stands alone,
 * whole blocks only, and what a full disk lost counted in the file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <hone/hone.h>

#include "bfile.h"
#include "dns.h"
#include "htab.h"
#include "nft.h"
#include "pcapng.h"
#include "report.h"
#include "tblock.h"
#include "vfile.h"

#define SNAPLEN		512	/* queue.c's copy range */

struct vfile {
	struct bfile *f;
	uint64_t entries;	/* given to the file since the open */
};

static void opt_str(struct pcapng_builder *w, uint16_t code, const char *s)
{
	if (s)
		pcapng_opt_utf8(w, code, s, strlen(s));
}

static int write_headers(struct bfile *f, void *ctx)
{
	int ret;

	(void)ctx;
	tblock_shb(bfile_begin(f, HONE_BT_SHB), "honefw");
	if ((ret = bfile_end(f)) < 0)
		return ret;
	tblock_idb(bfile_begin(f, HONE_BT_IDB), SNAPLEN, "honefw",
		   "packets judged by honefw");
	return bfile_end(f);
}

int vfile_flush(struct vfile *v)
{
	return bfile_flush(v->f);
}

/* A process block, after its ancestors' (the pedigree reads top-down).
 * Marked seen once queued: a block lost before then is written again. */
static int write_proc(struct bfile *f, const struct proc *p)
{
	int ret;

	if (bfile_seen(f, BFILE_PROC, p->view.pid, tblock_proc_stamp(p)))
		return 0;
	if (p->view.parent) {
		ret = write_proc(f, htab_entry(p->view.parent, struct proc,
					       view));
		if (ret < 0)
			return ret;
	}
	tblock_proc(bfile_begin(f, HONE_BT_PROCESS), p);
	if ((ret = bfile_end(f)) < 0)
		return ret;
	bfile_mark(f, BFILE_PROC, p->view.pid, tblock_proc_stamp(p));
	return bfile_room(f);
}

static int write_conn(struct bfile *f, const struct conn *c,
		      const struct rules_pkt *pkt)
{
	int ret;

	if (bfile_seen(f, BFILE_CONN, c->cookie, c->pid))
		return 0;
	tblock_conn(bfile_begin(f, HONE_BT_CONNECTION), c, pkt);
	if ((ret = bfile_end(f)) < 0)
		return ret;
	bfile_mark(f, BFILE_CONN, c->cookie, c->pid);
	return bfile_room(f);
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

static int write_epb(struct bfile *f, const struct vlog_entry *e,
		     const char *comment)
{
	size_t cap = e->len < SNAPLEN ? e->len : SNAPLEN;
	const struct rules_verdict *v = e->v;
	struct pcapng_builder *w;

	w = bfile_begin(f, HONE_BT_EPB);
	tblock_epb(w, e->data, cap, e->wire_len, e->pkt, e->conn, e->proc);
	pcapng_opt32(w, HONE_EPB_VERDICT, hone_verdict(v->action));
	pcapng_opt32(w, HONE_EPB_MARK, e->mark & HONE_MARK_USER);
	opt_str(w, HONE_EPB_RULE, report_rule(v, e->pkt, e->proc != NULL));
	pcapng_opt64(w, HONE_EPB_NTH, e->pkt->nth);
	/* A socket held it even when no process was named for it: its
	 * user's rules judged it, and replay must know. */
	if (e->pkt->has_uid)
		pcapng_opt32(w, HONE_EPB_UID, e->pkt->uid);
	if (e->prejudged)
		pcapng_opt32(w, HONE_EPB_PREJUDGED, e->prejudged);
	opt_str(w, HONE_OPT_COMMENT, comment);
	return bfile_end(f);
}

/* An entry whose last block was never queued (ret < 0) is lost here, not
 * when queued blocks fail to reach the file. */
static int entry_done(struct bfile *f, int ret)
{
	if (ret < 0) {
		bfile_lose(f, 1, -ret);
		return ret;
	}
	return bfile_room(f);
}

int vfile_packet(struct vfile *v, const struct vlog_entry *e,
		 const char *comment)
{
	struct bfile *f = v->f;
	int ret;

	v->entries++;
	ret = bfile_section(f);
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
int vfile_name(struct vfile *v, uint8_t family, const uint8_t *addr,
	       const char *name)
{
	size_t alen = family == AF_INET ? 4 : 16, nlen = strlen(name) + 1;
	uint8_t val[16 + DNS_NAME_MAX + 1];
	struct pcapng_builder *w;
	int ret;

	if (nlen > DNS_NAME_MAX + 1)
		return -EINVAL;
	v->entries++;
	ret = bfile_section(v->f);
	if (!ret) {
		memcpy(val, addr, alen);
		memcpy(val + alen, name, nlen);
		w = bfile_begin(v->f, HONE_BT_NRB);
		pcapng_opt(w, family == AF_INET ? HONE_NRB_IPV4 : HONE_NRB_IPV6,
			   val, alen + nlen);
		ret = bfile_end(v->f);
	}
	return entry_done(v->f, ret);
}

void vfile_stats(const struct vfile *v, uint64_t *written, uint64_t *lost)
{
	/* What is still queued is written at the end of its batch, before
	 * anyone can ask. */
	*lost = bfile_lost(v->f);
	*written = v->entries - *lost;
}

int vfile_open(const char *path, struct vfile **out)
{
	struct vfile *v;
	int ret;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	ret = bfile_open(path, "verdict log", write_headers, v, &v->f);
	if (ret < 0) {
		free(v);
		return ret;
	}
	/* Each open starts a section that stands alone. A full disk is no
	 * reason to stop: counted like any later write. */
	if (bfile_section(v->f) == 0)
		bfile_flush(v->f);
	*out = v;
	return 0;
}

void vfile_close(struct vfile *v)
{
	if (!v)
		return;
	bfile_close(v->f);
	free(v);
}
