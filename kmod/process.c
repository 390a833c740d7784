// SPDX-License-Identifier: GPL-2.0
/*
 * Process events from the sched_process_{fork,exec,exit} tracepoints, found
 * by name (their symbols are not exported). Probes run with preemption off:
 * nothing here sleeps. Exe, argv and #! script are copied at exec into a
 * cache by tgid, because at exit the mm is gone, and a forked child starts
 * with its parent's.
 */
#include <linux/tracepoint.h>
#include <linux/cgroup.h>
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
#include <linux/nsproxy.h>
#include <linux/ns_common.h>
#include <linux/proc_ns.h>
#include <linux/kdev_t.h>
#include <linux/sched/task.h>
#include "sensor.h"

struct hone_proc {
	struct hlist_node node;
	struct rcu_head rcu;
	pid_t tgid;
	u64 start;
	u64 exe_dev, exe_ino;
	u64 script_dev, script_ino;
	u64 image;
	struct hone_ahead __rcu *ahead;	/* a verdict given ahead, or NULL */
	u16 path_len, argv_len, script_len;
	char data[];
};

/* HONE_PROC_IMAGE: the last one given. */
static atomic64_t proc_images = ATOMIC64_INIT(0);

/* Sized for the largest proc_max: chains stay short when it is full. */
static DEFINE_HASHTABLE(proc_cache, 15);
static DEFINE_SPINLOCK(proc_cache_lock);
static unsigned int proc_cache_count;

/* Per-CPU room to build one event's path and argv: probes do not nest. */
struct proc_scratch {
	char path[HONE_PATH_MAX];
	char data[HONE_PROC_DATA_MAX];
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

/* Under rcu_read_lock: tgid's executable path, NULL if unknown, and its
 * image. */
const char *hone_proc_exe(pid_t tgid, u16 *len, u64 *image)
{
	struct hone_proc *e = cache_find(tgid);

	*len = e ? e->path_len : 0;
	*image = e ? e->image : 0;
	return e ? e->data : NULL;
}

/* tgid's image gets verdict a (NULL: none); the caller's a is the
 * cache's unless -ESRCH: tgid is not known or runs another image now. An
 * exec or a fork makes a new entry: its verdict starts anew. */
int hone_proc_ahead_set(pid_t tgid, u64 image, struct hone_ahead *a)
{
	struct hone_ahead *old = NULL;
	struct hone_proc *e;
	int ret = -ESRCH;

	spin_lock(&proc_cache_lock);
	e = cache_find(tgid);
	if (e && image && e->image == image) {
		old = rcu_dereference_protected(e->ahead,
						lockdep_is_held(&proc_cache_lock));
		rcu_assign_pointer(e->ahead, a);
		ret = 0;
	}
	spin_unlock(&proc_cache_lock);
	if (old)
		kfree_rcu(old, rcu);
	return ret;
}

/* Under rcu_read_lock: the verdict given tgid's image, NULL if none. */
const struct hone_ahead *hone_proc_ahead(pid_t tgid, u64 image)
{
	struct hone_proc *e = cache_find(tgid);

	return e && image && e->image == image ? rcu_dereference(e->ahead) : NULL;
}

/* Once RCU readers are done with e. Under proc_cache_lock. */
static void cache_free(struct hone_proc *e)
{
	struct hone_ahead *a = rcu_dereference_protected(e->ahead,
							 lockdep_is_held(&proc_cache_lock));

	if (a)
		kfree_rcu(a, rcu);
	kfree_rcu(e, rcu);
}

static void cache_del(pid_t tgid)
{
	struct hone_proc *e;

	spin_lock(&proc_cache_lock);
	e = cache_find(tgid);
	if (e) {
		hash_del_rcu(&e->node);
		proc_cache_count--;
		cache_free(e);
	}
	spin_unlock(&proc_cache_lock);
}

/* Remember the exe and argv of rec's process, a new image (in rec->image,
 * 0 if not kept). An exec replaces; a snapshot only fills in (gfp allows
 * sleeping) so that it never overwrites a newer exec. A full cache refuses
 * the entry, counted in hone_proc_full. */
void hone_proc_cache_put(struct hone_rec_proc *rec, const char *data, gfp_t gfp)
{
	bool replace = !gfpflags_allow_blocking(gfp);
	u32 len = rec->path_len + rec->argv_len + rec->script_len;
	struct hone_proc *e, *old;

	rec->image = 0;
	e = kmalloc(struct_size(e, data, len), gfp);
	if (!e)
		return;
	e->tgid = rec->pid;
	e->image = atomic64_inc_return(&proc_images);
	RCU_INIT_POINTER(e->ahead, NULL);
	e->start = rec->start;
	e->exe_dev = rec->exe_dev;
	e->exe_ino = rec->exe_ino;
	e->script_dev = rec->script_dev;
	e->script_ino = rec->script_ino;
	e->path_len = rec->path_len;
	e->argv_len = rec->argv_len;
	e->script_len = rec->script_len;
	memcpy(e->data, data, len);

	spin_lock(&proc_cache_lock);
	old = cache_find(rec->pid);
	if (old && !replace)
		goto drop;
	if (!old && proc_cache_count >= READ_ONCE(hone_proc_max)) {
		atomic64_inc(&hone_proc_full);
		goto drop;
	}
	if (old) {
		hash_del_rcu(&old->node);
		cache_free(old);
	} else {
		proc_cache_count++;
	}
	hash_add_rcu(proc_cache, &e->node, rec->pid);
	/* Once unlocked, e is another exec's to free. */
	rec->image = e->image;
	spin_unlock(&proc_cache_lock);
	return;
drop:
	spin_unlock(&proc_cache_lock);
	kfree(e);
}

/* struct mnt_namespace is private to fs/; from 6.1 to 6.12 its first
 * member is its ns_common. hone_process_init checks that on a live one
 * (the type its operations name) and leaves mntns 0 otherwise. */
static bool mntns_layout_ok;

static u32 mntns_inum(struct task_struct *p)
{
	const struct ns_common *ns;
	u32 inum = 0;

	if (!mntns_layout_ok)
		return 0;
	task_lock(p);
	if (p->nsproxy && p->nsproxy->mnt_ns) {
		ns = (const struct ns_common *)p->nsproxy->mnt_ns;
		inum = ns->inum;
	}
	task_unlock(p);
	return inum;
}

static bool mntns_layout_check(void)
{
	const struct ns_common *ns = NULL;
	bool ok;

	task_lock(current);
	if (current->nsproxy && current->nsproxy->mnt_ns)
		ns = (const struct ns_common *)current->nsproxy->mnt_ns;
	ok = ns && ns->ops && ns->ops->type == CLONE_NEWNS && ns->inum;
	task_unlock(current);
	return ok;
}

/* The identity of the executable, as stat(2) shows it. Takes no lock. */
void hone_proc_set_exe(struct hone_rec_proc *rec, struct file *exe)
{
	struct inode *inode = file_inode(exe);

	rec->exe_dev = huge_encode_dev(inode->i_sb->s_dev);
	rec->exe_ino = inode->i_ino;
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
	rec->mntns = mntns_inum(p);
}

/* What the cache knows of tgid's exe (its parent's at fork) into rec and
 * data; false if nothing. */
bool hone_proc_cache_copy(pid_t tgid, struct hone_rec_proc *rec, char *data)
{
	struct hone_proc *e;

	rcu_read_lock();
	e = cache_find(tgid);
	if (e) {
		rec->path_len = e->path_len;
		rec->argv_len = e->argv_len;
		rec->script_len = e->script_len;
		rec->exe_dev = e->exe_dev;
		rec->exe_ino = e->exe_ino;
		rec->script_dev = e->script_dev;
		rec->script_ino = e->script_ino;
		rec->image = e->image;
		memcpy(data, e->data, e->path_len + e->argv_len + e->script_len);
	}
	rcu_read_unlock();
	return e;
}

/* p's cgroup in the v2 hierarchy, its path after rec's other data. Under
 * kernfs's rename lock, which never sleeps. */
void hone_proc_set_cgroup(struct hone_rec_proc *rec, struct task_struct *p,
			  char *data)
{
	char *dst = data + rec->path_len + rec->argv_len + rec->script_len;
	struct cgroup *cg;
	int len;

	rcu_read_lock();
	cg = task_dfl_cgroup(p);
	rec->cgroup_id = cgroup_id(cg);
	len = cgroup_path(cg, dst, HONE_PATH_MAX);
	rcu_read_unlock();
	/* A path cut short names another cgroup: none rather than that. */
	if (len <= 0 || len >= HONE_PATH_MAX)
		rec->cgroup_id = 0;
	rec->cgroup_len = rec->cgroup_id ? len : 0;
}

static void proc_emit(struct hone_rec_proc *rec, struct task_struct *p,
		      char *data)
{
	struct hone_payload pl = { .buf = data };

	if (rec->event != HONE_PROC_EXIT && rec->event != HONE_PROC_KTHREAD)
		hone_proc_set_cgroup(rec, p, data);
	pl.len = hone_proc_data_len(rec);
	hone_readers_emit(&rec->h, sizeof(*rec), &pl);
}

/*
 * #! scripts. By the exec tracepoint the script's file is closed: the
 * interpreter took its place. A hook on load_script holds the file
 * execve(2) named, by the task that execs, until the tracepoint; a failed
 * exec's is let go at the task's next exec or exit. Execs of one process
 * are serialised (cred_guard_mutex): a slot per exec in flight.
 */
#define HONE_SCRIPTS_MAX	128

static struct hone_script {
	struct task_struct *task;
	const struct linux_binprm *bprm;
	struct file *file;
} scripts[HONE_SCRIPTS_MAX];
static DEFINE_SPINLOCK(scripts_lock);
/* Slots in use: every thread's exit looks, and most find none. */
static atomic_t scripts_held = ATOMIC_INIT(0);

/* t's slot, or with new a free one; NULL if none. Under scripts_lock. */
static struct hone_script *script_slot(struct task_struct *t, bool new)
{
	struct hone_script *free = NULL;
	size_t i;

	for (i = 0; i < HONE_SCRIPTS_MAX; i++) {
		if (scripts[i].task == t)
			return &scripts[i];
		if (!free && !scripts[i].task)
			free = &scripts[i];
	}
	return new ? free : NULL;
}

/* t's held script, if its bprm is this one, else NULL; the slot is free. */
static struct file *script_take(struct task_struct *t,
				const struct linux_binprm *bprm)
{
	struct hone_script *s;
	struct file *f = NULL;

	if (!atomic_read(&scripts_held))
		return NULL;
	spin_lock(&scripts_lock);
	s = script_slot(t, false);
	if (s) {
		f = s->file;
		if (s->bprm != bprm) {
			fput(f);
			f = NULL;
		}
		memset(s, 0, sizeof(*s));
		atomic_dec(&scripts_held);
	}
	spin_unlock(&scripts_lock);
	return f;
}

/* load_script(bprm) */
static void ft_script(unsigned long ip, unsigned long parent_ip,
		      struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	struct linux_binprm *bprm =
		(struct linux_binprm *)HONE_HOOK_ARG(fregs, 0);
	struct hone_script *s;
	struct file *old;

	/* Only the file execve named: an interpreter may be a script too,
	 * and binfmt_script's own test for #! comes after this one. */
	if (bprm->interp != bprm->filename || bprm->buf[0] != '#' ||
	    bprm->buf[1] != '!')
		return;
	spin_lock(&scripts_lock);
	s = script_slot(current, true);
	if (!s) {
		spin_unlock(&scripts_lock);
		atomic64_inc(&hone_script_lost);
		return;
	}
	old = s->file;
	if (!old)
		atomic_inc(&scripts_held);
	s->task = current;
	s->bprm = bprm;
	s->file = get_file(bprm->file);
	spin_unlock(&scripts_lock);
	if (old)
		fput(old);
}

static struct hone_hook script_hook = HONE_HOOK("load_script", ft_script);
static bool script_hooked;

/* The script of an exec, into rec after its path and argv. */
static void script_set(struct hone_rec_proc *rec, struct proc_scratch *s,
		       const struct linux_binprm *bprm)
{
	struct file *f = script_take(current, bprm);
	char *str;

	/* Not through an interpreter: no script, and no loss. */
	if (bprm->interp == bprm->filename) {
		if (f)
			fput(f);
		return;
	}
	if (!f) {
		if (!strncmp(bprm->buf, "#!", 2))
			atomic64_inc(&hone_script_lost);
		return;
	}
	str = d_path(&f->f_path, s->path, sizeof(s->path));
	if (!IS_ERR(str)) {
		rec->script_len = strlen(str);
		memcpy(s->data + rec->path_len + rec->argv_len, str,
		       rec->script_len);
		rec->script_dev = huge_encode_dev(file_inode(f)->i_sb->s_dev);
		rec->script_ino = file_inode(f)->i_ino;
	}
	fput(f);
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
	/* begin_new_exec made bprm->file the new mm's exe_file. */
	rec.path_len = scratch_path(s, &bprm->file->f_path);
	hone_proc_set_exe(&rec, bprm->file);
	rec.argv_len = scratch_argv(s->data + rec.path_len, p->mm);
	script_set(&rec, s, bprm);
	hone_proc_cache_put(&rec, s->data, GFP_ATOMIC);
	proc_emit(&rec, p, s->data);
}

/* Runs in the parent, after copy_process; threads are not processes. */
static void probe_fork(void *data, struct task_struct *parent, struct task_struct *child)
{
	struct proc_scratch *s = this_cpu_ptr(&proc_scratch);
	struct hone_rec_proc rec;
	struct file *exe;

	if (child->pid != child->tgid)
		return;
	hone_proc_fill(&rec, child);
	if (child->flags & PF_KTHREAD) {
		rec.event = HONE_PROC_KTHREAD;
		proc_emit(&rec, child, NULL);
		return;
	}
	rec.event = HONE_PROC_FORK;
	if (!hone_proc_cache_copy(parent->tgid, &rec, s->data) && current->mm) {
		exe = hone_mm_exe(current->mm);
		if (exe) {
			rec.path_len = scratch_path(s, &exe->f_path);
			hone_proc_set_exe(&rec, exe);
			fput(exe);
		}
		rec.argv_len = scratch_argv(s->data + rec.path_len, current->mm);
	}
	hone_proc_cache_put(&rec, s->data, GFP_ATOMIC);
	proc_emit(&rec, child, s->data);
}

/* Once per thread; the process is gone when the last one leaves. */
static void probe_exit(void *data, struct task_struct *p)
{
	struct proc_scratch *s = this_cpu_ptr(&proc_scratch);
	struct hone_rec_proc rec;

	script_take(p, NULL);	/* a failed exec's, let go */
	if (atomic_read(&p->signal->live))
		return;
	hone_proc_fill(&rec, p);
	rec.event = HONE_PROC_EXIT;
	rec.exit_code = p->exit_code;
	hone_proc_cache_copy(p->tgid, &rec, s->data);
	proc_emit(&rec, p, s->data);
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

	mntns_layout_ok = mntns_layout_check();
	if (!mntns_layout_ok)
		pr_warn("mount namespace layout unknown: mntns will be 0\n");
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
	/* Without it, scripts are not known: each exec of one is counted. */
	script_hooked = !hone_hook_on(&script_hook);
	if (!script_hooked)
		pr_warn("no hook on load_script: #! scripts will not be known\n");
	return 0;
err:
	tps_unregister(i);
	return ret;
}

void hone_process_exit(void)
{
	struct hone_proc *e;
	struct hlist_node *tmp;
	size_t i;
	int bkt;

	if (script_hooked)
		hone_hook_off(&script_hook);
	tps_unregister(ARRAY_SIZE(hone_tps));
	for (i = 0; i < HONE_SCRIPTS_MAX; i++)
		if (scripts[i].file)
			fput(scripts[i].file);
	memset(scripts, 0, sizeof(scripts));
	atomic_set(&scripts_held, 0);
	spin_lock(&proc_cache_lock);
	hash_for_each_safe(proc_cache, bkt, tmp, e, node) {
		hash_del_rcu(&e->node);
		cache_free(e);
	}
	proc_cache_count = 0;
	spin_unlock(&proc_cache_lock);
}
