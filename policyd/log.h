/* SPDX-License-Identifier: GPL-2.0 */
/* One log module, OpenBSD style: stderr until log_init(1) sends to syslog.
 * Under systemd (stderr is the journal's stream, $JOURNAL_STREAM), lines
 * with fields (log_fields_info) are journal entries carrying them. */
#ifndef HONE_LOG_H
#define HONE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Journal fields of one entry, "KEY=value" each, in buf. */
#define LOG_FIELDS_MAX	24
struct log_fields {
	struct iovec iov[LOG_FIELDS_MAX];
	size_t n, used;
	char buf[2048];
};

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

/* Adds KEY=value; what does not fit is left out (a field, never half). */
void log_field(struct log_fields *lf, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* log_info, or in the journal an entry with lf's fields and the line as
 * MESSAGE. */
void log_fields_info(const struct log_fields *lf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Whether log_fields_info writes to the journal. */
bool log_journal(void);
/* From now on a thread writes the log: no caller waits for its reader. A
 * line that finds 256 others waiting is lost, counted and said. */
int log_async(void);
/* Lines lost so far. */
uint64_t log_lost(void);

#define warn	log_warn
#define warnx	log_warnx

#endif /* HONE_LOG_H */
