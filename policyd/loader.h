/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A reload's rule set, parsed off the verdict path: the files are read at
 * once (by the parent: priv_rules_read()) and parsed on a thread of their
 * own, as user and group names go through NSS, which may hang (its
 * directory down), and executables' paths are resolved. The rules in
 * force judge meanwhile.
 */
#ifndef HONE_LOADER_H
#define HONE_LOADER_H

#include "rules.h"

struct loader;

/* Reads path's files and starts parsing them; report is called on the
 * parsing thread. */
int loader_start(const char *path, rules_report_fn report, void *ctx,
		 struct loader **out);
/* Readable once the parse has ended. */
int loader_fd(const struct loader *l);
/* -EAGAIN while the parse goes on; else l is freed, and the result is
 * 0 and *out, or the load's error (each already reported). */
int loader_end(struct loader *l, struct rules **out);
/* Gives it up: a parse stuck in NSS is left behind, and frees itself if
 * it ever ends, reporting nothing more. */
void loader_abandon(struct loader *l);

#endif /* HONE_LOADER_H */
