// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the rules parser on any bytes, then the matcher on what it
 * accepted, with a packet and a process chain made of the same bytes. */
#include <stdint.h>
#include <string.h>

#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules_proc top = { .exe = "/usr/sbin/sshd" };
	struct rules_proc mid = { .exe = "/bin/bash", .parent = &top };
	struct rules_proc proc = { .uid = 1000, .exe = "/usr/bin/curl",
				   .cmdline = "curl -s x", .parent = &mid };
	struct rules_pkt pkt = { .family = 2, .proto = 6, .dir = 2, .nth = 1 };
	struct rules_verdict v;
	struct rules *rs = NULL;

	if (rules_load_buffer("fuzz.ini", (const char *)data, size, NULL, NULL, &rs))
		return 0;
	memcpy(&pkt, data, size < sizeof(pkt) ? size : sizeof(pkt));
	pkt.nosock = pkt.nosock & 1;	/* a bool holds 0 or 1 */
	rules_match(rs, &pkt, &proc, &v);
	rules_match(rs, &pkt, NULL, &v);
	top.parent = &proc;	/* a loop must not hang the matcher */
	rules_match(rs, &pkt, &proc, &v);
	rules_free(rs);
	return 0;
}
