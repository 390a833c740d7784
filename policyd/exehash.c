// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exehash.h"
#include "htab.h"
#include "list.h"
#include "sha256.h"

struct digest {
	struct hnode node;	/* by inode */
	struct exehash_key k;
	uint8_t sha256[32];
};

/* A file being hashed, a slice at a time. */
struct job {
	struct list link;	/* oldest first */
	struct exehash_key k;
	int fd;
	off_t off;
	struct sha256 c;
};

struct exehash {
	struct htab files;
	struct list jobs;
	size_t njobs;
};

int exehash_init(struct exehash **out)
{
	struct exehash *h;
	int ret;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	ret = htab_init(&h->files, 256);
	if (ret) {
		free(h);
		return ret;
	}
	list_init(&h->jobs);
	*out = h;
	return 0;
}

static void free_digest(struct hnode *n)
{
	free(htab_entry(n, struct digest, node));
}

static void job_end(struct exehash *h, struct job *j)
{
	list_del(&j->link);
	h->njobs--;
	close(j->fd);
	free(j);
}

void exehash_free(struct exehash *h)
{
	if (!h)
		return;
	while (!list_empty(&h->jobs))
		job_end(h, list_entry(h->jobs.next, struct job, link));
	htab_clear(&h->files, free_digest);
	htab_free(&h->files);
	free(h);
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* The file's owner can set size and mtime back (touch -r) after a write,
 * but not its ctime: every write and every utimensat() moves it. */
static bool same_version(const struct exehash_key *a,
			 const struct exehash_key *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       same_time(&a->mtime, &b->mtime) &&
	       same_time(&a->ctime, &b->ctime);
}

static struct job *job_of(const struct exehash *h,
			  const struct exehash_key *k)
{
	struct list *l;
	struct job *j;

	for (l = h->jobs.next; l != &h->jobs; l = l->next) {
		j = list_entry(l, struct job, link);
		if (same_version(&j->k, k))
			return j;
	}
	return NULL;
}

int exehash_lookup(const struct exehash *h, const struct exehash_key *k,
		   uint8_t out[32])
{
	struct hnode *n = htab_find(&h->files, k->ino);
	struct digest *d = n ? htab_entry(n, struct digest, node) : NULL;

	if (d && same_version(&d->k, k)) {
		memcpy(out, d->sha256, 32);
		return 0;
	}
	return job_of(h, k) ? -EINPROGRESS : -ENOENT;
}

size_t exehash_jobs(const struct exehash *h)
{
	return h->njobs;
}

void exehash_hurry(struct exehash *h, const struct exehash_key *k)
{
	struct job *j = job_of(h, k);

	if (!j)
		return;
	list_del(&j->link);
	list_add(&h->jobs, &j->link);
}

int exehash_want(struct exehash *h, int fd, struct exehash_key *k,
		 uint8_t out[32])
{
	struct stat st;
	struct job *j;
	int ret;

	if (fstat(fd, &st))
		return -errno;
	*k = (struct exehash_key){ .dev = st.st_dev, .ino = st.st_ino,
				   .size = st.st_size, .mtime = st.st_mtim,
				   .ctime = st.st_ctim };
	ret = exehash_lookup(h, k, out);
	if (ret != -ENOENT)
		return ret;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->fd = dup(fd);
	if (j->fd < 0) {
		ret = -errno;
		free(j);
		return ret;
	}
	j->k = *k;
	sha256_init(&j->c);
	list_add_tail(&h->jobs, &j->link);
	h->njobs++;
	return -EINPROGRESS;
}

/* One digest per inode: the version hashed last. */
static void remember(struct exehash *h, struct job *j)
{
	struct hnode *n = htab_find(&h->files, j->k.ino);
	struct digest *d = n ? htab_entry(n, struct digest, node) : NULL;

	if (!d) {
		d = calloc(1, sizeof(*d));
		if (!d)
			return;		/* not cached: hashed again */
		d->node.key = j->k.ino;
		htab_insert(&h->files, &d->node);
	}
	d->k = j->k;
	sha256_final(&j->c, d->sha256);
}

size_t exehash_work(struct exehash *h, size_t budget)
{
	uint8_t buf[65536];
	struct job *j;
	ssize_t n = 0;

	if (list_empty(&h->jobs))
		return 0;
	j = list_entry(h->jobs.next, struct job, link);
	for (; budget; budget -= (size_t)n) {
		n = pread(j->fd, buf, budget < sizeof(buf) ? budget :
			  sizeof(buf), j->off);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			break;
		sha256_update(&j->c, buf, (size_t)n);
		j->off += n;
	}
	/* The end of the file, or an error: its waiters find no digest. */
	if (budget) {
		if (n == 0)
			remember(h, j);
		job_end(h, j);
	}
	return h->njobs;
}
