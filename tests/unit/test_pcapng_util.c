// SPDX-License-Identifier: GPL-2.0
/* The capture the pcapng tests read: every block and option Hone writes. */
#include <arpa/inet.h>
#include <string.h>

#include <criterion/criterion.h>
#include <hone/hone.h>

#include "test_pcapng.h"

void test_pcapng_shb(struct pcapng_builder *w)
{
	static const char hostid[] = { HONE_HOSTID_STRING, 'h', 'o', 's', 't', '1' };
	uint16_t ver[2] = { 1, 0 };
	uint64_t section = UINT64_MAX;

	pcapng_begin(w, HONE_BT_SHB);
	pcapng_put32(w, HONE_BYTE_ORDER_MAGIC);
	pcapng_put(w, ver, 4);
	pcapng_put(w, &section, 8);
	pcapng_opt(w, HONE_SHB_OS, TEST_PCAPNG_OS, strlen(TEST_PCAPNG_OS));
	pcapng_opt(w, HONE_SHB_USERAPPL, "Hone " HONE_VERSION,
		   strlen("Hone " HONE_VERSION));
	pcapng_opt(w, HONE_SHB_HOSTID, hostid, sizeof(hostid));
	cr_assert_gt(pcapng_end(w), 0);
}

static void idb(struct pcapng_builder *w)
{
	static const char desc[] = "Hone Capture Pseudo-device";
	uint16_t link[2] = { HONE_LINKTYPE_RAW, 0 };
	uint8_t tsresol = 6;

	pcapng_begin(w, HONE_BT_IDB);
	pcapng_put(w, link, 4);
	pcapng_put32(w, 65535);
	pcapng_opt(w, HONE_IF_DESCRIPTION, desc, strlen(desc));
	pcapng_opt(w, HONE_IF_TSRESOL, &tsresol, 1);
	cr_assert_gt(pcapng_end(w), 0);
}

static void ts(struct pcapng_builder *w, uint64_t us)
{
	pcapng_put32(w, us >> 32);
	pcapng_put32(w, us);
}

static void process(struct pcapng_builder *w)
{
	pcapng_begin(w, HONE_BT_PROCESS);
	pcapng_put32(w, TEST_PCAPNG_PID);
	ts(w, 1700000000000000ULL);
	pcapng_opt32(w, HONE_PROC_EVENT, HONE_PROC_EXEC);
	pcapng_opt(w, HONE_PROC_PATH, TEST_PCAPNG_EXE, strlen(TEST_PCAPNG_EXE));
	pcapng_opt(w, HONE_PROC_ARGV, TEST_PCAPNG_ARGV, sizeof(TEST_PCAPNG_ARGV));
	pcapng_opt32(w, HONE_PROC_PPID, 1);
	pcapng_opt32(w, HONE_PROC_UID, 1000);
	pcapng_opt32(w, HONE_PROC_GID, 1001);
	pcapng_opt32(w, HONE_PROC_TID, TEST_PCAPNG_PID + 1);
	pcapng_opt64(w, HONE_PROC_START, 123456789ULL);
	pcapng_opt(w, HONE_PROC_COMM, "curl", 4);
	pcapng_opt32(w, HONE_PROC_EXIT_CODE, 256);
	pcapng_opt32(w, HONE_PROC_RUID, 1002);
	pcapng_opt32(w, HONE_PROC_RGID, 1003);
	pcapng_opt64(w, HONE_PROC_PPID_START, 42);
	cr_assert_gt(pcapng_end(w), 0);
}

static void connection(struct pcapng_builder *w)
{
	uint32_t local[5] = { 60000, htonl(0x0a000001) };
	uint32_t remote[5] = { 60001, htonl(0x0a000002) };

	pcapng_begin(w, HONE_BT_CONNECTION);
	pcapng_put32(w, TEST_PCAPNG_CONN);
	pcapng_put32(w, TEST_PCAPNG_PID);
	ts(w, 1700000000000100ULL);
	pcapng_opt64(w, HONE_CONN_COOKIE, TEST_PCAPNG_COOKIE);
	pcapng_opt32(w, HONE_CONN_FAMILY, 2);
	pcapng_opt32(w, HONE_CONN_TYPE, 2);
	pcapng_opt32(w, HONE_CONN_PROTO, 17);
	pcapng_opt(w, HONE_CONN_LOCAL, local, 8);
	pcapng_opt(w, HONE_CONN_REMOTE, remote, 8);
	cr_assert_gt(pcapng_end(w), 0);
}

static uint32_t sum16(const void *p, size_t n, uint32_t s)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i += 2)
		s += b[i] << 8 | (i + 1 < n ? b[i + 1] : 0);
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s;
}

/* 10.0.0.1:60000 -> 10.0.0.2:60001, UDP, 5 bytes (ports no dissector claims). */
static size_t udp4(uint8_t *p)
{
	static const uint8_t pkt[] = {
		0x45, 0, 0, 33, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0,
		10, 0, 0, 1, 10, 0, 0, 2,
		0xea, 0x60, 0xea, 0x61, 0, 13, 0, 0, 'h', 'e', 'l', 'l', 'o',
	};
	uint16_t c;

	memcpy(p, pkt, sizeof(pkt));
	c = htons(fold(sum16(p, 20, 0)));
	memcpy(p + 10, &c, 2);
	return sizeof(pkt);
}

/* [2001:db8::2]:80 -> [2001:db8::1]:40000, TCP SYN-ACK. */
static size_t tcp6(uint8_t *p)
{
	static const uint8_t pkt[] = {
		0x60, 0, 0, 0, 0, 20, 6, 64,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0, 80, 0x9c, 0x40, 0, 0, 0, 1, 0, 0, 0, 2, 0x50, 0x12, 0xff, 0xff,
		0, 0, 0, 0,
	};
	uint32_t s;
	uint16_t c;

	memcpy(p, pkt, sizeof(pkt));
	s = sum16(p + 8, 32, 0) + 20 + 6;
	c = htons(fold(sum16(p + 40, 20, s)));
	memcpy(p + 56, &c, 2);
	return sizeof(pkt);
}

static void packet(struct pcapng_builder *w, unsigned nth)
{
	static const char comment[] = TEST_PCAPNG_COMMENT;
	uint32_t pidtid[2] = { TEST_PCAPNG_PID, TEST_PCAPNG_PID + 1 };
	uint8_t pkt[64];
	size_t len = nth ? tcp6(pkt) : udp4(pkt);

	pcapng_begin(w, HONE_BT_EPB);
	pcapng_put32(w, 0);
	ts(w, 1700000000000200ULL + nth);
	pcapng_put32(w, len);
	pcapng_put32(w, len);
	pcapng_put(w, pkt, len);
	pcapng_opt_utf8(w, HONE_OPT_COMMENT, comment, strlen(comment));
	pcapng_opt32(w, HONE_EPB_FLAGS, nth ? HONE_EPB_FLAG_INBOUND :
		     HONE_EPB_FLAG_OUTBOUND);
	pcapng_opt(w, HONE_EPB_PID_TID, pidtid, 8);
	pcapng_opt32(w, HONE_EPB_CONN, TEST_PCAPNG_CONN);
	pcapng_opt32(w, HONE_EPB_PID, TEST_PCAPNG_PID);
	pcapng_opt64(w, HONE_EPB_COOKIE, TEST_PCAPNG_COOKIE);
	pcapng_opt32(w, HONE_EPB_VERDICT, 1);
	pcapng_opt32(w, HONE_EPB_MARK, 0x10);
	pcapng_opt(w, HONE_EPB_RULE, "curl-web", 8);
	pcapng_opt64(w, HONE_EPB_NTH, nth + 1);
	cr_assert_gt(pcapng_end(w), 0);
}

static void isb(struct pcapng_builder *w)
{
	pcapng_begin(w, HONE_BT_ISB);
	pcapng_put32(w, 0);
	ts(w, 1700000000001000ULL);
	pcapng_opt64(w, HONE_ISB_IFRECV, 2);
	for (unsigned c = HONE_ISB_PROC_RECV; c <= HONE_ISB_CONN_DELIV; c++)
		pcapng_opt64(w, c, c * 10);
	cr_assert_gt(pcapng_end(w), 0);
}

size_t test_pcapng_capture(void *buf, size_t cap)
{
	struct pcapng_builder w = { .buf = buf, .cap = cap };

	test_pcapng_shb(&w);
	idb(&w);
	process(&w);
	connection(&w);
	packet(&w, 0);
	packet(&w, 1);
	pcapng_begin(&w, 0x80000001U);
	pcapng_put(&w, "local", 5);
	cr_assert_gt(pcapng_end(&w), 0);
	isb(&w);
	return w.len;
}
