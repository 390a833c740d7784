// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink sensor, where hone.ko is not loaded. The proc connector
 * tells fork, exec, uid/gid changes and exit; /proc/PID is read at exec
 * (and once, at start, for what already runs). A socket's owner is found
 * when the verdict path first asks for it: among the descriptors of the
 * processes of the socket's uid, those not read since they forked or
 * exec'd first, and every socket inode seen on the way is remembered, so
 * a later miss finds most sockets in the index without reading /proc.
 *
 * Limits, measured by tests/unit/test_sensor_shortlived.c:
 * - A process that exits before its exec is read runs what is not known
 *   (no exe), and so do the children it forks without exec
 *   (stats.unread counts them); not its parent's image, for which it
 *   would pass.
 * - A socket is found only while some process holds its descriptor.
 *   TCP is safe: the SYN waits in the queue, its process in connect()
 *   (200 of 200 short-lived clients attributed). A UDP datagram does not
 *   wait: a sender that exits at once takes its socket along; of 200
 *   such senders only 7% to 44% were still there at the lookup,
 *   depending on the load.
 * - A socket passed to another process (SCM_RIGHTS, fork) is attributed
 *   to whichever holder was read last; what was read of a process goes
 *   at its exit, so a socket it left to a child is found in the child.
 * - A miss first looks at the descriptors where recent processes of the
 *   socket's uid held sockets (a new socket most often takes a closed
 *   one's descriptor), then reads the descriptors of every process (those
 *   of that uid first): at most once a second per socket (sensor.c), but
 *   a socket no process holds costs that much.
 * - Under honefw, its privileged parent (priv.h) does that search, one at
 *   a time: the packet waits for it, parked, and other packets are judged
 *   meanwhile. A miss while a search goes on waits for its end, probes
 *   and all; up to PRIV_FIND_MAX processes are read (the rest, last in
 *   the order, not).
 * - No close events of its own: honefw passes on sock_diag's destroy
 *   notices (owners_conn_gone(), from offload.c), and a closed socket's
 *   entry leaves after the grace; one never seen closing leaves when the
 *   table is full (least recently used first).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include "log.h"
#include "nlsock.h"
#include "priv.h"
#include "sensor_priv.h"

#define RCVBUF		(8 << 20)	/* a fork storm of ~100k events */
#define ARGV_MAX	32768		/* what is kept of a command line */
/* A search's packets are judged again within this of its end. */
#define MISSED_NS	(100ULL * 1000000ULL)

/* One socket inode among a process's descriptors at its last scan, and
 * the descriptor it was found at. */
struct sockref {
	struct hnode node;
	struct nlproc *owner;
	int fd;
};

struct netlink {
	struct mnl_socket *nl;
	struct nlsock_rx *rx;
	int proc;		/* /proc */
	uint64_t tick_ns;	/* /proc/PID/stat's unit */
	struct htab inodes;	/* socket inode -> struct sockref */
	struct htab procs;	/* pid -> struct nlproc */
	uint64_t finding;	/* the socket the parent searches for, or 0 */
	uint64_t missed;	/* the last one searched for in vain, */
	uint64_t missed_at;	/* and when */
	uint32_t pids[PRIV_FIND_MAX];	/* search_order()'s */
	/* What read_image() read. */
	char exe[PATH_MAX + 1];
	struct exe_file file;
	char argv[ARGV_MAX];
	char cgroup[PATH_MAX + 8];
	struct ev_digest digest;
};

static struct netlink *nl_of(const struct sensor *s)
{
	return s->priv;
}

/* What the sensor read of a process's descriptors: its own record, kept
 * apart from the process table, from the process's fork to its exit. */
struct nlproc {
	struct hnode node;	/* by pid */
	uint64_t start;		/* of the process it was read from */
	struct sockref *socks;
	size_t nsocks;
	bool scanned;		/* fds read since its fork or last exec */
};

static struct nlproc *nlp_find(const struct netlink *n, uint32_t pid)
{
	struct hnode *h = htab_find(&n->procs, pid);

	return h ? htab_entry(h, struct nlproc, node) : NULL;
}

/* e's record, if it has one. */
static struct nlproc *nlp_of(const struct netlink *n, const struct proc *e)
{
	struct nlproc *p = nlp_find(n, e->view.pid);

	return p && p->start == e->start ? p : NULL;
}

static void index_refs(struct netlink *n, struct nlproc *p, bool in)
{
	size_t i;

	for (i = 0; i < p->nsocks; i++) {
		if (in)
			htab_insert(&n->inodes, &p->socks[i].node);
		else
			htab_remove(&n->inodes, &p->socks[i].node);
	}
}

static void free_nlp(struct hnode *h)
{
	struct nlproc *p = htab_entry(h, struct nlproc, node);

	free(p->socks);
	free(p);
}

/* The process is gone, or new: none of its descriptors are known. */
static void nlp_drop(struct netlink *n, uint32_t pid)
{
	struct nlproc *p = nlp_find(n, pid);

	if (!p)
		return;
	index_refs(n, p, false);
	htab_fit(&n->inodes);
	htab_remove(&n->procs, &p->node);
	htab_fit(&n->procs);
	free_nlp(&p->node);
}

/* ---- /proc ------------------------------------------------------------ */

static ssize_t read_proc(struct netlink *n, uint32_t pid, const char *file,
			 char *buf, size_t size)
{
	char path[64];
	size_t len = 0;
	ssize_t r = 0;
	int fd;

	snprintf(path, sizeof(path), "%u/%s", pid, file);
	fd = openat(n->proc, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size) {
		r = read(fd, buf + len, size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			r = -errno;
		if (r <= 0)
			break;
		len += r;
	}
	close(fd);
	if (len)
		return len;
	/* Empty: a kernel thread's cmdline, or a process that is gone. */
	return r < 0 ? r : -ENOENT;
}

/* The same, as a string. */
static ssize_t read_text(struct netlink *n, uint32_t pid, const char *file,
			 char *buf, size_t size)
{
	ssize_t len = read_proc(n, pid, file, buf, size - 1);

	if (len >= 0)
		buf[len] = '\0';
	return len;
}

/* ppid and start time (ns since boot) from /proc/PID/stat. */
static int read_stat(struct netlink *n, uint32_t pid, uint32_t *ppid,
		     uint64_t *start)
{
	unsigned long long ticks;
	char buf[1024], *p;
	ssize_t len;

	len = read_text(n, pid, "stat", buf, sizeof(buf));
	if (len < 0)
		return len;
	/* comm may hold anything, even ") ": skip to the last paren. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %u %*d %*d %*d %*d %*u %*u %*u %*u %*u"
			 " %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 ppid, &ticks) != 2)
		return -EINVAL;
	*start = ticks * n->tick_ns;
	return 0;
}

/* Effective uid and gid from /proc/PID/status. */
static int read_ids(struct netlink *n, uint32_t pid, uint32_t *uid,
		    uint32_t *gid)
{
	char buf[4096], *u, *g;
	ssize_t len;

	len = read_text(n, pid, "status", buf, sizeof(buf));
	if (len < 0)
		return len;
	u = strstr(buf, "\nUid:");
	g = strstr(buf, "\nGid:");
	if (!u || !g || sscanf(u + 5, "%*u %u", uid) != 1 ||
	    sscanf(g + 5, "%*u %u", gid) != 1)
		return -EINVAL;
	return 0;
}

/* The cgroup v2 path from /proc/PID/cgroup ("0::PATH"), as honefw's
 * cgroup namespace shows it; NULL if none. */
static const char *read_cgroup(struct netlink *n, uint32_t pid, char *buf,
			       size_t size)
{
	char *p, *end;

	if (read_text(n, pid, "cgroup", buf, size) < 0)
		return NULL;
	p = !strncmp(buf, "0::", 3) ? buf : strstr(buf, "\n0::");
	if (!p)
		return NULL;
	p += *p == '\n' ? 4 : 3;
	end = strchrnul(p, '\n');
	*end = '\0';
	return *p == '/' ? p : NULL;
}

/* What exec changed, into ev: exe, argv, ids, cgroup, digest. -ENOENT if
 * it is gone or a zombie already (or a kernel thread). What ev points to
 * is n's, until the next read. */
static int read_image(struct sensor *s, uint32_t pid, struct ev_proc *ev)
{
	struct netlink *n = nl_of(s);
	ssize_t len;
	dev_t dev;
	ino_t ino;
	int ret;

	if (priv_exe(pid, n->exe, sizeof(n->exe), &dev, &ino) < 0)
		return -ENOENT;
	n->file = (struct exe_file){ .dev = dev, .ino = ino };
	len = read_proc(n, pid, "cmdline", n->argv, sizeof(n->argv));
	ret = read_ids(n, pid, &ev->uid, &ev->gid);
	if (ret)
		return ret;
	ev->has_uid = ev->has_gid = true;
	ev->user = sensor_user(s, ev->uid);
	ev->path = n->exe;
	ev->file = &n->file;
	ev->foreign = !sensor_claim(s, n->exe, &n->file);
	ev->argv = n->argv;
	ev->argvlen = len > 0 ? (size_t)len : 0;
	ev->cgroup = read_cgroup(n, pid, n->cgroup, sizeof(n->cgroup));
	if (sensor_hash_exe(s, pid, &n->digest))
		ev->digest = &n->digest;
	return 0;
}

/* A process the events did not introduce (start-up, or lost events), as
 * /proc shows it: -ENOENT if it is gone, 1 if what it runs could not be
 * read, else 0. Then it keeps its parent's image, if that is known, unless
 * execd: it was seen to run something else, which is not known. */
static int learn(struct sensor *s, uint32_t pid, bool execd)
{
	struct netlink *n = nl_of(s);
	struct ev_proc ev = { .pid = pid, .has_ppid = true };
	int ret;

	if (read_stat(n, pid, &ev.ppid, &ev.start))
		return -ENOENT;
	ret = read_image(s, pid, &ev);
	ev.kind = ret && !execd ? EV_FORK : EV_EXEC;
	sensor_tell_proc(s, &ev);
	return !!ret;
}

/* The one full /proc walk: at start, for what already runs. */
static int seed(struct sensor *s)
{
	struct dirent *de;
	char *end;
	DIR *d;
	long pid;
	int fd;

	fd = openat(nl_of(s)->proc, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		learn(s, pid, false);
	}
	closedir(d);
	/* The parents read after their children. */
	owners_settle(s->owners, s->st.lost);
	return 0;
}

/* ---- proc connector events ---------------------------------------------- */

static void on_fork_event(struct sensor *s, uint32_t ptgid, uint32_t pid,
			  uint32_t tgid)
{
	struct ev_proc ev = {
		.kind = EV_FORK, .pid = pid, .has_ppid = true, .ppid = ptgid,
	};
	uint32_t ppid;

	if (pid != tgid)
		return;		/* a thread */
	nlp_drop(nl_of(s), pid);
	/* A known parent's image is the child's until it execs. */
	if (!owners_knows(s->owners, ptgid, 0)) {
		if (learn(s, pid, false) < 0)
			s->st.lost++;
		return;
	}
	read_stat(nl_of(s), pid, &ppid, &ev.start);
	sensor_tell_proc(s, &ev);
}

static void on_exec_event(struct sensor *s, uint32_t tgid)
{
	struct ev_proc ev = { .kind = EV_EXEC, .pid = tgid };
	struct nlproc *p = nlp_find(nl_of(s), tgid);
	int ret;

	if (p)
		p->scanned = false;
	/* Gone before its image was read, it ran what is not known: not its
	 * parent's image, for which it and the children it forks without
	 * exec would pass (ev.path NULL). */
	if (!owners_knows(s->owners, tgid, 0))
		ret = learn(s, tgid, true);
	else if ((ret = read_image(s, tgid, &ev)) != 0)
		sensor_tell_proc(s, &(struct ev_proc){ .kind = EV_EXEC,
						       .pid = tgid });
	else
		sensor_tell_proc(s, &ev);
	if (ret)
		s->st.unread++;
}

static void on_ids(struct sensor *s, const struct proc_event *ev)
{
	struct ev_proc e = {
		.kind = EV_IDS, .pid = ev->event_data.id.process_tgid,
		.has_uid = ev->what == PROC_EVENT_UID,
		.uid = ev->event_data.id.e.euid,
		.has_gid = ev->what == PROC_EVENT_GID,
		.gid = ev->event_data.id.e.egid,
	};

	if (ev->event_data.id.process_pid != ev->event_data.id.process_tgid)
		return;
	if (e.has_uid)
		e.user = sensor_user(s, e.uid);
	sensor_tell_proc(s, &e);
}

static void on_exit_event(struct sensor *s, uint32_t pid, uint32_t tgid)
{
	struct ev_proc ev = { .kind = EV_EXIT, .pid = tgid };

	if (pid != tgid)
		return;
	nlp_drop(nl_of(s), tgid);
	sensor_tell_proc(s, &ev);
}

static void on_event(struct sensor *s, const struct proc_event *ev)
{
	s->st.events++;
	switch (ev->what) {
	case PROC_EVENT_FORK:
		on_fork_event(s, ev->event_data.fork.parent_tgid,
			ev->event_data.fork.child_pid,
			ev->event_data.fork.child_tgid);
		break;
	case PROC_EVENT_EXEC:
		on_exec_event(s, ev->event_data.exec.process_tgid);
		break;
	case PROC_EVENT_UID:
	case PROC_EVENT_GID:
		on_ids(s, ev);
		break;
	case PROC_EVENT_EXIT:
		on_exit_event(s, ev->event_data.exit.process_pid,
			ev->event_data.exit.process_tgid);
		break;
	default:
		s->st.events--;
		break;
	}
}

static void on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct sensor *s = data;
	const struct cn_msg *cn;
	struct proc_event ev;

	/* Only the kernel speaks on the proc connector. */
	if (nlh->nlmsg_pid != 0 || nlh->nlmsg_type != NLMSG_DONE ||
	    mnl_nlmsg_get_payload_len(nlh) <
	    sizeof(*cn) + sizeof(struct proc_event))
		return;
	cn = mnl_nlmsg_get_payload(nlh);
	if (cn->id.idx != CN_IDX_PROC || cn->len < sizeof(struct proc_event))
		return;
	/* 4-aligned in the message; the event has u64s. */
	memcpy(&ev, cn->data, sizeof(ev));
	on_event(s, &ev);
}

/* Lost events (an overrun): pid reuse is still caught by the next fork of
 * that pid. */
static int nl_drain(struct sensor *s)
{
	struct netlink *n = nl_of(s);
	uint64_t before = s->st.events;
	int ret;

	ret = nlsock_rx_drain(n->rx, mnl_socket_get_fd(n->nl), &s->st.lost,
			      on_msg, s);
	return ret < 0 ? ret : (int)(s->st.events - before);
}

/* ---- socket owners ---------------------------------------------------- */

/* e's record, made on first use. */
static struct nlproc *nlp_get(struct netlink *n, const struct proc *e)
{
	struct nlproc *p = nlp_of(n, e);

	if (p)
		return p;
	nlp_drop(n, e->view.pid);
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->node.key = e->view.pid;
	p->start = e->start;
	htab_insert(&n->procs, &p->node);
	return p;
}

/* The process's descriptors as read: its socket inodes replace the old
 * ones in the index. */
static int index_socks(struct sensor *s, const struct proc *e,
		       const struct priv_sock *socks, size_t len)
{
	struct netlink *n = nl_of(s);
	struct nlproc *p = nlp_get(n, e);
	struct sockref *v;
	size_t i;

	s->st.fd_scans++;
	v = len ? calloc(len, sizeof(*v)) : NULL;
	if (!p || (len && !v)) {
		free(v);
		return -ENOMEM;
	}
	index_refs(n, p, false);
	htab_fit(&n->inodes);
	free(p->socks);
	for (i = 0; i < len; i++)
		v[i] = (struct sockref){
			.node.key = socks[i].ino, .owner = p, .fd = socks[i].fd,
		};
	p->socks = v;
	p->nsocks = len;
	p->scanned = true;
	index_refs(n, p, true);
	return 0;
}

static int scan_fds(struct sensor *s, const struct proc *e)
{
	struct priv_sock *socks;
	size_t len;
	int ret;

	ret = priv_socks(e->view.pid, &socks, &len);
	if (ret)
		return ret;
	ret = index_socks(s, e, socks, len);
	free(socks);
	return ret;
}

static bool holds(const struct netlink *n, const struct proc *e,
		  uint64_t inode)
{
	const struct nlproc *p = nlp_of(n, e);
	size_t i;

	for (i = 0; p && i < p->nsocks; i++)
		if (p->socks[i].node.key == inode)
			return true;
	return false;
}

/* A process that closes a socket and opens another most often gets the
 * same descriptor back (the lowest free one), and one that keeps its
 * sockets open the next one up: before reading whole descriptor tables,
 * look at the descriptors where the most recent processes of the socket's
 * uid held sockets, and just above the highest. A readlink or a few
 * instead of a directory and a readlink per descriptor. */
#define PROBE_PROCS	8
#define PROBE_FDS	4
#define PROBE_ABOVE	2
_Static_assert(PROBE_PROCS * (PROBE_FDS + PROBE_ABOVE) <= PRIV_REFS_MAX,
	       "a probe is one request");

/* A socket found at descriptor fd of p, which keeps its others: the array
 * moves, so all of p's are indexed again. */
static void adopt(struct netlink *n, struct nlproc *p, int fd, uint64_t inode)
{
	struct sockref *v;

	index_refs(n, p, false);
	v = realloc(p->socks, (p->nsocks + 1) * sizeof(*v));
	if (v) {
		v[p->nsocks++] = (struct sockref){
			.node.key = inode, .owner = p, .fd = fd,
		};
		p->socks = v;
	}
	index_refs(n, p, true);
}

/* A descriptor to look at, of one of p's sockets (sock) or above its
 * highest (sock == SIZE_MAX). */
struct cand {
	const struct proc *e;
	struct nlproc *p;
	size_t sock;
};

static size_t candidates(struct sensor *s, uint32_t uid, struct cand *c,
			 struct priv_fdref *refs)
{
	struct netlink *n = nl_of(s);
	unsigned procs = 0;
	size_t k = 0, i;
	struct nlproc *p;
	const struct proc *e;
	int top, j;

	for (e = owners_recent(s->owners); e && procs < PROBE_PROCS;
	     e = owners_older(s->owners, e)) {
		if (e->exited || e->view.uid != uid ||
		    !(p = nlp_of(n, e)) || !p->nsocks)
			continue;
		procs++;
		top = -1;
		for (i = 0; i < p->nsocks; i++) {
			if (p->socks[i].fd > top)
				top = p->socks[i].fd;
			if (i >= PROBE_FDS)
				continue;
			c[k] = (struct cand){ e, p, i };
			refs[k++] = (struct priv_fdref){ e->view.pid,
							 p->socks[i].fd };
		}
		for (j = 1; j <= PROBE_ABOVE; j++) {
			c[k] = (struct cand){ e, p, SIZE_MAX };
			refs[k++] = (struct priv_fdref){ e->view.pid, top + j };
		}
	}
	return k;
}

/* The candidates in one request, read in order until one holds it. */
static const struct proc *probe(struct sensor *s, uint32_t uid, uint64_t inode)
{
	struct priv_fdref refs[PROBE_PROCS * (PROBE_FDS + PROBE_ABOVE)];
	struct cand c[PROBE_PROCS * (PROBE_FDS + PROBE_ABOVE)];
	struct netlink *n = nl_of(s);
	size_t nc = candidates(s, uid, c, refs);
	struct sockref *r;
	int i;

	i = nc ? priv_probe(inode, refs, nc) : -ENOENT;
	if (i < 0)
		return NULL;
	s->st.fd_probes++;
	if (c[i].sock == SIZE_MAX) {
		adopt(n, c[i].p, refs[i].fd, inode);
		return c[i].e;
	}
	r = &c[i].p->socks[c[i].sock];
	htab_remove(&n->inodes, &r->node);
	r->node.key = inode;
	htab_insert(&n->inodes, &r->node);
	return c[i].e;
}

/* The socket's uid is its creator's: first the processes of that uid, then
 * the others (an accepted socket has its listener's uid, and a daemon may
 * have changed uid since it listened). Among each, first those not read
 * since they forked or exec'd (a new socket is most often in a new
 * process), then those read before. The pids in that order, at most max. */
static size_t search_order(struct sensor *s, uint32_t uid, uint32_t *pids,
			   size_t max)
{
	struct netlink *n = nl_of(s);
	const struct nlproc *p;
	const struct proc *e;
	size_t k = 0;
	int pass;

	for (pass = 0; pass < 4; pass++)
		for (e = owners_recent(s->owners); e && k < max;
		     e = owners_older(s->owners, e))
			if (!e->exited && (e->view.uid == uid) == (pass < 2) &&
			    ((p = nlp_of(n, e)) && p->scanned) == (pass & 1))
				pids[k++] = e->view.pid;
	return k;
}

/* The live process an indexed socket was read from; its record goes if
 * the process is gone (its exit not told). */
static const struct proc *indexed(struct sensor *s, uint64_t inode)
{
	struct netlink *n = nl_of(s);
	struct hnode *h;
	struct nlproc *p;
	const struct proc *e;

	while ((h = htab_find(&n->inodes, inode))) {
		p = htab_entry(h, struct sockref, node)->owner;
		e = owners_proc(s->owners, p->node.key);
		if (e && !e->exited && e->start == p->start)
			return e;
		nlp_drop(n, p->node.key);
	}
	return NULL;
}

/* 0 and *out, -ENOENT, or -EINPROGRESS while the parent searches (for
 * this socket or another: asked again once sensor_find_drain() says the
 * search has ended). */
static int nl_owner(struct sensor *s, uint32_t uid, uint64_t inode,
		    const struct proc **out)
{
	struct netlink *n = nl_of(s);
	const struct proc *e = indexed(s, inode);
	size_t i, np;

	if (e) {
		*out = e;
		return 0;
	}
	/* Not even a probe: the parent reads for the search between
	 * requests, and every packet waiting would ask again at its end. */
	if (n->finding)
		return -EINPROGRESS;
	e = probe(s, uid, inode);
	if (e) {
		owners_touch(s->owners, e);
		*out = e;
		return 0;
	}
	/* Searched for in vain just now: its packets are being judged
	 * again. */
	if (inode == n->missed && sensor_now() - n->missed_at < MISSED_NS)
		return -ENOENT;
	np = search_order(s, uid, n->pids, PRIV_FIND_MAX);
	if (priv_find_fd() >= 0) {
		if (priv_find(inode, n->pids, np) < 0)
			return -ENOENT;
		n->finding = inode;
		return -EINPROGRESS;
	}
	for (i = 0; i < np; i++) {
		e = owners_proc(s->owners, n->pids[i]);
		if (!e || scan_fds(s, e) || !holds(n, e, inode))
			continue;
		owners_touch(s->owners, e);
		*out = e;
		return 0;
	}
	return -ENOENT;
}

/* owners_conn()'s finder. */
static int nl_find(void *ctx, uint32_t uid, uint64_t inode,
		   const struct proc **out)
{
	struct sensor *s = ctx;
	int ret;

	s->st.conn_misses++;
	ret = nl_owner(s, uid, inode, out);
	if (ret == -EINPROGRESS)
		s->searching = true;
	return ret;
}

static void on_found(void *ctx, const struct priv_found *f)
{
	struct sensor *s = ctx;
	const struct proc *e = owners_proc(s->owners, f->pid);

	if (!e || e->exited || f->gone ||
	    index_socks(s, e, f->socks, f->n) ||
	    !holds(nl_of(s), e, nl_of(s)->finding))
		return;
	owners_touch(s->owners, e);
}

static int nl_find_drain(struct sensor *s)
{
	struct netlink *n = nl_of(s);
	int ret = priv_find_read(on_found, s);

	if (ret <= 0)
		return ret;
	if (!htab_find(&n->inodes, n->finding)) {
		n->missed = n->finding;
		n->missed_at = sensor_now();
	}
	n->finding = 0;
	return 1;
}

/* ---- open and close --------------------------------------------------- */

static int listen_procs(struct mnl_socket *nl, enum proc_cn_mcast_op op)
{
	char buf[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(op))]
		__attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nlh;
	struct cn_msg *cn;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_pid = mnl_socket_get_portid(nl);
	cn = mnl_nlmsg_put_extra_header(nlh, sizeof(*cn) + sizeof(op));
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->len = sizeof(op);
	memcpy(cn->data, &op, sizeof(op));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

static int connect_procs(struct mnl_socket **out)
{
	struct mnl_socket *nl;
	int ret;

	nl = mnl_socket_open2(NETLINK_CONNECTOR, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, CN_IDX_PROC, MNL_SOCKET_AUTOPID)) {
		ret = -errno;
		goto err;
	}
	nlsock_rcvbuf(nl, RCVBUF);
	ret = listen_procs(nl, PROC_CN_MCAST_LISTEN);
	if (ret)
		goto err;
	*out = nl;
	return 0;
err:
	mnl_socket_close(nl);
	return ret;
}

static int nl_open(struct sensor *s)
{
	struct netlink *n;
	long hz;
	int ret;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	hz = sysconf(_SC_CLK_TCK);
	n->tick_ns = 1000000000ULL / (hz > 0 ? hz : 100);
	n->proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (n->proc < 0) {
		ret = -errno;
		goto err_free;
	}
	ret = htab_init(&n->inodes, 4096);
	if (ret)
		goto err_proc;
	ret = htab_init(&n->procs, 1024);
	if (ret)
		goto err_inodes;
	ret = nlsock_rx_new(&n->rx);
	if (ret)
		goto err_pids;
	/* Listen first, then read /proc: what happens in between is in
	 * the events, which a fork already read at start-up skips. */
	ret = connect_procs(&n->nl);
	if (ret == -ECONNREFUSED)
		log_warnx("netlink sensor: the proc connector exists only in "
			  "the initial network namespace");
	if (ret)
		goto err_rx;
	s->priv = n;
	s->fd = mnl_socket_get_fd(n->nl);
	ret = seed(s);
	if (ret)
		goto err_listen;
	owners_set_finder(s->owners, nl_find, s);
	return 0;

err_listen:
	listen_procs(n->nl, PROC_CN_MCAST_IGNORE);
	mnl_socket_close(n->nl);
	s->priv = NULL;
	s->fd = -1;
err_rx:
	nlsock_rx_free(n->rx);
err_pids:
	htab_clear(&n->procs, free_nlp);
	htab_free(&n->procs);
err_inodes:
	htab_free(&n->inodes);
err_proc:
	close(n->proc);
err_free:
	free(n);
	return ret;
}

static void nl_close(struct sensor *s)
{
	struct netlink *n = nl_of(s);

	owners_set_finder(s->owners, NULL, NULL);
	listen_procs(n->nl, PROC_CN_MCAST_IGNORE);
	mnl_socket_close(n->nl);
	nlsock_rx_free(n->rx);
	htab_clear(&n->procs, free_nlp);
	htab_free(&n->procs);
	htab_free(&n->inodes);
	close(n->proc);
	free(n);
}

const struct sensor_ops sensor_netlink_ops = {
	.open = nl_open,
	.close = nl_close,
	.drain = nl_drain,
	.find_drain = nl_find_drain,
};
