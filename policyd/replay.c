// SPDX-License-Identifier: GPL-2.0
/*
 * Replay's reader. The daemon drains the sensor before it judges a batch,
 * so every event written before a packet is known when the packet is
 * judged; here the blocks come in the order they were written, and a run
 * of events ends (owners_settle(), as a drain ends) at the next packet.
 * The hone.ko sensor reads the same blocks into owners of their own: the
 * same processes, pedigrees and owners, and nothing of this host looked
 * at.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hone/hone.h>

#include "flow.h"
#include "owner.h"
#include "pcapng.h"
#include "replay.h"

#define CHUNK		(64 * 1024)

struct replay {
	const char *path;
	struct owners *o;
	struct sensor *s;
	struct pcapng_reader r;
	bool events;		/* events since the last packet */
	char host[256];		/* the section's, else the file's name */
	replay_fn fn;
	void *ctx;
	struct replay_stats *st;
	uint8_t chunk[CHUNK];
};

/* The host id a Section Header carries (a string), else the file. */
static void section(struct replay *rp, const struct pcapng_block *b)
{
	struct pcapng_opt o;
	size_t cur = 0;

	snprintf(rp->host, sizeof(rp->host), "%s", rp->path);
	while (pcapng_opt_next(b, &cur, &o))
		if (o.code == HONE_SHB_HOSTID && o.len > 1 &&
		    o.val[0] == HONE_HOSTID_STRING)
			snprintf(rp->host, sizeof(rp->host), "%.*s",
				 (int)o.len - 1, (const char *)o.val + 1);
}

static unsigned hook_of(uint32_t flags)
{
	switch (flags & 3) {
	case HONE_EPB_FLAG_INBOUND:
		return NF_INET_LOCAL_IN;
	case HONE_EPB_FLAG_OUTBOUND:
		return NF_INET_LOCAL_OUT;
	}
	return NF_INET_NUMHOOKS;	/* no direction: flow_parse refuses */
}

/* The socket, and honefw's count of the packet in its connection (its
 * verdict log records it; hone.ko's stream does not: counted here). */
static void packet(struct replay *rp, const struct pcapng_block *b)
{
	struct pcapng_epb e;
	struct replay_pkt p = {
		.file = rp->path, .offset = b->offset, .host = rp->host,
	};
	struct conn *c;

	if (rp->events)
		owners_settle(rp->o, 0);
	rp->events = false;
	pcapng_epb(b, &e);
	p.wire_len = e.len;
	p.parsed = flow_parse(e.data, e.caplen, hook_of(e.flags),
			      &p.pkt) == 0;
	p.cookie = e.cookie;
	c = e.cookie ? owners_conn(rp->o, e.cookie, 0, 0, NULL) : NULL;
	p.proc = c ? c->proc : NULL;
	/* No socket at all: the kernel's own packet. The log tells the uid
	 * of a socket whose owner was not known, as the queue told it. */
	p.pkt.nosock = !e.cookie && !e.has_uid;
	p.pkt.has_uid = e.has_uid;
	p.pkt.uid = e.uid;
	if (c)
		c->packets = e.nth ? e.nth : c->packets + 1;
	p.pkt.nth = c ? c->packets : e.nth ? e.nth : 1;
	rp->st->packets++;
	rp->st->unparsable += !p.parsed;
	rp->fn(rp->ctx, &p);
}

static void block(struct replay *rp, const struct pcapng_block *b)
{
	switch (b->type) {
	case HONE_BT_EPB:
		if (b->known)
			packet(rp, b);
		return;
	case HONE_BT_SHB:
		section(rp, b);
		break;
	case HONE_BT_PROCESS:
	case HONE_BT_CONNECTION:
		rp->events = true;
		rp->st->events++;
		break;
	}
	sensor_feed(rp->s, b);
}

/* Every whole block of the file; -EBADMSG/-EPROTO/-ENODATA where the
 * framing broke, a read error, or 0. */
static int read_all(struct replay *rp, int fd)
{
	struct pcapng_block b;
	size_t fed, left;
	const uint8_t *p;
	ssize_t n;
	int ret;

	while ((n = read(fd, rp->chunk, sizeof(rp->chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (p = rp->chunk, left = n; left; p += fed, left -= fed) {
			fed = pcapng_feed(&rp->r, p, left);
			while (!(ret = pcapng_next(&rp->r, &b)))
				block(rp, &b);
			if (ret != -EAGAIN)
				return ret;
		}
	}
	return pcapng_finish(&rp->r);
}

int replay_file(const char *path, replay_fn fn, void *ctx,
		struct replay_stats *st, char *err, size_t errlen)
{
	struct replay *rp;
	bool said = false;
	int fd, ret;

	rp = calloc(1, sizeof(*rp));
	if (!rp) {
		ret = -ENOMEM;
		goto err_say;
	}
	*rp = (struct replay){ .path = path, .fn = fn, .ctx = ctx, .st = st };
	snprintf(rp->host, sizeof(rp->host), "%s", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto err_free;
	}
	ret = pcapng_init(&rp->r, 0);
	if (ret)
		goto err_close;
	ret = owners_open(&rp->o);
	if (ret)
		goto err_reader;
	ret = sensor_open_offline(rp->o, &rp->s);
	if (ret)
		goto err_owners;
	st->files++;
	ret = read_all(rp, fd);
	/* The reader says where the framing broke. */
	if (ret && rp->r.failed) {
		snprintf(err, errlen, "%s: %s", path, pcapng_error(&rp->r));
		said = true;
	}
	sensor_close(rp->s);
err_owners:
	owners_close(rp->o);
err_reader:
	pcapng_free(&rp->r);
err_close:
	close(fd);
err_free:
	free(rp);
err_say:
	if (ret && !said)
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	return ret;
}
