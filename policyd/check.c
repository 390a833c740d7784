// SPDX-License-Identifier: GPL-2.0
/* honefw --check: load the rules exactly as the daemon would (owner and
 * mode checks included) and say what is wrong, one "file:line: message"
 * line each, or give a one-line summary. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "honefw.h"
#include "rules.h"

struct check {
	unsigned errors, warnings;
};

static void check_report(void *ctx, const char *file, unsigned line,
			 bool warning, const char *msg)
{
	struct check *c = ctx;

	if (warning)
		c->warnings++;
	else
		c->errors++;
	if (line)
		fprintf(stderr, "%s:%u: %s%s\n", file, line,
			warning ? "warning: " : "", msg);
	else
		fprintf(stderr, "%s: %s%s\n", file, warning ? "warning: " : "", msg);
}

int check_main(const char *path)
{
	const struct rules_global *g;
	struct check c = { 0 };
	struct rules *rs;
	int ret;

	ret = rules_load(path, 0, check_report, &c, &rs);
	if (ret < 0) {
		if (!c.errors)
			fprintf(stderr, "%s: %s\n", path, strerror(-ret));
		fprintf(stderr, "%s: rejected, %u error%s\n", path, c.errors,
			c.errors == 1 ? "" : "s");
		return 1;
	}
	g = rules_global(rs);
	printf("%s: ok, %zu rule%s, default %s, unknown %s, kernel %s, failmode %s, "
	       "queue %u, %u warning%s\n", path, rules_count(rs),
	       rules_count(rs) == 1 ? "" : "s", rules_action_name(g->def),
	       rules_action_name(g->unknown), rules_action_name(g->kernel),
	       g->failmode == RULES_FAIL_OPEN ? "open" : "closed", g->queue,
	       c.warnings, c.warnings == 1 ? "" : "s");
	rules_free(rs);
	return 0;
}
