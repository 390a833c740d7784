// SPDX-License-Identifier: GPL-2.0
/*
 * honeread's hone.ko source: /dev/hone's blocks, every packet and event,
 * copied as they come. A rotation asks the module for a new section
 * (HEIO_RESTART, hone(4)): the section ends with its statistics block and
 * a read of 0, which closes the file; the next section, with its header,
 * interface and a snapshot of every process and socket, starts the new
 * one. Events still in the ring are kept and follow in the new section;
 * record.c gives them the blocks they refer to.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <hone/hone.h>

#include "honeread.h"
#include "log.h"

/* How long the end of the last section may take at exit, in ms. */
#define FINISH_MS	2000
#define PASS_MAX	(4U << 20)

struct kmod {
	int fd;
	bool restarting;	/* HEIO_RESTART asked; the section ends */
	uint8_t chunk[64 * 1024];
};

static struct kmod *km_of(const struct hread *h)
{
	return h->priv;
}

/* Read what is ready, up to PASS_MAX bytes: under any flood the loop
 * sees signals and rotation between passes. Returns 1 just after a
 * section's end (the next read starts a new one), else 0 or -errno. */
static int read_some(struct hread *h)
{
	struct kmod *k = km_of(h);
	size_t got;
	ssize_t n;

	for (got = 0; got < PASS_MAX; got += n) {
		n = read(k->fd, k->chunk, sizeof(k->chunk));
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		record_feed(h->rec, k->chunk, n);
		if (!n)
			return 1;
	}
	return 0;
}

static int kmod_read(struct hread *h)
{
	struct kmod *k = km_of(h);
	int ret = read_some(h);

	if (ret != 1)
		return ret;
	/* The module ends a section only when asked to. */
	if (k->restarting)
		record_rotate(h->rec);
	k->restarting = false;
	return 0;
}

static void kmod_rotate(struct hread *h)
{
	struct kmod *k = km_of(h);

	if (k->restarting)
		return;
	if (ioctl(k->fd, HEIO_RESTART) < 0) {
		log_warn("HEIO_RESTART");
		return;
	}
	k->restarting = true;
}

/* The last section ends with the module's statistics. */
static void kmod_finish(struct hread *h)
{
	struct kmod *k = km_of(h);
	struct pollfd p = { .fd = k->fd, .events = POLLIN };
	int ret = 0;

	if (ioctl(k->fd, HEIO_RESTART) < 0)
		return;
	while (ret == 0 && poll(&p, 1, FINISH_MS) == 1)
		ret = read_some(h);
}

static int kmod_fds(struct hread *h, struct pollfd *p)
{
	p->fd = km_of(h)->fd;
	p->events = POLLIN;
	return 1;
}

static int kmod_open(struct hread *h)
{
	uint32_t snaplen = h->o->snaplen ? h->o->snaplen : HONEREAD_HEADERS;
	struct kmod *k;
	int ret;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->fd = open("/dev/hone", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0) {
		ret = -errno;
		goto err_free;
	}
	if (ioctl(k->fd, HEIO_SET_SNAPLEN, snaplen) < 0) {
		ret = -errno;
		goto err_close;
	}
	h->priv = k;
	return 0;

err_close:
	close(k->fd);
err_free:
	free(k);
	return ret;
}

static void kmod_close(struct hread *h)
{
	struct kmod *k = km_of(h);

	close(k->fd);
	free(k);
}

const struct hread_source hread_kmod = {
	.name = "hone.ko",
	.open = kmod_open,
	.close = kmod_close,
	.fds = kmod_fds,
	.read = kmod_read,
	.rotate = kmod_rotate,
	.finish = kmod_finish,
};
