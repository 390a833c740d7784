// SPDX-License-Identifier: GPL-2.0
/* What an exec costs the owner table of a process with a child (whose
 * pedigree it changes), beside 10 and 10,000 other processes, and the
 * ratio 10,000/10 (target: at most 2), measured in one run: the exec
 * tells its descendants by their links, not by a walk of every process. */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "owner.h"

#define EXECS	20000

static unsigned told;

static void on_change(void *ctx, const struct proc *p)
{
	(void)ctx;
	(void)p;
	told++;
}

static void event(struct owners *o, enum ev_proc_kind kind, uint32_t pid,
		  uint32_t ppid, const char *path)
{
	struct ev_proc ev = {
		.kind = kind, .pid = pid, .start = pid * 10ULL,
		.has_ppid = true, .ppid = ppid, .ppid_start = ppid * 10ULL,
		.path = path, .argv = path, .argvlen = path ? 1 : 0,
	};

	if (owners_proc_event(o, &ev)) {
		fprintf(stderr, "bench_owner: a process event failed\n");
		exit(1);
	}
}

/* ns per exec of pid 2 (child 3) beside n others */
static double cost(unsigned n)
{
	static const char *const exe[] = { "/bin/a", "/bin/b" };
	struct owners *o;
	unsigned i;
	double t;

	if (owners_open(&o)) {
		fprintf(stderr, "bench_owner: no owner table\n");
		exit(1);
	}
	owners_on_change(o, on_change, NULL);
	owners_begin(o, 1);
	event(o, EV_EXEC, 1, 0, "/sbin/init");
	event(o, EV_FORK, 2, 1, NULL);
	event(o, EV_FORK, 3, 2, NULL);
	for (i = 0; i < n; i++)
		event(o, EV_FORK, 100 + i, 1, NULL);
	owners_settle(o, 0);
	told = 0;
	t = bench_now();
	for (i = 0; i < EXECS; i++) {
		owners_begin(o, 2 + i);
		event(o, EV_EXEC, 2, 1, exe[i & 1]);
		owners_settle(o, 0);
	}
	t = bench_now() - t;
	if (told != 2 * EXECS) {
		fprintf(stderr, "bench_owner: %u changes told, not %u\n", told, 2 * EXECS);
		exit(1);
	}
	owners_close(o);
	return t / EXECS * 1e9;
}

int main(void)
{
	double few = cost(10), many = cost(10000);

	printf("bench_owner: an exec that changes a child's pedigree: %.0f ns beside 10 "
	       "processes, %.0f ns beside 10,000: ratio %.2f (target <= 2)\n",
	       few, many, many / few);
	return 0;
}
