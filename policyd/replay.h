/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replay: a recorded Hone capture (honefw's verdict log, or hone.ko's
 * stream as saved from /dev/hone) read offline, its process and connection
 * blocks into the tables the daemon keeps (sensor_feed), and each packet
 * handed on with the process and socket the daemon would have found for it
 * and its index in its connection. Needs no privilege and no device.
 */
#ifndef HONE_REPLAY_H
#define HONE_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "sensor.h"

/* One packet of a capture. Valid during the callback only. */
struct replay_pkt {
	const char *file;
	uint64_t offset;		/* of its block in the file */
	const char *host;		/* the section's host id, else file */
	bool parsed;			/* false: not IP that honefw parses */
	struct rules_pkt pkt;		/* nth as the daemon counted it */
	const struct proc *proc;	/* NULL: no known process */
	uint64_t cookie;		/* its socket; 0: none recorded */
	uint32_t wire_len;
};

typedef void (*replay_fn)(void *ctx, const struct replay_pkt *p);

struct replay_stats {
	uint64_t files, packets, unparsable, events;
};

/* Replay the capture at path, each packet to fn, counting into st. 0 at
 * its end; else a negative errno and "FILE: offset N: what" in err: the
 * packets before the damage were handed on. */
int replay_file(const char *path, replay_fn fn, void *ctx,
		struct replay_stats *st, char *err, size_t errlen);

#endif /* HONE_REPLAY_H */
