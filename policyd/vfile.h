/* SPDX-License-Identifier: GPL-2.0 */
/* The verdict log's PCAP-NG file (vlog.c decides what goes in it). */
#ifndef HONE_VFILE_H
#define HONE_VFILE_H

#include "vlog.h"

struct vfile;

/* Appends a new section to path, created 0600; refuses (and says why) a
 * symbolic link, or a file that is not a regular file of the euid's with
 * one link and no access for group or others. path must outlive f. */
int vfile_open(const char *path, struct vfile **out);
void vfile_close(struct vfile *f);
/* The packet's process (with its ancestors) and connection blocks on first
 * sight in the section, then its Enhanced Packet Block with comment.
 * -errno: the entry was lost (counted). */
int vfile_packet(struct vfile *f, const struct vlog_entry *e,
		 const char *comment);
/* A Name Resolution Block: addr (AF_INET or AF_INET6) is name. */
int vfile_name(struct vfile *f, uint8_t family, const uint8_t *addr,
	       const char *name);
/* Write what is queued, whole blocks only. -errno: it could not be (the
 * entries lost are counted; the first failure and the recovery are said,
 * and the count is written to the file when writing works again). */
int vfile_flush(struct vfile *f);
/* Entries written since the open, and lost. */
void vfile_stats(const struct vfile *f, uint64_t *written, uint64_t *lost);

#endif /* HONE_VFILE_H */
