// SPDX-License-Identifier: GPL-2.0
/* A reload's rule set, parsed on a thread of its own (loader.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"
#include "priv.h"

/* Shared with the thread under lock once it runs. Left behind, the thread
 * frees it itself (pthread_cancel() does not end a lookup blocked in
 * open(2): unames.c). */
struct loader {
	pthread_mutex_t lock;
	pthread_t thread;
	int pipe[2];		/* a byte once done */
	bool done, orphan;
	char *path;
	int fd;			/* the parent's files, or -1 */
	unsigned errors;
	rules_report_fn report;
	void *ctx;
	struct rules *rs;
	int ret;
};

static void loader_free(struct loader *l)
{
	if (l->fd >= 0)
		close(l->fd);
	if (l->pipe[0] >= 0) {
		close(l->pipe[0]);
		close(l->pipe[1]);
	}
	rules_free(l->rs);
	pthread_mutex_destroy(&l->lock);
	free(l->path);
	free(l);
}

/* Nothing is said once the caller has gone (its log may be closing). */
static void say(void *ctx, const char *file, unsigned line, bool warning,
		const char *msg)
{
	struct loader *l = ctx;

	pthread_mutex_lock(&l->lock);
	if (!l->orphan)
		l->report(l->ctx, file, line, warning, msg);
	pthread_mutex_unlock(&l->lock);
}

static void *parse(void *arg)
{
	struct loader *l = arg;
	struct rules *rs = NULL;
	bool orphan;
	int ret;

	ret = priv_rules_parse(l->path, l->fd, l->errors, say, l, &rs);
	pthread_mutex_lock(&l->lock);
	l->fd = -1;
	l->rs = ret ? NULL : rs;
	l->ret = ret;
	l->done = true;
	orphan = l->orphan;
	/* One byte into an empty pipe: it cannot fail. */
	if (!orphan)
		(void)!write(l->pipe[1], "", 1);
	pthread_mutex_unlock(&l->lock);
	if (orphan)
		loader_free(l);
	return NULL;
}

int loader_start(const char *path, rules_report_fn report, void *ctx,
		 struct loader **out)
{
	struct loader *l = calloc(1, sizeof(*l));
	int ret;

	if (!l)
		return -ENOMEM;
	l->fd = l->pipe[0] = l->pipe[1] = -1;
	l->report = report;
	l->ctx = ctx;
	pthread_mutex_init(&l->lock, NULL);
	if (!(l->path = strdup(path))) {
		ret = -ENOMEM;
		goto err;
	}
	if (pipe2(l->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		ret = -errno;
		goto err;
	}
	if ((ret = priv_rules_read(&l->fd, &l->errors)) < 0)
		goto err;
	if ((ret = -pthread_create(&l->thread, NULL, parse, l)))
		goto err;
	*out = l;
	return 0;

err:
	loader_free(l);
	return ret;
}

int loader_fd(const struct loader *l)
{
	return l->pipe[0];
}

static bool loader_done(struct loader *l)
{
	bool done;

	pthread_mutex_lock(&l->lock);
	done = l->done;
	pthread_mutex_unlock(&l->lock);
	return done;
}

int loader_end(struct loader *l, struct rules **out)
{
	int ret;

	if (!loader_done(l))
		return -EAGAIN;
	pthread_join(l->thread, NULL);
	ret = l->ret;
	if (!ret) {
		*out = l->rs;
		l->rs = NULL;
	}
	loader_free(l);
	return ret;
}

void loader_abandon(struct loader *l)
{
	bool done;

	if (!l)
		return;
	pthread_mutex_lock(&l->lock);
	done = l->done;
	l->orphan = !done;
	pthread_mutex_unlock(&l->lock);
	if (done) {
		pthread_join(l->thread, NULL);
		loader_free(l);
	} else {
		pthread_detach(l->thread);
	}
}
