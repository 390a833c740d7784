// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: honefw's reader of hone.ko's stream (sensor_kmod.c) on any
 * bytes, as a saved capture: blocks of every kind build and tear down the
 * process and connection tables, then lookups walk what was built. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "owner.h"
#include "sensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct rules_proc *v;
	const struct proc *p;
	struct owners *o;
	struct sensor *s;
	uint32_t pid;
	int fd, ret;

	fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET) < 0)
		abort();
	if (owners_open(&o) || sensor_open_fd(fd, false, o, &s))
		abort();
	do
		ret = sensor_drain(s, sensor_now());
	while (ret > 0);
	/* Every pid the bytes could name in a block's first word. */
	for (size_t i = 0; i + 4 <= size; i += 4) {
		pid = (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 |
		      (uint32_t)data[i + 2] << 16 | (uint32_t)data[i + 3] << 24;
		p = owners_proc(o, pid);
		/* A pedigree ends: no cycle, however the blocks lie. */
		for (v = p ? &p->view : NULL, ret = 0; v; v = v->parent)
			if (++ret > 1 << 20)
				abort();
		owners_conn(o, (uint64_t)pid, 0, 0, NULL);
	}
	sensor_close(s);
	owners_close(o);
	return 0;
}
