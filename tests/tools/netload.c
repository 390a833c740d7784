// SPDX-License-Identifier: GPL-2.0
/*
 * netload: load for the benchmarks, in C so that the load generator is not
 * what limits the rate.
 *
 *   netload tcp-server PORT            accept and close, forever
 *   netload tcp-connect ADDR PORT SECONDS CLIENTS
 *                                      CLIENTS processes connect and close
 *                                      in a loop; prints connections made
 *   netload udp-sink PORT SECONDS      prints datagrams received
 *   netload udp-flood ADDR PORT SECONDS
 *                                      64-byte datagrams from one socket,
 *                                      as fast as they go; prints sent
 *   netload udp-echo PORT SECONDS      sends each datagram back
 *   netload udp-rtt ADDR PORT SECONDS  one 64-byte datagram at a time,
 *                                      each waiting for its echo; prints
 *                                      "rounds p50 p99 lost" (us)
 *
 * IPv4 only: the benchmarks measure the firewall, not the family.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH	64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in addr_of(const char *ip, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_port = htons(atoi(port));
	if (ip && inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
		fprintf(stderr, "netload: %s: not an IPv4 address\n", ip);
		exit(2);
	}
	return a;
}

static int bound(int type, const char *port)
{
	struct sockaddr_in a = addr_of(NULL, port);
	int fd = socket(AF_INET, type, 0), one = 1;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof(one)) < 0 ||
	    bind(fd, (void *)&a, sizeof(a)) < 0) {
		perror("netload: bind");
		exit(1);
	}
	return fd;
}

static int tcp_server(const char *port)
{
	int fd = bound(SOCK_STREAM, port), c;

	if (listen(fd, 4096) < 0) {
		perror("netload: listen");
		return 1;
	}
	for (;;) {
		c = accept(fd, NULL, NULL);
		if (c >= 0)
			close(c);
	}
}

static unsigned long connect_loop(struct sockaddr_in *a, double end)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	unsigned long n = 0;
	int fd;

	while (now() < end) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			continue;
		/* A reset, not TIME_WAIT: ports run out otherwise. */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		if (connect(fd, (void *)a, sizeof(*a)) == 0)
			n++;
		close(fd);
	}
	return n;
}

static int tcp_connect(char **argv)
{
	struct sockaddr_in a = addr_of(argv[0], argv[1]);
	double end = now() + atof(argv[2]);
	int clients = atoi(argv[3]), i, p[2];
	unsigned long n, total = 0;

	if (pipe(p) < 0)
		return 1;
	for (i = 0; i < clients; i++) {
		if (fork() == 0) {
			n = connect_loop(&a, end);
			if (write(p[1], &n, sizeof(n)) != sizeof(n))
				_exit(1);
			_exit(0);
		}
	}
	close(p[1]);
	while (read(p[0], &n, sizeof(n)) == sizeof(n))
		total += n;
	while (wait(NULL) > 0)
		;
	printf("%lu\n", total);
	return 0;
}

static int udp_sink(char **argv)
{
	int fd = bound(SOCK_DGRAM, argv[0]), rcvbuf = 8 << 20, got;
	double end = now() + atof(argv[1]);
	static char bufs[BATCH][2048];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned long n = 0;
	int i;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	for (i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		m[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i],
						.msg_iovlen = 1 };
	}
	while (now() < end) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		got = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL);
		if (got > 0)
			n += got;
	}
	printf("%lu\n", n);
	return 0;
}

static int udp_flood(char **argv)
{
	struct sockaddr_in a = addr_of(argv[0], argv[1]);
	double end = now() + atof(argv[2]);
	static char payload[64 - 28];	/* 64 bytes with the IPv4/UDP headers */
	struct mmsghdr m[BATCH];
	struct iovec iov = { payload, sizeof(payload) };
	unsigned long n = 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), i, sent;

	if (fd < 0 || connect(fd, (void *)&a, sizeof(a)) < 0) {
		perror("netload: udp");
		return 1;
	}
	for (i = 0; i < BATCH; i++)
		m[i].msg_hdr = (struct msghdr){ .msg_iov = &iov,
						.msg_iovlen = 1 };
	while (now() < end) {
		sent = sendmmsg(fd, m, BATCH, 0);
		if (sent > 0)
			n += sent;
		else if (errno == ENOBUFS || errno == EPERM)
			usleep(10);	/* a full queue, a drop: go on */
	}
	printf("%lu\n", n);
	return 0;
}

static int udp_echo(char **argv)
{
	int fd = bound(SOCK_DGRAM, argv[0]);
	double end = now() + atof(argv[1]);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct sockaddr_in from;
	socklen_t flen;
	char buf[2048];
	ssize_t got;

	while (now() < end) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		flen = sizeof(from);
		got = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
			       (void *)&from, &flen);
		if (got > 0)
			sendto(fd, buf, got, 0, (void *)&from, flen);
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#define RTT_MAX	(1 << 20)

static int udp_rtt(char **argv)
{
	struct sockaddr_in a = addr_of(argv[0], argv[1]);
	double end = now() + atof(argv[2]), t0;
	static char payload[64 - 28];
	static double rtt[RTT_MAX];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned long n = 0, lost = 0;
	char buf[2048];

	if (fd < 0 || connect(fd, (void *)&a, sizeof(a)) < 0) {
		perror("netload: udp");
		return 1;
	}
	while (now() < end && n < RTT_MAX) {
		t0 = now();
		if (send(fd, payload, sizeof(payload), 0) < 0 ||
		    poll(&p, 1, 1000) <= 0 ||
		    recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0) {
			lost++;
			continue;
		}
		rtt[n++] = (now() - t0) * 1e6;
	}
	if (!n) {
		printf("0 0 0 %lu\n", lost);
		return 0;
	}
	qsort(rtt, n, sizeof(*rtt), cmp_double);
	printf("%lu %.0f %.0f %lu\n", n, rtt[n / 2], rtt[n * 99 / 100], lost);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "tcp-server"))
		return tcp_server(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "tcp-connect"))
		return tcp_connect(argv + 2);
	if (argc == 4 && !strcmp(argv[1], "udp-sink"))
		return udp_sink(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "udp-flood"))
		return udp_flood(argv + 2);
	if (argc == 4 && !strcmp(argv[1], "udp-echo"))
		return udp_echo(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "udp-rtt"))
		return udp_rtt(argv + 2);
	fprintf(stderr, "usage: netload tcp-server PORT\n"
		"       netload tcp-connect ADDR PORT SECONDS CLIENTS\n"
		"       netload udp-sink PORT SECONDS\n"
		"       netload udp-flood ADDR PORT SECONDS\n"
		"       netload udp-echo PORT SECONDS\n"
		"       netload udp-rtt ADDR PORT SECONDS\n");
	return 2;
}
