// SPDX-License-Identifier: GPL-2.0
/*
 * What the netlink sensor costs on this machine: start-up (one /proc walk),
 * a miss (a socket the index does not know: descriptors are read), a hit,
 * and draining fork/exec/exit events. Prints figures; asserts nothing.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "owner.h"
#include "sensor.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

extern char **environ;

static double now_us(void)
{
	return bench_now() * 1e6;
}

/* A connected TCP socket of this process: its cookie and inode. */
static int connect_self(int lfd, uint64_t *cookie, uint64_t *inode)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct stat st;
	int fd;

	getsockname(lfd, (struct sockaddr *)&sin, &len);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		return -1;
	len = sizeof(*cookie);
	getsockopt(fd, SOL_SOCKET, SO_COOKIE, cookie, &len);
	fstat(fd, &st);
	*inode = st.st_ino;
	return fd;
}

/* n runs of /bin/true; their events drained after each spawn (as a daemon
 * that wakes on the sensor's descriptor would) or only after all ended. */
static void spawn_true(struct sensor *s, int n, bool promptly)
{
	char *argv[] = { "/bin/true", NULL };
	struct sensor_stats st0, st;
	double t, d = 0;
	pid_t pid;
	int i, status;

	sensor_drain(s, sensor_now());
	sensor_stats(s, &st0);
	t = now_us();
	for (i = 0; i < n; i++) {
		if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ))
			return;
		if (promptly) {
			d -= now_us();
			sensor_drain(s, sensor_now());
			d += now_us();
		}
		waitpid(pid, &status, 0);
	}
	d -= now_us();
	sensor_drain(s, sensor_now());
	d += now_us();
	t = now_us() - t;
	sensor_stats(s, &st);
	printf("netlink sensor: %d fork+exec+exit of /bin/true in %.0f ms, drained "
	       "%s: %.1f us per event, %llu lost, %llu of %d exited before their "
	       "exec was read\n", n, t / 1e3,
	       promptly ? "after each spawn" : "after all ended",
	       d / (st.events - st0.events), (unsigned long long)(st.lost - st0.lost),
	       (unsigned long long)(st.unread - st0.unread), n);
}

int main(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int lfd, fds[200], i, n, ret;
	uint64_t cookie, inode, first = 0;
	struct owners_stats ow;
	struct sensor_stats st;
	double t, miss = 0;
	struct owners *o;
	struct sensor *s;

	t = now_us();
	if (owners_open(&o))
		return 1;
	ret = sensor_open(SENSOR_NETLINK, false, o, &s);
	if (ret) {
		fprintf(stderr, "bench_sensor: netlink sensor: error %d (root?)\n", ret);
		return 1;
	}
	owners_stats(o, &ow);
	printf("netlink sensor: start-up (one /proc walk of %llu processes): "
	       "%.1f ms\n", (unsigned long long)ow.procs, (now_us() - t) / 1e3);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(lfd, 256))
		return 1;
	/* Each new socket of a long-running process is a miss: the first
	 * reads every unread process of the uid, later ones re-read. */
	for (n = 0; n < 200; n++) {
		fds[n] = connect_self(lfd, &cookie, &inode);
		if (fds[n] < 0)
			return 1;
		if (!first)
			first = cookie;
		t = now_us();
		if (!owners_conn(o, cookie, geteuid(), inode, NULL))
			printf("netlink sensor: own socket not found\n");
		t = now_us() - t;
		if (n == 0)
			printf("netlink sensor: first miss: %.2f ms\n", t / 1e3);
		else
			miss += t;
	}
	sensor_stats(s, &st);
	printf("netlink sensor: later misses (a new socket of a known process): "
	       "%.1f us each; %llu fd directories read in all\n", miss / (n - 1),
	       (unsigned long long)st.fd_scans);
	t = now_us();
	for (i = 0; i < 1000000; i++)
		owners_conn(o, first, geteuid(), 0, NULL);
	printf("netlink sensor: hit (known cookie): %.0f ns\n",
	       (now_us() - t) * 1e3 / 1000000);
	for (i = 0; i < n; i++)
		close(fds[i]);

	spawn_true(s, 500, false);
	spawn_true(s, 500, true);
	close(lfd);
	sensor_close(s);
	owners_close(o);
	return 0;
}
