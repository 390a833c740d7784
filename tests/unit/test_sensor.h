/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for the sensor tests (test_sensor_util.c). */
#ifndef HONE_TEST_SENSOR_H
#define HONE_TEST_SENSOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "owner.h"
#include "sensor.h"

struct inet_diag_msg;

/* What sock_diag says of a socket. */
struct diag_sock {
	uint64_t cookie;
	uint32_t uid;
	uint64_t inode;		/* 0 once no process holds it */
};
/* Every socket of family/proto in states (a TCPF_* mask, ~0 for all);
 * cb returns MNL_CB_OK to go on. */
int diag_dump(int family, int proto, uint32_t states,
	      int (*cb)(const struct inet_diag_msg *m, void *data), void *data);
uint64_t diag_cookie(const struct inet_diag_msg *m);
/* A TCP socket by its cookie. */
int diag_find_cookie(int family, uint64_t cookie, struct diag_sock *out);

/* Drain s, which tells o, until pred(s, o, pid) holds or timeout_ms
 * passes. */
bool sensor_wait(struct sensor *s, struct owners *o, pid_t pid,
		 bool (*pred)(struct sensor *s, struct owners *o, pid_t pid),
		 int timeout_ms);
bool proc_gone(struct sensor *s, struct owners *o, pid_t pid);

/* posix_spawn argv with stdout on a pipe (*out, if out is set). */
pid_t spawn(char *const argv[], int *out);
/* One line of a child's output, as a number. */
uint64_t read_number(int fd);

/* A TCP listener on 127.0.0.1, any port. */
int tcp_listener(void);
/* A python3 child that connects to lfd, prints its SO_COOKIE on *out and
 * waits for a byte or EOF; *afd is our end. */
pid_t spawn_tcp_client(int lfd, int *out, int *afd, uint64_t *cookie);

#endif
