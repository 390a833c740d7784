// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ctmsg.h"

static void put_addr(struct nlmsghdr *nlh, uint16_t v4, uint16_t v6,
		     uint8_t family, const uint8_t *addr)
{
	if (family == AF_INET)
		mnl_attr_put(nlh, v4, 4, addr);
	else
		mnl_attr_put(nlh, v6, 16, addr);
}

struct nlmsghdr *ctmsg_tuple(char *buf, uint8_t type, uint32_t seq,
			     const struct rules_pkt *t, uint16_t flags)
{
	struct nlattr *tuple, *nest;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = t->family;
	nfg->version = NFNETLINK_V0;
	tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	put_addr(nlh, CTA_IP_V4_SRC, CTA_IP_V6_SRC, t->family, t->local);
	put_addr(nlh, CTA_IP_V4_DST, CTA_IP_V6_DST, t->family, t->remote);
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t->lport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t->rport));
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, tuple);
	return nlh;
}
