// SPDX-License-Identifier: GPL-2.0
/*
 * honefw --replay's rate on one core: a synthetic verdict log of PROCS
 * processes under SHELLS shells, CONNS sockets each, and PACKETS packets
 * spread over them, judged by a small rule set with who, what and nth
 * keys, tallied and printed (to /dev/null) as honefw --replay does.
 * Prints packets/s and the ratio to the 100,000 packets/s target.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <hone/hone.h>

#include "bench.h"
#include "honefw.h"
#include "pcapng.h"

#define SHELLS		10
#define PROCS		500
#define CONNS		4
#define PACKETS		400000
#define TARGET		100000.0

static const char rules_ini[] =
	"[global]\ndefault = accept\n"
	"[bob]\nuser = 1007\naction = drop\n"
	"[first]\nexe = /usr/bin/app3 /usr/bin/app9\nnth = 1-3\nmark = 7\n"
	"action = accept\n"
	"[shells]\nparent = /bin/sh5\nrport = 443\naction = reject\n"
	"[net]\nremote = 10.1.0.0/16\naction = drop\n";

static void flush(struct pcapng_builder *w, int fd)
{
	if (write(fd, w->buf, w->len) != (ssize_t)w->len) {
		perror("bench_replay: write");
		exit(1);
	}
	w->len = 0;
}

static void end(struct pcapng_builder *w, int fd)
{
	if (pcapng_end(w) < 0) {
		fprintf(stderr, "bench_replay: block too big\n");
		exit(1);
	}
	if (w->cap - w->len < 4096)
		flush(w, fd);
}

static void headers(struct pcapng_builder *w, int fd)
{
	static const char host[] = { HONE_HOSTID_STRING, 'b', 'e', 'n', 'c', 'h' };
	uint64_t section = UINT64_MAX;

	pcapng_begin(w, HONE_BT_SHB);
	pcapng_put32(w, HONE_BYTE_ORDER_MAGIC);
	pcapng_put32(w, 1);
	pcapng_put(w, &section, 8);
	pcapng_opt(w, HONE_SHB_HOSTID, host, sizeof(host));
	end(w, fd);
	pcapng_begin(w, HONE_BT_IDB);
	pcapng_put32(w, HONE_LINKTYPE_RAW);
	pcapng_put32(w, 512);
	end(w, fd);
}

static void process(struct pcapng_builder *w, int fd, uint32_t pid,
		    uint32_t ppid, const char *path, uint32_t uid)
{
	pcapng_begin(w, HONE_BT_PROCESS);
	pcapng_put32(w, pid);
	pcapng_put32(w, 0);
	pcapng_put32(w, 0);
	pcapng_opt(w, HONE_PROC_PATH, path, strlen(path));
	pcapng_opt(w, HONE_PROC_ARGV, path, strlen(path) + 1);
	pcapng_opt32(w, HONE_PROC_PPID, ppid);
	pcapng_opt32(w, HONE_PROC_UID, uid);
	pcapng_opt32(w, HONE_PROC_GID, uid);
	pcapng_opt64(w, HONE_PROC_START, pid * 1000ULL);
	pcapng_opt64(w, HONE_PROC_EXE_DEV, 2049);
	pcapng_opt64(w, HONE_PROC_EXE_INO, pid);
	end(w, fd);
}

static void connection(struct pcapng_builder *w, int fd, uint64_t cookie,
		       uint32_t pid)
{
	pcapng_begin(w, HONE_BT_CONNECTION);
	pcapng_put32(w, (uint32_t)cookie);
	pcapng_put32(w, pid);
	pcapng_put32(w, 0);
	pcapng_put32(w, 0);
	pcapng_opt64(w, HONE_CONN_COOKIE, cookie);
	end(w, fd);
}

/* A TCP segment of connection c (0..PROCS*CONNS-1), both directions. */
static void packet(struct pcapng_builder *w, int fd, unsigned c, uint64_t nth)
{
	uint8_t ip[60] = {
		0x45, 0, 0, 60, 0, 0, 0x40, 0, 64, 6, 0, 0,
		10, 0, 0, 1, 10, 0, 0, 2,
		0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff,
	};
	bool in = nth % 2 == 0;

	ip[17] = c % 3;			/* 10.0.0.x or, for some, 10.1.x */
	ip[15] = 1 + c % 2;
	ip[21] = 40 + c % 200;
	ip[23] = c % 5 ? 80 : 443;
	if (in) {			/* the reply: addresses and ports swap */
		uint8_t t[4];

		memcpy(t, ip + 12, 4);
		memcpy(ip + 12, ip + 16, 4);
		memcpy(ip + 16, t, 4);
		memcpy(t, ip + 20, 2);
		memcpy(ip + 20, ip + 22, 2);
		memcpy(ip + 22, t, 2);
	}
	pcapng_begin(w, HONE_BT_EPB);
	pcapng_put32(w, 0);
	pcapng_put32(w, 0);
	pcapng_put32(w, 0);
	pcapng_put32(w, sizeof(ip));
	pcapng_put32(w, sizeof(ip));
	pcapng_put(w, ip, sizeof(ip));
	pcapng_opt32(w, HONE_EPB_FLAGS, in ? HONE_EPB_FLAG_INBOUND :
		     HONE_EPB_FLAG_OUTBOUND);
	pcapng_opt64(w, HONE_EPB_COOKIE, c + 1);
	pcapng_opt32(w, HONE_EPB_VERDICT, HONE_VERDICT_ACCEPT);
	pcapng_opt64(w, HONE_EPB_NTH, nth);
	end(w, fd);
}

/* The capture in a memfd: its path through /proc/self/fd. */
static int capture(char *path, size_t len)
{
	static uint8_t buf[1 << 20];
	struct pcapng_builder w = { .buf = buf, .cap = sizeof(buf) };
	char exe[32];
	unsigned i, j;
	int fd = memfd_create("bench_replay", 0);

	if (fd < 0)
		return -1;
	headers(&w, fd);
	for (i = 0; i < SHELLS; i++) {
		snprintf(exe, sizeof(exe), "/bin/sh%u", i);
		process(&w, fd, 100 + i, 1, exe, 0);
	}
	for (i = 0; i < PROCS; i++) {
		snprintf(exe, sizeof(exe), "/usr/bin/app%u", i % 50);
		process(&w, fd, 1000 + i, 100 + i % SHELLS, exe, 1000 + i % 20);
		for (j = 0; j < CONNS; j++)
			connection(&w, fd, i * CONNS + j + 1, 1000 + i);
	}
	for (i = 0; i < PACKETS; i++)
		packet(&w, fd, i % (PROCS * CONNS), i / (PROCS * CONNS) + 1);
	flush(&w, fd);
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

int main(void)
{
	char cap[64], ini[] = "/tmp/bench_replay-XXXXXX";
	char *files[] = { cap };
	struct honefw_opts o = { .config = ini };
	int fd, out, err, null, ifd = mkstemp(ini), ret;
	double t;

	if (ifd < 0 || write(ifd, rules_ini, sizeof(rules_ini) - 1) < 0 ||
	    (fd = capture(cap, sizeof(cap))) < 0) {
		perror("bench_replay");
		return 1;
	}
	close(ifd);
	/* What --replay prints (and its warnings that the rules' paths are
	 * not this host's) goes nowhere: the rate is what is asked. */
	fflush(stdout);
	out = dup(1);
	err = dup(2);
	null = open("/dev/null", O_WRONLY);
	dup2(null, 1);
	dup2(null, 2);
	t = bench_now();
	ret = replay_main(&o, files, 1);
	t = bench_now() - t;
	fflush(stdout);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	close(null);
	unlink(ini);
	close(fd);
	if (ret) {
		fprintf(stderr, "bench_replay: replay failed (%d)\n", ret);
		return 1;
	}
	printf("replay: %u packets of %u processes (%u connections) in %.3f s: "
	       "%.0f packets/s on one core; ratio to the 100,000 packets/s "
	       "target = %.2f\n", PACKETS, PROCS + SHELLS, PROCS * CONNS, t,
	       PACKETS / t, PACKETS / t / TARGET);
	return 0;
}
