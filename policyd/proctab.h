/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The owners' process table (owner.h): pid -> the current process with
 * that pid. A process is replaced when its pid is reused (a new fork with
 * that pid), and an exited one is kept while children or connections hold
 * it, so pedigrees and late packets still resolve; then it is freed.
 */
#ifndef HONE_PROCTAB_H
#define HONE_PROCTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "htab.h"
#include "list.h"
#include "sensor.h"

struct pent {
	struct proc p;
	char *argv;		/* NUL-separated, as the log writes it */
	size_t argvlen;
	struct hnode node;	/* by pid, while it is the current one */
	struct list link;	/* every entry, most recently active first */
	unsigned refs;		/* live + children + connections */
	struct list kids;	/* the entries whose parent it is, */
	struct list sibling;	/* ... linked by this */
	/* On the owners' list of processes a run of events changed
	 * (owner_priv.h); linked to itself when not. */
	struct list changed;
	bool hashed;
};

struct proctab;

int proctab_init(struct proctab **out);
void proctab_free(struct proctab *t);
size_t proctab_count(const struct proctab *t);

struct pent *proctab_find(const struct proctab *t, uint32_t pid);
/* Entries from the most recently forked, exec'd or touched on; NULL at
 * the end. */
struct pent *proctab_recent(const struct proctab *t);
struct pent *proctab_older(const struct proctab *t, const struct pent *e);
void proctab_touch(struct proctab *t, struct pent *e);

/* A new process, replacing any current one with this pid. With a parent
 * it starts as a copy of it (a forked child runs its parent's image). */
struct pent *proctab_new(struct proctab *t, uint32_t pid, uint64_t start,
			 struct pent *parent);
/* At start-up, /proc is read before parents are known: link them after. */
void proctab_adopt(struct pent *child, struct pent *parent);
/* What exec tells: argv NUL-separated (len bytes); exe may be NULL, file
 * is what runs (NULL if unknown). foreign: the path does not lead to that
 * file here, as the sensor found (sensor_claim()): it is only a claim,
 * and no path key matches it. */
int proctab_exec(struct proctab *t, struct pent *e, const char *exe,
		 const struct exe_file *file, bool foreign, const char *argv,
		 size_t len);
/* The #! script an exec ran (NULL: none), file what it is (NULL if not
 * known), foreign as exe's. */
int proctab_script(struct pent *e, const char *script,
		   const struct exe_file *file, bool foreign);
/* The cgroup v2 path the process is in (NULL if unknown), id hone.ko's. */
int proctab_cgroup(struct pent *e, const char *path, uint64_t id);
/* user: uid's name, as the sensor looked it up (NULL: none). */
void proctab_set_ids(struct proctab *t, struct pent *e, uint32_t uid,
		     uint32_t gid, const char *user);
void proctab_exit(struct proctab *t, struct pent *e);

void proctab_get(struct pent *e);
void proctab_put(struct proctab *t, struct pent *e);

static inline struct pent *proc_pent(const struct proc *p)
{
	return htab_entry(p, struct pent, p);
}

#endif /* HONE_PROCTAB_H */
