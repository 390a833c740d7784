/* SPDX-License-Identifier: GPL-2.0 */
/*
 * honefw's control socket: a Unix stream socket, root's, mode 0600, where
 * honefw --status asks ("status\n" or "status json\n") and reads the
 * answer to its end. The daemon serves it from its event loop without
 * ever blocking: a client that does not ask, or does not read, costs a
 * slot and memory for CTL_TIMEOUT_MS, then is closed.
 */
#ifndef HONE_CTL_H
#define HONE_CTL_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CTL_SOCKET	"/run/hone/honefw.sock"
#define CTL_CLIENTS	8
#define CTL_TIMEOUT_MS	5000
/* Descriptors ctl_pollfds() may fill. */
#define CTL_POLLFDS	(1 + CTL_CLIENTS)

struct ctl;

/* Writes the answer to a request to f: 0, or -errno. */
typedef int (*ctl_answer_fn)(void *ctx, bool json, FILE *f);

/* Listen at path (its directory made, 0755, if missing). A socket left
 * by a dead honefw is replaced; one another honefw answers at is not
 * (-EADDRINUSE), nor anything else at path (-EEXIST). */
int ctl_open(const char *path, struct ctl **out);
/* Closes the clients and removes the socket. */
void ctl_close(struct ctl *c);
/* Fills pfd (CTL_POLLFDS at most) and returns how many. */
size_t ctl_pollfds(const struct ctl *c, struct pollfd *pfd);
/* After poll: accept, read requests, write answers, as far as each goes
 * without blocking; close what is done or past its time (now: monotonic
 * nanoseconds). */
void ctl_serve(struct ctl *c, const struct pollfd *pfd, size_t n,
	       uint64_t now, ctl_answer_fn answer, void *ctx);

/* honefw --status: ask, and copy the answer to out. 0, or -errno. */
int ctl_query(const char *path, bool json, FILE *out);

#endif /* HONE_CTL_H */
