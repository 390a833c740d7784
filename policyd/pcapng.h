/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Streaming PCAP-NG reader: feed it any split of a stream (a file, or the
 * chunks read(2) returns from /dev/hone), take whole, checked blocks back.
 * Blocks point into the reader's buffer and stay valid until the next
 * pcapng_feed() or pcapng_next(). Nothing is allocated after pcapng_init().
 */
#ifndef HONE_PCAPNG_H
#define HONE_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pcapng_reader {
	uint8_t *buf;
	size_t cap;		/* 2 * max block */
	size_t start, end;	/* unread bytes are buf[start..end) */
	uint64_t base;		/* stream offset of buf[0] */
	uint32_t max;		/* largest block accepted */
	bool swap;		/* section is in the other byte order */
	bool section;		/* an SHB was seen */
	uint32_t nidb;		/* IDBs in this section */
	bool failed;		/* errors stick: the framing is lost */
	char err[160];
};

struct pcapng_block {
	uint32_t type;		/* HONE_BT_* or anything else (unknown) */
	uint64_t offset;	/* of the block in the stream */
	bool swap;
	bool known;		/* type's fixed part and options were checked */
	const uint8_t *body;	/* after type and length */
	size_t len;		/* body length, trailing length excluded */
	size_t opts;		/* options start at body + opts; == len if none */
};

struct pcapng_opt {
	uint16_t code;
	uint16_t len;
	const uint8_t *val;
};

/* max_block: the largest block accepted, 0 for HONE_BLOCK_MAX. */
int pcapng_init(struct pcapng_reader *r, uint32_t max_block);
void pcapng_free(struct pcapng_reader *r);
/* Append bytes; returns how many fit (fewer than len when the buffer holds
 * an unread block: call pcapng_next() first). */
size_t pcapng_feed(struct pcapng_reader *r, const void *data, size_t len);
/* 0 and *b filled; -EAGAIN: feed more; -EBADMSG: malformed, -EPROTO:
 * out of order (see pcapng_error()). Errors are sticky. */
int pcapng_next(struct pcapng_reader *r, struct pcapng_block *b);
/* At end of stream: 0 if it ended on a block boundary, -ENODATA if it
 * ended inside a block. */
int pcapng_finish(struct pcapng_reader *r);
/* "offset N: what was wrong" after an error. */
const char *pcapng_error(const struct pcapng_reader *r);
/* After an error: drop the unread bytes and the error, and expect a new
 * section (a live stream starts one again). Offsets keep counting. */
void pcapng_resync(struct pcapng_reader *r);

/* Fields, in the block's section byte order; off is from b->body and the
 * caller keeps it within b->len (pcapng_next() checked the fixed parts). */
uint16_t pcapng_u16(const struct pcapng_block *b, size_t off);
uint32_t pcapng_u32(const struct pcapng_block *b, size_t off);
uint64_t pcapng_u64(const struct pcapng_block *b, size_t off);
/* Walk the options of a known block: *cur starts at 0. Returns 1 with *o
 * filled, 0 at the end (opt_endofopt or the end of the block). The list
 * was checked by pcapng_next(), so nothing here can run past the block. */
int pcapng_opt_next(const struct pcapng_block *b, size_t *cur,
		    struct pcapng_opt *o);
/* Option value as a number, in the section's byte order. */
uint32_t pcapng_opt_u32(const struct pcapng_block *b, const struct pcapng_opt *o);
uint64_t pcapng_opt_u64(const struct pcapng_block *b, const struct pcapng_opt *o);

/* An Enhanced Packet Block as Hone writes it (hone.h): the packet, and
 * what Hone's options say of it. */
struct pcapng_epb {
	const uint8_t *data;	/* from the IP header */
	size_t caplen, len;	/* captured, and on the wire */
	uint32_t flags;		/* HONE_EPB_FLAGS */
	uint64_t cookie;	/* its socket; without HONE_EPB_COOKIE, the
				 * 2013 sensor's 32-bit id; 0: none */
	uint64_t nth;		/* honefw's log; 0: not said */
	bool has_uid;		/* honefw's log: a socket held it */
	uint32_t uid;
	uint32_t prejudged;	/* hone.ko: the conntrack mark a verdict
				 * given ahead set; 0: none */
};
/* b: a known Enhanced Packet Block. */
void pcapng_epb(const struct pcapng_block *b, struct pcapng_epb *e);

/*
 * Block builder, native byte order, into a caller's buffer: begin, the
 * fixed fields with pcapng_put(), options, then pcapng_end() which adds
 * opt_endofopt (if any option was added) and both lengths. Overflow is
 * remembered and reported once, by pcapng_end().
 */
struct pcapng_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t start;		/* of the open block */
	bool opts;		/* an option was added */
	bool overflow;
};

void pcapng_begin(struct pcapng_builder *w, uint32_t type);
void pcapng_put(struct pcapng_builder *w, const void *data, size_t len);
void pcapng_put32(struct pcapng_builder *w, uint32_t v);
/* The time now, as Hone stamps blocks: microseconds since the epoch, high
 * then low word. */
void pcapng_put_now(struct pcapng_builder *w);
/* len over 65535 is cut to 65532 (a whole, aligned option). */
void pcapng_opt(struct pcapng_builder *w, uint16_t code, const void *val,
		size_t len);
/* A string option (comment, path, rule): each byte that is not part of
 * valid UTF-8 becomes '?', so stock readers accept it. */
void pcapng_opt_utf8(struct pcapng_builder *w, uint16_t code, const char *s,
		     size_t len);
void pcapng_opt32(struct pcapng_builder *w, uint16_t code, uint32_t v);
void pcapng_opt64(struct pcapng_builder *w, uint16_t code, uint64_t v);
/* Bytes of the finished block, or -ENOSPC (buffer) / -E2BIG (over
 * HONE_BLOCK_MAX); on error the block is dropped from the buffer. */
int pcapng_end(struct pcapng_builder *w);

#endif /* HONE_PCAPNG_H */
