// SPDX-License-Identifier: GPL-2.0
/*
 * honeread's recording (record.h). The stream is framed by pcapng.c and
 * each block goes to the current file (bfile.c: appended, whole blocks,
 * losses counted). What makes a file stand alone is kept here: the last
 * Section Header and interface, and the last block of every process and
 * socket, so a file that starts after them (a rotation, or /dev/hone's
 * packets still in the ring when a new section began) gets them again
 * before the first block that refers to them. Processes and sockets that
 * ended are kept REF_GRACE longer for their last packets; those no packet
 * named for REF_IDLE are let go too (a live one comes again: in /dev/hone's
 * next snapshot, or from the netlink source's tables).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hone/hone.h>

#include "bfile.h"
#include "flow.h"
#include "htab.h"
#include "log.h"
#include "pcapng.h"
#include "record.h"

#define PAD4(n)		(((size_t)(n) + 3) & ~(size_t)3)
/* An ended process or socket keeps its block this long (TIME_WAIT's
 * last packets, a ring read late), in ns. */
#define REF_GRACE	(120ULL * 1000000000ULL)
#define REF_IDLE	(600ULL * 1000000000ULL)
/* Bytes of kept blocks at most: past it new ones are not kept (counted),
 * and a file that starts then may lack them. */
#define REF_BYTES	(64U << 20)
/* EPB: interface, timestamp (2), captured and original length. */
#define EPB_FIXED	20

struct ref {
	struct hnode node;	/* pid or cookie */
	uint64_t stamp;		/* start time, or the socket's pid */
	uint32_t pid;		/* a socket's owner */
	uint64_t ended;		/* CLOCK_MONOTONIC ns; 0 while it lives */
	uint64_t used;		/* last kept or named, CLOCK_MONOTONIC ns */
	size_t len;
	uint8_t block[];
};

struct record {
	struct record_conf conf;
	struct pcapng_reader rd;
	struct bfile *file;
	char path[PATH_MAX];
	time_t opened;		/* of the file */
	time_t retry;		/* a rotation that failed: not before then */
	bool asked;		/* SIGHUP */
	bool lost_sync;		/* a malformed stream was said */
	bool ended;		/* the stream's section ended: a new one comes */
	bool said_order;	/* a section in the other byte order was said */
	uint8_t *shb, *idb;	/* the section's, as they came */
	size_t shb_len, idb_len;
	struct htab refs[2];	/* enum bfile_ref */
	size_t ref_bytes;
	struct record_stats st;
	uint8_t cut[HONE_BLOCK_MAX];	/* a packet cut to its headers */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- what files refer to ---------------------------------------------- */

static struct ref *ref_find(const struct record *r, enum bfile_ref ref,
			    uint64_t key)
{
	struct hnode *n = htab_find(&r->refs[ref], key);

	return n ? htab_entry(n, struct ref, node) : NULL;
}

static void ref_free(struct record *r, enum bfile_ref ref, struct ref *e)
{
	htab_remove(&r->refs[ref], &e->node);
	r->ref_bytes -= e->len;
	free(e);
}

/* Keep b as the block of key (a newer one replaces it). */
static void ref_keep(struct record *r, enum bfile_ref ref, uint64_t key,
		     uint64_t stamp, uint32_t pid, const struct pcapng_block *b)
{
	size_t len = b->len + 12;
	struct ref *e = ref_find(r, ref, key);

	if (e)
		ref_free(r, ref, e);
	if (r->ref_bytes + len > REF_BYTES || !(e = malloc(sizeof(*e) + len))) {
		r->st.uncached++;
		return;
	}
	e->node.key = key;
	e->stamp = stamp;
	e->pid = pid;
	e->ended = 0;
	e->used = now_ns();
	e->len = len;
	memcpy(e->block, b->body - 8, len);
	htab_insert(&r->refs[ref], &e->node);
	r->ref_bytes += len;
}

static void ref_end(struct record *r, enum bfile_ref ref, uint64_t key)
{
	struct ref *e = ref_find(r, ref, key);

	if (e && !e->ended)
		e->ended = now_ns();
}

bool record_knows(const struct record *r, enum bfile_ref ref, uint64_t key,
		  uint64_t stamp)
{
	const struct ref *e = ref_find(r, ref, key);

	return e && e->stamp == stamp && !e->ended;
}

struct prune {
	struct record *r;
	uint64_t now;
};

static bool ref_expired(struct hnode *n, void *ctx)
{
	struct prune *p = ctx;
	struct ref *e = htab_entry(n, struct ref, node);

	if ((!e->ended || p->now - e->ended < REF_GRACE) &&
	    p->now - e->used < REF_IDLE)
		return false;
	p->r->ref_bytes -= e->len;
	free(e);
	return true;
}

static void ref_prune(struct record *r)
{
	struct prune p = { r, now_ns() };

	htab_prune(&r->refs[BFILE_PROC], ref_expired, &p);
	htab_prune(&r->refs[BFILE_CONN], ref_expired, &p);
}

static void ref_release(struct hnode *n)
{
	free(htab_entry(n, struct ref, node));
}

/* ---- the file --------------------------------------------------------- */

/* The section's own headers, as the stream gave them. */
static int write_headers(struct bfile *f, void *ctx)
{
	struct record *r = ctx;
	int ret;

	if (!r->shb || !r->idb)
		return -ENODATA;	/* nothing came yet */
	if ((ret = bfile_put(f, r->shb, r->shb_len)) < 0)
		return ret;
	return bfile_put(f, r->idb, r->idb_len);
}

/* Before a block that names a process or socket: its kept block (a
 * socket's after its owner's), unless this file's section has it. */
static int need(struct record *r, enum bfile_ref ref, uint64_t key)
{
	struct ref *e = ref_find(r, ref, key);
	int ret;

	if (!e)
		return 0;
	e->used = now_ns();
	if (bfile_seen(r->file, ref, key, e->stamp))
		return 0;
	if (ref == BFILE_CONN && e->pid && (ret = need(r, BFILE_PROC, e->pid)))
		return ret;
	if ((ret = bfile_put(r->file, e->block, e->len)) < 0)
		return ret;
	bfile_mark(r->file, ref, key, e->stamp);
	return bfile_room(r->file);
}

/* An EPB whose packet is cut after its headers, in r->cut; NULL if its
 * captured length overruns the block. */
static const uint8_t *cut_packet(struct record *r, const struct pcapng_block *b,
				 size_t *len)
{
	uint32_t caplen = pcapng_u32(b, 12), keep, total;
	size_t opts = b->len - b->opts, at = 8 + EPB_FIXED;

	if (b->opts < EPB_FIXED || caplen > b->opts - EPB_FIXED)
		return NULL;
	keep = flow_headers(b->body + EPB_FIXED, caplen);
	memcpy(r->cut, b->body - 8, at);
	memcpy(r->cut + at, b->body + EPB_FIXED, keep);
	memset(r->cut + at + keep, 0, PAD4(keep) - keep);
	at += PAD4(keep);
	memcpy(r->cut + at, b->body + b->opts, opts);
	at += opts;
	total = at + 4;
	memcpy(r->cut + 4, &total, 4);
	memcpy(r->cut + 8 + 12, &keep, 4);
	memcpy(r->cut + at, &total, 4);
	*len = total;
	return r->cut;
}

static void process_block(struct record *r, const struct pcapng_block *b)
{
	uint32_t pid = pcapng_u32(b, 0), event = HONE_PROC_EXEC;
	uint64_t start = 0;
	struct pcapng_opt o;
	size_t cur = 0;

	while (pcapng_opt_next(b, &cur, &o)) {
		if (o.code == HONE_PROC_EVENT)
			event = pcapng_opt_u32(b, &o);
		else if (o.code == HONE_PROC_START)
			start = pcapng_opt_u64(b, &o);
	}
	if (event == HONE_PROC_EXIT) {
		ref_end(r, BFILE_PROC, pid);
		return;
	}
	ref_keep(r, BFILE_PROC, pid, start, 0, b);
	bfile_mark(r->file, BFILE_PROC, pid, start);
}

static int connection_block(struct record *r, const struct pcapng_block *b)
{
	uint64_t cookie = pcapng_u32(b, 0);
	uint32_t pid = pcapng_u32(b, 4), event = HONE_CONN_OPEN;
	struct pcapng_opt o;
	size_t cur = 0;

	while (pcapng_opt_next(b, &cur, &o)) {
		if (o.code == HONE_CONN_EVENT)
			event = pcapng_opt_u32(b, &o);
		else if (o.code == HONE_CONN_COOKIE)
			cookie = pcapng_opt_u64(b, &o);
	}
	if (event == HONE_CONN_CLOSE) {
		ref_end(r, BFILE_CONN, cookie);
		return 0;
	}
	ref_keep(r, BFILE_CONN, cookie, pid, pid, b);
	bfile_mark(r->file, BFILE_CONN, cookie, pid);
	return pid ? need(r, BFILE_PROC, pid) : 0;
}

static int packet_block(struct record *r, const struct pcapng_block *b)
{
	struct pcapng_opt o;
	uint64_t cookie = 0;
	uint32_t pid = 0;
	size_t cur = 0;
	int ret = 0;

	while (pcapng_opt_next(b, &cur, &o)) {
		if (o.code == HONE_EPB_PID)
			pid = pcapng_opt_u32(b, &o);
		else if (o.code == HONE_EPB_COOKIE)
			cookie = pcapng_opt_u64(b, &o);
	}
	if (pid)
		ret = need(r, BFILE_PROC, pid);
	if (!ret && cookie)
		ret = need(r, BFILE_CONN, cookie);
	return ret;
}

static int keep_header(uint8_t **copy, size_t *len,
		       const struct pcapng_block *b)
{
	uint8_t *p = malloc(b->len + 12);

	if (!p)
		return -ENOMEM;
	memcpy(p, b->body - 8, b->len + 12);
	free(*copy);
	*copy = p;
	*len = b->len + 12;
	return 0;
}

static int record_one(struct record *r, const struct pcapng_block *b)
{
	const uint8_t *raw = b->body - 8;
	size_t len = b->len + 12;
	int ret;

	switch (b->type) {
	case HONE_BT_SHB:
		/* A new section: written with its interface, before the next
		 * block that needs them. */
		bfile_new_section(r->file);
		return keep_header(&r->shb, &r->shb_len, b);
	case HONE_BT_IDB:
		bfile_new_section(r->file);
		return keep_header(&r->idb, &r->idb_len, b);
	}
	if ((ret = bfile_section(r->file)) < 0)
		return ret;
	switch (b->type) {
	case HONE_BT_PROCESS:
		process_block(r, b);
		break;
	case HONE_BT_CONNECTION:
		ret = connection_block(r, b);
		break;
	case HONE_BT_EPB:
		if (!b->known)
			break;
		ret = packet_block(r, b);
		if (r->conf.headers_only && !(raw = cut_packet(r, b, &len)))
			return -EBADMSG;
		r->st.packets++;
		break;
	}
	if (ret < 0 || (ret = bfile_put(r->file, raw, len)) < 0)
		return ret;
	return bfile_room(r->file);
}

/* Not Hone's PCAP-NG: say where, once, and skip to the next section. */
static void stream_error(struct record *r)
{
	if (!r->lost_sync)
		log_warnx("stream: %s; skipping to the next section",
			  pcapng_error(&r->rd));
	r->lost_sync = true;
	pcapng_resync(&r->rd);
}

/* Hone writes the host's byte order, and kept blocks go into whatever
 * section a later file has: a section of the other order is skipped. */
static void other_order(struct record *r)
{
	if (!r->said_order)
		log_warnx("stream: a section in the other byte order; skipped");
	r->said_order = true;
}

int record_feed(struct record *r, const void *data, size_t n)
{
	const uint8_t *p = data;
	struct pcapng_block b;
	size_t fed;
	int err = -EAGAIN, ret, first = 0;

	if (!n && pcapng_finish(&r->rd) < 0)
		stream_error(r);
	r->ended = !n;
	while (n) {
		fed = pcapng_feed(&r->rd, p, n);
		p += fed;
		n -= fed;
		while (!(err = pcapng_next(&r->rd, &b))) {
			if (b.type == HONE_BT_SHB)
				r->lost_sync = false;
			if (b.swap) {
				other_order(r);
				continue;
			}
			ret = record_one(r, &b);
			if (ret < 0) {
				bfile_lose(r->file, b.type == HONE_BT_EPB,
					   -ret);
				if (!first)
					first = ret;
			}
		}
		if (err != -EAGAIN) {
			stream_error(r);
			break;
		}
	}
	return first;
}

/* ---- rotation --------------------------------------------------------- */

/* DIR/hone-YYYYmmddTHHMMSS.uuuuuuZ.pcapng: the names sort as the files
 * follow each other; a name taken (a clock set back) takes the next
 * microsecond. */
static int next_path(struct record *r)
{
	struct timespec ts;
	struct stat st;
	char stamp[32];
	struct tm tm;
	unsigned i;

	clock_gettime(CLOCK_REALTIME, &ts);
	for (i = 0; i < 1000; i++, ts.tv_nsec += 1000) {
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
		snprintf(r->path, sizeof(r->path), "%s/hone-%s.%06ldZ.pcapng",
			 r->conf.dir, stamp, ts.tv_nsec / 1000);
		if (lstat(r->path, &st) < 0 && errno == ENOENT)
			return 0;
	}
	return -EEXIST;
}

static int open_file(struct record *r, struct bfile **out)
{
	int ret;

	if ((ret = next_path(r)) < 0)
		return ret;
	if ((ret = bfile_open(r->path, "recording", write_headers, r, out)) < 0)
		return ret;
	r->opened = time(NULL);
	r->st.files++;
	log_info("recording to %s", r->path);
	return 0;
}

bool record_due(const struct record *r)
{
	if (time(NULL) < r->retry)
		return false;
	return r->asked ||
	       (r->conf.max_size && bfile_size(r->file) >= r->conf.max_size) ||
	       (r->conf.rotate && time(NULL) - r->opened >= r->conf.rotate);
}

void record_ask(struct record *r)
{
	r->asked = true;
}

/* A file nothing came to (the netlink sensor's first, when nothing
 * happened before a rotation) holds not even a section header: it goes
 * rather than stay behind unreadable. */
static void close_file(struct bfile *f, const char *path)
{
	bool empty = bfile_size(f) == 0;

	bfile_close(f);
	if (empty && unlink(path) == 0)
		log_info("recording %s: nothing came, removed", path);
}

int record_rotate(struct record *r)
{
	char old[PATH_MAX];
	struct bfile *f;
	int ret;

	r->asked = false;
	/* What was queued belongs to the old file. */
	bfile_flush(r->file);
	memcpy(old, r->path, sizeof(old));
	if ((ret = open_file(r, &f)) < 0) {
		log_warnx("recording: no new file: %s; going on in the old one",
			  strerror(-ret));
		/* Tried again in a second: not a new section (and with
		 * hone.ko a snapshot) per read. */
		r->retry = time(NULL) + 1;
		return ret;
	}
	r->st.lost += bfile_lost(r->file);
	close_file(r->file, old);
	r->file = f;
	ref_prune(r);
	/* A file is never empty, even if nothing comes before the next
	 * rotation; unless the stream starts a section of its own. */
	if (!r->ended && bfile_section(f) == 0)
		bfile_flush(f);
	return 0;
}

int record_flush(struct record *r)
{
	return bfile_flush(r->file);
}

void record_stats(const struct record *r, struct record_stats *st)
{
	*st = r->st;
	st->lost += bfile_lost(r->file);
}

int record_open(const struct record_conf *c, struct record **out)
{
	struct record *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->conf = *c;
	if ((ret = pcapng_init(&r->rd, 0)) < 0)
		goto err_free;
	if ((ret = htab_init(&r->refs[BFILE_PROC], 1024)) < 0)
		goto err_reader;
	if ((ret = htab_init(&r->refs[BFILE_CONN], 1024)) < 0)
		goto err_procs;
	if ((ret = open_file(r, &r->file)) < 0)
		goto err_conns;
	*out = r;
	return 0;

err_conns:
	htab_free(&r->refs[BFILE_CONN]);
err_procs:
	htab_free(&r->refs[BFILE_PROC]);
err_reader:
	pcapng_free(&r->rd);
err_free:
	free(r);
	return ret;
}

void record_close(struct record *r)
{
	if (!r)
		return;
	bfile_flush(r->file);
	close_file(r->file, r->path);
	htab_clear(&r->refs[BFILE_PROC], ref_release);
	htab_clear(&r->refs[BFILE_CONN], ref_release);
	htab_free(&r->refs[BFILE_PROC]);
	htab_free(&r->refs[BFILE_CONN]);
	pcapng_free(&r->rd);
	free(r->shb);
	free(r->idb);
	free(r);
}
