/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DNS answers (RFC 1035) as the host receives them: which addresses a name
 * was resolved to. Attacker-facing: every length is checked against the
 * message, compression pointers may only point backward (no loops), and
 * chains, records and names are bounded.
 */
#ifndef HONE_DNS_H
#define HONE_DNS_H

#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_MAX	253	/* text form, no trailing dot */
#define DNS_CHAIN_MAX	8	/* the question's name and up to 7 CNAMEs */
#define DNS_ANSWERS_MAX	64	/* answer records looked at */

/* One binding: name (lowercase, no trailing dot) resolved to addr
 * (AF_INET: 4 bytes, AF_INET6: 16), good for ttl seconds. */
typedef void (*dns_bind_fn)(void *ctx, const char *name, uint8_t family,
			    const uint8_t *addr, uint32_t ttl);

/*
 * A response to a standard query of one question, class IN: the addresses
 * (A, AAAA) of the end of the CNAME chain that starts at the question's
 * name are bound to every name of the chain, each with the smallest TTL
 * along the way. Records that belong to no chain (and the authority and
 * additional sections) are ignored. Returns the number of bindings, or
 * -EINVAL (not such a response, or malformed), -EBADMSG (a bad name or a
 * compression loop), -ELOOP (a CNAME chain too long or circular).
 */
int dns_parse(const uint8_t *msg, size_t len, dns_bind_fn fn, void *ctx);

#endif /* HONE_DNS_H */
