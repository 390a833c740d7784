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

/* Runs honefw --check on a root-owned 0644 copy of text; its output in out. */
static int check_text(const char *text, const char *name, char *out, size_t size)
{
	char dir[] = "/tmp/hone-check-XXXXXX", path[256], cmd[512];
	const char *honefw = getenv("HONEFW");
	size_t len = 0;
	FILE *f;
	int status;

	cr_assert_not_null(honefw, "HONEFW: run by make check-unit");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, 0644), 0);
	snprintf(cmd, sizeof(cmd), "cd %s && %s --check -c %s 2>&1", dir, honefw, name);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while (len + 1 < size && fgets(out + len, size - len, f))
		len += strlen(out + len);
	status = pclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(rules_check, good_file)
{
	char out[4096] = "";

	cr_assert_eq(check_text("[global]\ndefault = drop\n[a]\nexe = /usr/bin/curl\n"
				"action = accept\n", "good.ini", out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "good.ini: ok, 1 rule, default drop, unknown drop, "
			 "failmode open, queue 0, 0 warnings\n");
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
	char cmd[512], out[512] = "";
	size_t len = 0;
	FILE *f;

	cr_assert_not_null(getenv("HONEFW"));
	snprintf(cmd, sizeof(cmd), "%s --check -c /nonexistent/rules.ini 2>&1",
		 getenv("HONEFW"));
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while (len + 1 < sizeof(out) && fgets(out + len, sizeof(out) - len, f))
		len += strlen(out + len);
	cr_assert_eq(WEXITSTATUS(pclose(f)), 1);
	cr_assert_str_eq(out, "/nonexistent/rules.ini: cannot open: No such file or directory\n"
			 "/nonexistent/rules.ini: rejected, 1 error\n");
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
		cr_expect(strstr(out, ": ok, ") && strstr(out, " 0 warnings"), "%s", out);
		free(text);
		n++;
	}
	globfree(&g);
	cr_assert_geq(n, 5, "rules, desktop, enterprise-allowlist, qos, dns-redirect");
}
