// SPDX-License-Identifier: GPL-2.0
/*
 * Readers: one per open(), each with its own ring. Producers walk the list
 * under RCU and never block: a full ring costs the event, counted per type.
 */
#include <linux/rculist.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/in.h>
#include "sensor.h"

static LIST_HEAD(hone_readers);
static DEFINE_MUTEX(hone_readers_lock);
static unsigned int hone_readers_count;	/* under hone_readers_lock */
/* Readers that want each kind of record (HONE_RECORDS_* bit i): with none,
 * producers need not make it. */
#define HONE_RECORD_KINDS	4
static atomic_t hone_wanting[HONE_RECORD_KINDS];

atomic64_t hone_packets_lost = ATOMIC64_INIT(0);
atomic64_t hone_proc_lost = ATOMIC64_INIT(0);
atomic64_t hone_conn_lost = ATOMIC64_INIT(0);
atomic64_t hone_owner_full = ATOMIC64_INIT(0);
atomic64_t hone_proc_full = ATOMIC64_INIT(0);
atomic64_t hone_script_lost = ATOMIC64_INIT(0);

/* A reader's ring: ring_kb, but never more than 1/64 of RAM. */
static u32 reader_ring_size(void)
{
	u64 size = (u64)READ_ONCE(hone_ring_kb) * 1024U;
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;

	size = min3(size, (u64)HONE_RING_KB_MAX * 1024U, ram / 64);
	return max_t(u64, size, 256U * 1024U);
}

/* A place among the max_readers; -EBUSY when they are all taken. */
static int reader_slot_get(void)
{
	int ret = 0;

	mutex_lock(&hone_readers_lock);
	if (hone_readers_count >= READ_ONCE(hone_max_readers))
		ret = -EBUSY;
	else
		hone_readers_count++;
	mutex_unlock(&hone_readers_lock);
	return ret;
}

static void reader_slot_put(void)
{
	mutex_lock(&hone_readers_lock);
	hone_readers_count--;
	mutex_unlock(&hone_readers_lock);
}

/* r now wants records (HONE_RECORDS_*), and is counted so. */
static void reader_want(struct hone_reader *r, u32 records)
{
	u32 i, was = r->records;

	WRITE_ONCE(r->records, records);
	for (i = 0; i < HONE_RECORD_KINDS; i++)
		if ((records ^ was) & BIT(i))
			atomic_add(records & BIT(i) ? 1 : -1, &hone_wanting[i]);
}

/* Lazy records' wakeup (HEIO_SET_LAZY). */
static enum hrtimer_restart reader_lazy_fire(struct hrtimer *t)
{
	struct hone_reader *r = container_of(t, struct hone_reader, lazy_timer);

	clear_bit(0, &r->lazy_armed);
	wake_up_interruptible(&r->wait);
	return HRTIMER_NORESTART;
}

struct hone_reader *hone_reader_create(const struct hone_format *fmt)
{
	struct hone_reader *r;
	int ret;

	ret = reader_slot_get();
	if (ret)
		return ERR_PTR(ret);
	ret = -ENOMEM;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		goto err_slot;
	ret = hone_ring_init(&r->ring, reader_ring_size());
	if (ret)
		goto err_reader;
	ret = -ENOMEM;
	r->out = kvmalloc(HONE_OUT_SIZE, GFP_KERNEL);
	if (!r->out)
		goto err_ring;
	r->scratch = kvmalloc(HONE_SCRATCH_SIZE, GFP_KERNEL);
	if (!r->scratch)
		goto err_out;
	spin_lock_init(&r->lock);
	init_waitqueue_head(&r->wait);
	hrtimer_init(&r->lazy_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	r->lazy_timer.function = reader_lazy_fire;
	mutex_init(&r->read_lock);
	r->fmt = fmt;
	r->state = HONE_RS_HEAD;
	r->start_ts = ktime_get_real_ns();

	reader_want(r, HONE_RECORDS_DEFAULT);
	mutex_lock(&hone_readers_lock);
	list_add_tail_rcu(&r->node, &hone_readers);
	mutex_unlock(&hone_readers_lock);
	return r;

err_out:
	kvfree(r->out);
err_ring:
	hone_ring_free(&r->ring);
err_reader:
	kfree(r);
err_slot:
	reader_slot_put();
	return ERR_PTR(ret);
}

void hone_reader_destroy(struct hone_reader *r)
{
	mutex_lock(&hone_readers_lock);
	list_del_rcu(&r->node);
	mutex_unlock(&hone_readers_lock);
	hone_ahead_release(r);
	synchronize_rcu();
	/* No record arms it now. */
	hrtimer_cancel(&r->lazy_timer);
	reader_want(r, 0);
	hone_snapshot_stop(r);
	kvfree(r->scratch);
	kvfree(r->out);
	hone_ring_free(&r->ring);
	kfree(r);
	reader_slot_put();
}

bool hone_readers_want(u32 records)
{
	return atomic_read(&hone_wanting[ilog2(records)]);
}

/* Under r->read_lock, or before r is listed and after it is not. */
int hone_reader_records(struct hone_reader *r, u32 records)
{
	if (records & ~(HONE_RECORDS_DEFAULT | HONE_RECORDS_FLOW))
		return -EINVAL;
	reader_want(r, records);
	return 0;
}

/* rec's kind, as HONE_RECORDS_* names it. */
static u32 reader_kind(const struct hone_rec *rec)
{
	switch (rec->type) {
	case HONE_REC_PROC:
		return HONE_RECORDS_PROC;
	case HONE_REC_CONN:
		return ((const struct hone_rec_conn *)rec)->event == HONE_CONN_FLOW ?
		       HONE_RECORDS_FLOW : HONE_RECORDS_CONN;
	default:
		return HONE_RECORDS_PACKET;
	}
}

/* Whether r asked for records of rec's kind. */
bool hone_reader_wants(const struct hone_reader *r, const struct hone_rec *rec)
{
	return READ_ONCE(r->records) & reader_kind(rec);
}

int hone_reader_lazy(struct hone_reader *r, const struct hone_lazy *l)
{
	if ((l->lazy & ~(HONE_RECORDS_DEFAULT | HONE_RECORDS_FLOW)) ||
	    (l->lazy && (!l->delay_us || l->delay_us > USEC_PER_SEC)))
		return -EINVAL;
	WRITE_ONCE(r->lazy_us, l->delay_us);
	WRITE_ONCE(r->lazy, l->lazy);
	return 0;
}

/* Whether rec may wait: a kind r named, but never the close of a socket
 * other than TCP. A UDP or ICMP conntrack entry outlives its socket and
 * may carry a later socket's packets: a firewall ends the verdict it
 * holds at that close. A TCP one cannot: a new socket's SYN makes anew
 * an entry that is closing or closed. */
static bool reader_may_wait(const struct hone_reader *r,
			    const struct hone_rec *rec)
{
	const struct hone_rec_conn *c = (const struct hone_rec_conn *)rec;

	if (!(READ_ONCE(r->lazy) & reader_kind(rec)))
		return false;
	return rec->type != HONE_REC_CONN || c->event != HONE_CONN_CLOSE ||
	       c->proto == IPPROTO_TCP;
}

/* A waiting reader is woken for rec at once, or by the timer a while
 * later if rec may wait and its ring has room (urgent: not). */
static void reader_wake(struct hone_reader *r, const struct hone_rec *rec,
			bool urgent)
{
	if (urgent || !reader_may_wait(r, rec))
		wake_up_interruptible(&r->wait);
	else if (!test_and_set_bit(0, &r->lazy_armed))
		hrtimer_start(&r->lazy_timer,
			      ns_to_ktime((u64)READ_ONCE(r->lazy_us) * NSEC_PER_USEC),
			      HRTIMER_MODE_REL);
}

/* The counters of one record type: delivered, dropped. */
static u64 *reader_counter(struct hone_reader *r, u32 type, bool dropped)
{
	switch (type) {
	case HONE_REC_PROC:
		return dropped ? &r->stats.proc_dropped : &r->stats.proc_events;
	case HONE_REC_CONN:
		return dropped ? &r->stats.conn_dropped : &r->stats.conn_events;
	default:
		return dropped ? &r->stats.packets_dropped : &r->stats.packets;
	}
}

/* Packets may fill only 3/4 of a ring: a reader too slow for the traffic
 * loses packets, not the process and connection events that say whose
 * they are, unless those alone fill the last quarter. */
static u32 reader_limit(const struct hone_reader *r, u32 type)
{
	return type == HONE_REC_PKT ? r->ring.size / 4 * 3 : r->ring.size;
}

/* Put one record in r's ring, whatever r asked for; false if it was not
 * (ring full, or the packet of a filtered socket). Any context. */
bool hone_reader_put(struct hone_reader *r, const struct hone_rec *rec, u32 len,
		     const struct hone_payload *p)
{
	u32 caplen = 0, total;
	unsigned long flags;
	bool urgent = false;
	u8 *dst = NULL;
	u64 head;

	if (p->skb) {
		caplen = r->snaplen ? min(p->skb_len, r->snaplen) : p->skb_len;
		caplen = min(caplen, HONE_SNAPLEN_MAX);
	}
	total = hone_rec_align(len + p->len + caplen + p->tail_len);

	spin_lock_irqsave(&r->lock, flags);
	if (rec->type == HONE_REC_PKT && r->filter_cookie &&
	    r->filter_cookie == ((const struct hone_rec_pkt *)rec)->cookie) {
		r->stats.packets_filtered++;
		goto out;
	}
	dst = hone_ring_reserve(&r->ring, total, reader_limit(r, rec->type), &head);
	if (!dst) {
		(*reader_counter(r, rec->type, true))++;
		goto out;
	}
	memcpy(dst, rec, len);
	((struct hone_rec *)dst)->len = total;
	if (p->len)
		memcpy(dst + len, p->buf, p->len);
	if (p->skb) {
		((struct hone_rec_pkt *)dst)->caplen = caplen;
		if (skb_copy_bits(p->skb, 0, dst + len, caplen))
			memset(dst + len, 0, caplen);
	}
	if (p->tail_len)
		memcpy(dst + len + caplen, p->tail, p->tail_len);
	hone_ring_commit(&r->ring, head);
	(*reader_counter(r, rec->type, false))++;
	urgent = head - smp_load_acquire(&r->ring.tail) > r->ring.size / 4;
out:
	spin_unlock_irqrestore(&r->lock, flags);
	/* Only a record is news: a waiting reader's ring is empty, and any
	 * record fits an empty ring, so a commit has woken it before a drop;
	 * a lazy one, before the ring is a quarter full. */
	if (dst && wq_has_sleeper(&r->wait))
		reader_wake(r, rec, urgent);
	return dst;
}

/* Whether r reads rec from its ring: not if r stopped asking for its kind
 * while rec waited there, and then it is not delivered (a packet counts
 * as filtered). The SYN of a verdict r gave ahead is put for r whatever
 * it asked for. */
bool hone_reader_keeps(struct hone_reader *r, const struct hone_rec *rec)
{
	if (hone_reader_wants(r, rec) ||
	    (rec->type == HONE_REC_PKT && ((const struct hone_rec_pkt *)rec)->ctmark))
		return true;
	spin_lock_irq(&r->lock);
	(*reader_counter(r, rec->type, false))--;
	if (rec->type == HONE_REC_PKT)
		r->stats.packets_filtered++;
	spin_unlock_irq(&r->lock);
	return false;
}

/* Give one event to every reader. Any context; never sleeps. */
void hone_readers_emit(const struct hone_rec *rec, u32 len, const struct hone_payload *p)
{
	struct hone_reader *r;

	rcu_read_lock();
	list_for_each_entry_rcu(r, &hone_readers, node)
		if (hone_reader_wants(r, rec))
			hone_reader_put(r, rec, len, p);
	rcu_read_unlock();
}

void hone_reader_stats(struct hone_reader *r, struct hone_stats *st)
{
	unsigned long flags;

	spin_lock_irqsave(&r->lock, flags);
	*st = r->stats;
	spin_unlock_irqrestore(&r->lock, flags);
	st->packets_lost = atomic64_read(&hone_packets_lost);
	st->proc_lost = atomic64_read(&hone_proc_lost);
	st->conn_lost = atomic64_read(&hone_conn_lost);
}
