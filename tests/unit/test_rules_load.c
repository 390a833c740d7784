// SPDX-License-Identifier: GPL-2.0
/* Loading rules from disk: only regular files are read, only from
 * directories nobody but root can change. The loads run in the test
 * itself, so a load that blocks fails by its timeout. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "test_rules.h"

#define GOOD	"[a]\nexe = /usr/bin/curl\naction = accept\n"

static void tmp_dir(char dir[64])
{
	strcpy(dir, "/tmp/hone-load-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

Test(rules_load, fifo_as_rules_ini_refused, .timeout = 5)
{
	char dir[64], path[256], want[512];
	struct diag d;

	tmp_dir(dir);
	cr_assert_eq(mkfifo(in_dir(path, dir, "rules.ini"), 0644), 0);
	cr_assert_null(load_path(path, 0, &d));
	snprintf(want, sizeof(want), "%s:0: refused: not a regular file (a FIFO), "
		 "expected a regular file\n", path);
	cr_assert_str_eq(d.text, want);
	/* the tests' escape hatch skips ownership, not this */
	cr_assert_null(load_path(path, RULES_LOAD_NO_OWNER_CHECK, &d));
	cr_assert_str_eq(d.text, want);
	remove_tree(dir);
}

Test(rules_load, fifo_in_rules_d_refused, .timeout = 5)
{
	char dir[64], path[256], fifo[256], want[512];
	struct diag d;

	tmp_dir(dir);
	write_file(in_dir(path, dir, "rules.ini"), GOOD);
	cr_assert_eq(mkdir(in_dir(fifo, dir, "rules.d"), 0755), 0);
	cr_assert_eq(mkfifo(in_dir(fifo, dir, "rules.d/x.ini"), 0644), 0);
	cr_assert_null(load_path(path, 0, &d));
	snprintf(want, sizeof(want), "%s:0: refused: not a regular file (a FIFO), "
		 "expected a regular file\n", fifo);
	cr_assert_str_eq(d.text, want);
	remove_tree(dir);
}

/* Expects the load of path to be refused with exactly one message. */
static void expect_refused(const char *path, const char *fmt, const char *dir,
			   unsigned mode)
{
	char want[1024];
	struct diag d;

	snprintf(want, sizeof(want), "%s:0: refused: directory %s ", path, dir);
	snprintf(want + strlen(want), sizeof(want) - strlen(want), fmt, mode);
	strcat(want, "\n");
	cr_expect_null(load_path(path, 0, &d), "%s", path);
	cr_expect_str_eq(d.text, want);
}

Test(rules_load, directory_above_not_roots_refused)
{
	char dir[64], sub[256], path[256], link[256];
	struct rules *rs;
	struct diag d;

	tmp_dir(dir);
	cr_assert_eq(mkdir(in_dir(sub, dir, "sub"), 0755), 0);
	write_file(in_dir(path, dir, "sub/rules.ini"), GOOD);
	rs = load_path(path, 0, &d);
	cr_assert_not_null(rs, "%s", d.text);
	rules_free(rs);

	/* nobody may rename root's file away and put theirs in its place */
	cr_assert_eq(chown(sub, 65534, 0), 0);
	expect_refused(path, "is owned by uid 65534 (mode %04o), expected root",
		       sub, 0755);
	rs = load_path(path, RULES_LOAD_NO_OWNER_CHECK, &d);
	cr_assert_not_null(rs, "the tests' escape hatch skips it: %s", d.text);
	rules_free(rs);
	cr_assert_eq(chown(sub, 0, 0), 0);
	cr_assert_eq(chmod(sub, 0775), 0);
	expect_refused(path, "is writable by group or others (mode %04o), expected "
		       "chmod go-w or the sticky bit", sub, 0775);
	cr_assert_eq(chmod(sub, 0757), 0);
	expect_refused(path, "is writable by group or others (mode %04o), expected "
		       "chmod go-w or the sticky bit", sub, 0757);

	/* a symlink is judged by where it leads */
	cr_assert_eq(symlink(path, in_dir(link, dir, "rules.ini")), 0);
	expect_refused(link, "is writable by group or others (mode %04o), expected "
		       "chmod go-w or the sticky bit", sub, 0757);
	remove_tree(dir);
}

/* As /tmp: only root may rename or unlink root's entries of it. */
Test(rules_load, sticky_roots_directory_accepted)
{
	char dir[64], sub[256], path[256];
	struct rules *rs;
	struct diag d;

	tmp_dir(dir);
	cr_assert_eq(mkdir(in_dir(sub, dir, "sub"), 0755), 0);
	cr_assert_eq(chmod(sub, 01777), 0);
	write_file(in_dir(path, dir, "sub/rules.ini"), GOOD);
	rs = load_path(path, 0, &d);
	cr_assert_not_null(rs, "%s", d.text);
	cr_assert_str_eq(d.text, "");
	rules_free(rs);
	/* but not somebody else's */
	cr_assert_eq(chown(sub, 65534, 0), 0);
	expect_refused(path, "is owned by uid 65534 (mode %04o), expected root",
		       sub, 01777);
	remove_tree(dir);
}

/* rules.d itself: whoever may add a file there adds rules, sticky or not. */
Test(rules_load, rules_d_only_roots)
{
	char dir[64], sub[256], path[256], want[512];
	struct diag d;

	tmp_dir(dir);
	write_file(in_dir(path, dir, "rules.ini"), GOOD);
	cr_assert_eq(mkdir(in_dir(sub, dir, "rules.d"), 0755), 0);
	cr_assert_eq(chmod(sub, 01777), 0);
	cr_assert_null(load_path(path, 0, &d));
	snprintf(want, sizeof(want), "%s:0: refused: writable by group or others "
		 "(mode 1777), expected chmod go-w\n", sub);
	cr_assert_str_eq(d.text, want);
	cr_assert_eq(chmod(sub, 0755), 0);
	cr_assert_eq(chown(sub, 65534, 0), 0);
	cr_assert_null(load_path(path, 0, &d));
	snprintf(want, sizeof(want), "%s:0: refused: owned by uid 65534, expected root\n",
		 sub);
	cr_assert_str_eq(d.text, want);
	remove_tree(dir);
}
