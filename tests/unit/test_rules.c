// SPDX-License-Identifier: GPL-2.0
/* The rule language: every key and value form, precedence across files,
 * pedigree patterns, IPv6, per-packet verdicts and the unknown policy. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "test_rules.h"

static const struct rules_proc sshd = { .pid = 1, .exe = "/usr/sbin/sshd" };
static const struct rules_proc bash = { .pid = 2, .exe = "/bin/bash",
					.parent = &sshd };
static const struct rules_proc sh = { .pid = 3, .exe = "/bin/sh", .parent = &bash };
static const struct rules_proc curl = {
	.pid = 4, .uid = 1000, .gid = 100, .exe = "/usr/bin/curl",
	.cmdline = "curl -s https://example.org/x", .parent = &sh,
};

static const char *judge(const char *text, const struct rules_pkt *p,
			 const struct rules_proc *proc, struct rules_verdict *v)
{
	static char name[80];
	struct rules *rs = must_load(text);

	snprintf(name, sizeof(name), "%s", decide(rs, p, proc, v));
	rules_free(rs);
	return name;
}

Test(rules, global_defaults)
{
	struct rules *rs = must_load("# nothing\n");
	const struct rules_global *g = rules_global(rs);

	cr_assert_eq(g->def, RULES_ACCEPT);
	cr_assert_eq(g->unknown, RULES_ACCEPT);
	cr_assert_eq(g->kernel, RULES_ACCEPT);
	cr_assert_eq(g->failmode, RULES_FAIL_OPEN);
	cr_assert_eq(g->queue, 0);
	cr_assert_not(g->log);
	cr_assert_eq(rules_count(rs), 0);
	rules_free(rs);
}

Test(rules, global_keys)
{
	struct rules *rs = must_load("[global]\ndefault = drop\nfailmode = closed\n"
				     "queue = 0x10\nlog = yes\n");
	const struct rules_global *g = rules_global(rs);
	struct rules_pkt p = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_OUT);
	struct rules_verdict v;

	cr_assert_eq(g->def, RULES_DROP);
	cr_assert_eq(g->unknown, RULES_DROP, "unknown follows default");
	cr_assert_eq(g->failmode, RULES_FAIL_CLOSED);
	cr_assert_eq(g->queue, 16);
	cr_assert(g->log);
	cr_assert_null(rules_match(rs, &p, &curl, &v));
	cr_assert_eq(v.action, RULES_DROP);
	cr_assert(v.log);
	rules_free(rs);
	rs = must_load("[global]\ndefault = drop\nunknown = accept\n");
	cr_assert_eq(rules_global(rs)->unknown, RULES_ACCEPT);
	cr_assert_null(rules_match(rs, &p, NULL, &v));
	cr_assert_eq(v.action, RULES_ACCEPT);
	rules_free(rs);
}

Test(rules, exe_exact_glob_list)
{
	struct rules_pkt p = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_OUT);
	struct rules_verdict v;

	cr_assert_str_eq(judge("[a]\nexe = /usr/bin/curl\naction = drop\n", &p, &curl, &v), "a");
	cr_assert_eq(v.action, RULES_DROP);
	cr_assert_str_eq(judge("[a]\nexe = /usr/bin/wget, /usr/bin/curl\naction = drop\n",
			       &p, &curl, &v), "a");
	cr_assert_str_eq(judge("[a]\nexe = /usr/bin/c*\naction = drop\n", &p, &curl, &v), "a");
	/* "*" stays in one path component */
	cr_assert_str_eq(judge("[a]\nexe = /usr/*\naction = drop\n", &p, &curl, &v), "-");
	cr_assert_str_eq(judge("[a]\nexe = /usr/*/curl\naction = drop\n", &p, &curl, &v), "a");
	cr_assert_str_eq(judge("[a]\nexe = /usr/bin/cur?\naction = drop\n", &p, &curl, &v), "a");
	cr_assert_str_eq(judge("[a]\nexe = /usr/bin/[a-c]url\naction = drop\n", &p, &curl, &v),
			 "a");
	cr_assert_str_eq(judge("[a]\nexe = /usr/bin/wget\naction = drop\n", &p, &curl, &v), "-");
}

Test(rules, sha256_cmdline_user_group)
{
	uint8_t d[32];
	struct rules_proc pr = curl;
	struct rules_pkt p = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_OUT);
	struct rules_verdict v;
	struct rules *rs;
	const char *rule = "[h]\nsha256 = 00112233445566778899AABBCCDDEEFF"
			   "00112233445566778899aabbccddeeff\naction = drop\n";
	size_t i;

	for (i = 0; i < 32; i++)
		d[i] = (i % 16) * 0x11;
	rs = must_load(rule);
	cr_assert(rules_need_sha256(rs));
	cr_assert_str_eq(decide(rs, &p, &pr, &v), "-", "no digest: no match");
	pr.sha256 = d;
	cr_assert_str_eq(decide(rs, &p, &pr, &v), "h");
	d[0] ^= 1;
	cr_assert_str_eq(decide(rs, &p, &pr, &v), "-");
	rules_free(rs);
	cr_assert_str_eq(judge("[c]\ncmdline = curl -s https://example.org/*\naction = drop\n",
			       &p, &curl, &v), "c");
	cr_assert_str_eq(judge("[c]\ncmdline = wget *\naction = drop\n", &p, &curl, &v), "-");
	cr_assert_str_eq(judge("[u]\nuser = 0, 1000\naction = drop\n", &p, &curl, &v), "u");
	cr_assert_str_eq(judge("[u]\nuser = root\naction = drop\n", &p, &curl, &v), "-");
	cr_assert_str_eq(judge("[u]\nuser = root\naction = drop\n", &p, &sshd, &v), "u");
	cr_assert_str_eq(judge("[g]\ngroup = 100\naction = drop\n", &p, &curl, &v), "g");
	cr_assert_str_eq(judge("[g]\ngroup = root\naction = drop\n", &p, &curl, &v), "-");
}

Test(rules, parent_ancestor)
{
	struct rules_pkt p = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_OUT);
	struct rules_verdict v;

	cr_assert_str_eq(judge("[p]\nparent = /bin/sh\naction = drop\n", &p, &curl, &v), "p");
	cr_assert_str_eq(judge("[p]\nparent = /bin/bash\naction = drop\n", &p, &curl, &v), "-");
	cr_assert_str_eq(judge("[a]\nancestor = /usr/sbin/sshd\naction = drop\n", &p, &curl, &v),
			 "a");
	cr_assert_str_eq(judge("[a]\nancestor = /bin/*sh\naction = drop\n", &p, &curl, &v), "a");
	cr_assert_str_eq(judge("[a]\nancestor = /usr/bin/curl\naction = drop\n", &p, &curl, &v),
			 "-", "the process is not its own ancestor");
	cr_assert_str_eq(judge("[a]\nancestor = /sbin/init\naction = drop\n", &p, &curl, &v), "-");
}

Test(rules, pedigree)
{
	static const struct {
		const char *chain;
		bool match;
	} cases[] = {
		{ "/usr/bin/curl", true },
		{ "/usr/bin/curl < /bin/sh", true },
		{ "/usr/bin/curl < /bin/sh < /bin/bash < /usr/sbin/sshd", true },
		{ "/usr/bin/curl < /bin/bash", false },
		{ "/usr/bin/curl < * < /bin/bash", true },
		{ "/usr/bin/curl < * < /usr/sbin/sshd", false },
		{ "/usr/bin/curl < * < * < /usr/sbin/sshd", true },
		{ "/usr/bin/curl < ** < /usr/sbin/sshd", true },
		{ "/usr/bin/curl < ** < /bin/sh", true },
		{ "/usr/bin/curl < ** < ** < /usr/sbin/sshd", true },
		{ "/usr/bin/curl < ** < /bin/bash < /bin/sh", false },
		{ "* < ** < /bin/bash < * ", true },
		{ "** < /bin/bash", true },
		{ "/usr/bin/curl < /bin/sh < /bin/bash < /usr/sbin/sshd < *", false },
		{ "/usr/bin/curl < /bin/sh < /bin/bash < /usr/sbin/sshd < **", true },
		{ "/usr/bin/* < /bin/*sh < /bin/bash", true },
		{ "/usr/bin/wget < ** ", false },
	};
	struct rules_pkt p = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_OUT);
	struct rules_verdict v;
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[p]\npedigree = %s\naction = drop\n",
			 cases[i].chain);
		cr_expect_str_eq(judge(text, &p, &curl, &v), cases[i].match ? "p" : "-",
				 "%s", cases[i].chain);
	}
}

Test(rules, pedigree_loop_bounded)
{
	struct rules_proc a = { .exe = "/a" }, b = { .exe = "/b", .parent = &a };
	struct rules_pkt p = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_OUT);
	struct rules_verdict v;

	a.parent = &b;	/* a corrupt table must not hang the matcher */
	cr_assert_str_eq(judge("[p]\npedigree = /a < ** < /c\naction = drop\n", &p, &a, &v),
			 "-");
	cr_assert_str_eq(judge("[p]\nancestor = /c\naction = drop\n", &p, &a, &v), "-");
	cr_assert_str_eq(judge("[p]\npedigree = ** < ** < ** < ** < /b < ** < /a < ** < /b\n"
			       "action = drop\n", &p, &a, &v), "p");
}

Test(rules, proto_ports_addresses)
{
	struct rules_pkt p = pkt_of("10.1.2.3", IPPROTO_UDP, 53, RULES_DIR_OUT);
	struct rules_pkt icmp = pkt_of("10.1.2.3", IPPROTO_ICMP, 0, RULES_DIR_OUT);
	struct rules_verdict v;

	cr_assert_str_eq(judge("[a]\nproto = udp\naction = drop\n", &p, &curl, &v), "a");
	cr_assert_str_eq(judge("[a]\nproto = tcp, 17\naction = drop\n", &p, &curl, &v), "a");
	cr_assert_str_eq(judge("[a]\nproto = tcp icmp\naction = drop\n", &p, &curl, &v), "-");
	cr_assert_str_eq(judge("[a]\nproto = icmp\naction = drop\n", &icmp, &curl, &v), "a");
	cr_assert_str_eq(judge("[a]\nrport = 53\naction = drop\n", &p, &curl, &v), "a");
	cr_assert_str_eq(judge("[a]\nrport = 1-52 54-100\naction = drop\n", &p, &curl, &v), "-");
	cr_assert_str_eq(judge("[a]\nrport = 50-60\naction = drop\n", &p, &curl, &v), "a");
	cr_assert_str_eq(judge("[a]\nrport = 0-65535\naction = drop\n", &icmp, &curl, &v), "-",
			 "no ports, no port match");
	cr_assert_str_eq(judge("[a]\nlport = 40000\naction = drop\n", &p, &curl, &v), "a");
	cr_assert_str_eq(judge("[a]\nremote = 10.0.0.0/8\naction = drop\n", &p, &curl, &v), "a");
	cr_assert_str_eq(judge("[a]\nremote = 10.1.2.3\naction = drop\n", &p, &curl, &v), "a");
	cr_assert_str_eq(judge("[a]\nremote = 10.1.2.0/25, 8.8.8.8\naction = drop\n",
			       &p, &curl, &v), "a");
	cr_assert_str_eq(judge("[a]\nremote = 10.1.2.128/25\naction = drop\n", &p, &curl, &v),
			 "-");
	cr_assert_str_eq(judge("[a]\nremote = 0.0.0.0/0\naction = drop\n", &p, &curl, &v), "a");
	cr_assert_str_eq(judge("[a]\nremote = ::/0\naction = drop\n", &p, &curl, &v), "-");
	cr_assert_str_eq(judge("[a]\nlocal = 192.168.0.0/16\naction = drop\n", &p, &curl, &v),
			 "a");
	cr_assert_str_eq(judge("[a]\nlocal = 192.168.2.0/24\naction = drop\n", &p, &curl, &v),
			 "-");
}

Test(rules, ipv6)
{
	struct rules_pkt p = pkt_of("2001:db8:0:1::53", IPPROTO_UDP, 53, RULES_DIR_OUT);
	struct rules_verdict v;

	cr_assert_str_eq(judge("[a]\nremote = 2001:db8::/32\naction = drop\n", &p, &curl, &v),
			 "a");
	cr_assert_str_eq(judge("[a]\nremote = 2001:db8:0:1::53\naction = drop\n", &p, &curl, &v),
			 "a");
	cr_assert_str_eq(judge("[a]\nremote = 2001:db8:0:2::/64\naction = drop\n", &p, &curl, &v),
			 "-");
	cr_assert_str_eq(judge("[a]\nremote = 2001:db8:0:0::/63\naction = drop\n", &p, &curl, &v),
			 "a");
	cr_assert_str_eq(judge("[a]\nremote = 2001:db8::/33\naction = drop\n", &p, &curl, &v),
			 "a");
	cr_assert_str_eq(judge("[a]\nremote = 10.0.0.0/8, ::/0\naction = drop\n", &p, &curl, &v),
			 "a");
	cr_assert_str_eq(judge("[a]\nremote = 0.0.0.0/0\naction = drop\n", &p, &curl, &v), "-");
	cr_assert_str_eq(judge("[a]\nlocal = fd00::/8\naction = drop\n", &p, &curl, &v), "a");
	cr_assert_str_eq(judge("[a]\nproto = icmpv6\naction = drop\n", &p, &curl, &v), "-");
	cr_assert_str_eq(judge("[a]\naction = redirect\nredirect = [::1]:5353\n", &p, &curl, &v),
			 "a");
	cr_assert_eq(v.action, RULES_REDIRECT_ADDR);
	cr_assert_eq(v.family, AF_INET6);
	cr_assert_eq(v.port, 5353);
	cr_assert_eq(v.addr[15], 1);
}

Test(rules, per_packet_keys)
{
	struct rules_pkt p = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_OUT);
	struct rules_verdict v;
	const char *nth = "[first]\nexe = /usr/bin/curl\nnth = 1-3, 10-\naction = drop\n"
			  "[rest]\nexe = /usr/bin/curl\naction = accept\n";

	cr_assert_str_eq(judge(nth, &p, &curl, &v), "first");
	cr_assert(v.per_packet);
	p.nth = 5;
	cr_assert_str_eq(judge(nth, &p, &curl, &v), "rest");
	cr_assert(v.per_packet, "an earlier rule may take later packets");
	p.nth = 11;
	cr_assert_str_eq(judge(nth, &p, &curl, &v), "first");
	cr_assert_str_eq(judge("[a]\nexe = /usr/bin/curl\naction = accept\n", &p, &curl, &v), "a");
	cr_assert_not(v.per_packet);
	p.tcpflags = 0x02;
	cr_assert_str_eq(judge("[a]\ntcpflags = syn !ack\naction = drop\n", &p, &curl, &v), "a");
	cr_assert(v.per_packet);
	p.tcpflags = 0x12;
	cr_assert_str_eq(judge("[a]\ntcpflags = syn !ack\naction = drop\n", &p, &curl, &v), "-");
	cr_assert(v.per_packet, "the default too, when a per-packet rule was near");
	cr_assert_str_eq(judge("[a]\ntcpflags = syn, ack\naction = drop\n", &p, &curl, &v), "a");
	p.length = 1500;
	cr_assert_str_eq(judge("[a]\nlength = 1000-1500\naction = drop\n", &p, &curl, &v), "a");
	cr_assert_str_eq(judge("[a]\nlength = 0-999 1501-\naction = drop\n", &p, &curl, &v), "-");
	cr_assert_str_eq(judge("[a]\ndirection = out\naction = drop\n", &p, &curl, &v), "a");
	cr_assert(v.per_packet);
	cr_assert_str_eq(judge("[a]\ndirection = in\naction = drop\n", &p, &curl, &v), "-");
}

Test(rules, actions)
{
	struct rules_pkt p = pkt_of("10.0.0.1", IPPROTO_UDP, 53, RULES_DIR_OUT);
	struct rules_verdict v;

	judge("[a]\naction = reject\n", &p, &curl, &v);
	cr_assert_eq(v.action, RULES_REJECT);
	cr_assert_not(v.has_mark);
	judge("[a]\naction = accept\nmark = 0x42\nlog = yes\n", &p, &curl, &v);
	cr_assert_eq(v.action, RULES_ACCEPT);
	cr_assert(v.has_mark);
	cr_assert_eq(v.mark, 0x42);
	cr_assert(v.log);
	judge("[global]\nlog = yes\n[a]\naction = accept\nmark = 16777215\nlog = no\n",
	      &p, &curl, &v);
	cr_assert_eq(v.mark, 0xffffff);
	cr_assert_not(v.log);
	judge("[global]\nlog = yes\n[a]\naction = drop\n", &p, &curl, &v);
	cr_assert(v.log, "rules log as [global] says unless they say");
	judge("[a]\naction = redirect\nredirect = queue:17\n", &p, &curl, &v);
	cr_assert_eq(v.action, RULES_REDIRECT_QUEUE);
	cr_assert_eq(v.queue, 17);
	judge("[a]\naction = redirect\nredirect = 127.0.0.1:5353\nmark = 1\n", &p, &curl, &v);
	cr_assert_eq(v.action, RULES_REDIRECT_ADDR);
	cr_assert_eq(v.family, AF_INET);
	cr_assert_eq(v.port, 5353);
	cr_assert_eq(v.addr[0], 127);
	cr_assert_eq(v.addr[3], 1);
	cr_assert_eq(v.mark, 1);
	judge("[a]\naction = accept\ndscp = AF41\n", &p, &curl, &v);
	cr_assert(v.has_dscp);
	cr_assert_eq(v.dscp, 34);
	judge("[a]\naction = accept\ndscp = ef\nmark = 2\n", &p, &curl, &v);
	cr_assert_eq(v.dscp, 46);
	cr_assert_eq(v.mark, 2);
	judge("[a]\naction = accept\ndscp = 63\n", &p, &curl, &v);
	cr_assert_eq(v.dscp, 63);
	judge("[a]\naction = accept\n", &p, &curl, &v);
	cr_assert_not(v.has_dscp);
}

Test(rules, unknown_packets)
{
	const char *text = "[global]\ndefault = accept\nunknown = drop\n"
			   "[curl]\nexe = /usr/bin/curl\naction = reject\n"
			   "[root]\nuser = root\naction = reject\n"
			   "[icmp]\nproto = icmp\naction = accept\n";
	struct rules_pkt tcp = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_IN);
	struct rules_pkt icmp = pkt_of("10.0.0.1", IPPROTO_ICMP, 0, RULES_DIR_IN);
	struct rules_proc other = { .uid = 1000, .exe = "/usr/bin/other" };
	struct rules *rs = must_load(text);
	struct rules_verdict v;

	/* no process: only rules without who-keys, then [global] unknown */
	cr_assert_str_eq(decide(rs, &tcp, NULL, &v), "-");
	cr_assert_eq(v.action, RULES_DROP);
	cr_assert_null(v.rule);
	cr_assert_str_eq(decide(rs, &icmp, NULL, &v), "icmp");
	cr_assert_eq(v.action, RULES_ACCEPT);
	cr_assert_str_eq(decide(rs, &tcp, &other, &v), "-");
	cr_assert_eq(v.action, RULES_ACCEPT, "a known process gets default");
	rules_free(rs);
}

/* A socket whose process is not known still has an owner the kernel names
 * (NFQA_UID): a rule whose only process key is user takes its packets, no
 * rule that needs anything else of the process does. */
Test(rules, unknown_process_known_user)
{
	const char *text = "[global]\ndefault = accept\n"
			   "[bob-curl]\nuser = 1001\nexe = /usr/bin/curl\naction = reject\n"
			   "[bobs]\ngroup = 1001\naction = reject\n"
			   "[bob]\nuser = 1001\naction = drop\n";
	struct rules_pkt tcp = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_OUT);
	struct rules *rs = must_load(text);
	struct rules_verdict v;

	tcp.has_uid = true;
	tcp.uid = 1001;
	cr_assert_str_eq(decide(rs, &tcp, NULL, &v), "bob");
	cr_assert_eq(v.action, RULES_DROP);
	tcp.uid = 1000;
	cr_assert_str_eq(decide(rs, &tcp, NULL, &v), "-");
	cr_assert_eq(v.action, RULES_ACCEPT, "unknown follows default");
	tcp.has_uid = false;
	tcp.uid = 1001;
	cr_assert_str_eq(decide(rs, &tcp, NULL, &v), "-", "no owner told");
	rules_free(rs);
}

/* Each of the three fallbacks, told apart by giving them different verdicts
 * in turn: default for a known process, unknown for a socket whose process
 * is not known, kernel for a packet with no socket at all. */
Test(rules, kernel_packets)
{
	static const struct {
		const char *text;
		enum rules_action def, unknown, kernel;
	} c[] = {
		{ "[global]\ndefault = accept\nunknown = drop\nkernel = accept\n",
		  RULES_ACCEPT, RULES_DROP, RULES_ACCEPT },
		{ "[global]\nkernel = drop\ndefault = drop\nunknown = accept\n",
		  RULES_DROP, RULES_ACCEPT, RULES_DROP },
		{ "[global]\nkernel = drop\n", RULES_ACCEPT, RULES_ACCEPT, RULES_DROP },
	};
	struct rules_pkt p = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_IN);
	struct rules_pkt icmp = pkt_of("10.0.0.1", IPPROTO_ICMP, 0, RULES_DIR_IN);
	struct rules_verdict v;
	struct rules *rs;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		rs = must_load(c[i].text);
		cr_assert_eq(rules_global(rs)->kernel, c[i].kernel, "case %zu", i);
		p.nosock = false;
		cr_assert_null(rules_match(rs, &p, &curl, &v));
		cr_assert_eq(v.action, c[i].def, "case %zu: default", i);
		cr_assert_null(rules_match(rs, &p, NULL, &v));
		cr_assert_eq(v.action, c[i].unknown, "case %zu: unknown", i);
		p.nosock = true;
		cr_assert_null(rules_match(rs, &p, NULL, &v));
		cr_assert_eq(v.action, c[i].kernel, "case %zu: kernel", i);
		rules_free(rs);
	}
	/* rules without who-keys come first, as for unknown */
	rs = must_load("[global]\nkernel = drop\n[icmp]\nproto = icmp\naction = accept\n");
	icmp.nosock = true;
	cr_assert_str_eq(decide(rs, &icmp, NULL, &v), "icmp");
	cr_assert_eq(v.action, RULES_ACCEPT);
	rules_free(rs);
}

/* kernel is unknown's, which is default's: files written before either
 * existed keep their meaning. */
Test(rules, kernel_defaults_to_unknown)
{
	static const struct {
		const char *text;
		enum rules_action unknown, kernel;
	} c[] = {
		{ "# nothing\n", RULES_ACCEPT, RULES_ACCEPT },
		{ "[global]\ndefault = drop\n", RULES_DROP, RULES_DROP },
		{ "[global]\nunknown = drop\n", RULES_DROP, RULES_DROP },
		{ "[global]\ndefault = drop\nunknown = accept\n", RULES_ACCEPT, RULES_ACCEPT },
		{ "[global]\ndefault = accept\nunknown = drop\n", RULES_DROP, RULES_DROP },
	};
	struct rules_pkt p = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_IN);
	struct rules_verdict v;
	struct rules *rs;
	size_t i;

	p.nosock = true;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		rs = must_load(c[i].text);
		cr_assert_eq(rules_global(rs)->unknown, c[i].unknown, "case %zu", i);
		cr_assert_eq(rules_global(rs)->kernel, c[i].kernel, "case %zu", i);
		rules_match(rs, &p, NULL, &v);
		cr_assert_eq(v.action, c[i].kernel, "case %zu", i);
		rules_free(rs);
	}
}

Test(rules, first_match_in_file_order)
{
	struct rules_pkt p = pkt_of("10.0.0.1", IPPROTO_TCP, 443, RULES_DIR_OUT);
	const char *text = "[port]\nrport = 443\naction = drop\n"
			   "[curl]\nexe = /usr/bin/curl\naction = accept\n"
			   "[glob]\nexe = /usr/bin/*\naction = reject\n";
	struct rules *rs = must_load(text);
	struct rules_verdict v;
	const struct rule *r;

	r = rules_match(rs, &p, &curl, &v);
	cr_assert_str_eq(rule_name(r), "port");
	cr_assert_str_eq(rule_file(r), "t.ini");
	cr_assert_eq(rule_line(r), 1);
	cr_assert_eq(v.rule, r);
	p.rport = 80;
	cr_assert_str_eq(decide(rs, &p, &curl, &v), "curl");
	cr_assert_str_eq(decide(rs, &p, &bash, &v), "-");
	rules_free(rs);
	rs = must_load("[glob]\nexe = /usr/bin/*\naction = reject\n"
		       "[curl]\nexe = /usr/bin/curl\naction = accept\n");
	cr_assert_str_eq(decide(rs, &p, &curl, &v), "glob");
	rules_free(rs);
}

Test(rules, files_then_rules_d_in_lexical_order)
{
	char dir[] = "/tmp/hone-rules-XXXXXX", path[256], sub[256];
	struct rules_pkt p = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_OUT);
	struct rules_verdict v;
	struct rules *rs = NULL;
	struct diag d = { 0 };

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rules.ini", dir);
	snprintf(sub, sizeof(sub), "%s/rules.d", dir);
	cr_assert_eq(mkdir(sub, 0755), 0);
	write_file(path, "[global]\ndefault = drop\n[main]\nexe = /usr/sbin/sshd\naction = accept\n");
	snprintf(sub, sizeof(sub), "%s/rules.d/20-b.ini", dir);
	write_file(sub, "[b]\nexe = /usr/bin/curl\naction = reject\n");
	snprintf(sub, sizeof(sub), "%s/rules.d/10-a.ini", dir);
	write_file(sub, "[a]\nuser = 1000\naction = accept\nmark = 5\n");
	snprintf(path, sizeof(path), "%s/rules.d/ignored.txt", dir);
	write_file(path, "not rules");
	snprintf(path, sizeof(path), "%s/rules.ini", dir);
	cr_assert_eq(rules_load(path, 0, diag_report, &d, &rs), 0, "%s", d.text);
	cr_assert_eq(rules_count(rs), 3);
	cr_assert_str_eq(decide(rs, &p, &curl, &v), "a", "10-a.ini before 20-b.ini");
	cr_assert_str_eq(rule_file(v.rule), sub);
	cr_assert_str_eq(decide(rs, &p, &sshd, &v), "main");
	rules_free(rs);

	/* a name twice across files, and [global] in rules.d */
	snprintf(sub, sizeof(sub), "%s/rules.d/30-c.ini", dir);
	write_file(sub, "[global]\ndefault = accept\n[main]\naction = drop\n");
	memset(&d, 0, sizeof(d));
	cr_assert_eq(rules_load(path, 0, diag_report, &d, &rs), -EINVAL);
	cr_assert_null(rs);
	cr_assert(strstr(d.text, "30-c.ini:1: [global] belongs in the main rules file"),
		  "%s", d.text);
	cr_assert(strstr(d.text, "30-c.ini:3: [main]: expected a new rule name, already used at"),
		  "%s", d.text);

	/* ownership and mode, like sshd's StrictModes */
	write_file(sub, "[c]\naction = drop\n");
	cr_assert_eq(chmod(sub, 0666), 0);
	memset(&d, 0, sizeof(d));
	cr_assert_eq(rules_load(path, 0, diag_report, &d, &rs), -EINVAL);
	cr_assert(strstr(d.text, "30-c.ini:0: refused: writable by group or others (mode 0666)"),
		  "%s", d.text);
	cr_assert_eq(rules_load(path, RULES_LOAD_NO_OWNER_CHECK, NULL, NULL, &rs), 0);
	rules_free(rs);
	cr_assert_eq(chown(sub, 1000, 0), 0);
	cr_assert_eq(chmod(sub, 0644), 0);
	memset(&d, 0, sizeof(d));
	cr_assert_eq(rules_load(path, 0, diag_report, &d, &rs), -EINVAL);
	cr_assert(strstr(d.text, "refused: owned by uid 1000, expected root"), "%s", d.text);

	/* an include that cannot be read */
	cr_assert_eq(unlink(sub), 0);
	cr_assert_eq(symlink("/nonexistent/x", sub), 0);
	memset(&d, 0, sizeof(d));
	cr_assert_eq(rules_load(path, 0, diag_report, &d, &rs), -EINVAL);
	cr_assert(strstr(d.text, "30-c.ini:0: cannot open: No such file"), "%s", d.text);
	cr_assert_eq(unlink(sub), 0);
	remove_tree(dir);
}

Test(rules, many_sections_bounded)
{
	size_t n = 100000, i, len = 0, cap = n * 48;
	char *text = malloc(cap);
	struct rules_pkt p = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_OUT);
	struct rules_proc pr = { .exe = "/opt/app99999" };
	struct rules_verdict v;
	struct diag d;
	struct rules *rs;

	for (i = 0; i < n; i++)
		len += snprintf(text + len, cap - len,
				"[r%zu]\nexe = /opt/app%zu\naction = drop\n", i, i);
	rs = load_text(text, &d);
	cr_assert_not_null(rs, "%.300s", d.text);
	cr_assert_eq(rules_count(rs), n);
	cr_assert_str_eq(decide(rs, &p, &pr, &v), "r99999");
	rules_free(rs);
	/* the same name 100,000 times: errors, capped, in bounded time */
	for (i = 0, len = 0; i < n; i++)
		len += snprintf(text + len, cap - len, "[r]\naction = drop\n");
	cr_assert_null(load_text(text, &d));
	cr_assert(strstr(d.text, "too many errors"), "%.300s", d.text);
	free(text);
}

struct worker {
	const struct rules *rs;
	unsigned wrong;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct rules_pkt p = pkt_of("10.0.0.1", IPPROTO_TCP, 80, RULES_DIR_OUT);
	struct rules_verdict v;
	unsigned i;

	for (i = 0; i < 200000; i++) {
		p.nth = 1 + i % 5;
		w->wrong += strcmp(decide(w->rs, &p, &curl, &v), p.nth <= 3 ? "first" : "curl");
	}
	return NULL;
}

Test(rules, concurrent_matching)
{
	struct rules *rs = must_load("[first]\npedigree = /usr/bin/curl < ** < /usr/sbin/sshd\n"
				     "nth = 1-3\naction = drop\n"
				     "[curl]\nexe = /usr/bin/c*\naction = accept\n");
	struct worker w[4] = { { rs, 0 }, { rs, 0 }, { rs, 0 }, { rs, 0 } };
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(w[i].wrong, 0);
	}
	rules_free(rs);
}

/* Beyond the path: the #! script, the systemd unit and the cgroup. */
Test(rules, script_unit_cgroup)
{
	const struct rules_proc py = {
		.pid = 5, .uid = 1000, .exe = "/usr/bin/python3.11",
		.script = "/opt/app/fetch.py",
		.cgroup = "/system.slice/app.service/worker",
		.unit = "app.service",
	};
	const struct rules_proc plain = { .pid = 6, .exe = "/usr/bin/python3.11" };
	struct rules_pkt p = pkt_of("10.0.0.1", IPPROTO_TCP, 443, RULES_DIR_OUT);
	const char *text =
		"[global]\ndefault = drop\n"
		"[fetch]\nscript = /opt/app/fetch.py\nexe = /usr/bin/python3.11\n"
		"rport = 443\naction = accept\n"
		"[web]\nunit = nginx.service app.service\nrport = 80\naction = accept\n"
		"[slice]\ncgroup = /system.slice/app.service\nrport = 8080\naction = accept\n"
		"[any-unit]\nunit = *.scope\nrport = 22\naction = accept\n";
	struct rules_verdict v;
	struct rules *rs = must_load(text);

	cr_expect_str_eq(decide(rs, &p, &py, &v), "fetch");
	cr_expect_str_eq(decide(rs, &p, &plain, &v), "-", "no script: no match");
	p.rport = 80;
	cr_expect_str_eq(decide(rs, &p, &py, &v), "web");
	cr_expect_str_eq(decide(rs, &p, &plain, &v), "-", "no unit: no match");
	p.rport = 8080;
	cr_expect_str_eq(decide(rs, &p, &py, &v), "slice", "a cgroup below the one named");
	p.rport = 22;
	cr_expect_str_eq(decide(rs, &p, &py, &v), "-", "app.service is no scope");
	rules_free(rs);
	judge("[a]\ncgroup = /\naction = reject\n", &p, &py, &v);
	cr_expect_eq(v.action, RULES_REJECT, "/ takes every cgroup");
}

Test(rules, unit_of_cgroup)
{
	static const struct { const char *cg, *unit; } t[] = {
		{ "/system.slice/nginx.service", "nginx.service" },
		{ "/system.slice/nginx.service/sub/deeper", "nginx.service" },
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/x.service",
		  "user@1000.service" },
		{ "/user.slice/user-1000.slice/session-3.scope", "session-3.scope" },
		{ "/init.scope", "init.scope" },
		{ "/a.slice/b.slice/c.service", "c.service" },
		{ "/", NULL },
		{ "/system.slice", NULL },
		{ "/process_api/abc", NULL },
		{ "/x.slice/.service", NULL },
		{ "", NULL },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *u = rules_unit_of(t[i].cg, buf, sizeof(buf));

		if (t[i].unit)
			cr_expect(u && !strcmp(u, t[i].unit), "%s: %s", t[i].cg, u ? u : "NULL");
		else
			cr_expect_null(u, "%s: %s", t[i].cg, u);
	}
	cr_expect_null(rules_unit_of("/s.slice/a-very-long-name-indeed-longer-than-the-buffer.service",
				     buf, 16), "too long for buf: none");
}

/* host: names the caller resolved remote from; globs span labels, case
 * does not count; a packet with no names (an address never resolved)
 * matches no host rule. */
Test(rules, host)
{
	static const char text[] =
		"[global]\ndefault = drop\n"
		"[web]\nhost = *.Example.org., example.net\nrport = 443\n"
		"action = accept\n";
	static const struct {
		const char *names[2];
		size_t n;
		const char *rule;
	} c[] = {
		{ { "www.example.org" }, 1, "web" },
		{ { "a.b.example.org" }, 1, "web" },
		{ { "WWW.EXAMPLE.ORG" }, 1, "web" },
		{ { "example.org" }, 1, "-" },
		{ { "other.test", "example.net" }, 2, "web" },
		{ { "example.net.evil.test" }, 1, "-" },
		{ { NULL }, 0, "-" },
	};
	struct rules_pkt p = pkt_of("192.0.2.1", IPPROTO_TCP, 443, RULES_DIR_OUT);
	struct rules_verdict v;
	struct rules *rs = must_load(text);
	size_t i;

	cr_assert(rules_need_host(rs));
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		p.hosts = c[i].names;
		p.nhosts = c[i].n;
		cr_expect_str_eq(decide(rs, &p, &curl, &v), c[i].rule, "case %zu", i);
	}
	rules_free(rs);
	rs = must_load("[a]\nexe = /usr/bin/curl\naction = drop\n");
	cr_assert_not(rules_need_host(rs));
	rules_free(rs);
}
