// SPDX-License-Identifier: GPL-2.0
/* honeread's recording: each rotated file stands alone (headers, then the
 * process and socket blocks its packets name, also of a process that
 * ended), packets cut after their headers, and flow_headers()' cut. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <hone/hone.h>

#include "flow.h"
#include "pcapng.h"
#include "record.h"

/* A UDP datagram 10.0.0.1:1000 -> 10.0.0.2:2000 carrying "secret". */
static const uint8_t udp[] = {
	0x45, 0, 0, 34, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	0x03, 0xe8, 0x07, 0xd0, 0, 14, 0, 0, 's', 'e', 'c', 'r', 'e', 't',
};

struct stream {
	uint8_t buf[4096];
	struct pcapng_builder w;
	struct record *r;
};

static struct pcapng_builder *begin(struct stream *s, uint32_t type)
{
	s->w = (struct pcapng_builder){ .buf = s->buf, .cap = sizeof(s->buf) };
	pcapng_begin(&s->w, type);
	return &s->w;
}

static void feed(struct stream *s)
{
	int len = pcapng_end(&s->w);

	cr_assert_gt(len, 0);
	cr_assert_eq(record_feed(s->r, s->buf, len), 0);
}

static void headers(struct stream *s)
{
	const uint64_t unknown = UINT64_MAX;
	struct pcapng_builder *w = begin(s, HONE_BT_SHB);

	pcapng_put32(w, HONE_BYTE_ORDER_MAGIC);
	pcapng_put32(w, 1);
	pcapng_put(w, &unknown, sizeof(unknown));
	feed(s);
	w = begin(s, HONE_BT_IDB);
	pcapng_put32(w, HONE_LINKTYPE_RAW);
	pcapng_put32(w, 256);
	feed(s);
}

static void proc(struct stream *s, uint32_t pid, uint32_t event)
{
	struct pcapng_builder *w = begin(s, HONE_BT_PROCESS);

	pcapng_put32(w, pid);
	pcapng_put_now(w);
	pcapng_opt32(w, HONE_PROC_EVENT, event);
	pcapng_opt64(w, HONE_PROC_START, 5);
	feed(s);
}

static void conn(struct stream *s, uint64_t cookie, uint32_t pid)
{
	struct pcapng_builder *w = begin(s, HONE_BT_CONNECTION);

	pcapng_put32(w, (uint32_t)cookie);
	pcapng_put32(w, pid);
	pcapng_put_now(w);
	pcapng_opt64(w, HONE_CONN_COOKIE, cookie);
	feed(s);
}

static void packet(struct stream *s, uint64_t cookie, uint32_t pid)
{
	struct pcapng_builder *w = begin(s, HONE_BT_EPB);

	pcapng_put32(w, 0);
	pcapng_put_now(w);
	pcapng_put32(w, sizeof(udp));
	pcapng_put32(w, sizeof(udp));
	pcapng_put(w, udp, sizeof(udp));
	pcapng_opt32(w, HONE_EPB_FLAGS, HONE_EPB_FLAG_OUTBOUND);
	pcapng_opt64(w, HONE_EPB_COOKIE, cookie);
	pcapng_opt32(w, HONE_EPB_PID, pid);
	feed(s);
}

/* The block types of the n-th file (in name order) of dir, as a string
 * of letters: S(HB) I(DB) P(rocess) C(onnection) E(PB) x (other); EPBs
 * must be cut to 28 bytes and no file may hold the payload. */
static void file_blocks(const char *dir, int nth, char *types, size_t size)
{
	static const char payload[] = "secret";
	struct dirent **names;
	uint8_t data[65536];
	char path[512];
	size_t off = 0, k = 0;
	uint32_t type, len, caplen;
	ssize_t n;
	int fd, count;

	count = scandir(dir, &names, NULL, alphasort);
	cr_assert_gt(count, nth + 2, "file %d of %s", nth, dir);
	snprintf(path, sizeof(path), "%s/%s", dir, names[nth + 2]->d_name);
	while (count--)
		free(names[count]);
	free(names);
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	n = read(fd, data, sizeof(data));
	close(fd);
	cr_assert_gt(n, 0);
	cr_assert_null(memmem(data, n, payload, sizeof(payload) - 1));
	while (off + 12 <= (size_t)n && k + 1 < size) {
		memcpy(&type, data + off, 4);
		memcpy(&len, data + off + 4, 4);
		cr_assert(len >= 12 && len % 4 == 0 && off + len <= (size_t)n);
		types[k++] = type == HONE_BT_SHB ? 'S' : type == HONE_BT_IDB ? 'I' :
			type == HONE_BT_PROCESS ? 'P' :
			type == HONE_BT_CONNECTION ? 'C' : type == HONE_BT_EPB ? 'E' : 'x';
		if (type == HONE_BT_EPB) {
			memcpy(&caplen, data + off + 20, 4);
			cr_assert_eq(caplen, 28, "the IP and UDP headers only");
		}
		off += len;
	}
	cr_assert_eq(off, (size_t)n, "whole blocks only");
	types[k] = '\0';
}

/* A recording in dir (files of max_size, 0: any) of a stream that has
 * begun: headers, process 100, its socket 7. */
static struct stream *start(char *dir, uint64_t max_size)
{
	struct record_conf c = { .dir = dir, .max_size = max_size,
				 .headers_only = true };
	struct stream *s = calloc(1, sizeof(*s));

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(record_open(&c, &s->r), 0);
	headers(s);
	proc(s, 100, HONE_PROC_EXEC);
	conn(s, 7, 100);
	return s;
}

/* The nth file's blocks are want (file_blocks()). */
static void expect(struct stream *s, const char *dir, int nth,
		   const char *want)
{
	char types[32];

	record_flush(s->r);
	file_blocks(dir, nth, types, sizeof(types));
	cr_assert_str_eq(types, want, "file %d", nth);
}

static void finish(struct stream *s, const char *dir)
{
	char cmd[256];

	record_close(s->r);
	free(s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(record, a_rotated_file_stands_alone)
{
	char dir[] = "/tmp/hone-record-XXXXXX";
	struct stream *s = start(dir, 0);

	packet(s, 7, 100);
	cr_assert_eq(record_rotate(s->r), 0);
	packet(s, 7, 100);
	packet(s, 7, 100);
	expect(s, dir, 0, "SIPCE");
	/* Headers, process, socket, packets. */
	expect(s, dir, 1, "SIPCEE");
	finish(s, dir);
}

/* The exec block, not the exit. */
Test(record, an_ended_process_keeps_its_block_for_late_packets)
{
	char dir[] = "/tmp/hone-record-XXXXXX";
	struct stream *s = start(dir, 0);

	proc(s, 100, HONE_PROC_EXIT);
	cr_assert_eq(record_rotate(s->r), 0);
	packet(s, 7, 100);
	expect(s, dir, 1, "SIPCE");
	finish(s, dir);
}

/* /dev/hone after HEIO_RESTART: the section ends (a read of 0), a new one
 * starts with its headers and snapshot, then what the ring still held. */
Test(record, a_new_section_starts_the_next_file_with_its_headers)
{
	char dir[] = "/tmp/hone-record-XXXXXX";
	struct stream *s = start(dir, 0);

	proc(s, 200, HONE_PROC_EXEC);
	cr_assert_eq(record_feed(s->r, NULL, 0), 0);
	cr_assert_eq(record_rotate(s->r), 0);
	headers(s);
	proc(s, 200, HONE_PROC_EXEC);	/* the snapshot: 100 is gone */
	packet(s, 7, 100);		/* from the ring */
	expect(s, dir, 1, "SIPPCE");
	finish(s, dir);
}

Test(record, rotation_by_size_and_by_sighup)
{
	char dir[] = "/tmp/hone-record-XXXXXX";
	struct stream *s = start(dir, 1024);
	int i;

	cr_assert_not(record_due(s->r));
	for (i = 0; i < 20; i++)
		packet(s, 7, 100);
	cr_assert(record_due(s->r));
	cr_assert_eq(record_rotate(s->r), 0);
	cr_assert_not(record_due(s->r));
	record_ask(s->r);
	cr_assert(record_due(s->r));
	finish(s, dir);
}

Test(flow, headers_end_after_the_transport_header)
{
	uint8_t tcp6[40 + 8 + 32 + 5] = { 0x60, [6] = 0 /* hop-by-hop */ };
	uint8_t frag[20 + 16] = { 0x45, 0, 0, 36, 0, 0, 0x00, 0x10, 64, 17 };

	cr_assert_eq(flow_headers(udp, sizeof(udp)), 28);
	cr_assert_eq(flow_headers(udp, 24), 24, "never past the data");
	/* IPv6, a hop-by-hop header of 8, TCP with 12 bytes of options. */
	tcp6[5] = sizeof(tcp6) - 40;
	tcp6[40] = 6;			/* next: TCP */
	tcp6[48 + 12] = 8 << 4;		/* data offset 8 words: 32 bytes */
	tcp6[48 + 1] = 1;		/* a source port */
	cr_assert_eq(flow_headers(tcp6, sizeof(tcp6)), 40 + 8 + 32);
	cr_assert_eq(flow_headers(frag, sizeof(frag)), 20, "a later fragment");
	cr_assert_eq(flow_headers((const uint8_t *)"x", 1), 0);
}
