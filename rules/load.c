// SPDX-License-Identifier: GPL-2.0
/* Loading a rule set: rules.ini and then rules.d/ *.ini in lexical order,
 * each refused unless it is a regular file that root owns and only root
 * may write, in directories only root may change; checks across files;
 * diagnostics; the rule set's accessors. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rules_priv.h"

#define FILE_MAX	(16u << 20)

void load_say(struct load *ld, const char *file, unsigned line, bool warning,
	      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!warning && ++ld->errors > RULES_MAX_ERRORS) {
		if (ld->errors == RULES_MAX_ERRORS + 1 && ld->report)
			ld->report(ld->ctx, file, line, false,
				   "too many errors, not reporting the rest");
		return;
	}
	if (!ld->report)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ld->report(ld->ctx, file, line, warning, msg);
}

/* The name rules point to, kept for the rule set's lifetime. */
static const char *file_intern(struct rules *rs, const char *name)
{
	char **v = realloc(rs->files, (rs->nfiles + 1) * sizeof(*v));

	if (!v)
		return NULL;
	rs->files = v;
	v[rs->nfiles] = strdup(name);
	return v[rs->nfiles] ? v[rs->nfiles++] : NULL;
}

/* Like sshd's StrictModes: whoever may write the rules owns the firewall. */
static bool owner_ok(struct load *ld, const char *name, const struct stat *st)
{
	if (st->st_uid != 0) {
		load_say(ld, name, 0, false, "refused: owned by uid %u, expected "
			 "root", (unsigned)st->st_uid);
		return false;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		load_say(ld, name, 0, false, "refused: writable by group or others "
			 "(mode %04o), expected chmod go-w", st->st_mode & 07777);
		return false;
	}
	return true;
}

/* And whoever may rename entries of a directory above them may swap in
 * rules of their own: each directory from / down must be root's and
 * writable by root only. A root-owned directory with the sticky bit (/tmp)
 * will do, since there nobody but root may rename or unlink root's
 * entries. dir is the first len bytes of path, "/" when len is 0. */
static bool dir_ok(struct load *ld, const char *name, const char *path,
		   size_t len, const struct stat *st)
{
	int n = len ? (int)len : 1;

	if (st->st_uid != 0) {
		load_say(ld, name, 0, false, "refused: directory %.*s is owned by uid "
			 "%u (mode %04o), expected root", n, path,
			 (unsigned)st->st_uid, st->st_mode & 07777);
		return false;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX)) {
		load_say(ld, name, 0, false, "refused: directory %.*s is writable by "
			 "group or others (mode %04o), expected chmod go-w or the "
			 "sticky bit", n, path, st->st_mode & 07777);
		return false;
	}
	return true;
}

/* From dfd, which it closes, to the component at comp (up to '/' or the
 * end). O_NOFOLLOW: the walk goes where realpath() said or nowhere. */
static int step(int dfd, char *comp, int flags)
{
	char *slash = strchr(comp, '/');
	int fd, err;

	if (slash)
		*slash = '\0';
	fd = openat(dfd, comp, flags | O_NOFOLLOW | O_CLOEXEC);
	err = errno;
	if (slash)
		*slash = '/';
	close(dfd);
	errno = err;
	return fd;
}

/* Opens name with flags, going down from / one component of its realpath
 * at a time and, if check, checking each directory on the way: those
 * checked are those passed through, and one swapped for a symlink since
 * realpath() fails the open. Returns the fd, or -1 once said. */
static int open_strict(struct load *ld, const char *name, int flags,
		       bool check)
{
	char *real, *comp, *slash;
	struct stat st;
	int fd = -1, dfd;

	real = realpath(name, NULL);
	if (!real) {
		load_say(ld, name, 0, false, "cannot open: %s", strerror(errno));
		return -1;
	}
	dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (comp = real + 1; dfd >= 0; comp = slash + 1) {
		if (fstat(dfd, &st) < 0)
			break;
		if (check && !dir_ok(ld, name, real, comp - 1 - real, &st))
			goto out_close;
		slash = strchr(comp, '/');
		if (!slash) {
			fd = step(dfd, comp, flags);
			dfd = -1;
			break;
		}
		dfd = step(dfd, comp, O_PATH | O_DIRECTORY);
	}
	if (fd < 0)
		load_say(ld, name, 0, false, "cannot open: %s", strerror(errno));
out_close:
	if (dfd >= 0)
		close(dfd);
	free(real);
	return fd;
}

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO:
		return "a FIFO";
	case S_IFDIR:
		return "a directory";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	}
	return "of another type";
}

static int load_file(struct load *ld, const char *name, bool main_file,
		     unsigned flags)
{
	const char *file;
	struct stat st;
	char *buf = NULL;
	ssize_t got;
	size_t len = 0;
	int fd, ret = 0;

	/* O_NONBLOCK: a FIFO opens at once, where it would wait for a
	 * writer, and is refused below instead of blocking the daemon. */
	fd = open_strict(ld, name, O_RDONLY | O_NONBLOCK,
			 !(flags & RULES_LOAD_NO_OWNER_CHECK));
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0) {
		load_say(ld, name, 0, false, "cannot stat: %s", strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		load_say(ld, name, 0, false, "refused: not a regular file (%s), "
			 "expected a regular file", file_kind(st.st_mode));
		goto out_close;
	}
	if (st.st_size > FILE_MAX) {
		load_say(ld, name, 0, false, "expected a file of at most 16 MiB");
		goto out_close;
	}
	if (!(flags & RULES_LOAD_NO_OWNER_CHECK) && !owner_ok(ld, name, &st))
		goto out_close;
	buf = malloc(st.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out_close;
	}
	while (len < (size_t)st.st_size &&
	       (got = read(fd, buf + len, st.st_size - len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			load_say(ld, name, 0, false, "cannot read: %s", strerror(errno));
			goto out_free;
		}
		len += got;
	}
	file = file_intern(ld->rs, name);
	ret = file ? parse_buffer(ld, file, main_file, buf, len) : -ENOMEM;
out_free:
	free(buf);
out_close:
	close(fd);
	return ret;
}

static int ini_filter(const struct dirent *d)
{
	return d->d_name[0] != '.' && !fnmatch("*.ini", d->d_name, FNM_PERIOD);
}

/* Byte order, whatever the locale. */
static int lexical(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int load_dir(struct load *ld, const char *dir, unsigned flags)
{
	bool check = !(flags & RULES_LOAD_NO_OWNER_CHECK);
	struct dirent **ents;
	struct stat st;
	char path[4096];
	int fd, i, n, ret = 0;

	if (stat(dir, &st) < 0 && errno == ENOENT)
		return 0;
	fd = open_strict(ld, dir, O_RDONLY | O_DIRECTORY, check);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0) {
		load_say(ld, dir, 0, false, "cannot stat: %s", strerror(errno));
		goto out_close;
	}
	/* no sticky bit here: whoever may add a file adds rules */
	if (check && !owner_ok(ld, dir, &st))
		goto out_close;
	n = scandirat(fd, ".", &ents, ini_filter, lexical);
	if (n < 0) {
		load_say(ld, dir, 0, false, "cannot read the directory: %s",
			 strerror(errno));
		goto out_close;
	}
	for (i = 0; i < n; i++) {
		if (!ret && snprintf(path, sizeof(path), "%s/%s", dir,
				     ents[i]->d_name) >= (int)sizeof(path))
			load_say(ld, dir, 0, false, "expected shorter file names");
		else if (!ret)
			ret = load_file(ld, path, false, flags);
		free(ents[i]);
	}
	free(ents);
out_close:
	close(fd);
	return ret;
}

static int by_name(const void *a, const void *b)
{
	const struct rule *x = *(struct rule *const *)a;
	const struct rule *y = *(struct rule *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Rule names are how logs and --explain name a rule: unique across files.
 * Sorting keeps 100,000 rules fast. */
static int check_names(struct load *ld)
{
	struct rules *rs = ld->rs;
	struct rule **v;
	size_t i;

	if (rs->n < 2)
		return 0;
	v = malloc(rs->n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v, rs->rule, rs->n * sizeof(*v));
	qsort(v, rs->n, sizeof(*v), by_name);
	for (i = 1; i < rs->n; i++)
		if (!strcmp(v[i - 1]->name, v[i]->name))
			load_say(ld, v[i]->file, v[i]->line, false,
				 "[%s]: expected a new rule name, already used at %s:%u",
				 v[i]->name, v[i - 1]->file, v[i - 1]->line);
	free(v);
	return 0;
}

/* A rule with nothing but an action takes every packet: what follows it
 * is dead, which is surely not what its author meant. Said once. */
static void check_reachable(struct load *ld)
{
	const struct rule *r, *all;
	size_t i;

	for (i = 0; i + 1 < ld->rs->n; i++) {
		all = ld->rs->rule[i];
		if (all->keys & ~KEYS_ACTION)
			continue;
		r = ld->rs->rule[i + 1];
		load_say(ld, r->file, r->line, true, "the rules from [%s] on (%zu) are "
			 "never reached: [%s] at %s:%u takes every packet",
			 r->name, ld->rs->n - i - 1, all->name, all->file, all->line);
		return;
	}
}

/* Does b do what a does to a packet besides its action: the same redirect
 * target or DSCP? */
static bool same_effect(const struct rules_verdict *a,
			const struct rules_verdict *b)
{
	if (a->action == RULES_REDIRECT_ADDR)
		return b->action == a->action && b->family == a->family &&
		       b->port == a->port &&
		       !memcmp(b->addr, a->addr, sizeof(a->addr));
	return b->has_dscp && b->dscp == a->dscp;
}

/* RULES_EFFECTS_MAX: said at the rule that brings one too many. */
static void check_effects(struct load *ld)
{
	const struct rules_verdict *e[RULES_EFFECTS_MAX], *v;
	size_t i, j, n = 0;

	for (i = 0; i < ld->rs->n; i++) {
		v = &ld->rs->rule[i]->v;
		if (v->action != RULES_REDIRECT_ADDR && !v->has_dscp)
			continue;
		for (j = 0; j < n && !same_effect(e[j], v); j++)
			;
		if (j < n)
			continue;
		if (n == RULES_EFFECTS_MAX) {
			load_say(ld, ld->rs->rule[i]->file, ld->rs->rule[i]->line,
				 false, "[%s]: expected at most %d distinct "
				 "redirect targets and dscp values in the rule set",
				 ld->rs->rule[i]->name, RULES_EFFECTS_MAX);
			return;
		}
		e[n++] = v;
	}
}

/* The defaults: unknown is default's, kernel is unknown's, so that a file
 * written before either existed means what it meant. And what an
 * allowlist most likely did not mean. */
static void check_global(struct load *ld)
{
	struct rules_global *g = &ld->rs->g;

	if (!ld->global_line[G_UNKNOWN])
		g->unknown = g->def;
	if (!ld->global_line[G_KERNEL])
		g->kernel = g->unknown;
	if (g->def == RULES_DROP && ld->global_line[G_UNKNOWN] &&
	    g->unknown == RULES_ACCEPT)
		load_say(ld, ld->global_file, ld->global_line[G_UNKNOWN], true,
			 "unknown = accept lets through every packet whose process "
			 "is not known, e.g. of a process that exits right after "
			 "sending: an allowlist is open to them (kernel = accept "
			 "passes the kernel's own packets)");
}

/* [ipfix] without a collector names nowhere to send. */
static void check_ipfix(struct load *ld)
{
	const char *why;

	if (ld->ipfix_file && ipfix_finish(&ld->rs->ipfix, &why) < 0)
		load_say(ld, ld->ipfix_file, ld->ipfix_line, false,
			 "[ipfix]: expected %s", why);
}

static int load_finish(struct load *ld, struct rules **out)
{
	struct rules *rs = ld->rs;
	size_t i;
	int ret;

	ret = check_names(ld);
	if (!ret) {
		check_reachable(ld);
		check_effects(ld);
		check_ipfix(ld);
	}
	if (!ret && ld->errors)
		ret = -EINVAL;
	check_global(ld);
	for (i = 0; !ret && i < rs->n; i++) {
		rs->rule[i]->idx = i;
		if (rs->rule[i]->log < 0)
			rs->rule[i]->v.log = rs->g.log;
		else
			rs->rule[i]->v.log = rs->rule[i]->log;
		rs->need_sha256 |= !!rs->rule[i]->nsha256;
		rs->need_host |= !!rs->rule[i]->host.n;
	}
	if (!ret)
		ret = index_build(rs);
	for (i = 0; !ret && i < rs->n; i++) {
		const struct rule *r = rs->rule[i], *by = index_shadow(rs, r);

		if (by)
			load_say(ld, r->file, r->line, true, "[%s] is never reached: "
				 "[%s] at %s:%u takes every packet of its executables",
				 r->name, by->name, by->file, by->line);
	}
	if (ret) {
		rules_free(rs);
		return ret;
	}
	*out = rs;
	return 0;
}

static int load_init(struct load *ld, rules_report_fn report, void *ctx)
{
	*ld = (struct load){ .report = report, .ctx = ctx };
	ld->rs = calloc(1, sizeof(*ld->rs));
	if (!ld->rs)
		return -ENOMEM;
	ld->rs->g = (struct rules_global){
		.def = RULES_ACCEPT, .failmode = RULES_FAIL_OPEN,
	};
	return 0;
}

int rules_load(const char *path, unsigned flags, rules_report_fn report,
	       void *ctx, struct rules **out)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	struct load ld;
	int ret;

	*out = NULL;
	ret = load_init(&ld, report, ctx);
	if (ret)
		return ret;
	if (snprintf(dir, sizeof(dir), "%.*s/rules.d",
		     slash ? (int)(slash - path) : 1, slash ? path : ".") >=
	    (int)sizeof(dir)) {
		load_say(&ld, path, 0, false, "expected a shorter path");
		ret = -ENAMETOOLONG;
	}
	if (!ret)
		ret = load_file(&ld, path, true, flags);
	if (!ret)
		ret = load_dir(&ld, dir, flags);
	if (!ret)
		ret = paths_resolve(&ld);
	if (ret) {
		rules_free(ld.rs);
		return ret;
	}
	return load_finish(&ld, out);
}

int rules_load_buffer(const char *name, const char *buf, size_t len,
		      rules_report_fn report, void *ctx, struct rules **out)
{
	const char *file;
	struct load ld;
	int ret;

	*out = NULL;
	ret = load_init(&ld, report, ctx);
	if (ret)
		return ret;
	file = file_intern(ld.rs, name);
	ret = file ? parse_buffer(&ld, file, true, buf, len) : -ENOMEM;
	if (ret) {
		rules_free(ld.rs);
		return ret;
	}
	return load_finish(&ld, out);
}

void rules_free(struct rules *rs)
{
	size_t i;

	if (!rs)
		return;
	index_free(&rs->index);
	ipfix_free(&rs->ipfix);
	for (i = 0; i < rs->n; i++)
		rule_free(rs->rule[i]);
	for (i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->files);
	free(rs->rule);
	free(rs);
}

const struct rules_global *rules_global(const struct rules *rs)
{
	return &rs->g;
}

const struct rules_ipfix *rules_ipfix(const struct rules *rs)
{
	return &rs->ipfix;
}

size_t rules_count(const struct rules *rs)
{
	return rs->n;
}

const struct rules_verdict *rules_verdict_nth(const struct rules *rs, size_t i)
{
	return &rs->rule[i]->v;
}

bool rules_need_sha256(const struct rules *rs)
{
	return rs->need_sha256;
}

bool rules_need_host(const struct rules *rs)
{
	return rs->need_host;
}

const char *rule_name(const struct rule *r)
{
	return r->name;
}

const char *rule_file(const struct rule *r)
{
	return r->file;
}

unsigned rule_line(const struct rule *r)
{
	return r->line;
}

size_t rule_index(const struct rule *r)
{
	return r->idx;
}

const char *rules_action_name(enum rules_action a)
{
	switch (a) {
	case RULES_ACCEPT:
		return "accept";
	case RULES_DROP:
		return "drop";
	case RULES_REJECT:
		return "reject";
	case RULES_REDIRECT_QUEUE:
	case RULES_REDIRECT_ADDR:
		return "redirect";
	}
	return "?";
}
