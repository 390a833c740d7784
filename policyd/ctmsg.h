/* SPDX-License-Identifier: GPL-2.0 */
/* ctnetlink requests about one conntrack entry, named by its tuple. */
#ifndef HONE_CTMSG_H
#define HONE_CTMSG_H

#include <stdint.h>

#include "rules.h"

struct nlmsghdr;

/* An IPCTNL_MSG_CT_* request (type) for the entry of t, local -> remote:
 * the kernel finds it by either direction's tuple, whoever opened it. */
struct nlmsghdr *ctmsg_tuple(char *buf, uint8_t type, uint32_t seq,
			     const struct rules_pkt *t, uint16_t flags);

#endif /* HONE_CTMSG_H */
