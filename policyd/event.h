/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a sensor tells the owners (owner.h) of processes and sockets,
 * typed: hone.ko's process and connection blocks as read, or a proc
 * connector event with what /proc said of it. Both sensors' events go
 * into the tables one way (owner_event.c); the sensors do all the reading
 * and hashing, the owners none.
 */
#ifndef HONE_EVENT_H
#define HONE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exehash.h"
#include "rules.h"
#include "sensor.h"

enum ev_proc_kind {
	EV_FORK,	/* a new process: its parent's image, unless path */
	EV_EXEC,	/* what it runs now (a snapshot's process too) */
	EV_IDS,		/* its effective uid or gid changed */
	EV_EXIT,
};

/* What the sensor hashed of the executable a process runs. */
struct ev_digest {
	struct exehash_key key;	/* the version that runs */
	bool known;		/* sha256 is its digest */
	bool wanted;		/* it is still being hashed */
	uint8_t sha256[32];
};

struct ev_proc {
	enum ev_proc_kind kind;
	uint32_t pid;
	uint64_t start;			/* ns since boot; 0: not given */
	bool has_ppid;
	uint32_t ppid;
	uint64_t ppid_start;		/* 0: not given */
	/* What runs: path NULL if not given; file NULL if not known.
	 * foreign: the path does not lead to that file here (sensor_claim()):
	 * it is only a claim. */
	const char *path;
	const struct exe_file *file;
	bool foreign;
	const char *argv;		/* NUL-separated */
	size_t argvlen;
	const struct ev_digest *digest;	/* with path; NULL: none */
	/* On an exec, the #! script it ran (NULL: none), as path. */
	const char *script;
	const struct exe_file *script_file;
	bool script_foreign;
	const char *cgroup;		/* NULL: not given */
	uint64_t cgroup_id;
	uint64_t image;			/* hone.ko's number of the fork's or
					 * exec's image; 0: not given */
	bool has_uid, has_gid;
	uint32_t uid, gid;
	const char *user;		/* with has_uid: uid's name, or NULL */
};

enum ev_sock_kind {
	EV_SOCK_OPEN,	/* created or accepted by pid */
	EV_SOCK_FLOW,	/* a new 5-tuple of the socket, before its packet */
	EV_SOCK_CLOSE,
};

struct ev_sock {
	enum ev_sock_kind kind;
	uint64_t cookie;
	uint32_t pid, uid;
	uint64_t inode;			/* 0 before accept() */
	uint32_t netns;			/* /proc/PID/ns/net's inode */
	struct rules_pkt addrs;		/* a flow's family, proto and ends */
	bool whole;			/* both ends given */
	bool listen;			/* the flow of a listener */
};

#endif /* HONE_EVENT_H */
