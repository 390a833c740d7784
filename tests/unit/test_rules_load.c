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
