/* SPDX-License-Identifier: GPL-2.0 */
/* What the benchmarks share: their clock. */
#ifndef HONE_BENCH_H
#define HONE_BENCH_H

#include <time.h>

/* Seconds, monotonic. */
static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* HONE_BENCH_H */
