// SPDX-License-Identifier: GPL-2.0
/* Verdicts given ahead (rules_ahead()): the verdict a process's every
 * outgoing TCP SYN gets, when the process alone decides it, checked
 * against rules_match() of SYNs of both families to several ends; and
 * each way the packet, or a digest not computed yet, keeps it from being
 * said ahead. */
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

/* What rules_ahead() said is what rules_match() says of every SYN proc
 * sends, wherever to. */
static void same_for_every_syn(const struct rules *rs,
			       const struct rules_proc *proc,
			       const struct rules_verdict *v)
{
	static const char *const remotes[] = { "10.0.0.1", "192.0.2.7",
					       "2001:db8::1" };
	static const uint16_t ports[] = { 22, 443, 65535 };
	struct rules_verdict m;
	struct rules_pkt p;
	size_t i, j;

	for (i = 0; i < sizeof(remotes) / sizeof(remotes[0]); i++) {
		for (j = 0; j < sizeof(ports) / sizeof(ports[0]); j++) {
			p = pkt_of(remotes[i], IPPROTO_TCP, ports[j],
				   RULES_DIR_OUT);
			p.tcpflags = TH_SYN;
			p.length = 60;
			rules_match(rs, &p, proc, &m);
			cr_expect_eq(m.rule, v->rule, "%s port %u", remotes[i],
				     ports[j]);
			cr_expect_eq(m.action, v->action);
			cr_expect_eq(m.has_mark, v->has_mark);
			cr_expect_eq(m.mark, v->mark);
			cr_expect_eq(m.per_packet, v->per_packet, "%s port %u",
				     remotes[i], ports[j]);
		}
	}
}

static const char *ahead(const struct rules *rs, const struct rules_proc *proc,
			 struct rules_verdict *v)
{
	cr_assert(rules_ahead(rs, proc, v));
	same_for_every_syn(rs, proc, v);
	return v->rule ? rule_name(v->rule) : "-";
}

/* Who-keys alone decide: the first rule that matches the process, a
 * rule of another protocol skipped, the default for a process no rule
 * names. */
Test(rules_ahead, the_process_alone_decides)
{
	struct rules *rs = must_load(
		"[global]\ndefault = drop\n\n"
		"[curl-dns]\nexe = /usr/bin/curl\nproto = udp\n"
		"action = drop\n\n"
		"[curl-under-sshd]\nexe = /usr/bin/curl\n"
		"ancestor = /usr/sbin/sshd\nuser = 1000\naction = accept\n"
		"mark = 0x42\n\n"
		"[bash]\nexe = /bin/bash\nparent = /usr/sbin/sshd\n"
		"action = reject\n");
	static const struct rules_proc other = {
		.pid = 9, .exe = "/usr/bin/wget", .parent = &bash,
	};
	struct rules_verdict v;

	cr_expect_str_eq(ahead(rs, &curl, &v), "curl-under-sshd");
	cr_expect_eq(v.action, RULES_ACCEPT);
	cr_expect(v.has_mark && v.mark == 0x42 && !v.per_packet);
	cr_expect_str_eq(ahead(rs, &bash, &v), "bash");
	cr_expect_eq(v.action, RULES_REJECT);
	cr_expect_str_eq(ahead(rs, &other, &v), "-");
	cr_expect_eq(v.action, RULES_DROP);
	cr_expect_not(v.per_packet);
	rules_free(rs);
}

/* A rule that names what the SYN carries leaves the verdict to the
 * packet, when its who-keys match the process; another process's is
 * nothing to it. */
Test(rules_ahead, keys_of_the_packet_leave_it_to_the_packet)
{
	static const char *const keys[] = {
		"remote = 10.0.0.0/8", "local = 192.168.1.2", "rport = 443",
		"lport = 1024-65535", "host = example.org", "tcpflags = syn",
		"length = 0-100", "nth = 1",
	};
	static const struct rules_proc wget = {
		.pid = 9, .exe = "/usr/bin/wget",
	};
	struct rules_verdict v;
	struct rules *rs;
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(text, sizeof(text), "[curl]\nexe = /usr/bin/curl\n%s\n"
			 "action = drop\n\n[rest]\naction = accept\n", keys[i]);
		rs = must_load(text);
		cr_expect_not(rules_ahead(rs, &curl, &v), "%s", keys[i]);
		cr_expect_str_eq(ahead(rs, &wget, &v), "rest", "%s", keys[i]);
		rules_free(rs);
	}
}

/* The SYN goes out: a rule for inbound packets never takes it, but the
 * connection's replies may match it, so its verdict, as rules_match()
 * gives it, is per packet; one for outbound packets is per packet
 * itself. An inbound rule with ends to match leaves it to the packet. */
Test(rules_ahead, direction)
{
	struct rules *rs = must_load(
		"[curl-in]\nexe = /usr/bin/curl\ndirection = in\n"
		"action = drop\n\n"
		"[curl]\nexe = /usr/bin/curl\naction = accept\n\n"
		"[bash-out]\nexe = /bin/bash\ndirection = out\n"
		"action = accept\n");
	struct rules_verdict v;

	cr_expect_str_eq(ahead(rs, &curl, &v), "curl");
	cr_expect(v.per_packet, "replies may match curl-in");
	cr_expect_str_eq(ahead(rs, &bash, &v), "bash-out");
	cr_expect(v.per_packet);
	rules_free(rs);
	rs = must_load("[curl-in]\nexe = /usr/bin/curl\ndirection = in\n"
		       "rport = 443\naction = drop\n\n"
		       "[curl]\nexe = /usr/bin/curl\naction = accept\n");
	cr_expect_not(rules_ahead(rs, &curl, &v));
	rules_free(rs);
}

/* A sha256 key: nothing is said before the digest is known; then it
 * decides as any other who-key. */
Test(rules_ahead, a_digest_not_computed_yet)
{
	static const uint8_t zeros[32], ones[32] = { 1 };
	struct rules *rs = must_load(
		"[curl-build]\nexe = /usr/bin/curl\nsha256 = "
		"00000000000000000000000000000000"
		"00000000000000000000000000000000\n"
		"action = accept\n\n[rest]\naction = drop\n");
	struct rules_proc p = curl;
	struct rules_verdict v;

	cr_expect_not(rules_ahead(rs, &p, &v));
	p.sha256 = zeros;
	cr_expect_str_eq(ahead(rs, &p, &v), "curl-build");
	p.sha256 = ones;
	cr_expect_str_eq(ahead(rs, &p, &v), "rest");
	/* Another executable: its digest is nothing to that rule. */
	cr_expect_str_eq(ahead(rs, &bash, &v), "rest");
	rules_free(rs);
}
