// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: flow_parse() on any bytes, as queued packets reach it (the
 * first byte picks the hook). Whatever it accepts must describe a packet
 * that lies within the bytes given; flow_headers() (honeread's cut) never
 * keeps more than the bytes, nor less than a whole IPv4 header. */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <linux/netfilter.h>

#include "flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules_pkt pkt, t;
	unsigned hook;

	if (size < 1)
		return 0;
	if (flow_headers(data + 1, size - 1) > size - 1)
		abort();
	hook = data[0] & 1 ? NF_INET_LOCAL_IN : NF_INET_LOCAL_OUT;
	if (flow_parse(data + 1, size - 1, hook, &pkt) < 0)
		return 0;
	if (pkt.family != AF_INET && pkt.family != AF_INET6)
		abort();
	if (pkt.dir != (hook == NF_INET_LOCAL_IN ? RULES_DIR_IN : RULES_DIR_OUT))
		abort();
	/* Ports come only from a transport header that was there. */
	if ((pkt.lport || pkt.rport) && size - 1 < 24)
		abort();
	if (pkt.family == AF_INET && flow_headers(data + 1, size - 1) < 20)
		abort();
	flow_tuple(&pkt, &t);
	return 0;
}
