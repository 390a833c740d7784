// SPDX-License-Identifier: GPL-2.0
/*
 * Replay (policyd/replay.c) on captures written in the test by honefw's
 * own verdict log writer (vfile.c) and by the builder in hone.ko's form:
 * the process, pedigree and owner the daemon had, the foreign claim it
 * found, the packet's index, the rules' verdict and why, and the place a
 * damaged capture broke.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <hone/hone.h>

#include "flow.h"
#include "proctab.h"
#include "replay.h"
#include "test_pcapng.h"
#include "vfile.h"

#define MAXSEEN	16

/* What the callback saw of each packet, copied out. */
struct seen {
	size_t n;
	struct {
		uint32_t pid, uid, ppid;
		char exe[64], parent[64], host[64];
		bool foreign, parsed;
		uint64_t nth, cookie, offset;
		struct rules_pkt pkt;
	} p[MAXSEEN];
};

static void on_packet(void *ctx, const struct replay_pkt *rp)
{
	struct seen *s = ctx;
	const struct proc *p = rp->proc;

	cr_assert_lt(s->n, MAXSEEN);
	s->p[s->n].parsed = rp->parsed;
	s->p[s->n].nth = rp->pkt.nth;
	s->p[s->n].cookie = rp->cookie;
	s->p[s->n].offset = rp->offset;
	s->p[s->n].pkt = rp->pkt;
	snprintf(s->p[s->n].host, 64, "%s", rp->host);
	if (p) {
		s->p[s->n].pid = p->view.pid;
		s->p[s->n].uid = p->view.uid;
		s->p[s->n].ppid = p->view.ppid;
		s->p[s->n].foreign = p->foreign;
		snprintf(s->p[s->n].exe, 64, "%s", p->exe ? p->exe : "");
		snprintf(s->p[s->n].parent, 64, "%s", p->view.parent &&
			 p->view.parent->exe ? p->view.parent->exe : "");
	}
	s->n++;
}

/* The file at path as it is: a claim that holds. */
static struct exe_file file_of(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return (struct exe_file){ st.st_dev, st.st_ino };
}

/* 10.0.0.1:40000 -> 10.0.0.2:80, TCP with flags. */
static void tcp4(uint8_t p[40], uint8_t flags)
{
	static const uint8_t h[40] = {
		0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0,
		10, 0, 0, 1, 10, 0, 0, 2,
		0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0, 0xff, 0xff,
	};

	memcpy(p, h, sizeof(h));
	p[33] = flags;
}

struct log {
	char path[32];
	struct vfile *f;
	struct proctab *t;
	struct pent *sh, *curl, *env;
	struct conn c;
};

/* /bin/sh (root) started a curl-like program as uid 1001 (/usr/bin/env,
 * the very file) and one whose path is a claim (/usr/bin/env, but another
 * file runs). */
static void log_open(struct log *l)
{
	struct exe_file sh = file_of("/bin/sh"), env = file_of("/usr/bin/env");
	int fd;

	snprintf(l->path, sizeof(l->path), "/tmp/hone-replay-XXXXXX");
	fd = mkstemp(l->path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(vfile_open(l->path, &l->f), 0);
	cr_assert_eq(proctab_init(&l->t), 0);
	l->sh = proctab_new(l->t, 100, 1000, NULL);
	cr_assert_eq(proctab_exec(l->t, l->sh, "/bin/sh", &sh, false, "sh", 3),
		     0);
	proctab_set_ids(l->t, l->sh, 0, 0, "root");
	l->curl = proctab_new(l->t, 101, 2000, l->sh);
	cr_assert_eq(proctab_exec(l->t, l->curl, "/usr/bin/env", &env, false,
				  "env\0curl", 9), 0);
	proctab_set_ids(l->t, l->curl, 1001, 1001, NULL);
	l->env = proctab_new(l->t, 102, 3000, l->sh);
	/* A bind mount's: the path of env, the file of sh. */
	cr_assert_eq(proctab_exec(l->t, l->env, "/usr/bin/env", &sh, true,
				  "env", 4), 0);
	proctab_set_ids(l->t, l->env, 1002, 1002, NULL);
	cr_assert(!l->curl->p.foreign && l->env->p.foreign);
}

/* One judged packet of proc on socket cookie, as the daemon logs it. */
static void log_packet(struct log *l, struct pent *e, uint64_t cookie,
		       uint64_t nth)
{
	struct rules_verdict v = { .action = RULES_ACCEPT };
	struct rules_pkt pkt;
	uint8_t ip[40];

	tcp4(ip, nth == 1 ? 0x02 : 0x10);
	cr_assert_eq(flow_parse(ip, sizeof(ip), NF_INET_LOCAL_OUT, &pkt), 0);
	pkt.nth = nth;
	l->c = (struct conn){ .cookie = cookie, .pid = e->p.view.pid,
			      .uid = e->p.view.uid, .proc = &e->p };
	cr_assert_eq(vfile_packet(l->f, &(struct vlog_entry){
		.data = ip, .len = sizeof(ip), .wire_len = sizeof(ip),
		.pkt = &pkt, .conn = &l->c, .proc = &e->p, .v = &v,
	}, "test"), 0);
}

static void log_close(struct log *l)
{
	vfile_close(l->f);
	proctab_free(l->t);
}

static int replay(const char *path, struct seen *s, struct replay_stats *st,
		  char *err)
{
	memset(s, 0, sizeof(*s));
	memset(st, 0, sizeof(*st));
	return replay_file(path, on_packet, s, st, err, 256);
}

/* Two packets of curl's socket 7, one of the claim's socket 8, logged
 * and replayed. */
static void replay_three(struct seen *s, struct replay_stats *st)
{
	struct log l;
	char err[256];

	log_open(&l);
	log_packet(&l, l.curl, 7, 1);
	log_packet(&l, l.curl, 7, 2);
	log_packet(&l, l.env, 8, 1);
	log_close(&l);
	cr_assert_eq(replay(l.path, s, st, err), 0, "%s", err);
	unlink(l.path);
	cr_assert_eq(s->n, 3);
}

Test(replay, rebuilds_process_pedigree_and_owner_from_the_verdict_log)
{
	struct replay_stats st;
	struct utsname u;
	struct seen s;

	replay_three(&s, &st);
	cr_assert_eq(st.packets, 3);
	cr_expect_eq(s.p[0].pid, 101);
	cr_expect_eq(s.p[0].uid, 1001);
	cr_expect_eq(s.p[0].ppid, 100);
	cr_expect_str_eq(s.p[0].exe, "/usr/bin/env");
	cr_expect_str_eq(s.p[0].parent, "/bin/sh", "the pedigree came along");
	cr_expect_not(s.p[0].foreign, "the log named the file: trusted");
	cr_expect_eq(s.p[0].cookie, 7);
	cr_expect_eq(s.p[1].nth, 2, "the daemon's index in the connection");
	cr_expect_eq(s.p[2].pid, 102);
	cr_expect(s.p[2].foreign, "a claim the daemon refused stays one, "
		  "wherever the replay runs");
	cr_assert_eq(uname(&u), 0);
	cr_expect_str_eq(s.p[0].host, u.nodename, "the SHB names the host");
}

/* A packet whose socket's process honefw could not name, but whose uid
 * the queue told (user rules judged it), and one of no socket at all:
 * replay tells them apart, and knows the uid. */
Test(replay, an_unnamed_sockets_packet_keeps_its_uid)
{
	struct rules_verdict v = { .action = RULES_DROP };
	struct replay_stats st;
	struct rules_pkt pkt;
	uint8_t ip[40];
	char err[256];
	struct seen s;
	struct log l;
	int i;

	log_open(&l);
	tcp4(ip, 0x02);
	for (i = 0; i < 2; i++) {
		cr_assert_eq(flow_parse(ip, sizeof(ip), NF_INET_LOCAL_OUT,
					&pkt), 0);
		pkt.nth = 1;
		pkt.has_uid = i == 0;
		pkt.uid = 1001;
		cr_assert_eq(vfile_packet(l.f, &(struct vlog_entry){
			.data = ip, .len = sizeof(ip), .wire_len = sizeof(ip),
			.pkt = &pkt, .v = &v,
		}, "test"), 0);
	}
	log_close(&l);
	cr_assert_eq(replay(l.path, &s, &st, err), 0, "%s", err);
	unlink(l.path);
	cr_assert_eq(s.n, 2);
	cr_expect(s.p[0].pkt.has_uid);
	cr_expect_eq(s.p[0].pkt.uid, 1001);
	cr_expect_not(s.p[0].pkt.nosock, "a socket held it: unknown's");
	cr_expect_not(s.p[1].pkt.has_uid);
	cr_expect(s.p[1].pkt.nosock, "no socket: kernel's");
}

Test(replay, judges_with_the_daemons_matcher_and_explains)
{
	static const char ini[] =
		"[global]\ndefault = accept\n"
		"[later]\nuser = 1001\nnth = 2-9\nparent = /bin/sh\n"
		"action = drop\n"
		"[path]\nexe = /usr/bin/env\naction = reject\n";
	struct rules_verdict v;
	struct replay_stats st;
	struct rules *rs;
	struct seen s;
	char why[256];
	size_t i;

	cr_assert_eq(rules_load_buffer("t.ini", ini, sizeof(ini) - 1, NULL,
				       NULL, &rs), 0);
	replay_three(&s, &st);
	for (i = 0; i < s.n; i++) {
		struct rules_proc pr = { .pid = s.p[i].pid,
					 .uid = s.p[i].uid };
		struct rules_proc parent = { .exe = s.p[i].parent };

		pr.exe = s.p[i].foreign ? NULL : s.p[i].exe;
		pr.parent = &parent;
		rules_match(rs, &s.p[i].pkt, &pr, &v);
		rules_explain(v.rule, &s.p[i].pkt, &pr, why, sizeof(why));
		switch (i) {
		case 0:
			cr_expect_eq(v.action, RULES_REJECT, "first packet");
			cr_expect_str_eq(why, "exe=/usr/bin/env");
			break;
		case 1:
			cr_expect_eq(v.action, RULES_DROP, "nth 2");
			cr_expect_str_eq(why, "user=1001 parent=/bin/sh nth=2");
			break;
		case 2:
			cr_expect_eq(v.action, RULES_ACCEPT,
				     "a foreign path matches no exe key");
			cr_expect_str_eq(why, "no rule matched: default");
			break;
		}
	}
	rules_free(rs);
}

Test(replay, an_exec_after_a_packet_is_written_again)
{
	struct exe_file sh = file_of("/bin/sh");
	struct replay_stats st;
	struct seen s;
	struct log l;
	char err[256];

	log_open(&l);
	log_packet(&l, l.curl, 7, 1);
	/* Same pid, same start: it exec'd /bin/sh. */
	cr_assert_eq(proctab_exec(l.t, l.curl, "/bin/sh", &sh, false, "sh", 3),
		     0);
	log_packet(&l, l.curl, 9, 1);
	log_close(&l);
	cr_assert_eq(replay(l.path, &s, &st, err), 0, "%s", err);
	unlink(l.path);
	cr_assert_eq(s.n, 2);
	cr_expect_str_eq(s.p[0].exe, "/usr/bin/env");
	cr_expect_str_eq(s.p[1].exe, "/bin/sh");
}

Test(replay, a_truncated_capture_says_where_and_keeps_what_it_read)
{
	struct replay_stats st;
	struct stat sb;
	struct seen s;
	struct log l;
	char err[256], want[64];

	log_open(&l);
	log_packet(&l, l.curl, 7, 1);
	log_packet(&l, l.curl, 7, 2);
	log_packet(&l, l.curl, 7, 3);
	log_close(&l);
	cr_assert_eq(stat(l.path, &sb), 0);
	/* Into the last packet block. */
	cr_assert_eq(truncate(l.path, sb.st_size - 10), 0);
	cr_assert_lt(replay(l.path, &s, &st, err), 0);
	cr_expect_eq(st.packets, 2, "the whole packets before are counted");
	cr_assert_eq(s.n, 2);
	snprintf(want, sizeof(want), "%s: offset %llu: ", l.path,
		 (unsigned long long)(s.p[1].offset + (s.p[1].offset -
						       s.p[0].offset)));
	cr_expect(!strncmp(err, want, strlen(want)), "'%s' starts with '%s'",
		  err, want);
	cr_expect(strstr(err, "inside a block"), "%s", err);
	unlink(l.path);
}

Test(replay, garbage_says_file_and_offset)
{
	char path[] = "/tmp/hone-replay-XXXXXX", err[256];
	struct replay_stats st;
	struct seen s;
	int fd = mkstemp(path);

	cr_assert_eq(write(fd, "not a capture, not at all", 25), 25);
	close(fd);
	cr_assert_lt(replay(path, &s, &st, err), 0);
	cr_expect(!strncmp(err, path, strlen(path)) &&
		  strstr(err, "offset 0:"), "%s", err);
	unlink(path);
	cr_assert_lt(replay("/nonexistent/capture", &s, &st, err), 0);
	cr_expect_str_eq(err, "/nonexistent/capture: No such file or directory");
}

Test(replay, a_hone_ko_capture_names_host_and_owner)
{
	struct replay_stats st;
	struct seen s;
	char path[] = "/tmp/hone-replay-XXXXXX", err[256];
	static uint8_t buf[8192];
	size_t n = test_pcapng_capture(buf, sizeof(buf));
	int fd = mkstemp(path);

	cr_assert_eq(write(fd, buf, n), (ssize_t)n);
	close(fd);
	cr_assert_eq(replay(path, &s, &st, err), 0, "%s", err);
	unlink(path);
	cr_assert_eq(s.n, TEST_PCAPNG_PACKETS);
	cr_expect_str_eq(s.p[0].host, "host1");
	cr_expect_eq(s.p[0].pid, TEST_PCAPNG_PID, "the connection's owner");
	cr_expect_str_eq(s.p[0].exe, TEST_PCAPNG_EXE);
	cr_expect(s.p[0].foreign, "no exe dev/ino in the block: a claim");
	cr_expect_eq(st.events, 2);
}

/* hone.ko's stream has no index per packet: counted per connection, as
 * the daemon counts. A fork and exec give the pedigree. */
Test(replay, a_hone_ko_stream_without_indexes_is_counted)
{
	struct exe_file sh = file_of("/bin/sh");
	static uint8_t buf[8192];
	struct pcapng_builder w = { .buf = buf, .cap = sizeof(buf) };
	char path[] = "/tmp/hone-replay-XXXXXX", err[256];
	struct replay_stats st;
	struct seen s;
	uint8_t ip[40];
	int fd, i;

	test_pcapng_shb(&w);
	pcapng_begin(&w, HONE_BT_IDB);
	pcapng_put32(&w, HONE_LINKTYPE_RAW);
	pcapng_put32(&w, 128);
	cr_assert_gt(pcapng_end(&w), 0);
	for (i = 0; i < 2; i++) {
		pcapng_begin(&w, HONE_BT_PROCESS);
		pcapng_put32(&w, 200 + i);
		pcapng_put32(&w, 0);
		pcapng_put32(&w, 0);
		pcapng_opt32(&w, HONE_PROC_EVENT, i ? HONE_PROC_FORK :
			     HONE_PROC_EXEC);
		pcapng_opt(&w, HONE_PROC_PATH, "/bin/sh", 7);
		pcapng_opt32(&w, HONE_PROC_PPID, i ? 200 : 1);
		pcapng_opt32(&w, HONE_PROC_UID, 1000 + i);
		pcapng_opt64(&w, HONE_PROC_EXE_DEV, sh.dev);
		pcapng_opt64(&w, HONE_PROC_EXE_INO, sh.ino);
		cr_assert_gt(pcapng_end(&w), 0);
	}
	pcapng_begin(&w, HONE_BT_CONNECTION);
	pcapng_put32(&w, 5);
	pcapng_put32(&w, 201);
	pcapng_put32(&w, 0);
	pcapng_put32(&w, 0);
	pcapng_opt64(&w, HONE_CONN_COOKIE, 5);
	cr_assert_gt(pcapng_end(&w), 0);
	for (i = 0; i < 3; i++) {
		tcp4(ip, 0x10);
		pcapng_begin(&w, HONE_BT_EPB);
		pcapng_put32(&w, 0);
		pcapng_put32(&w, 0);
		pcapng_put32(&w, 0);
		pcapng_put32(&w, sizeof(ip));
		pcapng_put32(&w, sizeof(ip));
		pcapng_put(&w, ip, sizeof(ip));
		pcapng_opt32(&w, HONE_EPB_FLAGS, HONE_EPB_FLAG_OUTBOUND);
		pcapng_opt64(&w, HONE_EPB_COOKIE, 5);
		cr_assert_gt(pcapng_end(&w), 0);
	}
	fd = mkstemp(path);
	cr_assert_eq(write(fd, buf, w.len), (ssize_t)w.len);
	close(fd);
	cr_assert_eq(replay(path, &s, &st, err), 0, "%s", err);
	unlink(path);
	cr_assert_eq(s.n, 3);
	for (i = 0; i < 3; i++) {
		cr_expect_eq(s.p[i].nth, (uint64_t)i + 1);
		cr_expect_eq(s.p[i].pid, 201);
		cr_expect_eq(s.p[i].uid, 1001);
		cr_expect_eq(s.p[i].ppid, 200, "the fork's parent");
		cr_expect_str_eq(s.p[i].parent, "/bin/sh");
		cr_expect_not(s.p[i].foreign, "dev and ino given: trusted");
	}
}
