// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/honet: one line per record; man/hone.4 documents each line. Bytes
 * outside printable ASCII, spaces, quotes and backslashes in paths and
 * arguments are written as \xHH, so fields never contain a blank.
 */
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/socket.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/kdev_t.h>
#include <net/ipv6.h>
#include <net/ip.h>
#include "sensor.h"

struct line {
	char *buf;
	size_t size, len;
};

static __printf(2, 3) void line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	l->len += vscnprintf(l->buf + l->len, l->size - l->len, fmt, ap);
	va_end(ap);
}

static void line_ts(struct line *l, u64 ns)
{
	u32 us;
	u64 sec = div_u64_rem(div_u64(ns, NSEC_PER_USEC), USEC_PER_SEC, &us);

	line_add(l, "%llu.%06u", sec, us);
}

static void line_escaped(struct line *l, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] > 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
			line_add(l, "%c", s[i]);
		else
			line_add(l, "\\x%02x", (u8)s[i]);
	}
}

static size_t line_end(struct line *l)
{
	if (l->len + 1 >= l->size)
		l->len = l->size - 2;
	l->buf[l->len++] = '\n';
	return l->len;
}

static size_t text_head(struct hone_reader *r, u8 *buf, size_t size)
{
	struct line l = { (char *)buf, size, 0 };

	line_ts(&l, ktime_get_real_ns());
	line_add(&l, " HEAD Hone %s snaplen %u", HONE_VERSION, r->snaplen);
	return line_end(&l);
}

/* argv: NUL-separated, written as space-separated escaped words. */
static void line_argv(struct line *l, const char *argv, size_t n)
{
	const char *end = argv + n, *word;

	for (word = argv; word < end; word += strnlen(word, end - word) + 1) {
		line_add(l, " ");
		line_escaped(l, word, strnlen(word, end - word));
	}
}

static void proc_line(struct line *l, const struct hone_rec_proc *p)
{
	static const char *const names[] = { "EXEC", "FORK", "KTHD" };
	dev_t dev;

	if (p->event == HONE_PROC_EXIT)
		line_add(l, " EXIT %u %u %u %u %u", p->pid, p->ppid, p->uid, p->gid,
			 p->exit_code);
	else
		line_add(l, " %s %u %u %u %u", names[p->event], p->pid, p->ppid,
			 p->uid, p->gid);
	if (p->event == HONE_PROC_KTHREAD) {
		line_add(l, " [%s]", p->comm);
	} else {
		line_add(l, " \"");
		line_escaped(l, p->data, p->path_len);
		line_add(l, "\"");
		if (p->event != HONE_PROC_EXIT)
			line_argv(l, p->data + p->path_len, p->argv_len);
	}
	/* Always the last three fields, so argv words are never taken for them. */
	dev = new_decode_dev((u32)p->exe_dev);
	line_add(l, " dev=%u:%u ino=%llu mntns=%u", MAJOR(dev), MINOR(dev), p->exe_ino,
		 p->mntns);
}

static const char *proto_name(u32 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_ICMP:
		return "ICMP";
	case IPPROTO_ICMPV6:
		return "ICMP";
	}
	return NULL;
}

static void line_proto(struct line *l, u32 proto, bool v6)
{
	const char *name = proto_name(proto);

	if (name)
		line_add(l, " %s%s", name, v6 ? "v6" : "v4");
	else
		line_add(l, " %u%s", proto, v6 ? "v6" : "v4");
}

static void line_addr(struct line *l, bool v6, const void *addr, u16 port)
{
	if (v6)
		line_add(l, "[%pI6c]:%u", addr, port);
	else
		line_add(l, "%pI4:%u", addr, port);
}

static void conn_line(struct line *l, const struct hone_rec_conn *c)
{
	bool v6 = c->family == AF_INET6;
	char kind = c->event == HONE_CONN_OPEN ? 'O' :
		    c->event == HONE_CONN_ACCEPT ? 'A' :
		    c->event == HONE_CONN_FLOW ? 'F' : 'C';

	line_add(l, " SOCK %c %u %016llx", kind, c->pid, c->cookie);
	line_proto(l, c->proto, v6);
	line_add(l, " ");
	line_addr(l, v6, c->laddr, c->lport);
	line_add(l, " -> ");
	line_addr(l, v6, c->raddr, c->rport);
}

/* Ports of a TCP or UDP header at off, if captured. */
static bool pkt_ports(const struct hone_rec_pkt *k, u32 off, u8 proto, u16 *sp, u16 *dp)
{
	const __be16 *ports = (const __be16 *)(k->data + off);

	if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) || off + 4 > k->caplen)
		return false;
	*sp = ntohs(ports[0]);
	*dp = ntohs(ports[1]);
	return true;
}

/* The upper-layer protocol behind IPv6 extension headers, walked as
 * ipv6_skip_exthdr walks them; *off is where it starts. A non-first
 * fragment has no ports: *off is then past the capture. */
static u8 pkt_v6_proto(const struct hone_rec_pkt *k, u32 *off)
{
	const u8 *d = k->data;
	u8 nexthdr = ((const struct ipv6hdr *)d)->nexthdr;
	u32 o = sizeof(struct ipv6hdr), hdrlen;
	__be16 frag_off;

	while (ipv6_ext_hdr(nexthdr) && nexthdr != NEXTHDR_NONE) {
		if (o + 8 > k->caplen) {
			o = k->caplen;
			break;
		}
		if (nexthdr == NEXTHDR_FRAGMENT) {
			memcpy(&frag_off, d + o + 2, sizeof(frag_off));
			hdrlen = frag_off & htons(IP6_OFFSET) ? k->caplen : 8;
		} else if (nexthdr == NEXTHDR_AUTH) {
			hdrlen = (d[o + 1] + 2U) << 2;
		} else {
			hdrlen = (d[o + 1] + 1U) << 3;
		}
		nexthdr = d[o];
		o = min(o + hdrlen, k->caplen);
	}
	*off = o;
	return nexthdr;
}

static void pkt_summary(struct line *l, const struct hone_rec_pkt *k)
{
	const struct iphdr *ip4 = (const struct iphdr *)k->data;
	const struct ipv6hdr *ip6 = (const struct ipv6hdr *)k->data;
	u16 sp = 0, dp = 0;
	bool v6;
	u8 proto;
	u32 off;

	if (k->caplen < 1 || (ip4->version != 4 && ip4->version != 6)) {
		line_add(l, " ? ? -> ?");
		return;
	}
	v6 = ip4->version == 6;
	if ((v6 && k->caplen < sizeof(*ip6)) || (!v6 && k->caplen < sizeof(*ip4))) {
		line_add(l, " ? ? -> ?");
		return;
	}
	if (v6) {
		proto = pkt_v6_proto(k, &off);
	} else {
		proto = ip4->protocol;
		off = ip4->ihl * 4U;
		if (ip4->frag_off & htons(IP_OFFSET))
			off = k->caplen;	/* not the first fragment */
	}
	line_proto(l, proto, v6);
	pkt_ports(k, off, proto, &sp, &dp);
	line_add(l, " ");
	line_addr(l, v6, v6 ? (const void *)&ip6->saddr : &ip4->saddr, sp);
	line_add(l, " -> ");
	line_addr(l, v6, v6 ? (const void *)&ip6->daddr : &ip4->daddr, dp);
}

static void pkt_line(struct line *l, const struct hone_rec_pkt *k)
{
	line_add(l, " PAKT %c %016llx %u", k->dir == HONE_EPB_FLAG_INBOUND ? 'I' : 'O',
		 k->cookie, k->pid);
	pkt_summary(l, k);
	line_add(l, " %u", k->len);
	if (k->ctmark)
		line_add(l, " ahead=%#x", k->ctmark);
}

static size_t text_record(struct hone_reader *r, const struct hone_rec *rec,
			  u8 *buf, size_t size)
{
	struct line l = { (char *)buf, size, 0 };

	line_ts(&l, rec->ts);
	switch (rec->type) {
	case HONE_REC_PROC:
		proc_line(&l, (const struct hone_rec_proc *)rec);
		break;
	case HONE_REC_CONN:
		conn_line(&l, (const struct hone_rec_conn *)rec);
		break;
	case HONE_REC_PKT:
		pkt_line(&l, (const struct hone_rec_pkt *)rec);
		break;
	}
	return line_end(&l);
}

static size_t text_stats(struct hone_reader *r, const struct hone_stats *st,
			 u8 *buf, size_t size)
{
	struct line l = { (char *)buf, size, 0 };

	line_ts(&l, ktime_get_real_ns());
	line_add(&l, " %s packets %llu %llu %llu %llu proc %llu %llu %llu conn %llu %llu %llu",
		 r->state == HONE_RS_TAIL ? "TAIL" : "STAT",
		 st->packets, st->packets_dropped, st->packets_lost, st->packets_filtered,
		 st->proc_events, st->proc_dropped, st->proc_lost,
		 st->conn_events, st->conn_dropped, st->conn_lost);
	line_add(&l, " full owner %llu proc %llu",
		 (u64)atomic64_read(&hone_owner_full), (u64)atomic64_read(&hone_proc_full));
	return line_end(&l);
}

const struct hone_format hone_text_format = {
	.head = text_head,
	.record = text_record,
	.stats = text_stats,
};
