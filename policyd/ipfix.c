// SPDX-License-Identifier: GPL-2.0
/*
 * libfixbuf writes each IPFIX message into msg (an in-memory exporter, in
 * manual mode: a full message is an error, not a write); this file owns
 * the socket. UDP: each message one datagram, sent or dropped at once;
 * templates again every TEMPLATE_REFRESH_MS (RFC 7011 8.4). TCP: whole
 * messages queue in out[] while the connection is slow or still being
 * made, and what does not fit is dropped; templates start every
 * connection (RFC 7011 8.1). Dropped records show as gaps in the
 * messages' sequence numbers too.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fixbuf/public.h>

#include "ipfix.h"
#include "log.h"

#define MSG_UDP			1400	/* no fragments on an Ethernet path */
#define MSG_TCP			16384
#define OUT_MAX			(256 * 1024)	/* TCP: queued bytes */
#define OUT_MSGS		256		/* TCP: queued messages */
#define TEMPLATE_REFRESH_MS	60000
#define RECONNECT_MS		1000
#define TID_V4			256
#define TID_V6			257
#define TID_INT			258
#define STR_MAX			512	/* per string: a record fits MSG_UDP */

/* The internal template's layout: fixed-size fields first, then the
 * variable-length ones (collectors such as nfacctd find fixed fields
 * after variable ones poorly), so nothing needs padding but one byte. */
struct rec {
	uint64_t start_ms, end_ms;
	struct ipfix_counts n;
	uint8_t src6[16], dst6[16];
	uint32_t src4, dst4;
	struct ipfix_ids who;
	uint16_t sport, dport;
	uint8_t proto, end_reason, direction, pad;
	fbVarfield_t exe, user, pedigree, rule, verdict, sha256, host;
};

/* Lengths as struct rec has them: libfixbuf wants them said. */
#define SPEC(name, len)	{ (char *)(name), (len), 0 }
#define SPEC_V4		1
#define SPEC_V6		2

/* In struct rec's order; flags: only in the IPv4 or IPv6 template. */
static fbInfoElementSpec_t spec[] = {
	SPEC("flowStartMilliseconds", 8),
	SPEC("flowEndMilliseconds", 8),
	SPEC("octetDeltaCount", 8),
	SPEC("packetDeltaCount", 8),
	SPEC("reverseOctetDeltaCount", 8),
	SPEC("reversePacketDeltaCount", 8),
	{ (char *)"sourceIPv6Address", 16, SPEC_V6 },
	{ (char *)"destinationIPv6Address", 16, SPEC_V6 },
	{ (char *)"sourceIPv4Address", 4, SPEC_V4 },
	{ (char *)"destinationIPv4Address", 4, SPEC_V4 },
	SPEC("honeProcessId", 4),
	SPEC("honeParentProcessId", 4),
	SPEC("honeUserId", 4),
	SPEC("honeGroupId", 4),
	SPEC("sourceTransportPort", 2),
	SPEC("destinationTransportPort", 2),
	SPEC("protocolIdentifier", 1),
	SPEC("flowEndReason", 1),
	SPEC("flowDirection", 1),
	{ (char *)"paddingOctets", 1, SPEC_V4 | SPEC_V6 },
	SPEC("applicationName", FB_IE_VARLEN),
	SPEC("userName", FB_IE_VARLEN),
	SPEC("honePedigree", FB_IE_VARLEN),
	SPEC("honeRuleName", FB_IE_VARLEN),
	SPEC("honeVerdict", FB_IE_VARLEN),
	SPEC("honeExeSha256", FB_IE_VARLEN),
	SPEC("honeHostName", FB_IE_VARLEN),
	FB_IESPEC_NULL
};

#define IE_U32(name, id) FB_IE_INIT_FULL(name, 0, id, 4, FB_IE_F_ENDIAN, \
					 0, 0, FB_UINT_32, NULL)
#define IE_STR(name, id) FB_IE_INIT_FULL(name, 0, id, FB_IE_VARLEN, 0, \
					 0, 0, FB_STRING, NULL)

/* Hone's elements; the PEN is filled in at open. */
static const fbInfoElement_t hone_ies[] = {
	IE_U32("honeProcessId", IPFIX_HONE_PID),
	IE_U32("honeParentProcessId", IPFIX_HONE_PPID),
	IE_STR("honePedigree", IPFIX_HONE_PEDIGREE),
	IE_U32("honeUserId", IPFIX_HONE_UID),
	IE_U32("honeGroupId", IPFIX_HONE_GID),
	IE_STR("honeRuleName", IPFIX_HONE_RULE),
	IE_STR("honeVerdict", IPFIX_HONE_VERDICT),
	FB_IE_INIT_FULL("honeExeSha256", 0, IPFIX_HONE_SHA256, FB_IE_VARLEN,
			0, 0, 0, FB_OCTET_ARRAY, NULL),
	IE_STR("honeHostName", IPFIX_HONE_HOST),
	FB_IE_NULL
};

struct ipfix {
	struct ipfix_conf conf;
	char *host, *port;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int fd;
	bool connecting, up;
	uint64_t retry_ms;		/* TCP down: when to connect again */
	uint64_t templates_ms;		/* UDP: when templates were last sent */
	bool templates_due;
	fbInfoModel_t *model;
	fbInfoElement_t ies[sizeof(hone_ies) / sizeof(hone_ies[0])];
	fBuf_t *fbuf;			/* owns the session and exporter */
	fbExporter_t *exp;
	uint16_t tid;			/* export template in use */
	size_t msg_size;
	uint32_t in_msg;		/* records in the message being built */
	char hostname[STR_MAX];
	uint8_t msg[MSG_TCP];
	/* TCP: whole messages waiting for the socket, sent from out_off. */
	uint8_t *out;
	size_t out_len, out_off;
	uint32_t out_recs[OUT_MSGS];	/* records per queued message */
	size_t out_ends[OUT_MSGS];	/* where each ends in out */
	size_t out_n;
	struct ipfix_stats st;
};

static bool fb_failed(const char *what, GError *err)
{
	if (!err)
		return false;
	log_warnx("ipfix: %s: %s", what, err->message);
	g_clear_error(&err);
	return true;
}

static fbTemplate_t *template_of(fbInfoModel_t *m, uint32_t flags)
{
	fbTemplate_t *t = fbTemplateAlloc(m);
	GError *err = NULL;

	if (!fbTemplateAppendSpecArray(t, spec, flags, &err)) {
		fb_failed("template", err);
		fbTemplateFreeUnused(t);
		return NULL;
	}
	return t;
}

/* A template of the session: internal (struct rec) or exported. */
static int add_template(fbSession_t *s, bool internal, uint16_t tid,
			uint32_t flags)
{
	fbTemplate_t *t = template_of(fbSessionGetInfoModel(s), flags);
	GError *err = NULL;

	if (!t)
		return -EINVAL;
	if (!fbSessionAddTemplate(s, internal, tid, t, &err)) {
		fb_failed("adding a template", err);
		fbTemplateFreeUnused(t);
		return -EINVAL;
	}
	return 0;
}

/* A new session and message buffer: at open, and for each TCP connection
 * (whose first message must carry the templates). */
static int session_new(struct ipfix *x)
{
	fbSession_t *s = fbSessionAlloc(x->model);
	GError *err = NULL;
	int ret;

	ret = add_template(s, true, TID_INT, SPEC_V4 | SPEC_V6);
	if (ret)
		goto err_session;
	x->exp = fbExporterAllocBuffer(x->msg, x->msg_size);
	x->fbuf = fBufAllocForExport(s, x->exp);
	/* Added to a session that has a buffer: written into its first
	 * message, which only automatic mode starts for templates. */
	if ((ret = add_template(s, false, TID_V4, SPEC_V4)) ||
	    (ret = add_template(s, false, TID_V6, SPEC_V6)))
		goto err_buf;
	fBufSetAutomaticMode(x->fbuf, FALSE);
	if (!fBufSetInternalTemplate(x->fbuf, TID_INT, &err) ||
	    !fBufSetExportTemplate(x->fbuf, TID_V4, &err)) {
		fb_failed("setting templates", err);
		ret = -EINVAL;
		goto err_buf;
	}
	x->tid = TID_V4;
	x->templates_due = false;
	return 0;

err_buf:
	fBufFree(x->fbuf);
	x->fbuf = NULL;
	return ret;
err_session:
	fbSessionFree(s);
	return ret;
}

static void drop_out(struct ipfix *x)
{
	size_t i;

	for (i = 0; i < x->out_n; i++)
		x->st.dropped += x->out_recs[i];
	x->out_n = x->out_len = x->out_off = 0;
}

static void sock_close(struct ipfix *x)
{
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	x->up = x->connecting = false;
}

/* UDP: connected, so that ICMP errors reach send(). TCP: in the
 * background; a fresh session puts the templates first. */
static int sock_open(struct ipfix *x)
{
	int type = x->conf.tcp ? SOCK_STREAM : SOCK_DGRAM;

	x->fd = socket(x->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (x->fd < 0)
		return -errno;
	if (connect(x->fd, (struct sockaddr *)&x->addr, x->addrlen) == 0) {
		x->up = true;
		return 0;
	}
	if (errno == EINPROGRESS) {
		x->connecting = true;
		return 0;
	}
	return -errno;
}

/* TCP: (re)connect with a new session, whose first message holds the
 * templates. What was queued for the old connection is lost. */
static void reconnect(struct ipfix *x, uint64_t now_ms)
{
	int ret;

	sock_close(x);
	drop_out(x);
	x->st.dropped += x->in_msg;
	x->in_msg = 0;
	if (x->fbuf)
		fBufFree(x->fbuf);
	x->fbuf = NULL;
	x->retry_ms = now_ms + RECONNECT_MS;
	if ((ret = sock_open(x)) < 0 || (ret = session_new(x)) < 0) {
		sock_close(x);
		log_debug("ipfix: connecting to %s:%s: %s", x->host, x->port,
			  strerror(-ret));
	}
}

/* Whether a background connect has finished: then up, or closed. */
static void connect_done(struct ipfix *x)
{
	int err = 0;
	socklen_t len = sizeof(err);
	struct pollfd p = { .fd = x->fd, .events = POLLOUT };

	if (poll(&p, 1, 0) <= 0)
		return;
	x->connecting = false;
	if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		log_warnx("ipfix: %s:%s: %s", x->host, x->port, strerror(err));
		sock_close(x);
		drop_out(x);
		return;
	}
	x->up = true;
	log_info("ipfix: connected to %s:%s", x->host, x->port);
}

static void send_udp(struct ipfix *x, size_t len, uint32_t recs)
{
	if (send(x->fd, x->msg, len, MSG_DONTWAIT) == (ssize_t)len) {
		x->st.records += recs;
		x->st.messages++;
	} else {
		x->st.dropped += recs;
	}
}

/* TCP: a whole message joins the queue, or is dropped whole. */
static void queue_tcp(struct ipfix *x, size_t len, uint32_t recs)
{
	if (x->fd < 0 || x->out_n == OUT_MSGS ||
	    x->out_len + len > OUT_MAX) {
		x->st.dropped += recs;
		return;
	}
	memcpy(x->out + x->out_len, x->msg, len);
	x->out_len += len;
	x->out_ends[x->out_n] = x->out_len;
	x->out_recs[x->out_n++] = recs;
}

/* TCP: as much of the queue as the socket takes now. A message counts
 * as exported once its last byte is written. */
static void write_tcp(struct ipfix *x, uint64_t now_ms)
{
	size_t done = 0, cut, i;
	ssize_t n;

	if (!x->up || x->out_off == x->out_len)
		return;
	n = send(x->fd, x->out + x->out_off, x->out_len - x->out_off,
		 MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		log_warnx("ipfix: %s:%s: %s", x->host, x->port,
			  strerror(errno));
		reconnect(x, now_ms);
		return;
	}
	if (n > 0)
		x->out_off += n;
	while (done < x->out_n && x->out_ends[done] <= x->out_off) {
		x->st.records += x->out_recs[done++];
		x->st.messages++;
	}
	if (!done)
		return;
	/* Move what is left to the front: at most OUT_MAX, rarely. */
	cut = x->out_ends[done - 1];
	memmove(x->out, x->out + cut, x->out_len - cut);
	x->out_len -= cut;
	x->out_off -= cut;
	x->out_n -= done;
	for (i = 0; i < x->out_n; i++) {
		x->out_ends[i] = x->out_ends[i + done] - cut;
		x->out_recs[i] = x->out_recs[i + done];
	}
}

/* The message built so far goes to the socket. */
static void emit(struct ipfix *x, uint64_t now_ms)
{
	GError *err = NULL;
	size_t len;

	if (!x->in_msg)
		return;
	fBufSetExportTime(x->fbuf, now_ms / 1000);
	if (!fBufEmit(x->fbuf, &err)) {
		fb_failed("message", err);
		x->st.dropped += x->in_msg;
		x->in_msg = 0;
		return;
	}
	len = fbExporterGetMsgLen(x->exp);
	if (x->conf.tcp)
		queue_tcp(x, len, x->in_msg);
	else
		send_udp(x, len, x->in_msg);
	x->in_msg = 0;
}

static void varfield(fbVarfield_t *v, const char *s)
{
	v->buf = (uint8_t *)(s ? s : "");
	v->len = strnlen((const char *)v->buf, STR_MAX);
}

static void rec_fill(const struct ipfix *x, const struct ipfix_flow *f,
		     struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->start_ms = f->start_ms;
	r->end_ms = f->end_ms;
	r->n = f->n;
	if (f->family == AF_INET6) {
		memcpy(r->src6, f->src, 16);
		memcpy(r->dst6, f->dst, 16);
	} else {
		r->src4 = (uint32_t)f->src[0] << 24 | f->src[1] << 16 |
			  f->src[2] << 8 | f->src[3];
		r->dst4 = (uint32_t)f->dst[0] << 24 | f->dst[1] << 16 |
			  f->dst[2] << 8 | f->dst[3];
	}
	varfield(&r->exe, f->exe);
	varfield(&r->user, f->user);
	varfield(&r->pedigree, f->pedigree);
	varfield(&r->rule, f->rule);
	varfield(&r->verdict, f->verdict);
	varfield(&r->host, x->hostname);
	r->sha256.buf = (uint8_t *)f->sha256;
	r->sha256.len = f->sha256 ? 32 : 0;
	r->who = f->who;
	r->sport = f->sport;
	r->dport = f->dport;
	r->proto = f->proto;
	r->end_reason = f->end_reason;
	r->direction = f->egress;	/* flowDirection: 1 egress */
}

static bool append(struct ipfix *x, const struct rec *r, GError **err)
{
	return fBufAppend(x->fbuf, (uint8_t *)r, sizeof(*r), err);
}

void ipfix_add(struct ipfix *x, const struct ipfix_flow *f, uint64_t now_ms)
{
	uint16_t tid = f->family == AF_INET6 ? TID_V6 : TID_V4;
	GError *err = NULL;
	struct rec r;

	if (!x->fbuf) {
		x->st.dropped++;
		return;
	}
	rec_fill(x, f, &r);
	/* Only at the start of a message: automatic mode then has
	 * nothing to send on its own. */
	if (x->templates_due && !x->in_msg) {
		fBufSetAutomaticMode(x->fbuf, TRUE);
		if (!fbSessionExportTemplates(fBufGetSession(x->fbuf), &err))
			fb_failed("templates", err);
		fBufSetAutomaticMode(x->fbuf, FALSE);
		x->templates_due = false;
		x->templates_ms = now_ms;
	}
	if (tid != x->tid && fBufSetExportTemplate(x->fbuf, tid, NULL))
		x->tid = tid;
	if (append(x, &r, &err)) {
		x->in_msg++;
		return;
	}
	/* The message is full: send it, and start the next one. */
	g_clear_error(&err);
	emit(x, now_ms);
	if (!append(x, &r, &err)) {
		fb_failed("record", err);
		x->st.dropped++;
		return;
	}
	x->in_msg++;
}

/* poll reports an error or hangup whatever was asked: UDP's is an ICMP
 * error (read, so that it is not reported again), TCP's a connection
 * lost. */
static void sock_error(struct ipfix *x, uint64_t now_ms)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (x->connecting)
		return;	/* connect_done() reads it */
	getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (!x->conf.tcp)
		return;
	log_warnx("ipfix: %s:%s: %s", x->host, x->port,
		  strerror(err ? err : ECONNRESET));
	reconnect(x, now_ms);
}

void ipfix_flush(struct ipfix *x, uint64_t now_ms, short revents)
{
	if (x->fd >= 0 && (revents & (POLLERR | POLLHUP)))
		sock_error(x, now_ms);
	emit(x, now_ms);
	if (!x->conf.tcp) {
		if (now_ms - x->templates_ms >= TEMPLATE_REFRESH_MS)
			x->templates_due = true;
		return;
	}
	if (x->connecting)
		connect_done(x);
	if (x->fd < 0 && now_ms >= x->retry_ms)
		reconnect(x, now_ms);
	write_tcp(x, now_ms);
}

int ipfix_fd(const struct ipfix *x)
{
	return x->fd;
}

short ipfix_events(const struct ipfix *x)
{
	return x->connecting || (x->up && x->out_off < x->out_len) ?
		POLLOUT : 0;
}

void ipfix_stats(const struct ipfix *x, struct ipfix_stats *st)
{
	*st = x->st;
	st->up = x->up;
}

bool ipfix_same(const struct ipfix *x, const struct ipfix_conf *c)
{
	return !strcmp(x->host, c->host) && !strcmp(x->port, c->port) &&
	       x->conf.tcp == c->tcp && x->conf.pen == c->pen;
}

static int resolve(struct ipfix *x)
{
	struct addrinfo hints = {
		.ai_socktype = x->conf.tcp ? SOCK_STREAM : SOCK_DGRAM,
		.ai_flags = AI_ADDRCONFIG,
	}, *ai;
	int ret;

	ret = getaddrinfo(x->host, x->port, &hints, &ai);
	if (ret) {
		log_warnx("ipfix: %s:%s: %s", x->host, x->port,
			  gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	memcpy(&x->addr, ai->ai_addr, ai->ai_addrlen);
	x->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static void model_init(struct ipfix *x)
{
	size_t i;

	memcpy(x->ies, hone_ies, sizeof(hone_ies));
	for (i = 0; x->ies[i].ref.name; i++)
		x->ies[i].ent = x->conf.pen;
	x->model = fbInfoModelAlloc();
	fbInfoModelAddElementArray(x->model, x->ies);
}

int ipfix_open(const struct ipfix_conf *c, uint64_t now_ms,
	       struct ipfix **out)
{
	struct ipfix *x;
	int ret = -ENOMEM;

	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->fd = -1;
	x->conf = *c;
	x->host = strdup(c->host);
	x->port = strdup(c->port);
	x->out = c->tcp ? malloc(OUT_MAX) : NULL;
	if (!x->host || !x->port || (c->tcp && !x->out))
		goto err_free;
	x->conf.host = x->host;
	x->conf.port = x->port;
	x->msg_size = c->tcp ? MSG_TCP : MSG_UDP;
	if (gethostname(x->hostname, sizeof(x->hostname) - 1) < 0)
		x->hostname[0] = '\0';
	ret = resolve(x);
	if (ret)
		goto err_free;
	model_init(x);
	if (c->tcp) {
		reconnect(x, now_ms);
	} else {
		ret = sock_open(x);
		if (!ret)
			ret = session_new(x);
		if (ret)
			goto err_model;
		/* session_new() put the templates in the first message. */
		x->templates_ms = now_ms;
	}
	*out = x;
	return 0;

err_model:
	sock_close(x);
	fbInfoModelFree(x->model);
err_free:
	free(x->out);
	free(x->host);
	free(x->port);
	free(x);
	return ret;
}

void ipfix_close(struct ipfix *x, uint64_t now_ms)
{
	if (!x)
		return;
	ipfix_flush(x, now_ms, 0);
	if (x->fbuf)
		fBufFree(x->fbuf);
	fbInfoModelFree(x->model);
	sock_close(x);
	free(x->out);
	free(x->host);
	free(x->port);
	free(x);
}
