// SPDX-License-Identifier: GPL-2.0
/* Blocks from the sensor's tables (tblock.h). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include <hone/hone.h>

#include "htab.h"
#include "pcapng.h"
#include "proctab.h"
#include "tblock.h"

static void opt_str(struct pcapng_builder *w, uint16_t code, const char *s)
{
	if (s)
		pcapng_opt_utf8(w, code, s, strlen(s));
}

void tblock_shb(struct pcapng_builder *w, const char *appl)
{
	const uint64_t section_len = UINT64_MAX;	/* -1: unknown */
	char os[sizeof(((struct utsname *)0)->sysname) * 2 + 2];
	char ua[64];
	struct utsname u;

	pcapng_put32(w, HONE_BYTE_ORDER_MAGIC);
	pcapng_put32(w, 1);		/* version 1.0 */
	pcapng_put(w, &section_len, sizeof(section_len));
	if (uname(&u) == 0) {
		uint8_t host[1 + sizeof(u.nodename)] = { HONE_HOSTID_STRING };
		size_t n = strlen(u.nodename);

		snprintf(os, sizeof(os), "%s %s", u.sysname, u.release);
		opt_str(w, HONE_SHB_OS, os);
		/* Which host: --inventory merges several hosts' files. */
		memcpy(host + 1, u.nodename, n);
		pcapng_opt(w, HONE_SHB_HOSTID, host, 1 + n);
	}
	snprintf(ua, sizeof(ua), "Hone " HONE_VERSION " %s", appl);
	opt_str(w, HONE_SHB_USERAPPL, ua);
}

void tblock_idb(struct pcapng_builder *w, uint32_t snaplen, const char *name,
		const char *description)
{
	pcapng_put32(w, HONE_LINKTYPE_RAW);	/* u16 link type, u16 reserved */
	pcapng_put32(w, snaplen);
	opt_str(w, HONE_IF_NAME, name);
	opt_str(w, HONE_IF_DESCRIPTION, description);
}

void tblock_proc(struct pcapng_builder *w, const struct proc *p)
{
	const struct pent *e = proc_pent(p);

	pcapng_put32(w, p->view.pid);
	pcapng_put_now(w);
	opt_str(w, HONE_PROC_PATH, p->exe);
	if (e->argv)
		pcapng_opt(w, HONE_PROC_ARGV, e->argv, e->argvlen);
	pcapng_opt32(w, HONE_PROC_PPID, p->view.ppid);
	pcapng_opt32(w, HONE_PROC_UID, p->view.uid);
	pcapng_opt32(w, HONE_PROC_GID, p->view.gid);
	pcapng_opt64(w, HONE_PROC_START, p->start);
	if (p->exe_ino) {
		pcapng_opt64(w, HONE_PROC_EXE_DEV, p->exe_dev);
		pcapng_opt64(w, HONE_PROC_EXE_INO, p->exe_ino);
	}
	/* What honefw found: a replay elsewhere cannot look. */
	if (p->foreign)
		pcapng_opt32(w, HONE_PROC_FOREIGN, 1);
	/* A foreign script has no file: a replay takes it for a claim. */
	if (p->script)
		opt_str(w, HONE_PROC_SCRIPT, p->script);
	if (p->script && !p->script_foreign) {
		pcapng_opt64(w, HONE_PROC_SCRIPT_DEV, p->script_dev);
		pcapng_opt64(w, HONE_PROC_SCRIPT_INO, p->script_ino);
	}
	if (p->cgroup) {
		if (p->cgroup_id)
			pcapng_opt64(w, HONE_PROC_CGROUP_ID, p->cgroup_id);
		opt_str(w, HONE_PROC_CGROUP, p->cgroup);
	}
}

uint64_t tblock_proc_stamp(const struct proc *p)
{
	return htab_str(HTAB_SEED ^ p->start, p->exe ? p->exe : "") ^
	       p->exe_ino ^ p->foreign;
}

static void opt_endpoint(struct pcapng_builder *w, uint16_t code,
			 uint8_t family, const uint8_t *addr, uint16_t port)
{
	uint8_t v[20] = { 0 };

	memcpy(v, &port, 2);
	memcpy(v + 4, addr, family == AF_INET ? 4 : 16);
	pcapng_opt(w, code, v, family == AF_INET ? 8 : 20);
}

void tblock_conn(struct pcapng_builder *w, const struct conn *c,
		 const struct rules_pkt *pkt)
{
	pcapng_put32(w, (uint32_t)c->cookie);
	pcapng_put32(w, c->pid);
	pcapng_put_now(w);
	pcapng_opt64(w, HONE_CONN_COOKIE, c->cookie);
	pcapng_opt32(w, HONE_CONN_FAMILY, pkt->family);
	pcapng_opt32(w, HONE_CONN_PROTO, pkt->proto);
	opt_endpoint(w, HONE_CONN_LOCAL, pkt->family, pkt->local, pkt->lport);
	opt_endpoint(w, HONE_CONN_REMOTE, pkt->family, pkt->remote,
		     pkt->rport);
	pcapng_opt32(w, HONE_CONN_UID, c->uid);
	pcapng_opt64(w, HONE_CONN_INODE, c->inode);
}

void tblock_epb(struct pcapng_builder *w, const uint8_t *data, size_t cap,
		size_t wire_len, const struct rules_pkt *pkt,
		const struct conn *conn, const struct proc *proc)
{
	pcapng_put32(w, 0);		/* interface */
	pcapng_put_now(w);
	pcapng_put32(w, cap);
	pcapng_put32(w, wire_len);
	pcapng_put(w, data, cap);
	pcapng_opt32(w, HONE_EPB_FLAGS, pkt->dir == RULES_DIR_IN ?
		     HONE_EPB_FLAG_INBOUND : HONE_EPB_FLAG_OUTBOUND);
	if (conn) {
		pcapng_opt32(w, HONE_EPB_CONN, (uint32_t)conn->cookie);
		pcapng_opt64(w, HONE_EPB_COOKIE, conn->cookie);
	}
	if (proc)
		pcapng_opt32(w, HONE_EPB_PID, proc->view.pid);
}
