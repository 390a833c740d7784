// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: honeread's recording (record.c) of any bytes as a Hone stream,
 * split in two around a section's end and a rotation, with packets cut to
 * their headers: what reaches the files is whole blocks only. */
#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every file of dir is a chain of whole blocks; then it goes. */
static void check_and_remove(const char *dir)
{
	static uint8_t buf[4 << 20];
	struct dirent *e;
	char path[512];
	uint32_t len;
	size_t off;
	ssize_t n;
	DIR *d;
	int fd;

	if (!(d = opendir(dir)))
		abort();
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((fd = open(path, O_RDONLY)) < 0)
			abort();
		n = read(fd, buf, sizeof(buf));
		close(fd);
		for (off = 0; n > 0 && off + 8 <= (size_t)n; off += len) {
			memcpy(&len, buf + off + 4, 4);
			if (len < 12 || len % 4 || off + len > (size_t)n)
				abort();
		}
		if (n < 0 || off != (size_t)n)
			abort();
		unlink(path);
	}
	closedir(d);
}

static char dir[] = "/tmp/hone-fuzz-record-XXXXXX";

static void remove_dir(void)
{
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool made;
	struct record_conf c = { .dir = dir, .headers_only = true };
	size_t half = size / 2;
	struct record *r;

	if (!made && (!mkdtemp(dir) || atexit(remove_dir)))
		abort();
	made = true;
	if (record_open(&c, &r))
		abort();
	record_feed(r, data, half);
	record_feed(r, NULL, 0);
	record_rotate(r);
	record_feed(r, data + half, size - half);
	record_close(r);
	check_and_remove(dir);
	return 0;
}
