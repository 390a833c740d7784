// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: honefw --replay's reader (replay.c) on any bytes as a saved
 * capture: blocks build the tables, each packet is judged by a rule set
 * with who, what and nth keys and explained, and a damaged capture must
 * say where it broke. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ini[] =
	"[global]\ndefault = drop\nunknown = accept\n"
	"[a]\nexe = /usr/bin/curl\nparent = /bin/*\nnth = 1-3\naction = accept\n"
	"[b]\nancestor = /usr/sbin/sshd\nremote = 10.0.0.0/8\naction = reject\n"
	"[c]\npedigree = * < ** < /sbin/init\nuser = 0\nmark = 3\naction = accept\n";

static void judge(void *ctx, const struct replay_pkt *p)
{
	const struct rules_proc *proc = p->proc ? &p->proc->view : NULL;
	struct rules_verdict v;
	char why[512];

	rules_match(ctx, &p->pkt, proc, &v);
	rules_explain(v.rule, &p->pkt, proc, why, sizeof(why));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rules *rs;
	struct replay_stats st = { 0 };
	char path[64], err[512] = "";
	int fd;

	if (!rs && rules_load_buffer("fuzz.ini", ini, sizeof(ini) - 1, NULL,
				     NULL, &rs))
		abort();
	fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (replay_file(path, judge, rs, &st, err, sizeof(err)) < 0 &&
	    strncmp(err, path, strlen(path)))
		abort();	/* an error names the file */
	close(fd);
	return 0;
}
