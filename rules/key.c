// SPDX-License-Identifier: GPL-2.0
/* The keys of a rule and of [global]: what each accepts, and the checks a
 * rule must pass once all its keys are read. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules_priv.h"

typedef int (*key_fn)(struct rule *r, const char *val, const char **why);

#define LIST(field, fn)	value_list(val, fn, (void **)&r->field.v, &r->field.n, \
				   sizeof(*r->field.v), why)

static int key_exe(struct rule *r, const char *val, const char **why)
{
	return LIST(exe, value_path);
}

static int key_parent(struct rule *r, const char *val, const char **why)
{
	return LIST(parent, value_path);
}

static int key_ancestor(struct rule *r, const char *val, const char **why)
{
	return LIST(ancestor, value_path);
}

static int key_script(struct rule *r, const char *val, const char **why)
{
	return LIST(script, value_path);
}

static int key_cgroup(struct rule *r, const char *val, const char **why)
{
	return LIST(cgroup, value_path);
}

/* NAME.service or NAME.scope, or a glob of them. */
static int value_unit(const char *tok, void *out, const char **why)
{
	size_t n = strlen(tok);
	char **p = out;

	*why = "a systemd unit: NAME.service or NAME.scope (globs allowed)";
	if ((n < 8 || strcmp(tok + n - 8, ".service")) &&
	    (n < 6 || strcmp(tok + n - 6, ".scope")) && tok[n - 1] != '*')
		return -EINVAL;
	if (strchr(tok, '/'))
		return -EINVAL;
	*p = strdup(tok);
	return *p ? 0 : -ENOMEM;
}

static int key_unit(struct rule *r, const char *val, const char **why)
{
	return LIST(unit, value_unit);
}

static int key_sha256(struct rule *r, const char *val, const char **why)
{
	return value_list(val, value_sha256, (void **)&r->sha256, &r->nsha256,
			  sizeof(*r->sha256), why);
}

/* The whole value is one glob: command lines contain spaces. */
static int key_cmdline(struct rule *r, const char *val, const char **why)
{
	if (!*val) {
		*why = "a command-line glob";
		return -EINVAL;
	}
	r->cmdline = strdup(val);
	return r->cmdline ? 0 : -ENOMEM;
}

static int key_user(struct rule *r, const char *val, const char **why)
{
	return LIST(uid, value_user);
}

static int key_group(struct rule *r, const char *val, const char **why)
{
	return LIST(gid, value_group);
}

static int pedigree_item(const char *tok, void *out, const char **why)
{
	if (!strcmp(tok, "*") || !strcmp(tok, "**"))
		return (*(char **)out = strdup(tok)) ? 0 : -ENOMEM;
	return value_path(tok, out, why);
}

/* exe < exe < ...: the process first, then upward. One element per
 * process, "*" for exactly one process, "**" for any number. */
static int key_pedigree(struct rule *r, const char *val, const char **why)
{
	char buf[256], *tok, *save = NULL, *end;
	size_t n;
	int ret;

	if (strlen(val) >= sizeof(buf)) {
		*why = "a shorter pedigree";
		return -EINVAL;
	}
	strcpy(buf, val);
	for (tok = strtok_r(buf, "<", &save); tok;
	     tok = strtok_r(NULL, "<", &save)) {
		tok += strspn(tok, " \t");
		for (end = tok + strlen(tok); end > tok && (end[-1] == ' ' ||
		     end[-1] == '\t'); end--)
			;
		*end = '\0';
		*why = "a chain like /usr/bin/curl < /usr/bin/bash < ** < /usr/sbin/sshd "
		       "(paths or globs, * for one process, ** for any number)";
		if (!*tok || strpbrk(tok, " \t,"))
			return -EINVAL;
		n = r->pedigree.n;
		/* "** < **" is "**"; keeps matching linear in the chain */
		if (n && !strcmp(tok, "**") && !strcmp(r->pedigree.v[n - 1], "**"))
			continue;
		if (n == RULES_PEDIGREE_MAX) {
			*why = "a pedigree of at most 16 elements";
			return -EINVAL;
		}
		ret = value_list(tok, pedigree_item, (void **)&r->pedigree.v,
				 &r->pedigree.n, sizeof(char *), why);
		if (ret < 0)
			return ret;
	}
	if (!r->pedigree.n || val[strlen(val) - 1] == '<' || val[0] == '<' ||
	    strstr(val, "<<")) {
		*why = "a chain like /usr/bin/curl < /usr/bin/bash < ** < /usr/sbin/sshd";
		return -EINVAL;
	}
	return 0;
}

static int key_direction(struct rule *r, const char *val, const char **why)
{
	*why = "in or out";
	if (!strcmp(val, "in"))
		r->dir = RULES_DIR_IN;
	else if (!strcmp(val, "out"))
		r->dir = RULES_DIR_OUT;
	else
		return -EINVAL;
	return 0;
}

static const struct { const char *name; uint8_t proto; } protos[] = {
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
	{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
	{ "sctp", IPPROTO_SCTP }, { "udplite", IPPROTO_UDPLITE },
};

static int proto_item(const char *tok, void *out, const char **why)
{
	uint64_t x;
	size_t i;

	*why = "tcp, udp, icmp, icmpv6, sctp, udplite or a protocol number 0-255";
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(tok, protos[i].name)) {
			*(uint8_t *)out = protos[i].proto;
			return 0;
		}
	if (value_u64(tok, 255, &x) < 0)
		return -EINVAL;
	*(uint8_t *)out = x;
	return 0;
}

static int key_proto(struct rule *r, const char *val, const char **why)
{
	uint8_t *v = NULL;
	size_t i, n = 0;
	int ret;

	ret = value_list(val, proto_item, (void **)&v, &n, 1, why);
	for (i = 0; ret == 0 && i < n; i++)
		r->proto[v[i] / 64] |= 1ull << (v[i] % 64);
	free(v);
	return ret;
}

static int key_remote(struct rule *r, const char *val, const char **why)
{
	return LIST(remote, value_net);
}

static int key_local(struct rule *r, const char *val, const char **why)
{
	return LIST(local, value_net);
}

static int key_rport(struct rule *r, const char *val, const char **why)
{
	return LIST(rport, value_port);
}

static int key_lport(struct rule *r, const char *val, const char **why)
{
	return LIST(lport, value_port);
}

static int key_host(struct rule *r, const char *val, const char **why)
{
	return LIST(host, value_host);
}

static const char *const tcpflag_names[8] = {
	"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr"
};

static int tcpflag_item(const char *tok, void *out, const char **why)
{
	uint8_t *f = out;	/* [0] must be set, [1] must be clear */
	bool not = *tok == '!';
	size_t i;

	*why = "TCP flags fin syn rst psh ack urg ece cwr, each maybe !negated";
	for (i = 0; i < 8; i++)
		if (!strcmp(tok + not, tcpflag_names[i])) {
			f[not] = 1u << i;
			return 0;
		}
	return -EINVAL;
}

static int key_tcpflags(struct rule *r, const char *val, const char **why)
{
	uint8_t (*v)[2] = NULL;
	size_t i, n = 0;
	int ret;

	ret = value_list(val, tcpflag_item, (void **)&v, &n, sizeof(*v), why);
	for (i = 0; ret == 0 && i < n; i++) {
		r->flags_set |= v[i][0];
		r->flags_clear |= v[i][1];
	}
	free(v);
	return ret;
}

static int key_length(struct rule *r, const char *val, const char **why)
{
	return LIST(length, value_range);
}

static int key_nth(struct rule *r, const char *val, const char **why)
{
	size_t i;
	int ret = LIST(nth, value_range);

	for (i = 0; ret == 0 && i < r->nth.n; i++)
		if (!r->nth.v[i].lo) {
			*why = "packet indexes from 1 (the first packet)";
			return -EINVAL;
		}
	return ret;
}

static int key_action(struct rule *r, const char *val, const char **why)
{
	static const char *const names[] = { "accept", "drop", "reject", "redirect" };
	size_t i;

	*why = "accept, drop, reject or redirect";
	for (i = 0; i < 4; i++)
		if (!strcmp(val, names[i])) {
			/* redirect's kind comes with its target */
			r->v.action = i == 3 ? RULES_REDIRECT_QUEUE : (enum rules_action)i;
			return 0;
		}
	return -EINVAL;
}

static int key_mark(struct rule *r, const char *val, const char **why)
{
	uint64_t x;

	*why = "a mark 0-0xffffff (honefw keeps the top byte of the packet mark)";
	if (value_u64(val, RULES_MARK_MAX, &x) < 0)
		return -EINVAL;
	r->v.has_mark = true;
	r->v.mark = x;
	return 0;
}

/* RFC 2474, 2597, 3246, 8622 names of code points. */
static const struct { const char *name; uint8_t dscp; } dscps[] = {
	{ "CS0", 0 }, { "CS1", 8 }, { "CS2", 16 }, { "CS3", 24 },
	{ "CS4", 32 }, { "CS5", 40 }, { "CS6", 48 }, { "CS7", 56 },
	{ "AF11", 10 }, { "AF12", 12 }, { "AF13", 14 },
	{ "AF21", 18 }, { "AF22", 20 }, { "AF23", 22 },
	{ "AF31", 26 }, { "AF32", 28 }, { "AF33", 30 },
	{ "AF41", 34 }, { "AF42", 36 }, { "AF43", 38 },
	{ "EF", 46 }, { "LE", 1 },
};

static int key_dscp(struct rule *r, const char *val, const char **why)
{
	uint64_t x;
	size_t i;

	*why = "a DiffServ code point: CS0-CS7, AF11-AF43, EF, LE or 0-63";
	for (i = 0; i < sizeof(dscps) / sizeof(dscps[0]); i++)
		if (!strcasecmp(val, dscps[i].name))
			break;
	if (i < sizeof(dscps) / sizeof(dscps[0]))
		x = dscps[i].dscp;
	else if (value_u64(val, 63, &x) < 0)
		return -EINVAL;
	r->v.has_dscp = true;
	r->v.dscp = x;
	return 0;
}

/* queue:N, ADDR:PORT or [ADDR6]:PORT */
static int key_redirect(struct rule *r, const char *val, const char **why)
{
	char a[64];
	const char *colon = strrchr(val, ':');
	struct range port;
	uint64_t q;
	size_t len;

	*why = "queue:N, IPV4:PORT or [IPV6]:PORT";
	if (!colon)
		return -EINVAL;
	len = colon - val;
	if (!strncmp(val, "queue:", 6) && len == 5) {
		if (value_u64(colon + 1, 65535, &q) < 0) {
			*why = "a queue number 0-65535";
			return -EINVAL;
		}
		r->v.queue = q;
		r->v.family = 0;
		return 0;
	}
	if (val[0] == '[') {
		if (len < 3 || val[len - 1] != ']')
			return -EINVAL;
		val++;
		len -= 2;
	}
	if (len >= sizeof(a))
		return -EINVAL;
	memcpy(a, val, len);
	a[len] = '\0';
	if (value_addr(a, &r->v.family, r->v.addr) < 0 ||
	    (r->v.family == AF_INET6) != (val[-1] == '['))
		return -EINVAL;
	if (value_port(colon + 1, &port, why) < 0 || port.lo != port.hi || !port.lo) {
		*why = "a port 1-65535 after the address";
		return -EINVAL;
	}
	r->v.port = port.lo;
	return 0;
}

static int yes_no(const char *val, bool *out, const char **why)
{
	*why = "yes or no";
	if (!strcmp(val, "yes"))
		*out = true;
	else if (!strcmp(val, "no"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int key_log(struct rule *r, const char *val, const char **why)
{
	bool b = false;
	int ret = yes_no(val, &b, why);

	r->log = b;
	return ret;
}

static const struct {
	const char *name;
	key_fn fn;
} keys[K__COUNT] = {
	[K_EXE] = { "exe", key_exe },
	[K_SHA256] = { "sha256", key_sha256 },
	[K_CMDLINE] = { "cmdline", key_cmdline },
	[K_USER] = { "user", key_user },
	[K_GROUP] = { "group", key_group },
	[K_PARENT] = { "parent", key_parent },
	[K_ANCESTOR] = { "ancestor", key_ancestor },
	[K_PEDIGREE] = { "pedigree", key_pedigree },
	[K_SCRIPT] = { "script", key_script },
	[K_UNIT] = { "unit", key_unit },
	[K_CGROUP] = { "cgroup", key_cgroup },
	[K_PROTO] = { "proto", key_proto },
	[K_REMOTE] = { "remote", key_remote },
	[K_LOCAL] = { "local", key_local },
	[K_RPORT] = { "rport", key_rport },
	[K_LPORT] = { "lport", key_lport },
	[K_HOST] = { "host", key_host },
	[K_DIRECTION] = { "direction", key_direction },
	[K_TCPFLAGS] = { "tcpflags", key_tcpflags },
	[K_LENGTH] = { "length", key_length },
	[K_NTH] = { "nth", key_nth },
	[K_ACTION] = { "action", key_action },
	[K_MARK] = { "mark", key_mark },
	[K_REDIRECT] = { "redirect", key_redirect },
	[K_LOG] = { "log", key_log },
	[K_DSCP] = { "dscp", key_dscp },
};

const char *key_name(enum rule_key k)
{
	return keys[k].name;
}

int key_rule(struct rule *r, const char *key, const char *val, unsigned line,
	     const char **why)
{
	size_t i;

	for (i = 0; i < K__COUNT; i++)
		if (!strcmp(key, keys[i].name))
			break;
	if (i == K__COUNT) {
		*why = "unknown key: expected exe, sha256, cmdline, user, group, "
		       "parent, ancestor, pedigree, script, unit, cgroup, direction, "
		       "proto, remote, local, rport, lport, host, tcpflags, length, "
		       "nth, action, mark, dscp, redirect or log";
		return -ENOENT;
	}
	if (r->keys & (1u << i)) {
		*why = "each key at most once in a rule (write a list instead)";
		return -EEXIST;
	}
	r->keys |= 1u << i;
	r->keyline[i] = line;
	return keys[i].fn(r, val, why);
}

static int verdict_of(const char *val, enum rules_action *out, const char **why)
{
	*why = "accept or drop";
	if (!strcmp(val, "accept"))
		*out = RULES_ACCEPT;
	else if (!strcmp(val, "drop"))
		*out = RULES_DROP;
	else
		return -EINVAL;
	return 0;
}

static int global_default(struct rules_global *g, const char *val,
			  const char **why)
{
	return verdict_of(val, &g->def, why);
}

static int global_unknown(struct rules_global *g, const char *val,
			  const char **why)
{
	return verdict_of(val, &g->unknown, why);
}

static int global_kernel(struct rules_global *g, const char *val,
			 const char **why)
{
	return verdict_of(val, &g->kernel, why);
}

static int global_failmode(struct rules_global *g, const char *val,
			   const char **why)
{
	*why = "open or closed";
	if (!strcmp(val, "open"))
		g->failmode = RULES_FAIL_OPEN;
	else if (!strcmp(val, "closed"))
		g->failmode = RULES_FAIL_CLOSED;
	else
		return -EINVAL;
	return 0;
}

static int global_queue(struct rules_global *g, const char *val,
			const char **why)
{
	uint64_t q;

	/* Those after it are honefw's too. */
	_Static_assert(RULES_QUEUE_MAX == 65526, "the message says 65526");
	*why = "a queue number 0-65526";
	if (value_u64(val, RULES_QUEUE_MAX, &q) < 0)
		return -EINVAL;
	g->queue = q;
	return 0;
}

static int global_log(struct rules_global *g, const char *val,
		      const char **why)
{
	return yes_no(val, &g->log, why);
}

static const struct {
	const char *name;
	int (*fn)(struct rules_global *g, const char *val, const char **why);
} globals[G__COUNT] = {
	[G_DEFAULT] = { "default", global_default },
	[G_UNKNOWN] = { "unknown", global_unknown },
	[G_KERNEL] = { "kernel", global_kernel },
	[G_FAILMODE] = { "failmode", global_failmode },
	[G_QUEUE] = { "queue", global_queue },
	[G_LOG] = { "log", global_log },
};

int key_global(struct rules_global *g, unsigned keyline[G__COUNT],
	       const char *key, const char *val, unsigned line, const char **why)
{
	size_t i;

	for (i = 0; i < G__COUNT; i++)
		if (!strcmp(key, globals[i].name))
			break;
	if (i == G__COUNT) {
		*why = "unknown key in [global]: expected default, unknown, "
		       "kernel, failmode, queue or log";
		return -ENOENT;
	}
	/* the last one winning would hide the first from whoever reads it */
	if (keyline[i]) {
		*why = "each key at most once in [global]";
		return -EEXIST;
	}
	keyline[i] = line;
	return globals[i].fn(g, val, why);
}

/* Checks that need the whole rule. */
int rule_finish(struct rule *r, enum rule_key *blame, const char **why)
{
	bool redirect = r->keys & (1u << K_REDIRECT);

	*blame = K_ACTION;
	if (!(r->keys & (1u << K_ACTION))) {
		*why = "an action: action = accept, drop, reject or redirect";
		return -EINVAL;
	}
	if ((r->v.action == RULES_REDIRECT_QUEUE) != redirect) {
		*blame = redirect ? K_REDIRECT : K_ACTION;
		*why = redirect ? "action = redirect with a redirect key" :
				  "a redirect key (queue:N or ADDR:PORT) with action = redirect";
		return -EINVAL;
	}
	if (redirect && r->v.family)
		r->v.action = RULES_REDIRECT_ADDR;
	if (r->v.has_mark && (r->v.action == RULES_DROP ||
			      r->v.action == RULES_REJECT)) {
		*blame = K_MARK;
		*why = "mark only with action = accept or redirect (a dropped packet "
		       "has no use for a mark)";
		return -EINVAL;
	}
	if (r->v.has_dscp && r->v.action != RULES_ACCEPT) {
		*blame = K_DSCP;
		*why = "dscp only with action = accept (a redirect keeps the "
		       "packet's own)";
		return -EINVAL;
	}
	r->v.per_packet = r->keys & KEYS_PACKET;
	r->v.rule = r;
	return 0;
}

static void strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

void rule_free(struct rule *r)
{
	if (!r)
		return;
	strlist_free(&r->exe);
	strlist_free(&r->parent);
	strlist_free(&r->ancestor);
	strlist_free(&r->pedigree);
	strlist_free(&r->script);
	strlist_free(&r->unit);
	strlist_free(&r->cgroup);
	strlist_free(&r->host);
	free(r->cmdline);
	free(r->sha256);
	free(r->uid.v);
	free(r->gid.v);
	free(r->remote.v);
	free(r->local.v);
	free(r->rport.v);
	free(r->lport.v);
	free(r->length.v);
	free(r->nth.v);
	free(r->name);
	free(r);
}
