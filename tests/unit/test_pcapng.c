// SPDX-License-Identifier: GPL-2.0
/* The PCAP-NG reader and builder: round trip, damage, byte order, splits. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <hone/hone.h>

#include "pcapng.h"
#include "test_pcapng.h"

/* Read a whole stream fed in chunks of `chunk` bytes; the block types go
 * to types[], the result of the first error or of pcapng_finish() is
 * returned. */
static int read_all(const uint8_t *data, size_t len, size_t chunk,
		    uint32_t *types, size_t *n, char *err)
{
	struct pcapng_reader r;
	struct pcapng_block b;
	size_t done = 0;
	int ret;

	cr_assert_eq(pcapng_init(&r, 0), 0);
	*n = 0;
	for (;;) {
		ret = pcapng_next(&r, &b);
		if (!ret) {
			types[(*n)++] = b.type;
			continue;
		}
		if (ret != -EAGAIN)
			break;
		if (done == len) {
			ret = pcapng_finish(&r);
			break;
		}
		size_t want = len - done < chunk ? len - done : chunk;

		done += pcapng_feed(&r, data + done, want);
	}
	if (err)
		strcpy(err, pcapng_error(&r));
	pcapng_free(&r);
	return ret;
}

static const uint32_t all_types[] = {
	HONE_BT_SHB, HONE_BT_IDB, HONE_BT_PROCESS, HONE_BT_CONNECTION,
	HONE_BT_EPB, HONE_BT_EPB, 0x80000001U, HONE_BT_ISB,
};

Test(pcapng, whole_stream_every_split)
{
	static uint8_t buf[8192];
	uint32_t types[32];
	size_t len = test_pcapng_capture(buf, sizeof(buf)), n, chunk;

	for (chunk = 1; chunk <= len; chunk += chunk < 64 ? 1 : 97) {
		cr_assert_eq(read_all(buf, len, chunk, types, &n, NULL), 0,
			     "chunk %zu", chunk);
		cr_assert_eq(n, sizeof(all_types) / 4, "chunk %zu", chunk);
		cr_assert_arr_eq(types, all_types, sizeof(all_types));
	}
}

/* Every option of a block as code -> (value, length). */
struct seen {
	const uint8_t *val[300];
	uint16_t len[300];
	unsigned count[300];
};

static void collect(const struct pcapng_block *b, struct seen *s)
{
	struct pcapng_opt o;
	size_t cur = 0;

	memset(s, 0, sizeof(*s));
	while (pcapng_opt_next(b, &cur, &o) == 1) {
		cr_assert_lt(o.code, 300);
		if (!s->count[o.code]++)
			s->val[o.code] = o.val;
		s->len[o.code] = o.len;
	}
}

static void opt_str(const struct seen *s, unsigned code, const char *want)
{
	cr_assert_eq(s->len[code], strlen(want), "option %u", code);
	cr_assert_eq(memcmp(s->val[code], want, strlen(want)), 0, "option %u", code);
}

static void opt_u32(const struct pcapng_block *b, const struct seen *s,
		    unsigned code, uint32_t want)
{
	struct pcapng_opt o = { code, s->len[code], s->val[code] };

	cr_assert_eq(s->len[code], 4, "option %u", code);
	cr_assert_eq(pcapng_opt_u32(b, &o), want, "option %u", code);
}

static void opt_u64(const struct pcapng_block *b, const struct seen *s,
		    unsigned code, uint64_t want)
{
	struct pcapng_opt o = { code, s->len[code], s->val[code] };

	cr_assert_eq(s->len[code], 8, "option %u", code);
	cr_assert_eq(pcapng_opt_u64(b, &o), want, "option %u", code);
}

static void check_block(const struct pcapng_block *b, unsigned nth_epb)
{
	struct seen s;

	collect(b, &s);
	switch (b->type) {
	case HONE_BT_SHB:
		cr_assert_eq(pcapng_u32(b, 0), HONE_BYTE_ORDER_MAGIC);
		cr_assert_eq(pcapng_u16(b, 4), 1);
		cr_assert_eq(pcapng_u64(b, 8), UINT64_MAX);
		opt_str(&s, HONE_SHB_OS, TEST_PCAPNG_OS);
		opt_str(&s, HONE_SHB_USERAPPL, "Hone " HONE_VERSION);
		cr_assert_eq(s.len[HONE_SHB_HOSTID], 6);
		break;
	case HONE_BT_IDB:
		cr_assert_eq(pcapng_u16(b, 0), HONE_LINKTYPE_RAW);
		cr_assert_eq(pcapng_u32(b, 4), 65535);
		opt_str(&s, HONE_IF_DESCRIPTION, "Hone Capture Pseudo-device");
		cr_assert_eq(s.len[HONE_IF_TSRESOL], 1);
		cr_assert_eq(s.val[HONE_IF_TSRESOL][0], 6);
		break;
	case HONE_BT_PROCESS:
		cr_assert_eq(pcapng_u32(b, 0), TEST_PCAPNG_PID);
		opt_u32(b, &s, HONE_PROC_EVENT, HONE_PROC_EXEC);
		opt_str(&s, HONE_PROC_PATH, TEST_PCAPNG_EXE);
		cr_assert_eq(s.len[HONE_PROC_ARGV], sizeof(TEST_PCAPNG_ARGV));
		cr_assert_eq(memcmp(s.val[HONE_PROC_ARGV], TEST_PCAPNG_ARGV,
				    sizeof(TEST_PCAPNG_ARGV)), 0);
		opt_u32(b, &s, HONE_PROC_PPID, 1);
		opt_u32(b, &s, HONE_PROC_UID, 1000);
		opt_u32(b, &s, HONE_PROC_GID, 1001);
		opt_u32(b, &s, HONE_PROC_TID, TEST_PCAPNG_PID + 1);
		opt_u64(b, &s, HONE_PROC_START, 123456789ULL);
		opt_str(&s, HONE_PROC_COMM, "curl");
		opt_u32(b, &s, HONE_PROC_EXIT_CODE, 256);
		opt_u32(b, &s, HONE_PROC_RUID, 1002);
		opt_u32(b, &s, HONE_PROC_RGID, 1003);
		opt_u64(b, &s, HONE_PROC_PPID_START, 42);
		break;
	case HONE_BT_CONNECTION:
		cr_assert_eq(pcapng_u32(b, 0), TEST_PCAPNG_CONN);
		cr_assert_eq(pcapng_u32(b, 4), TEST_PCAPNG_PID);
		opt_u64(b, &s, HONE_CONN_COOKIE, TEST_PCAPNG_COOKIE);
		opt_u32(b, &s, HONE_CONN_FAMILY, 2);
		opt_u32(b, &s, HONE_CONN_PROTO, 17);
		break;
	case HONE_BT_EPB:
		cr_assert_eq(pcapng_u32(b, 0), 0);
		cr_assert_eq(s.len[HONE_EPB_PID_TID], 8);
		opt_u32(b, &s, HONE_EPB_FLAGS, nth_epb ? HONE_EPB_FLAG_INBOUND :
			HONE_EPB_FLAG_OUTBOUND);
		opt_u32(b, &s, HONE_EPB_CONN, TEST_PCAPNG_CONN);
		opt_u32(b, &s, HONE_EPB_PID, TEST_PCAPNG_PID);
		opt_u64(b, &s, HONE_EPB_COOKIE, TEST_PCAPNG_COOKIE);
		opt_u32(b, &s, HONE_EPB_VERDICT, 1);
		opt_u32(b, &s, HONE_EPB_MARK, 0x10);
		opt_str(&s, HONE_EPB_RULE, "curl-web");
		opt_u64(b, &s, HONE_EPB_NTH, nth_epb + 1);
		cr_assert_eq(s.count[HONE_OPT_COMMENT], 1);
		break;
	case HONE_BT_ISB:
		for (unsigned c = HONE_ISB_PROC_RECV; c <= HONE_ISB_CONN_DELIV; c++)
			opt_u64(b, &s, c, c * 10);
		opt_u64(b, &s, HONE_ISB_IFRECV, 2);
		break;
	default:
		cr_assert_not(b->known);
		cr_assert_eq(b->opts, b->len);
	}
}

Test(pcapng, round_trip_every_block_and_option)
{
	static uint8_t buf[8192];
	size_t len = test_pcapng_capture(buf, sizeof(buf));
	struct pcapng_reader r;
	struct pcapng_block b;
	unsigned epbs = 0, blocks = 0;

	cr_assert_eq(pcapng_init(&r, 0), 0);
	cr_assert_eq(pcapng_feed(&r, buf, len), len);
	while (pcapng_next(&r, &b) == 0) {
		cr_assert_eq(b.offset % 4, 0);
		check_block(&b, epbs);
		epbs += b.type == HONE_BT_EPB;
		blocks++;
	}
	cr_assert_eq(blocks, sizeof(all_types) / 4);
	cr_assert_eq(pcapng_finish(&r), 0);
	pcapng_free(&r);
}

/* A big-endian section written by hand: SHB, IDB, one EPB with a PID. */
Test(pcapng, big_endian)
{
	static const uint8_t be[] = {
		0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 0x1a, 0x2b, 0x3c, 0x4d,
		0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0, 0, 0, 28,
		0, 0, 0, 1, 0, 0, 0, 20, 0, 101, 0, 0, 0, 0, 0x10, 0,
		0, 0, 0, 20,
		0, 0, 0, 6, 0, 0, 0, 48, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2,
		0, 0, 0, 3, 0, 0, 0, 3, 0x45, 0x00, 0x01, 0,
		0x01, 0x02, 0, 4, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 48,
	};
	struct pcapng_reader r;
	struct pcapng_block b;
	struct pcapng_opt o;
	size_t cur = 0;

	cr_assert_eq(pcapng_init(&r, 0), 0);
	pcapng_feed(&r, be, sizeof(be));
	cr_assert_eq(pcapng_next(&r, &b), 0);
	cr_assert(b.swap == (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__));
	cr_assert_eq(pcapng_u32(&b, 0), HONE_BYTE_ORDER_MAGIC);
	cr_assert_eq(pcapng_next(&r, &b), 0);
	cr_assert_eq(pcapng_u16(&b, 0), 101);
	cr_assert_eq(pcapng_u32(&b, 4), 4096);
	cr_assert_eq(pcapng_next(&r, &b), 0, "%s", pcapng_error(&r));
	cr_assert_eq(b.type, HONE_BT_EPB);
	cr_assert_eq(pcapng_u32(&b, 4), 1);
	cr_assert_eq(pcapng_u32(&b, 8), 2);
	cr_assert_eq(pcapng_u32(&b, 12), 3);
	cr_assert_eq(pcapng_opt_next(&b, &cur, &o), 1);
	cr_assert_eq(o.code, HONE_EPB_PID);
	cr_assert_eq(pcapng_opt_u32(&b, &o), 0x1234);
	cr_assert_eq(pcapng_opt_next(&b, &cur, &o), 0);
	cr_assert_eq(pcapng_next(&r, &b), -EAGAIN);
	cr_assert_eq(pcapng_finish(&r), 0);
	pcapng_free(&r);
}

/* A little-endian section, then a big-endian one, then little again. */
Test(pcapng, sections_in_both_orders)
{
	static uint8_t buf[16384];
	static const uint8_t be_shb[] = {
		0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 0x1a, 0x2b, 0x3c, 0x4d,
		0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0, 0, 0, 28,
		0, 0, 0, 1, 0, 0, 0, 20, 0, 101, 0, 0, 0, 0, 0x10, 0,
		0, 0, 0, 20,
	};
	uint32_t types[32];
	size_t len = test_pcapng_capture(buf, sizeof(buf)), n;

	memcpy(buf + len, be_shb, sizeof(be_shb));
	len += sizeof(be_shb);
	len += test_pcapng_capture(buf + len, sizeof(buf) - len);
	cr_assert_eq(read_all(buf, len, 7, types, &n, NULL), 0);
	cr_assert_eq(n, 2 * sizeof(all_types) / 4 + 2);
	cr_assert_eq(types[sizeof(all_types) / 4], HONE_BT_SHB);
	cr_assert_eq(types[sizeof(all_types) / 4 + 1], HONE_BT_IDB);
}

/* Damage the valid capture at `off` with `v` (native order) and expect
 * the first error to be `want` with `msg` in its text. */
static void damaged(size_t off, uint32_t v, int want, const char *msg)
{
	static uint8_t buf[8192];
	char err[200];
	uint32_t types[32];
	size_t len = test_pcapng_capture(buf, sizeof(buf)), n;

	memcpy(buf + off, &v, 4);
	cr_assert_eq(read_all(buf, len, 5, types, &n, err), want,
		     "offset %zu: %s", off, err);
	cr_assert(strstr(err, msg), "'%s' lacks '%s'", err, msg);
	cr_assert(!strncmp(err, "offset ", 7), "%s", err);
	cr_assert_eq(read_all(buf, len, len, types, &n, NULL), want);
}

/* Offsets of the blocks in the valid capture. */
static size_t block_at(unsigned i)
{
	static uint8_t buf[8192];
	size_t off = 0;
	uint32_t total;

	test_pcapng_capture(buf, sizeof(buf));
	while (i--) {
		memcpy(&total, buf + off + 4, 4);
		off += total;
	}
	return off;
}

Test(pcapng, damage)
{
	size_t epb = block_at(4), idb = block_at(1);

	damaged(4, 30, -EBADMSG, "multiple of 4");
	damaged(4, 8, -EBADMSG, "multiple of 4");
	damaged(4, HONE_BLOCK_MAX + 4, -EBADMSG, "multiple of 4");
	damaged(epb + 4, 0, -EBADMSG, "multiple of 4");
	damaged(8, 0x12345678, -EBADMSG, "byte-order magic");
	damaged(12, 2, -EBADMSG, "section version");
	/* The first option of the IDB claims more than the block holds. */
	damaged(idb + 16, HONE_IF_DESCRIPTION | 0xfff0U << 16, -EBADMSG,
		"runs past the block");
	/* The captured length runs past the EPB. */
	damaged(epb + 20, 5000, -EBADMSG, "packet of 5000 bytes");
	/* The EPB names an interface no IDB described. */
	damaged(epb + 8, 3, -EPROTO, "interface 3 not described");
	/* Trailing length differs from the leading one. */
	damaged(block_at(2) - 4, 40, -EBADMSG, "trailing block length");
	/* The stream does not start with a section header. */
	damaged(0, HONE_BT_IDB, -EPROTO, "before any section header");
}

/* After an error, resync drops what is buffered: the next block must
 * start a section, and error offsets still count the whole stream. */
Test(pcapng, resync_at_next_section)
{
	static uint8_t buf[8192], junk[16];
	size_t len = test_pcapng_capture(buf, sizeof(buf)), idb = block_at(1);
	struct pcapng_reader r;
	struct pcapng_block b;
	char want[64];
	unsigned n = 0;

	memset(junk, 0x41, sizeof(junk));
	cr_assert_eq(pcapng_init(&r, 0), 0);
	pcapng_feed(&r, buf, len);
	while (pcapng_next(&r, &b) == 0)
		;
	pcapng_feed(&r, junk, sizeof(junk));
	cr_assert_eq(pcapng_next(&r, &b), -EBADMSG);
	pcapng_resync(&r);
	cr_assert_eq(pcapng_error(&r)[0], '\0');
	pcapng_feed(&r, buf + idb, len - idb);
	cr_assert_eq(pcapng_next(&r, &b), -EPROTO);
	snprintf(want, sizeof(want), "offset %zu: ", len + sizeof(junk));
	cr_assert(strstr(pcapng_error(&r), want), "%s", pcapng_error(&r));
	pcapng_resync(&r);
	pcapng_feed(&r, buf, len);
	while (pcapng_next(&r, &b) == 0)
		n++;
	cr_assert_eq(n, sizeof(all_types) / 4);
	cr_assert_eq(pcapng_finish(&r), 0);
	pcapng_free(&r);
}

/* Well framed, but too short for the fixed part of its type. */
Test(pcapng, short_fixed_part)
{
	static uint8_t buf[512];
	struct pcapng_builder w = { .buf = buf, .cap = sizeof(buf) };
	struct pcapng_reader r;
	struct pcapng_block b;

	test_pcapng_shb(&w);
	pcapng_begin(&w, HONE_BT_IDB);
	pcapng_put32(&w, HONE_LINKTYPE_RAW);
	cr_assert_eq(pcapng_end(&w), 16);
	cr_assert_eq(pcapng_init(&r, 0), 0);
	pcapng_feed(&r, buf, w.len);
	cr_assert_eq(pcapng_next(&r, &b), 0);
	cr_assert_eq(pcapng_next(&r, &b), -EBADMSG);
	cr_assert(strstr(pcapng_error(&r), "needs 8 body bytes"), "%s", pcapng_error(&r));
	cr_assert_eq(pcapng_next(&r, &b), -EBADMSG, "errors stick");
	pcapng_free(&r);
}

Test(pcapng, epb_before_idb)
{
	static uint8_t buf[8192];
	uint32_t types[32];
	char err[200];
	size_t len = test_pcapng_capture(buf, sizeof(buf)), n;
	size_t idb = block_at(1);

	/* Make the IDB an unknown block: the EPB now has no interface. */
	memcpy(buf + idb, &(uint32_t){ 0x80000002U }, 4);
	cr_assert_eq(read_all(buf, len, 64, types, &n, err), -EPROTO, "%s", err);
	cr_assert(strstr(err, "interface 0 not described"), "%s", err);
}

Test(pcapng, truncated_at_eof)
{
	static uint8_t buf[8192];
	uint32_t types[32];
	char err[200];
	size_t len = test_pcapng_capture(buf, sizeof(buf)), n, cut;

	for (cut = 1; cut < 12; cut++) {
		cr_assert_eq(read_all(buf, len - cut, 9, types, &n, err), -ENODATA);
		cr_assert(strstr(err, "stream ends inside a block"), "%s", err);
		cr_assert_eq(n, sizeof(all_types) / 4 - 1);
	}
	cr_assert_eq(read_all(buf, block_at(3), 9, types, &n, NULL), 0);
	cr_assert_eq(n, 3);
}

/* Zero-length options and an empty block never stall the reader. */
Test(pcapng, zero_lengths)
{
	static uint8_t buf[512];
	struct pcapng_builder w = { .buf = buf, .cap = sizeof(buf) };
	struct pcapng_reader r;
	struct pcapng_block b;
	struct pcapng_opt o;
	size_t cur = 0;
	unsigned n = 0;

	test_pcapng_shb(&w);
	pcapng_begin(&w, HONE_BT_PROCESS);
	pcapng_put32(&w, 1);
	pcapng_put32(&w, 0);
	pcapng_put32(&w, 0);
	for (int i = 0; i < 20; i++)
		pcapng_opt(&w, HONE_PROC_PATH, "", 0);
	cr_assert_gt(pcapng_end(&w), 0);
	pcapng_begin(&w, 0x80000003U);
	cr_assert_eq(pcapng_end(&w), 12);
	cr_assert_eq(pcapng_init(&r, 0), 0);
	pcapng_feed(&r, buf, w.len);
	cr_assert_eq(pcapng_next(&r, &b), 0);
	cr_assert_eq(pcapng_next(&r, &b), 0);
	while (pcapng_opt_next(&b, &cur, &o) == 1)
		n++;
	cr_assert_eq(n, 20);
	cr_assert_eq(pcapng_next(&r, &b), 0);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(pcapng_next(&r, &b), -EAGAIN);
	pcapng_free(&r);
}

Test(pcapng, builder_limits)
{
	static uint8_t buf[HONE_BLOCK_MAX + 70000];
	static char big[70000];
	struct pcapng_builder w = { .buf = buf, .cap = 64 };

	pcapng_begin(&w, HONE_BT_PROCESS);
	pcapng_opt(&w, HONE_PROC_PATH, big, 100);
	cr_assert_eq(pcapng_end(&w), -ENOSPC);
	cr_assert_eq(w.len, 0);
	w.cap = sizeof(buf);
	pcapng_begin(&w, HONE_BT_PROCESS);
	pcapng_put(&w, big, 12);
	pcapng_opt(&w, HONE_PROC_ARGV, big, sizeof(big));
	cr_assert_eq(pcapng_end(&w), 12 + 12 + 4 + 65532 + 4);
	w.len = 0;
	pcapng_begin(&w, HONE_BT_PROCESS);
	for (int i = 0; i < 5; i++)
		pcapng_opt(&w, HONE_PROC_ARGV, big, 60000);
	cr_assert_eq(pcapng_end(&w), -E2BIG);
}

/* The reader refuses to be fed past its buffer while a block is unread. */
Test(pcapng, feed_bounded)
{
	static uint8_t junk[64];
	struct pcapng_reader r;

	cr_assert_eq(pcapng_init(&r, 32), 0);
	cr_assert_eq(pcapng_feed(&r, junk, sizeof(junk)), 64);
	cr_assert_eq(pcapng_feed(&r, junk, 1), 0);
	pcapng_free(&r);
	cr_assert_eq(pcapng_init(&r, 13), -EINVAL);
}

Test(pcapng, utf8_comment)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "pid=1 exe=/usr/bin/caf\xc3\xa9", "pid=1 exe=/usr/bin/caf\xc3\xa9" },
		{ "a\xff" "b\xc3", "a?b?" },
		{ "\xc0\xaf\xed\xa0\x80", "?????" },
		{ "\xf0\x9f\x98\x80\xf4\x90\x80\x80", "\xf0\x9f\x98\x80????" },
		{ "\xe2\x82", "??" },
	};
	static uint8_t buf[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pcapng_builder w = { .buf = buf, .cap = sizeof(buf) };
		size_t n = strlen(cases[i].in);

		pcapng_opt_utf8(&w, HONE_OPT_COMMENT, cases[i].in, n);
		cr_assert_eq(w.len, 4 + ((n + 3) & ~3UL));
		cr_assert_eq(memcmp(buf + 4, cases[i].out, n), 0, "case %zu", i);
	}
}
