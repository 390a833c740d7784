// SPDX-License-Identifier: GPL-2.0
/* What honefw --status, the metrics file and the journal are given: the
 * per-rule counters' places, the three renderings of a snapshot (JSON and
 * Prometheus checked by parsers outside honefw: python3's json and
 * tests/netns/status.py), a decision's journal fields, and a control
 * socket whose clients do not read. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ctl.h"
#include "log.h"
#include "status.h"
#include "test_rules.h"
#include "vlog.h"

static const char RULES[] =
	"[global]\ndefault = accept\nunknown = drop\n\n"
	"[no-bob]\nuser = 1001\naction = drop\n\n"
	"[dns:v4]\nrport = 53\naction = reject\n";

/* Rule names are plain; the file's path is not: it needs escaping in
 * JSON and in a label. */
static char rules_dir[] = "/tmp/hone \"st\\.XXXXXX";
static char rules_path[64];

static struct rules *two_rules(void)
{
	struct diag d = { 0 };
	struct rules *rs = NULL;

	cr_assert_not_null(mkdtemp(rules_dir));
	snprintf(rules_path, sizeof(rules_path), "%s/rules.ini", rules_dir);
	write_file(rules_path, RULES);
	cr_assert_eq(rules_load(rules_path, RULES_LOAD_NO_OWNER_CHECK,
				diag_report, &d, &rs), 0, "%s", d.text);
	unlink(rules_path);
	rmdir(rules_dir);
	cr_assert_eq(rules_count(rs), 2);
	return rs;
}

Test(status, hits_are_rules_in_order_then_fallbacks)
{
	struct rules *rs = two_rules();
	struct rules_verdict v = { 0 };
	size_t i;

	for (i = 0; i < 2; i++) {
		v.rule = rules_verdict_nth(rs, i)->rule;
		cr_expect_eq(rule_index(v.rule), i);
		cr_expect_eq(status_hit_index(rs, &v, STATUS_KERNEL), i);
	}
	v.rule = NULL;
	cr_expect_eq(status_hit_index(rs, &v, STATUS_DEFAULT), 2);
	cr_expect_eq(status_hit_index(rs, &v, STATUS_UNKNOWN), 3);
	cr_expect_eq(status_hit_index(rs, &v, STATUS_KERNEL), 4);
	rules_free(rs);
}

static char *render(int (*fn)(const struct status *, FILE *),
		    const struct status *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(fn(st, f), 0);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

/* cmd reads text on its standard input; its exit status. */
static int pipe_to(const char *cmd, const char *text)
{
	FILE *p = popen(cmd, "w");

	cr_assert_not_null(p);
	fputs(text, p);
	return pclose(p);
}

static void snapshot_of(struct status *st, struct rules *rs,
			const struct status_hits *hits)
{
	*st = (struct status){
		.config = "/etc/hone/rules.ini", .rs = rs, .hits = hits,
		.loaded = 1764720000, .sensor = "netlink", .judged = 17,
		.unknown = 2, .conns = 4, .queue = 3, .nqueues = RULES_QUEUES,
		.has_queue_stats = true,
		.q = { .dropped = 5, .user_dropped = 6 },
		.log = { .path = "/var/log/hone/v\"1.pcapng", .written = 9 },
		.ahead = true, .ahead_given = 5, .ahead_passed = 3,
		.ahead_taken_back = 1, .offloaded = 8, .changed = 2,
		.given_up = 10,
	};
}

Test(status, json_is_one_object_with_every_rule)
{
	struct status_hits hits[5] = { { 7, 2 }, { 3, 1 }, { 4, 1 }, { 3, 0 } };
	struct rules *rs = two_rules();
	struct status st;
	char cmd[768], *out;

	snapshot_of(&st, rs, hits);
	out = render(status_json, &st);
	setenv("RULES_PATH", rules_path, 1);
	snprintf(cmd, sizeof(cmd), "python3 -c 'import json, os, sys\n"
		 "s = json.load(sys.stdin)\n"
		 "p = os.environ[\"RULES_PATH\"]\n"
		 "r = [(x[\"name\"], x[\"file\"], x[\"packets\"], x[\"connections\"]) for x in s[\"rules\"]]\n"
		 "assert r == [(\"no-bob\", p, 7, 2), (\"dns:v4\", p, 3, 1),"
		 " (\"default\", \"[global]\", 4, 1), (\"unknown\", \"[global]\", 3, 0), (\"kernel\", \"[global]\", 0, 0)], r\n"
		 "assert s[\"rules\"][3][\"action\"] == \"drop\"\n"
		 "assert s[\"packets\"][\"judged\"] == 17 and s[\"queue\"][\"user_dropped\"] == 6\n"
		 "assert s[\"ahead\"][\"on\"] and s[\"ahead\"][\"taken_back\"] == 1\n"
		 "assert s[\"tables\"][\"offloaded\"] == 8 and s[\"tables\"][\"changed\"] == 2\n"
		 "assert s[\"tables\"][\"given_up\"] == 10\n"
		 "assert s[\"log\"][\"path\"] == \"/var/log/hone/v\\\"1.pcapng\"'");
	cr_expect_eq(pipe_to(cmd, out), 0, "%s", out);
	free(out);
	rules_free(rs);
}

Test(status, prometheus_text_parses_and_escapes_labels)
{
	struct status_hits hits[5] = { { 7, 2 }, { 3, 1 } };
	struct rules *rs = two_rules();
	const char *src = getenv("HONE_SRCDIR");
	struct status st;
	char cmd[512], want[256], *out;

	snapshot_of(&st, rs, hits);
	out = render(status_prom, &st);
	cr_expect(strstr(out, "hone_packets_judged_total 17\n"), "%s", out);
	cr_expect(strstr(out, "hone_queue_user_dropped_total 6\n"));
	cr_expect(strstr(out, "hone_ahead_passed_total 3\n"));
	cr_expect(strstr(out, "hone_offloaded_changed_total 2\n"));
	cr_expect(strstr(out, "hone_offloaded_given_up_total 10\n"));
	/* The path's quote and backslash escaped, then the mkdtemp part. */
	snprintf(want, sizeof(want), "hone_rule_packets_total{rule=\"dns:v4\","
		 "file=\"/tmp/hone \\\"st\\\\%s/rules.ini\",line=\"9\","
		 "action=\"reject\"} 3\n", rules_dir + strlen("/tmp/hone \"st\\"));
	cr_expect(strstr(out, want), "%s\nnot in\n%s", want, out);
	snprintf(cmd, sizeof(cmd), "python3 %s/tests/netns/status.py prom "
		 "/dev/stdin > /dev/null", src ? src : ".");
	cr_expect_eq(pipe_to(cmd, out), 0, "%s", out);
	free(out);
	/* Without the kernel's queue line, no queue counters at all. */
	st.has_queue_stats = false;
	out = render(status_prom, &st);
	cr_expect_null(strstr(out, "hone_queue_"));
	free(out);
	rules_free(rs);
}

Test(status, text_names_rules_with_counts_and_place)
{
	struct status_hits hits[5] = { { 7, 2 } };
	struct rules *rs = two_rules();
	struct status st;
	char want[256], *out;

	snapshot_of(&st, rs, hits);
	out = render(status_text, &st);
	snprintf(want, sizeof(want), "\n             7            2  drop     "
		 "no-bob (%s:5)\n", rules_path);
	cr_expect(strstr(out, want), "%s", out);
	cr_expect(strstr(out, "\njudged: 17 packets (2 with no known "
			 "process, 0 unparsable, 0 action errors)"), "%s", out);
	cr_expect(strstr(out, "\nqueues 3-12: 0 waiting, 5 dropped (queue full), "
			 "6 dropped (netlink)\n"), "%s", out);
	cr_expect(strstr(out, " 8 offloaded (2 taken back: their process "
			 "changed; 10 taken back to make room; 0 destroy "
			 "notices lost)\n"), "%s", out);
	cr_expect(strstr(out, "\nahead: on, 5 verdicts given, 0 ended; 3 "
			 "connections passed unqueued, 1 of them by a stale "
			 "verdict\n"), "%s", out);
	free(out);
	rules_free(rs);
}

/* The fields, joined by newlines. */
static char *fields_text(const struct log_fields *lf)
{
	static char out[4096];
	size_t i, len = 0;

	for (i = 0; i < lf->n; i++)
		len += snprintf(out + len, sizeof(out) - len, "%.*s\n",
				(int)lf->iov[i].iov_len,
				(char *)lf->iov[i].iov_base);
	return out;
}

Test(status, journal_fields_of_a_drop)
{
	struct rules *rs = two_rules();
	struct proc p = {
		.view = { .pid = 4242, .uid = 1001 },
		.exe = "/usr/bin/curl", .user = "hone-bob",
	};
	struct rules_pkt k = {
		.family = AF_INET6, .proto = IPPROTO_TCP, .dir = RULES_DIR_OUT,
		.lport = 39656, .rport = 80,
	};
	struct rules_verdict v = *rules_verdict_nth(rs, 0);
	struct log_fields lf = { .n = 0 };
	char want[512];

	inet_pton(AF_INET6, "fd99::1", k.local);
	inet_pton(AF_INET6, "fd99::2", k.remote);
	vlog_fields(&(struct vlog_entry){ .pkt = &k, .proc = &p, .v = &v,
					  .mark = 0x01000042 }, &lf);
	snprintf(want, sizeof(want),
		"HONE_VERDICT=drop\nHONE_RULE=no-bob\nHONE_RULE_AT=%s:5\n"
		"HONE_PID=4242\nHONE_EXE=/usr/bin/curl\nHONE_USER=hone-bob\n"
		"HONE_UID=1001\nHONE_DIRECTION=out\nHONE_PROTO=tcp\n"
		"HONE_LOCAL=fd99::1\nHONE_LOCAL_PORT=39656\n"
		"HONE_REMOTE=fd99::2\nHONE_REMOTE_PORT=80\nHONE_MARK=0x42\n",
		rules_path);
	cr_expect_str_eq(fields_text(&lf), want);
	/* No process: the fallback (unknown: a socket whose owner is not
	 * known) and the packet, nothing made up. */
	lf.n = lf.used = 0;
	v = (struct rules_verdict){ .action = RULES_DROP };
	p.foreign = true;
	vlog_fields(&(struct vlog_entry){ .pkt = &k, .v = &v, .dry_run = true },
		    &lf);
	cr_expect(strstr(fields_text(&lf), "HONE_RULE=unknown\n"
			 "HONE_RULE_AT=[global]:0\nHONE_DRY_RUN=1\n"
			 "HONE_DIRECTION=out\n"), "%s", fields_text(&lf));
	cr_expect_null(strstr(fields_text(&lf), "HONE_PID"));
	rules_free(rs);
}

Test(status, journal_field_too_long_is_left_out_whole)
{
	struct log_fields lf = { .n = 0 };
	char big[sizeof(lf.buf)];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_field(&lf, "HONE_A", "1");
	log_field(&lf, "HONE_EXE", "%s", big);
	log_field(&lf, "HONE_B", "2");
	cr_expect_str_eq(fields_text(&lf), "HONE_A=1\nHONE_B=2\n");
}

/* An answer far bigger than a socket holds. */
static int big_answer(void *ctx, bool json, FILE *f)
{
	size_t i;

	*(int *)ctx += 1;
	for (i = 0; i < 64 * 1024; i++)
		fputs(json ? "{\"pad\":0123456789}\n" : "pad 0123456789\n", f);
	return 0;
}

static int client(const char *path, const char *req)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	strcpy(sa.sun_path, path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (req)
		cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	return fd;
}

/* One loop turn of the daemon's: poll without waiting, then serve. */
static void turn(struct ctl *c, uint64_t now, int *asked)
{
	struct pollfd pfd[CTL_POLLFDS];
	size_t n = ctl_pollfds(c, pfd);

	poll(pfd, n, 0);
	ctl_serve(c, pfd, n, now, big_answer, asked);
}

/* How many bytes wait at fd, and whether it was closed after them. */
static size_t drain(int fd, bool *eof)
{
	char buf[65536];
	size_t got = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		got += n;
	*eof = n == 0 || (n < 0 && errno == ECONNRESET);
	return got;
}

Test(status, clients_that_do_not_read_cost_no_wait)
{
	char dir[] = "/tmp/hone-ctl.XXXXXX", path[64];
	struct timespec t0, t1;
	int fd[CTL_CLIENTS + 1], asked = 0, i;
	struct ctl *c;
	bool eof;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s/honefw.sock", dir);
	cr_assert_eq(ctl_open(path, &c), 0);
	/* CTL_CLIENTS ask and read nothing; one more asks nothing. */
	for (i = 0; i < CTL_CLIENTS; i++)
		fd[i] = client(path, "status json\n");
	fd[i] = client(path, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 20; i++)
		turn(c, 1000, &asked);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_expect_eq(asked, CTL_CLIENTS, "asked %d", asked);
	cr_expect_lt((t1.tv_sec - t0.tv_sec) * 1000 +
		     (t1.tv_nsec - t0.tv_nsec) / 1000000, 1000,
		     "20 turns with every client stalled take no time");
	cr_expect_eq(drain(fd[CTL_CLIENTS], &eof), 0);
	cr_expect(eof, "a client beyond CTL_CLIENTS is closed at once");
	/* Past CTL_TIMEOUT_MS the stalled ones go, their answers cut. */
	turn(c, 1000 + CTL_TIMEOUT_MS * 1000000ULL, &asked);
	for (i = 0; i < CTL_CLIENTS; i++) {
		cr_expect_lt(drain(fd[i], &eof), 64 * 1024 * 19);
		cr_expect(eof, "stalled client %d closed", i);
		close(fd[i]);
	}
	close(fd[CTL_CLIENTS]);
	cr_expect_eq(ctl_open(path, &(struct ctl *){ NULL }), -EADDRINUSE,
		     "a live honefw's socket is not taken");
	ctl_close(c);
	cr_expect_neq(access(path, F_OK), 0, "the socket is removed");
	snprintf(path, sizeof(path), "%s/s", dir);
	rmdir(path);
	rmdir(dir);
}
