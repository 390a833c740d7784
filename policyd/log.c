// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log.h"

static const char *log_ident = "honefw";
static bool log_syslog;
static int log_verbose;
static bool log_to_journal;

/* Once log_async() has run, lines wait here for a thread of their own that
 * writes them: whoever reads the log (a pipe, the journal, syslog) may stop
 * reading, and no verdict may wait for it. What finds the queue full is
 * counted, and said before the next line that is written. */
#define LOG_QUEUE	256
#define LOG_MSG_MAX	1024
/* At exit, what is queued gets this long to be written. */
#define LOG_EXIT_WAIT	2

struct log_line {
	int pri;
	bool entry;		/* a journal entry with fields */
	uint64_t lost_before;	/* lines lost just before this one */
	struct log_fields lf;
	char msg[LOG_MSG_MAX];
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more, empty;
	struct log_line *q;	/* NULL: written at once */
	unsigned head, n;
	bool busy;		/* the writer holds a line */
	uint64_t lost, lost_total;
} lq = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.more = PTHREAD_COND_INITIALIZER,
	.empty = PTHREAD_COND_INITIALIZER,
};

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

/* Writes one line where the log goes; may block. */
static void emit(int pri, const char *msg)
{
	if (log_syslog)
		syslog(pri, "%s", msg);
	else
		fprintf(stderr, "%s: %s\n", log_ident, msg);
}

static int journal_send(const struct log_fields *lf, const char *msg);

static void say_lost(uint64_t n)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "%" PRIu64 " log lines lost: the log was "
		 "not read fast enough", n);
	emit(LOG_WARNING, msg);
}

static void write_line(const struct log_line *l)
{
	if (l->lost_before)
		say_lost(l->lost_before);
	/* The journal refusing the entry loses nothing: stderr is its
	 * stream too. */
	if (!l->entry || journal_send(&l->lf, l->msg) < 0)
		emit(l->pri, l->msg);
}

/* A copy of lf whose iovecs point into the copy's own buffer. */
static void fields_copy(struct log_fields *to, const struct log_fields *lf)
{
	size_t i;

	memcpy(to->buf, lf->buf, lf->used);
	to->n = lf->n;
	to->used = lf->used;
	for (i = 0; i < lf->n; i++)
		to->iov[i] = (struct iovec){
			.iov_base = to->buf + ((char *)lf->iov[i].iov_base -
					       lf->buf),
			.iov_len = lf->iov[i].iov_len,
		};
}

static void put(int pri, const struct log_fields *lf, const char *msg)
{
	struct log_line *l, now;

	if (!lq.q) {
		now.pri = pri;
		now.entry = lf != NULL;
		now.lost_before = 0;
		if (lf)
			fields_copy(&now.lf, lf);
		snprintf(now.msg, sizeof(now.msg), "%s", msg);
		write_line(&now);
		return;
	}
	pthread_mutex_lock(&lq.lock);
	if (lq.n == LOG_QUEUE) {
		lq.lost++;
		lq.lost_total++;
		pthread_mutex_unlock(&lq.lock);
		return;
	}
	l = &lq.q[(lq.head + lq.n++) % LOG_QUEUE];
	l->pri = pri;
	l->entry = lf != NULL;
	l->lost_before = lq.lost;
	lq.lost = 0;
	if (lf)
		fields_copy(&l->lf, lf);
	snprintf(l->msg, sizeof(l->msg), "%s", msg);
	pthread_cond_signal(&lq.more);
	pthread_mutex_unlock(&lq.lock);
}

static void *writer(void *arg)
{
	struct log_line *l = malloc(sizeof(*l));
	uint64_t lost;

	(void)arg;
	if (!l)
		return NULL;
	pthread_mutex_lock(&lq.lock);
	for (;;) {
		if (!lq.n && !lq.lost) {
			lq.busy = false;
			pthread_cond_broadcast(&lq.empty);
			pthread_cond_wait(&lq.more, &lq.lock);
			continue;
		}
		lq.busy = true;
		if (lq.n) {
			*l = lq.q[lq.head];
			fields_copy(&l->lf, &lq.q[lq.head].lf);
			lq.head = (lq.head + 1) % LOG_QUEUE;
			lq.n--;
			lost = 0;
		} else {
			/* Caught up after a loss: say it now. */
			lost = lq.lost;
			lq.lost = 0;
		}
		pthread_mutex_unlock(&lq.lock);
		if (lost)
			say_lost(lost);
		else
			write_line(l);
		pthread_mutex_lock(&lq.lock);
	}
	return NULL;
}

/* What is queued is written, unless the log stays stopped: exit does not
 * wait for it forever. */
static void log_drain(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += LOG_EXIT_WAIT;
	pthread_mutex_lock(&lq.lock);
	while ((lq.n || lq.lost || lq.busy) &&
	       pthread_cond_timedwait(&lq.empty, &lq.lock, &until) == 0)
		;
	pthread_mutex_unlock(&lq.lock);
}

int log_async(void)
{
	pthread_t t;
	int ret;

	lq.q = calloc(LOG_QUEUE, sizeof(*lq.q));
	if (!lq.q)
		return -ENOMEM;
	ret = pthread_create(&t, NULL, writer, NULL);
	if (ret) {
		free(lq.q);
		lq.q = NULL;
		return -ret;
	}
	pthread_detach(t);
	atexit(log_drain);
	return 0;
}

uint64_t log_lost(void)
{
	uint64_t n;

	pthread_mutex_lock(&lq.lock);
	n = lq.lost_total;
	pthread_mutex_unlock(&lq.lock);
	return n;
}

static void vlog(int pri, int errnum, const char *fmt, va_list ap)
{
	char msg[LOG_MSG_MAX];
	int n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(errnum));
	put(pri, NULL, msg);
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
static int journal_send(const struct log_fields *lf, const char *msg)
{
	struct iovec iov[LOG_FIELDS_MAX + 3];
	char m[LOG_MSG_MAX + 8], pri[16], ident[64];
	size_t n = lf->n;

	memcpy(iov, lf->iov, n * sizeof(*iov));
	snprintf(m, sizeof(m), "MESSAGE=%s", msg);
	snprintf(pri, sizeof(pri), "PRIORITY=%d", LOG_INFO);
	snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", log_ident);
	iov[n++] = (struct iovec){ .iov_base = m, .iov_len = strlen(m) };
	iov[n++] = (struct iovec){ .iov_base = pri, .iov_len = strlen(pri) };
	iov[n++] = (struct iovec){ .iov_base = ident, .iov_len = strlen(ident) };
	return sd_journal_sendv(iov, n);
}

void log_fields_info(const struct log_fields *lf, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX];
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	put(LOG_INFO, log_to_journal ? lf : NULL, msg);
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
