// SPDX-License-Identifier: GPL-2.0
/*
 * The owners alone, fed typed events as a sensor tells them: no sensor, no
 * socket, no file. sock_diag and the netlink sensor's search are stand-ins
 * that count how often they are asked.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <criterion/criterion.h>

#include "owner.h"

#define NETNS	4026531840U

static struct owners *o;
static unsigned asked;		/* of the sock_diag stand-in */

/* sock_diag finds nothing: the flows told are all there is. */
static int ask(void *ctx, const struct rules_pkt *key, struct diag_sk *out)
{
	(void)ctx;
	(void)key;
	(void)out;
	asked++;
	return -ENOENT;
}

static void setup(void)
{
	asked = 0;
	cr_assert_eq(owners_open(&o), 0);
	cr_assert_eq(owners_flows_open(o, NETNS, ask, NULL), 0);
}

static void teardown(void)
{
	owners_close(o);
}

TestSuite(owner, .init = setup, .fini = teardown);

static const struct rules_pkt pkt = {
	.family = AF_INET, .proto = IPPROTO_UDP, .dir = RULES_DIR_OUT,
	.local = { 10, 0, 0, 1 }, .remote = { 10, 0, 0, 2 },
	.lport = 40000, .rport = 53,
};

static void exec(uint32_t pid, uint32_t ppid, const char *path,
		 uint32_t uid, const char *user)
{
	struct ev_proc ev = {
		.kind = EV_EXEC, .pid = pid, .start = pid * 10,
		.has_ppid = true, .ppid = ppid, .path = path,
		.argv = path, .argvlen = strlen(path) + 1,
		.has_uid = true, .uid = uid, .user = user,
	};

	cr_assert_eq(owners_proc_event(o, &ev), 0);
}

static void sock(enum ev_sock_kind kind, uint64_t cookie, uint32_t pid,
		 uint32_t netns, const struct rules_pkt *p)
{
	struct ev_sock ev = {
		.kind = kind, .cookie = cookie, .pid = pid, .uid = 1000,
		.inode = cookie + 100, .netns = netns, .whole = p != NULL,
	};

	if (p)
		ev.addrs = *p;
	cr_assert_eq(owners_sock_event(o, &ev), 0);
}

/* A run of events, as a sensor's drain tells them. */
static void run(uint64_t now)
{
	owners_begin(o, now);
	exec(100, 1, "/usr/bin/dig", 1000, "alice");
	sock(EV_SOCK_OPEN, 7, 100, NETNS, NULL);
	sock(EV_SOCK_FLOW, 7, 100, NETNS, &pkt);
	owners_settle(o, 0);
}

Test(owner, a_told_flow_names_its_process_and_asks_nobody)
{
	struct rules_pkt other = pkt;
	struct owner w;

	run(1);
	owner_of(o, &pkt, true, 0, 2, &w);
	cr_assert_not_null(w.proc);
	cr_expect_eq(w.proc->view.pid, 100);
	cr_expect_str_eq(w.proc->user, "alice");
	cr_expect_eq(w.conn->cookie, 7);
	cr_expect(!w.nosock && !w.waits);
	cr_expect_eq(asked, 0);
	/* Another namespace's flow is another socket: not ours. */
	other.rport = 54;
	owners_begin(o, 2);
	sock(EV_SOCK_FLOW, 8, 100, NETNS + 1, &other);
	owners_settle(o, 0);
	owner_of(o, &other, false, 0, 3, &w);
	cr_expect_null(w.proc);
	cr_expect(w.nosock, "no socket anywhere: the kernel's");
	cr_expect_eq(asked, 1);
}

/* A packet parked while its socket was known keeps it, closed or not,
 * though another socket holds its 5-tuple now. */
Test(owner, a_parked_packet_keeps_its_socket)
{
	struct owner w;

	run(1);
	owners_begin(o, 2);
	sock(EV_SOCK_CLOSE, 7, 100, NETNS, NULL);
	exec(200, 1, "/usr/bin/nc", 1001, "bob");
	sock(EV_SOCK_OPEN, 9, 200, NETNS, NULL);
	sock(EV_SOCK_FLOW, 9, 200, NETNS, &pkt);
	owners_settle(o, 0);
	owner_of(o, &pkt, true, 7, 3, &w);
	cr_assert_not_null(w.proc);
	cr_expect_eq(w.proc->view.pid, 100);
	cr_expect(w.conn->closed);
	owner_of(o, &pkt, true, 0, 3, &w);
	cr_assert_not_null(w.proc);
	cr_expect_eq(w.proc->view.pid, 200, "the 5-tuple's socket now");
}

static void closed(void *ctx, uint64_t cookie)
{
	uint64_t *v = ctx;

	*v = cookie;
}

/* hone.ko's close event is what ends an offloaded verdict with it: the
 * daemon hears of it as it is told, and of nothing else. */
Test(owner, a_close_is_passed_on_as_told)
{
	uint64_t gone = 0;

	owners_on_close(o, closed, &gone);
	run(1);
	cr_expect_eq(gone, 0, "an open and a flow are no close");
	owners_begin(o, 2);
	sock(EV_SOCK_CLOSE, 7, 100, NETNS, NULL);
	cr_expect_eq(gone, 7);
	owners_settle(o, 0);
}

/* Lost events may have been flow events: what was told is asked again. */
Test(owner, told_flows_are_asked_again_after_a_loss)
{
	struct owner w;

	run(1);
	owners_begin(o, 2);
	owners_settle(o, 1);
	owner_of(o, &pkt, true, 0, 3000000000ULL, &w);
	cr_expect_eq(asked, 1);
}

/* A snapshot lists children before parents: linked when the run ends. */
Test(owner, a_parent_told_after_its_child)
{
	const struct proc *child;

	owners_begin(o, 1);
	exec(300, 301, "/usr/bin/sleep", 0, "root");
	child = owners_proc(o, 300);
	cr_assert_not_null(child);
	cr_expect_null(child->view.parent);
	exec(301, 1, "/bin/sh", 0, "root");
	owners_settle(o, 0);
	cr_assert_not_null(child->view.parent);
	cr_expect_eq(child->view.parent->pid, 301);
	cr_expect_str_eq(child->view.parent->exe, "/bin/sh");
}

static int searches;

/* The netlink sensor's search: in progress at first, then pid 100. */
static int finder(void *ctx, uint32_t uid, uint64_t inode,
		  const struct proc **out)
{
	(void)ctx;
	(void)uid;
	if (++searches == 1)
		return -EINPROGRESS;
	if (inode != 55)
		return -ENOENT;
	*out = owners_proc(o, 100);
	return 0;
}

/* A socket no event told is searched for; while the search goes on its
 * packet waits, and is asked about again, not held back, at its end. */
Test(owner, a_socket_no_event_told_is_searched_for)
{
	struct conn *c;
	bool waits;

	searches = 0;
	run(1);
	owners_set_finder(o, finder, NULL);
	c = owners_conn(o, 42, 1000, 55, &waits);
	cr_expect_null(c);
	cr_expect(waits);
	c = owners_conn(o, 42, 1000, 55, &waits);
	cr_assert_not_null(c);
	cr_expect(!waits);
	cr_expect_eq(c->pid, 100);
	cr_expect_eq(searches, 2);
	/* Known now: asked of nobody. */
	cr_expect_eq(owners_conn(o, 42, 1000, 55, NULL), c);
	cr_expect_eq(searches, 2);
	/* Nobody found: searched again a second later, not at each packet. */
	cr_expect_null(owners_conn(o, 43, 1000, 56, NULL));
	cr_expect_null(owners_conn(o, 43, 1000, 56, NULL));
	cr_expect_eq(searches, 3);
}

/* The processes told changed, in order, and whether each had its parent
 * linked then. */
static struct {
	uint32_t pid;
	bool parent;
} told[8];
static unsigned ntold;

static void on_change(void *ctx, const struct proc *p)
{
	(void)ctx;
	cr_assert_lt(ntold, 8);
	told[ntold].pid = p->view.pid;
	told[ntold++].parent = p->view.parent != NULL;
}

static void fork_of(uint32_t pid, uint32_t ppid)
{
	struct ev_proc ev = {
		.kind = EV_FORK, .pid = pid, .start = pid * 10,
		.has_ppid = true, .ppid = ppid, .ppid_start = ppid * 10,
	};

	cr_assert_eq(owners_proc_event(o, &ev), 0);
}

/* Which of the pids 400 to 599 were told changed. */
static bool deep[200];

static void on_deep_change(void *ctx, const struct proc *p)
{
	(void)ctx;
	cr_assert(p->view.pid >= 400 && p->view.pid < 600);
	deep[p->view.pid - 400] = true;
}

static bool was_told(uint32_t pid)
{
	unsigned i;

	for (i = 0; i < ntold; i++)
		if (told[i].pid == pid)
			return true;
	return false;
}

/* Verdicts given ahead follow the processes (ahead.c): each change is
 * told once its run of events ends, a snapshot's children with their
 * parents linked, a fork and its exec once; an exec is its descendants'
 * change too (their pedigree), what exited is not told, and a digest told
 * between runs is told at the end of the next. */
Test(owner, changes_are_told_once_a_run_ends)
{
	struct ev_digest dg = { .known = true };

	ntold = 0;
	owners_on_change(o, on_change, NULL);
	owners_begin(o, 1);
	exec(300, 301, "/usr/bin/sleep", 0, "root");
	exec(301, 1, "/bin/sh", 0, "root");
	fork_of(302, 301);
	exec(302, 301, "/usr/bin/curl", 0, "root");
	cr_expect_eq(ntold, 0, "not before the run ends");
	owners_settle(o, 0);
	cr_assert_eq(ntold, 3);
	cr_expect(told[0].pid == 300 && told[0].parent, "linked, then told");
	cr_expect(told[1].pid == 301 && told[2].pid == 302);

	ntold = 0;
	owners_begin(o, 2);
	exec(301, 1, "/bin/bash", 0, "root");
	owners_settle(o, 0);
	cr_expect_eq(ntold, 3);
	cr_expect(was_told(301) && was_told(300) && was_told(302));

	ntold = 0;
	owners_begin(o, 3);
	exec(302, 301, "/usr/bin/wget", 0, "root");
	cr_assert_eq(owners_proc_event(o, &(struct ev_proc){
		.kind = EV_EXIT, .pid = 302, .start = 3020 }), 0);
	owners_settle(o, 0);
	cr_expect_eq(ntold, 0, "gone: nothing to give it");

	owners_digest(o, owners_proc(o, 300), &dg);
	cr_expect_eq(ntold, 0);
	owners_begin(o, 4);
	owners_settle(o, 0);
	cr_expect(ntold == 1 && told[0].pid == 300);
}

/* An exec is the change of each descendant, through one that exited, and
 * of no other process; a pedigree reaches RULES_DEPTH_MAX generations. */
Test(owner, an_exec_tells_its_descendants_alone)
{
	uint32_t pid;

	owners_on_change(o, on_change, NULL);
	owners_begin(o, 1);
	exec(400, 1, "/bin/sh", 0, "root");
	fork_of(401, 400);
	fork_of(402, 401);
	fork_of(403, 402);
	exec(410, 1, "/bin/sh", 0, "root");
	fork_of(411, 410);
	cr_assert_eq(owners_proc_event(o, &(struct ev_proc){
		.kind = EV_EXIT, .pid = 402, .start = 4020 }), 0);
	owners_settle(o, 0);

	ntold = 0;
	owners_begin(o, 2);
	exec(400, 1, "/bin/bash", 0, "root");
	owners_settle(o, 0);
	cr_expect(was_told(400) && was_told(401) && was_told(403));
	cr_expect(!was_told(402), "exited");
	cr_expect(!was_told(410) && !was_told(411), "not its descendants");
	cr_expect_eq(ntold, 3);

	/* Under 403 (401's grandchild) a chain of 63: 401's exec tells
	 * 401, 403 and the first 62, as deep as a pedigree reaches. */
	owners_on_change(o, on_deep_change, NULL);
	owners_begin(o, 3);
	for (pid = 501; pid <= 500 + RULES_DEPTH_MAX - 1; pid++)
		fork_of(pid, pid == 501 ? 403 : pid - 1);
	owners_settle(o, 0);
	memset(deep, 0, sizeof(deep));
	owners_begin(o, 4);
	exec(401, 400, "/bin/dash", 0, "root");
	owners_settle(o, 0);
	cr_expect(deep[401 - 400] && deep[403 - 400] && deep[RULES_DEPTH_MAX + 98]);
	cr_expect(!deep[RULES_DEPTH_MAX + 99], "64 generations below 401");
	for (pid = 0, ntold = 0; pid < sizeof(deep); pid++)
		ntold += deep[pid];
	cr_expect_eq(ntold, RULES_DEPTH_MAX);
}
