// SPDX-License-Identifier: GPL-2.0
/*
 * A reader's byte ring: many producers under the reader's spinlock, one
 * consumer without it. Records never wrap; a pad record fills the end.
 * head and tail only grow; the consumer publishes tail after it is done
 * with a record, producers publish head after the record is written.
 */
#include <linux/vmalloc.h>
#include <linux/errno.h>
#include "sensor.h"

int hone_ring_init(struct hone_ring *ring, u32 size)
{
	ring->buf = vzalloc(size);
	if (!ring->buf)
		return -ENOMEM;
	ring->size = size;
	ring->head = 0;
	ring->tail = 0;
	return 0;
}

void hone_ring_free(struct hone_ring *ring)
{
	vfree(ring->buf);
	ring->buf = NULL;
}

/* Caller holds the reader lock. Returns where to write len bytes, or NULL
 * if the ring would then hold more than limit bytes (at most its size);
 * *head is what to pass to hone_ring_commit. */
void *hone_ring_reserve(struct hone_ring *ring, u32 len, u32 limit, u64 *head)
{
	u64 h = ring->head, used = h - smp_load_acquire(&ring->tail);
	u32 pos = h % ring->size, to_end = ring->size - pos;
	struct hone_rec *pad;

	if (used + len + (to_end < len ? to_end : 0) > limit)
		return NULL;
	if (to_end < len) {
		pad = (struct hone_rec *)(ring->buf + pos);
		pad->type = HONE_REC_PAD;
		pad->len = to_end;
		h += to_end;
		pos = 0;
	}
	*head = h + len;
	return ring->buf + pos;
}

void hone_ring_commit(struct hone_ring *ring, u64 head)
{
	smp_store_release(&ring->head, head);
}

/* Consumer side: the oldest record, or NULL if the ring is empty. */
const struct hone_rec *hone_ring_peek(struct hone_ring *ring)
{
	const struct hone_rec *rec;

	while (ring->tail != smp_load_acquire(&ring->head)) {
		rec = (const struct hone_rec *)(ring->buf + ring->tail % ring->size);
		if (rec->type != HONE_REC_PAD)
			return rec;
		smp_store_release(&ring->tail, ring->tail + rec->len);
	}
	return NULL;
}

void hone_ring_consume(struct hone_ring *ring, const struct hone_rec *rec)
{
	smp_store_release(&ring->tail, ring->tail + rec->len);
}
