// SPDX-License-Identifier: GPL-2.0
/*
 * The snapshot a reader gets at the start of each section: every process
 * (by pid, so the walk resumes between reads and holds no lock), each
 * followed by its inet sockets. It runs in read(), in process context,
 * while the reader is already live, so nothing born meanwhile is missed;
 * duplicates are possible and harmless. It also teaches the caches about
 * processes and sockets that predate the module.
 */
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/net.h>
#include <linux/mm.h>
#include <linux/version.h>
#include <net/sock.h>
#include "sensor.h"

void hone_snapshot_start(struct hone_reader *r)
{
	hone_snapshot_stop(r);
	r->snap_pid = 1;
}

void hone_snapshot_stop(struct hone_reader *r)
{
	if (r->snap_task)
		put_task_struct(r->snap_task);
	r->snap_task = NULL;
	r->snap_fd = 0;
}

/* argv as /proc/PID/cmdline reads it (get_mm_cmdline): FOLL_ANON, never
 * FOLL_FORCE, so a page the process made unreadable is not read. */
static u16 snap_argv(struct task_struct *t, struct mm_struct *mm, char *dst)
{
	unsigned long start, end;
	int len;

	spin_lock(&mm->arg_lock);
	start = mm->arg_start;
	end = mm->arg_end;
	spin_unlock(&mm->arg_lock);
	if (end <= start)
		return 0;
	len = min_t(unsigned long, end - start, HONE_ARGV_MAX);
	len = access_process_vm(t, start, dst, len, FOLL_ANON);
	if (len <= 0)
		return 0;
	dst[len - 1] = '\0';
	return len;
}

/* Exe and argv of a live task, read the sleeping way. */
static void snap_mm(struct hone_reader *r, struct hone_rec_proc *rec, struct task_struct *t)
{
	struct mm_struct *mm = get_task_mm(t);
	struct file *exe;
	char *path;

	if (!mm)
		return;
	exe = hone_mm_exe(mm);
	if (exe) {
		/* r->out is free: no block is pending while we build one. */
		path = d_path(&exe->f_path, (char *)r->out, HONE_PATH_MAX);
		if (!IS_ERR(path)) {
			rec->path_len = strlen(path);
			memcpy(rec->data, path, rec->path_len);
			hone_proc_set_exe(rec, exe);
		}
		fput(exe);
	}
	rec->argv_len = snap_argv(t, mm, rec->data + rec->path_len);
	mmput(mm);
	hone_proc_cache_put(rec, rec->data, GFP_KERNEL);
}

static struct hone_rec *snap_proc(struct hone_reader *r, struct task_struct *t)
{
	struct hone_rec_proc *rec = (struct hone_rec_proc *)r->scratch;

	hone_proc_fill(rec, t);
	if (t->flags & PF_KTHREAD) {
		rec->event = HONE_PROC_KTHREAD;
		return &rec->h;
	}
	rec->event = HONE_PROC_EXEC;
	/* What its exec left in the cache knows its script; the mm does not. */
	if (!hone_proc_cache_copy(t->tgid, rec, rec->data))
		snap_mm(r, rec, t);
	hone_proc_set_cgroup(rec, t, rec->data);
	return &rec->h;
}

static struct file *snap_next_file(struct task_struct *t, unsigned int *fd)
{
	struct file *f;

	rcu_read_lock();
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	f = task_lookup_next_fdget_rcu(t, fd);
#else
	f = task_lookup_next_fd_rcu(t, fd);
	if (f && !get_file_rcu(f))
		f = ERR_PTR(-EAGAIN);
#endif
	rcu_read_unlock();
	return f;
}

static struct hone_rec *snap_sock(struct hone_reader *r)
{
	struct hone_rec_conn *rec = (struct hone_rec_conn *)r->scratch;
	struct task_struct *t = r->snap_task;
	struct socket *sock;
	struct file *f;
	struct sock *sk;

	for (;;) {
		f = snap_next_file(t, &r->snap_fd);
		if (!f)
			return NULL;
		r->snap_fd++;
		if (IS_ERR(f))
			continue;
		sock = sock_from_file(f);
		sk = sock ? sock->sk : NULL;
		if (sk && (sk->sk_family == AF_INET || sk->sk_family == AF_INET6)) {
			hone_conn_fill(rec, sk, HONE_CONN_OPEN);
			rec->pid = t->tgid;
			rec->tid = t->pid;
			hone_owner_add(sk, t, false);
			fput(f);
			return &rec->h;
		}
		fput(f);
	}
}

/* The next snapshot record, in r->scratch, or NULL at the end. */
struct hone_rec *hone_snapshot_next(struct hone_reader *r)
{
	struct task_struct *t;
	struct hone_rec *rec;
	struct pid *pid;

	for (;;) {
		if (r->snap_task) {
			rec = snap_sock(r);
			if (rec)
				return rec;
			hone_snapshot_stop(r);
		}
		rcu_read_lock();
		pid = find_ge_pid(r->snap_pid, &init_pid_ns);
		if (!pid) {
			rcu_read_unlock();
			return NULL;
		}
		r->snap_pid = pid_nr(pid) + 1;
		t = pid_task(pid, PIDTYPE_TGID);
		if (t)
			get_task_struct(t);
		rcu_read_unlock();
		if (!t)
			continue;
		if (t->flags & PF_EXITING) {
			put_task_struct(t);
			continue;
		}
		r->snap_task = t;
		r->snap_fd = 0;
		return snap_proc(r, t);
	}
}
