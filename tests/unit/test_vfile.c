// SPDX-License-Identifier: GPL-2.0
/* The verdict log's PCAP-NG file: block chain, lengths, EPB options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <hone/hone.h>

#include "nft.h"
#include "proctab.h"
#include "vfile.h"

static uint32_t u32at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* The option code's value in an EPB's options, or NULL. */
static const uint8_t *epb_opt(const uint8_t *b, uint16_t code, uint16_t *len)
{
	uint32_t total = u32at(b + 4), caplen = u32at(b + 20);
	size_t off = 28 + ((caplen + 3) & ~3U);
	uint16_t h[2];

	while (off + 4 <= total - 4) {
		memcpy(h, b + off, 4);
		if (h[0] == HONE_OPT_ENDOFOPT)
			break;
		if (h[0] == code) {
			*len = h[1];
			return b + off + 4;
		}
		off += 4 + ((h[1] + 3U) & ~3U);
	}
	return NULL;
}

/* The verdict log of one packet, read back into buf. */
static size_t log_one(const struct vlog_entry *e, const char *comment,
		      void *buf, size_t size)
{
	char path[] = "/tmp/hone-vfile-XXXXXX";
	struct vfile *f;
	ssize_t n;
	int fd;

	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(vfile_open(path, &f), 0);
	cr_assert_eq(vfile_packet(f, e, comment), 0);
	vfile_close(f);
	fd = open(path, 0);
	n = read(fd, buf, size);
	close(fd);
	unlink(path);
	cr_assert_gt(n, 0);
	return n;
}

Test(vfile, blocks_chain_and_epb_options)
{
	uint8_t ip[20] = { 0x45, 0, 0, 20, [9] = 17 };
	struct rules_pkt pkt = { .family = AF_INET, .proto = 17,
				 .dir = RULES_DIR_OUT, .nth = 3 };
	struct rules_verdict v = { .action = RULES_DROP };
	struct vlog_entry e = { .data = ip, .len = sizeof(ip),
				.wire_len = 1500, .pkt = &pkt, .v = &v,
				.mark = HONE_MARK_FLOW | 0x42 };
	uint8_t buf[4096], *b;
	const uint8_t *o;
	uint16_t len;
	size_t n, off;
	uint32_t types[3];
	int i = 0;

	n = log_one(&e, "verdict=drop exe=/caf\xe9", buf, sizeof(buf));
	for (off = 0; off + 12 <= n && i < 3; off += u32at(buf + off + 4)) {
		b = buf + off;
		cr_assert_eq(u32at(b + 4) % 4, 0, "blocks are 4-byte aligned");
		cr_assert_eq(u32at(b + 4), u32at(b + u32at(b + 4) - 4),
			     "trailing length repeats the leading one");
		types[i++] = u32at(b);
	}
	cr_assert_eq(off, n, "the file is whole blocks");
	cr_expect_eq(types[0], HONE_BT_SHB);
	cr_expect_eq(u32at(buf + 8), HONE_BYTE_ORDER_MAGIC);
	cr_expect_eq(types[1], HONE_BT_IDB);
	cr_expect_eq(types[2], HONE_BT_EPB);
	b = buf + u32at(buf + 4);
	b += u32at(b + 4);
	cr_expect_eq(u32at(b + 20), sizeof(ip), "captured length");
	cr_expect_eq(u32at(b + 24), 1500, "original length");
	o = epb_opt(b, HONE_EPB_VERDICT, &len);
	cr_assert_not_null(o);
	cr_expect_eq(u32at(o), HONE_VERDICT_DROP);
	o = epb_opt(b, HONE_EPB_MARK, &len);
	cr_assert_not_null(o);
	cr_expect_eq(u32at(o), 0x42, "honefw's own mark bits stay out");
	o = epb_opt(b, HONE_OPT_COMMENT, &len);
	cr_assert_not_null(o);
	cr_expect_eq(len, strlen("verdict=drop exe=/caf?"));
	cr_expect_eq(memcmp(o, "verdict=drop exe=/caf?", len), 0,
		     "stock readers get valid UTF-8");
	o = epb_opt(b, HONE_EPB_FLAGS, &len);
	cr_assert_not_null(o);
	cr_expect_eq(u32at(o), HONE_EPB_FLAG_OUTBOUND);
}

static void noop_release(void *ctx, struct pent *e)
{
	(void)ctx;
	(void)e;
}

Test(vfile, long_argv_keeps_its_process_block)
{
	static char argv[20000];
	static uint8_t buf[64 * 1024];
	uint8_t ip[20] = { 0x45, 0, 0, 20, [9] = 17 };
	struct rules_pkt pkt = { .family = AF_INET, .proto = 17 };
	struct rules_verdict v = { .action = RULES_ACCEPT };
	struct vlog_entry e = { .data = ip, .len = sizeof(ip), .wire_len = 20,
				.pkt = &pkt, .v = &v };
	struct proctab *pt;
	struct pent *p;
	size_t n, off;

	memset(argv, 'x', sizeof(argv));
	cr_assert_eq(proctab_init(noop_release, NULL, &pt), 0);
	p = proctab_new(pt, 42, 1, NULL);
	cr_assert_not_null(p);
	cr_assert_eq(proctab_exec(pt, p, "/usr/bin/long", NULL, argv,
				  sizeof(argv)), 0);
	e.proc = &p->p;
	n = log_one(&e, "verdict=accept", buf, sizeof(buf));
	proctab_free(pt);
	for (off = 0; off + 12 <= n; off += u32at(buf + off + 4))
		if (u32at(buf + off) == HONE_BT_PROCESS)
			break;
	cr_assert_lt(off + 12, n, "a process block was written");
	cr_expect_gt(u32at(buf + off + 4), sizeof(argv), "with the whole argv");
}
