/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The names behind addresses, as DNS answers to a user's sockets told
 * them: (uid, address) -> names, each until its TTL runs out. Scoped per
 * user: what one user's lookups said never names another user's
 * connection. One table serves honefw's one network namespace.
 */
#ifndef HONE_NAMES_H
#define HONE_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* A TTL is held within these (seconds): an answer of TTL 0 must outlive
 * the connect that follows it; a day-long TTL must not keep an address
 * that changed hands named for a day. */
#define NAMES_TTL_MIN	30
#define NAMES_TTL_MAX	3600
#define NAMES_MAX	8192	/* bindings, all users together */
#define NAMES_PER_ADDR	16	/* names a lookup returns at most */

struct names;

struct names_stats {
	uint64_t entries, added, refreshed, expired, evicted;
};

/* max bindings; when full the oldest learned goes first (counted). */
int names_open(size_t max, struct names **out);
void names_close(struct names *t);
/* uid's socket was told name -> addr at now (ns, monotonic) for ttl
 * seconds. 1 if the binding is new (or had expired), 0 if it was only
 * refreshed, -ENOMEM. */
int names_add(struct names *t, uint32_t uid, uint8_t family,
	      const uint8_t *addr, const char *name, uint32_t ttl,
	      uint64_t now);
/* The unexpired names of addr for uid, up to max of them into out (they
 * stay valid until the next names_add or names_expire); how many. */
size_t names_get(const struct names *t, uint32_t uid, uint8_t family,
		 const uint8_t *addr, uint64_t now, const char **out,
		 size_t max);
/* fn for every binding unexpired at now, oldest learned first. */
void names_each(const struct names *t, uint64_t now,
		void (*fn)(void *ctx, uint8_t family, const uint8_t *addr,
			   const char *name), void *ctx);
/* Free what has expired by now. */
void names_expire(struct names *t, uint64_t now);
void names_stats(const struct names *t, struct names_stats *st);

#endif /* HONE_NAMES_H */
