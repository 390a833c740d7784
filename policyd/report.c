// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "report.h"

const char *report_proto(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMPV6:
		return "ipv6-icmp";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_UDPLITE:
		return "udplite";
	}
	snprintf(buf, len, "proto-%u", proto);
	return buf;
}

const char *report_addr(uint8_t family, const uint8_t *addr, char *buf,
			size_t len)
{
	if (!inet_ntop(family, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

const char *report_endpoint(uint8_t family, const uint8_t *addr,
			    uint16_t port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	report_addr(family, addr, a, sizeof(a));
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
	return buf;
}

const char *report_escape(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	size_t o = 0;

	for (; *s && o + 4 < len; s++) {
		c = *s;
		if (c > 0x20 && c < 0x7f && c != '"' && c != '\\') {
			buf[o++] = c;
			continue;
		}
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hex[c >> 4];
		buf[o++] = hex[c & 15];
	}
	if (len)
		buf[o] = '\0';
	return buf;
}

const char *report_exe(const struct proc *p, char *buf, size_t len)
{
	size_t n;

	if (!p)
		return "-";
	report_escape(p->exe ? p->exe : "?", buf, len);
	n = strlen(buf);
	if (p->foreign)
		snprintf(buf + n, len - n, "(foreign)");
	return buf;
}

const char *report_user(const struct proc *p, char *buf, size_t len)
{
	if (!p)
		return "-";
	if (p->user)
		return p->user;
	snprintf(buf, len, "%u", p->view.uid);
	return buf;
}

const char *report_parents(const struct proc *p, char *buf, size_t len)
{
	const struct rules_proc *v;
	size_t off = 0;

	snprintf(buf, len, "-");
	for (v = p ? p->view.parent : NULL; v && off + 1 < len; v = v->parent) {
		if (off)
			buf[off++] = '<';
		report_escape(v->exe ? v->exe : "?", buf + off, len - off);
		off += strlen(buf + off);
	}
	return buf;
}

const char *report_rule(const struct rules_verdict *v,
			const struct rules_pkt *pkt, bool has_proc)
{
	if (v->rule)
		return rule_name(v->rule);
	return has_proc ? "default" : pkt->nosock ? "kernel" : "unknown";
}

const char *report_at(const struct rule *r, char *buf, size_t len)
{
	if (!r)
		return "[global]";
	snprintf(buf, len, "%s:%u", rule_file(r), rule_line(r));
	return buf;
}

void report_json_str(FILE *f, const char *s)
{
	const unsigned char *c;

	putc('"', f);
	for (c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			fprintf(f, "\\u%04x", *c);
		else
			putc(*c, f);
	}
	putc('"', f);
}
