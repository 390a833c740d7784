/* SPDX-License-Identifier: GPL-2.0 */
/* What replay, diff and inventory print: names of processes, endpoints and
 * protocols, and JSON strings. */
#ifndef HONE_REPORT_H
#define HONE_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rules.h"
#include "sensor.h"

/* /etc/protocols' name of proto, or "proto-N" in buf. */
const char *report_proto(uint8_t proto, char *buf, size_t len);
/* The address as inet_ntop(3) writes it, into buf. */
const char *report_addr(uint8_t family, const uint8_t *addr, char *buf,
			size_t len);
/* "ADDR:PORT", "[ADDR]:PORT" for IPv6, into buf. */
const char *report_endpoint(uint8_t family, const uint8_t *addr,
			    uint16_t port, char *buf, size_t len);
/* s as every text output shows a name its owner chose (a path, a unit, a
 * host): bytes outside printable ASCII, blanks, quotes and backslashes as
 * \xHH, as hone(4)'s text does, so that it can neither end a line nor
 * forge a field. Cut short at an escape, never inside one. */
const char *report_escape(const char *s, char *buf, size_t len);
/* The process's path as the log tells it, escaped: "-" for none,
 * "(foreign)" after a claim. */
const char *report_exe(const struct proc *p, char *buf, size_t len);
/* The user's name, else the uid; "-" without a process. */
const char *report_user(const struct proc *p, char *buf, size_t len);
/* The chain of executables above p, "PARENT<GRANDPARENT<...", "-" if none. */
const char *report_parents(const struct proc *p, char *buf, size_t len);
/* "NAME" and "FILE:LINE" of the deciding rule, or the fallback's name
 * and "[global]". */
const char *report_rule(const struct rules_verdict *v, const struct rules_pkt *pkt,
			bool has_proc);
const char *report_at(const struct rule *r, char *buf, size_t len);
/* s as a JSON string, quotes included. */
void report_json_str(FILE *f, const char *s);

#endif /* HONE_REPORT_H */
