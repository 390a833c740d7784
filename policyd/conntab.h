/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The owners' connection table (owner.h): socket cookie -> owner. An
 * entry holds its owner's process entry. Closed sockets stay a while
 * (TIME_WAIT, late packets); the least recently used go when it is full.
 */
#ifndef HONE_CONNTAB_H
#define HONE_CONNTAB_H

#include <stdbool.h>
#include <stdint.h>

#include "proctab.h"

struct conntab;

int conntab_init(struct proctab *procs, size_t max, struct conntab **out);
void conntab_free(struct conntab *t);
size_t conntab_count(const struct conntab *t);

/* Found entries move to the front of the LRU list. */
struct conn *conntab_find(struct conntab *t, uint64_t cookie);
/* Adds or updates; owner may be NULL (no owner known yet). */
struct conn *conntab_set(struct conntab *t, uint64_t cookie,
			 struct pent *owner, uint32_t uid, uint64_t inode);
/* For an entry without owner: true at most once per interval, so a
 * socket nobody is found for is not searched for at every packet. */
bool conntab_retry(struct conn *c, uint64_t now, uint64_t interval);
/* The next conntab_retry() is true: the search did not happen yet. */
void conntab_retry_now(struct conn *c);
void conntab_close(struct conntab *t, uint64_t cookie, uint64_t now);
/* Close every open entry live(ctx, cookie) denies; returns how many. */
size_t conntab_sweep(struct conntab *t, bool (*live)(void *ctx, uint64_t cookie),
		     void *ctx, uint64_t now);
/* Forget sockets closed before now - grace, and the least recently used
 * beyond max (returns how many of those). Frees process entries: only
 * between batches. */
size_t conntab_expire(struct conntab *t, uint64_t now, uint64_t grace);

#endif /* HONE_CONNTAB_H */
