// SPDX-License-Identifier: GPL-2.0
/* The [ipfix] section: where honefw sends its connection records. Only
 * the words are checked here; honefw resolves the collector and opens
 * the socket. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules_priv.h"

/* HOST:PORT or [IPv6]:PORT; the port 1-65535. */
static int ipfix_collector(struct rules_ipfix *x, const char *val,
			   const char **why)
{
	const char *colon = strrchr(val, ':'), *host = val;
	size_t hlen = colon ? (size_t)(colon - val) : 0;
	uint64_t port;

	*why = "HOST:PORT or [IPv6]:PORT, the port 1-65535";
	if (!colon || value_u64(colon + 1, 65535, &port) < 0 || !port)
		return -EINVAL;
	if (hlen >= 2 && val[0] == '[' && val[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	} else if (memchr(val, ':', hlen)) {
		return -EINVAL;	/* an IPv6 address needs its brackets */
	}
	if (!hlen || strcspn(host, " \t[]") < hlen)
		return -EINVAL;
	x->host = strndup(host, hlen);
	x->port = strdup(colon + 1);
	return x->host && x->port ? 0 : -ENOMEM;
}

static int ipfix_transport(struct rules_ipfix *x, const char *val,
			   const char **why)
{
	*why = "udp or tcp";
	if (!strcmp(val, "udp"))
		x->transport = RULES_UDP;
	else if (!strcmp(val, "tcp"))
		x->transport = RULES_TCP;
	else
		return -EINVAL;
	return 0;
}

static int ipfix_pen(struct rules_ipfix *x, const char *val, const char **why)
{
	uint64_t n;

	*why = "a Private Enterprise Number 1-4294967295";
	if (value_u64(val, UINT32_MAX, &n) < 0 || !n)
		return -EINVAL;
	x->pen = n;
	return 0;
}

static int ipfix_active_timeout(struct rules_ipfix *x, const char *val,
				const char **why)
{
	uint64_t n;

	*why = "seconds 1-86400";
	if (value_u64(val, 86400, &n) < 0 || !n)
		return -EINVAL;
	x->active_timeout = n;
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct rules_ipfix *x, const char *val, const char **why);
} keys[X__COUNT] = {
	[X_COLLECTOR] = { "collector", ipfix_collector },
	[X_TRANSPORT] = { "transport", ipfix_transport },
	[X_PEN] = { "pen", ipfix_pen },
	[X_ACTIVE_TIMEOUT] = { "active_timeout", ipfix_active_timeout },
};

int key_ipfix(struct rules_ipfix *x, unsigned keyline[X__COUNT],
	      const char *key, const char *val, unsigned line, const char **why)
{
	size_t i;

	for (i = 0; i < X__COUNT && strcmp(key, keys[i].name); i++)
		;
	if (i == X__COUNT) {
		*why = "unknown key in [ipfix]: expected collector, transport, "
		       "pen or active_timeout";
		return -ENOENT;
	}
	if (keyline[i]) {
		*why = "each key at most once in [ipfix]";
		return -EEXIST;
	}
	keyline[i] = line;
	return keys[i].fn(x, val, why);
}

void ipfix_init(struct rules_ipfix *x)
{
	*x = (struct rules_ipfix){
		.pen = RULES_IPFIX_PEN,
		.active_timeout = RULES_IPFIX_TIMEOUT,
	};
}

int ipfix_finish(struct rules_ipfix *x, const char **why)
{
	*why = "collector = HOST:PORT in [ipfix]";
	return x->host ? 0 : -EINVAL;
}

void ipfix_free(struct rules_ipfix *x)
{
	free(x->host);
	free(x->port);
}
