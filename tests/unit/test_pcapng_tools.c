// SPDX-License-Identifier: GPL-2.0
/* Stock readers (tshark, tcpdump) open a capture the library wrote. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "test_pcapng.h"

static char dir[64], cap[96];

static void setup(void)
{
	static uint8_t buf[8192];
	size_t len = test_pcapng_capture(buf, sizeof(buf));
	FILE *f;

	strcpy(dir, "/tmp/hone-pcapng-XXXXXX");
	cr_assert(mkdtemp(dir));
	snprintf(cap, sizeof(cap), "%s/t.pcapng", dir);
	f = fopen(cap, "w");
	cr_assert(f);
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

/* The one stderr line each reader prints on a good file: tcpdump's notice
 * of what it reads, tshark's warning when run as root. */
static const char *known_line(const char *prog)
{
	static char line[256];

	if (!strcmp(prog, "tcpdump"))
		snprintf(line, sizeof(line), "reading from file %s, link-type RAW "
			 "(Raw IP), snapshot length 65535\n", cap);
	else
		snprintf(line, sizeof(line), "Running as user \"root\" and group "
			 "\"root\". This could be dangerous.\n");
	return line;
}

/* Run `prog args` on the capture; stdout lines to out[]. It must exit 0
 * and print nothing on stderr but its known line. Returns the line count. */
static int run(const char *prog, const char *args, char out[][256], int max)
{
	char cmd[512], err[128], line[256];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null", prog);
	if (system(cmd))
		cr_skip_test("%s is not installed", prog);
	snprintf(err, sizeof(err), "%s/stderr", dir);
	snprintf(cmd, sizeof(cmd), "%s %s %s 2>%s", prog, args, cap, err);
	p = popen(cmd, "r");
	cr_assert(p);
	while (fgets(line, sizeof(line), p)) {
		cr_assert_lt(n, max, "too many lines from %s", cmd);
		strcpy(out[n++], line);
	}
	cr_assert_eq(pclose(p), 0, "%s failed", cmd);
	p = fopen(err, "r");
	cr_assert(p);
	while (fgets(line, sizeof(line), p))
		cr_assert_str_eq(line, known_line(prog), "%s wrote to stderr", cmd);
	fclose(p);
	return n;
}

TestSuite(pcapng_tools, .init = setup, .fini = teardown);

Test(pcapng_tools, tshark)
{
	char out[16][256];
	int n;

	n = run("tshark", "-n -r", out, 16);
	cr_assert_eq(n, TEST_PCAPNG_PACKETS);
	cr_assert(strstr(out[0], "10.0.0.1") && strstr(out[0], "UDP"), "%s", out[0]);
	cr_assert(strstr(out[1], "2001:db8::2") && strstr(out[1], "TCP"), "%s", out[1]);
	for (int i = 0; i < n; i++)
		cr_assert_not(strstr(out[i], "Malformed"), "%s", out[i]);
	n = run("tshark", "-T fields -e frame.comment -r", out, 16);
	cr_assert_eq(n, TEST_PCAPNG_PACKETS);
	for (int i = 0; i < n; i++)
		cr_assert_str_eq(out[i], TEST_PCAPNG_COMMENT "\n");
}

Test(pcapng_tools, tcpdump)
{
	char out[16][256];
	int n;

	n = run("tcpdump", "-n -r", out, 16);
	cr_assert_eq(n, TEST_PCAPNG_PACKETS);
	cr_assert(strstr(out[0], "10.0.0.1.60000 > 10.0.0.2.60001"), "%s", out[0]);
	cr_assert(strstr(out[1], "2001:db8::2.80 > 2001:db8::1.40000"), "%s", out[1]);
}
