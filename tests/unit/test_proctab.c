// SPDX-License-Identifier: GPL-2.0
/* The process and connection tables on their own: pedigree, pid reuse,
 * and entries kept exactly as long as something holds them; the hash
 * table under them. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "conntab.h"
#include "htab.h"
#include "proctab.h"

static struct proctab *pt;
static struct conntab *ct;

static void setup(void)
{
	cr_assert_eq(proctab_init(&pt), 0);
	cr_assert_eq(conntab_init(pt, 4, &ct), 0);
}

static void teardown(void)
{
	conntab_free(ct);
	proctab_free(pt);
}

TestSuite(proctab, .init = setup, .fini = teardown);

/* The file at path here, as the kernel would report it running. */
static struct exe_file file_of(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return (struct exe_file){ .dev = st.st_dev, .ino = st.st_ino };
}

static struct pent *exec(uint32_t pid, uint64_t start, struct pent *parent,
			 const char *exe)
{
	struct pent *e = proctab_new(pt, pid, start, parent);
	bool here = !access(exe, F_OK);
	struct exe_file f;
	char argv[64];
	size_t len;

	cr_assert_not_null(e);
	if (here)
		f = file_of(exe);
	len = snprintf(argv, sizeof(argv), "%s%c-x%c", exe, 0, 0);
	cr_assert_eq(proctab_exec(pt, e, exe, here ? &f : NULL, !here, argv,
				  len), 0);
	return e;
}

Test(proctab, fork_copies_then_exec_replaces)
{
	struct pent *sh = exec(10, 1, NULL, "/bin/sh"), *child;
	struct exe_file curl;

	proctab_set_ids(pt, sh, 1000, 100, "alice");
	child = proctab_new(pt, 11, 2, sh);
	cr_assert_not_null(child);
	cr_expect_str_eq(child->p.exe, "/bin/sh");
	cr_expect_str_eq(child->p.cmdline, "/bin/sh -x");
	cr_expect_eq(child->p.view.uid, 1000);
	cr_expect_eq(child->p.view.gid, 100);
	cr_expect_str_eq(child->p.user, "alice");
	cr_expect_eq(child->p.view.ppid, 10);
	cr_expect_eq(child->p.view.parent, &sh->p.view);
	cr_expect_eq(child->argvlen, sizeof("/bin/sh\0-x"));
	cr_assert_eq(proctab_exec(pt, child, "/usr/bin/curl",
				  &(struct exe_file){ 0 }, true, "curl\0a b", 8),
		     0);
	cr_expect(child->p.foreign, "no such file runs at that path");
	cr_expect_null(child->p.view.exe);
	curl = file_of("/usr/bin/curl");
	cr_assert_eq(proctab_exec(pt, child, "/usr/bin/curl", &curl, false,
				  "curl\0a b", 8), 0);
	cr_expect_not(child->p.foreign);
	cr_expect_str_eq(child->p.view.exe, "/usr/bin/curl");
	cr_expect_str_eq(child->p.view.cmdline, "curl a b");
	cr_expect_eq(child->argvlen, 9, "argv gets its NUL");
	cr_expect_str_eq(sh->p.exe, "/bin/sh");
	cr_expect_eq(proctab_find(pt, 11), child);
	cr_expect_eq(proctab_count(pt), 2);
}

/* What a bind mount in a private mount namespace shows: the path of one
 * program, the file of another (the sensor finds it: sensor_claim()).
 * The claim is kept for the logs, matches no path key, and a child forked
 * from it inherits that. */
Test(proctab, path_of_another_file_is_foreign)
{
	struct exe_file sleep = file_of("/usr/bin/sleep");
	struct pent *e = proctab_new(pt, 20, 1, NULL), *child;

	cr_assert_not_null(e);
	cr_assert_eq(proctab_exec(pt, e, "/usr/bin/curl", &sleep, true, "curl",
				  4), 0);
	cr_expect(e->p.foreign);
	cr_expect_str_eq(e->p.exe, "/usr/bin/curl");
	cr_expect_null(e->p.view.exe);
	cr_expect_eq(e->p.exe_ino, sleep.ino);
	child = proctab_new(pt, 21, 2, e);
	cr_assert_not_null(child);
	cr_expect(child->p.foreign);
	cr_expect_null(child->p.view.exe);
	cr_assert_eq(proctab_exec(pt, e, "/usr/bin/sleep", &sleep, false, "s",
				  1), 0);
	cr_expect_not(e->p.foreign);
	cr_expect_str_eq(e->p.view.exe, "/usr/bin/sleep");
}

/* An exited parent stays for its children's pedigree, then goes with
 * the last of them, and its own exited parent with it. */
Test(proctab, exited_ancestors_kept_while_needed)
{
	struct pent *a = exec(1, 1, NULL, "/sbin/init");
	struct pent *b = exec(2, 2, a, "/bin/sh");
	struct pent *c = exec(3, 3, b, "/bin/sleep");

	proctab_exit(pt, b);
	proctab_exit(pt, a);
	cr_expect_eq(proctab_count(pt), 3);
	cr_expect_eq(proctab_find(pt, 2), b);
	cr_expect(b->p.exited);
	cr_expect_str_eq(c->p.view.parent->parent->exe, "/sbin/init");
	proctab_exit(pt, c);
	cr_expect_null(proctab_find(pt, 1));
	cr_expect_null(proctab_find(pt, 3));
	cr_expect_eq(proctab_count(pt), 0);
}

/* A new process with a used pid replaces the old entry, exit event lost
 * or not; a connection still names the old one. */
Test(proctab, pid_reuse)
{
	struct pent *old = exec(100, 5, NULL, "/usr/bin/python3"), *new;
	struct conn *c = conntab_set(ct, 42, old, 1000, 7);

	cr_assert_not_null(c);
	new = exec(100, 9, NULL, "/usr/bin/sleep");
	cr_expect_eq(proctab_find(pt, 100), new);
	cr_expect(old->p.exited, "replaced means gone");
	cr_expect_eq(proctab_count(pt), 2, "the connection holds it");
	c = conntab_find(ct, 42);
	cr_expect_eq(c->proc, &old->p);
	cr_expect_str_eq(c->proc->exe, "/usr/bin/python3");
	cr_expect_eq(c->proc->start, 5);
	conntab_close(ct, 42, 1000);
	conntab_expire(ct, 1500, 1000);
	cr_expect_eq(proctab_count(pt), 2, "closed, but within its grace time");
	conntab_expire(ct, 2001, 1000);
	cr_expect_eq(proctab_count(pt), 1);
	cr_expect_null(conntab_find(ct, 42));
	cr_expect_eq(proctab_find(pt, 100), new);
}

/* Memory is bounded: the least recently used connections go first. */
Test(proctab, conn_lru)
{
	struct pent *e = exec(7, 1, NULL, "/bin/x");
	uint64_t cookie;

	for (cookie = 1; cookie <= 6; cookie++)
		cr_assert_not_null(conntab_set(ct, cookie, e, 0, cookie));
	cr_assert_not_null(conntab_find(ct, 1));
	cr_expect_eq(conntab_expire(ct, 0, 0), 2, "evictions are counted");
	cr_expect_eq(conntab_count(ct), 4);
	cr_expect_not_null(conntab_find(ct, 1), "recently used");
	cr_expect_null(conntab_find(ct, 2));
	cr_expect_null(conntab_find(ct, 3));
	cr_expect_not_null(conntab_find(ct, 6));
	proctab_exit(pt, e);
	cr_expect_eq(proctab_count(pt), 1, "its connections hold it");
}

static bool even(void *ctx, uint64_t cookie)
{
	(void)ctx;
	return cookie % 2 == 0;
}

/* Destroy notices lost: a sweep closes what the dump did not find, and
 * those go once the grace is over, as if told. */
Test(proctab, conn_sweep)
{
	struct pent *e = exec(7, 1, NULL, "/bin/x");
	uint64_t cookie;

	for (cookie = 1; cookie <= 4; cookie++)
		cr_assert_not_null(conntab_set(ct, cookie, e, 0, cookie));
	conntab_close(ct, 1, 100);
	cr_expect_eq(conntab_sweep(ct, even, NULL, 200), 1, "1 was closed");
	conntab_expire(ct, 1150, 1000);
	cr_expect_null(conntab_find(ct, 1));
	cr_expect_not_null(conntab_find(ct, 3), "within its grace");
	conntab_expire(ct, 1201, 1000);
	cr_expect_null(conntab_find(ct, 3));
	cr_expect_eq(conntab_count(ct), 2);
	cr_expect_not_null(conntab_find(ct, 4));
}

/* A table that held many entries gives its buckets back when asked, and
 * still finds what is left. */
Test(proctab, htab_fit)
{
	static struct hnode v[10000];
	struct htab h;
	size_t i;

	cr_assert_eq(htab_init(&h, 64), 0);
	for (i = 0; i < 10000; i++) {
		v[i].key = i * 7919;
		htab_insert(&h, &v[i]);
	}
	cr_expect_geq(h.mask + 1, 8192);
	for (i = 10; i < 10000; i++)
		htab_remove(&h, &v[i]);
	htab_fit(&h);
	cr_expect_eq(h.mask + 1, 64, "back to its first size, not below");
	for (i = 0; i < 10; i++)
		cr_expect_eq(htab_find(&h, i * 7919), &v[i]);
	htab_free(&h);
}
