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
#include "sensor.h"

static LIST_HEAD(hone_readers);
static DEFINE_MUTEX(hone_readers_lock);

atomic64_t hone_packets_lost = ATOMIC64_INIT(0);
atomic64_t hone_proc_lost = ATOMIC64_INIT(0);
atomic64_t hone_conn_lost = ATOMIC64_INIT(0);

struct hone_reader *hone_reader_create(const struct hone_format *fmt)
{
	struct hone_reader *r;
	int ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	ret = hone_ring_init(&r->ring, hone_ring_kb * 1024U);
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
	mutex_init(&r->read_lock);
	r->fmt = fmt;
	r->state = HONE_RS_HEAD;
	r->start_ts = ktime_get_real_ns();

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
	return ERR_PTR(ret);
}

void hone_reader_destroy(struct hone_reader *r)
{
	mutex_lock(&hone_readers_lock);
	list_del_rcu(&r->node);
	mutex_unlock(&hone_readers_lock);
	synchronize_rcu();
	hone_snapshot_stop(r);
	kvfree(r->scratch);
	kvfree(r->out);
	hone_ring_free(&r->ring);
	kfree(r);
}

bool hone_readers_any(void)
{
	return !list_empty(&hone_readers);
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

static void reader_put(struct hone_reader *r, const struct hone_rec *rec, u32 len,
		       const struct hone_payload *p)
{
	u32 caplen = 0, total;
	unsigned long flags;
	u8 *dst;
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
	dst = hone_ring_reserve(&r->ring, total, &head);
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
out:
	spin_unlock_irqrestore(&r->lock, flags);
	if (wq_has_sleeper(&r->wait))
		wake_up_interruptible(&r->wait);
}

/* Give one event to every reader. Any context; never sleeps. */
void hone_readers_emit(const struct hone_rec *rec, u32 len, const struct hone_payload *p)
{
	struct hone_reader *r;

	rcu_read_lock();
	list_for_each_entry_rcu(r, &hone_readers, node)
		reader_put(r, rec, len, p);
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
