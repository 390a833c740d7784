// SPDX-License-Identifier: GPL-2.0
/* The netlink sensor against this machine's kernel: real processes, real
 * sockets, proc connector and /proc. Needs root (CAP_NET_ADMIN). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "test_sensor.h"

static struct owners *o;
static struct sensor *s;

static void setup(void)
{
	cr_assert_eq(owners_open(&o), 0);
	cr_assert_eq(sensor_open(SENSOR_NETLINK, false, o, &s), 0,
		     "the netlink sensor needs root");
}

static void teardown(void)
{
	sensor_close(s);
	owners_close(o);
}

TestSuite(sensor_netlink, .init = setup, .fini = teardown);

static bool exec_seen(struct sensor *s, struct owners *o, pid_t pid)
{
	const struct proc *p = owners_proc(o, pid);

	(void)s;
	return p && p->exe && !strcmp(p->exe, "/usr/bin/sleep");
}

Test(sensor_netlink, fork_exec_exit)
{
	char *argv[] = { "/bin/sleep", "0.3", NULL };
	const struct proc *p;
	pid_t pid;
	int status;

	pid = spawn(argv, NULL);
	cr_assert_gt(pid, 0);
	cr_assert(sensor_wait(s, o, pid, exec_seen, 2000), "no exec of sleep");
	p = owners_proc(o, pid);
	cr_expect_str_eq(p->exe, "/usr/bin/sleep");
	cr_expect_str_eq(p->cmdline, "/bin/sleep 0.3");
	cr_expect_eq(p->view.pid, (uint32_t)pid);
	cr_expect_eq(p->view.ppid, (uint32_t)getpid());
	cr_expect_eq(p->view.uid, geteuid());
	cr_expect_eq(p->view.gid, getegid());
	cr_expect_str_eq(p->view.exe, p->exe);
	cr_expect_str_eq(p->view.cmdline, p->cmdline);
	cr_expect_neq(p->start, 0);
	cr_expect_not(p->exited);
	cr_assert_not_null(p->view.parent);
	cr_expect_eq(p->view.parent->pid, (uint32_t)getpid());
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(sensor_wait(s, o, pid, proc_gone, 2000), "no exit of sleep");
}

static bool dash_child(struct sensor *s, struct owners *o, pid_t pid)
{
	const struct proc *p = owners_proc(o, pid);

	return exec_seen(s, o, pid) && p->view.parent && p->view.parent->exe;
}

/* test -> sh -> sleep: the grandchild's view reaches us through sh. */
Test(sensor_netlink, pedigree)
{
	char *argv[] = { "/bin/sh", "-c", "/bin/sleep 0.5 & echo $!; wait", NULL };
	const struct rules_proc *v;
	pid_t sh, child;
	int out, status;

	sh = spawn(argv, &out);
	cr_assert_gt(sh, 0);
	child = read_number(out);
	cr_assert_gt(child, 0);
	cr_assert(sensor_wait(s, o, child, dash_child, 2000));
	v = &owners_proc(o, child)->view;
	cr_expect_eq(v->ppid, (uint32_t)sh);
	cr_assert_not_null(v->parent);
	cr_expect_eq(v->parent->pid, (uint32_t)sh);
	cr_expect_str_eq(v->parent->exe, "/usr/bin/dash");
	cr_expect_str_eq(v->parent->cmdline,
			 "/bin/sh -c /bin/sleep 0.5 & echo $!; wait");
	cr_assert_not_null(v->parent->parent);
	cr_expect_eq(v->parent->parent->pid, (uint32_t)getpid());
	cr_expect_eq(v->parent->parent, &owners_proc(o, getpid())->view);
	cr_assert_eq(waitpid(sh, &status, 0), sh);
	close(out);
	/* Both gone, the chain stays readable until drained away. */
	cr_assert(sensor_wait(s, o, sh, proc_gone, 2000));
}

static bool known(struct sensor *s, struct owners *o, pid_t pid)
{
	(void)s;
	return owners_proc(o, pid) != NULL;
}

/* sh -c runs a subshell and exits: by the time the sensor reads, sh's exec
 * cannot be read any more. sh ran something else than this test, so
 * neither sh nor the subshell it forked (no exec of its own) may pass for
 * this test's image: that is how a program passes for an allowed parent. */
Test(sensor_netlink, unread_exec_is_no_ones_image)
{
	char *argv[] = { "/bin/sh", "-c", "(sleep 0.5; true) & echo $!", NULL };
	const struct proc *p;
	pid_t sh, sub;
	int out, status;

	sh = spawn(argv, &out);
	cr_assert_gt(sh, 0);
	sub = read_number(out);
	cr_assert_gt(sub, 0);
	cr_assert_eq(waitpid(sh, &status, 0), sh);
	cr_assert(sensor_wait(s, o, sub, known, 2000));
	p = owners_proc(o, sub);
	cr_expect_eq(p->view.ppid, (uint32_t)sh);
	cr_expect_null(p->view.exe, "the subshell passes for %s", p->view.exe);
	cr_expect_null(p->exe);
	close(out);
}

static bool python_seen(struct sensor *s, struct owners *o, pid_t pid)
{
	const struct proc *p = owners_proc(o, pid);

	(void)s;
	return p && p->cmdline && strstr(p->cmdline, "python3 -c");
}

/* A socket made by a child is found by cookie, uid and inode, the way the
 * verdict path asks after sock_diag. */
Test(sensor_netlink, conn_owner)
{
	struct sensor_stats st;
	struct diag_sock d;
	const struct conn *c;
	uint64_t cookie;
	int lfd, afd, out, status;
	pid_t pid;

	lfd = tcp_listener();
	cr_assert_geq(lfd, 0);
	pid = spawn_tcp_client(lfd, &out, &afd, &cookie);
	cr_assert_gt(pid, 0);
	cr_assert_geq(afd, 0);
	cr_assert_neq(cookie, 0);
	cr_assert_eq(diag_find_cookie(AF_INET, cookie, &d), 0);
	cr_expect_eq(d.uid, geteuid());
	cr_expect_neq(d.inode, 0);
	cr_assert(sensor_wait(s, o, pid, python_seen, 2000));
	c = owners_conn(o, cookie, d.uid, d.inode, NULL);
	cr_assert_not_null(c, "socket of pid %d not attributed", pid);
	cr_expect_eq(c->pid, (uint32_t)pid);
	cr_expect_eq(c->cookie, cookie);
	cr_expect_eq(c->inode, d.inode);
	cr_assert_not_null(c->proc);
	cr_expect_eq(c->proc, owners_proc(o, pid));
	cr_expect(!strncmp(c->proc->exe, "/usr/bin/python3", 16));
	/* A second ask is answered from the table. */
	sensor_stats(s, &st);
	cr_expect_eq(owners_conn(o, cookie, d.uid, d.inode, NULL), c);
	cr_expect_eq(st.conn_misses, 1);
	close(afd);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	/* The owner exits; the connection still names it. */
	cr_assert(sensor_wait(s, o, pid, proc_gone, 2000));
	c = owners_conn(o, cookie, d.uid, d.inode, NULL);
	cr_assert_not_null(c);
	cr_expect(c->proc->exited);
	cr_expect_eq(c->pid, (uint32_t)pid);
	close(out);
	close(lfd);
}

/* Fork until the kernel hands out pid (ns_last_pid steers it; others may
 * fork in between). */
static pid_t spawn_as(pid_t want, char *const argv[])
{
	int tries, status;
	FILE *f;
	pid_t pid;

	for (tries = 0; tries < 50; tries++) {
		f = fopen("/proc/sys/kernel/ns_last_pid", "w");
		if (!f)
			return -1;
		fprintf(f, "%d", want - 1);
		fclose(f);
		pid = spawn(argv, NULL);
		if (pid == want || pid < 0)
			return pid;
		waitpid(pid, &status, 0);
	}
	return -1;
}

/* The pid of an exited process comes back: the table names the new one,
 * a connection of the old one still names the old one. */
Test(sensor_netlink, pid_reuse)
{
	char *argv[] = { "/bin/sleep", "0.5", NULL };
	const struct proc *old, *new;
	struct diag_sock d;
	const struct conn *c;
	uint64_t cookie;
	int lfd, afd, out, status;
	pid_t pid, again;

	lfd = tcp_listener();
	pid = spawn_tcp_client(lfd, &out, &afd, &cookie);
	cr_assert_gt(pid, 0);
	cr_assert_eq(diag_find_cookie(AF_INET, cookie, &d), 0);
	cr_assert(sensor_wait(s, o, pid, python_seen, 2000));
	c = owners_conn(o, cookie, d.uid, d.inode, NULL);
	cr_assert_not_null(c);
	old = c->proc;
	close(afd);
	waitpid(pid, &status, 0);
	cr_assert(sensor_wait(s, o, pid, proc_gone, 2000));
	again = spawn_as(pid, argv);
	if (again != pid)
		cr_skip_test("could not get pid %d again", pid);
	cr_assert(sensor_wait(s, o, pid, exec_seen, 2000));
	new = owners_proc(o, pid);
	cr_expect_neq(new, old);
	cr_expect_str_eq(new->exe, "/usr/bin/sleep");
	cr_expect_not(new->exited);
	cr_expect_neq(new->start, old->start);
	cr_expect_gt(new->start, old->start);
	c = owners_conn(o, cookie, d.uid, d.inode, NULL);
	cr_assert_not_null(c);
	cr_expect_eq(c->proc, old);
	cr_expect(old->exited);
	cr_expect(!strncmp(old->exe, "/usr/bin/python3", 16));
	waitpid(again, &status, 0);
	close(out);
	close(lfd);
}

/* An unknown socket costs one search, then nothing until it is retried. */
Test(sensor_netlink, conn_unknown)
{
	struct sensor_stats st;

	cr_expect_null(owners_conn(o, 1ULL << 60, 12345, 999999999, NULL));
	cr_expect_null(owners_conn(o, 1ULL << 60, 12345, 999999999, NULL));
	cr_expect_null(owners_conn(o, (1ULL << 60) + 1, 0, 0, NULL));
	sensor_stats(s, &st);
	cr_expect_eq(st.conn_misses, 1);
}

static bool nobody(struct sensor *s, struct owners *o, pid_t pid)
{
	const struct proc *p = owners_proc(o, pid);

	(void)s;
	return p && p->view.uid == 65534;
}

/* A daemon listens as root, drops to nobody, accepts. The accepted socket
 * is nobody's; the listening one stays root's, held by nobody. */
Test(sensor_netlink, sockets_after_setuid)
{
	char *argv[] = { "/usr/bin/python3", "-c",
		"import os, socket, struct\n"
		"def cookie(s):\n"
		"    c = s.getsockopt(socket.SOL_SOCKET, 57, 8)\n"
		"    print(struct.unpack('Q', c)[0], flush=True)\n"
		"l = socket.create_server(('127.0.0.1', 0))\n"
		"print(l.getsockname()[1], flush=True)\n"
		"cookie(l)\n"
		"os.setgid(65534); os.setuid(65534)\n"
		"a, _ = l.accept()\n"
		"cookie(a)\n"
		"a.recv(1)\n", NULL };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct diag_sock d, ld;
	const struct conn *c;
	uint64_t cookie, lcookie;
	int out, fd, status;
	pid_t pid;

	pid = spawn(argv, &out);
	cr_assert_gt(pid, 0);
	sin.sin_port = htons(read_number(out));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lcookie = read_number(out);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cookie = read_number(out);
	cr_assert_eq(diag_find_cookie(AF_INET, cookie, &d), 0);
	cr_assert_eq(diag_find_cookie(AF_INET, lcookie, &ld), 0);
	cr_expect_eq(d.uid, 65534, "the acceptor's uid");
	cr_expect_eq(ld.uid, 0, "the listener's creator's uid");
	cr_assert(sensor_wait(s, o, pid, nobody, 2000), "setuid not seen");
	/* The root socket first: found among the other uids. */
	c = owners_conn(o, lcookie, ld.uid, ld.inode, NULL);
	cr_assert_not_null(c, "a root socket held by nobody");
	cr_expect_eq(c->pid, (uint32_t)pid);
	c = owners_conn(o, cookie, d.uid, d.inode, NULL);
	cr_assert_not_null(c);
	cr_expect_eq(c->pid, (uint32_t)pid);
	cr_expect_eq(c->proc->view.uid, 65534);
	cr_expect_eq(c->proc->view.gid, 65534);
	close(fd);
	waitpid(pid, &status, 0);
	close(out);
}

/* A python3 makes a socket, then (after between, on its first) another:
 * the second's owner is found at the descriptor probed, without reading
 * the whole descriptor table again. */
static void second_socket_probed(const char *between)
{
	char prog[512];
	char *argv[] = { "/usr/bin/python3", "-c", prog, NULL };
	struct sensor_stats st0, st;
	const struct conn *c;
	uint64_t first, inode;
	int out, status;
	pid_t pid;

	snprintf(prog, sizeof(prog),
		 "import os, socket, sys, time\n"
		 "def one():\n"
		 "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
		 "    print(os.fstat(s.fileno()).st_ino, flush=True)\n"
		 "    return s\n"
		 "s = one(); time.sleep(0.5)%s\n"
		 "t = one(); time.sleep(2)\n", between);
	pid = spawn(argv, &out);
	cr_assert_gt(pid, 0);
	first = read_number(out);
	cr_assert(sensor_wait(s, o, pid, python_seen, 2000));
	c = owners_conn(o, 1001, geteuid(), first, NULL);
	cr_assert_not_null(c, "first socket of pid %d not attributed", pid);
	cr_expect_eq(c->pid, (uint32_t)pid);
	sensor_stats(s, &st0);
	inode = read_number(out);
	c = owners_conn(o, 1002, geteuid(), inode, NULL);
	cr_assert_not_null(c, "second socket of pid %d not attributed", pid);
	cr_expect_eq(c->pid, (uint32_t)pid);
	sensor_stats(s, &st);
	cr_expect_eq(st.fd_scans, st0.fd_scans, "no descriptor table read");
	cr_expect_eq(st.fd_probes, st0.fd_probes + 1);
	/* A first socket still open is still indexed: no probe at all. */
	if (!*between) {
		c = owners_conn(o, 1003, geteuid(), first, NULL);
		cr_assert_not_null(c, "first socket of pid %d lost", pid);
		cr_expect_eq(c->pid, (uint32_t)pid);
		sensor_stats(s, &st0);
		cr_expect_eq(st0.fd_probes, st.fd_probes);
		cr_expect_eq(st0.fd_scans, st.fd_scans);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(out);
}

/* A process that closes a socket and opens another gets the same
 * descriptor. */
Test(sensor_netlink, new_socket_at_a_known_descriptor)
{
	second_socket_probed("; s.close()");
}

/* One that keeps its sockets gets the next descriptor up. */
Test(sensor_netlink, new_socket_above_the_highest)
{
	second_socket_probed("");
}

/* A process whose descriptors were read forks and exits: a socket it
 * held is its child's now, not the dead process's. */
Test(sensor_netlink, socket_of_an_exited_process_is_its_heirs)
{
	char *argv[] = { "/usr/bin/python3", "-c",
		"import os, socket, time\n"
		"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
		"s.bind(('127.0.0.1', 0))\n"
		"t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
		"for n in (os.fstat(s.fileno()).st_ino,\n"
		"          os.fstat(t.fileno()).st_ino, s.getsockname()[1]):\n"
		"    print(n, flush=True)\n"
		"s.recv(1)\n"
		"child = os.fork()\n"
		"if child:\n"
		"    print(child, flush=True)\n"
		"    os._exit(0)\n"
		"time.sleep(10)\n", NULL };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint64_t first, second;
	const struct conn *c;
	int out, status, fd;
	pid_t pid, child;

	pid = spawn(argv, &out);
	cr_assert_gt(pid, 0);
	first = read_number(out);
	second = read_number(out);
	sin.sin_port = htons(read_number(out));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(sensor_wait(s, o, pid, python_seen, 2000));
	/* Reads its descriptors: both sockets are indexed as its. */
	c = owners_conn(o, 2001, geteuid(), first, NULL);
	cr_assert_not_null(c, "socket of pid %d not attributed", pid);
	cr_expect_eq(c->pid, (uint32_t)pid);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(sendto(fd, "x", 1, 0, (struct sockaddr *)&sin,
			    sizeof(sin)), 1);
	close(fd);
	child = read_number(out);
	cr_assert_gt(child, 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(sensor_wait(s, o, pid, proc_gone, 2000));
	cr_assert(sensor_wait(s, o, child, python_seen, 2000));
	c = owners_conn(o, 2002, geteuid(), second, NULL);
	cr_assert_not_null(c, "inherited socket not attributed");
	cr_expect_eq(c->pid, (uint32_t)child, "attributed to %u, not the "
		     "child %d that holds it (its exited parent: %d)", c->pid,
		     child, pid);
	cr_expect_not(c->proc->exited);
	kill(child, SIGKILL);
	close(out);
}
