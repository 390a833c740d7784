// SPDX-License-Identifier: GPL-2.0
/*
 * Process events from the sched_process_{fork,exec,exit} tracepoints, found
 * by name (their symbols are not exported). Probes run with preemption off:
 * nothing here sleeps. Exe and argv are copied at exec into a cache by tgid,
 * because at exit the mm is gone, and a forked child starts with its
 * parent's.
 */
#include <linux/tracepoint.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/mm.h>
#include <linux/binfmts.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/uaccess.h>
#include <linux/percpu.h>
#include <linux/ktime.h>
#include <linux/version.h>
#include "sensor.h"

#define HONE_PROC_CACHE_MAX	65536

struct hone_proc {
	struct hlist_node node;
	struct rcu_head rcu;
	pid_t tgid;
	u64 start;
	u16 path_len, argv_len;
	char data[];
};

static DEFINE_HASHTABLE(proc_cache, 12);
static DEFINE_SPINLOCK(proc_cache_lock);
static unsigned int proc_cache_count;

/* Per-CPU room to build one event's path and argv: probes do not nest. */
struct proc_scratch {
	char path[HONE_PATH_MAX];
	char data[HONE_PATH_MAX + HONE_ARGV_MAX];
};
static DEFINE_PER_CPU(struct proc_scratch, proc_scratch);

static struct hone_proc *cache_find(pid_t tgid)
{
	struct hone_proc *e;

	hash_for_each_possible_rcu(proc_cache, e, node, tgid)
		if (e->tgid == tgid)
			return e;
	return NULL;
}

/* Under rcu_read_lock: tgid's executable path, NULL if unknown. */
const char *hone_proc_exe(pid_t tgid, u16 *len)
{
	struct hone_proc *e = cache_find(tgid);

	*len = e ? e->path_len : 0;
	return e ? e->data : NULL;
}

static void cache_del(pid_t tgid)
{
	struct hone_proc *e;

	spin_lock(&proc_cache_lock);
	e = cache_find(tgid);
	if (e) {
		hash_del_rcu(&e->node);
		proc_cache_count--;
		kfree_rcu(e, rcu);
	}
	spin_unlock(&proc_cache_lock);
}

/* Remember tgid's exe and argv. An exec replaces; a snapshot only fills in
 * (gfp allows sleeping) so that it never overwrites a newer exec. */
void hone_proc_cache_put(pid_t tgid, u64 start, const char *data, u16 path_len,
			 u16 argv_len, gfp_t gfp)
{
	bool replace = !gfpflags_allow_blocking(gfp);
	struct hone_proc *e, *old;

	e = kmalloc(struct_size(e, data, path_len + argv_len), gfp);
	if (!e)
		return;
	e->tgid = tgid;
	e->start = start;
	e->path_len = path_len;
	e->argv_len = argv_len;
	memcpy(e->data, data, path_len + argv_len);

	spin_lock(&proc_cache_lock);
	old = cache_find(tgid);
	if (old && !replace)
		goto drop;
	if (!old && proc_cache_count >= HONE_PROC_CACHE_MAX)
		goto drop;
	if (old) {
		hash_del_rcu(&old->node);
		kfree_rcu(old, rcu);
	} else {
		proc_cache_count++;
	}
	hash_add_rcu(proc_cache, &e->node, tgid);
	spin_unlock(&proc_cache_lock);
	return;
drop:
	spin_unlock(&proc_cache_lock);
	kfree(e);
}

void hone_proc_fill(struct hone_rec_proc *rec, struct task_struct *p)
{
	struct task_struct *parent;
	const struct cred *cred;

	memset(rec, 0, sizeof(*rec));
	rec->h.type = HONE_REC_PROC;
	rec->h.ts = ktime_get_real_ns();
	rec->pid = p->tgid;
	rec->tid = p->pid;
	rec->start = p->start_time;
	rcu_read_lock();
	parent = rcu_dereference(p->real_parent);
	rec->ppid = parent->tgid;
	rec->ppid_start = parent->group_leader->start_time;
	cred = __task_cred(p);
	rec->uid = from_kuid_munged(&init_user_ns, cred->euid);
	rec->gid = from_kgid_munged(&init_user_ns, cred->egid);
	rec->ruid = from_kuid_munged(&init_user_ns, cred->uid);
	rec->rgid = from_kgid_munged(&init_user_ns, cred->gid);
	rcu_read_unlock();
	memcpy(rec->comm, p->comm, sizeof(rec->comm) - 1);
}

static void proc_emit(struct hone_rec_proc *rec, const char *data)
{
	struct hone_payload p = {
		.buf = data,
		.len = rec->path_len + rec->argv_len,
	};

	hone_readers_emit(&rec->h, sizeof(*rec), &p);
}

/* Path of file into s->data; returns its length, 0 if unknown. */
static u16 scratch_path(struct proc_scratch *s, const struct path *path)
{
	char *str = d_path(path, s->path, sizeof(s->path));
	size_t len;

	if (IS_ERR(str))
		return 0;
	len = strlen(str);
	memcpy(s->data, str, len);
	return len;
}

/* argv of the current task, NUL-separated and NUL-terminated, after path. */
static u16 scratch_argv(char *dst, struct mm_struct *mm)
{
	unsigned long len;

	if (!mm || mm->arg_end <= mm->arg_start)
		return 0;
	len = min_t(unsigned long, mm->arg_end - mm->arg_start, HONE_ARGV_MAX);
	if (copy_from_user_nofault(dst, (const void __user *)mm->arg_start, len))
		return 0;
	dst[len - 1] = '\0';
	return len;
}

struct file *hone_mm_exe(struct mm_struct *mm)
{
	struct file *f;

	rcu_read_lock();
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	f = get_file_rcu(&mm->exe_file);
#else
	f = rcu_dereference(mm->exe_file);
	if (f && !get_file_rcu(f))
		f = NULL;
#endif
	rcu_read_unlock();
	return f;
}

static void probe_exec(void *data, struct task_struct *p, pid_t old_pid,
		       struct linux_binprm *bprm)
{
	struct proc_scratch *s = this_cpu_ptr(&proc_scratch);
	struct hone_rec_proc rec;

	hone_proc_fill(&rec, p);
	rec.event = HONE_PROC_EXEC;
	rec.path_len = scratch_path(s, &bprm->file->f_path);
	rec.argv_len = scratch_argv(s->data + rec.path_len, p->mm);
	hone_proc_cache_put(p->tgid, rec.start, s->data, rec.path_len, rec.argv_len,
			    GFP_ATOMIC);
	proc_emit(&rec, s->data);
}

/* Runs in the parent, after copy_process; threads are not processes. */
static void probe_fork(void *data, struct task_struct *parent, struct task_struct *child)
{
	struct proc_scratch *s = this_cpu_ptr(&proc_scratch);
	struct hone_rec_proc rec;
	struct hone_proc *e;
	struct file *exe;

	if (child->pid != child->tgid)
		return;
	hone_proc_fill(&rec, child);
	if (child->flags & PF_KTHREAD) {
		rec.event = HONE_PROC_KTHREAD;
		proc_emit(&rec, NULL);
		return;
	}
	rec.event = HONE_PROC_FORK;
	rcu_read_lock();
	e = cache_find(parent->tgid);
	if (e) {
		rec.path_len = e->path_len;
		rec.argv_len = e->argv_len;
		memcpy(s->data, e->data, e->path_len + e->argv_len);
	}
	rcu_read_unlock();
	if (!e && current->mm) {
		exe = hone_mm_exe(current->mm);
		if (exe) {
			rec.path_len = scratch_path(s, &exe->f_path);
			fput(exe);
		}
		rec.argv_len = scratch_argv(s->data + rec.path_len, current->mm);
	}
	hone_proc_cache_put(child->tgid, rec.start, s->data, rec.path_len,
			    rec.argv_len, GFP_ATOMIC);
	proc_emit(&rec, s->data);
}

/* Once per thread; the process is gone when the last one leaves. */
static void probe_exit(void *data, struct task_struct *p)
{
	struct proc_scratch *s = this_cpu_ptr(&proc_scratch);
	struct hone_rec_proc rec;
	struct hone_proc *e;

	if (atomic_read(&p->signal->live))
		return;
	hone_proc_fill(&rec, p);
	rec.event = HONE_PROC_EXIT;
	rec.exit_code = p->exit_code;
	rcu_read_lock();
	e = cache_find(p->tgid);
	if (e) {
		rec.path_len = e->path_len;
		rec.argv_len = e->argv_len;
		memcpy(s->data, e->data, e->path_len + e->argv_len);
	}
	rcu_read_unlock();
	proc_emit(&rec, s->data);
	cache_del(p->tgid);
}

static struct hone_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;
} hone_tps[] = {
	{ "sched_process_fork", probe_fork },
	{ "sched_process_exec", probe_exec },
	{ "sched_process_exit", probe_exit },
};

static void tp_find(struct tracepoint *tp, void *priv)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hone_tps); i++)
		if (!strcmp(tp->name, hone_tps[i].name))
			hone_tps[i].tp = tp;
}

static void tps_unregister(size_t n)
{
	while (n--)
		tracepoint_probe_unregister(hone_tps[n].tp, hone_tps[n].probe, NULL);
	tracepoint_synchronize_unregister();
}

int hone_process_init(void)
{
	size_t i;
	int ret;

	for_each_kernel_tracepoint(tp_find, NULL);
	for (i = 0; i < ARRAY_SIZE(hone_tps); i++) {
		ret = -ENOENT;
		if (!hone_tps[i].tp) {
			pr_err("tracepoint %s not found\n", hone_tps[i].name);
			goto err;
		}
		ret = tracepoint_probe_register(hone_tps[i].tp, hone_tps[i].probe, NULL);
		if (ret)
			goto err;
	}
	return 0;
err:
	tps_unregister(i);
	return ret;
}

void hone_process_exit(void)
{
	struct hone_proc *e;
	struct hlist_node *tmp;
	int bkt;

	tps_unregister(ARRAY_SIZE(hone_tps));
	spin_lock(&proc_cache_lock);
	hash_for_each_safe(proc_cache, bkt, tmp, e, node) {
		hash_del_rcu(&e->node);
		kfree_rcu(e, rcu);
	}
	proc_cache_count = 0;
	spin_unlock(&proc_cache_lock);
}
