// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the rules parser on any bytes, then the matcher on what it
 * accepted, with a packet (named by two hosts) and a process chain made of
 * the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rules.h"

#define NOSOCK	offsetof(struct rules_pkt, nosock)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules_proc top = { .exe = "/usr/sbin/sshd" };
	struct rules_proc mid = { .exe = "/bin/bash", .parent = &top };
	struct rules_proc proc = { .uid = 1000, .exe = "/usr/bin/curl",
				   .cmdline = "curl -s x", .parent = &mid };
	struct rules_pkt pkt = { .family = 2, .proto = 6, .dir = 2, .nth = 1 };
	static const char *const hosts[] = { "www.example.org", "example.net" };
	struct rules_verdict v;
	struct rules *rs = NULL;

	if (rules_load_buffer("fuzz.ini", (const char *)data, size, NULL, NULL, &rs))
		return 0;
	/* The bytes up to nosock; a bool holds 0 or 1, and the pointers
	 * after it are not the fuzzer's. */
	memcpy(&pkt, data, size < NOSOCK ? size : NOSOCK);
	pkt.nosock = size > NOSOCK && (data[NOSOCK] & 1);
	pkt.hosts = hosts;
	pkt.nhosts = 2;
	rules_match(rs, &pkt, &proc, &v);
	rules_match(rs, &pkt, NULL, &v);
	top.parent = &proc;	/* a loop must not hang the matcher */
	rules_match(rs, &pkt, &proc, &v);
	rules_free(rs);
	return 0;
}
