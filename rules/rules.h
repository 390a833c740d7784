/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rule language: parse /etc/hone/rules.ini (+ rules.d/ *.ini), compile
 * it, and match packets against it. Used live by honefw and offline by
 * --check and --replay, so nothing here knows about sockets or /proc: the
 * caller describes the packet and its process.
 */
#ifndef HONE_RULES_H
#define HONE_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rules;		/* a compiled rule set; immutable once loaded */
struct rule;		/* one rule of it */

enum rules_action {
	RULES_ACCEPT,
	RULES_DROP,
	RULES_REJECT,
	RULES_REDIRECT_QUEUE,	/* hand to another NFQUEUE */
	RULES_REDIRECT_ADDR,	/* divert to a local ADDR:PORT */
};

/* [global] queue = N: honefw reads queues N to N + RULES_QUEUES - 1, one
 * per class of users (the socket owner's uid modulo RULES_QUEUE_USERS, root
 * aside), then one for packets no socket holds and one for root's: a
 * user's flood fills his own. */
#define RULES_QUEUE_USERS	8
#define RULES_QUEUE_NOSOCK	RULES_QUEUE_USERS
#define RULES_QUEUE_ROOT	(RULES_QUEUE_USERS + 1)
#define RULES_QUEUES		(RULES_QUEUE_USERS + 2)
#define RULES_QUEUE_MAX		(65535 - RULES_QUEUES + 1)

enum rules_failmode {
	RULES_FAIL_OPEN,	/* traffic passes while honefw is down */
	RULES_FAIL_CLOSED,	/* new traffic is dropped while it is down */
};

enum rules_dir {
	RULES_DIR_IN = 1,
	RULES_DIR_OUT = 2,
};

/* One packet, as the matcher sees it. Addresses in network order. */
struct rules_pkt {
	uint8_t family;		/* AF_INET, AF_INET6 */
	uint8_t proto;		/* IPPROTO_* */
	uint8_t dir;		/* enum rules_dir */
	uint8_t tcpflags;	/* TCP header flags byte, 0 if not TCP */
	uint8_t local[16];	/* IPv4 in the first 4 bytes */
	uint8_t remote[16];
	uint16_t lport, rport;	/* host order; ICMP: 0 */
	uint32_t length;	/* IP packet length */
	uint64_t nth;		/* index in its connection, from 1 */
	bool nosock;		/* the packet has no socket: the kernel's own */
	/* The uid of the packet's socket as the kernel tells it, for a packet
	 * whose process is not known: a rule whose only process key is user
	 * still takes it, so a user's rule holds when his process could not
	 * be named. */
	bool has_uid;
	uint32_t uid;
	/* The names the caller knows remote by (honefw: DNS answers its
	 * owner's user received; lowercase, no trailing dot). None: no host
	 * key matches. */
	const char *const *hosts;
	size_t nhosts;
};

/* Ancestors the matcher looks at through parent, against loops. */
#define RULES_DEPTH_MAX		64

/* A process and, through parent, its pedigree. Every string may be NULL
 * when unknown; a key that needs it then does not match. */
struct rules_proc {
	uint32_t pid, ppid;
	uint32_t uid, gid;
	const char *exe;	/* executable path */
	const char *cmdline;	/* argv joined with single spaces */
	const uint8_t *sha256;	/* 32 bytes, or NULL if not computed */
	const char *script;	/* the #! script the kernel ran, by path */
	const char *cgroup;	/* cgroup v2 path, "/" at the root */
	const char *unit;	/* systemd unit of cgroup (rules_unit_of) */
	const struct rules_proc *parent;	/* NULL at the top */
};

struct rules_verdict {
	enum rules_action action;
	bool has_mark;
	uint32_t mark;		/* QoS mark, with any action that passes */
	bool has_dscp;
	uint8_t dscp;		/* DiffServ code point 0-63, with accept */
	uint16_t queue;		/* RULES_REDIRECT_QUEUE */
	uint8_t family;		/* RULES_REDIRECT_ADDR: AF_INET/AF_INET6 */
	uint8_t addr[16];
	uint16_t port;
	bool log;
	/* The deciding rule (or the default) looked at per-packet keys
	 * (tcpflags, length, nth): later packets of the connection may get
	 * another verdict, so the verdict cannot be stored for the whole
	 * connection. */
	bool per_packet;
	const struct rule *rule;	/* NULL: [global] default/unknown/kernel */
};

struct rules_global {
	enum rules_action def;		/* default: accept|drop */
	enum rules_action unknown;	/* a socket whose process is not known */
	enum rules_failmode failmode;
	uint16_t queue;			/* NFQUEUE number honefw uses */
	bool log;
	enum rules_action kernel;	/* no socket: RSTs, ICMP errors, ... */
};

enum rules_transport {
	RULES_UDP,
	RULES_TCP,
};

/* [ipfix]: honefw exports one IPFIX record per connection to collector.
 * Only parsed here; honefw's exporter gives it meaning. */
struct rules_ipfix {
	char *host;			/* NULL: no [ipfix], no export */
	char *port;
	enum rules_transport transport;
	uint32_t pen;			/* Private Enterprise Number */
	uint32_t active_timeout;	/* seconds */
};

#define RULES_IPFIX_PEN		32473	/* RFC 5612's, for documentation */
#define RULES_IPFIX_TIMEOUT	300

/* Receives every diagnostic: file and line (0 when the whole file is
 * meant), whether it is only a warning, and the message. */
typedef void (*rules_report_fn)(void *ctx, const char *file, unsigned line,
				bool warning, const char *msg);

/* mark = N: honefw keeps the top byte of the packet mark for itself. */
#define RULES_MARK_MAX		0x00ffffffu

/* Distinct redirect targets and dscp values in one rule set: honefw names
 * each in a few bits of the packet mark. */
#define RULES_EFFECTS_MAX	15

/* tests: skip the owner and mode checks of the files and directories */
#define RULES_LOAD_NO_OWNER_CHECK	0x1

/* Load path and then <dir of path>/rules.d/ *.ini: rules_read(), then
 * rules_parse() of what it read, so a file refused is said before the
 * errors of any file read. On any error nothing is returned: a negative
 * errno (-EINVAL for bad content), every error given to report. Paths of
 * exe, parent, ancestor and pedigree are resolved as the kernel reports
 * them (/bin/sh: /usr/bin/dash), each change or missing path a warning. */
int rules_load(const char *path, unsigned flags, rules_report_fn report,
	       void *ctx, struct rules **out);
/* Parse one in-memory file, named name in diagnostics (tests, fuzzing).
 * Its paths are taken as written: it need not be this host's. */
int rules_load_buffer(const char *name, const char *buf, size_t len,
		      rules_report_fn report, void *ctx, struct rules **out);

/* One rule file as read from disk (rules_read()), for rules_parse(). */
struct rules_file {
	const char *name;	/* as given, or rules.d's path of it */
	bool main_file;		/* the one [global] may be in */
	const char *buf;
	size_t len;
};
typedef int (*rules_file_fn)(void *ctx, const struct rules_file *f);

/* Reads path, then the *.ini of rules.d beside it in byte order, with every
 * check rules_load() makes, and hands each file read to fn in that order
 * (f and what it points to are the reader's: gone once fn returns). A file
 * refused or unreadable is reported (report, as rules_load() does) and
 * counted in *errors; reading goes on with the next. Returns 0, fn's
 * negative error, or -ENOMEM / -ENAMETOOLONG. */
int rules_read(const char *path, unsigned flags, rules_report_fn report,
	       void *ctx, rules_file_fn fn, void *fctx, unsigned *errors);

/* The rule set of files as rules_read() gave them, in order, errors being
 * what it counted (each already reported; the load fails if any, after
 * the files are parsed and their own errors reported too, exactly as
 * rules_load() would). Paths of who-keys resolved as rules_load() does.
 * Nothing of files is kept: the caller may free them on return. */
int rules_parse(const struct rules_file *files, size_t n, unsigned errors,
		rules_report_fn report, void *ctx, struct rules **out);
void rules_free(struct rules *rs);

const struct rules_global *rules_global(const struct rules *rs);
size_t rules_count(const struct rules *rs);
const struct rules_ipfix *rules_ipfix(const struct rules *rs);
/* The verdict of rule i (0 <= i < rules_count). */
const struct rules_verdict *rules_verdict_nth(const struct rules *rs, size_t i);
/* True if some rule uses sha256 (the caller need not hash otherwise). */
bool rules_need_sha256(const struct rules *rs);
/* True if some rule uses host (the caller need not learn names else). */
bool rules_need_host(const struct rules *rs);

/* Judge a packet. proc is NULL for packets without a known process: no
 * rule with who-keys matches them, and the fallback is kernel for those
 * with pkt->nosock, unknown for the others. Fills v and returns v->rule.
 * Safe to call concurrently. */
const struct rule *rules_match(const struct rules *rs,
			       const struct rules_pkt *pkt,
			       const struct rules_proc *proc,
			       struct rules_verdict *v);

/* Remote ports lo..hi (host order) of outgoing TCP connections of a
 * process, and the verdict rules_match() gives the SYN that opens each. */
struct rules_ahead {
	uint16_t lo, hi;
	struct rules_verdict v;
};

/* The verdicts rules_match() gives the packets that open outgoing TCP
 * connections of proc (a SYN, the first of its connection, of either
 * family, to any address), per remote port: into out (at most max),
 * ascending and disjoint, the ranges of ports where proc alone and the
 * port decide it; adjacent ports with the same verdict in one range. A
 * port in none is one whose SYN's verdict something else decides (a rule
 * proc's who-keys match names remote, local, lport, host, tcpflags,
 * length or nth, for that port) or something not known yet may (a sha256
 * key, proc's digest not computed). Rules whose proto excludes TCP never
 * match such a packet. Returns how many ranges were filled (the first max
 * if there are more), or -ENOMEM. */
int rules_ahead_ports(const struct rules *rs, const struct rules_proc *proc,
		      struct rules_ahead *out, size_t max);

/* Why rules_match() gave r for this packet and process (r NULL: which
 * fallback and why), as "key=what-matched ..." into buf (len bytes, cut
 * short if need be). Returns buf. */
const char *rules_explain(const struct rule *r,
			  const struct rules_pkt *pkt,
			  const struct rules_proc *proc, char *buf, size_t len);

const char *rule_name(const struct rule *r);
const char *rule_file(const struct rule *r);
unsigned rule_line(const struct rule *r);
/* The rule's place in its rule set, 0 to rules_count() - 1: file order,
 * the order in which rules are tried. Per-rule counters index by it;
 * rules_verdict_nth(rs, i)->rule is the rule again. */
size_t rule_index(const struct rule *r);

const char *rules_action_name(enum rules_action a);

/* The systemd unit a cgroup v2 path names: its first component that is
 * not a slice, if it is a .service or .scope ("nginx.service" of
 * /system.slice/nginx.service/x; "user@1000.service" of any process of
 * that user's manager). Only root makes cgroups there, so a process cannot
 * claim a unit it is not in. Written to buf (size len); NULL if none. */
const char *rules_unit_of(const char *cgroup, char *buf, size_t len);

#endif /* HONE_RULES_H */
