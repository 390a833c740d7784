/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HONE_HONEFW_H
#define HONE_HONEFW_H

#define HONEFW_RULES	"/etc/hone/rules.ini"

/* check.c: honefw --check; returns the exit status. */
int check_main(const char *path);

#endif /* HONE_HONEFW_H */
