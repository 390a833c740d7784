// SPDX-License-Identifier: GPL-2.0
/*
 * Socket events from ftrace callbacks on security_socket_post_create (the
 * creator), security_sock_graft (the acceptor) and inet_sock_destruct
 * (final free). The owner of each socket is kept by socket cookie, so
 * packets find it after close() and, for TCP, during TIME_WAIT (which
 * keeps the cookie).
 */
#include <linux/net.h>
#include <linux/hashtable.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/sock_diag.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/cred.h>
#include <linux/user_namespace.h>
#include <net/sock.h>
#include <net/inet_sock.h>
#include <net/tcp.h>
#include "sensor.h"

#define HONE_OWNER_GRACE	(TCP_TIMEWAIT_LEN + 5 * HZ)
/* Entries freed per hold of owner_lock by the reaper and at exit. */
#define HONE_OWNER_BATCH	256

/*
 * The table holds at most hone_owner_max entries: owners of live sockets,
 * and "graves", owners of freed sockets kept for their last packets until
 * HONE_OWNER_GRACE ends (request socks' inherited owners are graves from
 * the start). When it is full a new entry takes the place of a grave, its
 * own uid's oldest first, else anyone's oldest; with no grave left it is
 * refused. One uid holds at most owner_uid_max live entries, so neither a
 * flood of short-lived sockets nor many open ones take the owners of other
 * users' sockets away; the ids of a user namespace count as its owner's
 * (a user's subordinate uids are that user's), those of one root made as
 * one user of its own. Every refusal is counted in hone_owner_full.
 */
struct hone_uid {
	struct hlist_node node;		/* owner_uids */
	struct list_head graves;	/* its freed sockets, oldest first */
	u64 key;			/* hone_uid_charged() */
	u32 live;			/* its entries of sockets not freed */
	u32 entries;			/* all its entries, and one being added */
};

struct hone_owner {
	struct hlist_node node;		/* owners, RCU */
	struct list_head grave;		/* owner_graves, oldest first */
	struct list_head uid_grave;	/* its uid's graves */
	struct hone_uid *u;
	struct rcu_head rcu;
	u64 cookie;
	unsigned long freed;		/* jiffies | 1; 0 while the socket lives */
	u64 told;			/* keyed hash of the addresses last told */
	unsigned long told_at;		/* jiffies */
	u64 image;			/* the creator's, HONE_PROC_IMAGE */
	u32 pid, tid, uid;
	u64 charged;			/* hone_uid_charged() */
	u16 exe_len;
	char exe[];
};

static struct hlist_head *owners;	/* 1 << owner_bits buckets */
static unsigned int owner_bits;
static DEFINE_HASHTABLE(owner_uids, 6);	/* under owner_lock */
static LIST_HEAD(owner_graves);
static DEFINE_SPINLOCK(owner_lock);
static unsigned int owner_count;
static void owner_reap(struct work_struct *work);
static DECLARE_DELAYED_WORK(owner_reaper, owner_reap);

u64 hone_sock_cookie(struct sock *sk)
{
	u32 c[2];

	sock_diag_save_cookie(sk, c);
	return c[0] | (u64)c[1] << 32;
}

static struct hlist_head *owner_bucket(u64 cookie)
{
	return &owners[hash_64(cookie, owner_bits)];
}

static struct hone_owner *owner_find(u64 cookie)
{
	struct hone_owner *o;

	hlist_for_each_entry_rcu(o, owner_bucket(cookie), node,
				 lockdep_is_held(&owner_lock))
		if (o->cookie == cookie)
			return o;
	return NULL;
}

/* Under rcu_read_lock. */
struct hone_owner *hone_owner_find(u64 cookie)
{
	return owner_find(cookie);
}

/* Whether a flow event for the addresses hashed as flow was sent last for
 * o's socket, less than HONE_FLOW_RETELL_SEC ago; they are the last from
 * now on. Told again after a while, a flow that a reader forgot while it
 * was idle is told before its next packet. Racing packets of one socket
 * may tell it twice, never not at all. Under rcu_read_lock. */
bool hone_owner_told(struct hone_owner *o, u64 flow)
{
	unsigned long now = jiffies;

	if (READ_ONCE(o->told) == flow &&
	    time_before(now, READ_ONCE(o->told_at) + HONE_FLOW_RETELL_SEC * HZ))
		return true;
	WRITE_ONCE(o->told_at, now);
	WRITE_ONCE(o->told, flow);
	return false;
}

void hone_owner_get(const struct hone_owner *o, u32 *pid, u32 *tid,
		    const char **exe, u16 *exe_len)
{
	*pid = o->pid;
	*tid = o->tid;
	*exe = o->exe;
	*exe_len = o->exe_len;
}

/* The conntrack mark of the verdict given ahead (generation gen) for the
 * image that made o's socket, for remote port port; 0 if none. Under
 * rcu_read_lock. */
u32 hone_owner_ahead(const struct hone_owner *o, u32 gen, u16 port)
{
	return hone_ahead_mark(hone_proc_ahead(o->pid, o->image), o->uid, gen,
			       port);
}

static unsigned int owner_uid_max(void)
{
	return READ_ONCE(hone_owner_uid_max) ?: hone_owner_max / 4;
}

/* The counters of key, with one entry held for the caller; NULL if there
 * is no memory. Under owner_lock, like everything below. */
static struct hone_uid *owner_uid_hold(u64 key)
{
	struct hone_uid *u;

	hash_for_each_possible(owner_uids, u, node, key)
		if (u->key == key)
			goto found;
	u = kzalloc(sizeof(*u), GFP_ATOMIC);
	if (!u)
		return NULL;
	u->key = key;
	INIT_LIST_HEAD(&u->graves);
	hash_add(owner_uids, &u->node, key);
found:
	u->entries++;
	return u;
}

static void owner_uid_release(struct hone_uid *u)
{
	if (--u->entries)
		return;
	hash_del(&u->node);
	kfree(u);
}

static void owner_bury(struct hone_owner *o)
{
	if (!o->freed)
		o->freed = jiffies | 1;
	list_add_tail(&o->grave, &owner_graves);
	list_add_tail(&o->uid_grave, &o->u->graves);
}

/* o takes the entry held in u. */
static void owner_link(struct hone_owner *o, struct hone_uid *u)
{
	o->u = u;
	hlist_add_head_rcu(&o->node, owner_bucket(o->cookie));
	if (o->freed)
		owner_bury(o);
	else
		u->live++;
	owner_count++;
}

static void owner_unlink(struct hone_owner *o)
{
	hlist_del_rcu(&o->node);
	if (o->freed) {
		list_del(&o->grave);
		list_del(&o->uid_grave);
	} else {
		o->u->live--;
	}
	owner_uid_release(o->u);
	owner_count--;
	kfree_rcu(o, rcu);
}

/* Room for one more entry of u: a grave goes if the table is full. */
static bool owner_room(struct hone_uid *u)
{
	struct hone_owner *o;

	if (owner_count < hone_owner_max)
		return true;
	o = list_first_entry_or_null(&u->graves, struct hone_owner, uid_grave);
	if (!o)
		o = list_first_entry_or_null(&owner_graves, struct hone_owner, grave);
	if (!o)
		return false;
	owner_unlink(o);
	return true;
}

/* Adds o in place of old (if any); false if it is refused. */
static bool owner_insert(struct hone_owner *o, struct hone_owner *old)
{
	struct hone_uid *u = owner_uid_hold(o->charged);
	u32 live;

	if (!u) {
		atomic64_inc(&hone_conn_lost);
		return false;
	}
	live = u->live - (old && old->u == u && !old->freed);
	if ((!o->freed && live >= owner_uid_max()) || (!old && !owner_room(u))) {
		atomic64_inc(&hone_owner_full);
		owner_uid_release(u);
		return false;
	}
	if (old)
		owner_unlink(old);
	owner_link(o, u);
	return true;
}

/* A user namespace root made (a container's) has a cap of its own, keyed
 * apart from every uid. */
#define HONE_CHARGED_NS		BIT_ULL(32)

/* Whose cap c's entries count against: its uid's; in a user namespace,
 * the uid of the user who made it (of the outermost one, below the
 * initial): a user's subordinate uids are that user's. One root made is
 * its own, so that its tenants do not take root's room. */
static u64 hone_uid_charged(const struct cred *c)
{
	const struct user_namespace *ns, *top = NULL;

	for (ns = c->user_ns; ns && ns != &init_user_ns; ns = ns->parent)
		top = ns;
	if (!top)
		return from_kuid_munged(&init_user_ns, c->euid);
	if (uid_eq(top->owner, GLOBAL_ROOT_UID))
		return HONE_CHARGED_NS | top->ns.inum;
	return from_kuid_munged(&init_user_ns, top->owner);
}

/* Record p as the owner of sk; replace says whether a known owner yields.
 * Any context: the allocation is atomic (exe is copied under RCU). */
void hone_owner_add(struct sock *sk, struct task_struct *p, bool replace)
{
	u64 cookie = hone_sock_cookie(sk);
	struct hone_owner *o, *old;
	unsigned long flags;
	const char *exe;
	u16 len = 0;
	u64 image;

	rcu_read_lock();
	exe = hone_proc_exe(p->tgid, &len, &image);
	o = kmalloc(struct_size(o, exe, len), GFP_ATOMIC);
	if (o && len)
		memcpy(o->exe, exe, len);
	if (o) {
		o->uid = from_kuid_munged(&init_user_ns, __task_cred(p)->euid);
		o->charged = hone_uid_charged(__task_cred(p));
	}
	rcu_read_unlock();
	if (!o) {
		atomic64_inc(&hone_conn_lost);
		return;
	}
	o->cookie = cookie;
	o->freed = 0;
	o->told = 0;
	o->image = image;
	o->pid = p->tgid;
	o->tid = p->pid;
	o->exe_len = len;

	spin_lock_irqsave(&owner_lock, flags);
	old = owner_find(cookie);
	if ((old && !replace) || !owner_insert(o, old)) {
		spin_unlock_irqrestore(&owner_lock, flags);
		kfree(o);
		return;
	}
	spin_unlock_irqrestore(&owner_lock, flags);
}

/* A request sock (and the child that keeps its cookie) belongs to its
 * listener's owner until accept() names the real one. The entry is reaped
 * like a freed socket's, so requests never accepted do not pile up; a
 * child still waiting after that inherits again. Any context. */
void hone_owner_inherit(u64 cookie, const struct hone_owner *from)
{
	struct hone_owner *o;
	unsigned long flags;

	o = kmemdup(from, struct_size(from, exe, from->exe_len), GFP_ATOMIC);
	if (!o)
		return;
	o->cookie = cookie;
	o->freed = jiffies | 1;
	o->told = 0;
	spin_lock_irqsave(&owner_lock, flags);
	if (owner_find(cookie) || !owner_insert(o, NULL)) {
		spin_unlock_irqrestore(&owner_lock, flags);
		kfree(o);
		return;
	}
	spin_unlock_irqrestore(&owner_lock, flags);
}

void hone_conn_fill(struct hone_rec_conn *rec, struct sock *sk, u32 event)
{
	memset(rec, 0, sizeof(*rec));
	rec->h.type = HONE_REC_CONN;
	rec->h.ts = ktime_get_real_ns();
	rec->event = event;
	rec->cookie = hone_sock_cookie(sk);
	rec->family = sk->sk_family;
	rec->type = sk->sk_type;
	rec->proto = sk->sk_protocol;
	rec->uid = from_kuid_munged(&init_user_ns, sk->sk_uid);
	rec->netns = sock_net(sk)->ns.inum;
	rec->lport = ntohs(inet_sk(sk)->inet_sport);
	rec->rport = ntohs(sk->sk_dport);
	if (sk->sk_socket)
		rec->inode = SOCK_INODE(sk->sk_socket)->i_ino;
	if (sk->sk_family == AF_INET) {
		memcpy(rec->laddr, &sk->sk_rcv_saddr, 4);
		memcpy(rec->raddr, &sk->sk_daddr, 4);
#if IS_ENABLED(CONFIG_IPV6)
	} else {
		memcpy(rec->laddr, &sk->sk_v6_rcv_saddr, 16);
		memcpy(rec->raddr, &sk->sk_v6_daddr, 16);
#endif
	}
}

static void conn_emit(struct sock *sk, u32 event, u32 pid, u32 tid)
{
	static const struct hone_payload none;
	struct hone_rec_conn rec;

	hone_conn_fill(&rec, sk, event);
	rec.pid = pid;
	rec.tid = tid;
	hone_readers_emit(&rec.h, sizeof(rec), &none);
}

static bool family_inet(int family)
{
	return family == AF_INET || family == AF_INET6;
}

/* security_socket_post_create(sock, family, type, protocol, kern) */
static void ft_create(unsigned long ip, unsigned long parent_ip,
		      struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	struct socket *sock = (struct socket *)HONE_HOOK_ARG(fregs, 0);
	int family = HONE_HOOK_ARG(fregs, 1);
	int kern = HONE_HOOK_ARG(fregs, 4);

	/* Kernel sockets (TCP's RST senders among them) have no owner. */
	if (kern || !family_inet(family) || !sock->sk)
		return;
	hone_owner_add(sock->sk, current, true);
	conn_emit(sock->sk, HONE_CONN_OPEN, current->tgid, current->pid);
}

/* security_sock_graft(sk, parent): accept(), in the acceptor. */
static void ft_graft(unsigned long ip, unsigned long parent_ip,
		     struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	struct sock *sk = (struct sock *)HONE_HOOK_ARG(fregs, 0);

	if (!family_inet(sk->sk_family))
		return;
	hone_owner_add(sk, current, true);
	conn_emit(sk, HONE_CONN_ACCEPT, current->tgid, current->pid);
}

/* inet_sock_destruct(sk): any context, the sock is going away. */
static void ft_destruct(unsigned long ip, unsigned long parent_ip,
			struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	struct sock *sk = (struct sock *)HONE_HOOK_ARG(fregs, 0);
	u64 cookie = atomic64_read(&sk->sk_cookie);
	struct hone_owner *o;
	unsigned long flags;
	u32 pid = 0, tid = 0;

	if (!cookie)
		return;
	spin_lock_irqsave(&owner_lock, flags);
	o = owner_find(cookie);
	if (o && !o->freed) {
		pid = o->pid;
		tid = o->tid;
		o->u->live--;
		owner_bury(o);
	}
	spin_unlock_irqrestore(&owner_lock, flags);
	if (pid)
		conn_emit(sk, HONE_CONN_CLOSE, pid, tid);
}

/* The free first, before the first owner: every owner is told closing. */
static struct hone_hook hone_hooks[] = {
	HONE_HOOK("inet_sock_destruct", ft_destruct),
	HONE_HOOK("security_socket_post_create", ft_create),
	HONE_HOOK("security_sock_graft", ft_graft),
};

/* The hooks before hooks[n], last first. */
static void hooks_off(size_t n)
{
	while (n--)
		hone_hook_off(&hone_hooks[n]);
}

/* Frees the graves whose time is up, a batch per hold of the lock. */
static void owner_reap(struct work_struct *work)
{
	struct hone_owner *o;
	unsigned long flags;
	unsigned int n;

	do {
		spin_lock_irqsave(&owner_lock, flags);
		for (n = 0; n < HONE_OWNER_BATCH; n++) {
			o = list_first_entry_or_null(&owner_graves, struct hone_owner, grave);
			if (!o || time_before(jiffies, o->freed + HONE_OWNER_GRACE))
				break;
			owner_unlink(o);
		}
		spin_unlock_irqrestore(&owner_lock, flags);
		cond_resched();
	} while (n == HONE_OWNER_BATCH);
	schedule_delayed_work(&owner_reaper, 5 * HZ);
}

int hone_socket_init(void)
{
	size_t i;
	int ret;

	/* Two entries per bucket when full. */
	owner_bits = ilog2(roundup_pow_of_two(max(hone_owner_max / 2, 64U)));
	owners = kvcalloc(1U << owner_bits, sizeof(*owners), GFP_KERNEL);
	if (!owners)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(hone_hooks); i++) {
		ret = hone_hook_on(&hone_hooks[i]);
		if (ret)
			goto err_hooks;
	}
	schedule_delayed_work(&owner_reaper, 5 * HZ);
	return 0;
err_hooks:
	hooks_off(i);
	kvfree(owners);
	owners = NULL;
	return ret;
}

/* Frees every entry of bucket b; false once past the last. */
static bool owner_free_bucket(unsigned int b)
{
	struct hone_owner *o;
	struct hlist_node *tmp;
	unsigned long flags;

	if (b >= 1U << owner_bits)
		return false;
	spin_lock_irqsave(&owner_lock, flags);
	hlist_for_each_entry_safe(o, tmp, &owners[b], node)
		owner_unlink(o);
	spin_unlock_irqrestore(&owner_lock, flags);
	return true;
}

void hone_socket_exit(void)
{
	unsigned int b;

	hooks_off(ARRAY_SIZE(hone_hooks));
	cancel_delayed_work_sync(&owner_reaper);
	/* The packet hooks are gone too: nobody else walks the table now. */
	for (b = 0; owner_free_bucket(b); b++)
		if (b % HONE_OWNER_BATCH == 0)
			cond_resched();
	kvfree(owners);
	owners = NULL;
}
