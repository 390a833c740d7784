// SPDX-License-Identifier: GPL-2.0
/* honefw's kernel-facing pieces against this machine's kernel, each test in
 * a private network namespace: the inet hone table, the queue with verdicts
 * and the ct-mark fast path, sock_diag lookups, packet parsing, DNS answers
 * through NFLOG. Needs root. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "action.h"
#include "dnslog.h"
#include "flow.h"
#include "nft.h"
#include "offload.h"
#include "queue.h"

static void private_netns(void)
{
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: needs root");
	cr_assert_eq(system("ip link set lo up"), 0);
}

TestSuite(fw, .init = private_netns);

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

Test(fw, table_install_takeover_remove)
{
	struct nft_conf c = { .queue = 7 };
	struct nft *n, *n2;

	cr_assert_eq(nft_open(&n), 0);
	cr_expect_eq(nft_present(n), 0);
	cr_assert_eq(nft_install(n, &c, NULL), 0);
	cr_expect_eq(nft_present(n), 1);
	/* A second daemon (a restart after kill -9) takes the table over. */
	cr_assert_eq(nft_open(&n2), 0);
	c.fail_closed = true;
	cr_expect_eq(nft_install(n2, &c, NULL), 0);
	cr_expect_eq(system("nft list table inet hone 2>/dev/null | "
			    "grep -qE 'queue num 7|NFQUEUE'"), 0);
	cr_expect_eq(nft_remove(n2), 0);
	cr_expect_eq(nft_present(n), 0);
	cr_expect_eq(nft_remove(n), 0, "removing twice is fine");
	nft_close(n2);
	nft_close(n);
}

struct seen {
	int n;
	struct rules_pkt pkt;
	uint32_t verdict_mark;
};

static void accept_flow(void *ctx, struct queue *q, const struct queue_pkt *p)
{
	struct seen *s = ctx;

	s->n++;
	cr_expect_eq(flow_parse(p->data, p->len, p->hook, &s->pkt), 0);
	queue_verdict(q, p->id, NF_ACCEPT, true, s->verdict_mark);
}

static struct sockaddr_in loopback(uint16_t port)
{
	return (struct sockaddr_in){
		.sin_family = AF_INET, .sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
}

/* A socket, of the caller's fsuid, connected to the loopback receiver on
 * port. */
static int udp_pair_from(uint16_t port)
{
	struct sockaddr_in a = loopback(port);
	int tx = socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert(tx >= 0);
	cr_assert_eq(connect(tx, (void *)&a, sizeof(a)), 0);
	return tx;
}

static int udp_pair(int *rx, uint16_t port)
{
	struct sockaddr_in a = loopback(port);

	*rx = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert(*rx >= 0);
	cr_assert_eq(bind(*rx, (void *)&a, sizeof(a)), 0);
	return udp_pair_from(port);
}

/* Accept what q holds until n have been seen in all, or ms pass with
 * nothing; returns how many. */
static int pump_to(struct queue *q, struct seen *s, int n, int ms)
{
	struct pollfd pfd = { .fd = queue_fd(q), .events = POLLIN };

	while (s->n < n && poll(&pfd, 1, ms) > 0)
		cr_assert_geq(queue_read(q, NULL, accept_flow, s), 0);
	return s->n;
}

static int pump(struct queue *q, struct seen *s, int ms)
{
	return pump_to(q, s, INT_MAX, ms);
}

Test(fw, queue_verdict_and_fast_path)
{
	struct nft_conf c = { .queue = 3, .offload = true };
	struct seen s = { .verdict_mark = HONE_MARK_FLOW | 0x42 };
	char buf[16];
	struct queue *q;
	struct nft *n;
	int rx, tx, i;

	cr_assert_eq(nft_open(&n), 0);
	/* Root's packets: its own queue. */
	cr_assert_eq(queue_open(3 + RULES_QUEUE_ROOT, true, &q), 0);
	cr_assert_eq(nft_install(n, &c, NULL), 0);
	tx = udp_pair(&rx, 5000);
	cr_assert_eq(send(tx, "a", 1, 0), 1);
	pump(q, &s, 200);
	cr_expect_eq(s.n, 1, "the first datagram is queued");
	cr_expect_eq(s.pkt.proto, IPPROTO_UDP);
	cr_expect_eq(s.pkt.dir, RULES_DIR_OUT);
	cr_expect_eq(s.pkt.rport, 5000);
	/* The verdict's FLOW bit went to the ct mark: no more queueing. */
	for (i = 0; i < 10; i++)
		cr_assert_eq(send(tx, "b", 1, 0), 1);
	pump(q, &s, 200);
	cr_expect_eq(s.n, 1, "later datagrams skip the queue");
	for (i = 0; i < 11; i++)
		cr_expect_eq(recv(rx, buf, sizeof(buf), MSG_DONTWAIT), 1);
	close(tx);
	close(rx);
	queue_close(q);
	nft_remove(n);
	nft_close(n);
}

/* The table c says, root's queue bound, and ctnetlink to take verdicts
 * back with. */
static void offloading(const struct nft_conf *c, struct nft **n,
		       struct queue **q, struct offloads **o)
{
	cr_assert_eq(nft_open(n), 0);
	cr_assert_eq(queue_open(c->queue + RULES_QUEUE_ROOT, true, q), 0);
	cr_assert_eq(offloads_open(false, ~HONE_MARK_USER, o), 0);
	cr_assert_eq(offloads_error(*o), 0, "ctnetlink (modprobe "
		     "nf_conntrack_netlink)");
	cr_assert_eq(nft_install(*n, c, NULL), 0);
}

/* A verdict in the conntrack mark that the rules in force did not give
 * (an earlier honefw's) is taken back: the flow is queued again, and the
 * rule's QoS mark stays. Without ctnetlink no mark is trusted at all. */
Test(fw, earlier_verdicts_taken_back)
{
	struct nft_conf c = { .queue = 5, .offload = true };
	struct seen s = { .verdict_mark = HONE_MARK_FLOW | 0x42 };
	struct offloads *o;
	struct queue *q;
	struct nft *n;
	int rx, tx;

	offloading(&c, &n, &q, &o);
	tx = udp_pair(&rx, 5002);
	cr_assert_eq(send(tx, "a", 1, 0), 1);
	cr_expect_eq(pump(q, &s, 200), 1);
	cr_assert_eq(send(tx, "b", 1, 0), 1);
	cr_expect_eq(pump(q, &s, 200), 1, "offloaded by the first verdict");
	cr_expect_eq(offloads_forget(o, HONE_MARK_FLOW | HONE_MARK_GEN,
				     HONE_MARK_FLOW | HONE_MARK_GEN,
				     ~HONE_MARK_USER), 0,
		     "no mark of the other generation");
	cr_expect_eq(offloads_forget(o, HONE_MARK_FLOW, HONE_MARK_FLOW,
				     ~HONE_MARK_USER), 1, "one mark taken back");
	cr_expect_eq(offloads_forget(o, 0x42, HONE_MARK_USER, 0), 1,
		     "the QoS mark stays");
	cr_assert_eq(send(tx, "c", 1, 0), 1);
	cr_expect_eq(pump(q, &s, 200), 2, "queued again");
	/* Now offloaded again; a table that trusts no mark queues it. */
	c.offload = false;
	cr_assert_eq(nft_install(n, &c, NULL), 0);
	cr_assert_eq(send(tx, "d", 1, 0), 1);
	cr_expect_eq(pump(q, &s, 200), 3, "no mark trusted");
	close(tx);
	close(rx);
	offloads_close(o);
	queue_close(q);
	nft_remove(n);
	nft_close(n);
}

/* A verdict in a connection's conntrack mark that honefw finds stale (one
 * hone.ko gave ahead, ahead.c) is taken back from that connection alone:
 * its next packet is queued, and its QoS mark stays. */
Test(fw, a_stale_verdict_taken_back)
{
	struct nft_conf c = { .queue = 8, .offload = true };
	struct seen s = { .verdict_mark = HONE_MARK_FLOW | 0x42 };
	struct offload_stats st;
	struct rules_pkt first;
	struct offloads *o;
	struct queue *q;
	struct nft *n;
	int rx, tx, rx2, tx2;

	offloading(&c, &n, &q, &o);
	tx = udp_pair(&rx, 5004);
	tx2 = udp_pair(&rx2, 5005);
	cr_assert_eq(send(tx, "a", 1, 0), 1);
	cr_expect_eq(pump(q, &s, 200), 1);
	first = s.pkt;
	cr_assert_eq(send(tx2, "a", 1, 0), 1);
	cr_expect_eq(pump(q, &s, 200), 2);
	offload_take_back(o, &first);
	offloads_drain(o, true, NULL, NULL);
	offloads_stats(o, &st);
	cr_expect_eq(st.errors, 0, "nothing refused");
	cr_expect_eq(offloads_forget(o, 0x42, HONE_MARK_USER, 0), 2,
		     "the QoS marks stay");
	cr_assert_eq(send(tx2, "b", 1, 0), 1);
	cr_expect_eq(pump(q, &s, 200), 2, "the other connection's holds");
	cr_assert_eq(send(tx, "b", 1, 0), 1);
	cr_expect_eq(pump(q, &s, 200), 3, "queued again");
	cr_expect_eq(s.pkt.rport, 5004);
	close(tx);
	close(rx);
	close(tx2);
	close(rx2);
	offloads_close(o);
	queue_close(q);
	nft_remove(n);
	nft_close(n);
}

/* Three UDP connections to loopback ports port to port + 2, each judged
 * as a whole, and offloaded for socket 100 + i of owner pid[i], whose
 * uid is pid[i] too. */
struct three {
	struct nft *n;
	struct queue *q;
	struct offloads *o;
	struct seen s;
	struct rules_pkt pkt[3];	/* each one's first */
	int rx[3], tx[3];
};

static void three_offloaded(struct three *t, uint16_t port,
			    const uint32_t pid[3])
{
	struct nft_conf c = { .queue = 8, .offload = true };
	int i;

	t->s = (struct seen){ .verdict_mark = HONE_MARK_FLOW };
	offloading(&c, &t->n, &t->q, &t->o);
	for (i = 0; i < 3; i++) {
		t->tx[i] = udp_pair(&t->rx[i], port + i);
		cr_assert_eq(send(t->tx[i], "a", 1, 0), 1);
		cr_assert_eq(pump(t->q, &t->s, 200), i + 1);
		t->pkt[i] = t->s.pkt;
		cr_assert_eq(offload_add(t->o, 100 + i, pid[i], pid[i],
					 &t->pkt[i]), 0);
	}
}

/* The next datagram of connection i. */
static void three_send(struct three *t, int i)
{
	cr_assert_eq(send(t->tx[i], "b", 1, 0), 1);
}

static void three_closed(struct three *t)
{
	int i;

	for (i = 0; i < 3; i++) {
		close(t->tx[i]);
		close(t->rx[i]);
	}
	offloads_close(t->o);
	queue_close(t->q);
	nft_remove(t->n);
	nft_close(t->n);
}

/* The sockets gone in one drain end their verdicts together: the deletes
 * go as one send, and the kernel does each of them. */
Test(fw, verdicts_ended_together)
{
	static const uint32_t pid[3] = { 4242, 4242, 4242 };
	struct offload_stats st;
	struct three t;
	int i;

	three_offloaded(&t, 5006, pid);
	for (i = 0; i < 3; i++)
		offload_end(t.o, 100 + i);
	cr_expect_eq(offloads_drain(t.o, true, NULL, NULL), 0);
	offloads_stats(t.o, &st);
	cr_expect_eq(st.ended, 3);
	cr_expect_eq(st.errors, 0, "nothing refused");
	for (i = 0; i < 3; i++)
		three_send(&t, i);
	cr_expect_eq(pump(t.q, &t.s, 200), 6, "each queued again");
	three_closed(&t);
}

/* A process's verdicts may change while its sockets live (an exec keeps
 * them): those of its connections judged as a whole are taken back, its
 * alone, and they still end with their sockets. */
Test(fw, an_owners_verdicts_taken_back)
{
	static const uint32_t pid[3] = { 7, 7, 8 };
	struct offload_stats st;
	struct three t;

	three_offloaded(&t, 5010, pid);
	cr_expect_eq(offloads_take_back_pid(t.o, 7), 2);
	cr_expect_eq(offloads_take_back_pid(t.o, 9), 0);
	offloads_drain(t.o, true, NULL, NULL);
	offloads_stats(t.o, &st);
	cr_expect_eq(st.errors, 0, "nothing refused");
	three_send(&t, 2);
	cr_expect_eq(pump(t.q, &t.s, 200), 3, "pid 8's connection holds");
	three_send(&t, 0);
	three_send(&t, 1);
	cr_expect_eq(pump(t.q, &t.s, 200), 5, "pid 7's are queued again");
	cr_expect_eq(offloads_take_back_pid(t.o, 7), 0,
		     "taken back once until given again");
	cr_assert_eq(offload_add(t.o, 101, 7, 7, &t.pkt[1]), 0);
	cr_expect_eq(offloads_take_back_pid(t.o, 7), 1);
	offload_end(t.o, 100);
	offload_end(t.o, 101);
	cr_expect_eq(offloads_take_back_pid(t.o, 7), 0,
		     "ended with their sockets");
	cr_expect_eq(offloads_take_back_pid(t.o, 8), 1);
	/* Given again for another owner (a socket passed on), it is that
	 * one's to take back. */
	cr_assert_eq(offload_add(t.o, 102, 9, 8, &t.pkt[2]), 0);
	cr_expect_eq(offloads_take_back_pid(t.o, 8), 0);
	cr_expect_eq(offloads_take_back_pid(t.o, 9), 1);
	three_closed(&t);
}

/* An unconnected UDP server's flow with its i-th peer. */
static void nth_peer(struct rules_pkt *p, uint32_t i)
{
	*p = (struct rules_pkt){ .family = AF_INET, .proto = IPPROTO_UDP,
				 .local = { 10, 0, 0, 1 }, .lport = 53,
				 .remote = { 10, i >> 16, i >> 8, i },
				 .rport = 1024 + (i & 0x7fff) };
}

/* A socket that talks to many peers (an unconnected UDP server) has each
 * flow offloaded once, found by its own key, and they end with it; the
 * same 5-tuple of another socket is another offload. */
Test(fw, many_flows_of_one_socket)
{
	struct offload_stats st;
	struct offloads *o;
	struct rules_pkt p;
	uint32_t i;

	cr_assert_eq(offloads_open(false, ~HONE_MARK_USER, &o), 0);
	cr_assert_eq(offloads_error(o), 0, "ctnetlink (modprobe "
		     "nf_conntrack_netlink)");
	for (i = 0; i < 5000; i++) {
		nth_peer(&p, i);
		cr_assert_eq(offload_add(o, 1, 7, 1000, &p), 0);
	}
	nth_peer(&p, 0);
	cr_assert_eq(offload_add(o, 1, 7, 1000, &p), 0);
	offloads_stats(o, &st);
	cr_expect_eq(st.flows, 5000, "each flow once");
	cr_assert_eq(offload_add(o, 2, 8, 1000, &p), 0);
	offloads_stats(o, &st);
	cr_expect_eq(st.flows, 5001, "another socket's");
	offload_end(o, 1);
	offloads_drain(o, true, NULL, NULL);
	offloads_stats(o, &st);
	cr_expect_eq(st.flows, 1);
	cr_expect_eq(st.ended, 5000);
	cr_expect_eq(offloads_take_back_pid(o, 7), 0);
	cr_expect_eq(offloads_take_back_pid(o, 8), 1);
	offloads_close(o);
}

/* n flows of socket cookie, owned by uid (its pid too). */
static void many_flows(struct offloads *o, uint64_t cookie, uint32_t uid,
		       uint32_t n)
{
	struct rules_pkt p;
	uint32_t i;

	for (i = 0; i < n; i++) {
		nth_peer(&p, i);
		cr_assert_eq(offload_add(o, cookie, uid, uid, &p), 0);
	}
}

/* One user's flows, however many, cannot fill the table for the others:
 * past its share it gives up its oldest verdict (taken back: that
 * connection is judged again). Users that fill it together (one with many
 * uids: subordinate ids) give up verdicts at random, most of them theirs:
 * a user holding one connection keeps it (all but surely: 1 in 2^17) when
 * it adds another, and a user holding none still has its verdict
 * offloaded. */
Test(fw, a_users_share)
{
	static const uint32_t uid[3] = { 1000, 2000, 3000 };
	struct offload_stats st;
	struct rules_pkt p;
	struct three t;
	int i;

	three_offloaded(&t, 5020, uid);
	many_flows(t.o, 1, 1000, OFFLOAD_USER_MAX);
	offloads_stats(t.o, &st);
	cr_expect_eq(st.given_up, 1, "uid 1000's oldest verdict given up");
	cr_expect_eq(st.flows, OFFLOAD_USER_MAX + 2);
	many_flows(t.o, 4, 4000, OFFLOAD_USER_MAX);
	many_flows(t.o, 5, 5000, OFFLOAD_USER_MAX);
	offloads_stats(t.o, &st);
	many_flows(t.o, 7, 7000, OFFLOAD_MAX - st.flows);
	offloads_stats(t.o, &st);
	cr_assert_eq(st.flows, OFFLOAD_MAX, "the table full");
	cr_expect_eq(st.given_up, 1);
	nth_peer(&p, 0);
	cr_expect_eq(offload_add(t.o, 6, 6000, 6000, &p), 0,
		     "uid 6000, holding none, has its verdict offloaded");
	cr_expect_eq(offload_add(t.o, 2, 2000, 2000, &p), 0);
	offloads_drain(t.o, true, NULL, NULL);
	offloads_stats(t.o, &st);
	cr_expect_eq(st.given_up, 3);
	cr_expect_eq(st.flows, OFFLOAD_MAX);
	cr_expect_eq(st.errors, 0, "nothing refused");
	for (i = 0; i < 3; i++)
		three_send(&t, i);
	cr_expect_eq(pump(t.q, &t.s, 200), 4, "uid 1000's connection is "
		     "queued again; 2000's and 3000's hold");
	three_closed(&t);
}

/* The owner test outside TCP keeps a pair (verdict, uid) per user given
 * a connection-wide verdict: one user's range of subordinate uids (65,536
 * by default) must not fill it for the others, whose verdicts would then
 * hold for a packet each. Users 0 modulo 8 share the first users' queue. */
Test(fw, owners_outlast_a_users_subordinate_ids)
{
	struct nft_conf c = { .queue = 12, .offload = true };
	struct seen s = { 0 };
	struct offloads *o;
	struct queue *q, *users;
	struct nft *n;
	uint32_t i, uid;
	int rx, tx, k = 0;

	offloading(&c, &n, &q, &o);
	cr_assert_eq(queue_open(c.queue, true, &users), 0);
	close(udp_pair(&rx, 5030));
	for (i = 0; i <= 65536 + 1; i++) {
		uid = 800000 + 8 * i;
		setfsuid(uid);
		tx = udp_pair_from(5030);
		setfsuid(0);
		s.verdict_mark = HONE_MARK_FLOW | uid;
		cr_assert_eq(send(tx, "a", 1, 0), 1);
		k++;
		cr_assert_eq(pump_to(users, &s, k, 200), k, "uid %u", uid);
		if (i == 65536 + 1) {
			cr_assert_eq(send(tx, "b", 1, 0), 1);
			cr_expect_eq(pump(users, &s, 200), k, "the last user's "
				     "verdict holds for its connection");
		}
		close(tx);
	}
	close(rx);
	queue_close(users);
	offloads_close(o);
	queue_close(q);
	nft_remove(n);
	nft_close(n);
}

/* A socket bound to port with SO_REUSEADDR that sends one datagram to
 * the loopback receiver on 5003: root's, returned open (a socket closed
 * has no owner the table can see), or uid's, in a child of its own. */
static int send_shared(uint16_t port, uid_t uid)
{
	struct sockaddr_in a = loopback(port), to = a;
	int one = 1, fd, status;
	pid_t pid = uid ? fork() : 0;

	cr_assert_geq(pid, 0);
	if (pid > 0) {
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_assert(WIFEXITED(status) && !WEXITSTATUS(status));
		return -1;
	}
	if (uid && setresuid(uid, uid, uid) < 0)
		_exit(1);
	to.sin_port = htons(5003);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof(one)) < 0 ||
	    bind(fd, (void *)&a, sizeof(a)) < 0 ||
	    sendto(fd, "x", 1, 0, (void *)&to, sizeof(to)) != 1) {
		if (uid)
			_exit(2);
		cr_assert_fail("send: %s", strerror(errno));
	}
	if (uid) {
		/* Its owner stays until its datagram is judged. */
		usleep(300 * 1000);
		_exit(0);
	}
	return fd;
}

/* Two users' sockets on one UDP 5-tuple (SO_REUSEADDR): a verdict for
 * the connection, stored with root's uid, holds for root's sockets and
 * not for the other user's, whose datagram is queued. */
Test(fw, shared_udp_5tuple_verdict_holds_for_its_user)
{
	struct nft_conf c = { .queue = 6, .offload = true };
	struct seen s = { .verdict_mark = HONE_MARK_FLOW };
	struct sockaddr_in a = loopback(5003);
	struct queue *q, *quser;
	struct nft *n;
	int rx, tx;

	cr_assert_eq(nft_open(&n), 0);
	cr_assert_eq(queue_open(6 + RULES_QUEUE_ROOT, true, &q), 0);
	cr_assert_eq(queue_open(6, true, &quser), 0);
	cr_assert_eq(nft_install(n, &c, NULL), 0);
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_eq(bind(rx, (void *)&a, sizeof(a)), 0);
	tx = send_shared(5004, 0);
	cr_expect_eq(pump(q, &s, 200), 1);
	close(tx);
	tx = send_shared(5004, 0);
	cr_expect_eq(pump(q, &s, 200), 1, "root's next socket: offloaded");
	close(tx);
	/* Another user's, in his queue (uid % 8 == 0, nft.c). */
	send_shared(5004, 65536);
	cr_expect_eq(pump(quser, &s, 200), 2, "the other user's is queued");
	close(rx);
	queue_close(quser);
	queue_close(q);
	nft_remove(n);
	nft_close(n);
}

Test(fw, fail_closed_drops_without_listener)
{
	struct nft_conf c = { .queue = 4, .fail_closed = true };
	struct nft *n;
	char buf[4];
	int rx, tx;

	cr_assert_eq(nft_open(&n), 0);
	cr_assert_eq(nft_install(n, &c, NULL), 0);
	tx = udp_pair(&rx, 5001);
	cr_assert_eq(send(tx, "a", 1, 0), 1);
	usleep(100000);
	cr_expect_lt(recv(rx, buf, sizeof(buf), MSG_DONTWAIT), 0);
	c.fail_closed = false;
	cr_assert_eq(nft_install(n, &c, NULL), 0);
	cr_assert_eq(send(tx, "a", 1, 0), 1);
	usleep(100000);
	cr_expect_eq(recv(rx, buf, sizeof(buf), MSG_DONTWAIT), 1,
		     "failmode open: bypass without listener");
	close(tx);
	close(rx);
	nft_close(n);
}

Test(fw, sock_diag_finds_tcp_and_udp)
{
	struct sockaddr_in a = loopback(5002);
	struct rules_pkt pkt = { .family = AF_INET, .proto = IPPROTO_TCP,
				 .dir = RULES_DIR_OUT, .rport = 5002 };
	socklen_t len = sizeof(a);
	uint64_t cookie;
	struct flows *fl;
	struct diag *d;
	struct flow *f;
	int l, c, u, rx;

	cr_assert_eq(diag_open(&d), 0);
	cr_assert_eq(flows_open(diag_ask, d, &fl), 0);
	l = socket(AF_INET, SOCK_STREAM, 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(bind(l, (void *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(l, 1), 0);
	cr_assert_eq(connect(c, (void *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(c, (void *)&a, &len), 0);
	pkt.lport = ntohs(a.sin_port);
	memset(pkt.local, 0, sizeof(pkt.local));
	memcpy(pkt.local, &a.sin_addr, 4);
	memcpy(pkt.remote, &a.sin_addr, 4);
	len = sizeof(cookie);
	cr_assert_eq(getsockopt(c, SOL_SOCKET, SO_COOKIE, &cookie, &len), 0);
	f = flows_get(fl, &pkt, now_ns());
	cr_assert_not_null(f);
	cr_expect(f->has_sock);
	cr_expect_eq(f->cookie, cookie);
	cr_expect_eq(f->uid, geteuid());
	cr_expect_neq(f->inode, 0);

	u = udp_pair(&rx, 5003);
	len = sizeof(a);
	cr_assert_eq(getsockname(u, (void *)&a, &len), 0);
	pkt.proto = IPPROTO_UDP;
	pkt.lport = ntohs(a.sin_port);
	pkt.rport = 5003;
	len = sizeof(cookie);
	cr_assert_eq(getsockopt(u, SOL_SOCKET, SO_COOKIE, &cookie, &len), 0);
	f = flows_get(fl, &pkt, now_ns());
	cr_expect(f->has_sock);
	cr_expect_eq(f->cookie, cookie);
	cr_expect_eq(flows_count(fl), 2);
	flows_close(fl);
	diag_close(d);
	close(u);
	close(rx);
	close(c);
	close(l);
}

Test(fw, parse_ipv6_tcp_in)
{
	uint8_t p[40 + 20] = { 0x60 };
	struct rules_pkt pkt;

	p[5] = 20;		/* payload length */
	p[6] = IPPROTO_TCP;
	p[23] = 1;		/* src ::1 */
	p[39] = 2;		/* dst ::2 */
	p[40] = 0x1f;		/* sport 8080 */
	p[41] = 0x90;
	p[43] = 80;		/* dport 80 */
	p[53] = 0x12;		/* SYN|ACK */
	cr_assert_eq(flow_parse(p, sizeof(p), NF_INET_LOCAL_IN, &pkt), 0);
	cr_expect_eq(pkt.family, AF_INET6);
	cr_expect_eq(pkt.dir, RULES_DIR_IN);
	cr_expect_eq(pkt.lport, 80);
	cr_expect_eq(pkt.rport, 8080);
	cr_expect_eq(pkt.local[15], 2);
	cr_expect_eq(pkt.remote[15], 1);
	cr_expect_eq(pkt.tcpflags, 0x12);
	cr_expect_eq(pkt.length, 60);
	cr_expect_eq(flow_parse(p, 20, NF_INET_LOCAL_IN, &pkt), -EINVAL);
}

Test(fw, actions_mark_bits)
{
	struct rules_verdict v = { .action = RULES_DROP };
	struct action a;
	struct nft *n;

	cr_assert_eq(nft_open(&n), 0);
	cr_assert_eq(action_of(n, &v, RULES_DIR_OUT, 0, &a), 0);
	cr_expect_eq(a.verdict, NF_ACCEPT, "a connection-wide drop is the table's");
	cr_expect_eq(a.mark, HONE_MARK_FLOW | HONE_MARK_DROP);
	v.per_packet = true;
	cr_assert_eq(action_of(n, &v, RULES_DIR_OUT, 0, &a), 0);
	cr_expect_eq(a.verdict, NF_DROP);
	v = (struct rules_verdict){ .action = RULES_ACCEPT, .has_mark = true,
				    .mark = 0x42, .per_packet = true };
	cr_assert_eq(action_of(n, &v, RULES_DIR_OUT, 0x80000001, &a), 0);
	cr_expect_eq(a.mark, 0x42);
	v = (struct rules_verdict){ .action = RULES_REDIRECT_QUEUE, .queue = 9 };
	cr_assert_eq(action_of(n, &v, RULES_DIR_IN, 0, &a), 0);
	cr_expect_eq(a.verdict, NF_QUEUE_NR(9) | NF_VERDICT_FLAG_QUEUE_BYPASS);
	cr_expect_eq(a.mark & HONE_MARK_FLOW, 0);
	nft_close(n);
}

struct learned {
	int n;
	uint32_t uid;
	char name[64];
	uint8_t addr[4];
};

static void learned(void *ctx, uint32_t uid, uint8_t family,
		    const uint8_t *addr, const char *name, uint32_t ttl)
{
	struct learned *l = ctx;

	cr_expect_eq(family, AF_INET);
	cr_expect_eq(ttl, 300);
	l->n++;
	l->uid = uid;
	snprintf(l->name, sizeof(l->name), "%s", name);
	memcpy(l->addr, addr, 4);
}

/* server:53 answers a connected socket of ours: allowed.test is 10.99.0.2. */
static void answer_from(const char *server)
{
	static const uint8_t msg[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
		7, 'a', 'l', 'l', 'o', 'w', 'e', 'd', 4, 't', 'e', 's', 't', 0,
		0, 1, 0, 1,
		0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 10, 99, 0, 2,
	};
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53) };
	struct sockaddr_in c;
	socklen_t clen = sizeof(c);
	struct timeval tv = { .tv_sec = 1 };
	uint8_t buf[512];
	int srv, cli;

	cr_assert_eq(inet_pton(AF_INET, server, &a.sin_addr), 1);
	srv = socket(AF_INET, SOCK_DGRAM, 0);
	cli = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_eq(bind(srv, (void *)&a, sizeof(a)), 0);
	cr_assert_eq(connect(cli, (void *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(cli, (void *)&c, &clen), 0);
	cr_assert_eq(sendto(srv, msg, sizeof(msg), 0, (void *)&c, clen),
		     (ssize_t)sizeof(msg));
	setsockopt(cli, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	cr_assert_eq(recv(cli, buf, sizeof(buf), 0), (ssize_t)sizeof(msg));
	close(cli);
	close(srv);
}

/* On loopback the kernel names no socket (dnslog.h): the caller does. */
static bool owner_4242(void *ctx, const struct rules_pkt *pkt, uint32_t *uid)
{
	(void)ctx;
	cr_expect_eq(pkt->rport, 53);
	cr_expect_eq(pkt->dir, RULES_DIR_IN);
	*uid = 4242;
	return true;
}

/* The table logs answers to NFLOG; one from resolv.conf's resolver names
 * the address for the receiving socket's user, one from elsewhere does not. */
Test(fw, dns_answers_through_nflog)
{
	struct nft_conf c = { .queue = 7, .dns_log = true, .log_group = 7 };
	char conf[] = "/tmp/hone-resolv-XXXXXX";
	struct learned got = { .n = 0 };
	struct dnslog_stats st;
	struct dnslog *l;
	struct nft *n;
	int fd;

	fd = mkstemp(conf);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "nameserver 127.0.0.1\n", 21), 21);
	close(fd);
	cr_assert_eq(nft_open(&n), 0);
	cr_assert_eq(nft_install(n, &c, NULL), 0);
	cr_assert_eq(dnslog_open(7, &l), 0);
	cr_assert_eq(dnslog_resolvers(l, conf), 1);
	unlink(conf);
	answer_from("127.0.0.1");
	answer_from("127.0.0.2");
	cr_assert_geq(dnslog_drain(l, learned, owner_4242, &got), 2);
	dnslog_stats(l, &st);
	cr_expect_eq(st.answers, 1);
	cr_expect_eq(st.untrusted, 1);
	cr_expect_eq(got.n, 1);
	cr_expect_eq(got.uid, 4242);
	cr_expect_str_eq(got.name, "allowed.test");
	cr_expect_eq(memcmp(got.addr, (uint8_t[]){ 10, 99, 0, 2 }, 4), 0);
	dnslog_close(l);
	nft_remove(n);
	nft_close(n);
}
