// SPDX-License-Identifier: GPL-2.0
/* Users' names: looked up once per uid, in the call or on a thread. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "unames.h"

#define NOBODY_UID	4000000000U	/* no such user */

struct seen {
	unsigned n;
	uint32_t uid;
	char name[64];
};

static void told(void *ctx, uint32_t uid, const char *name)
{
	struct seen *s = ctx;

	s->n++;
	s->uid = uid;
	snprintf(s->name, sizeof(s->name), "%s", name);
}

/* Collects for up to 2 s, or until something is told. */
static void collect(struct unames *u, struct seen *s)
{
	struct timespec ms = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < 200 && !s->n; i++) {
		unames_collect(u, told, s);
		nanosleep(&ms, NULL);
	}
}

Test(unames, looked_up_in_the_call_until_async)
{
	struct unames *u;

	cr_assert_eq(unames_open(&u), 0);
	cr_expect_str_eq(unames_get(u, 0), "root");
	cr_expect_null(unames_get(u, NOBODY_UID));
	unames_close(u);
}

/* On the thread: the caller gets no name at first, then is told it once;
 * a uid with none is told nothing, and asked once. */
Test(unames, on_a_thread_the_name_comes_later, .timeout = 10)
{
	struct seen s = { 0 };
	struct unames *u;

	cr_assert_eq(unames_open(&u), 0);
	cr_assert_eq(unames_async(u), 0);
	cr_expect_null(unames_get(u, 0));
	cr_expect_null(unames_get(u, 0), "asked, not answered yet");
	collect(u, &s);
	cr_assert_eq(s.n, 1);
	cr_expect_eq(s.uid, 0);
	cr_expect_str_eq(s.name, "root");
	cr_expect_str_eq(unames_get(u, 0), "root");
	s.n = 0;
	cr_expect_null(unames_get(u, NOBODY_UID));
	collect(u, &s);
	cr_expect_eq(s.n, 0, "told of a uid with no name");
	cr_expect_null(unames_get(u, NOBODY_UID));
	unames_close(u);
}
