// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nft.h"
#include "vfile.h"
#include "vlog.h"

struct vlog {
	const char *path;	/* NULL: text lines only */
	struct vfile *file;
	bool all;		/* --log-all: accepts too */
};

/* /etc/protocols' names, without reading it for every line. */
static const char *proto_name(uint8_t proto, char *buf, size_t len)
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

static const char *rule_of(const struct rules_verdict *v)
{
	return v->rule ? rule_name(v->rule) : "default";
}

/* "verdict=drop rule=NAME pid=N exe=PATH user=NAME": the EPB comment and
 * the text line share it. */
static void describe(const struct vlog_entry *e, char *buf, size_t len)
{
	const struct proc *p = e->proc;

	const char *dry = e->dry_run ? " dry-run=yes" : "";

	if (!p) {
		snprintf(buf, len, "verdict=%s rule=%s pid=- exe=- user=-%s",
			 rules_action_name(e->v->action), rule_of(e->v), dry);
		return;
	}
	snprintf(buf, len, "verdict=%s rule=%s pid=%u exe=%s%s user=%s%s%s%s",
		 rules_action_name(e->v->action), rule_of(e->v), p->view.pid,
		 p->exe ? p->exe : "?", p->foreign ? "(foreign)" : "",
		 p->user ? p->user : "?", e->pkt->nhosts ? " host=" : "",
		 e->pkt->nhosts ? e->pkt->hosts[0] : "", dry);
}

static void text_line(const struct vlog_entry *e, const char *what)
{
	char local[INET6_ADDRSTRLEN], remote[INET6_ADDRSTRLEN], pbuf[16];
	char dscp[12] = "";
	const struct rules_pkt *k = e->pkt;
	const struct rule *r = e->v->rule;
	bool out = k->dir == RULES_DIR_OUT;

	inet_ntop(k->family, k->local, local, sizeof(local));
	inet_ntop(k->family, k->remote, remote, sizeof(remote));
	if (e->v->has_dscp)
		snprintf(dscp, sizeof(dscp), " dscp=%u", e->v->dscp);
	log_info("%s%s %s %s %s:%u %s %s:%u mark=%#x%s at %s:%u",
		 e->dry_run ? "dry-run: would-be " : "", what,
		 out ? "out" : "in", proto_name(k->proto, pbuf, sizeof(pbuf)),
		 local, k->lport, out ? "->" : "<-", remote, k->rport,
		 e->mark & HONE_MARK_USER, dscp, r ? rule_file(r) : "[global]",
		 r ? rule_line(r) : 0);
}

void vlog_packet(struct vlog *l, const struct vlog_entry *e)
{
	bool text = (l->all || e->v->action != RULES_ACCEPT ||
		     e->v->has_mark || e->v->has_dscp) && !e->repeat;
	bool pcapng = l->file && (l->all || e->v->log);
	char what[512];

	if (!text && !pcapng)
		return;
	describe(e, what, sizeof(what));
	/* The text line does not depend on log=: it is the audit trail of
	 * everything that is not a plain accept (of everything with
	 * --log-all, so a dry run shows what would pass too). */
	if (text)
		text_line(e, what);
	/* A lost entry is counted and said by vfile. */
	if (pcapng)
		vfile_packet(l->file, e, what);
}

void vlog_name(struct vlog *l, uint8_t family, const uint8_t *addr,
	       const char *name)
{
	if (l->file)
		vfile_name(l->file, family, addr, name);
}

void vlog_flush(struct vlog *l)
{
	if (l->file)
		vfile_flush(l->file);
}

int vlog_open(const char *path, bool all, struct vlog **out)
{
	struct vlog *l = calloc(1, sizeof(*l));
	int ret;

	if (!l)
		return -ENOMEM;
	if (path && (ret = vfile_open(path, &l->file)) < 0) {
		free(l);
		return ret;
	}
	l->path = path;
	l->all = all;
	*out = l;
	return 0;
}

void vlog_reopen(struct vlog *l)
{
	struct vfile *f;

	if (!l->path)
		return;
	/* What was queued before the signal belongs to the old file, and
	 * must not follow the new section's headers if the path is the
	 * same file still. */
	vfile_flush(l->file);
	if (vfile_open(l->path, &f) < 0) {
		log_warnx("verdict log %s: not reopened: still writing to the "
			  "file opened before", l->path);
		return;
	}
	vfile_close(l->file);
	l->file = f;
	log_info("verdict log %s: reopened", l->path);
}

void vlog_close(struct vlog *l)
{
	if (!l)
		return;
	vfile_close(l->file);
	free(l);
}
