/* SPDX-License-Identifier: GPL-2.0 */
/* The verdict log's PCAP-NG file (vlog.c decides what goes in it). */
#ifndef HONE_VFILE_H
#define HONE_VFILE_H

#include "vlog.h"

struct vfile;

int vfile_open(const char *path, struct vfile **out);
void vfile_close(struct vfile *f);
/* The packet's process (with its ancestors) and connection blocks on first
 * sight, then its Enhanced Packet Block with comment. */
int vfile_packet(struct vfile *f, const struct vlog_entry *e,
		 const char *comment);
/* Write what is buffered: whole blocks only. */
int vfile_flush(struct vfile *f);

#endif /* HONE_VFILE_H */
