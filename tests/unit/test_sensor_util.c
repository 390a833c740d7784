// SPDX-License-Identifier: GPL-2.0
/* Helpers for the sensor tests: sock_diag by cookie, spawning, waiting. */
#include <errno.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "test_sensor.h"

extern char **environ;

struct dump_ctx {
	int (*cb)(const struct inet_diag_msg *m, void *data);
	void *data;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *ctx = data;

	return ctx->cb(mnl_nlmsg_get_payload(nlh), ctx->data);
}

int diag_dump(int family, int proto, uint32_t states,
	      int (*cb)(const struct inet_diag_msg *m, void *data), void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct dump_ctx ctx = { cb, data };
	struct inet_diag_req_v2 *req;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	ssize_t n;
	int ret;

	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!nl)
		return -errno;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 1;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = proto;
	req->idiag_states = states;
	ret = mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ? -errno : 1;
	while (ret > 0) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0 || (ret = mnl_cb_run(buf, n, 1, 0, dump_cb, &ctx)) < 0)
			ret = -errno;
	}
	mnl_socket_close(nl);
	return ret;
}

struct find_ctx {
	uint64_t cookie;
	struct diag_sock *out;
	bool found;
};

static int find_cb(const struct inet_diag_msg *m, void *data)
{
	struct find_ctx *ctx = data;

	if (diag_cookie(m) == ctx->cookie) {
		ctx->out->cookie = ctx->cookie;
		ctx->out->uid = m->idiag_uid;
		ctx->out->inode = m->idiag_inode;
		ctx->found = true;
	}
	return MNL_CB_OK;
}

uint64_t diag_cookie(const struct inet_diag_msg *m)
{
	return m->id.idiag_cookie[0] | (uint64_t)m->id.idiag_cookie[1] << 32;
}

int diag_find_cookie(int family, uint64_t cookie, struct diag_sock *out)
{
	struct find_ctx ctx = { cookie, out, false };
	int ret = diag_dump(family, IPPROTO_TCP, ~0U, find_cb, &ctx);

	if (ret)
		return ret;
	return ctx.found ? 0 : -ENOENT;
}

bool proc_gone(struct sensor *s, struct owners *o, pid_t pid)
{
	const struct proc *p = owners_proc(o, pid);

	(void)s;
	return !p || p->exited;
}

bool sensor_wait(struct sensor *s, struct owners *o, pid_t pid,
		 bool (*pred)(struct sensor *s, struct owners *o, pid_t pid),
		 int timeout_ms)
{
	struct pollfd pfd = { .fd = sensor_fd(s), .events = POLLIN };
	int waited;

	for (waited = 0; waited <= timeout_ms; waited += 20) {
		sensor_drain(s, sensor_now());
		if (pred(s, o, pid))
			return true;
		poll(&pfd, 1, 20);
	}
	return false;
}

pid_t spawn(char *const argv[], int *out)
{
	posix_spawn_file_actions_t fa;
	int p[2] = { -1, -1 };
	pid_t pid;
	int ret;

	posix_spawn_file_actions_init(&fa);
	if (out) {
		if (pipe(p))
			return -1;
		posix_spawn_file_actions_adddup2(&fa, p[1], 1);
		posix_spawn_file_actions_addclose(&fa, p[0]);
	}
	ret = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (out) {
		close(p[1]);
		*out = p[0];
	}
	return ret ? -1 : pid;
}

uint64_t read_number(int fd)
{
	char buf[64];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, 1)) == 1 &&
	       buf[len] != '\n')
		len++;
	buf[len] = '\0';
	return strtoull(buf, NULL, 10);
}

pid_t spawn_tcp_client(int lfd, int *out, int *afd, uint64_t *cookie)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char port[16];
	char *argv[] = { "/usr/bin/python3", "-c",
		"import socket, struct, sys\n"
		"s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
		"c = s.getsockopt(socket.SOL_SOCKET, 57, 8)\n"
		"print(struct.unpack('Q', c)[0], flush=True)\n"
		"s.recv(1)\n", port, NULL };
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	pid_t pid;

	if (getsockname(lfd, (struct sockaddr *)&sin, &len))
		return -1;
	snprintf(port, sizeof(port), "%u", ntohs(sin.sin_port));
	pid = spawn(argv, out);
	if (pid < 0)
		return -1;
	/* A client that fails must not hang the test. */
	*afd = poll(&pfd, 1, 5000) == 1 ? accept(lfd, NULL, NULL) : -1;
	*cookie = read_number(*out);
	return pid;
}

int tcp_listener(void)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(fd, 512)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}
