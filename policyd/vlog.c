// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nft.h"
#include "vfile.h"
#include "vlog.h"

struct vlog {
	struct vfile *file;	/* NULL: text lines only */
	uint64_t errors;
};

static const char *proto_name(uint8_t proto, char *buf, size_t len)
{
	const struct protoent *pe = getprotobynumber(proto);

	if (pe)
		return pe->p_name;
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
	snprintf(buf, len, "verdict=%s rule=%s pid=%u exe=%s%s user=%s%s",
		 rules_action_name(e->v->action), rule_of(e->v), p->view.pid,
		 p->exe ? p->exe : "?", p->foreign ? "(foreign)" : "",
		 p->user ? p->user : "?", dry);
}

static void text_line(const struct vlog_entry *e, const char *what)
{
	char local[INET6_ADDRSTRLEN], remote[INET6_ADDRSTRLEN], pbuf[16];
	const struct rules_pkt *k = e->pkt;
	const struct rule *r = e->v->rule;
	bool out = k->dir == RULES_DIR_OUT;

	inet_ntop(k->family, k->local, local, sizeof(local));
	inet_ntop(k->family, k->remote, remote, sizeof(remote));
	log_info("%s%s %s %s %s:%u %s %s:%u mark=%#x at %s:%u",
		 e->dry_run ? "dry-run: would-be " : "", what,
		 out ? "out" : "in", proto_name(k->proto, pbuf, sizeof(pbuf)),
		 local, k->lport, out ? "->" : "<-", remote, k->rport,
		 e->mark & HONE_MARK_USER, r ? rule_file(r) : "[global]",
		 r ? rule_line(r) : 0);
}

void vlog_packet(struct vlog *l, const struct vlog_entry *e)
{
	bool text = !(e->v->action == RULES_ACCEPT && !e->v->has_mark) &&
		!e->repeat;
	char what[512];
	int ret;

	if (!text && !(l->file && e->v->log))
		return;
	describe(e, what, sizeof(what));
	/* The text line does not depend on log=: it is the audit trail of
	 * everything that is not a plain accept. */
	if (text)
		text_line(e, what);
	if (!l->file || !e->v->log)
		return;
	ret = vfile_packet(l->file, e, what);
	if (ret < 0 && !l->errors++)
		log_warnx("verdict log: %s (said once)", strerror(-ret));
}

void vlog_flush(struct vlog *l)
{
	int ret;

	if (l->file && (ret = vfile_flush(l->file)) < 0 && !l->errors++)
		log_warnx("verdict log: %s (said once)", strerror(-ret));
}

int vlog_open(const char *path, struct vlog **out)
{
	struct vlog *l = calloc(1, sizeof(*l));
	int ret;

	if (!l)
		return -ENOMEM;
	if (path && (ret = vfile_open(path, &l->file)) < 0) {
		free(l);
		return ret;
	}
	*out = l;
	return 0;
}

void vlog_close(struct vlog *l)
{
	if (!l)
		return;
	vfile_close(l->file);
	free(l);
}
