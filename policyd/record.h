/* SPDX-License-Identifier: GPL-2.0 */
/*
 * honeread's recording: a Hone PCAP-NG stream (from /dev/hone, or built
 * from the netlink sensor and NFLOG) into files DIR/hone-TIME.pcapng that
 * rotate by size and by age. Each file stands alone: it starts with a
 * section header and interface, and before any block that refers to a
 * process or socket comes that process's or socket's block, again if an
 * earlier file had it (the last block of each is kept for this).
 */
#ifndef HONE_RECORD_H
#define HONE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bfile.h"

struct record;

struct record_conf {
	const char *dir;
	uint64_t max_size;	/* bytes; 0: no limit */
	unsigned rotate;	/* seconds; 0: no limit */
	bool headers_only;	/* packets cut after their transport header */
};

/* Opens the first file. */
int record_open(const struct record_conf *c, struct record **out);
/* Flushes and closes the file. */
void record_close(struct record *r);
/* The next n bytes of the stream, in any split: whole blocks are
 * recorded as they complete. n == 0 says the stream (or /dev/hone's
 * section) ended there. A malformed stream is said once and skipped to
 * the next section. */
int record_feed(struct record *r, const void *data, size_t n);
/* Whether a process (pid, start) or socket (cookie, pid) has a block
 * kept: a source building blocks from tables need not build it again. */
bool record_knows(const struct record *r, enum bfile_ref ref, uint64_t key,
		  uint64_t stamp);
/* The file is full or old enough, or a rotation was asked for. */
bool record_due(const struct record *r);
/* SIGHUP: the next record_due() is true. */
void record_ask(struct record *r);
/* Close the file and go on in a new one; one that cannot be opened keeps
 * the old file (and says so). */
int record_rotate(struct record *r);
int record_flush(struct record *r);
/* Files opened, packets recorded and lost, since record_open(). */
struct record_stats {
	uint64_t files, packets, lost, uncached;
};
void record_stats(const struct record *r, struct record_stats *st);

#endif /* HONE_RECORD_H */
