// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

#define LINES	2000

/* The log's reader stops (a pipe nobody reads: a paused pager, a slow
 * journald) while 2,000 lines are logged, 440 KiB: the callers go on at
 * once, the lines that fit neither the pipe nor the queue are lost, and
 * each loss is said where it happened. What arrives and what is said lost
 * add up to what was logged. */
Test(log, a_stopped_reader_holds_up_nobody_and_every_loss_is_said,
     .timeout = 20)
{
	uint64_t said = 0, total = 0, m;
	int p[2], i, k, next = 0, seen = 0;
	char buf[512];
	FILE *f;

	cr_assert(pipe(p) == 0);
	cr_assert(dup2(p[1], STDERR_FILENO) == STDERR_FILENO);
	close(p[1]);
	log_init("test", false, 0);
	cr_assert(log_async() == 0);
	for (i = 0; i < LINES; i++)
		log_info("line %d %0200d", i, 0);
	cr_assert(log_lost() > 0, "the callers waited for the reader");

	f = fdopen(p[0], "r");
	cr_assert(f);
	while (seen + total < LINES && fgets(buf, sizeof(buf), f)) {
		if (sscanf(buf, "test: line %d", &k) == 1) {
			cr_assert(k >= next, "line %d after %d", k, next - 1);
			cr_assert_eq(said, (uint64_t)(k - next),
				     "lines %d-%d lost, %" PRIu64 " said lost",
				     next, k - 1, said);
			said = 0;
			next = k + 1;
			seen++;
		} else if (sscanf(buf, "test: %" SCNu64 " log lines lost",
				  &m) == 1) {
			said += m;
			total += m;
		} else {
			cr_assert_fail("unexpected: %s", buf);
		}
	}
	cr_assert_eq(said, (uint64_t)(LINES - next), "the last %d lines lost, "
		     "%" PRIu64 " said lost", LINES - next, said);
	cr_assert_eq(total, log_lost());
	fclose(f);
}
