/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers of the rule-language tests: load text, describe packets and
 * processes. */
#ifndef HONE_TEST_RULES_H
#define HONE_TEST_RULES_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "rules.h"

struct diag {
	unsigned errors, warnings;
	unsigned first_line;	/* of the first error */
	char text[8192];	/* "file:line: [w] msg" lines */
};

static inline void diag_report(void *ctx, const char *file, unsigned line,
			       bool warning, const char *msg)
{
	struct diag *d = ctx;
	size_t len = strlen(d->text);

	if (!warning && !d->errors++)
		d->first_line = line;
	d->warnings += warning;
	snprintf(d->text + len, sizeof(d->text) - len, "%s:%u: %s%s\n", file,
		 line, warning ? "warning: " : "", msg);
}

static inline struct rules *load_text(const char *text, struct diag *d)
{
	struct rules *rs = NULL;

	memset(d, 0, sizeof(*d));
	rules_load_buffer("t.ini", text, strlen(text), diag_report, d, &rs);
	return rs;
}

static inline struct rules *must_load(const char *text)
{
	struct diag d;
	struct rules *rs = load_text(text, &d);

	cr_assert_not_null(rs, "%s", d.text);
	return rs;
}

/* Rules files on disk: name under dir, root's and mode 0644. */
static inline const char *in_dir(char buf[256], const char *dir, const char *name)
{
	cr_assert_lt(snprintf(buf, 256, "%s/%s", dir, name), 256);
	return buf;
}

static inline void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, 0644), 0);
}

static inline void remove_tree(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

static inline struct rules *load_path(const char *path, unsigned flags,
				      struct diag *d)
{
	struct rules *rs = NULL;

	memset(d, 0, sizeof(*d));
	rules_load(path, flags, diag_report, d, &rs);
	return rs;
}

static inline struct rules_pkt pkt_of(const char *remote, uint8_t proto,
				      uint16_t rport, uint8_t dir)
{
	struct rules_pkt p = { .proto = proto, .dir = dir, .rport = rport,
			       .lport = 40000, .length = 100, .nth = 1 };

	if (inet_pton(AF_INET, remote, p.remote) == 1) {
		p.family = AF_INET;
		inet_pton(AF_INET, "192.168.1.2", p.local);
	} else {
		p.family = AF_INET6;
		inet_pton(AF_INET6, remote, p.remote);
		inet_pton(AF_INET6, "fd00::2", p.local);
	}
	return p;
}

/* The name of the rule that decides, or "-" for the defaults. */
static inline const char *decide(const struct rules *rs,
				 const struct rules_pkt *p,
				 const struct rules_proc *proc,
				 struct rules_verdict *v)
{
	const struct rule *r = rules_match(rs, p, proc, v);

	return r ? rule_name(r) : "-";
}

#endif /* HONE_TEST_RULES_H */
