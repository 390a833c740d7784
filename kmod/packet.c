// SPDX-License-Identifier: GPL-2.0
/*
 * Packets: netfilter hooks, IPv4 and IPv6, in every network namespace: at
 * LOCAL_IN after every filter chain (what a process receives), at LOCAL_OUT
 * before any (what it sends; honefw queues packets after this hook, so it
 * learns the sender before it judges a packet, even one whose socket is
 * gone by then). Each packet is attributed by its socket's cookie to the
 * owner recorded at create/accept time; incoming packets without skb->sk
 * are looked up the way xt_socket does (established, then listener).
 * Readers of flow events (a firewall) learn each socket's addresses from
 * its packets before any filter sees them: at LOCAL_OUT, and at LOCAL_IN
 * before the raw table.
 */
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/ktime.h>
#include <net/net_namespace.h>
#include <net/netfilter/nf_socket.h>
#include <net/sock.h>
#include <net/request_sock.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <linux/tcp.h>
#include <linux/siphash.h>
#include <linux/random.h>
#include "sensor.h"

static struct sock *packet_lookup(struct sk_buff *skb, const struct nf_hook_state *state)
{
	if (state->pf == NFPROTO_IPV4)
		return nf_sk_lookup_slow_v4(state->net, skb, state->in);
#if IS_ENABLED(CONFIG_NF_SOCKET_IPV6)
	return nf_sk_lookup_slow_v6(state->net, skb, state->in);
#else
	return NULL;
#endif
}

/* Replies the kernel sends itself (ACKs in TIME_WAIT, RSTs) go out through
 * a per-CPU control socket (IPv4) or with no socket at all (IPv6): find the
 * connection they answer for, if any. */
static struct sock *packet_reply_sock(struct sk_buff *skb, const struct nf_hook_state *state)
{
	struct inet_hashinfo *hash = state->net->ipv4.tcp_death_row.hashinfo;
	int dif = state->out ? state->out->ifindex : 0;
	const struct ipv6hdr *ip6 = ipv6_hdr(skb);
	const struct iphdr *ip4 = ip_hdr(skb);
	const struct tcphdr *th;
	struct tcphdr _th;
	__be16 frag_off;
	u8 nexthdr;
	int off;

	if (state->pf == NFPROTO_IPV4) {
		/* A fragment other than the first has no ports. */
		if (ip4->protocol != IPPROTO_TCP || ip4->frag_off & htons(IP_OFFSET))
			return NULL;
		th = skb_header_pointer(skb, skb_network_offset(skb) + ip4->ihl * 4,
					sizeof(_th), &_th);
		if (!th)
			return NULL;
		return __inet_lookup_established(state->net, hash, ip4->daddr, th->dest,
						 ip4->saddr, ntohs(th->source), dif, 0);
	}
#if IS_ENABLED(CONFIG_IPV6)
	/* The TCP header may follow extension headers (hop-by-hop, routing,
	 * destination options, a fragment header). */
	nexthdr = ip6->nexthdr;
	off = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6), &nexthdr,
			       &frag_off);
	if (off < 0 || nexthdr != IPPROTO_TCP || frag_off & htons(IP6_OFFSET))
		return NULL;
	th = skb_header_pointer(skb, off, sizeof(_th), &_th);
	if (!th)
		return NULL;
	return __inet6_lookup_established(state->net, hash, &ip6->daddr, th->dest,
					  &ip6->saddr, ntohs(th->source), dif, 0);
#else
	return NULL;
#endif
}

/* The listener a connection came through, found by its local address. */
static struct sock *packet_listener(struct sock *sk)
{
	struct inet_hashinfo *hash = sock_net(sk)->ipv4.tcp_death_row.hashinfo;
	struct sock *l = NULL;

	if (sk->sk_family == AF_INET)
		l = __inet_lookup_listener(sock_net(sk), hash, NULL, 0, sk->sk_daddr,
					   sk->sk_dport, sk->sk_rcv_saddr, sk->sk_num,
					   sk->sk_bound_dev_if, 0);
#if IS_ENABLED(CONFIG_IPV6)
	else
		l = inet6_lookup_listener(sock_net(sk), hash, NULL, 0, &sk->sk_v6_daddr,
					  sk->sk_dport, &sk->sk_v6_rcv_saddr, sk->sk_num,
					  sk->sk_bound_dev_if, 0);
#endif
	return IS_ERR(l) ? NULL : l;
}

/* A connection not accepted yet belongs to its listener's owner, who will
 * accept it: a request sock (its listener is known), or a child made
 * straight from a SYN cookie (found by address). The child keeps the
 * cookie, so the owner is recorded for it until accept() names the real
 * one. */
static struct hone_owner *packet_owner(struct sock *sk, u64 cookie)
{
	struct hone_owner *o = hone_owner_find(cookie);
	struct sock *l = NULL;

	if (o)
		return o;
	if (sk->sk_state == TCP_NEW_SYN_RECV)
		l = sk_to_full_sk(sk);
	else if (sk_fullsock(sk) && sk->sk_protocol == IPPROTO_TCP && !sk->sk_socket &&
		 sk->sk_state != TCP_LISTEN)
		l = packet_listener(sk);
	if (l)
		o = hone_owner_find(hone_sock_cookie(l));
	if (o)
		hone_owner_inherit(cookie, o);
	/* Its own entry, so that what is told of it is its own. */
	return o ? hone_owner_find(cookie) ?: o : NULL;
}

/* The socket of a packet at state's hook; *found holds a reference to
 * put when it had to be looked up. */
static struct sock *packet_sock(struct sk_buff *skb, const struct nf_hook_state *state,
				bool in, struct sock **found)
{
	struct sock *sk = skb->sk;

	*found = NULL;
	if (in) {
		if (sk && !net_eq(sock_net(sk), state->net))
			sk = NULL;
		if (!sk)
			sk = *found = packet_lookup(skb, state);
	}
	if (sk && (sk->sk_family != AF_INET && sk->sk_family != AF_INET6))
		sk = NULL;
	if (sk ? sk_fullsock(sk) && sk->sk_kern_sock : !in) {
		if (*found)
			sock_gen_put(*found);
		sk = *found = packet_reply_sock(skb, state);
	}
	return sk;
}

/* A TCP or UDP packet's addresses and ports, seen from this host, into
 * rec; false for other packets and later fragments (no ports). */
static bool packet_addrs(const struct sk_buff *skb, const struct nf_hook_state *state,
			 bool in, struct hone_rec_conn *rec)
{
	const void *src, *dst;
	const __be16 *ports;
	__be16 _ports[2], frag_off = 0;
	int off, alen;
	u8 proto;

	if (state->pf == NFPROTO_IPV4) {
		const struct iphdr *ip4 = ip_hdr(skb);

		if (ip4->frag_off & htons(IP_OFFSET))
			return false;
		proto = ip4->protocol;
		off = skb_network_offset(skb) + ip4->ihl * 4;
		src = &ip4->saddr;
		dst = &ip4->daddr;
		alen = 4;
		rec->family = AF_INET;
	} else {
		const struct ipv6hdr *ip6 = ipv6_hdr(skb);

		proto = ip6->nexthdr;
		off = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6),
				       &proto, &frag_off);
		if (off < 0 || frag_off & htons(IP6_OFFSET))
			return false;
		src = &ip6->saddr;
		dst = &ip6->daddr;
		alen = 16;
		rec->family = AF_INET6;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return false;
	ports = skb_header_pointer(skb, off, sizeof(_ports), _ports);
	if (!ports)
		return false;
	rec->proto = proto;
	memcpy(rec->laddr, in ? dst : src, alen);
	memcpy(rec->raddr, in ? src : dst, alen);
	rec->lport = ntohs(ports[in]);
	rec->rport = ntohs(ports[!in]);
	return true;
}

/* What a socket told last is kept as a keyed hash: nobody can pick a
 * 5-tuple that passes for another one. */
static siphash_key_t flow_key;

/* A flow event for a packet of sk, unless its owner o's socket told these
 * addresses last: once for a connected socket, once per peer in turn for
 * others. A socket with no owner recorded (its uid's share of the table
 * full) tells every packet, with no pid: a firewall must not take it for
 * the socket that had its 5-tuple before. */
static void packet_flow(struct sk_buff *skb, const struct nf_hook_state *state,
			bool in, struct sock *sk, struct hone_owner *o)
{
	static const struct hone_payload none;
	struct hone_rec_conn rec, a = {};
	const char *exe;
	u16 exe_len;

	if (!sk_fullsock(sk) || !packet_addrs(skb, state, in, &a))
		return;
	/* family and proto to the addresses, the rest zero */
	if (o && hone_owner_told(o, siphash(&a.family, offsetofend(struct hone_rec_conn, raddr) -
						       offsetof(struct hone_rec_conn, family),
					    &flow_key) | 1))
		return;
	hone_conn_fill(&rec, sk, HONE_CONN_FLOW);
	rec.family = a.family;
	rec.proto = a.proto;
	rec.lport = a.lport;
	rec.rport = a.rport;
	memcpy(rec.laddr, a.laddr, sizeof(rec.laddr));
	memcpy(rec.raddr, a.raddr, sizeof(rec.raddr));
	rec.listen = sk->sk_state == TCP_LISTEN;
	if (o)
		hone_owner_get(o, &rec.pid, &rec.tid, &exe, &exe_len);
	hone_readers_emit(&rec.h, sizeof(rec), &none);
}

/* The owner of socket sk (NULL: none), NULL if not known, and sk's cookie
 * in *cookie (0: no socket). Under rcu_read_lock. */
struct hone_owner *hone_pkt_owner(struct sock *sk, u64 *cookie)
{
	*cookie = sk ? hone_sock_cookie(sk) : 0;
	return sk ? packet_owner(sk, *cookie) : NULL;
}

/* The packet record of skb, of the socket whose cookie is cookie (0:
 * none) and its owner o (NULL if not known), and its payload p. Under
 * rcu_read_lock. */
void hone_pkt_fill(struct hone_rec_pkt *rec, struct hone_payload *p,
		   const struct sk_buff *skb, bool in, u64 cookie,
		   const struct hone_owner *o)
{
	memset(rec, 0, sizeof(*rec));
	memset(p, 0, sizeof(*p));
	rec->h.type = HONE_REC_PKT;
	rec->h.ts = ktime_get_real_ns();
	rec->len = skb->len;
	rec->dir = in ? HONE_EPB_FLAG_INBOUND : HONE_EPB_FLAG_OUTBOUND;
	p->skb = skb;
	p->skb_len = skb->len;
	rec->cookie = cookie;
	if (o)
		hone_owner_get(o, &rec->pid, &rec->tid, (const char **)&p->tail,
			       &rec->exe_len);
	p->tail_len = rec->exe_len;
}

/* A reader of flow events alone (honefw) costs each packet its socket's
 * owner lookup, no record. */
static unsigned int packet_hook(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	bool in = state->hook == NF_INET_LOCAL_IN;
	bool packets = hone_readers_want(HONE_RECORDS_PACKET);
	bool flows = !in && hone_readers_want(HONE_RECORDS_FLOW);
	struct sock *sk, *found;
	struct hone_owner *o;
	struct hone_payload p;
	struct hone_rec_pkt rec;
	u64 cookie;

	if (!packets && !flows)
		return NF_ACCEPT;
	sk = packet_sock(skb, state, in, &found);
	o = hone_pkt_owner(sk, &cookie);
	if (flows && sk)
		packet_flow(skb, state, in, sk, o);
	if (packets) {
		hone_pkt_fill(&rec, &p, skb, in, cookie, o);
		hone_readers_emit(&rec.h, sizeof(rec), &p);
	}
	if (found)
		sock_gen_put(found);
	return NF_ACCEPT;
}

/* Incoming packets before any filter: flow events only. */
static unsigned int packet_flow_hook(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	struct sock *sk, *found;
	u64 cookie;

	if (!hone_readers_want(HONE_RECORDS_FLOW))
		return NF_ACCEPT;
	sk = packet_sock(skb, state, true, &found);
	if (sk)
		packet_flow(skb, state, true, sk, hone_pkt_owner(sk, &cookie));
	if (found)
		sock_gen_put(found);
	return NF_ACCEPT;
}

static const struct nf_hook_ops packet_ops[] = {
	{ .hook = packet_hook, .pf = NFPROTO_IPV4, .hooknum = NF_INET_LOCAL_IN,
	  .priority = NF_IP_PRI_LAST },
	{ .hook = packet_hook, .pf = NFPROTO_IPV4, .hooknum = NF_INET_LOCAL_OUT,
	  .priority = NF_IP_PRI_RAW - 1 },
	{ .hook = packet_flow_hook, .pf = NFPROTO_IPV4, .hooknum = NF_INET_LOCAL_IN,
	  .priority = NF_IP_PRI_RAW - 1 },
	{ .hook = packet_hook, .pf = NFPROTO_IPV6, .hooknum = NF_INET_LOCAL_IN,
	  .priority = NF_IP6_PRI_LAST },
	{ .hook = packet_hook, .pf = NFPROTO_IPV6, .hooknum = NF_INET_LOCAL_OUT,
	  .priority = NF_IP6_PRI_RAW - 1 },
	{ .hook = packet_flow_hook, .pf = NFPROTO_IPV6, .hooknum = NF_INET_LOCAL_IN,
	  .priority = NF_IP6_PRI_RAW - 1 },
#if IS_ENABLED(CONFIG_NF_CONNTRACK_MARK)
	/* Verdicts given ahead: on the new conntrack entry. */
	{ .hook = hone_ahead_hook, .pf = NFPROTO_IPV4, .hooknum = NF_INET_LOCAL_OUT,
	  .priority = NF_IP_PRI_CONNTRACK + 1 },
	{ .hook = hone_ahead_hook, .pf = NFPROTO_IPV6, .hooknum = NF_INET_LOCAL_OUT,
	  .priority = NF_IP6_PRI_CONNTRACK + 1 },
#endif
};

static int __net_init packet_net_init(struct net *net)
{
	return nf_register_net_hooks(net, packet_ops, ARRAY_SIZE(packet_ops));
}

static void __net_exit packet_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, packet_ops, ARRAY_SIZE(packet_ops));
}

static struct pernet_operations packet_net_ops = {
	.init = packet_net_init,
	.exit = packet_net_exit,
};

int hone_packet_init(void)
{
	get_random_bytes(&flow_key, sizeof(flow_key));
	return register_pernet_subsys(&packet_net_ops);
}

void hone_packet_exit(void)
{
	unregister_pernet_subsys(&packet_net_ops);
}
