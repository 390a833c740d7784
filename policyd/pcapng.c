// SPDX-License-Identifier: GPL-2.0
/* Streaming PCAP-NG reader: framing, byte order and option checks. */
#include <byteswap.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hone/hone.h>

#include "pcapng.h"

#define PAD4(n) (((size_t)(n) + 3) & ~(size_t)3)

int pcapng_init(struct pcapng_reader *r, uint32_t max_block)
{
	memset(r, 0, sizeof(*r));
	r->max = max_block ? max_block : HONE_BLOCK_MAX;
	if (r->max < HONE_BLOCK_MIN || r->max % 4)
		return -EINVAL;
	r->cap = 2 * (size_t)r->max;
	r->buf = malloc(r->cap);
	if (!r->buf)
		return -ENOMEM;
	return 0;
}

void pcapng_free(struct pcapng_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

size_t pcapng_feed(struct pcapng_reader *r, const void *data, size_t len)
{
	if (r->cap - r->end < len && r->start) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->base += r->start;
		r->end -= r->start;
		r->start = 0;
	}
	if (len > r->cap - r->end)
		len = r->cap - r->end;
	if (len)
		memcpy(r->buf + r->end, data, len);
	r->end += len;
	return len;
}

static int fail(struct pcapng_reader *r, int err, uint64_t off,
		const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(r->err, sizeof(r->err), "offset %llu: ",
		     (unsigned long long)off);
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - n, fmt, ap);
	va_end(ap);
	r->failed = true;
	return err;
}

static uint32_t rd32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? bswap_32(v) : v;
}

uint16_t pcapng_u16(const struct pcapng_block *b, size_t off)
{
	uint16_t v;

	memcpy(&v, b->body + off, 2);
	return b->swap ? bswap_16(v) : v;
}

uint32_t pcapng_u32(const struct pcapng_block *b, size_t off)
{
	return rd32(b->body + off, b->swap);
}

uint64_t pcapng_u64(const struct pcapng_block *b, size_t off)
{
	uint64_t v;

	memcpy(&v, b->body + off, 8);
	return b->swap ? bswap_64(v) : v;
}

/* Length of the fixed part before the options, or 0 if the block has none
 * we know of (unknown blocks are passed on unparsed). */
static size_t fixed_len(uint32_t type)
{
	switch (type) {
	case HONE_BT_SHB:
		return 16;
	case HONE_BT_IDB:
		return 8;
	case HONE_BT_EPB:
		return 20;
	case HONE_BT_ISB:
	case HONE_BT_PROCESS:
		return 12;
	case HONE_BT_CONNECTION:
		return 16;
	}
	return 0;
}

static int check_opts(struct pcapng_reader *r, const struct pcapng_block *b)
{
	size_t cur = b->opts;

	while (cur < b->len) {
		uint16_t code, len;

		if (b->len - cur < 4)
			return fail(r, -EBADMSG, b->offset + 8 + cur,
				    "option header runs past the block");
		code = pcapng_u16(b, cur);
		len = pcapng_u16(b, cur + 2);
		if (PAD4(len) > b->len - cur - 4)
			return fail(r, -EBADMSG, b->offset + 8 + cur,
				    "option %u of %u bytes runs past the block",
				    code, len);
		if (code == HONE_OPT_ENDOFOPT)
			break;
		cur += 4 + PAD4(len);
	}
	return 0;
}

/* The fixed part, the order of blocks and the options of a known block. */
static int check_block(struct pcapng_reader *r, struct pcapng_block *b)
{
	size_t fixed = fixed_len(b->type);

	b->opts = b->len;
	if (!fixed)
		return 0;
	if (b->len < fixed)
		return fail(r, -EBADMSG, b->offset,
			    "block type 0x%x needs %zu body bytes, has %zu",
			    b->type, fixed, b->len);
	if (b->type == HONE_BT_EPB) {
		uint32_t caplen = pcapng_u32(b, 12);

		if (PAD4(caplen) > b->len - fixed)
			return fail(r, -EBADMSG, b->offset,
				    "packet of %u bytes runs past the block",
				    caplen);
		fixed += PAD4(caplen);
	}
	if ((b->type == HONE_BT_EPB || b->type == HONE_BT_ISB) &&
	    pcapng_u32(b, 0) >= r->nidb)
		return fail(r, -EPROTO, b->offset,
			    "interface %u not described (%u IDBs before)",
			    pcapng_u32(b, 0), r->nidb);
	if (b->type == HONE_BT_SHB && pcapng_u16(b, 4) != 1)
		return fail(r, -EBADMSG, b->offset,
			    "section version %u.%u, expected 1.x",
			    pcapng_u16(b, 4), pcapng_u16(b, 6));
	b->known = true;
	b->opts = fixed;
	return check_opts(r, b);
}

/* A new section: its byte order comes from the magic after the length. */
static int section_start(struct pcapng_reader *r, const uint8_t *p,
			 uint64_t off)
{
	uint32_t magic = rd32(p + 8, false);

	if (magic == HONE_BYTE_ORDER_MAGIC)
		r->swap = false;
	else if (magic == bswap_32(HONE_BYTE_ORDER_MAGIC))
		r->swap = true;
	else
		return fail(r, -EBADMSG, off, "byte-order magic 0x%08x, expected 0x%08x",
			    magic, HONE_BYTE_ORDER_MAGIC);
	r->section = true;
	r->nidb = 0;
	return 0;
}

int pcapng_next(struct pcapng_reader *r, struct pcapng_block *b)
{
	size_t avail = r->end - r->start;
	const uint8_t *p = r->buf + r->start;
	uint64_t off = r->base + r->start;
	uint32_t type, total;
	int err;

	if (r->failed)
		return -EBADMSG;
	if (avail < 8)
		return -EAGAIN;
	type = rd32(p, r->swap);
	if (type == HONE_BT_SHB) {
		if (avail < 12)
			return -EAGAIN;
		err = section_start(r, p, off);
		if (err)
			return err;
	} else if (!r->section) {
		return fail(r, -EPROTO, off,
			    "block type 0x%08x before any section header", type);
	}
	total = rd32(p + 4, r->swap);
	if (total < HONE_BLOCK_MIN || total % 4 || total > r->max)
		return fail(r, -EBADMSG, off,
			    "block length %u, expected a multiple of 4 in %u..%u",
			    total, HONE_BLOCK_MIN, r->max);
	if (avail < total)
		return -EAGAIN;
	if (rd32(p + total - 4, r->swap) != total)
		return fail(r, -EBADMSG, off + total - 4,
			    "trailing block length %u, expected %u",
			    rd32(p + total - 4, r->swap), total);
	*b = (struct pcapng_block){
		.type = type, .offset = off, .swap = r->swap,
		.body = p + 8, .len = total - 12,
	};
	err = check_block(r, b);
	if (err)
		return err;
	if (type == HONE_BT_IDB)
		r->nidb++;
	r->start += total;
	return 0;
}

int pcapng_finish(struct pcapng_reader *r)
{
	if (r->end == r->start)
		return 0;
	if (!r->failed)
		fail(r, -ENODATA, r->base + r->start,
		     "stream ends inside a block (%zu bytes left)",
		     r->end - r->start);
	return -ENODATA;
}

const char *pcapng_error(const struct pcapng_reader *r)
{
	return r->err;
}

void pcapng_resync(struct pcapng_reader *r)
{
	r->base += r->end;
	r->start = r->end = 0;
	r->section = false;
	r->failed = false;
	r->err[0] = '\0';
}

int pcapng_opt_next(const struct pcapng_block *b, size_t *cur,
		    struct pcapng_opt *o)
{
	if (*cur < b->opts)
		*cur = b->opts;
	if (b->len - *cur < 4)
		return 0;
	o->code = pcapng_u16(b, *cur);
	o->len = pcapng_u16(b, *cur + 2);
	o->val = b->body + *cur + 4;
	if (o->code == HONE_OPT_ENDOFOPT) {
		*cur = b->len;
		return 0;
	}
	*cur += 4 + PAD4(o->len);
	return 1;
}

uint32_t pcapng_opt_u32(const struct pcapng_block *b, const struct pcapng_opt *o)
{
	return o->len >= 4 ? rd32(o->val, b->swap) : 0;
}

uint64_t pcapng_opt_u64(const struct pcapng_block *b, const struct pcapng_opt *o)
{
	uint64_t v;

	if (o->len < 8)
		return 0;
	memcpy(&v, o->val, 8);
	return b->swap ? bswap_64(v) : v;
}

void pcapng_epb(const struct pcapng_block *b, struct pcapng_epb *e)
{
	struct pcapng_opt o;
	size_t cur = 0;

	*e = (struct pcapng_epb){
		.data = b->body + 20,
		.caplen = pcapng_u32(b, 12),
		.len = pcapng_u32(b, 16),
	};
	while (pcapng_opt_next(b, &cur, &o)) {
		switch (o.code) {
		case HONE_EPB_FLAGS:
			e->flags = pcapng_opt_u32(b, &o);
			break;
		case HONE_EPB_CONN:
			if (!e->cookie)	/* the 2013 32-bit id, unless... */
				e->cookie = pcapng_opt_u32(b, &o);
			break;
		case HONE_EPB_COOKIE:
			e->cookie = pcapng_opt_u64(b, &o);	/* ...all of it */
			break;
		case HONE_EPB_NTH:
			e->nth = pcapng_opt_u64(b, &o);
			break;
		case HONE_EPB_UID:
			e->has_uid = true;
			e->uid = pcapng_opt_u32(b, &o);
			break;
		case HONE_EPB_PREJUDGED:
			e->prejudged = pcapng_opt_u32(b, &o);
			break;
		}
	}
}

void pcapng_begin(struct pcapng_builder *w, uint32_t type)
{
	static const uint32_t len_placeholder;

	w->start = w->len;
	w->opts = false;
	w->overflow = false;
	pcapng_put32(w, type);
	pcapng_put(w, &len_placeholder, 4);
}

void pcapng_put(struct pcapng_builder *w, const void *data, size_t len)
{
	static const uint8_t zero[4];
	size_t pad = PAD4(len) - len;

	if (w->overflow || w->cap - w->len < len + pad) {
		w->overflow = true;
		return;
	}
	if (len)
		memcpy(w->buf + w->len, data, len);
	memcpy(w->buf + w->len + len, zero, pad);
	w->len += len + pad;
}

void pcapng_put32(struct pcapng_builder *w, uint32_t v)
{
	pcapng_put(w, &v, 4);
}

void pcapng_put_now(struct pcapng_builder *w)
{
	struct timespec ts;
	uint64_t us;

	clock_gettime(CLOCK_REALTIME, &ts);
	us = (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	pcapng_put32(w, us >> 32);
	pcapng_put32(w, (uint32_t)us);
}

void pcapng_opt(struct pcapng_builder *w, uint16_t code, const void *val,
		size_t len)
{
	uint16_t hdr[2] = { code, len > 65535 ? 65532 : len };

	pcapng_put(w, hdr, 4);
	pcapng_put(w, val, hdr[1]);
	w->opts = true;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if none. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
	size_t len, i;
	uint32_t c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] < 0xe0)
		len = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] < 0xf0)
		len = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] < 0xf5)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c < 0xe000) || c > 0x10ffff)
		return 0;
	return len;
}

void pcapng_opt_utf8(struct pcapng_builder *w, uint16_t code, const char *s,
		     size_t len)
{
	size_t at = w->len + 4, i, n;

	pcapng_opt(w, code, s, len);
	if (w->overflow)
		return;
	len = len > 65535 ? 65532 : len;
	for (i = 0; i < len; i += n) {
		n = utf8_len(w->buf + at + i, len - i);
		if (!n) {
			w->buf[at + i] = '?';
			n = 1;
		}
	}
}

void pcapng_opt32(struct pcapng_builder *w, uint16_t code, uint32_t v)
{
	pcapng_opt(w, code, &v, 4);
}

void pcapng_opt64(struct pcapng_builder *w, uint16_t code, uint64_t v)
{
	pcapng_opt(w, code, &v, 8);
}

int pcapng_end(struct pcapng_builder *w)
{
	uint32_t total;

	if (w->opts)
		pcapng_put32(w, HONE_OPT_ENDOFOPT);
	pcapng_put32(w, 0);
	total = w->len - w->start;
	if (w->overflow || total > HONE_BLOCK_MAX) {
		int err = w->overflow ? -ENOSPC : -E2BIG;

		w->len = w->start;
		return err;
	}
	memcpy(w->buf + w->start + 4, &total, 4);
	memcpy(w->buf + w->len - 4, &total, 4);
	return total;
}
