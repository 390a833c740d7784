// SPDX-License-Identifier: GPL-2.0
/* Whose a queued packet is (owner.h). */
#include <errno.h>
#include <stdlib.h>

#include "owner.h"

struct owners {
	struct sensor *s;
	struct flows *flows;
	uint64_t now;		/* of the drain that tells flows */
	uint64_t lost;		/* the sensor's lost events, last seen */
};

/* hone.ko saw a packet of this flow on socket c before it was queued. */
static void told(void *ctx, const struct rules_pkt *pkt, const struct conn *c,
		 bool provisional)
{
	struct owners *o = ctx;

	flows_tell(o->flows, pkt, c->cookie, c->uid, c->inode, provisional,
		   o->now);
}

int owners_open(struct sensor *s, uint32_t netns, struct owners **out)
{
	struct owners *o = calloc(1, sizeof(*o));
	int ret;

	if (!o)
		return -ENOMEM;
	ret = flows_open(&o->flows);
	if (ret < 0) {
		free(o);
		return ret;
	}
	o->s = s;
	sensor_on_flow(s, netns, told, o);
	*out = o;
	return 0;
}

void owners_close(struct owners *o)
{
	if (!o)
		return;
	flows_close(o->flows);
	free(o);
}

int owners_drain(struct owners *o, uint64_t now)
{
	int ret;

	o->now = now;
	ret = sensor_drain(o->s);
	/* A flow event may be among what was lost. */
	if (sensor_lost(o->s) != o->lost) {
		o->lost = sensor_lost(o->s);
		flows_distrust(o->flows);
	}
	return ret < 0 ? ret : 0;
}

/* The socket f names, if the sensor knows who holds it. */
static struct conn *flow_conn(struct owners *o, struct flow *f, bool *waits)
{
	struct conn *c;

	if (!f || !f->has_sock)
		return NULL;
	c = sensor_conn(o->s, f->cookie, f->uid, f->inode);
	*waits = sensor_waits(o->s);
	return c;
}

/* The socket f names now: one closed is looked for again, as another may
 * send on its 5-tuple now and must not pass for it. */
static struct conn *flow_owner(struct owners *o, struct flow *f,
			       uint64_t now, bool *waits)
{
	struct conn *c = flow_conn(o, f, waits);

	if (c && c->closed) {
		flow_recheck(o->flows, f, now);
		*waits = false;
		c = flow_conn(o, f, waits);
	}
	return c;
}

void owner_of(struct owners *o, const struct rules_pkt *pkt,
	      bool queued_sock, uint64_t cookie, uint64_t now,
	      struct owner *out)
{
	struct flow *f = flows_get(o->flows, pkt, now);
	bool waits = false;
	/* Known sockets only: no inode, no search (sensor_conn()). */
	struct conn *c = cookie ? sensor_conn(o->s, cookie, 0, 0) : NULL;

	if (!c)
		c = flow_owner(o, f, now, &waits);
	*out = (struct owner){
		.flow = f, .conn = c, .proc = c ? c->proc : NULL,
		.waits = waits,
		/* The kernel's own packet (an RST, an ICMP error), not one
		 * of a process honefw failed to name. */
		.nosock = !c && !(f && f->has_sock) && !queued_sock,
	};
}

bool owner_uid(struct owners *o, const struct rules_pkt *pkt, uint64_t now,
	       uint32_t *uid)
{
	struct flow *f = flows_get(o->flows, pkt, now);

	if (!f || !f->has_sock)
		return false;
	*uid = f->uid;
	return true;
}

struct flows *owners_flows(const struct owners *o)
{
	return o->flows;
}
