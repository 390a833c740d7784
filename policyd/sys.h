/* SPDX-License-Identifier: GPL-2.0 */
/* What honefw and honeread ask of the system alike. */
#ifndef HONE_SYS_H
#define HONE_SYS_H

#include <stddef.h>
#include <stdint.h>

/* Join the network namespace /run/netns/NAME. */
int sys_join_netns(const char *name);
/* The inode of this process's network namespace (as hone.ko names it). */
int sys_netns_ino(uint32_t *ino);
/* SIGHUP, SIGUSR1, SIGTERM and SIGINT blocked, and extra if not 0, and
 * read from the descriptor returned (non-blocking), or -1 with errno. */
int sys_signals(int extra);
/* The n capabilities of caps, effective and permitted, and no others. */
int sys_caps(const int *caps, size_t n);
/* Keep the n capabilities of keep (CAP_SETPCAP effective until then);
 * drop every other for good, and set no_new_privs. */
int sys_drop_privileges(const int *keep, size_t n);

#endif /* HONE_SYS_H */
