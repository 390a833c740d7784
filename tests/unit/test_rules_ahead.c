// SPDX-License-Identifier: GPL-2.0
/* Verdicts given ahead (rules_ahead_ports()): the ranges of remote ports
 * where the process and the port alone decide the verdict of every
 * outgoing TCP SYN, each checked against rules_match() of SYNs of both
 * families to several addresses at its ends and middle; and each way the
 * packet, or a digest not computed yet, keeps it from being said ahead. */
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <criterion/criterion.h>

#include "test_rules.h"

static const struct rules_proc sshd = { .pid = 1, .exe = "/usr/sbin/sshd" };
static const struct rules_proc bash = { .pid = 2, .exe = "/bin/bash",
					.parent = &sshd };
static const struct rules_proc curl = {
	.pid = 4, .uid = 1000, .gid = 100, .exe = "/usr/bin/curl",
	.cmdline = "curl -s https://example.org/x", .parent = &bash,
};

/* What was said ahead of proc's SYNs to port is what rules_match() says of
 * each, wherever to. */
static void same_for_syns_to(const struct rules *rs,
			     const struct rules_proc *proc, uint16_t port,
			     const struct rules_verdict *v)
{
	static const char *const remotes[] = { "10.0.0.1", "127.0.0.1",
					       "192.0.2.7", "2001:db8::1",
					       "::1" };
	struct rules_verdict m;
	struct rules_pkt p;
	size_t i;

	for (i = 0; i < sizeof(remotes) / sizeof(remotes[0]); i++) {
		p = pkt_of(remotes[i], IPPROTO_TCP, port, RULES_DIR_OUT);
		p.tcpflags = TH_SYN;
		p.length = 60;
		rules_match(rs, &p, proc, &m);
		cr_expect_eq(m.rule, v->rule, "%s port %u", remotes[i], port);
		cr_expect_eq(m.action, v->action);
		cr_expect_eq(m.has_mark, v->has_mark);
		cr_expect_eq(m.mark, v->mark);
		cr_expect_eq(m.per_packet, v->per_packet, "%s port %u",
			     remotes[i], port);
	}
}

/* rules_ahead_ports() of proc (at most max ranges), each range checked
 * against rules_match() at its ends and middle, as "lo-hi rule action"
 * (the rule "-" for the default, "*" after a verdict per packet), joined
 * by ", ", into buf. */
static const char *ahead_ports(const struct rules *rs,
			       const struct rules_proc *proc, size_t max,
			       char buf[512])
{
	struct rules_ahead out[16];
	size_t off = 0;
	int i, n;

	cr_assert_leq(max, sizeof(out) / sizeof(out[0]));
	n = rules_ahead_ports(rs, proc, out, max);
	cr_assert_geq(n, 0);
	cr_assert_leq((size_t)n, max);
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		const struct rules_ahead *a = &out[i];

		cr_expect_leq(a->lo, a->hi);
		if (i)
			cr_expect_lt(out[i - 1].hi, a->lo);
		same_for_syns_to(rs, proc, a->lo, &a->v);
		same_for_syns_to(rs, proc, a->lo + (a->hi - a->lo) / 2, &a->v);
		same_for_syns_to(rs, proc, a->hi, &a->v);
		off += snprintf(buf + off, 512 - off, "%s%u-%u %s %s%s",
				i ? ", " : "", a->lo, a->hi,
				a->v.rule ? rule_name(a->v.rule) : "-",
				rules_action_name(a->v.action),
				a->v.per_packet ? "*" : "");
		cr_assert_lt(off, 512);
	}
	return buf;
}

/* A rule that names what the SYN carries other than its remote port
 * leaves the verdict to the packet, when its who-keys match the process;
 * another process's is nothing to it. */
Test(rules_ahead_ports, keys_of_the_packet_leave_it_to_the_packet)
{
	static const char *const keys[] = {
		"remote = 10.0.0.0/8", "local = 192.168.1.2",
		"lport = 1024-65535", "host = example.org", "tcpflags = syn",
		"length = 0-100", "nth = 1",
	};
	static const struct rules_proc wget = {
		.pid = 9, .exe = "/usr/bin/wget",
	};
	struct rules *rs;
	char text[256], buf[512];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(text, sizeof(text), "[curl]\nexe = /usr/bin/curl\n%s\n"
			 "action = drop\n\n[rest]\naction = accept\n", keys[i]);
		rs = must_load(text);
		cr_expect_str_eq(ahead_ports(rs, &curl, 16, buf), "", "%s", keys[i]);
		cr_expect_str_eq(ahead_ports(rs, &wget, 16, buf),
				 "0-65535 rest accept", "%s", keys[i]);
		rules_free(rs);
	}
}

/* No rule names a port: the process decides them all, in one range. */
Test(rules_ahead_ports, the_process_alone_decides)
{
	struct rules *rs = must_load(
		"[global]\ndefault = drop\n\n"
		"[curl-dns]\nexe = /usr/bin/curl\nproto = udp\n"
		"action = drop\n\n"
		"[curl-under-sshd]\nexe = /usr/bin/curl\n"
		"ancestor = /usr/sbin/sshd\nuser = 1000\naction = accept\n"
		"mark = 0x42\n");
	char buf[512];

	cr_expect_str_eq(ahead_ports(rs, &curl, 16, buf),
			 "0-65535 curl-under-sshd accept");
	cr_expect_str_eq(ahead_ports(rs, &bash, 16, buf), "0-65535 - drop");
	rules_free(rs);
}

/* As on a desktop: name resolution for all, the web for the browser, then
 * a rule of the remote address; only the ports named before it are
 * decided ahead. */
Test(rules_ahead_ports, a_desktop)
{
	struct rules *rs = must_load(
		"[global]\ndefault = drop\n\n"
		"[dns]\nproto = udp, tcp\nrport = 53\naction = accept\n\n"
		"[browser]\nexe = /usr/bin/curl\nproto = tcp, udp\n"
		"rport = 80, 443\naction = accept\n\n"
		"[loopback]\nremote = 127.0.0.0/8, ::1\naction = accept\n\n"
		"[everything-else]\ndirection = out\naction = drop\n");
	static const struct rules_proc wget = {
		.pid = 9, .exe = "/usr/bin/wget",
	};
	char buf[512];

	cr_expect_str_eq(ahead_ports(rs, &curl, 16, buf),
			 "53-53 dns accept, 80-80 browser accept, "
			 "443-443 browser accept");
	cr_expect_str_eq(ahead_ports(rs, &wget, 16, buf), "53-53 dns accept");
	rules_free(rs);
}

/* A rule of the process that names rport and remote leaves its ports to
 * the packet; the next rule decides the others. Another process does not
 * see it. */
Test(rules_ahead_ports, ends_at_some_ports)
{
	struct rules *rs = must_load(
		"[curl-lan]\nexe = /usr/bin/curl\nrport = 22, 8000-8080\n"
		"remote = 192.168.0.0/16\naction = accept\n\n"
		"[curl]\nexe = /usr/bin/curl\naction = reject\n\n"
		"[rest]\naction = drop\n");
	char buf[512];

	cr_expect_str_eq(ahead_ports(rs, &curl, 16, buf),
			 "0-21 curl reject, 23-7999 curl reject, "
			 "8081-65535 curl reject");
	cr_expect_str_eq(ahead_ports(rs, &bash, 16, buf), "0-65535 rest drop");
	rules_free(rs);
}

static const char overlapping[] =
	"[global]\ndefault = drop\n\n"
	"[curl-some]\nexe = /usr/bin/curl\nrport = 1000-2000, 80, 1500-3000\n"
	"action = accept\nmark = 7\n\n"
	"[curl-tls]\nexe = /usr/bin/curl\nrport = 443, 2500-4000\n"
	"action = reject\n";

/* Ranges given out of order and overlapping: the ports between two of
 * their ends that one rule decides make one range. */
Test(rules_ahead_ports, overlapping_ranges)
{
	struct rules *rs = must_load(overlapping);
	char buf[512];

	cr_expect_str_eq(ahead_ports(rs, &curl, 16, buf),
			 "0-79 - drop, 80-80 curl-some accept, 81-442 - drop, "
			 "443-443 curl-tls reject, 444-999 - drop, "
			 "1000-3000 curl-some accept, 3001-4000 curl-tls reject, "
			 "4001-65535 - drop");
	rules_free(rs);
}

/* Room for fewer: the first ones, each whole. */
Test(rules_ahead_ports, the_first_max)
{
	struct rules *rs = must_load(overlapping);
	char buf[512];

	cr_expect_str_eq(ahead_ports(rs, &curl, 6, buf),
			 "0-79 - drop, 80-80 curl-some accept, 81-442 - drop, "
			 "443-443 curl-tls reject, 444-999 - drop, "
			 "1000-3000 curl-some accept");
	cr_expect_str_eq(ahead_ports(rs, &curl, 1, buf), "0-79 - drop");
	cr_expect_str_eq(ahead_ports(rs, &curl, 0, buf), "");
	rules_free(rs);
}

/* An inbound rule: the replies of connections it names may match it, so
 * their SYNs' verdict is per packet, and not that of the ports around; one
 * naming no port is no end to the search. */
Test(rules_ahead_ports, direction)
{
	struct rules *rs = must_load(
		"[curl-in]\nexe = /usr/bin/curl\ndirection = in\n"
		"rport = 443\naction = drop\n\n"
		"[bash-in]\nexe = /bin/bash\ndirection = in\n"
		"action = drop\n\n"
		"[bash-ssh]\nexe = /bin/bash\nrport = 22\naction = reject\n\n"
		"[rest]\naction = accept\n");
	char buf[512];

	cr_expect_str_eq(ahead_ports(rs, &curl, 16, buf),
			 "0-442 rest accept, 443-443 rest accept*, "
			 "444-65535 rest accept");
	cr_expect_str_eq(ahead_ports(rs, &bash, 16, buf),
			 "0-21 rest accept*, 22-22 bash-ssh reject*, "
			 "23-65535 rest accept*");
	rules_free(rs);	/* One for outbound packets is per packet itself. */
	rs = must_load("[curl-out]\nexe = /usr/bin/curl\ndirection = out\n"
		       "action = accept\n");
	cr_expect_str_eq(ahead_ports(rs, &curl, 16, buf),
			 "0-65535 curl-out accept*");
	rules_free(rs);
}

/* A sha256 key: before the digest is known, nothing from that rule on,
 * whatever its ports; then it decides as any other who-key. */
Test(rules_ahead_ports, a_digest_not_computed_yet)
{
	static const uint8_t zeros[32], ones[32] = { 1 };
	struct rules *rs = must_load(
		"[curl-dns]\nexe = /usr/bin/curl\nrport = 53\n"
		"action = accept\n\n"
		"[curl-build]\nexe = /usr/bin/curl\nsha256 = "
		"00000000000000000000000000000000"
		"00000000000000000000000000000000\n"
		"rport = 443\naction = accept\n\n"
		"[curl-tls]\nexe = /usr/bin/curl\nrport = 443\n"
		"action = reject\n\n[rest]\naction = drop\n");
	struct rules_proc p = curl;
	char buf[512];

	cr_expect_str_eq(ahead_ports(rs, &p, 16, buf), "53-53 curl-dns accept");
	p.sha256 = zeros;
	cr_expect_str_eq(ahead_ports(rs, &p, 16, buf),
			 "0-52 rest drop, 53-53 curl-dns accept, 54-442 rest drop, "
			 "443-443 curl-build accept, 444-65535 rest drop");
	p.sha256 = ones;
	cr_expect_str_eq(ahead_ports(rs, &p, 16, buf),
			 "0-52 rest drop, 53-53 curl-dns accept, 54-442 rest drop, "
			 "443-443 curl-tls reject, 444-65535 rest drop");
	/* Another executable: its digest is nothing to those rules. */
	cr_expect_str_eq(ahead_ports(rs, &bash, 16, buf), "0-65535 rest drop");
	rules_free(rs);
}
