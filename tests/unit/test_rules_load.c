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

/* Skips unless the host has merged /usr, as Debian 12 has. */
static void need_merged_usr(void)
{
	struct stat st;
	char *real;

	if (lstat("/bin", &st) < 0 || !S_ISLNK(st.st_mode))
		cr_skip_test("/bin is not a symlink here: no merged /usr to resolve");
	real = realpath("/bin/bash", NULL);
	if (!real || strcmp(real, "/usr/bin/bash")) {
		free(real);
		cr_skip_test("/bin/bash is not /usr/bin/bash here");
	}
	free(real);
}

Test(rules_load, bin_paths_resolved_to_usr)
{
	char dir[64], path[256], want[2048], *sh;
	struct rules_proc p = { .exe = "/usr/bin/bash" }, lit = { .exe = "/bin/bash" };
	struct rules_pkt pkt = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_OUT);
	struct rules_verdict v;
	struct rules *rs;
	struct diag d;

	need_merged_usr();
	/* /bin/sh is a symlink to dash on Debian: what the kernel reports */
	sh = realpath("/bin/sh", NULL);
	cr_assert_not_null(sh);
	cr_assert_eq(strncmp(sh, "/usr/bin/", 9), 0, "%s", sh);
	tmp_dir(dir);
	write_file(in_dir(path, dir, "rules.ini"),
		   "[bash]\nexe = /bin/bash\naction = accept\n"
		   "[tools]\nparent = /bin/*\naction = drop\n"
		   "[sh]\npedigree = /bin/sh < ** < * < /usr/bin/bash\naction = reject\n"
		   "[anc]\nancestor = /bin/../bin/bash /usr/bin/bash\naction = drop\n");
	rs = load_path(path, 0, &d);
	cr_assert_not_null(rs, "warnings do not refuse: %s", d.text);
	snprintf(want, sizeof(want),
		 "%1$s:2: warning: /bin/bash resolved to /usr/bin/bash\n"
		 "%1$s:5: warning: /bin/* resolved to /usr/bin/*\n"
		 "%1$s:8: warning: /bin/sh resolved to %2$s\n"
		 "%1$s:11: warning: /bin/../bin/bash resolved to /usr/bin/bash\n",
		 path, sh);
	cr_assert_str_eq(d.text, want);
	cr_assert_str_eq(decide(rs, &pkt, &p, &v), "bash");
	cr_assert_str_eq(decide(rs, &pkt, &lit, &v), "-", "/bin/bash is no more");
	p = (struct rules_proc){ .exe = "/usr/bin/env",
				 .parent = &(struct rules_proc){ .exe = "/usr/bin/x" } };
	cr_assert_str_eq(decide(rs, &pkt, &p, &v), "tools");
	p = (struct rules_proc){ .exe = sh, .parent = &(struct rules_proc){
		.exe = "/opt/y", .parent = &(struct rules_proc){
			.exe = "/usr/bin/bash" } } };
	cr_assert_str_eq(decide(rs, &pkt, &p, &v), "sh");
	rules_free(rs);

	/* from memory: as written, this need not be the host's */
	rs = load_text("[bash]\nexe = /bin/bash\naction = accept\n", &d);
	cr_assert_str_eq(d.text, "");
	cr_assert_str_eq(decide(rs, &pkt, &lit, &v), "bash");
	rules_free(rs);
	free(sh);
	remove_tree(dir);
}

Test(rules_load, missing_paths_warn_and_stay)
{
	char dir[64], path[256], here[256], text[1024], want[2048];
	struct rules_proc p = { .exe = "/opt/hone-no-such/x" };
	struct rules_pkt pkt = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_OUT);
	struct rules_verdict v;
	struct rules *rs;
	struct diag d;

	tmp_dir(dir);
	/* a path that is its own realpath: nothing to say */
	write_file(in_dir(here, dir, "tool"), "");
	snprintf(text, sizeof(text),
		 "[here]\nexe = %s %s/*\naction = accept\n"
		 "[gone]\nexe = /opt/hone-no-such/x\naction = drop\n"
		 "[gone-dir]\nancestor = /opt/hone-no-such/*/y\naction = drop\n"
		 "[wild]\npedigree = * < ** < /*\naction = drop\n", here, dir);
	write_file(in_dir(path, dir, "rules.ini"), text);
	rs = load_path(path, 0, &d);
	cr_assert_not_null(rs, "warnings do not refuse: %s", d.text);
	snprintf(want, sizeof(want),
		 "%1$s:5: warning: /opt/hone-no-such/x does not exist\n"
		 "%1$s:8: warning: /opt/hone-no-such does not exist (the directory of "
		 "/opt/hone-no-such/*/y)\n", path);
	cr_assert_str_eq(d.text, want);
	cr_assert_str_eq(decide(rs, &pkt, &p, &v), "gone", "kept as written");
	rules_free(rs);
	remove_tree(dir);
}
