// SPDX-License-Identifier: GPL-2.0
/* Users' names by uid: the cache, and the thread that asks NSS. */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "htab.h"
#include "unames.h"

struct uname {
	struct hnode node;	/* key: the uid */
	char *name;		/* NULL: none, or not answered yet */
	bool pending;		/* asked of the thread */
	uint64_t asked;		/* CLOCK_MONOTONIC ns */
};

/* A uid that had no name is asked again, once its events come this long
 * after: the directory may have been down, or the user added since. */
#define RETRY_NS	(10ULL * 1000000000ULL)

/* A uid asked of the thread, then its answer. */
struct ask {
	struct ask *next;
	uint32_t uid;
	char *name;
};

/* What the caller and the thread share, under lock. The thread may be
 * stuck in NSS for good (pthread_cancel() did not end a getpwuid_r()
 * blocked in open(2)): the caller then leaves it behind, and it frees
 * this if NSS ever answers. */
struct shared {
	pthread_mutex_t lock;
	pthread_cond_t asked;
	struct ask *ask, *answered;
	bool busy;		/* a lookup goes on */
	bool stop;
	bool orphan;		/* the caller has gone */
};

struct unames {
	struct htab tab;
	struct shared *sh;	/* NULL until unames_async() */
	pthread_t thread;
};

static char *lookup(uint32_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) || !res)
		return NULL;
	return strdup(pw.pw_name);
}

static void asks_free(struct ask *a)
{
	struct ask *next;

	for (; a; a = next) {
		next = a->next;
		free(a->name);
		free(a);
	}
}

static void shared_free(struct shared *sh)
{
	asks_free(sh->ask);
	asks_free(sh->answered);
	pthread_cond_destroy(&sh->asked);
	pthread_mutex_destroy(&sh->lock);
	free(sh);
}

static void *resolver(void *arg)
{
	struct shared *sh = arg;
	struct ask *a;
	bool orphan;

	pthread_mutex_lock(&sh->lock);
	while (!sh->stop) {
		if (!sh->ask) {
			pthread_cond_wait(&sh->asked, &sh->lock);
			continue;
		}
		a = sh->ask;
		sh->ask = a->next;
		sh->busy = true;
		pthread_mutex_unlock(&sh->lock);
		a->name = lookup(a->uid);
		pthread_mutex_lock(&sh->lock);
		sh->busy = false;
		a->next = sh->answered;
		sh->answered = a;
	}
	orphan = sh->orphan;
	pthread_mutex_unlock(&sh->lock);
	if (orphan)
		shared_free(sh);
	return NULL;
}

int unames_open(struct unames **out)
{
	struct unames *u = calloc(1, sizeof(*u));
	int ret;

	if (!u)
		return -ENOMEM;
	ret = htab_init(&u->tab, 64);
	if (ret) {
		free(u);
		return ret;
	}
	*out = u;
	return 0;
}

int unames_async(struct unames *u)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	int ret;

	if (!sh)
		return -ENOMEM;
	pthread_mutex_init(&sh->lock, NULL);
	pthread_cond_init(&sh->asked, NULL);
	ret = pthread_create(&u->thread, NULL, resolver, sh);
	if (ret) {
		shared_free(sh);
		return -ret;
	}
	u->sh = sh;
	return 0;
}

static void free_uname(struct hnode *n)
{
	struct uname *e = htab_entry(n, struct uname, node);

	free(e->name);
	free(e);
}

void unames_close(struct unames *u)
{
	struct shared *sh;
	bool busy;

	if (!u)
		return;
	if ((sh = u->sh)) {
		pthread_mutex_lock(&sh->lock);
		sh->stop = true;
		busy = sh->orphan = sh->busy;
		pthread_cond_signal(&sh->asked);
		pthread_mutex_unlock(&sh->lock);
		if (busy) {
			pthread_detach(u->thread);
		} else {
			pthread_join(u->thread, NULL);
			shared_free(sh);
		}
	}
	htab_clear(&u->tab, free_uname);
	htab_free(&u->tab);
	free(u);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

const char *unames_get(struct unames *u, uint32_t uid)
{
	struct hnode *n = htab_find(&u->tab, uid);
	struct uname *e = n ? htab_entry(n, struct uname, node) : NULL;
	struct ask *a = NULL;
	uint64_t now;

	if (e && (e->name || e->pending))
		return e->name;
	now = now_ns();
	if (e && now - e->asked < RETRY_NS)
		return NULL;
	if (!e) {
		if (!(e = calloc(1, sizeof(*e))))
			return NULL;
		e->node.key = uid;
		htab_insert(&u->tab, &e->node);
	}
	e->asked = now;
	if (!u->sh)
		return e->name = lookup(uid);
	if (!(a = calloc(1, sizeof(*a))))
		return NULL;
	a->uid = uid;
	e->pending = true;
	pthread_mutex_lock(&u->sh->lock);
	a->next = u->sh->ask;
	u->sh->ask = a;
	pthread_cond_signal(&u->sh->asked);
	pthread_mutex_unlock(&u->sh->lock);
	return NULL;
}

void unames_collect(struct unames *u,
		    void (*fn)(void *ctx, uint32_t uid, const char *name),
		    void *ctx)
{
	struct ask *a, *next;
	struct hnode *n;
	struct uname *e;

	if (!u->sh)
		return;
	pthread_mutex_lock(&u->sh->lock);
	a = u->sh->answered;
	u->sh->answered = NULL;
	pthread_mutex_unlock(&u->sh->lock);
	for (; a; a = next) {
		next = a->next;
		n = htab_find(&u->tab, a->uid);
		e = htab_entry(n, struct uname, node);
		e->pending = false;
		if (a->name) {
			e->name = a->name;
			fn(ctx, a->uid, e->name);
		}
		free(a);
	}
}
