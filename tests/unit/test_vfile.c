// SPDX-License-Identifier: GPL-2.0
/* The verdict log's PCAP-NG file: block chain, lengths, EPB options;
 * appending sections that stand alone, refusing files others could read or
 * swap, whole blocks and a count of the lost on a full disk. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <hone/hone.h>

#include "nft.h"
#include "pcapng.h"
#include "proctab.h"
#include "vfile.h"
#include "vlog.h"

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

/* A packet hone.ko passed by a verdict given ahead: its entry carries the
 * mark that verdict set, and its comment says so, and whether the rules
 * now gave another (the log tells what was done: accepted). */
Test(vfile, a_packet_passed_ahead_carries_its_mark)
{
	uint8_t ip[20] = { 0x45, 0, 0, 20, [9] = 6 };
	struct rules_pkt pkt = { .family = AF_INET, .proto = 6,
				 .dir = RULES_DIR_OUT, .nth = 1 };
	struct rules_verdict v = { .action = RULES_ACCEPT, .log = true };
	struct vlog_entry e = { .data = ip, .len = sizeof(ip),
				.wire_len = 60, .pkt = &pkt, .v = &v,
				.prejudged = HONE_MARK_FLOW | 0x42,
				.stale = true };
	char path[] = "/tmp/hone-vlog-XXXXXX", want[] =
		"verdict=accept rule=unknown pid=- exe=- user=- "
		"prejudged=0x80000042(stale)";
	const char *field = "HONE_PREJUDGED=0x80000042(stale)";
	uint8_t buf[4096], *b;
	struct log_fields lf = { .n = 0 };
	const uint8_t *o;
	struct vlog *l;
	uint16_t len;
	ssize_t n;
	int fd;

	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(vlog_open(path, false, &l), 0);
	vlog_packet(l, &e);
	vlog_close(l);
	fd = open(path, 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	unlink(path);
	cr_assert_gt(n, 0);
	b = buf + u32at(buf + 4);	/* past the SHB */
	b += u32at(b + 4);		/* and the IDB */
	cr_assert_eq(u32at(b), HONE_BT_EPB);
	o = epb_opt(b, HONE_EPB_PREJUDGED, &len);
	cr_assert_not_null(o);
	cr_expect_eq(u32at(o), HONE_MARK_FLOW | 0x42);
	o = epb_opt(b, HONE_OPT_COMMENT, &len);
	cr_assert_not_null(o);
	cr_expect(len == strlen(want) && !memcmp(o, want, len), "%.*s",
		  (int)len, (const char *)o);
	/* The journal's: after verdict, rule and its place. */
	vlog_fields(&e, &lf);
	cr_assert_gt(lf.n, 3);
	cr_expect(lf.iov[3].iov_len == strlen(field) &&
		  !memcmp(lf.iov[3].iov_base, field, strlen(field)), "%.*s",
		  (int)lf.iov[3].iov_len, (const char *)lf.iov[3].iov_base);
}

/* A packet no rule decided names its fallback as the status does: the
 * log must say why, not "default" for all three. */
Test(vfile, fallbacks_are_named)
{
	static const struct { bool nosock; const char *name; } cases[] = {
		{ false, "unknown" }, { true, "kernel" },
	};
	uint8_t ip[20] = { 0x45, 0, 0, 20, [9] = 17 };
	struct rules_verdict v = { .action = RULES_DROP };
	uint8_t buf[4096], *b;
	const uint8_t *o;
	uint16_t len;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rules_pkt pkt = { .family = AF_INET, .proto = 17,
					 .dir = RULES_DIR_OUT, .nth = 1,
					 .nosock = cases[i].nosock };
		struct vlog_entry e = { .data = ip, .len = sizeof(ip),
					.wire_len = 20, .pkt = &pkt, .v = &v };

		log_one(&e, "verdict=drop", buf, sizeof(buf));
		b = buf + u32at(buf + 4);	/* past the SHB */
		b += u32at(b + 4);		/* and the IDB */
		cr_assert_eq(u32at(b), HONE_BT_EPB);
		o = epb_opt(b, HONE_EPB_RULE, &len);
		cr_assert_not_null(o);
		cr_expect_eq(len, strlen(cases[i].name));
		cr_expect_eq(memcmp(o, cases[i].name, len), 0, "%s: %.*s",
			     cases[i].name, (int)len, (const char *)o);
	}
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
	cr_assert_eq(proctab_init(&pt), 0);
	p = proctab_new(pt, 42, 1, NULL);
	cr_assert_not_null(p);
	cr_assert_eq(proctab_exec(pt, p, "/usr/bin/long", NULL, true, argv,
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

/* A file read back with the project's reader, section by section. */
struct readback {
	unsigned shb, idb, procs, conns, epbs, isbs;
	uint64_t ifdrop;	/* of the last ISB */
	bool standalone;	/* each EPB's process block is in its section */
	int end;		/* pcapng_finish(): 0 on a block boundary */
};

static void read_back(const char *path, struct readback *rb)
{
	static uint8_t buf[1024 * 1024];
	uint32_t pids[64];
	unsigned npids = 0, i;
	struct pcapng_reader r;
	struct pcapng_block b;
	struct pcapng_opt o;
	size_t cur;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	cr_assert_geq(n, 0);
	memset(rb, 0, sizeof(*rb));
	rb->standalone = true;
	cr_assert_eq(pcapng_init(&r, 0), 0);
	cr_assert_eq(pcapng_feed(&r, buf, n), (size_t)n);
	while (pcapng_next(&r, &b) == 0) {
		switch (b.type) {
		case HONE_BT_SHB:
			rb->shb++;
			npids = 0;
			break;
		case HONE_BT_IDB:
			rb->idb++;
			break;
		case HONE_BT_PROCESS:
			rb->procs++;
			if (npids < 64)
				pids[npids++] = pcapng_u32(&b, 0);
			break;
		case HONE_BT_CONNECTION:
			rb->conns++;
			break;
		case HONE_BT_EPB:
			rb->epbs++;
			for (cur = 0; pcapng_opt_next(&b, &cur, &o) == 1;) {
				if (o.code != HONE_EPB_PID)
					continue;
				for (i = 0; i < npids; i++)
					if (pids[i] == pcapng_opt_u32(&b, &o))
						break;
				rb->standalone &= i < npids;
			}
			break;
		case HONE_BT_ISB:
			rb->isbs++;
			for (cur = 0; pcapng_opt_next(&b, &cur, &o) == 1;)
				if (o.code == HONE_ISB_IFDROP)
					rb->ifdrop = pcapng_opt_u64(&b, &o);
			break;
		}
	}
	rb->end = pcapng_finish(&r);
	cr_expect_eq(rb->end, 0, "%s", pcapng_error(&r));
	pcapng_free(&r);
}

/* One packet of process 42 (/usr/bin/curl) on socket 7. */
struct fixture {
	struct proctab *pt;
	uint8_t ip[600];
	struct rules_pkt pkt;
	struct rules_verdict v;
	struct conn conn;
	struct vlog_entry e;
	char path[32];
};

static void fixture_init(struct fixture *x)
{
	struct pent *p;
	int fd;

	memset(x, 0, sizeof(*x));
	x->ip[0] = 0x45;
	x->ip[9] = 17;
	x->pkt = (struct rules_pkt){ .family = AF_INET, .proto = 17 };
	x->v = (struct rules_verdict){ .action = RULES_ACCEPT };
	cr_assert_eq(proctab_init(&x->pt), 0);
	p = proctab_new(x->pt, 42, 1, NULL);
	cr_assert_not_null(p);
	cr_assert_eq(proctab_exec(x->pt, p, "/usr/bin/curl", NULL, true,
				  "curl", 5), 0);
	x->conn = (struct conn){ .cookie = 7, .pid = 42, .proc = &p->p };
	x->e = (struct vlog_entry){ .data = x->ip, .len = sizeof(x->ip),
				    .wire_len = sizeof(x->ip), .pkt = &x->pkt,
				    .conn = &x->conn, .proc = &p->p,
				    .v = &x->v };
	strcpy(x->path, "/tmp/hone-vfile-XXXXXX");
	fd = mkstemp(x->path);
	cr_assert_geq(fd, 0);
	close(fd);
}

static void fixture_fini(struct fixture *x)
{
	unlink(x->path);
	proctab_free(x->pt);
}

/* A restart, or SIGHUP after nothing was rotated: the file grows by a
 * section that names its process again. */
Test(vfile, reopen_appends_a_section_that_stands_alone)
{
	struct fixture x;
	struct readback rb;
	struct vfile *f;
	int round;

	fixture_init(&x);
	for (round = 0; round < 2; round++) {
		cr_assert_eq(vfile_open(x.path, &f), 0);
		cr_assert_eq(vfile_packet(f, &x.e, "verdict=accept"), 0);
		cr_assert_eq(vfile_packet(f, &x.e, "verdict=accept"), 0);
		vfile_close(f);
	}
	read_back(x.path, &rb);
	fixture_fini(&x);
	cr_expect_eq(rb.shb, 2, "two sections, not one (truncated)");
	cr_expect_eq(rb.idb, 2);
	cr_expect_eq(rb.epbs, 4, "the first run's packets are kept");
	cr_expect_eq(rb.procs, 2, "the process block, once per section");
	cr_expect_eq(rb.conns, 2, "the connection block, once per section");
	cr_expect(rb.standalone, "every packet's process is in its section");
}

/* A name as the pcapng standard's Name Resolution Block: one record
 * (type, length, address, name, NUL, padding), then the end record. */
Test(vfile, name_resolution_blocks)
{
	static const uint8_t v4[4] = { 10, 99, 0, 2 };
	static const uint8_t v6[16] = { 0xfd, 0x99, [15] = 2 };
	char path[] = "/tmp/hone-vfile-XXXXXX";
	uint8_t buf[4096], *b;
	struct vfile *f;
	uint16_t h[2];
	ssize_t n;
	int fd, i;

	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(vfile_open(path, &f), 0);
	cr_assert_eq(vfile_name(f, AF_INET, v4, "allowed.test"), 0);
	cr_assert_eq(vfile_name(f, AF_INET6, v6, "allowed.test"), 0);
	vfile_close(f);
	fd = open(path, 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	unlink(path);
	/* SHB, IDB, then the two NRBs */
	b = buf + u32at(buf + 4);
	cr_assert_eq(u32at(b), HONE_BT_IDB);
	b += u32at(b + 4);
	for (i = 0; i < 2; i++) {
		size_t alen = i ? 16 : 4, rlen = alen + 13;
		uint32_t total = 8 + 4 + ((rlen + 3) & ~3U) + 4 + 4;

		cr_assert_leq(b + total, buf + n);
		cr_assert_eq(u32at(b), HONE_BT_NRB);
		cr_assert_eq(u32at(b + 4), total);
		cr_assert_eq(u32at(b + total - 4), total);
		memcpy(h, b + 8, 4);
		cr_assert_eq(h[0], i ? HONE_NRB_IPV6 : HONE_NRB_IPV4);
		cr_assert_eq(h[1], rlen);
		cr_assert_eq(memcmp(b + 12, i ? v6 : v4, alen), 0);
		cr_assert_str_eq((const char *)b + 12 + alen, "allowed.test");
		memcpy(h, b + total - 8, 4);
		cr_assert_eq(h[0], HONE_NRB_END);
		cr_assert_eq(h[1], 0);
		b += total;
	}
	cr_assert_eq(b, buf + n);
}

/* --log at a user's link to a file of root's. */
Test(vfile, a_symlink_is_refused)
{
	char target[] = "/tmp/hone-vfile-XXXXXX", link[64];
	struct vfile *f;
	struct stat st;
	int fd = mkstemp(target);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "root's", 6), 6);
	close(fd);
	snprintf(link, sizeof(link), "%s.link", target);
	cr_assert_eq(symlink(target, link), 0);
	cr_expect_eq(vfile_open(link, &f), -ELOOP);
	cr_assert_eq(stat(target, &st), 0);
	cr_expect_eq(st.st_size, 6, "the file it points to is untouched");
	unlink(link);
	unlink(target);
}

/* A file others can read, or one another user made (and could read,
 * replace or swap), is refused; so are a FIFO and a second link. */
Test(vfile, a_file_others_could_read_is_refused)
{
	char path[] = "/tmp/hone-vfile-XXXXXX", other[64];
	struct vfile *f;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(chmod(path, 0644), 0);
	cr_expect_eq(vfile_open(path, &f), -EPERM, "mode 0644");
	cr_assert_eq(chmod(path, 0600), 0);
	snprintf(other, sizeof(other), "%s.hard", path);
	cr_assert_eq(link(path, other), 0);
	cr_expect_eq(vfile_open(path, &f), -EPERM, "two links");
	unlink(other);
	cr_assert_eq(mkfifo(other, 0600), 0);
	cr_expect_lt(vfile_open(other, &f), 0, "a FIFO");
	unlink(other);
	if (geteuid() == 0) {
		cr_assert_eq(chown(path, 65534, 65534), 0);
		cr_expect_eq(vfile_open(path, &f), -EPERM, "owned by nobody");
	}
	cr_assert_eq(vfile_open(path, &f), geteuid() ? 0 : -EPERM);
	unlink(path);
}

/* A full disk (here a file size limit, which cuts writes short as ENOSPC
 * does): only whole blocks stay, the lost entries are counted, and once
 * writing works again the count is in the file. */
Test(vfile, a_short_write_leaves_whole_blocks_and_counts_the_lost)
{
	const int packets = 40;
	struct rlimit rl, small;
	struct readback rb;
	struct fixture x;
	struct vfile *f;
	struct stat st;
	int i, failed = 0;

	fixture_init(&x);
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	cr_assert_eq(vfile_open(x.path, &f), 0);
	cr_assert_eq(stat(x.path, &st), 0);
	/* Room for the headers, the process and a few packets: the limit
	 * falls inside a block. */
	small = (struct rlimit){ .rlim_cur = st.st_size + 3000,
				 .rlim_max = rl.rlim_max };
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	for (i = 0; i < packets; i++) {
		vfile_packet(f, &x.e, "verdict=accept");
		failed += vfile_flush(f) < 0;
		/* A new connection each time: its block is lost too. */
		x.conn.cookie++;
	}
	cr_expect_gt(failed, 0, "writes failed");
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	cr_expect_eq(vfile_packet(f, &x.e, "verdict=accept"), 0);
	cr_expect_eq(vfile_flush(f), 0, "and work again");
	vfile_close(f);
	read_back(x.path, &rb);
	fixture_fini(&x);
	cr_expect_eq(rb.end, 0, "the file ends with a whole block");
	cr_expect_eq(rb.isbs, 1, "the loss is recorded");
	cr_expect_gt(rb.ifdrop, 0);
	cr_expect_eq(rb.epbs + rb.ifdrop, packets + 1,
		     "%u written + %ju lost = %d", rb.epbs,
		     (uintmax_t)rb.ifdrop, packets + 1);
	cr_expect(rb.standalone, "every packet's process is in its section");
}

/* The tables of what a section has written are bounded: a log of more
 * sockets than they hold starts new sections, each standing alone. */
Test(vfile, first_sight_tables_are_bounded)
{
	static uint8_t buf[1 << 16];
	struct fixture x;
	struct vfile *f;
	unsigned shb = 0, conns = 0;
	uint64_t i;
	size_t have = 0, off;
	ssize_t n;
	int fd;

	fixture_init(&x);
	x.e.len = x.e.wire_len = 20;
	cr_assert_eq(vfile_open(x.path, &f), 0);
	for (i = 1; i <= 70000; i++) {
		x.conn.cookie = i;
		cr_assert_eq(vfile_packet(f, &x.e, "verdict=accept"), 0);
	}
	vfile_close(f);
	fd = open(x.path, O_RDONLY);
	cr_assert_geq(fd, 0);
	/* Walk the blocks: a type and a length at the start of each. */
	while ((n = read(fd, buf + have, sizeof(buf) - have)) > 0) {
		have += (size_t)n;
		for (off = 0; have - off >= 8 && u32at(buf + off + 4) <= have - off;
		     off += u32at(buf + off + 4)) {
			shb += u32at(buf + off) == HONE_BT_SHB;
			conns += u32at(buf + off) == HONE_BT_CONNECTION;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	close(fd);
	fixture_fini(&x);
	cr_expect_eq(have, 0, "the file ends on a whole block");
	cr_expect_eq(conns, 70000, "every socket named once");
	cr_expect_eq(shb, 2, "a second section once the first remembered 65,536");
}
