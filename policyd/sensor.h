/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sensors that tell honefw of processes and sockets: hone.ko's
 * /dev/hone stream, or the netlink sensor (proc connector, /proc at exec,
 * sock_diag) where the module is not loaded. Both tell the owners
 * (owner.h) typed events, and hash executables for sha256 rules; the
 * owners hold the processes and sockets defined here.
 */
#ifndef HONE_SENSOR_H
#define HONE_SENSOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "exehash.h"
#include "rules.h"

enum sensor_kind {
	SENSOR_AUTO,	/* kmod if /dev/hone exists, else netlink */
	SENSOR_KMOD,
	SENSOR_NETLINK,
};

/* One process. view is what the matcher reads; view.parent points into
 * the parent's entry (kept alive while children reference it). */
struct proc {
	struct rules_proc view;
	uint64_t start;		/* start time, ns since boot; 0 if unknown */
	/* The path the process claims (as its mount namespace and root show
	 * it). Unless it names the very file that runs in honefw's own mount
	 * namespace, it is foreign: logged as a claim, view.exe is NULL and no
	 * path key matches. */
	char *exe;
	bool foreign;
	uint64_t exe_dev, exe_ino;	/* the file that runs; 0 if unknown */
	/* A #! script, known only from hone.ko: as exe, foreign unless the
	 * path leads to the very file here. */
	char *script;
	bool script_foreign;
	uint64_t script_dev, script_ino;
	char *cgroup;		/* v2 path; NULL if unknown */
	uint64_t cgroup_id;	/* hone.ko's; 0 if unknown */
	char *unit;
	char *cmdline;
	const char *user;	/* name of uid, for logs; NULL if none */
	uint8_t sha256[32];
	bool has_sha256;
	/* The executable's version whose digest is wanted: it may still be
	 * being hashed (sensor_digest()). */
	bool digest_wanted;
	struct exehash_key exe_key;
	/* hone.ko's number of the image it runs (each exec and fork has its
	 * own), 0 if not known; and a digest of the verdict given ahead for
	 * that image (sensor_prejudge(), ahead.c), 0 if none. */
	uint64_t image;
	uint64_t ahead;
	bool exited;
};

/* An executable as the kernel knows it (stat(2)'s encoding). */
struct exe_file {
	uint64_t dev, ino;
};

/* One socket, keyed by its cookie. */
struct conn {
	uint64_t cookie;
	uint32_t pid;		/* owner: creator or acceptor */
	uint32_t uid;
	uint64_t inode;
	uint64_t packets;	/* packets judged so far (the nth key) */
	bool closed;
	const struct proc *proc;	/* the owner (pid may be reused) */
};

struct sensor;
struct owners;

/* A sensor that tells o. need_sha256: hash executables at exec
 * (rules_need_sha256()). */
int sensor_open(enum sensor_kind kind, bool need_sha256, struct owners *o,
		struct sensor **out);
/* The kmod sensor's reader on another Hone PCAP-NG stream: a saved
 * capture, a non-blocking pipe (tests, replay). Once this succeeds the
 * sensor owns fd. */
int sensor_open_fd(int fd, bool need_sha256, struct owners *o,
		   struct sensor **out);
/* Replay: no device, fed a capture's blocks by sensor_feed(). The
 * capture's word on which file runs is taken, and no file of this host is
 * looked at, nor hashed. */
int sensor_open_offline(struct owners *o, struct sensor **out);
struct pcapng_block;
/* One block of a Hone capture (hone.ko's stream or honefw's verdict log)
 * told to the owners, as the hone.ko sensor reads it live; packets are
 * skipped, but those passed by a verdict given ahead, told to
 * sensor_on_prejudged()'s fn. A run of them ends at owners_settle(). */
void sensor_feed(struct sensor *s, const struct pcapng_block *b);
void sensor_close(struct sensor *s);
/* Hash executables from now on (a reload brought sha256 rules), starting
 * with those of the processes that run already. */
int sensor_hash_sha256(struct sensor *s);
/* Users' names are looked up on a thread from now on (after fork()), so
 * that a directory slow to answer holds up no verdict; until a name
 * comes, its user's processes are named by uid. */
int sensor_names_async(struct sensor *s);
/* Executables are hashed a slice at a time, never all at once at exec:
 * hash up to budget bytes; returns how many files are still to finish. */
size_t sensor_hash_work(struct sensor *s, size_t budget);
/* How many files are still to finish. */
size_t sensor_hashing(const struct sensor *s);
/* Tells the owners p's digest if it is known by now. 0 when p has one;
 * -EINPROGRESS while its executable is still being hashed; else negative:
 * it will have none (no sha256 rules, or hashing failed) and matches no
 * sha256 key. */
int sensor_digest(struct sensor *s, const struct proc *p);
/* Tells the owners every digest hashed by now that a live process waits
 * for (sensor_digest() tells one when a packet asks): for their verdicts
 * given ahead, once a file is done. */
void sensor_digests_done(struct sensor *s);
/* "auto", "kmod" or "netlink"; -EINVAL for anything else. */
int sensor_parse(const char *name, enum sensor_kind *out);
enum sensor_kind sensor_kind(const struct sensor *s);
/* A descriptor to poll for readability; then call sensor_drain(). */
int sensor_fd(const struct sensor *s);
/* Read every pending event without blocking and tell the owners, as one
 * run of events at now (CLOCK_MONOTONIC ns: the verdict path's clock).
 * Returns the number of events or a negative errno. */
int sensor_drain(struct sensor *s, uint64_t now);
/* sensor_drain() after a poll(2) of sensor_fd() said whether anything
 * waits: if not, the read is left out, the rest is done all the same. */
int sensor_drain_polled(struct sensor *s, uint64_t now, bool readable);
/* CLOCK_MONOTONIC, ns. */
uint64_t sensor_now(void);

/* Whether the netlink sensor's privileged parent is searching /proc for
 * a socket's owner (owners_conn()'s finder): its packets wait for the
 * search's end. The search's answers: a descriptor to poll (-1: no
 * searches), and reading them; 1 once the search has ended. */
bool sensor_searching(const struct sensor *s);
int sensor_find_fd(const struct sensor *s);
int sensor_find_drain(struct sensor *s);

/* Verdicts given ahead (hone.h): from now on, hone.ko sets the ctmark of
 * the range of r (n of them, at most HONE_PREJUDGE_RANGES) its remote port
 * is in on the conntrack entry of each outgoing TCP connection a socket of
 * p's image (and of its euid) opens, lets the SYN pass unqueued and tells
 * fn of it (sensor_on_prejudged()); n 0 ends the verdict. -ESRCH: p runs
 * another image now, or is gone; -EOPNOTSUPP: not hone.ko's device. */
struct hone_prejudge_range;
int sensor_prejudge(struct sensor *s, const struct proc *p,
		    const struct hone_prejudge_range *r, size_t n);
/* Every verdict given ahead ends. */
int sensor_prejudge_clear(struct sensor *s);
/* A packet hone.ko let pass by a verdict given ahead. */
struct sensor_prejudged {
	const uint8_t *data;	/* from the IP header */
	size_t len, wire_len;	/* captured (the reader's snaplen), sent */
	uint64_t cookie;	/* its socket */
	uint32_t ctmark;	/* the mark the verdict set */
};
typedef void (*sensor_prejudged_fn)(void *ctx,
				    const struct sensor_prejudged *pj);
/* fn(ctx, pj) for each, as it comes in the stream: after the events
 * that came before it, in the middle of a run of them (owner.h). */
void sensor_on_prejudged(struct sensor *s, sensor_prejudged_fn fn, void *ctx);

/* Counters for --stats and the tests. */
struct sensor_stats {
	uint64_t events, lost;
	uint64_t conn_misses;	/* netlink: searches for a socket's owner */
	uint64_t unread;	/* netlink: gone before /proc was read */
	uint64_t fd_scans;	/* netlink: /proc/PID/fd directories read */
	uint64_t fd_probes;	/* netlink: owners found at a known descriptor */
};
void sensor_stats(const struct sensor *s, struct sensor_stats *st);

#endif /* HONE_SENSOR_H */
