// SPDX-License-Identifier: GPL-2.0
/* The sensor front: picks a backend, hashes executables, tells the owners. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exehash.h"
#include "priv.h"
#include "sensor_priv.h"
#include "unames.h"

uint64_t sensor_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

bool sensor_hash_exe(struct sensor *s, uint32_t pid, struct ev_digest *d)
{
	int fd, ret;

	if (!s->digests)
		return false;
	fd = priv_exe_open(pid);
	if (fd < 0)
		return false;
	/* The version is taken now, while it runs and cannot be written. */
	ret = exehash_want(s->digests, fd, &d->key, d->sha256);
	d->wanted = ret == -EINPROGRESS;
	d->known = !ret;
	close(fd);
	return true;
}

/* Identity is the file: a bind mount in a mount namespace of the process's
 * own, a chroot, a file replaced since exec all make a path say what does
 * not run. The claim holds only if, here in honefw's (the host's) mount
 * namespace, the path leads to the very file. Offline, the files are
 * another host's or another time's: the capture named the file (and did
 * not mark the path foreign), or the claim does not hold. */
bool sensor_claim(const struct sensor *s, const char *path,
		  const struct exe_file *f)
{
	struct stat st;

	if (s->offline)
		return f != NULL;
	return f && !stat(path, &st) && (uint64_t)st.st_dev == f->dev &&
	       (uint64_t)st.st_ino == f->ino;
}

const char *sensor_user(struct sensor *s, uint32_t uid)
{
	return unames_get(s->names, uid);
}

int sensor_names_async(struct sensor *s)
{
	return unames_async(s->names);
}

/* A name looked up since: the processes of that uid so far had none. */
static void named(void *ctx, uint32_t uid, const char *name)
{
	struct sensor *s = ctx;

	owners_named(s->owners, uid, name);
}

void sensor_tell_proc(struct sensor *s, const struct ev_proc *ev)
{
	if (owners_proc_event(s->owners, ev))
		s->st.lost++;
}

void sensor_tell_sock(struct sensor *s, const struct ev_sock *ev)
{
	if (owners_sock_event(s->owners, ev))
		s->st.lost++;
}

void sensor_on_prejudged(struct sensor *s, sensor_prejudged_fn fn, void *ctx)
{
	s->prejudged = fn;
	s->prejudged_ctx = ctx;
}

size_t sensor_hash_work(struct sensor *s, size_t budget)
{
	return s->digests ? exehash_work(s->digests, budget) : 0;
}

size_t sensor_hashing(const struct sensor *s)
{
	return s->digests ? exehash_jobs(s->digests) : 0;
}

/* sensor_digest(); hurry: a packet waits for it. */
static int digest_of(struct sensor *s, const struct proc *p, bool hurry)
{
	struct ev_digest d = { .key = p->exe_key };
	int ret;

	if (p->has_sha256)
		return 0;
	if (!p->digest_wanted || !s->digests)
		return -ENOENT;
	ret = exehash_lookup(s->digests, &p->exe_key, d.sha256);
	if (ret == -EINPROGRESS) {
		/* Before the files nobody waits for. */
		if (hurry)
			exehash_hurry(s->digests, &p->exe_key);
		return ret;
	}
	d.known = !ret;
	owners_digest(s->owners, p, &d);
	return ret;
}

int sensor_digest(struct sensor *s, const struct proc *p)
{
	return digest_of(s, p, true);
}

void sensor_digests_done(struct sensor *s)
{
	const struct proc *p;

	for (p = owners_recent(s->owners); p; p = owners_older(s->owners, p))
		if (!p->exited)
			digest_of(s, p, false);
}

static int open_sensor(enum sensor_kind kind, int fd, bool need_sha256,
		       bool offline, struct owners *o, struct sensor **out)
{
	struct sensor *s;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->kind = kind;
	s->ops = kind == SENSOR_KMOD ? &sensor_kmod_ops : &sensor_netlink_ops;
	s->fd = fd;
	s->owners = o;
	s->offline = offline;
	ret = unames_open(&s->names);
	if (ret)
		goto err_free;
	ret = s->ops->open(s);
	if (ret)
		goto err_unames;
	if (need_sha256 && (ret = sensor_hash_sha256(s)))
		goto err_ops;
	*out = s;
	return 0;

err_ops:
	s->ops->close(s);
err_unames:
	unames_close(s->names);
err_free:
	free(s);
	return ret;
}

void sensor_close(struct sensor *s)
{
	if (!s)
		return;
	s->ops->close(s);
	exehash_free(s->digests);
	unames_close(s->names);
	free(s);
}

int sensor_open(enum sensor_kind kind, bool need_sha256, struct owners *o,
		struct sensor **out)
{
	if (kind == SENSOR_AUTO)
		kind = access("/dev/hone", R_OK) ? SENSOR_NETLINK : SENSOR_KMOD;
	return open_sensor(kind, -1, need_sha256, false, o, out);
}

int sensor_open_fd(int fd, bool need_sha256, struct owners *o,
		   struct sensor **out)
{
	return open_sensor(SENSOR_KMOD, fd, need_sha256, false, o, out);
}

int sensor_open_offline(struct owners *o, struct sensor **out)
{
	/* No digests: they would be this host's files, not the capture's. */
	return open_sensor(SENSOR_KMOD, -1, false, true, o, out);
}

int sensor_hash_sha256(struct sensor *s)
{
	const struct proc *p;
	struct ev_digest d;
	int ret;

	if (s->digests)
		return 0;
	ret = exehash_init(&s->digests);
	if (ret)
		return ret;
	/* What runs already was exec'd while nothing was hashed. */
	for (p = owners_recent(s->owners); p; p = owners_older(s->owners, p))
		if (!p->exited && sensor_hash_exe(s, p->view.pid, &d))
			owners_digest(s->owners, p, &d);
	return 0;
}

int sensor_parse(const char *name, enum sensor_kind *out)
{
	static const char *const names[] = {
		[SENSOR_AUTO] = "auto",
		[SENSOR_KMOD] = "kmod",
		[SENSOR_NETLINK] = "netlink",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(name, names[i])) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

enum sensor_kind sensor_kind(const struct sensor *s)
{
	return s->kind;
}

int sensor_fd(const struct sensor *s)
{
	return s->fd;
}

int sensor_drain_polled(struct sensor *s, uint64_t now, bool readable)
{
	int ret = 0;

	owners_begin(s->owners, now);
	unames_collect(s->names, named, s);
	if (readable)
		ret = s->ops->drain(s);
	owners_settle(s->owners, s->st.lost);
	return ret;
}

int sensor_drain(struct sensor *s, uint64_t now)
{
	return sensor_drain_polled(s, now, true);
}

int sensor_find_fd(const struct sensor *s)
{
	return s->ops->find_drain ? priv_find_fd() : -1;
}

int sensor_find_drain(struct sensor *s)
{
	int ret = s->ops->find_drain ? s->ops->find_drain(s) : 0;

	if (ret > 0)
		s->searching = false;
	return ret;
}

bool sensor_searching(const struct sensor *s)
{
	return s->searching;
}

void sensor_stats(const struct sensor *s, struct sensor_stats *st)
{
	*st = s->st;
}
