// SPDX-License-Identifier: GPL-2.0
/*
 * A reload's rules parsed on a thread of their own (loader.h). That the
 * rules in force judge while it hangs in NSS is tested where NSS can be
 * made to hang: netns nss_stall.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"

static char dir[] = "/tmp/hone-loader.XXXXXX";
static char path[64];

struct said {
	char text[1024];
	bool elsewhere;		/* on a thread not the caller's */
	pthread_t caller;
};

static void report(void *ctx, const char *file, unsigned line, bool warning,
		   const char *msg)
{
	struct said *s = ctx;
	size_t len = strlen(s->text);

	(void)warning;
	snprintf(s->text + len, sizeof(s->text) - len, "%s:%u: %s\n", file,
		 line, msg);
	s->elsewhere = !pthread_equal(pthread_self(), s->caller);
}

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rules.ini", dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

TestSuite(loader, .init = setup, .fini = teardown);

static int load(const char *text, struct said *s, struct rules **rs)
{
	struct pollfd pfd = { .events = POLLIN };
	struct loader *l;
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	s->caller = pthread_self();
	cr_assert_eq(loader_start(path, report, s, &l), 0);
	pfd.fd = loader_fd(l);
	cr_assert_eq(poll(&pfd, 1, 5000), 1, "the load never said it ended");
	return loader_end(l, rs);
}

Test(loader, the_rules_come_once_its_fd_is_readable)
{
	struct said s = { 0 };
	struct rules *rs = NULL;

	cr_assert_eq(load("[a]\nuser = root\naction = drop\n\n"
			  "[b]\nuser = 4000000000\naction = accept\n", &s, &rs),
		     0, "%s", s.text);
	cr_assert_eq(rules_count(rs), 2);
	rules_free(rs);
}

Test(loader, errors_said_from_its_thread_and_the_load_refused)
{
	struct said s = { 0 };
	struct rules *rs = NULL;

	cr_assert_eq(load("[a]\nuser = no-such-user-hone\naction = drop\n",
			  &s, &rs), -EINVAL);
	cr_assert_null(rs);
	cr_assert(strstr(s.text, "rules.ini:2: "), "%s", s.text);
	cr_assert(strstr(s.text, "expected a user name known to this system"),
		  "%s", s.text);
	cr_assert(s.elsewhere, "reported on the caller's thread");
}

Test(loader, abandoned_once_ended_frees_all)
{
	struct pollfd pfd = { .events = POLLIN };
	struct said s = { .caller = pthread_self() };
	struct loader *l;
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs("[a]\nuser = root\naction = drop\n", f);
	fclose(f);
	cr_assert_eq(loader_start(path, report, &s, &l), 0);
	pfd.fd = loader_fd(l);
	cr_assert_eq(poll(&pfd, 1, 5000), 1);
	loader_abandon(l);
	/* Freed, not left behind: its pipe is closed (and the ASan build
	 * would say what leaked). */
	cr_assert_eq(fcntl(pfd.fd, F_GETFD), -1);
	cr_assert_eq(errno, EBADF);
}
