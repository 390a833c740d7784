// SPDX-License-Identifier: GPL-2.0
/* Privilege separation (priv.h): the parent's few answers, the engine's
 * requests, and the split itself. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "ctacct.h"
#include "log.h"
#include "priv.h"
#include "sys.h"

/* A reply's sockets at most: 32 KiB, well within a socket's buffer. */
#define SOCKS_PER_MSG	2048
/* Descriptors a search reads between two requests: a few ms at most. */
#define FIND_SLICE	256

enum priv_op {
	PRIV_EXE = 1,
	PRIV_EXE_OPEN,
	PRIV_PROBE,
	PRIV_LOG,
	PRIV_ACCT,
	PRIV_METRICS,
	PRIV_RULES,
};

struct priv_req {
	uint32_t op;
	uint32_t pid;
	uint64_t ino;		/* PRIV_PROBE: the socket looked for */
};

struct priv_rep {
	int32_t err;		/* 0 or a negative errno */
	uint32_t more;		/* PRIV_RULES: the files refused */
	uint64_t dev, ino;
};

/* A search (priv_find()): the processes to read, in order, until one
 * holds the socket. */
struct priv_find_req {
	uint64_t inode;		/* pids follow */
};

/* Its answers: each process's sockets, in messages of SOCKS_PER_MSG
 * (more while it has more), then one with done set. */
struct priv_find_rep {
	uint32_t pid;
	uint8_t more, done, gone;
};

/* The engine's ends of the socketpairs: requests answered at once, and
 * searches answered as they go; -1: no parent, done in-process. */
static int engine_fd = -1, find_fd = -1;

/* ---- what the parent does, or an engine without one ------------------ */

static ssize_t do_exe(uint32_t pid, char *path, size_t size, dev_t *dev,
		      ino_t *ino)
{
	char link[64];
	struct stat st;
	ssize_t len;

	snprintf(link, sizeof(link), "/proc/%u/exe", pid);
	len = readlink(link, path, size - 1);
	/* The link is the path; following it reaches the file itself. */
	if (len < 0 || stat(link, &st) < 0)
		return -errno;
	path[len] = '\0';
	*dev = st.st_dev;
	*ino = st.st_ino;
	return len;
}

static int do_exe_open(uint32_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The socket inode the descriptor link at dir/name names, 0 if none. */
static uint64_t sock_at(int dir, const char *name)
{
	char link[64];
	ssize_t l;

	l = readlinkat(dir, name, link, sizeof(link) - 1);
	if (l < 9 || memcmp(link, "socket:[", 8))
		return 0;
	link[l] = '\0';
	return strtoull(link + 8, NULL, 10);
}

/* The first of the n descriptors that holds socket ino. */
static int do_probe(uint64_t ino, const struct priv_fdref *refs, size_t n)
{
	char path[64];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%u/fd/%d", refs[i].pid,
			 refs[i].fd);
		if (sock_at(AT_FDCWD, path) == ino)
			return i;
	}
	return -ENOENT;
}

static int add_sock(struct priv_sock **v, size_t *len, size_t *cap,
		    uint64_t ino, int fd)
{
	struct priv_sock *nv;

	if (*len == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		nv = realloc(*v, *cap * sizeof(**v));
		if (!nv)
			return -ENOMEM;
		*v = nv;
	}
	(*v)[(*len)++] = (struct priv_sock){ .fd = fd, .ino = ino };
	return 0;
}

/* Up to max more of d's descriptors; *more if it has others still. */
static int read_socks(DIR *d, size_t max, struct priv_sock **v, size_t *len,
		      size_t *cap, bool *more)
{
	struct dirent *de = NULL;
	uint64_t ino;
	size_t k;
	int ret = 0;

	for (k = 0; !ret && k < max && (de = readdir(d)); k++) {
		ino = sock_at(dirfd(d), de->d_name);
		if (ino)
			ret = add_sock(v, len, cap, ino, atoi(de->d_name));
	}
	*more = de != NULL;
	return ret;
}

static DIR *open_fds(uint32_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/fd", pid);
	return opendir(path);
}

static int do_socks(uint32_t pid, struct priv_sock **out, size_t *n)
{
	struct priv_sock *v = NULL;
	size_t len = 0, cap = 0;
	DIR *d = open_fds(pid);
	bool more;
	int ret;

	if (!d)
		return -errno;
	ret = read_socks(d, SIZE_MAX, &v, &len, &cap, &more);
	closedir(d);
	if (ret) {
		free(v);
		return ret;
	}
	*out = v;
	*n = len;
	return 0;
}

/* Not through a link, and a FIFO or device must not block or wake
 * anything before bfile.c refuses it. */
static int do_log_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
		      O_NONBLOCK | O_CLOEXEC, 0600);

	return fd < 0 ? -errno : fd;
}

static int write_all(int fd, const void *buf, size_t len)
{
	ssize_t w;

	for (; len; buf = (const char *)buf + w, len -= w) {
		w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			w = 0;
		else if (w <= 0)
			return w < 0 ? -errno : -EIO;
	}
	return 0;
}

static int copy_all(int from, int to)
{
	char buf[16384];
	off_t off = 0;
	ssize_t r;
	int ret;

	while ((r = pread(from, buf, sizeof(buf), off)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if ((ret = write_all(to, buf, r)) < 0)
			return ret;
		off += r;
	}
	return 0;
}

static int do_metrics(const char *path, int from)
{
	char tmp[PATH_MAX];
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return -errno;
	/* For node_exporter, whatever honefw's umask (the unit's is 077). */
	ret = fchmod(fd, 0644) < 0 ? -errno : copy_all(from, fd);
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

/* ---- messages --------------------------------------------------------- */

/* One message, with fd passed along if not negative. */
static int send_msg_flags(int sock, const void *head, size_t hlen,
			  const void *data, size_t dlen, int fd, int flags)
{
	struct iovec iov[2] = {
		{ (void *)head, hlen }, { (void *)data, dlen },
	};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = dlen ? 2 : 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(sock, &m, MSG_NOSIGNAL | flags) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int send_msg(int sock, const void *head, size_t hlen,
		    const void *data, size_t dlen, int fd)
{
	return send_msg_flags(sock, head, hlen, data, dlen, fd, 0);
}

/* One message: its head (exactly hlen bytes), up to *dlen bytes of data
 * (*dlen set to what came) and a descriptor passed along (*fd, else -1).
 * -EPIPE: the other side is gone. */
static int recv_msg_flags(int sock, void *head, size_t hlen, void *data,
			  size_t *dlen, int *fd, int flags)
{
	struct iovec iov[2] = {
		{ head, hlen }, { data, dlen ? *dlen : 0 },
	};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = {
		.msg_iov = iov, .msg_iovlen = 2,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	while ((n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | flags)) < 0)
		if (errno != EINTR)
			return -errno;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (n == 0)
		return -EPIPE;
	if ((size_t)n < hlen || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EBADMSG;
	}
	if (dlen)
		*dlen = n - hlen;
	return 0;
}

static int recv_msg(int sock, void *head, size_t hlen, void *data,
		    size_t *dlen, int *fd)
{
	return recv_msg_flags(sock, head, hlen, data, dlen, fd, 0);
}

/* The engine's side: one request, one reply. */
static int ask(const struct priv_req *q, int fd_out, struct priv_rep *r,
	       void *data, size_t *dlen, int *fd_in)
{
	int ret, fd;

	ret = send_msg(engine_fd, q, sizeof(*q), NULL, 0, fd_out);
	if (!ret)
		ret = recv_msg(engine_fd, r, sizeof(*r), data, dlen, &fd);
	if (ret)
		fatalx("privileged parent: %s", strerror(-ret));
	if (fd_in)
		*fd_in = fd;
	else if (fd >= 0)
		close(fd);
	return r->err;
}

/* ---- the parent's side ------------------------------------------------ */

struct parent {
	const struct priv_conf *c;
	int sock, find;
	pid_t engine;
	dev_t socket_dev;	/* the control socket, as at the split */
	ino_t socket_ino;
	/* The search under way: a slice read between two requests. */
	struct priv_find_req job;
	bool searching;
	uint32_t n, next;	/* pids, those read */
	uint32_t pids[PRIV_FIND_MAX];
	/* The process being read, then sent. */
	uint32_t out_pid;
	DIR *dir;		/* its descriptors, while read */
	struct priv_sock *out;
	size_t nout, cap, sent;
	bool out_gone, out_left;
	bool end;		/* then the search's end, to send */
};

static int reply(int sock, int err, uint32_t more, const void *data,
		 size_t len, int fd)
{
	struct priv_rep r = { .err = err, .more = more };

	return send_msg(sock, &r, sizeof(r), data, len, fd);
}

static int answer_exe(int sock, uint32_t pid)
{
	struct priv_rep r = { 0 };
	char path[PATH_MAX + 1];
	dev_t dev;
	ino_t ino;
	ssize_t len = do_exe(pid, path, sizeof(path), &dev, &ino);

	if (len < 0)
		return reply(sock, len, 0, NULL, 0, -1);
	r.dev = dev;
	r.ino = ino;
	return send_msg(sock, &r, sizeof(r), path, len, -1);
}

static int answer_fd(int sock, int fd)
{
	int ret = reply(sock, fd < 0 ? fd : 0, 0, NULL, 0, fd);

	if (fd >= 0)
		close(fd);
	return ret;
}

/* Each file as a head (name length, main, length), its name, its bytes,
 * into the memfd at ctx. */
static int rules_put(void *ctx, const struct rules_file *f)
{
	int fd = *(int *)ctx;
	uint32_t head[4] = {
		strlen(f->name), f->main_file, (uint32_t)f->len,
		(uint32_t)((uint64_t)f->len >> 32),
	};

	return write_all(fd, head, sizeof(head)) ?:
	       write_all(fd, f->name, head[0]) ?:
	       write_all(fd, f->buf, f->len);
}

static int answer_rules(const struct parent *p)
{
	int fd = memfd_create("hone-rules", MFD_CLOEXEC), ret;
	unsigned errors = 0;

	if (fd < 0)
		return reply(p->sock, -errno, 0, NULL, 0, -1);
	ret = rules_read(p->c->config, 0, p->c->report, NULL, rules_put, &fd,
			 &errors);
	ret = reply(p->sock, ret, errors, NULL, 0, ret ? -1 : fd);
	close(fd);
	return ret;
}

/* q, with data (len bytes) and a descriptor (fd) if they came. */
static int answer(struct parent *p, const struct priv_req *q,
		  const void *data, size_t len, int fd)
{
	switch (q->op) {
	case PRIV_EXE:
		return answer_exe(p->sock, q->pid);
	case PRIV_EXE_OPEN:
		return answer_fd(p->sock, do_exe_open(q->pid));
	case PRIV_PROBE:
		return reply(p->sock, len % sizeof(struct priv_fdref) ? -EINVAL :
			     do_probe(q->ino, data, len / sizeof(struct priv_fdref)),
			     0, NULL, 0, -1);
	case PRIV_LOG:
		return answer_fd(p->sock, p->c->log ? do_log_open(p->c->log) :
				 -ENOENT);
	case PRIV_ACCT:
		return reply(p->sock, ctacct_acct_on(), 0, NULL, 0, -1);
	case PRIV_METRICS:
		return reply(p->sock, p->c->metrics && fd >= 0 ?
			     do_metrics(p->c->metrics, fd) : -EINVAL, 0, NULL,
			     0, -1);
	case PRIV_RULES:
		return answer_rules(p);
	}
	return reply(p->sock, -EINVAL, 0, NULL, 0, -1);
}

/* What of the search is still to be sent, without waiting: the engine
 * reads it between packets, and may itself be waiting for an answer. */
static int find_send(struct parent *p)
{
	struct priv_find_rep r = { .pid = p->out_pid, .gone = p->out_gone };
	size_t k;
	int ret;

	while (p->out_left) {
		k = p->nout - p->sent;
		k = k < SOCKS_PER_MSG ? k : SOCKS_PER_MSG;
		r.more = p->sent + k < p->nout;
		ret = send_msg_flags(p->find, &r, sizeof(r), p->out + p->sent,
				     k * sizeof(*p->out), -1, MSG_DONTWAIT);
		if (ret)
			return ret;
		p->sent += k;
		p->out_left = r.more;
	}
	free(p->out);
	p->out = NULL;
	p->cap = 0;
	if (p->end) {
		r = (struct priv_find_rep){ .done = true };
		ret = send_msg_flags(p->find, &r, sizeof(r), NULL, 0, -1,
				     MSG_DONTWAIT);
		if (ret)
			return ret;
		p->end = p->searching = false;
	}
	return 0;
}

/* The search's next slice: FIND_SLICE descriptors at most, so that a
 * request waits for no more. A process read whole is sent; the end comes
 * after the one that holds the socket. */
static int find_step(struct parent *p)
{
	bool more = false;
	size_t i, from;

	if (!p->dir) {
		p->out_pid = p->pids[p->next++];
		p->nout = p->sent = 0;
		p->dir = open_fds(p->out_pid);
		p->out_gone = !p->dir;
	}
	from = p->nout;
	if (p->dir && read_socks(p->dir, FIND_SLICE, &p->out, &p->nout,
				 &p->cap, &more) < 0)
		p->out_gone = true;
	for (i = from; i < p->nout && !p->end; i++)
		p->end = p->out[i].ino == p->job.inode;
	if (more && !p->out_gone)
		return 0;
	if (p->dir)
		closedir(p->dir);
	p->dir = NULL;
	if (p->out_gone)
		p->nout = 0;
	p->out_left = true;
	p->end |= p->next == p->n;
	return find_send(p);
}

static int find_start(struct parent *p)
{
	size_t len = sizeof(p->pids);
	int fd, ret;

	ret = recv_msg(p->find, &p->job, sizeof(p->job), p->pids, &len, &fd);
	if (fd >= 0)
		close(fd);
	if (ret)
		return ret;
	p->n = len / sizeof(p->pids[0]);
	p->next = 0;
	p->searching = true;
	/* Nothing to read: the end at once. */
	p->end = !p->n;
	return p->end ? find_send(p) : find_step(p);
}

/* A search that goes on: the rest of what was read, or the next slice. */
static int find_more(struct parent *p)
{
	return p->out_left || (p->end && !p->dir) ? find_send(p) :
	       find_step(p);
}

/* What to poll the search's socket for: a new search, or room for the
 * rest of an answer; none while processes are to be read (no wait). */
static short find_events(const struct parent *p)
{
	if (!p->searching)
		return POLLIN;
	return p->out_left || (p->end && !p->dir) ? POLLOUT : 0;
}

/* The engine is gone: the parent goes too, as the engine did. */
static void __attribute__((noreturn)) parent_exit(const struct parent *p,
						  int status)
{
	struct stat st;

	/* Not a socket a later honefw has put there since. */
	if (p->c->socket && stat(p->c->socket, &st) == 0 &&
	    st.st_dev == p->socket_dev && st.st_ino == p->socket_ino)
		unlink(p->c->socket);
	if (WIFSIGNALED(status))
		log_warnx("engine %d: killed by signal %d", p->engine,
			  WTERMSIG(status));
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

/* Whether the engine has exited; if so, the parent exits too. Without
 * wait, a SIGCHLD may also say it was stopped or continued. */
static void reap(const struct parent *p, bool wait)
{
	int status;
	pid_t r;

	while ((r = waitpid(p->engine, &status, wait ? 0 : WNOHANG)) < 0 &&
	       errno == EINTR)
		;
	if (r == p->engine)
		parent_exit(p, status);
	if (wait)
		fatal("waiting for the engine");
}

/* The parent's signals go to the engine. */
static void on_signal(const struct parent *p, int sigfd)
{
	struct signalfd_siginfo si;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap(p, false);
		else
			kill(p->engine, si.ssi_signo);
	}
}

/* A request at once, a search a slice at a time in between: the
 * engine's requests never wait for a whole search. */
static void __attribute__((noreturn)) serve(struct parent *p, int sigfd)
{
	struct pollfd pfd[3] = {
		{ .fd = p->sock, .events = POLLIN },
		{ .fd = sigfd, .events = POLLIN },
		{ .fd = p->find, .events = POLLIN },
	};
	struct priv_fdref refs[PRIV_REFS_MAX];
	struct priv_req q;
	size_t len;
	int fd, ret;

	for (;;) {
		pfd[2].events = find_events(p);
		if (poll(pfd, 3, p->searching && !pfd[2].events ? 0 : -1) < 0 &&
		    errno != EINTR)
			fatal("poll");
		if (pfd[1].revents)
			on_signal(p, sigfd);
		ret = 0;
		if (pfd[0].revents) {
			/* The socket closes as the engine exits. */
			len = sizeof(refs);
			ret = recv_msg(p->sock, &q, sizeof(q), refs, &len, &fd);
			if (!ret)
				ret = answer(p, &q, refs, len, fd);
			if (fd >= 0)
				close(fd);
		}
		if (!ret && p->searching &&
		    (!pfd[2].events || (pfd[2].revents & POLLOUT)))
			ret = find_more(p);
		else if (!ret && (pfd[2].revents & POLLIN))
			ret = find_start(p);
		if (ret == -EAGAIN)
			ret = 0;
		if (ret == -EPIPE)
			reap(p, true);
		if (ret < 0)
			log_warnx("privileged parent: %s", strerror(-ret));
	}
}

/* Everything but stdio and the socket closed: the engine's descriptors
 * are its own. syslog's too, first: it would write to whatever later
 * took its number, and reconnects by itself. */
static int parent_start(struct parent *p, int sock, int find)
{
	static const int keep[] = {
		CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_KILL,
	};
	int lo = sock < find ? sock : find, hi = sock < find ? find : sock;
	struct stat st;
	int sigfd;

	closelog();
	if ((lo > 3 && syscall(SYS_close_range, 3, lo - 1, 0) < 0) ||
	    (hi > lo + 1 && syscall(SYS_close_range, lo + 1, hi - 1, 0) < 0) ||
	    syscall(SYS_close_range, hi + 1, ~0U, 0) < 0)
		return -errno;
	p->sock = sock;
	p->find = find;
	sigfd = sys_signals(SIGCHLD);
	if (sigfd < 0)
		return -errno;
	if (p->c->socket && stat(p->c->socket, &st) == 0) {
		p->socket_dev = st.st_dev;
		p->socket_ino = st.st_ino;
	}
	return sys_drop_privileges(keep, sizeof(keep) / sizeof(keep[0])) ?:
	       sigfd;
}

/* System calls that the engine never makes and an attacker would: new
 * programs, other processes' memory, the kernel's own state, identities. */
static int engine_filter(void)
{
	static const int deny[] = {
		SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(ptrace),
		SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
		SCMP_SYS(process_madvise), SCMP_SYS(pidfd_getfd),
		SCMP_SYS(kcmp), SCMP_SYS(mount), SCMP_SYS(umount2),
		SCMP_SYS(pivot_root), SCMP_SYS(chroot), SCMP_SYS(setns),
		SCMP_SYS(unshare), SCMP_SYS(kexec_load),
		SCMP_SYS(kexec_file_load), SCMP_SYS(init_module),
		SCMP_SYS(finit_module), SCMP_SYS(delete_module),
		SCMP_SYS(bpf), SCMP_SYS(perf_event_open),
		SCMP_SYS(userfaultfd), SCMP_SYS(keyctl), SCMP_SYS(add_key),
		SCMP_SYS(request_key), SCMP_SYS(setuid), SCMP_SYS(setgid),
		SCMP_SYS(setreuid), SCMP_SYS(setregid), SCMP_SYS(setresuid),
		SCMP_SYS(setresgid), SCMP_SYS(setgroups), SCMP_SYS(setfsuid),
		SCMP_SYS(setfsgid), SCMP_SYS(personality), SCMP_SYS(swapon),
		SCMP_SYS(swapoff), SCMP_SYS(reboot), SCMP_SYS(acct),
		SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at),
		SCMP_SYS(iopl), SCMP_SYS(ioperm), SCMP_SYS(fanotify_init),
		SCMP_SYS(io_uring_setup),
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	size_t i;
	int ret = 0;

	if (!ctx)
		return -ENOMEM;
	for (i = 0; !ret && i < sizeof(deny) / sizeof(deny[0]); i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), deny[i], 0);
	if (!ret)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	return ret;
}

/* The user's identity, CAP_NET_ADMIN alone (NFQUEUE verdicts and
 * nftables need it, message by message), the filter. Capabilities
 * survive the uid change only in the permitted set: the bounding set is
 * cut after it, with CAP_SETPCAP raised for that alone. */
static int engine_start(const struct passwd *pw)
{
	static const int keep[] = { CAP_NET_ADMIN, CAP_SETPCAP };

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    setgroups(0, NULL) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return -errno;
	return sys_caps(keep, 2) ?: sys_drop_privileges(keep, 1) ?:
	       engine_filter();
}

int priv_split(const struct priv_conf *c)
{
	static struct parent p;
	int sv[2], fv[2], ret, sigfd;
	pid_t parent = getpid();
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(c->user);
	if (!pw)
		return errno ? -errno : -ESRCH;
	if (pw->pw_uid == 0)
		return -EPERM;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fv) < 0) {
		ret = -errno;
		goto err_sv;
	}
	p.c = c;
	p.engine = fork();
	if (p.engine < 0) {
		ret = -errno;
		goto err_fv;
	}
	if (p.engine == 0) {
		close(sv[0]);
		close(fv[0]);
		engine_fd = sv[1];
		find_fd = fv[1];
		/* Without its parent the engine cannot name a process. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
		    getppid() != parent)
			_exit(1);
		ret = engine_start(pw);
		if (ret)
			fatalx("engine as %s: %s", c->user, strerror(-ret));
		return 0;
	}
	close(sv[1]);
	close(fv[1]);
	sigfd = parent_start(&p, sv[0], fv[0]);
	if (sigfd < 0) {
		/* The engine dies with it. */
		log_warnx("privileged parent: %s", strerror(-sigfd));
		exit(1);
	}
	/* Its lines (a reload's refused files) wait for no reader: the
	 * engine waits for its answers. */
	if ((ret = log_async()) < 0)
		log_warnx("privileged parent: log writer: %s", strerror(-ret));
	serve(&p, sigfd);

err_fv:
	close(fv[0]);
	close(fv[1]);
err_sv:
	close(sv[0]);
	close(sv[1]);
	return ret;
}

/* ---- the engine's requests -------------------------------------------- */

ssize_t priv_exe(uint32_t pid, char *path, size_t size, dev_t *dev,
		 ino_t *ino)
{
	struct priv_req q = { .op = PRIV_EXE, .pid = pid };
	struct priv_rep r;
	size_t len = size - 1;

	if (engine_fd < 0)
		return do_exe(pid, path, size, dev, ino);
	if (ask(&q, -1, &r, path, &len, NULL))
		return r.err;
	path[len] = '\0';
	*dev = r.dev;
	*ino = r.ino;
	return len;
}

/* A request answered with a descriptor. */
static int ask_fd(uint32_t op, uint32_t pid)
{
	struct priv_req q = { .op = op, .pid = pid };
	struct priv_rep r;
	int fd;

	if (ask(&q, -1, &r, NULL, NULL, &fd))
		return r.err;
	return fd >= 0 ? fd : -EBADMSG;
}

int priv_exe_open(uint32_t pid)
{
	return engine_fd < 0 ? do_exe_open(pid) : ask_fd(PRIV_EXE_OPEN, pid);
}

int priv_probe(uint64_t ino, const struct priv_fdref *refs, size_t n)
{
	struct priv_req q = { .op = PRIV_PROBE, .ino = ino };
	struct priv_rep r;
	int fd, ret;

	if (n > PRIV_REFS_MAX)
		return -E2BIG;
	if (engine_fd < 0)
		return do_probe(ino, refs, n);
	ret = send_msg(engine_fd, &q, sizeof(q), refs, n * sizeof(*refs), -1);
	if (!ret)
		ret = recv_msg(engine_fd, &r, sizeof(r), NULL, NULL, &fd);
	if (ret)
		fatalx("privileged parent: %s", strerror(-ret));
	if (fd >= 0)
		close(fd);
	return r.err;
}

int priv_socks(uint32_t pid, struct priv_sock **out, size_t *n)
{
	/* With a parent, the engine cannot read them: it searches. */
	return engine_fd < 0 ? do_socks(pid, out, n) : -EPERM;
}

int priv_log_open(const char *path)
{
	return engine_fd < 0 ? do_log_open(path) : ask_fd(PRIV_LOG, 0);
}

int priv_acct_on(void)
{
	struct priv_req q = { .op = PRIV_ACCT };
	struct priv_rep r;

	return engine_fd < 0 ? ctacct_acct_on() : ask(&q, -1, &r, NULL, NULL,
						       NULL);
}

int priv_metrics(const char *path, int fd)
{
	struct priv_req q = { .op = PRIV_METRICS };
	struct priv_rep r;

	return engine_fd < 0 ? do_metrics(path, fd) : ask(&q, fd, &r, NULL,
							  NULL, NULL);
}

/* The files as answer_rules() put them, parsed. */
static int rules_from(int fd, unsigned errors, rules_report_fn report,
		      void *ctx, struct rules **out)
{
	struct rules_file *files = NULL, *nf;
	size_t n = 0, off = 0, size;
	const char *base;
	uint32_t head[4];
	struct stat st;
	uint64_t len;
	int ret = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	size = st.st_size;
	base = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : "";
	if (base == MAP_FAILED)
		return -errno;
	while (!ret && off < size) {
		if (size - off < sizeof(head)) {
			ret = -EBADMSG;
			break;
		}
		memcpy(head, base + off, sizeof(head));
		off += sizeof(head);
		len = head[2] | (uint64_t)head[3] << 32;
		nf = realloc(files, (n + 1) * sizeof(*files));
		if (!nf) {
			ret = -ENOMEM;
			break;
		}
		files = nf;
		if (size - off < head[0] || size - off - head[0] < len) {
			ret = -EBADMSG;
			break;
		}
		/* The name is NUL-terminated by the byte after it only if
		 * copied: strndup it, rules_parse() interns its own copy. */
		files[n] = (struct rules_file){
			.name = strndup(base + off, head[0]),
			.main_file = head[1], .buf = base + off + head[0],
			.len = len,
		};
		if (!files[n++].name)
			ret = -ENOMEM;
		off += head[0] + len;
	}
	if (!ret)
		ret = rules_parse(files, n, errors, report, ctx, out);
	while (n--)
		free((char *)files[n].name);
	free(files);
	if (size)
		munmap((void *)base, size);
	return ret;
}

int priv_rules_read(int *fd, unsigned *errors)
{
	struct priv_req q = { .op = PRIV_RULES };
	struct priv_rep r;

	*fd = -1;
	*errors = 0;
	if (engine_fd < 0)
		return 0;
	if (ask(&q, -1, &r, NULL, NULL, fd) || *fd < 0) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return r.err ?: -EBADMSG;
	}
	*errors = r.more;
	return 0;
}

int priv_rules_parse(const char *path, int fd, unsigned errors,
		     rules_report_fn report, void *ctx, struct rules **out)
{
	int ret;

	if (fd < 0)
		return rules_load(path, 0, report, ctx, out);
	ret = rules_from(fd, errors, report, ctx, out);
	close(fd);
	return ret;
}

int priv_rules(const char *path, rules_report_fn report, void *ctx,
	       struct rules **out)
{
	unsigned errors;
	int fd, ret;

	if ((ret = priv_rules_read(&fd, &errors)) < 0)
		return ret;
	return priv_rules_parse(path, fd, errors, report, ctx, out);
}

/* ---- searches ---------------------------------------------------------- */

int priv_find_fd(void)
{
	return find_fd;
}

int priv_find(uint64_t inode, const uint32_t *pids, size_t n)
{
	struct priv_find_req q = { .inode = inode };

	n = n < PRIV_FIND_MAX ? n : PRIV_FIND_MAX;
	return send_msg(find_fd, &q, sizeof(q), pids, n * sizeof(*pids), -1);
}

int priv_find_read(void (*fn)(void *ctx, const struct priv_found *f),
		   void *ctx)
{
	static struct priv_sock *v;	/* one process's, across messages */
	static size_t len, cap;
	struct priv_find_rep r;
	struct priv_sock *nv;
	size_t got;
	int fd, ret;

	for (;;) {
		if (cap - len < SOCKS_PER_MSG) {
			nv = realloc(v, (cap + SOCKS_PER_MSG) * sizeof(*v));
			if (!nv)
				return -ENOMEM;
			v = nv;
			cap += SOCKS_PER_MSG;
		}
		got = SOCKS_PER_MSG * sizeof(*v);
		ret = recv_msg_flags(find_fd, &r, sizeof(r), v + len, &got, &fd,
				     MSG_DONTWAIT);
		if (fd >= 0)
			close(fd);
		if (ret == -EAGAIN)
			return 0;
		if (ret)
			fatalx("privileged parent: %s", strerror(-ret));
		if (r.done)
			return 1;
		len += got / sizeof(*v);
		if (r.more)
			continue;
		fn(ctx, &(struct priv_found){
			.pid = r.pid, .socks = v, .n = len, .gone = r.gone,
		});
		len = 0;
	}
}
