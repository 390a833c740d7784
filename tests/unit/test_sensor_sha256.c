// SPDX-License-Identifier: GPL-2.0
/* SHA-256 against FIPS 180-4's vectors, and the sensor's digest of a real
 * executable against sha256sum(1). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "exehash.h"
#include "sha256.h"
#include "test_sensor.h"

TestSuite(sha256);

static void hex(const uint8_t d[32], char out[65])
{
	int i;

	for (i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void check(const void *data, size_t len, size_t chunk, const char *want)
{
	struct sha256 c;
	uint8_t d[32];
	char got[65];
	size_t off, n;

	sha256_init(&c);
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		sha256_update(&c, (const char *)data + off, n);
	}
	sha256_final(&c, d);
	hex(d, got);
	cr_expect_str_eq(got, want, "len %zu chunk %zu", len, chunk);
}

Test(sha256, fips_vectors)
{
	static char million[1000000];
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	size_t chunk;

	memset(million, 'a', sizeof(million));
	for (chunk = 1; chunk <= 128; chunk += 63) {
		check("", 0, chunk, "e3b0c44298fc1c149afbf4c8996fb924"
		      "27ae41e4649b934ca495991b7852b855");
		check("abc", 3, chunk, "ba7816bf8f01cfea414140de5dae2223"
		      "b00361a396177a9cb410ff61f20015ad");
		check(two, strlen(two), chunk, "248d6a61d20638b8e5c026930c3e6039"
		      "a33ce45964ff2167f6ecedd419db06c1");
	}
	check(million, sizeof(million), 4096, "cdc76e5c9914fb9281a1c7e284d73e67"
	      "f1809a48a497200e046d39ccc7112cd0");
}

static bool hashed(struct sensor *s, struct owners *o, pid_t pid)
{
	const struct proc *p = owners_proc(o, pid);

	if (!p || !p->exe || strcmp(p->exe, "/usr/bin/sleep"))
		return false;
	/* As a waiting packet does: its file first. */
	if (sensor_digest(s, p) == -EINPROGRESS)
		sensor_hash_work(s, SIZE_MAX);
	return !sensor_digest(s, p);
}

Test(sha256, sensor_hashes_exe_at_exec)
{
	char *sleep_argv[] = { "/bin/sleep", "0.3", NULL };
	char *sum_argv[] = { "/usr/bin/sha256sum", "/usr/bin/sleep", NULL };
	char want[65] = "", got[65];
	const struct proc *p;
	struct owners *o;
	struct sensor *s;
	int out, status;
	pid_t pid, sum;

	sum = spawn(sum_argv, &out);
	cr_assert_gt(sum, 0);
	cr_assert_eq(read(out, want, 64), 64);
	waitpid(sum, &status, 0);
	close(out);
	cr_assert_eq(owners_open(&o), 0);
	cr_assert_eq(sensor_open(SENSOR_NETLINK, true, o, &s), 0);
	pid = spawn(sleep_argv, NULL);
	cr_assert(sensor_wait(s, o, pid, hashed, 2000));
	p = owners_proc(o, pid);
	hex(p->sha256, got);
	cr_expect_str_eq(got, want);
	cr_expect_eq(p->view.sha256, p->sha256);
	waitpid(pid, &status, 0);
	sensor_close(s);
	owners_close(o);
}

/* The digest of the file open at fd, hashed to the end now. */
static void digest_of(struct exehash *h, int fd, uint8_t out[32])
{
	struct exehash_key k;
	int ret = exehash_want(h, fd, &k, out);

	while (ret == -EINPROGRESS) {
		exehash_work(h, SIZE_MAX);
		ret = exehash_lookup(h, &k, out);
	}
	cr_assert_eq(ret, 0);
}

/* The owner of a file rewrites it in place at the same size and sets its
 * mtime back: the digest must be the new content's. */
Test(sha256, rewrite_with_mtime_restored_is_rehashed)
{
	char path[] = "/tmp/hone-exehash.XXXXXX";
	struct timespec times[2];
	struct exehash *h;
	uint8_t d1[32], d2[32], want[32];
	struct sha256 c;
	struct stat st;
	int fd;

	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	unlink(path);
	cr_assert_eq(pwrite(fd, "allowed!", 8, 0), 8);
	cr_assert_eq(exehash_init(&h), 0);
	digest_of(h, fd, d1);
	cr_assert_eq(fstat(fd, &st), 0);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	usleep(20000);		/* ctime has the kernel's tick resolution */
	cr_assert_eq(pwrite(fd, "evilware", 8, 0), 8);
	cr_assert_eq(futimens(fd, times), 0);
	digest_of(h, fd, d2);
	sha256_init(&c);
	sha256_update(&c, "evilware", 8);
	sha256_final(&c, want);
	cr_expect(memcmp(d1, d2, 32), "the old digest was returned");
	cr_expect_arr_eq(d2, want, 32);
	exehash_free(h);
	close(fd);
}

static bool execd(struct sensor *s, struct owners *o, pid_t pid)
{
	const struct proc *p = owners_proc(o, pid);

	(void)s;
	return p && p->exe && !strcmp(p->exe, "/usr/bin/sleep");
}

/* A reload that brings sha256 rules hashes what already runs. */
Test(sha256, hashing_switched_on_later_hashes_running_processes)
{
	char *sleep_argv[] = { "/bin/sleep", "1", NULL };
	const struct proc *p;
	struct owners *o;
	struct sensor *s;
	int status;
	pid_t pid;

	cr_assert_eq(owners_open(&o), 0);
	cr_assert_eq(sensor_open(SENSOR_NETLINK, false, o, &s), 0);
	pid = spawn(sleep_argv, NULL);
	cr_assert(sensor_wait(s, o, pid, execd, 2000));
	p = owners_proc(o, pid);
	cr_assert_not(p->has_sha256);
	cr_assert_eq(sensor_hash_sha256(s), 0);
	p = owners_proc(o, pid);
	while (sensor_hash_work(s, SIZE_MAX))
		;
	cr_expect_eq(sensor_digest(s, p), 0);
	cr_expect(p->has_sha256);
	cr_expect_eq(p->view.sha256, p->sha256);
	waitpid(pid, &status, 0);
	sensor_close(s);
	owners_close(o);
}

/* A large file is hashed a slice at a time: until the last slice its
 * digest is in progress (its packets wait; nobody else's do), then it is
 * the file's. */
Test(sha256, hashed_a_slice_at_a_time)
{
	char path[] = "/tmp/hone-exehash.XXXXXX";
	static char block[1 << 16];
	uint8_t got[32], want[32];
	struct exehash_key k;
	struct exehash *h;
	struct sha256 c;
	int fd, i;

	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	unlink(path);
	memset(block, 'h', sizeof(block));
	sha256_init(&c);
	for (i = 0; i < 48; i++) {	/* 3 MiB */
		cr_assert_eq(write(fd, block, sizeof(block)), sizeof(block));
		sha256_update(&c, block, sizeof(block));
	}
	sha256_final(&c, want);
	cr_assert_eq(exehash_init(&h), 0);
	cr_assert_eq(exehash_want(h, fd, &k, got), -EINPROGRESS);
	cr_expect_eq(exehash_lookup(h, &k, got), -EINPROGRESS);
	cr_expect_eq(exehash_work(h, 1 << 20), 1, "1 of 3 MiB: not done");
	cr_expect_eq(exehash_lookup(h, &k, got), -EINPROGRESS);
	cr_expect_eq(exehash_want(h, fd, &k, got), -EINPROGRESS,
		     "a second waiter joins the same job");
	cr_expect_eq(exehash_work(h, 1 << 20), 1);
	cr_expect_eq(exehash_work(h, 1 << 20), 1, "the end is not seen yet");
	cr_expect_eq(exehash_work(h, 1 << 20), 0);
	cr_assert_eq(exehash_lookup(h, &k, got), 0);
	cr_expect_arr_eq(got, want, 32);
	cr_expect_eq(exehash_want(h, fd, &k, got), 0, "cached");
	exehash_free(h);
	close(fd);
}
