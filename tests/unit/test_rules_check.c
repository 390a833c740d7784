// SPDX-License-Identifier: GPL-2.0
/* honefw --check as an administrator runs it: exit status, the summary,
 * "file:line: message" for each error; and every example passes. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

#include "test_rules.h"

/* Runs "cd dir && honefw --check -c name", after setup if given; its
 * output in out, its exit status returned. */
static int check_in(const char *dir, const char *setup, const char *name,
		    char *out, size_t size)
{
	const char *honefw = getenv("HONEFW");
	char cmd[1024];
	size_t len = 0;
	FILE *f;
	int status;

	cr_assert_not_null(honefw, "HONEFW: run by make check-unit");
	snprintf(cmd, sizeof(cmd), "cd %s && %s%s%s --check -c %s 2>&1", dir,
		 setup ? setup : "", setup ? " && " : "", honefw, name);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while (len + 1 < size && fgets(out + len, size - len, f))
		len += strlen(out + len);
	status = pclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* honefw --check on a root-owned 0644 copy of text. */
static int check_text(const char *text, const char *name, char *out, size_t size)
{
	char dir[] = "/tmp/hone-check-XXXXXX", path[256];
	int status;

	cr_assert_not_null(mkdtemp(dir));
	write_file(in_dir(path, dir, name), text);
	status = check_in(dir, NULL, name, out, size);
	remove_tree(dir);
	return status;
}

Test(rules_check, good_file)
{
	char out[4096] = "";

	cr_assert_eq(check_text("[global]\ndefault = drop\n[a]\nexe = /usr/bin/env\n"
				"action = accept\n", "good.ini", out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "good.ini: ok, 1 rule, default drop, unknown drop, "
			 "kernel drop, failmode open, queue 0, 0 warnings\n");
}

Test(rules_check, bad_file)
{
	char out[4096] = "";

	cr_assert_eq(check_text("[global]\ndefault = accept\n\n[a]\nexe = curl\n"
				"action = drop\n[b]\nrport = 99999\n", "bad.ini", out,
				sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "bad.ini:5: exe = 'curl': expected an absolute path"), "%s", out);
	cr_assert(strstr(out, "bad.ini:8: rport = '99999': expected a port"), "%s", out);
	cr_assert(strstr(out, "bad.ini:7: [b]: expected an action"), "%s", out);
	cr_assert(strstr(out, "bad.ini: rejected, 3 errors\n"), "%s", out);
}

Test(rules_check, warning_still_passes)
{
	char out[4096] = "";

	cr_assert_eq(check_text("[a]\nproto = icmp\nlport = 7\naction = drop\n", "w.ini",
				out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "w.ini:1: warning: [a] can never match"), "%s", out);
	cr_assert(strstr(out, "1 warning\n"), "%s", out);
}

Test(rules_check, missing_file)
{
	char out[512] = "";

	cr_assert_eq(check_in("/", NULL, "/nonexistent/rules.ini", out, sizeof(out)), 1);
	cr_assert_str_eq(out, "/nonexistent/rules.ini: cannot open: No such file or directory\n"
			 "/nonexistent/rules.ini: rejected, 1 error\n");
}

/* The report: this hung until someone wrote to the FIFO. */
Test(rules_check, fifo_refused, .timeout = 5)
{
	char dir[] = "/tmp/hone-check-XXXXXX", out[512] = "";

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(check_in(dir, "mkfifo r.ini", "r.ini", out, sizeof(out)), 1);
	cr_assert_str_eq(out, "r.ini: refused: not a regular file (a FIFO), expected a "
			 "regular file\nr.ini: rejected, 1 error\n");
	remove_tree(dir);
}

/* Paths are resolved as on this host: what a host has not installed is
 * only missing, while a path that resolves elsewhere is a wrong one. */
static void expect_only_missing(const char *out)
{
	const char *line, *end;

	for (line = out; (end = strchr(line, '\n')); line = end + 1)
		if (memmem(line, end - line, ": warning: ", 11))
			cr_expect(memmem(line, end - line, " does not exist", 15),
				  "%.*s", (int)(end - line), line);
}

/* The warnings of path resolution, with file:line, still ok. */
Test(rules_check, paths_resolved)
{
	char out[4096] = "";

	cr_assert_eq(check_text("[a]\nexe = /usr/bin/env\naction = accept\n"
				"[b]\nexe = /usr/bin/hone-no-such\naction = drop\n",
				"p.ini", out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "p.ini:5: warning: /usr/bin/hone-no-such does not exist\n"
			 "p.ini: ok, 2 rules, default accept, unknown accept, kernel accept, "
			 "failmode open, queue 0, 1 warning\n");
}

Test(rules_check, every_example)
{
	const char *src = getenv("HONE_SRCDIR");
	char pattern[512], out[8192], *text;
	glob_t g;
	size_t i, n = 0;
	FILE *f;
	long size;

	cr_assert_not_null(src);
	snprintf(pattern, sizeof(pattern), "%s/examples/*.ini", src);
	cr_assert_eq(glob(pattern, 0, NULL, &g), 0);
	for (i = 0; i < g.gl_pathc; i++) {
		/* demo.ini names the demo's users, made only by the demo */
		if (strstr(g.gl_pathv[i], "/demo.ini"))
			continue;
		f = fopen(g.gl_pathv[i], "r");
		cr_assert_not_null(f);
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		rewind(f);
		text = calloc(1, size + 1);
		cr_assert_eq(fread(text, 1, size, f), (size_t)size);
		fclose(f);
		out[0] = '\0';
		cr_expect_eq(check_text(text, strrchr(g.gl_pathv[i], '/') + 1, out, sizeof(out)),
			     0, "%s: %s", g.gl_pathv[i], out);
		cr_expect(strstr(out, ": ok, "), "%s", out);
		expect_only_missing(out);
		free(text);
		n++;
	}
	globfree(&g);
	cr_assert_geq(n, 5, "rules, desktop, enterprise-allowlist, qos, dns-redirect");
}
