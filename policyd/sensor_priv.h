/* SPDX-License-Identifier: GPL-2.0 */
/* Between sensor.c and its two backends, sensor_netlink.c and sensor_kmod.c. */
#ifndef HONE_SENSOR_PRIV_H
#define HONE_SENSOR_PRIV_H

#include "event.h"
#include "htab.h"
#include "owner.h"
#include "sensor.h"

struct sensor_ops {
	int (*open)(struct sensor *s);
	void (*close)(struct sensor *s);
	int (*drain)(struct sensor *s);
	/* Netlink with a privileged parent: the search's answers so far; 1
	 * once it has ended. */
	int (*find_drain)(struct sensor *s);
};

struct sensor {
	enum sensor_kind kind;
	const struct sensor_ops *ops;
	int fd;
	struct owners *owners;		/* told every event */
	struct sensor_stats st;
	struct exehash *digests;	/* while rules need sha256 */
	bool offline;			/* replay: fed blocks, no device */
	bool searching;			/* for an owner, until find_drain() */
	struct unames *names;		/* users' */
	sensor_prejudged_fn prejudged;	/* hone.ko: packets passed ahead */
	void *prejudged_ctx;
	void *priv;
};

extern const struct sensor_ops sensor_netlink_ops;
extern const struct sensor_ops sensor_kmod_ops;

/* With need_sha256: the digest of what process pid runs now, through
 * /proc/PID/exe (the very file, even one replaced since), into d; false
 * if it is not hashed. */
bool sensor_hash_exe(struct sensor *s, uint32_t pid, struct ev_digest *d);
/* Whether path leads here to the very file f that runs (NULL: not
 * known); else the path is only a claim. */
bool sensor_claim(const struct sensor *s, const char *path,
		  const struct exe_file *f);
/* uid's name, looked up once; NULL if it has none, or until the lookup
 * answers (the owners are then told: sensor_drain()). */
const char *sensor_user(struct sensor *s, uint32_t uid);
/* Tell the owners; an event they could not take counts as lost. */
void sensor_tell_proc(struct sensor *s, const struct ev_proc *ev);
void sensor_tell_sock(struct sensor *s, const struct ev_sock *ev);

#endif /* HONE_SENSOR_PRIV_H */
