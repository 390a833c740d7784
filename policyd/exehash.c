// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exehash.h"
#include "htab.h"
#include "sha256.h"

struct digest {
	struct hnode node;	/* by inode */
	dev_t dev;
	off_t size;
	struct timespec mtime, ctime;
	uint8_t sha256[32];
};

struct exehash {
	struct htab files;
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
	*out = h;
	return 0;
}

static void free_digest(struct hnode *n)
{
	free(htab_entry(n, struct digest, node));
}

void exehash_free(struct exehash *h)
{
	if (!h)
		return;
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
static bool same_file(const struct digest *d, const struct stat *st)
{
	return d->dev == st->st_dev && d->size == st->st_size &&
	       same_time(&d->mtime, &st->st_mtim) &&
	       same_time(&d->ctime, &st->st_ctim);
}

int exehash_fd(struct exehash *h, int fd, uint8_t out[32])
{
	struct digest *d;
	struct hnode *n;
	struct stat st;
	int ret;

	if (fstat(fd, &st))
		return -errno;
	n = htab_find(&h->files, st.st_ino);
	d = n ? htab_entry(n, struct digest, node) : NULL;
	if (!d) {
		d = calloc(1, sizeof(*d));
		if (!d)
			return -ENOMEM;
		d->node.key = st.st_ino;
		d->size = -1;
		htab_insert(&h->files, &d->node);
	}
	if (!same_file(d, &st)) {
		d->size = -1;	/* invalid until hashed */
		ret = sha256_fd(fd, d->sha256);
		if (ret)
			return ret;
		d->dev = st.st_dev;
		d->size = st.st_size;
		d->mtime = st.st_mtim;
		d->ctime = st.st_ctim;
	}
	memcpy(out, d->sha256, 32);
	return 0;
}
