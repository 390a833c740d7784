// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket. The daemon's side never blocks: the listening socket
 * and every client are non-blocking, a request is read as it comes, the
 * answer is rendered whole into memory when asked and written as far as
 * the client's socket takes it at each poll. A client that asks nothing
 * or reads nothing is closed after CTL_TIMEOUT_MS; beyond CTL_CLIENTS at
 * once, a new client is closed unanswered (only root can connect).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "honefw.h"
#include "log.h"

#define REQ_MAX		64

struct client {
	int fd;			/* -1: a free slot */
	uint64_t deadline;
	char req[REQ_MAX];
	size_t reqlen;
	char *out;		/* the answer, once asked */
	size_t len, off;
};

struct ctl {
	const char *path;
	int fd;
	dev_t dev;		/* the socket file made, removed at close */
	ino_t ino;		/* only if it is still there */
	struct client cl[CTL_CLIENTS];
};

static int addr_of(const char *path, struct sockaddr_un *sa)
{
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	strcpy(sa->sun_path, path);
	return 0;
}

/* /run/hone for the default path: /run is a fresh tmpfs at each boot. */
static int make_dir(const char *path)
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) == 0)
		return chmod(dir, 0755) < 0 ? -errno : 0;	/* the umask */
	return errno == EEXIST ? 0 : -errno;
}

/* What is at path: nothing; a socket no one answers at (a dead honefw's:
 * removed); a live honefw's (-EADDRINUSE); anything else (-EEXIST). */
static int clear_path(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	if (ret < 0)
		ret = -errno;
	close(fd);
	/* A full backlog (EAGAIN) is someone's live socket too. */
	if (ret == 0 || ret == -EAGAIN)
		return -EADDRINUSE;
	return unlink(path) < 0 ? -errno : 0;
}

int ctl_open(const char *path, struct ctl **out)
{
	struct sockaddr_un sa;
	struct stat st;
	struct ctl *c;
	mode_t mask;
	int ret, i;

	if ((ret = addr_of(path, &sa)) < 0 || (ret = make_dir(path)) < 0 ||
	    (ret = clear_path(path, &sa)) < 0)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->path = path;
	for (i = 0; i < CTL_CLIENTS; i++)
		c->cl[i].fd = -1;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		ret = -errno;
		goto err_free;
	}
	/* 0600 from the start: no moment when others could connect. */
	mask = umask(0177);
	ret = bind(c->fd, (const struct sockaddr *)&sa, sizeof(sa));
	umask(mask);
	if (ret < 0 || stat(path, &st) < 0) {
		ret = -errno;
		goto err_close;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	/* Room for more than are served: the rest are closed at once. */
	if (listen(c->fd, 4 * CTL_CLIENTS) < 0) {
		ret = -errno;
		goto err_unlink;
	}
	*out = c;
	return 0;

err_unlink:
	unlink(path);
err_close:
	close(c->fd);
err_free:
	free(c);
	return ret;
}

static void client_close(struct client *cl)
{
	close(cl->fd);
	free(cl->out);
	*cl = (struct client){ .fd = -1 };
}

void ctl_close(struct ctl *c)
{
	struct stat st;
	int i;

	if (!c)
		return;
	for (i = 0; i < CTL_CLIENTS; i++)
		if (c->cl[i].fd >= 0)
			client_close(&c->cl[i]);
	/* Not a socket a later honefw has put there since. */
	if (stat(c->path, &st) == 0 && st.st_dev == c->dev &&
	    st.st_ino == c->ino)
		unlink(c->path);
	close(c->fd);
	free(c);
}

size_t ctl_pollfds(const struct ctl *c, struct pollfd *pfd)
{
	size_t n = 0;
	int i;

	pfd[n++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
	for (i = 0; i < CTL_CLIENTS; i++)
		if (c->cl[i].fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = c->cl[i].fd,
				.events = c->cl[i].out ? POLLOUT : POLLIN };
	return n;
}

/* As much as the client's socket takes now; closed when all is out. */
static void client_write(struct client *cl)
{
	ssize_t n;

	while (cl->off < cl->len) {
		n = send(cl->fd, cl->out + cl->off, cl->len - cl->off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0)
			break;
		cl->off += n;
	}
	client_close(cl);
}

/* The whole answer, rendered now: a consistent snapshot, whenever the
 * client reads it. An unknown request is closed unanswered. */
static void client_answer(struct client *cl, ctl_answer_fn answer, void *ctx)
{
	bool json = !strcmp(cl->req, "status json");
	FILE *f;
	int ret;

	if (!json && strcmp(cl->req, "status")) {
		client_close(cl);
		return;
	}
	f = open_memstream(&cl->out, &cl->len);
	if (!f) {
		client_close(cl);
		return;
	}
	ret = answer(ctx, json, f);
	if (fclose(f) || ret < 0 || !cl->out) {
		client_close(cl);
		return;
	}
	client_write(cl);
}

static void client_read(struct client *cl, ctl_answer_fn answer, void *ctx)
{
	ssize_t n = read(cl->fd, cl->req + cl->reqlen,
			 sizeof(cl->req) - 1 - cl->reqlen);
	char *nl;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(cl);
		return;
	}
	cl->reqlen += n;
	cl->req[cl->reqlen] = '\0';
	nl = strchr(cl->req, '\n');
	if (nl) {
		*nl = '\0';
		client_answer(cl, answer, ctx);
	} else if (cl->reqlen == sizeof(cl->req) - 1) {
		client_close(cl);
	}
}

static struct client *client_of(struct ctl *c, int fd)
{
	int i;

	for (i = 0; i < CTL_CLIENTS; i++)
		if (c->cl[i].fd == fd)
			return &c->cl[i];
	return NULL;
}

static void accept_all(struct ctl *c, uint64_t now)
{
	struct client *cl;
	int fd;

	while ((fd = accept4(c->fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		cl = client_of(c, -1);
		if (!cl) {
			close(fd);
			continue;
		}
		*cl = (struct client){
			.fd = fd,
			.deadline = now + CTL_TIMEOUT_MS * 1000000ULL,
		};
	}
}

void ctl_serve(struct ctl *c, const struct pollfd *pfd, size_t n,
	       uint64_t now, ctl_answer_fn answer, void *ctx)
{
	struct client *cl;
	size_t i;

	for (i = 1; i < n; i++) {
		if (!pfd[i].revents || !(cl = client_of(c, pfd[i].fd)))
			continue;
		if (cl->out)
			client_write(cl);
		else
			client_read(cl, answer, ctx);
	}
	if (n && pfd[0].revents)
		accept_all(c, now);
	for (i = 0; i < CTL_CLIENTS; i++)
		if (c->cl[i].fd >= 0 && now >= c->cl[i].deadline)
			client_close(&c->cl[i]);
}

int ctl_query(const char *path, bool json, FILE *out)
{
	const char *req = json ? "status json\n" : "status\n";
	struct timeval tv = { .tv_sec = CTL_TIMEOUT_MS / 1000 };
	struct sockaddr_un sa;
	char buf[4096];
	size_t got = 0;
	ssize_t n;
	int fd, ret;

	if ((ret = addr_of(path, &sa)) < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, req, strlen(req)) < 0) {
		ret = -errno;
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, n, out);
		got += n;
	}
	/* Closed unanswered: honefw has CTL_CLIENTS others to serve. */
	ret = n < 0 ? -errno : got ? 0 : -EBUSY;
out:
	close(fd);
	return ret;
}

int status_main(const char *path, bool json)
{
	int ret = ctl_query(path, json, stdout);

	if (ret < 0) {
		fprintf(stderr, "honefw: %s: %s%s\n", path, strerror(-ret),
			ret == -ENOENT || ret == -ECONNREFUSED ?
			" (is honefw running?)" : "");
		return 1;
	}
	return fflush(stdout) ? 1 : 0;
}
