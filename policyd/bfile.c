// SPDX-License-Identifier: GPL-2.0
/*
 * A PCAP-NG file that is an audit trail (bfile.h). The file is appended
 * to, and every open starts a section that stands alone (its own headers,
 * and again every process and connection block its packets refer to), so
 * restarts and rotation keep what was written and each file reads on its
 * own. A write cut short (a full disk) is cut back to its last whole
 * block, and the entries that could not be written are counted, said when
 * writing works again, and recorded in the file as the isb_ifdrop of an
 * Interface Statistics block.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hone/hone.h>

#include "bfile.h"
#include "htab.h"
#include "log.h"
#include "pcapng.h"
#include "priv.h"

/* The largest block, and room for two: one building after one queued. */
#define BLOCK_SIZE	HONE_BLOCK_MAX
#define OUT_SIZE	(2 * HONE_BLOCK_MAX)
/* Processes and sockets a section remembers having written: past this a
 * new section starts (and stands alone), so memory stays bounded. */
#define SEEN_MAX	65536

struct seen {
	struct hnode node;	/* pid or cookie */
	uint64_t stamp;		/* process start time, or the socket's pid */
};

struct bfile {
	const char *path, *what;
	bfile_headers_fn headers;
	void *ctx;
	int fd;
	uint64_t size;		/* bytes in the file */
	off_t good;		/* where a torn file must be cut back to */
	bool torn;		/* cutting back failed: retried first */
	bool section;		/* its SHB and IDB are written or queued */
	struct htab refs[2];	/* enum bfile_ref: written or queued */
	int err;		/* the write error in force, 0 when writing */
	uint64_t lost;		/* entries not written since the open */
	uint64_t unsaid;	/* of them, since writing last worked */
	struct pcapng_builder w;	/* over out; w.len bytes are queued */
	uint8_t out[OUT_SIZE];
};

static uint32_t u32at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Blocks are built in place after what is queued; bfile_room() keeps
 * BLOCK_SIZE free for the next one. */
struct pcapng_builder *bfile_begin(struct bfile *f, uint32_t type)
{
	f->w.cap = f->w.len + BLOCK_SIZE;
	pcapng_begin(&f->w, type);
	return &f->w;
}

int bfile_end(struct bfile *f)
{
	int ret = pcapng_end(&f->w);

	/* Over BLOCK_SIZE: the block is too big, not the disk full. */
	return ret == -ENOSPC ? -EMSGSIZE : ret < 0 ? ret : 0;
}

int bfile_put(struct bfile *f, const void *block, size_t len)
{
	if (len > BLOCK_SIZE || len % 4)
		return -EMSGSIZE;
	memcpy(f->out + f->w.len, block, len);
	f->w.len += len;
	return 0;
}

bool bfile_seen(const struct bfile *f, enum bfile_ref ref, uint64_t key,
		uint64_t stamp)
{
	struct hnode *n = htab_find(&f->refs[ref], key);

	return n && htab_entry(n, struct seen, node)->stamp == stamp;
}

void bfile_mark(struct bfile *f, enum bfile_ref ref, uint64_t key,
		uint64_t stamp)
{
	struct hnode *n = htab_find(&f->refs[ref], key);
	struct seen *s;

	if (n) {
		s = htab_entry(n, struct seen, node);
	} else {
		s = calloc(1, sizeof(*s));
		if (!s)
			return;	/* written again later: harmless */
		s->node.key = key;
		htab_insert(&f->refs[ref], &s->node);
	}
	s->stamp = stamp;
}

static void free_seen(struct hnode *n)
{
	free(htab_entry(n, struct seen, node));
}

static void forget(struct bfile *f)
{
	htab_clear(&f->refs[BFILE_PROC], free_seen);
	htab_clear(&f->refs[BFILE_CONN], free_seen);
}

void bfile_new_section(struct bfile *f)
{
	f->section = false;
}

int bfile_section(struct bfile *f)
{
	int ret;

	if (f->section && f->refs[BFILE_PROC].n + f->refs[BFILE_CONN].n <
			  SEEN_MAX)
		return 0;
	forget(f);
	if ((ret = f->headers(f, f->ctx)) < 0)
		return ret;
	f->section = true;
	return 0;
}

/* The first entry lost since writing worked is said; the rest counted. */
void bfile_lose(struct bfile *f, uint64_t n, int err)
{
	if (!f->err)
		log_warnx("%s %s: %s: counting the entries lost until it can "
			  "be written again", f->what, f->path, strerror(err));
	f->err = err;
	f->lost += n;
	f->unsaid += n;
}

/* Where the file may end once n queued bytes reached it: after the last
 * whole block, and never after a Section Header without its interface. */
static size_t whole(const struct bfile *f, size_t n)
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
static void lose_blocks(struct bfile *f, size_t off, int err)
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
	if (referred)
		forget(f);
	f->w.len = 0;
	bfile_lose(f, n, err);
}

/* A write cut short left part of a block at the file's end: nothing may
 * follow it. */
static int cut(struct bfile *f)
{
	f->torn = ftruncate(f->fd, f->good) < 0;
	if (!f->torn)
		f->size = f->good;
	return f->torn ? -errno : 0;
}

static int write_queued(struct bfile *f)
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
		f->size += n;
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

/* After entries were lost: how many, in the file where they are missing.
 * Headers lost with them come first (nothing else is queued then). */
static int write_stats(struct bfile *f)
{
	struct pcapng_builder *w;
	char note[160];
	int ret;

	if ((ret = bfile_section(f)) < 0)
		return ret;
	w = bfile_begin(f, HONE_BT_ISB);
	pcapng_put32(w, 0);		/* interface */
	pcapng_put_now(w);
	pcapng_opt64(w, HONE_ISB_IFDROP, f->lost);
	snprintf(note, sizeof(note), "%s: %" PRIu64 " entries lost before "
		 "this block: %s", f->what, f->unsaid, strerror(f->err));
	pcapng_opt_utf8(w, HONE_OPT_COMMENT, note, strlen(note));
	return bfile_end(f);
}

int bfile_flush(struct bfile *f)
{
	uint64_t unsaid = f->unsaid;
	int ret;

	/* Failing, each flush tries again, and what proves writing works
	 * is the count of what was lost. */
	if (f->err && (ret = write_stats(f)) < 0)
		return ret;
	if ((ret = write_queued(f)) < 0 || !f->err)
		return ret;
	log_warnx("%s %s: written again: %" PRIu64 " entries lost", f->what,
		  f->path, unsaid);
	f->err = 0;
	f->unsaid = 0;
	return 0;
}

int bfile_room(struct bfile *f)
{
	return sizeof(f->out) - f->w.len < BLOCK_SIZE ? bfile_flush(f) : 0;
}

uint64_t bfile_size(const struct bfile *f)
{
	return f->size + f->w.len;
}

uint64_t bfile_lost(const struct bfile *f)
{
	return f->lost;
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

/* A file no one else can read, or swap for a file of theirs: a regular
 * file of root's (who opened it: honefw's parent, or honeread), its only
 * link, no access for group or others. */
static int check(struct bfile *f)
{
	struct stat st;
	char why[96] = "";

	if (fstat(f->fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		snprintf(why, sizeof(why), "not a regular file");
	else if (st.st_uid != 0)
		snprintf(why, sizeof(why), "owned by uid %u; expected root",
			 (unsigned)st.st_uid);
	else if (st.st_nlink != 1)
		snprintf(why, sizeof(why), "%ju links; expected 1",
			 (uintmax_t)st.st_nlink);
	else if (st.st_mode & 077)
		snprintf(why, sizeof(why), "mode %04o; expected no access for "
			 "group or others (0600)", st.st_mode & 07777);
	if (*why) {
		log_warnx("%s %s: refused: %s", f->what, f->path, why);
		return -EPERM;
	}
	f->size = st.st_size;
	return 0;
}

int bfile_open(const char *path, const char *what, bfile_headers_fn headers,
	       void *ctx, struct bfile **out)
{
	struct bfile *f;
	int ret;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->path = path;
	f->what = what;
	f->headers = headers;
	f->ctx = ctx;
	f->fd = priv_log_open(path);
	if (f->fd < 0) {
		ret = f->fd;
		log_warnx("%s %s: %s", what, path, open_error(-ret));
		goto err_free;
	}
	f->w.buf = f->out;
	if ((ret = check(f)) < 0)
		goto err_close;
	if ((ret = htab_init(&f->refs[BFILE_PROC], 256)) < 0)
		goto err_close;
	if ((ret = htab_init(&f->refs[BFILE_CONN], 256)) < 0)
		goto err_procs;
	*out = f;
	return 0;

err_procs:
	htab_free(&f->refs[BFILE_PROC]);
err_close:
	close(f->fd);
err_free:
	free(f);
	return ret;
}

void bfile_close(struct bfile *f)
{
	if (!f)
		return;
	bfile_flush(f);
	if (f->unsaid)
		log_warnx("%s %s: closed: %" PRIu64 " entries lost", f->what,
			  f->path, f->unsaid);
	forget(f);
	htab_free(&f->refs[BFILE_CONN]);
	htab_free(&f->refs[BFILE_PROC]);
	close(f->fd);
	free(f);
}
