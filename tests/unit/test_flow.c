// SPDX-License-Identifier: GPL-2.0
/* Flows' keys: the 5-tuple alone, hashed with a seed of the process's. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flow.h"

static struct rules_pkt pkt(uint16_t lport)
{
	struct rules_pkt p = {
		.family = AF_INET, .proto = IPPROTO_UDP, .lport = lport,
		.rport = 53,
	};

	inet_pton(AF_INET, "10.0.0.1", p.local);
	inet_pton(AF_INET, "10.0.0.2", p.remote);
	return p;
}

Test(flow, the_tuple_alone_is_the_key)
{
	struct rules_pkt a = pkt(4000), b = pkt(4000), ta, tb;

	b.dir = RULES_DIR_IN;
	b.tcpflags = 2;
	b.length = 1500;
	b.nth = 7;
	b.has_uid = true;
	b.uid = 1000;
	cr_assert_eq(flow_tuple(&a, &ta), flow_tuple(&b, &tb));
	cr_assert_eq(memcmp(&ta, &tb, sizeof(ta)), 0);
	b = pkt(4001);
	cr_assert_neq(flow_tuple(&a, &ta), flow_tuple(&b, &tb));
	b = pkt(4000);
	b.remote[3] = 3;
	cr_assert_neq(flow_tuple(&a, &ta), flow_tuple(&b, &tb));
}

/* A user who knew the hash could choose tuples that share it (flow_of()
 * keeps one flow per hash) or a bucket: two processes hash one tuple
 * differently. */
Test(flow, each_process_hashes_with_a_seed_of_its_own)
{
	struct rules_pkt p = pkt(4000), t;
	uint64_t mine, theirs = 0;
	int fds[2], status;
	pid_t child;

	cr_assert_eq(pipe(fds), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (!child) {
		theirs = flow_tuple(&p, &t);
		_exit(write(fds[1], &theirs, sizeof(theirs)) != sizeof(theirs));
	}
	mine = flow_tuple(&p, &t);
	cr_assert_eq(read(fds[0], &theirs, sizeof(theirs)), sizeof(theirs));
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert_eq(mine, flow_tuple(&p, &t), "one process, one hash");
	cr_assert_neq(mine, theirs);
}
