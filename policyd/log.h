/* SPDX-License-Identifier: GPL-2.0 */
/* One log module, OpenBSD style: stderr until log_init(1) sends to syslog. */
#ifndef HONE_LOG_H
#define HONE_LOG_H

#include <stdbool.h>

void log_init(const char *ident, bool syslog, int verbose);
/* A daemon's start: to syslog and into the background, unless foreground
 * (stderr). */
void log_start(const char *ident, bool foreground, int verbose);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#define warn	log_warn
#define warnx	log_warnx

#endif /* HONE_LOG_H */
