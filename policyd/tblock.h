/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bodies of the blocks honefw's verdict log and honeread's netlink
 * recording write from what the sensor's tables know (hone-pcapng(5)):
 * each fills a block after pcapng_begin() of its type; the caller may add
 * options and ends it.
 */
#ifndef HONE_TBLOCK_H
#define HONE_TBLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "sensor.h"

struct pcapng_builder;

/* Section Header: version 1.0, length unknown, uname(2), "Hone V appl". */
void tblock_shb(struct pcapng_builder *w, const char *appl);
/* The one raw-IP interface. */
void tblock_idb(struct pcapng_builder *w, uint32_t snaplen, const char *name,
		const char *description);
/* A process (an exec as far as readers go): path, argv, ids, start, and
 * the executable's file when known. */
void tblock_proc(struct pcapng_builder *w, const struct proc *p);
/* What tells a process block from an older one of the same process: its
 * start time and what it runs (an exec is written again, so that a replay
 * sees the new program). */
uint64_t tblock_proc_stamp(const struct proc *p);
/* An open socket with pkt's addresses, seen from this host. */
void tblock_conn(struct pcapng_builder *w, const struct conn *c,
		 const struct rules_pkt *pkt);
/* A packet of cap bytes (wire_len on the wire) stamped now: direction,
 * and its socket and process when known. */
void tblock_epb(struct pcapng_builder *w, const uint8_t *data, size_t cap,
		size_t wire_len, const struct rules_pkt *pkt,
		const struct conn *conn, const struct proc *proc);

#endif /* HONE_TBLOCK_H */
