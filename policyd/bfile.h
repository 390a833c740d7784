/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A PCAP-NG file that is an audit trail: the verdict log (vfile.c) and
 * honeread's recordings (record.c). Appended to; blocks are built whole in
 * a buffer and written whole, a write cut short (a full disk) is cut back
 * to its last whole block, and the entries lost are counted, said, and
 * recorded in the file when writing works again. Each section stands
 * alone: the blocks later ones refer to (section header, interface,
 * process and connection blocks) are remembered per section, and lost
 * with a failed write, so the caller writes them again.
 */
#ifndef HONE_BFILE_H
#define HONE_BFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bfile;
struct pcapng_builder;

/* What a section refers to: processes by (pid, start), sockets by
 * (cookie, pid). */
enum bfile_ref {
	BFILE_PROC,
	BFILE_CONN,
};

/* Queues the section's header and interface blocks (bfile_begin()). */
typedef int (*bfile_headers_fn)(struct bfile *f, void *ctx);

/* Appends to path, created 0600; refuses (and says why) a symbolic link,
 * or a file that is not a regular file of the euid's with one link and no
 * access for group or others. what names the file in messages ("verdict
 * log"); path and what must outlive f. No block is queued yet. */
int bfile_open(const char *path, const char *what, bfile_headers_fn headers,
	       void *ctx, struct bfile **out);
/* Flushes, says what was lost, closes. */
void bfile_close(struct bfile *f);

/* Start a block after what is queued; end it with bfile_end(). */
struct pcapng_builder *bfile_begin(struct bfile *f, uint32_t type);
/* 0: queued; -EMSGSIZE: too big, dropped. */
int bfile_end(struct bfile *f);
/* Queue a whole block built elsewhere (len a multiple of 4). */
int bfile_put(struct bfile *f, const void *block, size_t len);

/* Queue the headers unless the section has them; a section whose
 * remembered references reach a bound starts anew, so memory stays
 * bounded. Then bfile_seen() is false for everything. */
int bfile_section(struct bfile *f);
/* The next bfile_section() starts a new section. */
void bfile_new_section(struct bfile *f);
bool bfile_seen(const struct bfile *f, enum bfile_ref ref, uint64_t key,
		uint64_t stamp);
/* Queued in this section: written again if it is lost before the file. */
void bfile_mark(struct bfile *f, enum bfile_ref ref, uint64_t key,
		uint64_t stamp);

/* n entries never made it into the queue (counted as lost). */
void bfile_lose(struct bfile *f, uint64_t n, int err);
/* Flush if the next block might not fit. */
int bfile_room(struct bfile *f);
/* Write what is queued, whole blocks only. -errno: it could not be (the
 * entries lost are counted; the first failure and the recovery are said,
 * and the count is written to the file when writing works again). */
int bfile_flush(struct bfile *f);
/* Bytes in the file (appended to it since the open, and what was there). */
uint64_t bfile_size(const struct bfile *f);
/* Entries lost since the open. */
uint64_t bfile_lost(const struct bfile *f);

#endif /* HONE_BFILE_H */
