// SPDX-License-Identifier: GPL-2.0
/* Values of the rule language: numbers, ranges, ports, addresses and
 * networks, paths and globs, digests, users and groups, and lists of them
 * (separated by spaces, tabs or commas). */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "rules_priv.h"

#define TOKEN_MAX	256

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',';
}

int value_list(const char *val, value_item_fn item, void **v, size_t *n,
	       size_t size, const char **why)
{
	char tok[TOKEN_MAX];
	size_t len;
	void *nv;
	int ret;

	for (;;) {
		while (is_sep(*val))
			val++;
		if (!*val)
			break;
		for (len = 0; val[len] && !is_sep(val[len]); len++)
			;
		if (len >= sizeof(tok)) {
			*why = "a value of at most 255 bytes";
			return -EINVAL;
		}
		memcpy(tok, val, len);
		tok[len] = '\0';
		val += len;
		nv = realloc(*v, (*n + 1) * size);
		if (!nv)
			return -ENOMEM;
		*v = nv;
		memset((char *)nv + *n * size, 0, size);
		ret = item(tok, (char *)nv + *n * size, why);
		if (ret < 0)
			return ret;
		(*n)++;
	}
	if (!*n) {
		*why = "at least one value";
		return -EINVAL;
	}
	return 0;
}

/* Decimal or 0x hexadecimal, nothing else: no sign, no spaces, no octal. */
int value_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long x;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

/* N, N-M or N- (no upper bound), with N <= M. */
int value_range(const char *tok, void *out, const char **why)
{
	struct range *r = out;
	char lo[TOKEN_MAX];
	const char *dash = strchr(tok, '-');

	*why = "a number or a range N-M with N <= M";
	if (!dash)
		dash = tok + strlen(tok);
	memcpy(lo, tok, dash - tok);
	lo[dash - tok] = '\0';
	if (value_u64(lo, UINT32_MAX, &r->lo) < 0)
		return -EINVAL;
	if (!*dash)
		r->hi = r->lo;
	else if (!dash[1])
		r->hi = UINT64_MAX;
	else if (value_u64(dash + 1, UINT32_MAX, &r->hi) < 0 || r->hi < r->lo)
		return -EINVAL;
	return 0;
}

int value_port(const char *tok, void *out, const char **why)
{
	struct range *r = out;
	int ret = value_range(tok, out, why);

	*why = "a port 0-65535 or a range of ports N-M with N <= M";
	if (ret < 0 || r->hi > 65535)
		return -EINVAL;
	return 0;
}

int value_addr(const char *s, uint8_t *family, uint8_t *addr)
{
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		memset(addr + 4, 0, 12);
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static bool host_bits_clear(const struct net *nt)
{
	unsigned i, bits = nt->family == AF_INET ? 32 : 128;

	for (i = nt->plen; i < bits; i++)
		if (nt->addr[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

/* ADDR or ADDR/LEN, IPv4 or IPv6, host bits clear. */
int value_net(const char *tok, void *out, const char **why)
{
	struct net *nt = out;
	char a[TOKEN_MAX];
	const char *slash = strchr(tok, '/');
	uint64_t plen;

	*why = "an IPv4 or IPv6 address, or a network ADDR/LEN";
	if (!slash)
		slash = tok + strlen(tok);
	memcpy(a, tok, slash - tok);
	a[slash - tok] = '\0';
	if (value_addr(a, &nt->family, nt->addr) < 0)
		return -EINVAL;
	plen = nt->family == AF_INET ? 32 : 128;
	if (*slash && value_u64(slash + 1, plen, &plen) < 0) {
		*why = nt->family == AF_INET ? "a prefix length 0-32" :
					       "a prefix length 0-128";
		return -EINVAL;
	}
	nt->plen = plen;
	if (!host_bits_clear(nt)) {
		*why = "a network address with its host bits clear";
		return -EINVAL;
	}
	return 0;
}

bool value_is_glob(const char *s)
{
	return strpbrk(s, GLOB_CHARS) != NULL;
}

/* An absolute path or glob: exe, parent, ancestor. */
int value_path(const char *tok, void *out, const char **why)
{
	char **p = out;

	if (tok[0] != '/') {
		*why = "an absolute path or glob (starting with /)";
		return -EINVAL;
	}
	*p = strdup(tok);
	return *p ? 0 : -ENOMEM;
}

/* A DNS name or a glob of names (host): lowercase, no trailing dot. */
int value_host(const char *tok, void *out, const char **why)
{
	size_t len = strlen(tok), i;
	char **p = out;

	*why = "a DNS name or glob of names (letters, digits, - _ . and * ? [ ])";
	if (len && tok[len - 1] == '.')
		len--;
	if (!len || len > 253 || tok[0] == '.' ||
	    strspn(tok, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789-_.*?[]!") < len)
		return -EINVAL;
	*p = strndup(tok, len);
	if (!*p)
		return -ENOMEM;
	for (i = 0; i < len; i++)
		if ((*p)[i] >= 'A' && (*p)[i] <= 'Z')
			(*p)[i] += 'a' - 'A';
	return 0;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int value_sha256(const char *tok, void *out, const char **why)
{
	uint8_t *d = out;
	int hi, lo;
	size_t i;

	*why = "a SHA-256 digest: 64 hexadecimal digits";
	if (strlen(tok) != 64)
		return -EINVAL;
	for (i = 0; i < 32; i++) {
		hi = hex_nibble(tok[2 * i]);
		lo = hex_nibble(tok[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		d[i] = hi << 4 | lo;
	}
	return 0;
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

static int numeric_id(const char *tok, uint32_t *id)
{
	uint64_t x;
	int ret = value_u64(tok, UINT32_MAX - 1, &x);

	*id = x;
	return ret;
}

/* The id NSS gives name: getpwnam_r() or getgrnam_r() (rule sets are
 * parsed on a thread of their own), the buffer grown while too small. */
static int name_id(const char *name, bool group, uint32_t *id)
{
	size_t size = 1024;
	struct passwd pw, *pr = NULL;
	struct group gr, *gp = NULL;
	char *buf = NULL, *nb;
	int ret;

	do {
		if (size > (1 << 20) || !(nb = realloc(buf, size *= 2))) {
			free(buf);
			return -ENOMEM;
		}
		buf = nb;
		ret = group ? getgrnam_r(name, &gr, buf, size, &gp) :
			      getpwnam_r(name, &pw, buf, size, &pr);
	} while (ret == ERANGE);
	free(buf);
	if (pr)
		*id = pw.pw_uid;
	else if (gp)
		*id = gr.gr_gid;
	return pr || gp ? 0 : -EINVAL;
}

/* Names are resolved now, so that a typo is an error and not a rule that
 * silently never matches. */
int value_user(const char *tok, void *out, const char **why)
{
	*why = "a user name known to this system or a numeric uid";
	if (all_digits(tok))
		return numeric_id(tok, out);
	return name_id(tok, false, out);
}

int value_group(const char *tok, void *out, const char **why)
{
	*why = "a group name known to this system or a numeric gid";
	if (all_digits(tok))
		return numeric_id(tok, out);
	return name_id(tok, true, out);
}
