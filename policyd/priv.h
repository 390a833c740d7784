/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Privilege separation, OpenBSD style. Once started, honefw forks: the
 * parent stays root with what reading other users' /proc entries needs,
 * and answers a few typed requests over a socketpair; the child, the
 * engine (queue, packets, rules, nftables), runs as a user of its own
 * with CAP_NET_ADMIN alone, under a seccomp filter. The engine names no
 * path: the parent opens only what it was started with. Without a parent
 * (unit tests, honeread, replays) each request is done in-process.
 */
#ifndef HONE_PRIV_H
#define HONE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rules.h"

#define PRIV_USER	"_honefw"

struct priv_conf {
	const char *user;	/* the engine's */
	const char *config;	/* rules.ini */
	const char *log;	/* the verdict log, or NULL */
	const char *metrics;	/* the Prometheus text file, or NULL */
	const char *socket;	/* the control socket, removed at the end */
	rules_report_fn report;	/* what is wrong with a rule file */
};

/* A socket among a process's descriptors. */
struct priv_sock {
	int32_t fd;
	uint64_t ino;
};

/* Forks. Returns 0 in the child, the engine, its uid, capabilities and
 * system calls cut down; the parent serves it while it runs and then
 * exits as it did. A negative errno if nothing was forked. */
int priv_split(const struct priv_conf *c);

/* The link /proc/PID/exe and the file it reaches: the path's length. */
ssize_t priv_exe(uint32_t pid, char *path, size_t size, dev_t *dev,
		 ino_t *ino);
/* /proc/PID/exe opened for reading: the very file the process runs. */
int priv_exe_open(uint32_t pid);
/* A descriptor of a process. */
struct priv_fdref {
	uint32_t pid;
	int32_t fd;
};
#define PRIV_REFS_MAX	64
/* Which of the n descriptors, the first in their order, holds socket
 * ino: its index, or -ENOENT. One request, n at most PRIV_REFS_MAX. */
int priv_probe(uint64_t ino, const struct priv_fdref *refs, size_t n);
/* Every socket among pid's descriptors, in *v (malloc'd); without a
 * parent only (with one, priv_find()). */
int priv_socks(uint32_t pid, struct priv_sock **v, size_t *n);
/* The verdict log at path opened for appending (O_NOFOLLOW, 0600, not
 * blocking): what policyd/bfile.c then checks. */
int priv_log_open(const char *path);
/* nf_conntrack_acct switched on, for flow export. */
int priv_acct_on(void);
/* What fd holds, from its start, replaces path (renamed into place,
 * 0644: node_exporter reads it). */
int priv_metrics(const char *path, int fd);
/* rules_load() of path: the parent reads the files, the engine parses. */
int priv_rules(const char *path, rules_report_fn report, void *ctx,
	       struct rules **out);
/* The same in two steps, the second on any thread (names go through NSS,
 * which may hang): the files of the parent's configuration read (*fd, and
 * the count of those refused in *errors; -1 with no parent: path is read
 * by the second step), then parsed, fd closed. */
int priv_rules_read(int *fd, unsigned *errors);
int priv_rules_parse(const char *path, int fd, unsigned errors,
		     rules_report_fn report, void *ctx, struct rules **out);

/* Searches, with a parent only: the parent reads the descriptors of the
 * processes pids, in that order, until one holds socket inode, and sends
 * each process's sockets as it goes; the engine's requests are answered
 * in between. One at a time; PRIV_FIND_MAX pids at most (the rest are
 * not searched). */
#define PRIV_FIND_MAX	16384
struct priv_found {
	uint32_t pid;
	const struct priv_sock *socks;
	size_t n;
	bool gone;		/* could not be read: exited */
};
/* What to poll for the answers; -1 without a parent. */
int priv_find_fd(void);
int priv_find(uint64_t inode, const uint32_t *pids, size_t n);
/* fn for each process read so far: 1 once the search has ended, else 0. */
int priv_find_read(void (*fn)(void *ctx, const struct priv_found *f),
		   void *ctx);

#endif /* HONE_PRIV_H */
