// SPDX-License-Identifier: GPL-2.0
/* The sensor front: picks a backend, owns the tables, answers lookups. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exehash.h"
#include "priv.h"
#include "sensor_priv.h"

#define CONN_MAX	(1U << 18)
/* A socket nobody was found holding is searched for again after this. */
#define CONN_RETRY	(1ULL * 1000000000ULL)

uint64_t sensor_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void digest_known(struct pent *e)
{
	e->p.has_sha256 = true;
	e->p.view.sha256 = e->p.sha256;
	e->p.digest_wanted = false;
}

void sensor_hash_exe(struct sensor *s, struct pent *e)
{
	int fd, ret;

	if (!s->digests)
		return;
	fd = priv_exe_open(e->p.view.pid);
	if (fd < 0)
		return;
	/* The version is taken now, while it runs and cannot be written. */
	ret = exehash_want(s->digests, fd, &e->p.exe_key, e->p.sha256);
	e->p.digest_wanted = ret == -EINPROGRESS;
	if (!ret)
		digest_known(e);
	close(fd);
}

size_t sensor_hash_work(struct sensor *s, size_t budget)
{
	return s->digests ? exehash_work(s->digests, budget) : 0;
}

size_t sensor_hashing(const struct sensor *s)
{
	return s->digests ? exehash_jobs(s->digests) : 0;
}

int sensor_digest(struct sensor *s, const struct proc *p)
{
	/* The sensor's own entry: the caller only holds it as const. */
	struct pent *e = proc_pent(p);
	int ret;

	if (p->has_sha256)
		return 0;
	if (!p->digest_wanted || !s->digests)
		return -ENOENT;
	ret = exehash_lookup(s->digests, &p->exe_key, e->p.sha256);
	if (ret == -EINPROGRESS) {
		/* A packet waits for it: before the files nobody waits for. */
		exehash_hurry(s->digests, &p->exe_key);
		return ret;
	}
	e->p.digest_wanted = false;
	if (!ret)
		digest_known(e);
	return ret;
}

static int open_sensor(enum sensor_kind kind, int fd, bool need_sha256,
		       bool offline, struct sensor **out)
{
	struct sensor *s;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->kind = kind;
	s->ops = kind == SENSOR_KMOD ? &sensor_kmod_ops : &sensor_netlink_ops;
	s->fd = fd;
	s->grace = SENSOR_GRACE;
	s->offline = offline;
	ret = proctab_init(&s->procs);
	if (ret)
		goto err_free;
	if (offline)
		proctab_offline(s->procs);
	ret = conntab_init(s->procs, CONN_MAX, &s->conns);
	if (ret)
		goto err_procs;
	ret = s->ops->open(s);
	if (ret)
		goto err_conns;
	if (need_sha256 && (ret = sensor_hash_sha256(s)))
		goto err_ops;
	*out = s;
	return 0;

err_ops:
	s->ops->close(s);
err_conns:
	conntab_free(s->conns);
err_procs:
	proctab_free(s->procs);
err_free:
	free(s);
	return ret;
}

void sensor_close(struct sensor *s)
{
	if (!s)
		return;
	/* Connections hold processes; the tables take the orphans' entries
	 * along. */
	conntab_free(s->conns);
	proctab_free(s->procs);
	free(s->orphans);
	s->ops->close(s);
	exehash_free(s->digests);
	free(s);
}

int sensor_open(enum sensor_kind kind, bool need_sha256, struct sensor **out)
{
	if (kind == SENSOR_AUTO)
		kind = access("/dev/hone", R_OK) ? SENSOR_NETLINK : SENSOR_KMOD;
	return open_sensor(kind, -1, need_sha256, false, out);
}

int sensor_open_fd(int fd, bool need_sha256, struct sensor **out)
{
	return open_sensor(SENSOR_KMOD, fd, need_sha256, false, out);
}

int sensor_open_offline(struct sensor **out)
{
	/* No digests: they would be this host's files, not the capture's. */
	return open_sensor(SENSOR_KMOD, -1, false, true, out);
}

int sensor_hash_sha256(struct sensor *s)
{
	struct pent *e;
	int ret;

	if (s->digests)
		return 0;
	ret = exehash_init(&s->digests);
	if (ret)
		return ret;
	/* What runs already was exec'd while nothing was hashed. */
	for (e = proctab_recent(s->procs); e; e = proctab_older(s->procs, e))
		if (!e->p.exited)
			sensor_hash_exe(s, e);
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

int sensor_drain(struct sensor *s)
{
	uint64_t before = s->st.events;
	int ret = s->ops->drain(s);

	if (s->st.events != before)
		sensor_settle(s);

	/* The only place entries are freed: pointers the verdict path got
	 * stay valid until it drains again. */
	s->st.evicted += conntab_expire(s->conns, sensor_now(), s->grace);
	return ret;
}

const struct proc *sensor_proc(struct sensor *s, pid_t pid)
{
	struct pent *e = proctab_find(s->procs, pid);

	return e ? &e->p : NULL;
}

struct conn *sensor_conn(struct sensor *s, uint64_t cookie, uint32_t uid,
			 uint64_t inode)
{
	struct conn *c = conntab_find(s->conns, cookie);
	struct pent *owner;
	int ret;

	s->waits = false;
	if (c && c->proc)
		return c;
	/* hone.ko says who owns a socket before its first packet; without
	 * a socket inode there is no descriptor to look for. */
	if (!s->ops->owner || !inode)
		return NULL;
	if (!c) {
		c = conntab_set(s->conns, cookie, NULL, uid, inode);
		if (!c)
			return NULL;
	}
	if (!conntab_retry(c, sensor_now(), CONN_RETRY))
		return NULL;
	s->st.conn_misses++;
	ret = s->ops->owner(s, uid, inode, &owner);
	if (ret == -EINPROGRESS) {
		/* Asked again, not held back, when the search ends. */
		conntab_retry_now(c);
		s->waits = s->searching = true;
	}
	if (ret)
		return NULL;
	return conntab_set(s->conns, cookie, owner, uid, inode);
}

bool sensor_waits(const struct sensor *s)
{
	return s->waits;
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

void sensor_set_grace(struct sensor *s, uint64_t ns)
{
	s->grace = ns;
}

void sensor_conn_gone(struct sensor *s, uint64_t cookie)
{
	conntab_close(s->conns, cookie, sensor_now());
}

size_t sensor_conns_sweep(struct sensor *s,
			  bool (*live)(void *ctx, uint64_t cookie), void *ctx)
{
	/* hone.ko tells every close itself, of sockets of any protocol. */
	if (s->kind != SENSOR_NETLINK)
		return 0;
	return conntab_sweep(s->conns, live, ctx, sensor_now());
}

void sensor_on_flow(struct sensor *s, uint32_t netns, sensor_flow_fn fn,
		    void *ctx)
{
	s->on_flow = fn;
	s->flow_ctx = ctx;
	s->flow_netns = netns;
}

uint64_t sensor_lost(const struct sensor *s)
{
	return s->st.lost;
}

void sensor_stats(const struct sensor *s, struct sensor_stats *st)
{
	*st = s->st;
	st->procs = proctab_count(s->procs);
	st->conns = conntab_count(s->conns);
}
