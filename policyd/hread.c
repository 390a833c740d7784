// SPDX-License-Identifier: GPL-2.0
/*
 * honeread's loop: poll the source and a signalfd; rotate when the file is
 * full, old enough, or SIGHUP asks; flush after every batch, so a reader
 * of the file (tshark -r, honefw --replay) sees whole blocks within a
 * second. SIGTERM and SIGINT end the section and the file cleanly.
 */
#include <errno.h>
#include <linux/capability.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "honeread.h"
#include "log.h"
#include "sys.h"

#define TICK_MS		1000	/* rotation by age is checked this often */

static const struct hread_source *source_of(enum sensor_kind kind)
{
	if (kind == SENSOR_AUTO)
		kind = access("/dev/hone", R_OK) ? SENSOR_NETLINK : SENSOR_KMOD;
	return kind == SENSOR_KMOD ? &hread_kmod : &hread_netlink;
}

static void say_stats(const struct hread *h)
{
	struct record_stats st;

	record_stats(h->rec, &st);
	log_info("%" PRIu64 " files, %" PRIu64 " packets recorded, %" PRIu64
		 " entries lost, %" PRIu64 " blocks not kept for later files",
		 st.files, st.packets, st.lost, st.uncached);
}

/* 1: go on; 0: stop. */
static int on_signals(struct hread *h, int sigfd)
{
	struct signalfd_siginfo si;
	int go = 1;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			record_ask(h->rec);
			break;
		case SIGUSR1:
			say_stats(h);
			break;
		default:
			go = 0;
		}
	}
	return go;
}

static void loop(struct hread *h, const struct hread_source *src, int sigfd)
{
	struct pollfd p[3];
	int n, ret;

	for (;;) {
		n = src->fds(h, p);
		p[n] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		if (poll(p, n + 1, TICK_MS) < 0 && errno != EINTR)
			fatal("poll");
		if ((p[n].revents & POLLIN) && !on_signals(h, sigfd))
			return;
		if ((ret = src->read(h)) < 0)
			log_warnx("%s: %s", src->name, strerror(-ret));
		if (record_due(h->rec))
			src->rotate(h);
		record_flush(h->rec);
	}
}

int hread_main(const struct honeread_opts *o)
{
	/* CAP_NET_ADMIN: the sensor's sockets; the rest: other users' /proc
	 * entries. */
	static const int keep[] = {
		CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH,
	};
	const struct hread_source *src = source_of(o->sensor);
	struct hread h = { .o = o };
	int sigfd, ret, status = 1;

	if ((sigfd = sys_signals(0)) < 0)
		fatal("signalfd");
	/* Its own directory: not open to others (payloads, who ran what). */
	if (mkdir(o->rec.dir, 0700) < 0 && errno != EEXIST)
		fatal("%s", o->rec.dir);
	/* The source first: no file is left behind by one that fails. */
	if ((ret = src->open(&h)) < 0) {
		log_warnx("%s sensor: %s", src->name, strerror(-ret));
		goto out;
	}
	/* From here on, an error takes the source's table away too. */
	if ((ret = record_open(&o->rec, &h.rec)) < 0) {
		log_warnx("%s: %s", o->rec.dir, strerror(-ret));
		goto out_source;
	}
	ret = sys_drop_privileges(keep, sizeof(keep) / sizeof(keep[0]));
	if (ret < 0) {
		log_warnx("dropping privileges: %s", strerror(-ret));
		goto out_record;
	}
	log_info("running: %s sensor, files in %s", src->name, o->rec.dir);
	loop(&h, src, sigfd);
	if (src->finish)
		src->finish(&h);
	status = 0;
out_record:
	say_stats(&h);
	record_close(h.rec);
out_source:
	src->close(&h);
out:
	close(sigfd);
	return status;
}
