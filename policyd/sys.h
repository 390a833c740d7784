/* SPDX-License-Identifier: GPL-2.0 */
/* What honefw and honeread ask of the system alike. */
#ifndef HONE_SYS_H
#define HONE_SYS_H

/* Join the network namespace /run/netns/NAME. */
int sys_join_netns(const char *name);
/* SIGHUP, SIGUSR1, SIGTERM and SIGINT blocked, and read from the
 * descriptor returned (non-blocking), or -1 with errno. */
int sys_signals(void);
/* Keep CAP_NET_ADMIN and what reading other users' /proc entries needs;
 * drop every other capability for good, and set no_new_privs. */
int sys_drop_privileges(void);

#endif /* HONE_SYS_H */
