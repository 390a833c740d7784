/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hone.ko internals: the records producers put in each reader's ring, the
 * reader, and what each file offers the others.
 */
#ifndef _HONE_SENSOR_H
#define _HONE_SENSOR_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/hrtimer.h>
#include <linux/ftrace.h>
#include <hone/hone.h>

struct sk_buff;
struct nf_hook_state;
struct sock;
struct task_struct;
struct mm_struct;
struct file;

/* Bounds of what is copied at event time. */
#define HONE_PATH_MAX	1024U
#define HONE_ARGV_MAX	2048U
#define HONE_SNAPLEN_MAX 65535U
#define HONE_RING_KB_MAX (64U * 1024U)

enum hone_rec_type {
	HONE_REC_PAD,		/* filler up to the end of the ring */
	HONE_REC_PROC,
	HONE_REC_CONN,
	HONE_REC_PKT,
};

/* Every record is 8-byte aligned; len covers the header and the data. */
struct hone_rec {
	u32 type;
	u32 len;
	u64 ts;			/* ns since the epoch */
};

/* Followed by path_len bytes of path, argv_len of argv, script_len of
 * the #! script's path, cgroup_len of the cgroup's path. */
struct hone_rec_proc {
	struct hone_rec h;
	u32 event, pid, tid, ppid, uid, gid, ruid, rgid, exit_code;
	u16 path_len, argv_len, script_len, cgroup_len;
	u32 mntns;		/* mount namespace inode, 0 if unknown */
	u64 start, ppid_start;
	u64 exe_dev, exe_ino;	/* as stat(2) gives them, 0 if unknown */
	u64 script_dev, script_ino;
	u64 cgroup_id;		/* 0 if unknown */
	u64 image;		/* HONE_PROC_IMAGE, 0 if unknown */
	char comm[16];
	char data[];
};

/* Bytes of a process record's data. */
static inline u32 hone_proc_data_len(const struct hone_rec_proc *p)
{
	return p->path_len + p->argv_len + p->script_len + p->cgroup_len;
}

struct hone_rec_conn {
	struct hone_rec h;
	u64 cookie, inode;
	u32 event, pid, tid, uid, family, type, proto, netns;
	u16 lport, rport;	/* host order */
	u8 laddr[16], raddr[16];
	bool listen;		/* a flow event of a listener */
};

/* Followed by caplen bytes of packet (from the network header), then
 * exe_len bytes of the owner's executable path. */
struct hone_rec_pkt {
	struct hone_rec h;
	u64 cookie;		/* 0: no socket */
	u32 pid, tid;		/* 0: owner unknown */
	u32 dir;		/* HONE_EPB_FLAG_INBOUND or _OUTBOUND */
	u32 len;		/* skb->len */
	u32 caplen;
	u16 exe_len;
	u16 pad;
	u32 ctmark;		/* set by a verdict given ahead, else 0 */
	u32 pad2;
	u8 data[];
};

/* Producers put the data right after the fixed record. */
static_assert(offsetof(struct hone_rec_proc, data) == sizeof(struct hone_rec_proc));
static_assert(offsetof(struct hone_rec_pkt, data) == sizeof(struct hone_rec_pkt));

/* What a producer gives hone_readers_emit besides the fixed record. */
struct hone_payload {
	const void *buf;		/* copied as is */
	u32 len;
	const struct sk_buff *skb;	/* packet: copied up to each snaplen */
	u32 skb_len;
	const void *tail;		/* packet: after the packet bytes */
	u32 tail_len;
};

enum hone_reader_state {
	HONE_RS_HEAD,		/* section header next */
	HONE_RS_SNAP,		/* snapshot in progress */
	HONE_RS_LIVE,
	HONE_RS_TAIL,		/* statistics, then a 0-byte read */
	HONE_RS_END,
};

struct hone_ring {
	u8 *buf;
	u32 size;
	u64 head;		/* producers, under the reader lock */
	u64 tail;		/* consumer only */
};

struct hone_format;

struct hone_reader {
	struct list_head node;		/* hone_readers, RCU */
	spinlock_t lock;		/* ring head, stats, filter */
	wait_queue_head_t wait;
	struct mutex read_lock;		/* one read()/ioctl at a time */
	struct hone_ring ring;
	const struct hone_format *fmt;
	struct hone_stats stats;
	u64 filter_cookie;
	u32 records;			/* HONE_RECORDS_* */
	u32 lazy;			/* HONE_RECORDS_* that wake it late */
	u32 lazy_us;
	unsigned long lazy_armed;	/* bit 0: lazy_timer will wake it */
	struct hrtimer lazy_timer;
	u32 snaplen;
	u64 drops_reported;
	u64 start_ts;

	/* read side, under read_lock */
	enum hone_reader_state state;
	bool restart;
	u8 *out;			/* one formatted block or line */
	size_t out_len, out_off;
	struct hone_rec *scratch;	/* one snapshot record */
	pid_t snap_pid;
	unsigned int snap_fd;
	struct task_struct *snap_task;
};

#define HONE_OUT_SIZE	(128U * 1024U)
#define HONE_PROC_DATA_MAX	(3 * HONE_PATH_MAX + HONE_ARGV_MAX)
#define HONE_SCRATCH_SIZE	(sizeof(struct hone_rec_proc) + HONE_PROC_DATA_MAX)

/* A formatter turns records into bytes for one device. */
struct hone_format {
	size_t (*head)(struct hone_reader *r, u8 *buf, size_t size);
	size_t (*record)(struct hone_reader *r, const struct hone_rec *rec,
			 u8 *buf, size_t size);
	size_t (*stats)(struct hone_reader *r, const struct hone_stats *st,
			u8 *buf, size_t size);
};

extern const struct hone_format hone_pcapng_format;
extern const struct hone_format hone_text_format;

/* main.c */
extern unsigned int hone_ring_kb;
extern unsigned short hone_device_mode;
extern unsigned int hone_device_gid;
extern unsigned int hone_max_readers;
extern unsigned int hone_owner_max;
extern unsigned int hone_owner_uid_max;
extern unsigned int hone_proc_max;

/* ring.c */
int hone_ring_init(struct hone_ring *ring, u32 size);
void hone_ring_free(struct hone_ring *ring);
void *hone_ring_reserve(struct hone_ring *ring, u32 len, u32 limit, u64 *head);
void hone_ring_commit(struct hone_ring *ring, u64 head);
const struct hone_rec *hone_ring_peek(struct hone_ring *ring);
void hone_ring_consume(struct hone_ring *ring, const struct hone_rec *rec);

/* reader.c */
struct hone_reader *hone_reader_create(const struct hone_format *fmt);
void hone_reader_destroy(struct hone_reader *r);
void hone_readers_emit(const struct hone_rec *rec, u32 len,
		       const struct hone_payload *p);
void hone_reader_stats(struct hone_reader *r, struct hone_stats *st);
bool hone_readers_want(u32 records);
int hone_reader_records(struct hone_reader *r, u32 records);
int hone_reader_lazy(struct hone_reader *r, const struct hone_lazy *l);
bool hone_reader_wants(const struct hone_reader *r, const struct hone_rec *rec);
bool hone_reader_keeps(struct hone_reader *r, const struct hone_rec *rec);
bool hone_reader_put(struct hone_reader *r, const struct hone_rec *rec, u32 len,
		     const struct hone_payload *p);
extern atomic64_t hone_packets_lost, hone_proc_lost, hone_conn_lost;
extern atomic64_t hone_owner_full, hone_proc_full, hone_script_lost;

/* A verdict given ahead, for sockets of uid in generation gen;
 * never changed once given. */
struct hone_ahead {
	struct rcu_head rcu;
	u32 uid, gen, n;
	struct hone_prejudge_range range[];
};

/* process.c */
int hone_process_init(void);
void hone_process_exit(void);
void hone_proc_fill(struct hone_rec_proc *rec, struct task_struct *p);
void hone_proc_set_exe(struct hone_rec_proc *rec, struct file *exe);
void hone_proc_set_cgroup(struct hone_rec_proc *rec, struct task_struct *p,
			  char *data);
bool hone_proc_cache_copy(pid_t tgid, struct hone_rec_proc *rec, char *data);
void hone_proc_cache_put(struct hone_rec_proc *rec, const char *data, gfp_t gfp);
const char *hone_proc_exe(pid_t tgid, u16 *len, u64 *image);
int hone_proc_ahead_set(pid_t tgid, u64 image, struct hone_ahead *a);
const struct hone_ahead *hone_proc_ahead(pid_t tgid, u64 image);
struct file *hone_mm_exe(struct mm_struct *mm);

/* hook.c: an ftrace callback on the kernel function fn, which reads the
 * function's arguments with HONE_HOOK_ARG. */
struct hone_hook {
	const char *fn;
	struct ftrace_ops ops;
};
#define HONE_HOOK(name, cb) { .fn = name, .ops = { .func = cb, \
	.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_RECURSION | \
		 FTRACE_OPS_FL_PERMANENT } }
/* SAVE_REGS: the hooked function's registers, never NULL. */
#define HONE_HOOK_ARG(fregs, n) \
	regs_get_kernel_argument(ftrace_get_regs(fregs), n)
int hone_hook_on(struct hone_hook *h);
void hone_hook_off(struct hone_hook *h);

/* socket.c */
int hone_socket_init(void);
void hone_socket_exit(void);
struct hone_owner;
u64 hone_sock_cookie(struct sock *sk);
struct hone_owner *hone_owner_find(u64 cookie);
bool hone_owner_told(struct hone_owner *o, u64 flow);
void hone_owner_get(const struct hone_owner *o, u32 *pid, u32 *tid,
		    const char **exe, u16 *exe_len);
void hone_conn_fill(struct hone_rec_conn *rec, struct sock *sk, u32 event);
void hone_owner_add(struct sock *sk, struct task_struct *p, bool replace);
void hone_owner_inherit(u64 cookie, const struct hone_owner *from);
u32 hone_owner_ahead(const struct hone_owner *o, u32 gen, u16 port);

/* packet.c */
int hone_packet_init(void);
void hone_packet_exit(void);
struct hone_owner *hone_pkt_owner(struct sock *sk, u64 *cookie);
void hone_pkt_fill(struct hone_rec_pkt *rec, struct hone_payload *p,
		   const struct sk_buff *skb, bool in, u64 cookie,
		   const struct hone_owner *o);

/* ahead.c */
u32 hone_ahead_mark(const struct hone_ahead *a, u32 uid, u32 gen, u16 port);
unsigned int hone_ahead_hook(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state);
int hone_ahead_give(struct hone_reader *r, const struct hone_prejudge_ports *pj);
int hone_ahead_give_all(struct hone_reader *r, const struct hone_prejudge *pj);
int hone_ahead_clear(struct hone_reader *r);
void hone_ahead_release(struct hone_reader *r);

/* snapshot.c */
void hone_snapshot_start(struct hone_reader *r);
struct hone_rec *hone_snapshot_next(struct hone_reader *r);
void hone_snapshot_stop(struct hone_reader *r);

/* device.c */
int hone_device_init(void);
void hone_device_exit(void);

static inline u32 hone_rec_align(u32 len)
{
	return ALIGN(len, 8);
}

#endif /* _HONE_SENSOR_H */
