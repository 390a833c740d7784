/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What honefw knows of processes and sockets, and the sensors that tell it:
 * hone.ko's /dev/hone stream, or the netlink sensor (proc connector, /proc
 * at exec, sock_diag) where the module is not loaded. Both fill the same
 * tables; the verdict path only reads them.
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
	char *user;		/* name of uid, for logs; NULL if none */
	uint8_t sha256[32];
	bool has_sha256;
	/* The executable's version whose digest is wanted: it may still be
	 * being hashed (sensor_digest()). */
	bool digest_wanted;
	struct exehash_key exe_key;
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

/* need_sha256: hash executables at exec (rules_need_sha256()). */
int sensor_open(enum sensor_kind kind, bool need_sha256, struct sensor **out);
/* The kmod sensor's reader on another Hone PCAP-NG stream: a saved
 * capture, a non-blocking pipe (tests, replay). Once this succeeds the
 * sensor owns fd. */
int sensor_open_fd(int fd, bool need_sha256, struct sensor **out);
/* Replay: the tables with no device, fed a capture's blocks by
 * sensor_feed(). The capture's word on which file runs is taken and no file
 * of this host is looked at (nor hashed: no process has a digest). */
int sensor_open_offline(struct sensor **out);
struct pcapng_block;
/* One block of a Hone capture (hone.ko's stream or honefw's verdict log)
 * into the tables, as the hone.ko sensor reads it live; packets are
 * skipped. */
void sensor_feed(struct sensor *s, const struct pcapng_block *b);
/* After a run of events (a drain): link the processes whose parent came
 * after them (a snapshot is in no order). */
void sensor_settle(struct sensor *s);
void sensor_close(struct sensor *s);
/* Hash executables from now on (a reload brought sha256 rules), starting
 * with those of the processes that run already. */
int sensor_hash_sha256(struct sensor *s);
/* Executables are hashed a slice at a time, never all at once at exec:
 * hash up to budget bytes; returns how many files are still to finish. */
size_t sensor_hash_work(struct sensor *s, size_t budget);
/* How many files are still to finish. */
size_t sensor_hashing(const struct sensor *s);
/* Fills in p's digest if it is known by now. 0 when p has one; -EINPROGRESS
 * while its executable is still being hashed; else negative: it will have
 * none (no sha256 rules, or hashing failed) and matches no sha256 key. */
int sensor_digest(struct sensor *s, const struct proc *p);
/* "auto", "kmod" or "netlink"; -EINVAL for anything else. */
int sensor_parse(const char *name, enum sensor_kind *out);
enum sensor_kind sensor_kind(const struct sensor *s);
/* A descriptor to poll for readability; then call sensor_drain(). */
int sensor_fd(const struct sensor *s);
/* Read every pending event into the tables without blocking.
 * Returns the number of events or a negative errno. */
int sensor_drain(struct sensor *s);

/* What sensor_proc() and sensor_conn() return stays valid until the next
 * sensor_drain(), the only call that frees entries. */
const struct proc *sensor_proc(struct sensor *s, pid_t pid);
/* The socket with this cookie. For the netlink sensor, the caller passes
 * what sock_diag said (uid, inode) so the owner can be found on a miss;
 * hone.ko has already told the owner. NULL when no owner is known. */
struct conn *sensor_conn(struct sensor *s, uint64_t cookie, uint32_t uid,
			 uint64_t inode);
/* Whether the last sensor_conn() returned NULL because the netlink
 * sensor's privileged parent is searching /proc (for that socket or
 * another): its packet may wait for the search's end, then ask again. */
bool sensor_waits(const struct sensor *s);
/* The search's answers: a descriptor to poll (-1: no searches), and
 * reading them; 1 once the search has ended. */
int sensor_find_fd(const struct sensor *s);
int sensor_find_drain(struct sensor *s);
bool sensor_searching(const struct sensor *s);
/* sock_diag says the socket is destroyed (the netlink sensor has no close
 * event of its own). */
void sensor_conn_gone(struct sensor *s, uint64_t cookie);
/* How long a closed connection still names its process, for packets of
 * it judged late (TIME_WAIT is 60 s); SENSOR_GRACE unless set. */
#define SENSOR_GRACE	(120ULL * 1000000000ULL)
void sensor_set_grace(struct sensor *s, uint64_t ns);
/* Destroy notices were lost: close the connections live(ctx, cookie)
 * denies (netlink sensor: all its connections are TCP and UDP sockets
 * sock_diag found). Returns how many. */
size_t sensor_conns_sweep(struct sensor *s,
			  bool (*live)(void *ctx, uint64_t cookie), void *ctx);
/* hone.ko tells, before any filter sees a TCP or UDP packet, the socket
 * it belongs to whenever its 5-tuple is new for that socket: fn hears it
 * at a drain (pkt: the 5-tuple part, seen from this host), for packets of
 * the network namespace whose /proc/PID/ns/net inode is netns.
 * provisional: a listener, or a connection not accepted yet, stands in
 * for the socket accept() will give. */
typedef void (*sensor_flow_fn)(void *ctx, const struct rules_pkt *pkt,
			       const struct conn *c, bool provisional);
void sensor_on_flow(struct sensor *s, uint32_t netns, sensor_flow_fn fn,
		    void *ctx);
/* Events the sensor lost so far (its ring full, the module's own). */
uint64_t sensor_lost(const struct sensor *s);

/* Counters for --stats and the tests. */
struct sensor_stats {
	uint64_t events, lost, procs, conns, conn_misses;
	uint64_t evicted;	/* open connections forgotten: table full */
	uint64_t unread;	/* netlink: gone before /proc was read */
	uint64_t fd_scans;	/* netlink: /proc/PID/fd directories read */
	uint64_t fd_probes;	/* netlink: owners found at a known descriptor */
};
void sensor_stats(const struct sensor *s, struct sensor_stats *st);

#endif /* HONE_SENSOR_H */
