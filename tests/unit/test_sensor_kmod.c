// SPDX-License-Identifier: GPL-2.0
/*
 * The kmod sensor's reader without hone.ko: a capture as the module writes
 * it (snapshot, fork, exec, connection, exit, pid reuse, statistics), fed
 * from a file and from a pipe in small pieces, in both byte orders.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hone/hone.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "flow.h"
#include "htab.h"
#include "owner.h"
#include "test_sensor.h"

/* The network namespace whose flow events are honefw's. */
#define NETNS	4026531840U

static struct owners *o;
static struct diag *d;

static void setup(void)
{
	cr_assert_eq(owners_open(&o), 0);
	cr_assert_eq(diag_open(&d), 0);
	cr_assert_eq(owners_flows_open(o, NETNS, diag_ask, d), 0);
}

static void teardown(void)
{
	owners_close(o);
	diag_close(d);
}

TestSuite(sensor_kmod, .init = setup, .fini = teardown);

struct cap {
	uint8_t b[8192];
	size_t len, start;
	bool swap;
};

static void put(struct cap *c, const void *p, size_t n)
{
	memcpy(c->b + c->len, p, n);
	c->len += n;
}

static void put32(struct cap *c, uint32_t v)
{
	if (c->swap)
		v = __builtin_bswap32(v);
	put(c, &v, 4);
}

static void put16(struct cap *c, uint16_t v)
{
	if (c->swap)
		v = __builtin_bswap16(v);
	put(c, &v, 2);
}

static void put64(struct cap *c, uint64_t v)
{
	if (c->swap)
		v = __builtin_bswap64(v);
	put(c, &v, 8);
}

static void begin(struct cap *c, uint32_t type)
{
	c->start = c->len;
	put32(c, type);
	put32(c, 0);
}

static void opt(struct cap *c, uint16_t code, const void *p, uint16_t n)
{
	static const uint8_t zero[4];

	put16(c, code);
	put16(c, n);
	put(c, p, n);
	put(c, zero, (4 - n % 4) % 4);
}

static void opt32(struct cap *c, uint16_t code, uint32_t v)
{
	put16(c, code);
	put16(c, 4);
	put32(c, v);
}

static void opt64(struct cap *c, uint16_t code, uint64_t v)
{
	put16(c, code);
	put16(c, 8);
	put64(c, v);
}

static void end(struct cap *c)
{
	uint32_t total;

	put32(c, 0);	/* opt_endofopt */
	total = c->len - c->start + 4;
	put32(c, total);
	if (c->swap)
		total = __builtin_bswap32(total);
	memcpy(c->b + c->start + 4, &total, 4);
}

static void section(struct cap *c)
{
	begin(c, HONE_BT_SHB);
	put32(c, HONE_BYTE_ORDER_MAGIC);
	put16(c, 1);
	put16(c, 0);
	put64(c, ~0ULL);
	opt(c, HONE_SHB_USERAPPL, "Hone test", 9);
	end(c);
	begin(c, HONE_BT_IDB);
	put32(c, HONE_LINKTYPE_RAW);
	put32(c, 0);
	end(c);
}

/* A process block; image: hone.ko's number of what it runs, 0 for none
 * (a module older than verdicts given ahead). */
static void proc_image(struct cap *c, uint32_t event, uint32_t pid,
		       uint32_t ppid, uint64_t start, const char *path,
		       const char *argv, size_t argvlen, uint32_t uid,
		       uint64_t image)
{
	struct stat st;

	begin(c, HONE_BT_PROCESS);
	put32(c, pid);
	put64(c, 0);
	if (event != HONE_PROC_EXEC)
		opt32(c, HONE_PROC_EVENT, event);
	if (path)
		opt(c, HONE_PROC_PATH, path, strlen(path));
	if (argv)
		opt(c, HONE_PROC_ARGV, argv, argvlen);
	opt32(c, HONE_PROC_PPID, ppid);
	opt32(c, HONE_PROC_UID, uid);
	opt32(c, HONE_PROC_GID, uid + 1);
	opt64(c, HONE_PROC_START, start);
	/* What hone.ko reports of the file that runs: here, this host's. */
	if (path && !stat(path, &st)) {
		opt64(c, HONE_PROC_EXE_DEV, st.st_dev);
		opt64(c, HONE_PROC_EXE_INO, st.st_ino);
	}
	if (image)
		opt64(c, HONE_PROC_IMAGE, image);
	end(c);
}

static void proc(struct cap *c, uint32_t event, uint32_t pid, uint32_t ppid,
		 uint64_t start, const char *path, const char *argv,
		 size_t argvlen, uint32_t uid)
{
	proc_image(c, event, pid, ppid, start, path, argv, argvlen, uid, 0);
}

/* The path a pedigree member claims, verified or not. */
static const char *claim(const struct rules_proc *v)
{
	return htab_entry(v, struct proc, view)->exe;
}

static void conn(struct cap *c, uint32_t event, uint64_t cookie, uint32_t pid,
		 uint32_t uid, uint64_t inode)
{
	begin(c, HONE_BT_CONNECTION);
	put32(c, (uint32_t)cookie);
	put32(c, pid);
	put64(c, 0);
	if (event != HONE_CONN_OPEN)
		opt32(c, HONE_CONN_EVENT, event);
	opt64(c, HONE_CONN_COOKIE, cookie);
	opt32(c, HONE_CONN_UID, uid);
	opt64(c, HONE_CONN_INODE, inode);
	end(c);
}

#define COOKIE	0x100000007ULL

/* Part one: the snapshot (children before parents), a fork and exec of
 * curl, its connection and a packet. Part two: curl exits, its socket is
 * freed, and its pid is reused. */
static void capture(struct cap *c, bool two)
{
	static const char curl_argv[] = "curl\0http://example.org/";

	section(c);
	proc(c, HONE_PROC_EXEC, 300, 200, 30, "/bin/bash", "bash\0", 5, 1000);
	proc(c, HONE_PROC_EXEC, 200, 1, 20, "/usr/sbin/sshd", "sshd\0", 5, 0);
	proc(c, HONE_PROC_EXEC, 1, 0, 10, "/sbin/init", "init\0", 5, 0);
	proc(c, HONE_PROC_KTHREAD, 2, 0, 11, "[kthreadd]", NULL, 0, 0);
	proc(c, HONE_PROC_FORK, 400, 300, 40, "/bin/bash", "bash\0", 5, 1000);
	proc(c, HONE_PROC_EXEC, 400, 300, 40, "/usr/bin/curl", curl_argv,
	     sizeof(curl_argv), 1000);
	conn(c, HONE_CONN_OPEN, COOKIE, 400, 1000, 77);
	begin(c, HONE_BT_EPB);	/* a packet: skipped */
	put32(c, 0);
	put64(c, 0);
	put32(c, 4);
	put32(c, 4);
	put32(c, 0x45000004);
	end(c);
	if (!two)
		return;
	proc(c, HONE_PROC_EXIT, 400, 300, 40, NULL, NULL, 0, 1000);
	conn(c, HONE_CONN_CLOSE, COOKIE, 400, 1000, 0);
	proc(c, HONE_PROC_FORK, 400, 200, 50, "/usr/sbin/sshd", "sshd\0", 5, 0);
	begin(c, HONE_BT_ISB);
	put32(c, 0);
	put64(c, 0);
	opt64(c, HONE_ISB_PROC_DROP, 3);
	opt64(c, HONE_ISB_CONN_RDROP, 2);
	end(c);
}

static void check_part_one(void)
{
	const struct proc *curl = owners_proc(o, 400);
	const struct conn *cn;

	cr_assert_not_null(curl);
	cr_expect_str_eq(curl->exe, "/usr/bin/curl");
	cr_expect_str_eq(curl->cmdline, "curl http://example.org/");
	cr_expect_eq(curl->view.uid, 1000);
	cr_expect_eq(curl->view.gid, 1001);
	cr_expect_eq(curl->start, 40);
	/* The pedigree, although the snapshot listed children first. */
	cr_assert_not_null(curl->view.parent);
	cr_expect_str_eq(claim(curl->view.parent), "/bin/bash");
	cr_assert_not_null(curl->view.parent->parent);
	cr_expect_str_eq(claim(curl->view.parent->parent), "/usr/sbin/sshd");
	/* The file that runs is this host's curl: the path holds. */
	cr_expect_str_eq(curl->view.exe, "/usr/bin/curl");
	cr_expect_not(curl->foreign);
	cr_assert_not_null(curl->view.parent->parent->parent);
	cr_expect_eq(curl->view.parent->parent->parent->pid, 1);
	cr_expect_null(curl->view.parent->parent->parent->parent);
	cr_expect_str_eq(owners_proc(o, 2)->exe, "[kthreadd]");
	/* hone.ko told the owner: no uid or inode needed. */
	cn = owners_conn(o, COOKIE, 0, 0, NULL);
	cr_assert_not_null(cn);
	cr_expect_eq(cn->pid, 400);
	cr_expect_eq(cn->uid, 1000);
	cr_expect_eq(cn->inode, 77);
	cr_expect_eq(cn->proc, curl);
	cr_expect_null(owners_conn(o, COOKIE + 1, 1000, 78, NULL));
}

static void check_part_two(struct sensor *s)
{
	const struct proc *now = owners_proc(o, 400);
	const struct conn *cn = owners_conn(o, COOKIE, 0, 0, NULL);
	struct owners_stats ow;
	struct sensor_stats st;

	cr_assert_not_null(now);
	cr_expect_str_eq(now->exe, "/usr/sbin/sshd");
	cr_expect_eq(now->start, 50);
	cr_expect_not(now->exited);
	cr_assert_not_null(cn, "a closed socket is kept a while");
	cr_expect(cn->closed);
	cr_expect(cn->proc->exited);
	cr_expect_str_eq(cn->proc->exe, "/usr/bin/curl");
	cr_expect_eq(cn->proc->start, 40);
	sensor_stats(s, &st);
	owners_stats(o, &ow);
	cr_expect_eq(st.lost, 5);
	cr_expect_eq(ow.conns, 1);
}

static struct sensor *from_file(struct cap *c)
{
	char path[] = "/tmp/hone-kmod-XXXXXX";
	struct sensor *s;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	unlink(path);
	cr_assert_eq(write(fd, c->b, c->len), (ssize_t)c->len);
	lseek(fd, 0, SEEK_SET);
	cr_assert_eq(sensor_open_fd(fd, false, o, &s), 0);
	cr_expect_eq(sensor_kind(s), SENSOR_KMOD);
	return s;
}

/* hone.ko names the file that runs; a path that leads elsewhere here (a
 * bind mount in the process's own mount namespace) is only a claim. */
Test(sensor_kmod, path_of_another_file_is_foreign)
{
	struct cap c = { 0 };
	struct sensor *s;
	const struct proc *p;
	struct stat st;

	cr_assert_eq(stat("/usr/bin/sleep", &st), 0);
	section(&c);
	begin(&c, HONE_BT_PROCESS);
	put32(&c, 500);
	put64(&c, 0);
	opt(&c, HONE_PROC_PATH, "/usr/bin/curl", 13);
	opt32(&c, HONE_PROC_PPID, 1);
	opt64(&c, HONE_PROC_START, 50);
	opt64(&c, HONE_PROC_EXE_DEV, st.st_dev);
	opt64(&c, HONE_PROC_EXE_INO, st.st_ino);
	end(&c);
	proc(&c, HONE_PROC_EXEC, 501, 1, 51, "/usr/bin/curl", "curl", 4, 0);
	s = from_file(&c);
	cr_assert_gt(sensor_drain(s, sensor_now()), 0);
	p = owners_proc(o, 500);
	cr_assert_not_null(p);
	cr_expect(p->foreign);
	cr_expect_str_eq(p->exe, "/usr/bin/curl");
	cr_expect_null(p->view.exe);
	p = owners_proc(o, 501);
	cr_assert_not_null(p);
	cr_expect_not(p->foreign);
	cr_expect_str_eq(p->view.exe, "/usr/bin/curl");
	sensor_close(s);
}

static void whole(bool swap)
{
	struct cap c = { .swap = swap };
	struct sensor *s;

	capture(&c, true);
	s = from_file(&c);
	cr_assert_gt(sensor_drain(s, sensor_now()), 0);
	check_part_two(s);
	sensor_close(s);
}

Test(sensor_kmod, capture_file)
{
	whole(false);
}

Test(sensor_kmod, other_byte_order)
{
	whole(true);
}

/* /dev/hone hands out arbitrary pieces: the same through a pipe, 7 bytes
 * at a time, drained after each. */
Test(sensor_kmod, pipe_in_pieces)
{
	struct cap c = { 0 }, one = { 0 };
	struct sensor *s;
	int p[2];
	size_t off;

	capture(&c, true);
	capture(&one, false);
	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	cr_assert_eq(sensor_open_fd(p[0], false, o, &s), 0);
	for (off = 0; off < c.len; off += 7) {
		cr_assert_gt(write(p[1], c.b + off, c.len - off < 7 ? c.len - off : 7), 0);
		cr_assert_geq(sensor_drain(s, sensor_now()), 0);
		if (off + 7 >= one.len && off < one.len)
			check_part_one();
	}
	close(p[1]);
	cr_assert_geq(sensor_drain(s, sensor_now()), 0);
	check_part_two(s);
	sensor_close(s);
}

/* Not a Hone stream: said, and nothing is learnt. */
/* A flow event: the packet's ends, a socket of netns with that inode
 * (0: not accepted yet), listening or not. */
static void flow(struct cap *c, uint64_t cookie, uint32_t pid, uint32_t netns,
		 const struct rules_pkt *p, uint64_t inode, bool listen)
{
	uint8_t e[8] = { 0 };

	begin(c, HONE_BT_CONNECTION);
	put32(c, (uint32_t)cookie);
	put32(c, pid);
	put64(c, 0);
	opt32(c, HONE_CONN_EVENT, HONE_CONN_FLOW);
	opt64(c, HONE_CONN_COOKIE, cookie);
	opt32(c, HONE_CONN_FAMILY, p->family);
	opt32(c, HONE_CONN_PROTO, p->proto);
	memcpy(e, &p->lport, 2);
	memcpy(e + 4, p->local, 4);
	opt(c, HONE_CONN_LOCAL, e, 8);
	memcpy(e, &p->rport, 2);
	memcpy(e + 4, p->remote, 4);
	opt(c, HONE_CONN_REMOTE, e, 8);
	opt32(c, HONE_CONN_UID, 1000);
	opt32(c, HONE_CONN_NETNS, netns);
	if (inode)
		opt64(c, HONE_CONN_INODE, inode);
	if (listen)
		opt32(c, HONE_CONN_LISTEN, 1);
	end(c);
}

/* A datagram that left before its sender exited and closed the socket:
 * hone.ko told its socket by the packet's 5-tuple, before the packet was
 * queued; only flows of honefw's own network namespace are told. */
Test(sensor_kmod, flow_event_names_its_socket)
{
	struct rules_pkt pkt = {
		.family = AF_INET, .proto = IPPROTO_UDP,
		.local = { 10, 0, 0, 1 }, .remote = { 10, 0, 0, 2 },
		.lport = 40000, .rport = 53,
	}, elsewhere = pkt;
	struct cap c = { 0 };
	const struct conn *cn;
	struct sensor *s;
	struct flow *f;

	elsewhere.rport = 54;
	section(&c);
	proc(&c, HONE_PROC_EXEC, 500, 1, 50, "/usr/bin/dig", "dig\0", 4, 1000);
	conn(&c, HONE_CONN_OPEN, COOKIE, 500, 1000, 0);
	flow(&c, COOKIE, 500, NETNS + 1, &elsewhere, 77, false);
	flow(&c, COOKIE, 500, NETNS, &pkt, 77, false);
	proc(&c, HONE_PROC_EXIT, 500, 1, 50, NULL, NULL, 0, 1000);
	conn(&c, HONE_CONN_CLOSE, COOKIE, 500, 1000, 0);
	s = from_file(&c);
	cr_assert_gt(sensor_drain(s, 1), 0);
	f = flows_get(owners_flows(o), &pkt, 2);
	cr_assert_not_null(f);
	cr_expect(f->has_sock && !f->provisional);
	cr_expect_eq(f->cookie, COOKIE);
	cr_expect_eq(flows_asked(owners_flows(o)), 0, "told: nothing asked");
	cn = owners_conn(o, f->cookie, 0, 0, NULL);
	cr_assert_not_null(cn);
	cr_expect_str_eq(cn->proc->exe, "/usr/bin/dig");
	cr_expect(cn->closed && cn->proc->exited);
	/* Another namespace's flow is not ours: asked. */
	flows_get(owners_flows(o), &elsewhere, 2);
	cr_expect_eq(flows_asked(owners_flows(o)), 1, "not told: asked");
	sensor_close(s);
}

/* owner.h with hone.ko: a flow it told is named without asking sock_diag;
 * one it did not tell is asked; once events were lost (the statistics
 * say so), a told flow is asked as others are (FLOW_RECHECK, 2 s, after
 * it was told), until told again. */
Test(sensor_kmod, owner_of_a_told_flow_asks_nobody)
{
	struct rules_pkt pkt = {
		.family = AF_INET, .proto = IPPROTO_UDP, .dir = RULES_DIR_OUT,
		.local = { 10, 0, 0, 1 }, .remote = { 10, 0, 0, 2 },
		.lport = 40000, .rport = 53,
	}, other = pkt, syn = pkt, child = pkt;
	struct cap c = { 0 }, lost = { 0 };
	struct owner w;
	struct sensor *s;
	int p[2];

	section(&c);
	proc(&c, HONE_PROC_EXEC, 500, 1, 50, "/usr/bin/dig", "dig\0", 4, 1000);
	conn(&c, HONE_CONN_OPEN, COOKIE, 500, 1000, 0);
	flow(&c, COOKIE, 500, NETNS, &pkt, 77, false);
	/* A listener's SYN, and a connection not accepted yet. */
	syn.proto = child.proto = IPPROTO_TCP;
	syn.dir = child.dir = RULES_DIR_IN;
	syn.lport = 80;
	child.lport = 81;
	flow(&c, COOKIE + 1, 500, NETNS, &syn, 78, true);
	flow(&c, COOKIE + 2, 500, NETNS, &child, 0, false);
	begin(&lost, HONE_BT_ISB);
	put32(&lost, 0);
	put64(&lost, 0);
	opt64(&lost, HONE_ISB_CONN_RDROP, 1);
	end(&lost);
	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	cr_assert_eq(sensor_open_fd(p[0], false, o, &s), 0);
	cr_assert_eq(write(p[1], c.b, c.len), (ssize_t)c.len);
	cr_assert_gt(sensor_drain(s, 1), 0);

	owner_of(o, &pkt, false, 0, 2, &w);
	cr_assert_not_null(w.proc);
	cr_expect_str_eq(w.proc->exe, "/usr/bin/dig");
	cr_expect(!w.nosock && !w.waits);
	cr_expect(!w.flow->provisional);
	cr_expect_eq(flows_asked(owners_flows(o)), 0, "told: nothing asked");
	/* Stand-ins for the socket accept() gives: not offloaded. */
	owner_of(o, &syn, false, 0, 2, &w);
	cr_expect(w.flow->has_sock && w.flow->provisional, "a listener's");
	owner_of(o, &child, false, 0, 2, &w);
	cr_expect(w.flow->has_sock && w.flow->provisional, "not accepted yet");
	cr_expect_eq(flows_asked(owners_flows(o)), 0, "told: nothing asked");

	other.rport = 54;
	owner_of(o, &other, false, 0, 3, &w);
	cr_expect_null(w.conn);
	cr_expect(w.nosock, "no socket anywhere: the kernel's");
	cr_expect_eq(flows_asked(owners_flows(o)), 1, "not told: asked");

	cr_assert_eq(write(p[1], lost.b, lost.len), (ssize_t)lost.len);
	cr_assert_geq(sensor_drain(s, 4), 0);
	owner_of(o, &pkt, false, 0, 3000000000ULL, &w);
	cr_expect_eq(flows_asked(owners_flows(o)), 2, "told before events were lost: asked");
	sensor_close(s);
	close(p[1]);
}

/* A packet of socket cookie, outbound or not, as hone.ko hands it to the
 * reader that gives verdicts ahead: ctmark, the mark one set (0: none). */
static void packet(struct cap *c, uint64_t cookie, uint32_t flags,
		   uint32_t ctmark)
{
	static const uint8_t ip[20] = { 0x45, 0, 0, 60, [9] = IPPROTO_TCP };

	begin(c, HONE_BT_EPB);
	put32(c, 0);
	put64(c, 0);
	put32(c, sizeof(ip));
	put32(c, 60);
	put(c, ip, sizeof(ip));
	opt32(c, HONE_EPB_FLAGS, flags);
	opt64(c, HONE_EPB_COOKIE, cookie);
	if (ctmark)
		opt32(c, HONE_EPB_PREJUDGED, ctmark);
	end(c);
}

static struct sensor_prejudged passed;
static unsigned npassed;

static void on_passed(void *ctx, const struct sensor_prejudged *pj)
{
	(void)ctx;
	passed = *pj;
	npassed++;
}

/* What hone.ko numbers each image by (an exec's, a fork's: the child's
 * own), and the packets its verdicts given ahead passed, told as they
 * come (no other packet is). A new image has no verdict given. */
static void images_and_passed(bool swap)
{
	static const char argv[] = "curl\0";
	struct cap one = { .swap = swap }, two = { .swap = swap };
	const struct proc *p, *child;
	struct sensor *s;
	int fd[2];

	section(&one);
	proc_image(&one, HONE_PROC_EXEC, 500, 1, 50, "/usr/bin/curl", argv,
		   sizeof(argv), 1000, 7);
	conn(&one, HONE_CONN_OPEN, COOKIE, 500, 1000, 77);
	packet(&one, COOKIE, HONE_EPB_FLAG_OUTBOUND, 0x90000042);
	packet(&one, COOKIE, HONE_EPB_FLAG_OUTBOUND, 0);
	packet(&one, COOKIE, HONE_EPB_FLAG_INBOUND, 0x90000042);
	proc_image(&two, HONE_PROC_FORK, 501, 500, 51, "/usr/bin/curl", argv,
		   sizeof(argv), 1000, 8);
	proc_image(&two, HONE_PROC_EXEC, 500, 1, 50, "/usr/bin/wget", argv,
		   sizeof(argv), 1000, 9);
	npassed = 0;
	cr_assert_eq(pipe2(fd, O_NONBLOCK), 0);
	cr_assert_eq(sensor_open_fd(fd[0], false, o, &s), 0);
	sensor_on_prejudged(s, on_passed, NULL);
	cr_assert_eq(write(fd[1], one.b, one.len), (ssize_t)one.len);
	cr_assert_gt(sensor_drain(s, sensor_now()), 0);
	p = owners_proc(o, 500);
	cr_assert_not_null(p);
	cr_expect_eq(p->image, 7);
	cr_expect_eq(p->ahead, 0);
	cr_assert_eq(npassed, 1, "only what a verdict given ahead passed");
	cr_expect_eq(passed.cookie, COOKIE);
	cr_expect_eq(passed.ctmark, 0x90000042);
	cr_expect(passed.len == 20 && passed.wire_len == 60);
	cr_expect_eq(passed.data[9], IPPROTO_TCP);

	owners_set_ahead(o, p, 0x90000042);
	cr_assert_eq(write(fd[1], two.b, two.len), (ssize_t)two.len);
	cr_assert_gt(sensor_drain(s, sensor_now()), 0);
	child = owners_proc(o, 501);
	cr_assert_not_null(child);
	cr_expect(child->image == 8 && !child->ahead, "a child's own image");
	cr_expect_str_eq(p->exe, "/usr/bin/wget");
	cr_expect(p->image == 9 && !p->ahead, "exec ended the verdict");
	close(fd[1]);
	sensor_close(s);
}

Test(sensor_kmod, images_and_packets_passed_ahead)
{
	images_and_passed(false);
}

Test(sensor_kmod, images_and_packets_passed_ahead_other_byte_order)
{
	images_and_passed(true);
}

Test(sensor_kmod, garbage)
{
	struct cap c = { 0 };
	struct sensor_stats st;
	struct sensor *s;

	memset(c.b, 0x41, 64);
	c.len = 64;
	s = from_file(&c);
	cr_expect_eq(sensor_drain(s, sensor_now()), -EPROTO);
	sensor_stats(s, &st);
	cr_expect_null(owners_recent(o));
	cr_expect_gt(st.lost, 0);
	sensor_close(s);
}

/* A capture cut inside a block: what came before is kept, the cut said
 * once the end is read (a short read ends a drain, as on the device). */
Test(sensor_kmod, cut_short)
{
	struct cap c = { 0 };
	struct sensor *s;

	capture(&c, false);
	c.len -= 4;
	s = from_file(&c);
	cr_expect_gt(sensor_drain(s, sensor_now()), 0);
	cr_expect_eq(sensor_drain(s, sensor_now()), -ENODATA);
	check_part_one();
	sensor_close(s);
}

/* A damaged block is said once; what follows is skipped (and counted)
 * until the next section, which is read as usual. */
Test(sensor_kmod, damage_then_next_section)
{
	struct cap one = { 0 }, two = { .swap = true };
	static const uint8_t junk[16] = { 0x41, 0x41, 0x41, 0x41, 0x41, 0x41 };
	struct sensor_stats st;
	struct sensor *s;
	int p[2];

	capture(&one, false);
	capture(&two, true);
	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	cr_assert_eq(sensor_open_fd(p[0], false, o, &s), 0);
	cr_assert_eq(write(p[1], one.b, one.len), (ssize_t)one.len);
	cr_assert_gt(sensor_drain(s, sensor_now()), 0);
	check_part_one();
	cr_assert_eq(write(p[1], junk, sizeof(junk)), (ssize_t)sizeof(junk));
	cr_expect_eq(sensor_drain(s, sensor_now()), -EBADMSG);
	cr_assert_eq(write(p[1], junk, sizeof(junk)), (ssize_t)sizeof(junk));
	cr_expect_eq(sensor_drain(s, sensor_now()), 0, "said once");
	sensor_stats(s, &st);
	cr_expect_eq(st.lost, 2);
	cr_assert_eq(write(p[1], two.b, two.len), (ssize_t)two.len);
	cr_assert_gt(sensor_drain(s, sensor_now()), 0);
	check_part_two(s);
	close(p[1]);
	sensor_close(s);
}

/* The module says in the stream itself when its ring dropped events:
 * that statistics block alone makes the sensor resynchronise (on a pipe,
 * HEIO_RESTART fails, which is said too), with no ioctl to ask. */
Test(sensor_kmod, dropped_events_said_in_the_stream)
{
	struct cap c = { 0 };
	struct sensor_stats st;
	struct sensor *s;
	char said[512] = "";
	int p[2], fd;

	capture(&c, false);
	begin(&c, HONE_BT_ISB);
	put32(&c, 0);
	put64(&c, 0);
	opt64(&c, HONE_ISB_PROC_RDROP, 2);
	opt64(&c, HONE_ISB_CONN_DROP, 1);
	end(&c);
	cr_redirect_stderr();
	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	cr_assert_eq(sensor_open_fd(p[0], false, o, &s), 0);
	cr_assert_eq(write(p[1], c.b, c.len), (ssize_t)c.len);
	cr_assert_gt(sensor_drain(s, sensor_now()), 0);
	check_part_one();
	sensor_stats(s, &st);
	cr_expect_eq(st.lost, 3);
	fflush(stderr);
	/* What was said so far, without waiting for more. */
	fd = fileno(cr_get_redirected_stderr());
	cr_assert_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	cr_expect_gt(read(fd, said, sizeof(said) - 1), 0);
	cr_expect(strstr(said, "2 process and connection events lost"),
		  "no resync: %s", said);
	close(p[1]);
	sensor_close(s);
}

static bool sleep_seen(struct sensor *s, struct owners *o, pid_t pid)
{
	const struct proc *p = owners_proc(o, pid);

	(void)s;
	return p && p->exe && !strcmp(p->exe, "/usr/bin/sleep");
}

static bool python_seen(struct sensor *s, struct owners *o, pid_t pid)
{
	const struct proc *p = owners_proc(o, pid);

	(void)s;
	return p && p->exe && !strncmp(p->exe, "/usr/bin/python3", 16);
}

/* With hone.ko loaded (the VM run): the module's own stream. */
Test(sensor_kmod, live_dev_hone)
{
	char *argv[] = { "/bin/sleep", "0.3", NULL };
	const struct proc *p;
	const struct conn *c;
	struct sensor *s;
	int lfd, afd, out, status;
	uint64_t cookie;
	pid_t pid;

	if (access("/dev/hone", R_OK))
		cr_skip_test("no /dev/hone: hone.ko is not loaded");
	cr_assert_eq(sensor_open(SENSOR_AUTO, false, o, &s), 0);
	cr_assert_eq(sensor_kind(s), SENSOR_KMOD);
	/* The first read starts the section: header and snapshot. */
	sensor_drain(s, sensor_now());
	pid = spawn(argv, NULL);
	cr_assert(sensor_wait(s, o, pid, sleep_seen, 3000), "no exec of sleep");
	p = owners_proc(o, pid);
	cr_expect_str_eq(p->cmdline, "/bin/sleep 0.3");
	cr_expect_eq(p->view.ppid, (uint32_t)getpid());
	cr_expect_eq(p->view.uid, geteuid());
	cr_assert_not_null(p->view.parent);
	cr_expect_eq(p->view.parent->pid, (uint32_t)getpid());
	waitpid(pid, &status, 0);
	cr_assert(sensor_wait(s, o, pid, proc_gone, 3000), "no exit of sleep");

	lfd = tcp_listener();
	pid = spawn_tcp_client(lfd, &out, &afd, &cookie);
	cr_assert_gt(pid, 0);
	cr_assert(sensor_wait(s, o, pid, python_seen, 3000));
	sensor_drain(s, sensor_now());
	/* The module said who: no uid or inode from sock_diag needed. */
	c = owners_conn(o, cookie, 0, 0, NULL);
	cr_assert_not_null(c, "the module told no owner of cookie %llu",
			   (unsigned long long)cookie);
	cr_expect_eq(c->pid, (uint32_t)pid);
	cr_expect_eq(c->uid, geteuid());
	cr_expect_neq(c->inode, 0);
	close(afd);
	waitpid(pid, &status, 0);
	close(out);
	close(lfd);
	sensor_close(s);
}
