/* SPDX-License-Identifier: GPL-2.0 */
/* A valid Hone capture built with the library, shared by the pcapng tests. */
#ifndef HONE_TEST_PCAPNG_H
#define HONE_TEST_PCAPNG_H

#include <stddef.h>

#include "pcapng.h"

#define TEST_PCAPNG_OS		"Linux 6.1.0 x86_64"
#define TEST_PCAPNG_EXE		"/usr/bin/curl"
#define TEST_PCAPNG_ARGV	"curl\0-s\0http://10.0.0.2/"
#define TEST_PCAPNG_PID		4242U
#define TEST_PCAPNG_CONN	0x89abcdefU
#define TEST_PCAPNG_COOKIE	0x0123456789abcdefULL
/* Packets in the capture, and the comment on each. */
#define TEST_PCAPNG_PACKETS	2
#define TEST_PCAPNG_COMMENT	"pid=4242 exe=/usr/bin/curl conn=2309737967"

void test_pcapng_shb(struct pcapng_builder *w);
/* SHB, IDB, process, connection, IPv4 UDP and IPv6 TCP packets, an
 * unknown local block, ISB. Returns the length. */
size_t test_pcapng_capture(void *buf, size_t cap);

#endif /* HONE_TEST_PCAPNG_H */
