// SPDX-License-Identifier: GPL-2.0
/* [ipfix] as the rules read it, and a record as it leaves honefw: one
 * datagram to a socket of the test's, whose IPFIX header and fields are
 * checked byte by byte where they are fixed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ipfix.h"
#include "test_rules.h"

Test(ipfix, section_read_with_defaults)
{
	struct diag d;
	struct rules *rs = load_text("[ipfix]\ncollector = [2001:db8::9]:4739\n", &d);
	const struct rules_ipfix *x;

	cr_assert(rs, "%s", d.text);
	x = rules_ipfix(rs);
	cr_expect_str_eq(x->host, "2001:db8::9");
	cr_expect_str_eq(x->port, "4739");
	cr_expect_eq(x->transport, RULES_UDP);
	cr_expect_eq(x->pen, RULES_IPFIX_PEN);
	cr_expect_eq(x->active_timeout, RULES_IPFIX_TIMEOUT);
	rules_free(rs);
	rs = load_text("[global]\ndefault = accept\n", &d);
	cr_assert(rs);
	cr_expect_null(rules_ipfix(rs)->host, "no [ipfix], no export");
	rules_free(rs);
}

static const struct {
	const char *text;
	unsigned line;
	const char *msg;
} bad[] = {
	{ "[ipfix]\ncollector = 2001:db8::9:4739\n", 2, "expected HOST:PORT or [IPv6]:PORT" },
	{ "[ipfix]\ncollector = host:0\n", 2, "the port 1-65535" },
	{ "[ipfix]\ncollector = :4739\n", 2, "expected HOST:PORT" },
	{ "[ipfix]\ncollector = h:1\ntransport = sctp\n", 3, "expected udp or tcp" },
	{ "[ipfix]\ncollector = h:1\npen = 0\n", 3, "Private Enterprise Number" },
	{ "[ipfix]\ncollector = h:1\nactive_timeout = 86401\n", 3, "seconds 1-86400" },
	{ "[ipfix]\ncollector = h:1\npen = 1\npen = 2\n", 4, "'pen' given twice" },
	{ "[ipfix]\ncollector = h:1\nport = 2\n", 3, "unknown key in [ipfix]" },
	{ "[ipfix]\npen = 5\n", 1, "[ipfix]: expected collector" },
	{ "[ipfix]\ncollector = h:1\n[ipfix]\n", 3, "expected [ipfix] only once" },
};

Test(ipfix, errors_name_file_and_line)
{
	struct diag d;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_null(load_text(bad[i].text, &d), "%s", bad[i].text);
		cr_expect_eq(d.first_line, bad[i].line, "%s", d.text);
		cr_expect(strstr(d.text, bad[i].msg), "%s", d.text);
	}
}

/* A UDP socket on loopback, and its port as text. */
static int collector(char port[8])
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert(fd >= 0);
	cr_assert(!bind(fd, (struct sockaddr *)&a, sizeof(a)));
	cr_assert(!getsockname(fd, (struct sockaddr *)&a, &len));
	snprintf(port, 8, "%u", ntohs(a.sin_port));
	return fd;
}

static bool has(const uint8_t *buf, size_t len, const void *what, size_t n)
{
	return memmem(buf, len, what, n) != NULL;
}

Test(ipfix, record_leaves_as_one_datagram)
{
	struct ipfix_flow f = {
		.family = AF_INET, .proto = IPPROTO_TCP,
		.src = { 10, 99, 0, 1 }, .dst = { 10, 99, 0, 2 },
		.sport = 40000, .dport = 8000,
		.n = { .octets = 398, .packets = 6, .rev_octets = 1161,
		       .rev_packets = 6 },
		.start_ms = 1000, .end_ms = 2000,
		.end_reason = IPFIX_END_FLOW, .egress = true,
		.who = { .pid = 0x01020304, .ppid = 1, .uid = 1000, .gid = 1000 },
		.exe = "/usr/bin/curl", .user = "alice", .pedigree = "/bin/sh",
		.rule = "web", .verdict = "accept",
	};
	struct ipfix_conf c = { .host = "127.0.0.1", .pen = 32473 };
	static const uint8_t pid[] = { 1, 2, 3, 4 }, octets[] = {
		0, 0, 0, 0, 0, 0, 0x01, 0x8e };	/* 398 */
	uint8_t buf[2048];
	struct ipfix_stats st;
	struct ipfix *x;
	char port[8];
	int fd = collector(port);
	ssize_t got;

	c.port = port;
	cr_assert_eq(ipfix_open(&c, 5000, &x), 0);
	ipfix_add(x, &f, 5000);
	ipfix_flush(x, 5000, 0);
	got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	cr_assert_gt(got, 16);
	cr_expect_eq(buf[0] << 8 | buf[1], 10, "IPFIX version 10");
	cr_expect_eq(buf[2] << 8 | buf[3], got, "message length");
	cr_expect(has(buf, got, "/usr/bin/curl", 13));
	cr_expect(has(buf, got, "alice", 5));
	cr_expect(has(buf, got, "web", 3));
	cr_expect(has(buf, got, pid, 4), "pid in network order");
	cr_expect(has(buf, got, octets, 8), "octetDeltaCount");
	ipfix_stats(x, &st);
	cr_expect_eq(st.records, 1);
	cr_expect_eq(st.dropped, 0);
	ipfix_close(x, 5000);
	close(fd);
}
