// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: dns_parse() on any bytes, as DNS answers reach honefw, and
 * its bindings into the table of names. Whatever it binds must be a
 * lowercase printable name of at most DNS_NAME_MAX characters, and as
 * many bindings as it says. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"
#include "names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	struct names *t;
	int n;
};

static void bind_check(void *ctx, const char *name, uint8_t family,
		       const uint8_t *addr, uint32_t ttl)
{
	struct seen *s = ctx;
	size_t len = strlen(name), i;

	if (!len || len > DNS_NAME_MAX || (family != AF_INET && family != AF_INET6))
		abort();
	for (i = 0; i < len; i++)
		if (name[i] <= ' ' || name[i] >= 0x7f ||
		    (name[i] >= 'A' && name[i] <= 'Z'))
			abort();
	names_add(s->t, 1000, family, addr, name, ttl, 0);
	s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { .n = 0 };
	const char *out[NAMES_PER_ADDR];
	uint8_t zero[16] = { 0 };
	int ret;

	if (names_open(64, &s.t) < 0)
		return 0;
	ret = dns_parse(data, size, bind_check, &s);
	if ((ret >= 0 && ret != s.n) || (ret < 0 && ret != -EINVAL &&
					 ret != -EBADMSG && ret != -ELOOP))
		abort();
	names_get(s.t, 1000, AF_INET, size >= 4 ? data : zero, 1, out,
		  NAMES_PER_ADDR);
	names_expire(s.t, 1ULL << 62);
	names_close(s.t);
	return 0;
}
