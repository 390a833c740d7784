// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the PCAP-NG reader on any bytes, fed whole and in splits
 * taken from the data; both must see the same blocks and the same end. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touch every field and option the reader vouched for. */
static uint64_t walk(const struct pcapng_block *b)
{
	struct pcapng_opt o;
	uint64_t sum = b->type;
	size_t cur = 0, i;

	for (i = 0; i + 4 <= b->opts; i += 4)
		sum += pcapng_u32(b, i);
	while (pcapng_opt_next(b, &cur, &o) == 1) {
		sum += o.code + pcapng_opt_u32(b, &o) + pcapng_opt_u64(b, &o);
		for (i = 0; i < o.len; i++)
			sum += o.val[i];
	}
	return sum;
}

/* Feeds in chunks of 1 + data[k] % 64 bytes, or all at once if !split. */
static int run(const uint8_t *data, size_t size, int split, unsigned *n,
	       uint64_t *sum)
{
	struct pcapng_reader r;
	struct pcapng_block b;
	size_t done = 0, k = 0;
	int ret;

	if (pcapng_init(&r, 4096))
		abort();
	*n = 0;
	*sum = 0;
	for (;;) {
		ret = pcapng_next(&r, &b);
		if (!ret) {
			++*n;
			*sum += walk(&b);
			continue;
		}
		if (ret != -EAGAIN)
			break;
		if (done == size) {
			ret = pcapng_finish(&r);
			break;
		}
		size_t want = split ? 1 + data[k++ % size] % 64 : size - done;

		if (want > size - done)
			want = size - done;
		done += pcapng_feed(&r, data + done, want);
	}
	pcapng_free(&r);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned n1, n2;
	uint64_t s1, s2;
	int r1, r2;

	r1 = run(data, size, 0, &n1, &s1);
	r2 = run(data, size, 1, &n2, &s2);
	if (r1 != r2 || n1 != n2 || s1 != s2)
		abort();
	return 0;
}
