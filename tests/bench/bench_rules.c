// SPDX-License-Identifier: GPL-2.0
/* The matcher's cost per packet for 10, 1,000 and 10,000 rules, and the
 * ratio 10,000/10 (target: at most 2), measured in one run. The rule sets
 * look like real ones: one rule per application (exe, proto, ports), and
 * the same few rules for everyone at the end. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "rules.h"

#define PROCS		64
#define PACKETS		(1u << 21)

static const char tail[] =
	"[loopback]\nremote = 127.0.0.0/8, ::1\naction = accept\n"
	"[ping]\nproto = icmp, icmpv6\naction = accept\n"
	"[root-web]\nuser = 0\nproto = tcp\nrport = 80, 443\naction = accept\n"
	"[dns]\nproto = udp\nrport = 53\naction = accept\n"
	"[shells]\npedigree = ** < /bin/bash < /usr/sbin/sshd\nremote = 10.0.0.0/8\n"
	"action = accept\n";

static struct rules *rules_of(unsigned n)
{
	size_t cap = (size_t)n * 128 + sizeof(tail), len = 0;
	char *text = malloc(cap);
	struct rules *rs;
	unsigned i;

	if (!text)
		exit(1);
	len += snprintf(text, cap, "[global]\ndefault = drop\n");
	for (i = 0; i < n - 5; i++)
		len += snprintf(text + len, cap - len, "[app%u]\nexe = /opt/app/bin%u\n"
				"proto = tcp\nrport = %u, 443\naction = accept\nmark = %u\n",
				i, i, 1024 + i % 60000, i % 256);
	memcpy(text + len, tail, sizeof(tail));
	if (rules_load_buffer("bench.ini", text, len + sizeof(tail) - 1, NULL, NULL, &rs)) {
		fprintf(stderr, "bench_rules: the generated rules do not load\n");
		exit(1);
	}
	free(text);
	return rs;
}

/* ns per packet; procs are applications of the set and some that are not */
static double cost(unsigned n)
{
	static char exes[PROCS][32];
	struct rules_proc sshd = { .exe = "/usr/sbin/sshd" };
	struct rules_proc bash = { .exe = "/bin/bash", .parent = &sshd };
	struct rules_proc procs[PROCS];
	struct rules_pkt pkt = { .family = AF_INET, .proto = IPPROTO_TCP,
				 .dir = RULES_DIR_OUT, .length = 1500, .nth = 9 };
	struct rules *rs = rules_of(n);
	struct rules_verdict v;
	unsigned i, hits = 0;
	double t;

	for (i = 0; i < PROCS; i++) {
		snprintf(exes[i], sizeof(exes[i]), i % 4 ? "/opt/app/bin%u" : "/usr/bin/x%u",
			 i * (n - 5) / PROCS);
		procs[i] = (struct rules_proc){ .uid = 1000, .exe = exes[i], .parent = &bash };
	}
	pkt.remote[0] = 93;
	t = bench_now();
	for (i = 0; i < PACKETS; i++) {
		pkt.rport = i & 1 ? 443 : 1024 + (i * 7) % 80;
		hits += rules_match(rs, &pkt, &procs[i % PROCS], &v) != NULL;
	}
	t = bench_now() - t;
	rules_free(rs);
	if (!hits)
		fprintf(stderr, "bench_rules: no rule matched\n");
	return t * 1e9 / PACKETS;
}

int main(void)
{
	double c10, c1k, c10k;

	cost(1000);	/* warm up */
	c10 = cost(10);
	c1k = cost(1000);
	c10k = cost(10000);
	printf("rules matcher: %.1f ns/packet with 10 rules, %.1f with 1,000, %.1f with "
	       "10,000; ratio 10,000/10 = %.2f (target <= 2)\n", c10, c1k, c10k, c10k / c10);
	return 0;
}
