// SPDX-License-Identifier: GPL-2.0
/*
 * The privileged parent's answers (priv.h), as an engine without a parent
 * gets them: the same functions the parent runs for its engine. The
 * messages between the two are tested where they run, netns privsep.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "priv.h"

static char dir[] = "/tmp/hone-priv.XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(priv, .init = setup, .fini = teardown);

Test(priv, exe_names_the_file_the_process_runs)
{
	char path[PATH_MAX + 1], want[PATH_MAX + 1];
	struct stat st, fst;
	dev_t dev;
	ino_t ino;
	ssize_t len;
	int fd;

	len = readlink("/proc/self/exe", want, sizeof(want) - 1);
	cr_assert_gt(len, 0);
	want[len] = '\0';
	cr_assert_eq(stat("/proc/self/exe", &st), 0);
	cr_assert_eq(priv_exe(getpid(), path, sizeof(path), &dev, &ino), len);
	cr_assert_str_eq(path, want);
	cr_assert(dev == st.st_dev && ino == st.st_ino);
	fd = priv_exe_open(getpid());
	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &fst), 0);
	cr_assert(fst.st_dev == st.st_dev && fst.st_ino == st.st_ino);
	close(fd);
	cr_assert_lt(priv_exe(INT32_MAX, path, sizeof(path), &dev, &ino), 0);
}

/* Which of descriptors a and b holds socket ino. */
static int probe2(uint64_t ino, int a, int b)
{
	struct priv_fdref refs[2] = { { getpid(), a }, { getpid(), b } };

	return priv_probe(ino, refs, 2);
}

/* As many as netns privsep sends through the parent's search. */
#define NSOCKS	3000

Test(priv, socks_finds_every_socket_and_its_descriptor)
{
	struct rlimit rl = { NSOCKS + 64, NSOCKS + 64 };
	static int fds[NSOCKS];
	struct priv_sock *v;
	struct stat st;
	size_t n, i, found = 0;
	int k;

	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	for (k = 0; k < NSOCKS; k++) {
		fds[k] = socket(AF_INET, SOCK_DGRAM, 0);
		cr_assert_geq(fds[k], 0);
	}
	cr_assert_eq(priv_socks(getpid(), &v, &n), 0);
	for (k = 0; k < NSOCKS; k++) {
		cr_assert_eq(fstat(fds[k], &st), 0);
		for (i = 0; i < n; i++)
			if (v[i].fd == fds[k] && v[i].ino == st.st_ino)
				break;
		found += i < n;
		if (k % 500 == 0 && k)
			cr_assert_eq(probe2(st.st_ino, fds[k - 1], fds[k]), 1);
	}
	free(v);
	cr_assert_eq(found, NSOCKS);
	/* Not a socket, or another one: none. */
	cr_assert_eq(fstat(fds[0], &st), 0);
	cr_assert_eq(probe2(st.st_ino, 0, fds[1]), -ENOENT);
	for (k = 0; k < NSOCKS; k++)
		close(fds[k]);
}

static int memfd_of(const char *text)
{
	int fd = memfd_create("test", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	return fd;
}

static void read_all(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert_not_null(f, "%s", path);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

Test(priv, metrics_replace_the_file_whole_and_readable)
{
	char path[128], tmp[140], buf[64];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/metrics.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = memfd_of("old 1\n");
	cr_assert_eq(priv_metrics(path, fd), 0);
	close(fd);
	fd = memfd_of("new 2\n");
	cr_assert_eq(priv_metrics(path, fd), 0);
	close(fd);
	read_all(path, buf, sizeof(buf));
	cr_assert_str_eq(buf, "new 2\n");
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644);
	cr_assert_neq(access(tmp, F_OK), 0, "the temporary file is left");
}

Test(priv, metrics_do_not_follow_a_link_at_the_temporary_name)
{
	char path[128], tmp[140], victim[128], buf[64];
	int fd;

	snprintf(path, sizeof(path), "%s/metrics.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	fd = open(victim, O_WRONLY | O_CREAT, 0600);
	cr_assert_eq(write(fd, "mine\n", 5), 5);
	close(fd);
	cr_assert_eq(symlink(victim, tmp), 0);
	fd = memfd_of("new 2\n");
	cr_assert_lt(priv_metrics(path, fd), 0);
	close(fd);
	read_all(victim, buf, sizeof(buf));
	cr_assert_str_eq(buf, "mine\n");
}

Test(priv, log_is_made_private_and_not_reached_through_a_link)
{
	char path[128], link[128];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/verdicts.pcapng", dir);
	snprintf(link, sizeof(link), "%s/link.pcapng", dir);
	fd = priv_log_open(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	close(fd);
	cr_assert_eq(symlink(path, link), 0);
	cr_assert_lt(priv_log_open(link), 0);
}
