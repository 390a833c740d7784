/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Users' names by uid, each looked up once. NSS may ask a directory (sssd,
 * LDAP) that takes seconds to answer, or never does: the lookups of a
 * live sensor run on a thread of their own, and the verdicts that follow
 * a new user's first process do not wait for its name.
 */
#ifndef HONE_UNAMES_H
#define HONE_UNAMES_H

#include <stdint.h>

struct unames;

/* Names are looked up in unames_get() itself, until unames_async(). */
int unames_open(struct unames **out);
/* From now on, on a thread of this process's (start it after fork()). */
int unames_async(struct unames *u);
/* A lookup that does not answer is left behind, not waited for. */
void unames_close(struct unames *u);
/* uid's name; NULL if it has none, or while its lookup goes on: the name
 * comes from unames_collect() then. A uid with none is asked again when
 * this is called 10 s after the last lookup or more. */
const char *unames_get(struct unames *u, uint32_t uid);
/* fn for each name looked up since the last call. */
void unames_collect(struct unames *u,
		    void (*fn)(void *ctx, uint32_t uid, const char *name),
		    void *ctx);

#endif /* HONE_UNAMES_H */
