// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "nft.h"
#include "vlog.h"

struct vlog {
	int unused;
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

	if (!p) {
		snprintf(buf, len, "verdict=%s rule=%s pid=- exe=- user=-",
			 rules_action_name(e->v->action), rule_of(e->v));
		return;
	}
	snprintf(buf, len, "verdict=%s rule=%s pid=%u exe=%s user=%s",
		 rules_action_name(e->v->action), rule_of(e->v), p->view.pid,
		 p->exe ? p->exe : "?", p->user ? p->user : "?");
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
	char what[512];

	(void)l;
	/* The text line does not depend on log=: it is the audit trail of
	 * everything that is not a plain accept. */
	if ((e->v->action == RULES_ACCEPT && !e->v->has_mark) || e->repeat)
		return;
	describe(e, what, sizeof(what));
	text_line(e, what);
}

int vlog_open(const char *path, struct vlog **out)
{
	struct vlog *l = calloc(1, sizeof(*l));

	(void)path;
	if (!l)
		return -ENOMEM;
	*out = l;
	return 0;
}

void vlog_close(struct vlog *l)
{
	free(l);
}
