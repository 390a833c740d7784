// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nft.h"
#include "report.h"
#include "vfile.h"
#include "vlog.h"

struct vlog {
	const char *path;	/* NULL: text lines only */
	struct vfile *file;
	bool all;		/* --log-all: accepts too */
};

/* A fallback by its name (default, unknown, kernel), as the status's. */
static const char *rule_of(const struct vlog_entry *e)
{
	return report_rule(e->v, e->pkt, e->proc != NULL);
}

/* "verdict=drop rule=NAME pid=N exe=PATH user=NAME [script=PATH]
 * [unit=NAME] [host=NAME]", or "pid=- exe=- user=- [uid=N]" for a
 * process not named, then "[prejudged=MARK[(stale)]] [dry-run=yes]": the
 * EPB comment and the text line share it. */
static void describe(const struct vlog_entry *e, char *buf, size_t len)
{
	const struct proc *p = e->proc;
	char s[512], ub[16], tail[48] = "";
	int n;

	if (e->prejudged)
		snprintf(tail, sizeof(tail), " prejudged=%#x%s", e->prejudged,
			 e->stale ? "(stale)" : "");
	if (e->dry_run)
		strcat(tail, " dry-run=yes");
	if (!p) {
		/* Whose socket it is, the kernel may still have told. */
		n = snprintf(buf, len, "verdict=%s rule=%s pid=- exe=- user=-",
			     rules_action_name(e->v->action), rule_of(e));
		if (e->pkt->has_uid && n >= 0 && (size_t)n < len)
			n += snprintf(buf + n, len - n, " uid=%u", e->pkt->uid);
		if (n >= 0 && (size_t)n < len)
			snprintf(buf + n, len - n, "%s", tail);
		return;
	}
	/* Paths, units and names their owners chose are escaped: none may
	 * end the line or forge a field of it. */
	n = snprintf(buf, len, "verdict=%s rule=%s pid=%u exe=%s user=%s",
		     rules_action_name(e->v->action), rule_of(e), p->view.pid,
		     report_exe(p, s, sizeof(s)), report_user(p, ub, sizeof(ub)));
	if (p->script && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, " script=%s%s",
			      report_escape(p->script, s, sizeof(s)),
			      p->script_foreign ? "(foreign)" : "");
	if (p->unit && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, " unit=%s",
			      report_escape(p->unit, s, sizeof(s)));
	if (e->pkt->nhosts && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, " host=%s",
			      report_escape(e->pkt->hosts[0], s, sizeof(s)));
	if (n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "%s", tail);
}

void vlog_fields(const struct vlog_entry *e, struct log_fields *lf)
{
	char local[INET6_ADDRSTRLEN], remote[INET6_ADDRSTRLEN], pbuf[16];
	const struct rules_pkt *k = e->pkt;
	const struct rule *r = e->v->rule;
	const struct proc *p = e->proc;

	inet_ntop(k->family, k->local, local, sizeof(local));
	inet_ntop(k->family, k->remote, remote, sizeof(remote));
	log_field(lf, "HONE_VERDICT", "%s", rules_action_name(e->v->action));
	log_field(lf, "HONE_RULE", "%s", rule_of(e));
	log_field(lf, "HONE_RULE_AT", "%s:%u", r ? rule_file(r) : "[global]",
		  r ? rule_line(r) : 0);
	if (e->dry_run)
		log_field(lf, "HONE_DRY_RUN", "1");
	if (e->prejudged)
		log_field(lf, "HONE_PREJUDGED", "%#x%s", e->prejudged,
			  e->stale ? "(stale)" : "");
	if (p) {
		log_field(lf, "HONE_PID", "%u", p->view.pid);
		log_field(lf, "HONE_EXE", "%s%s", p->exe ? p->exe : "?",
			  p->foreign ? "(foreign)" : "");
		log_field(lf, "HONE_USER", "%s",
			  report_user(p, pbuf, sizeof(pbuf)));
		log_field(lf, "HONE_UID", "%u", p->view.uid);
		if (p->script)
			log_field(lf, "HONE_SCRIPT", "%s%s", p->script,
				  p->script_foreign ? "(foreign)" : "");
		if (p->unit)
			log_field(lf, "HONE_UNIT", "%s", p->unit);
	} else if (k->has_uid) {
		log_field(lf, "HONE_UID", "%u", k->uid);
	}
	if (k->nhosts)
		log_field(lf, "HONE_HOST", "%s", k->hosts[0]);
	log_field(lf, "HONE_DIRECTION", "%s",
		  k->dir == RULES_DIR_OUT ? "out" : "in");
	log_field(lf, "HONE_PROTO", "%s",
		  report_proto(k->proto, pbuf, sizeof(pbuf)));
	log_field(lf, "HONE_LOCAL", "%s", local);
	log_field(lf, "HONE_LOCAL_PORT", "%u", k->lport);
	log_field(lf, "HONE_REMOTE", "%s", remote);
	log_field(lf, "HONE_REMOTE_PORT", "%u", k->rport);
	log_field(lf, "HONE_MARK", "%#x", e->mark & HONE_MARK_USER);
	if (e->v->has_dscp)
		log_field(lf, "HONE_DSCP", "%u", e->v->dscp);
}

static void text_line(const struct vlog_entry *e, const char *what)
{
	char local[INET6_ADDRSTRLEN], remote[INET6_ADDRSTRLEN], pbuf[16];
	char dscp[12] = "";
	const struct rules_pkt *k = e->pkt;
	const struct rule *r = e->v->rule;
	bool out = k->dir == RULES_DIR_OUT;
	struct log_fields lf;

	lf.n = lf.used = 0;
	/* Only the journal reads them. */
	if (log_journal())
		vlog_fields(e, &lf);
	inet_ntop(k->family, k->local, local, sizeof(local));
	inet_ntop(k->family, k->remote, remote, sizeof(remote));
	if (e->v->has_dscp)
		snprintf(dscp, sizeof(dscp), " dscp=%u", e->v->dscp);
	log_fields_info(&lf, "%s%s %s %s %s:%u %s %s:%u mark=%#x%s at %s:%u",
			e->dry_run ? "dry-run: would-be " : "", what,
			out ? "out" : "in",
			report_proto(k->proto, pbuf, sizeof(pbuf)), local,
			k->lport, out ? "->" : "<-", remote, k->rport,
			e->mark & HONE_MARK_USER, dscp,
			r ? rule_file(r) : "[global]", r ? rule_line(r) : 0);
}

void vlog_packet(struct vlog *l, const struct vlog_entry *e)
{
	bool text = (l->all || e->v->action != RULES_ACCEPT ||
		     e->v->has_mark || e->v->has_dscp || e->stale) &&
		    !e->repeat;
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

void vlog_stats(const struct vlog *l, struct vlog_stats *st)
{
	*st = (struct vlog_stats){ .path = l->path };
	if (l->file)
		vfile_stats(l->file, &st->written, &st->lost);
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
