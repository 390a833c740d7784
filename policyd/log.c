// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log.h"

static const char *log_ident = "honefw";
static bool log_syslog;
static int log_verbose;
static bool log_to_journal;

/* systemd names in $JOURNAL_STREAM the stream it gave stdout and stderr:
 * while stderr is still that stream, the journal reads what honefw says,
 * and an entry of its own can carry fields. */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_init(const char *ident, bool use_syslog, int verbose)
{
	log_ident = ident;
	log_syslog = use_syslog;
	log_verbose = verbose;
	log_to_journal = !use_syslog && stderr_is_journal();
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_start(const char *ident, bool foreground, int verbose)
{
	log_init(ident, !foreground, verbose);
	if (!foreground && daemon(1, 0) < 0)
		fatal("daemon");
}

static void vlog(int pri, int errnum, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog) {
		if (errnum)
			syslog(pri, "%s: %s", msg, strerror(errnum));
		else
			syslog(pri, "%s", msg);
		return;
	}
	if (errnum)
		fprintf(stderr, "%s: %s: %s\n", log_ident, msg, strerror(errnum));
	else
		fprintf(stderr, "%s: %s\n", log_ident, msg);
}

#define LOGFN(name, pri, err)				\
void name(const char *fmt, ...)				\
{							\
	int saved = errno;				\
	va_list ap;					\
							\
	va_start(ap, fmt);				\
	vlog(pri, err, fmt, ap);			\
	va_end(ap);					\
	errno = saved;					\
}

LOGFN(log_warn, LOG_WARNING, saved)
LOGFN(log_warnx, LOG_WARNING, 0)
LOGFN(log_info, LOG_INFO, 0)

bool log_journal(void)
{
	return log_to_journal;
}

void log_field(struct log_fields *lf, const char *key, const char *fmt, ...)
{
	size_t room = sizeof(lf->buf) - lf->used;
	char *p = lf->buf + lf->used;
	va_list ap;
	int k, v;

	if (lf->n == LOG_FIELDS_MAX)
		return;
	k = snprintf(p, room, "%s=", key);
	if (k < 0 || (size_t)k >= room)
		return;
	va_start(ap, fmt);
	v = vsnprintf(p + k, room - k, fmt, ap);
	va_end(ap);
	if (v < 0 || (size_t)v >= room - k)
		return;
	lf->iov[lf->n++] = (struct iovec){ .iov_base = p, .iov_len = k + v };
	lf->used += k + v + 1;
}

/* The fields, then MESSAGE (the line stderr would have had), PRIORITY and
 * SYSLOG_IDENTIFIER as journald's stream would have set them. */
static int journal_send(const struct log_fields *lf, const char *fmt,
			va_list ap)
{
	struct iovec iov[LOG_FIELDS_MAX + 3];
	char msg[1024 + 8], pri[16], ident[64];
	size_t n = lf->n;

	memcpy(iov, lf->iov, n * sizeof(*iov));
	strcpy(msg, "MESSAGE=");
	vsnprintf(msg + 8, sizeof(msg) - 8, fmt, ap);
	snprintf(pri, sizeof(pri), "PRIORITY=%d", LOG_INFO);
	snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", log_ident);
	iov[n++] = (struct iovec){ .iov_base = msg, .iov_len = strlen(msg) };
	iov[n++] = (struct iovec){ .iov_base = pri, .iov_len = strlen(pri) };
	iov[n++] = (struct iovec){ .iov_base = ident, .iov_len = strlen(ident) };
	return sd_journal_sendv(iov, n);
}

void log_fields_info(const struct log_fields *lf, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	/* The journal refusing the entry loses nothing: stderr is its
	 * stream too. */
	if (!log_to_journal || journal_send(lf, fmt, ap) < 0) {
		va_end(ap);
		va_start(ap, fmt);
		vlog(LOG_INFO, 0, fmt, ap);
	}
	va_end(ap);
	errno = saved;
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
