/* SPDX-License-Identifier: GPL-2.0 */
/* Between sensor.c and its two backends, sensor_netlink.c and sensor_kmod.c. */
#ifndef HONE_SENSOR_PRIV_H
#define HONE_SENSOR_PRIV_H

#include "conntab.h"
#include "event.h"
#include "proctab.h"
#include "sensor.h"

struct sensor_ops {
	int (*open)(struct sensor *s);
	void (*close)(struct sensor *s);
	int (*drain)(struct sensor *s);
	/* Netlink only: find who holds socket inode (of that uid): 0,
	 * -ENOENT, or -EINPROGRESS while a search goes on (find_drain()). */
	int (*owner)(struct sensor *s, uint32_t uid, uint64_t inode,
		     struct pent **out);
	/* Netlink with a privileged parent: the search's answers so far; 1
	 * once it has ended. */
	int (*find_drain)(struct sensor *s);
};

struct sensor {
	enum sensor_kind kind;
	const struct sensor_ops *ops;
	int fd;
	struct proctab *procs;
	struct conntab *conns;
	struct sensor_stats st;
	uint64_t grace;			/* ns a closed connection is kept */
	struct exehash *digests;	/* while rules need sha256 */
	bool offline;			/* replay: fed blocks, no device */
	bool waits;			/* the last sensor_conn() waits */
	bool searching;			/* for an owner, until find_drain() */
	sensor_flow_fn on_flow;
	void *flow_ctx;
	uint32_t flow_netns;
	/* Processes whose parent was not known yet (a snapshot is in no
	 * particular order): linked by sensor_settle(). Held, for a few
	 * drains with events at most (a parent lost with its events never
	 * comes). */
	struct orphan {
		struct pent *e;
		unsigned drains;
	} *orphans;
	size_t norphans, orphans_cap;
	void *priv;
};

extern const struct sensor_ops sensor_netlink_ops;
extern const struct sensor_ops sensor_kmod_ops;

/* With need_sha256: the digest of what the process runs now, through
 * /proc/PID/exe (the very file, even one replaced since). */
void sensor_hash_exe(struct sensor *s, struct pent *e);
/* A backend's typed events into the tables (sensor_event.c). */
void sensor_proc_event(struct sensor *s, const struct ev_proc *ev);
void sensor_sock_event(struct sensor *s, const struct ev_sock *ev);
/* Whether the live process pid, started then (0: whenever), is known. */
bool sensor_knows(struct sensor *s, uint32_t pid, uint64_t start);
/* CLOCK_MONOTONIC, ns: connection ageing. */
uint64_t sensor_now(void);

#endif /* HONE_SENSOR_PRIV_H */
