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

/* What rules_read() handed on, copied: its own copies are gone by then. */
struct files_read {
	struct rules_file f[8];
	size_t n;
	int fail;		/* what keep() returns */
};

static int keep(void *ctx, const struct rules_file *f)
{
	struct files_read *r = ctx;

	cr_assert_lt(r->n, 8);
	r->f[r->n++] = (struct rules_file){
		.name = strdup(f->name), .main_file = f->main_file,
		.buf = strndup(f->buf, f->len), .len = f->len,
	};
	return r->fail;
}

/* Scribbled over first: what still points into them shows it. */
static void files_read_free(struct files_read *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		memset((char *)r->f[i].name, 'X', strlen(r->f[i].name));
		memset((char *)r->f[i].buf, 'X', r->f[i].len);
		free((char *)r->f[i].name);
		free((char *)r->f[i].buf);
	}
	r->n = 0;
}

/* rules_read() of path into r, which must go well: its *errors. */
static unsigned read_path(const char *path, struct files_read *r,
			  struct diag *d)
{
	unsigned errors = 12345;

	memset(d, 0, sizeof(*d));
	cr_assert_eq(rules_read(path, 0, diag_report, d, keep, r, &errors), 0,
		     "%s", d->text);
	return errors;
}

static void expect_file(const struct rules_file *f, const char *name,
			bool main_file, const char *text)
{
	cr_expect_str_eq(f->name, name);
	cr_expect_eq(f->main_file, main_file, "%s", name);
	cr_expect_eq(f->len, strlen(text), "%s", name);
	cr_expect_str_eq(f->buf, text);
}

#define A_INI	"[u]\nuser = 1000\naction = accept\n"
#define B_INI	"[b]\nexe = /opt/hone-no-such/b\naction = drop\n"

/* dir/rules.ini (GOOD), rules.d/ 10-a.ini (A_INI), B.ini (B_INI) and
 * a file that is not rules; path is rules.ini's. */
static void rules_tree(char dir[64], char path[256])
{
	char sub[256];

	tmp_dir(dir);
	write_file(in_dir(path, dir, "rules.ini"), GOOD);
	cr_assert_eq(mkdir(in_dir(sub, dir, "rules.d"), 0755), 0);
	write_file(in_dir(sub, dir, "rules.d/B.ini"), B_INI);
	write_file(in_dir(sub, dir, "rules.d/10-a.ini"), A_INI);
	write_file(in_dir(sub, dir, "rules.d/notes.txt"), "not rules");
}

Test(rules_read, main_then_rules_d_in_byte_order)
{
	char dir[64], path[256], a[256], b[256], c[256];
	struct files_read r = { 0 };
	unsigned errors;
	struct diag d;

	rules_tree(dir, path);
	/* 'B' is before 'a' in bytes, after it in most locales' order */
	write_file(in_dir(c, dir, "rules.d/a.ini"), "[c]\naction = drop\n");
	cr_assert_eq(read_path(path, &r, &d), 0);
	cr_assert_str_eq(d.text, "");
	cr_assert_eq(r.n, 4);
	expect_file(&r.f[0], path, true, GOOD);
	expect_file(&r.f[1], in_dir(a, dir, "rules.d/10-a.ini"), false, A_INI);
	expect_file(&r.f[2], in_dir(b, dir, "rules.d/B.ini"), false, B_INI);
	expect_file(&r.f[3], c, false, "[c]\naction = drop\n");
	files_read_free(&r);

	/* fn's error ends the reading and is what it returns */
	r.fail = -ECANCELED;
	cr_assert_eq(rules_read(path, 0, NULL, NULL, keep, &r, &errors),
		     -ECANCELED);
	cr_assert_eq(r.n, 1);
	files_read_free(&r);
	remove_tree(dir);
}

Test(rules_read, refused_file_counted_and_reading_goes_on)
{
	char dir[64], path[256], a[256], b[256], want[512];
	struct files_read r = { 0 };
	struct diag d;

	rules_tree(dir, path);
	cr_assert_eq(chmod(in_dir(a, dir, "rules.d/10-a.ini"), 0664), 0);
	cr_assert_eq(read_path(path, &r, &d), 1);
	snprintf(want, sizeof(want), "%s:0: refused: writable by group or others "
		 "(mode 0664), expected chmod go-w\n", a);
	cr_assert_str_eq(d.text, want);
	cr_assert_eq(r.n, 2);
	expect_file(&r.f[0], path, true, GOOD);
	expect_file(&r.f[1], in_dir(b, dir, "rules.d/B.ini"), false, B_INI);
	files_read_free(&r);
	remove_tree(dir);
}

/* rules_read() and rules_parse() as rules_load() would do them: the same
 * rule set, the same diagnostics. */
static struct rules *read_parse(const char *path, int want, struct diag *d)
{
	struct files_read r = { 0 };
	struct rules *rs = (void *)1;	/* rules_parse() sets it, if to NULL */
	struct diag parsed = { 0 };
	unsigned errors = read_path(path, &r, d);

	cr_assert_eq(rules_parse(r.f, r.n, errors, diag_report, &parsed, &rs),
		     want, "%s", parsed.text);
	files_read_free(&r);
	strcat(d->text, parsed.text);
	return rs;
}

static void expect_same_rules(const struct rules *x, const struct rules *y)
{
	const struct rule *rx, *ry;
	size_t i;

	cr_assert_eq(rules_count(x), rules_count(y));
	for (i = 0; i < rules_count(x); i++) {
		rx = rules_verdict_nth(x, i)->rule;
		ry = rules_verdict_nth(y, i)->rule;
		cr_expect_str_eq(rule_name(rx), rule_name(ry));
		cr_expect_str_eq(rule_file(rx), rule_file(ry));
		cr_expect_eq(rule_line(rx), rule_line(ry));
	}
}

Test(rules_parse, as_rules_load)
{
	char dir[64], path[256], a[256], b[256];
	struct diag dl, dp;
	struct rules *rl, *rp;

	rules_tree(dir, path);
	rl = load_path(path, 0, &dl);
	cr_assert_not_null(rl, "%s", dl.text);
	rp = read_parse(path, 0, &dp);
	cr_assert_eq(rules_count(rp), 3);
	expect_same_rules(rl, rp);
	/* B.ini's missing exe: its paths are resolved too */
	cr_assert(strstr(dp.text, "does not exist"), "%s", dp.text);
	cr_assert_str_eq(dp.text, dl.text);
	rules_free(rl);
	rules_free(rp);

	/* a file refused fails the load, and the others are still looked at */
	cr_assert_eq(chmod(in_dir(a, dir, "rules.d/10-a.ini"), 0664), 0);
	write_file(in_dir(b, dir, "rules.d/B.ini"), "[b]\nexe /usr/bin/curl\n");
	cr_assert_null(load_path(path, 0, &dl));
	cr_assert_null(read_parse(path, -EINVAL, &dp));
	cr_assert(strstr(dp.text, "refused: writable by group"), "%s", dp.text);
	cr_assert(strstr(dp.text, "B.ini:2: "), "%s", dp.text);
	cr_assert_str_eq(dp.text, dl.text);

	/* the refusal alone */
	write_file(b, B_INI);
	cr_assert_null(load_path(path, 0, &dl));
	cr_assert_null(read_parse(path, -EINVAL, &dp));
	cr_assert_str_eq(dp.text, dl.text);
	remove_tree(dir);
}

Test(rules_parse, keeps_no_pointer_into_files)
{
	char dir[64], path[256], b[256];
	struct rules_proc p = { .exe = "/opt/hone-no-such/b" };
	struct rules_pkt pkt = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_OUT);
	struct rules_verdict v;
	struct rules *rs;
	struct diag d;

	rules_tree(dir, path);
	/* read_parse() frees (and scribbles over) its files before this */
	rs = read_parse(path, 0, &d);
	cr_assert_not_null(rs, "%s", d.text);
	cr_assert_str_eq(decide(rs, &pkt, &p, &v), "b");
	cr_assert_str_eq(rule_file(v.rule), in_dir(b, dir, "rules.d/B.ini"));
	cr_assert_str_eq(rule_file(rules_verdict_nth(rs, 0)->rule), path);
	rules_free(rs);
	remove_tree(dir);
}
