// SPDX-License-Identifier: GPL-2.0
/* The paths of the who-keys as the kernel names executables: with every
 * symlink resolved. On Debian 12 /bin is a symlink to usr/bin, so a rule
 * for /bin/bash would never match anything; it is made to mean
 * /usr/bin/bash, and the author is told. Done for rules read from disk
 * only: they are this host's, where text from memory may not be. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_priv.h"

/* A literal path whole; of a glob, the directories before its first glob
 * character, which is as far as a path can be resolved without matching.
 * "*" and "**" of a pedigree do not start with '/' and are left alone. */
static int resolve_one(struct load *ld, const char *file, unsigned line,
		       char **path)
{
	const char *p = *path, *glob = strpbrk(p, GLOB_CHARS);
	size_t len = strlen(p);
	char *dir, *real, *out;

	if (p[0] != '/')
		return 0;
	if (glob) {
		while (glob[-1] != '/')
			glob--;
		len = glob - 1 - p;
		if (!len)	/* "/x*": nothing before the glob */
			return 0;
	}
	dir = strndup(p, len);
	if (!dir)
		return -ENOMEM;
	real = realpath(dir, NULL);
	if (!real && errno == ENOMEM) {
		free(dir);
		return -ENOMEM;
	}
	if (!real && (errno == ENOENT || errno == ENOTDIR))
		load_say(ld, file, line, true, glob ? "%s does not exist (the "
			 "directory of %s)" : "%s does not exist", dir, p);
	else if (!real)
		load_say(ld, file, line, true, "%s cannot be resolved: %s", dir,
			 strerror(errno));
	free(dir);
	if (!real)
		return 0;
	/* realpath() gives "/" alone without a trailing '/'; p + len has one */
	if (asprintf(&out, "%s%s", strcmp(real, "/") ? real : "", p + len) < 0) {
		free(real);
		return -ENOMEM;
	}
	free(real);
	if (!strcmp(out, p)) {
		free(out);
		return 0;
	}
	load_say(ld, file, line, true, "%s resolved to %s", p, out);
	free(*path);
	*path = out;
	return 0;
}

static int resolve_list(struct load *ld, const struct rule *r, enum rule_key k,
			struct strlist *l)
{
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < l->n; i++)
		ret = resolve_one(ld, r->file, r->keyline[k], &l->v[i]);
	return ret;
}

int paths_resolve(struct load *ld)
{
	struct rule *r;
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < ld->rs->n; i++) {
		r = ld->rs->rule[i];
		ret = resolve_list(ld, r, K_EXE, &r->exe);
		if (!ret)
			ret = resolve_list(ld, r, K_PARENT, &r->parent);
		if (!ret)
			ret = resolve_list(ld, r, K_ANCESTOR, &r->ancestor);
		if (!ret)
			ret = resolve_list(ld, r, K_PEDIGREE, &r->pedigree);
		if (!ret)
			ret = resolve_list(ld, r, K_SCRIPT, &r->script);
	}
	return ret;
}
