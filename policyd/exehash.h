/* SPDX-License-Identifier: GPL-2.0 */
/* Executables' SHA-256 digests, computed once per file version: a busy
 * host execs the same few binaries over and over. A file is hashed a slice
 * at a time (exehash_work()) so that a large one never holds up the
 * verdict path; whoever waits for it asks again. */
#ifndef HONE_EXEHASH_H
#define HONE_EXEHASH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A file version: what its owner cannot set back (ctime) included. */
struct exehash_key {
	uint64_t dev, ino;
	int64_t size;
	struct timespec mtime, ctime;
};

struct exehash;

int exehash_init(struct exehash **out);
void exehash_free(struct exehash *h);
/* The key of the file open at fd into k, and its digest into out if known
 * (0). Else -EINPROGRESS: it is being hashed (a job for it starts now if
 * none runs). */
int exehash_want(struct exehash *h, int fd, struct exehash_key *k,
		 uint8_t out[32]);
/* The digest of version k: 0; -EINPROGRESS while it is being hashed;
 * -ENOENT if it is not (hashing failed, or another version replaced it). */
int exehash_lookup(const struct exehash *h, const struct exehash_key *k,
		   uint8_t out[32]);
/* How many files are being hashed. */
size_t exehash_jobs(const struct exehash *h);
/* Someone waits for version k: its job goes first. */
void exehash_hurry(struct exehash *h, const struct exehash_key *k);
/* Hash up to budget bytes of the first job. Returns how many jobs are
 * left. */
size_t exehash_work(struct exehash *h, size_t budget);

#endif /* HONE_EXEHASH_H */
