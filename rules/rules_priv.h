/* SPDX-License-Identifier: GPL-2.0 */
/* The compiled form of a rule set, shared by the files of rules/ only. */
#ifndef HONE_RULES_PRIV_H
#define HONE_RULES_PRIV_H

#include "rules.h"

#define RULES_MAX_ERRORS	50	/* then one "too many errors" */
#define RULES_PEDIGREE_MAX	16	/* elements of one pedigree chain */
#define GLOB_CHARS		"*?[\\"	/* what makes a path a glob */

struct range {
	uint64_t lo, hi;
};

struct net {
	uint8_t family, plen;
	uint8_t addr[16];
};

struct strlist {
	char **v;
	size_t n;
};

struct rangelist {
	struct range *v;
	size_t n;
};

struct netlist {
	struct net *v;
	size_t n;
};

struct idlist {
	uint32_t *v;
	size_t n;
};

enum rule_key {
	/* who: a packet without a process never matches these */
	K_EXE, K_SHA256, K_CMDLINE, K_USER, K_GROUP, K_PARENT, K_ANCESTOR,
	K_PEDIGREE, K_SCRIPT, K_UNIT, K_CGROUP,
	/* what, the same for every packet of a connection */
	K_PROTO, K_REMOTE, K_LOCAL, K_RPORT, K_LPORT, K_HOST,
	/* what, per packet: a verdict depending on these is not stored */
	K_DIRECTION, K_TCPFLAGS, K_LENGTH, K_NTH,
	/* action */
	K_ACTION, K_MARK, K_REDIRECT, K_LOG, K_DSCP,
	K__COUNT
};

#define KEYS_WHO	((1u << (K_CGROUP + 1)) - 1)
#define KEYS_ACTION	((1u << K_ACTION) | (1u << K_MARK) | (1u << K_REDIRECT) | \
			 (1u << K_LOG) | (1u << K_DSCP))
#define KEYS_PACKET	((1u << K_DIRECTION) | (1u << K_TCPFLAGS) | \
			 (1u << K_LENGTH) | (1u << K_NTH))

struct rule {
	char *name;
	const char *file;
	unsigned line, idx;
	uint32_t keys;			/* 1 << enum rule_key, for each given */
	unsigned keyline[K__COUNT];
	struct strlist exe, parent, ancestor, pedigree, script, unit, cgroup;
	struct strlist host;		/* lowercase names or globs */
	char *cmdline;
	uint8_t (*sha256)[32];
	size_t nsha256;
	struct idlist uid, gid;
	uint64_t proto[4];		/* bitmap of IPPROTO_* */
	struct netlist remote, local;
	struct rangelist rport, lport, length, nth;
	uint8_t dir;			/* mask of enum rules_dir */
	uint8_t flags_set, flags_clear;
	int log;			/* -1: [global] log */
	struct rules_verdict v;		/* what a match returns */
};

/* Candidates for one exe or port: rule indexes, ascending. */
struct bucket {
	const char *exe;
	uint32_t port;
	uint32_t n, cap;
	uint32_t *idx;
};

struct table {
	struct bucket *b;
	size_t mask;			/* size - 1; size a power of two */
	size_t used;
};

struct index {
	struct table exe, rport, lport;
	uint32_t *rest;			/* rules in no table */
	size_t nrest;
};

struct rules {
	struct rules_global g;
	struct rules_ipfix ipfix;
	struct rule **rule;
	size_t n, cap;
	char **files;			/* names the rules point into */
	size_t nfiles;
	bool need_sha256, need_host;
	struct index index;
};

enum global_key {
	G_DEFAULT, G_UNKNOWN, G_KERNEL, G_FAILMODE, G_QUEUE, G_LOG, G__COUNT
};

enum ipfix_key {
	X_COLLECTOR, X_TRANSPORT, X_PEN, X_ACTIVE_TIMEOUT, X__COUNT
};

/* One load: where diagnostics go, what the files have said so far.
 * Reading (read.c) needs only the first: report, ctx and errors. */
struct load {
	struct rules *rs;
	rules_report_fn report;
	void *ctx;
	unsigned errors;
	bool global_seen;
	const char *global_file;	/* where [global] is */
	unsigned global_line[G__COUNT];	/* 0: the key was not given */
	bool ipfix_seen;
	const char *ipfix_file;		/* where [ipfix] is, NULL if not */
	unsigned ipfix_line;
	unsigned ipfix_keyline[X__COUNT];
};

/* load.c */
void load_say(struct load *ld, const char *file, unsigned line, bool warning,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* parse.c: one file's text, its rules appended to ld->rs. */
int parse_buffer(struct load *ld, const char *file, bool main_file,
		 const char *buf, size_t len);

/* value.c: every parser returns 0 or a negative errno with *why set. */
typedef int (*value_item_fn)(const char *tok, void *out, const char **why);
int value_list(const char *val, value_item_fn item, void **v, size_t *n,
	       size_t size, const char **why);
int value_u64(const char *s, uint64_t max, uint64_t *out);
int value_range(const char *tok, void *out, const char **why);
int value_port(const char *tok, void *out, const char **why);
int value_net(const char *tok, void *out, const char **why);
int value_addr(const char *s, uint8_t *family, uint8_t *addr);
int value_path(const char *tok, void *out, const char **why);
int value_host(const char *tok, void *out, const char **why);
int value_sha256(const char *tok, void *out, const char **why);
int value_user(const char *tok, void *out, const char **why);
int value_group(const char *tok, void *out, const char **why);
bool value_is_glob(const char *s);

/* path.c */
int paths_resolve(struct load *ld);

/* key.c: one key of a rule or of [global]. */
int key_rule(struct rule *r, const char *key, const char *val, unsigned line,
	     const char **why);
int key_global(struct rules_global *g, unsigned keyline[G__COUNT],
	       const char *key, const char *val, unsigned line, const char **why);
int rule_finish(struct rule *r, enum rule_key *blame, const char **why);
void rule_free(struct rule *r);
const char *key_name(enum rule_key k);

/* ipfix.c: the [ipfix] section. */
void ipfix_init(struct rules_ipfix *x);
int key_ipfix(struct rules_ipfix *x, unsigned keyline[X__COUNT],
	      const char *key, const char *val, unsigned line, const char **why);
/* 0, or -EINVAL with *why when a key the section needs is missing. */
int ipfix_finish(struct rules_ipfix *x, const char **why);
void ipfix_free(struct rules_ipfix *x);

/* index.c */
int index_build(struct rules *rs);
void index_free(struct index *ix);
const struct rule *index_shadow(const struct rules *rs, const struct rule *r);
void index_candidates(const struct index *ix, const char *exe,
		      const struct rules_pkt *pkt, const uint32_t *lists[4],
		      size_t counts[4]);

/* match.c */
bool rule_warn_never(const struct rule *r, const char **why);

#endif /* HONE_RULES_PRIV_H */
