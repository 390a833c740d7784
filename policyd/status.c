// SPDX-License-Identifier: GPL-2.0
/*
 * One snapshot, three renderings: the text of honefw --status, its JSON
 * object, and the Prometheus text format of the metrics file. The rules
 * and their [global] fallbacks are one list of rows, in the order they
 * are tried.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "priv.h"
#include "status.h"

struct row {
	const char *name, *file;
	unsigned line;
	enum rules_action action;
	const struct status_hits *h;
};

size_t status_hit_index(const struct rules *rs, const struct rules_verdict *v,
			enum status_fallback fallback)
{
	return v->rule ? rule_index(v->rule) : rules_count(rs) + fallback;
}

static size_t nrows(const struct status *st)
{
	return rules_count(st->rs) + STATUS__FALLBACKS;
}

/* As the log names them: "default" (or unknown, kernel) at [global]:0. */
static void row_of(const struct status *st, size_t i, struct row *r)
{
	static const char *const names[STATUS__FALLBACKS] = {
		"default", "unknown", "kernel",
	};
	const struct rules_global *g = rules_global(st->rs);
	size_t n = rules_count(st->rs);
	const struct rules_verdict *v;

	r->h = &st->hits[i];
	if (i < n) {
		v = rules_verdict_nth(st->rs, i);
		r->name = rule_name(v->rule);
		r->file = rule_file(v->rule);
		r->line = rule_line(v->rule);
		r->action = v->action;
		return;
	}
	r->name = names[i - n];
	r->file = "[global]";
	r->line = 0;
	r->action = i - n == STATUS_DEFAULT ? g->def :
		    i - n == STATUS_UNKNOWN ? g->unknown : g->kernel;
}

static int done(FILE *f)
{
	return ferror(f) ? -EIO : 0;
}

void status_counts(const struct status *st, FILE *f, const char *sep)
{
	fprintf(f, "judged: %" PRIu64 " packets (%" PRIu64 " with no known "
		"process, %" PRIu64 " unparsable, %" PRIu64 " action errors), %"
		PRIu64 " parked%s", st->judged, st->unknown, st->unparsable,
		st->errors, st->parked, sep);
	fprintf(f, "tables: %" PRIu64 " processes, %" PRIu64 " connections (%"
		PRIu64 " evicted: table full), %" PRIu64 " flows, %" PRIu64
		" offloaded (%" PRIu64 " taken back: their process changed; %"
		PRIu64 " taken back to make room; %" PRIu64 " destroy notices "
		"lost)%s", st->procs, st->conns, st->evicted, st->flows,
		st->offloaded, st->changed, st->given_up, st->notices_lost, sep);
	fprintf(f, "sensor: %s, %" PRIu64 " events, %" PRIu64 " lost, %"
		PRIu64 " processes' descriptors read, %" PRIu64 " sock_diag "
		"lookups", st->sensor, st->events, st->events_lost,
		st->fd_reads, st->diag_lookups);
}

int status_text(const struct status *st, FILE *f)
{
	char when[32];
	struct tm tm;
	time_t t = st->loaded;
	struct row r;
	size_t i;

	strftime(when, sizeof(when), "%F %T", localtime_r(&t, &tm));
	fprintf(f, "rules: %s, %zu rules, loaded %s (%" PRIu64 " reloads)%s\n"
		"  counts since the rules were loaded:\n"
		"  %12s %12s  %-8s %s\n", st->config, rules_count(st->rs), when,
		st->reloads, st->dry_run ? ", dry run" : "", "packets",
		"connections", "action", "rule");
	for (i = 0; i < nrows(st); i++) {
		row_of(st, i, &r);
		fprintf(f, "  %12" PRIu64 " %12" PRIu64 "  %-8s %s (%s:%u)\n",
			r.h->packets, r.h->conns, rules_action_name(r.action),
			r.name, r.file, r.line);
	}
	status_counts(st, f, "\n");
	fputc('\n', f);
	fprintf(f, "ahead: %s, %" PRIu64 " verdicts given, %" PRIu64 " ended; %"
		PRIu64 " connections passed unqueued, %" PRIu64 " of them by a "
		"stale verdict\n", st->ahead ? "on" : "off", st->ahead_given,
		st->ahead_ended, st->ahead_passed, st->ahead_taken_back);
	if (st->has_queue_stats)
		fprintf(f, "queues %u-%u: %" PRIu64 " waiting, %" PRIu64
			" dropped (queue full), %" PRIu64 " dropped (netlink)\n",
			st->queue, st->queue + st->nqueues - 1, st->q.waiting,
			st->q.dropped, st->q.user_dropped);
	else
		fprintf(f, "queues %u-%u: not listed by the kernel\n", st->queue,
			st->queue + st->nqueues - 1);
	if (st->log.path)
		fprintf(f, "verdict log: %s: %" PRIu64 " entries written, %"
			PRIu64 " lost since it was opened\n", st->log.path,
			st->log.written, st->log.lost);
	else
		fprintf(f, "verdict log: none (--log)\n");
	fprintf(f, "text log: %" PRIu64 " lines lost (not read fast enough)\n",
		st->lines_lost);
	if (st->collector)
		fprintf(f, "ipfix: to %s port %s%s: %" PRIu64 " records sent, %"
			PRIu64 " dropped\n", st->collector, st->collector_port,
			st->export_up ? "" :
			" (not connected)", st->export_records,
			st->export_dropped);
	else
		fprintf(f, "ipfix: none ([ipfix])\n");
	fprintf(f, "heap: %" PRIu64 " KiB in use\n", st->heap / 1024);
	return done(f);
}

/* A JSON string, or null; bytes past ASCII pass as they are. */
static void json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

int status_json(const struct status *st, FILE *f)
{
	struct row r;
	size_t i;

	fputs("{\"config\":", f);
	json_str(f, st->config);
	fprintf(f, ",\"loaded\":%" PRId64 ",\"reloads\":%" PRIu64
		",\"dry_run\":%s,\"rules\":[", st->loaded, st->reloads,
		st->dry_run ? "true" : "false");
	for (i = 0; i < nrows(st); i++) {
		row_of(st, i, &r);
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_str(f, r.name);
		fputs(",\"file\":", f);
		json_str(f, r.file);
		fprintf(f, ",\"line\":%u,\"action\":\"%s\",\"packets\":%" PRIu64
			",\"connections\":%" PRIu64 "}", r.line,
			rules_action_name(r.action), r.h->packets, r.h->conns);
	}
	fprintf(f, "],\"packets\":{\"judged\":%" PRIu64 ",\"unknown\":%" PRIu64
		",\"unparsable\":%" PRIu64 ",\"action_errors\":%" PRIu64
		",\"parked\":%" PRIu64 "}", st->judged, st->unknown,
		st->unparsable, st->errors, st->parked);
	fprintf(f, ",\"tables\":{\"processes\":%" PRIu64 ",\"connections\":%"
		PRIu64 ",\"evicted\":%" PRIu64 ",\"flows\":%" PRIu64
		",\"offloaded\":%" PRIu64 ",\"changed\":%" PRIu64
		",\"given_up\":%" PRIu64 ",\"notices_lost\":%" PRIu64 "}",
		st->procs, st->conns, st->evicted, st->flows, st->offloaded,
		st->changed, st->given_up, st->notices_lost);
	fprintf(f, ",\"sensor\":{\"kind\":\"%s\",\"events\":%" PRIu64
		",\"lost\":%" PRIu64 ",\"fd_reads\":%" PRIu64
		",\"diag_lookups\":%" PRIu64 "}", st->sensor, st->events,
		st->events_lost, st->fd_reads, st->diag_lookups);
	fprintf(f, ",\"ahead\":{\"on\":%s,\"given\":%" PRIu64 ",\"ended\":%"
		PRIu64 ",\"passed\":%" PRIu64 ",\"taken_back\":%" PRIu64 "}",
		st->ahead ? "true" : "false", st->ahead_given, st->ahead_ended,
		st->ahead_passed, st->ahead_taken_back);
	fprintf(f, ",\"queue\":{\"number\":%u,\"count\":%u", st->queue,
		st->nqueues);
	if (st->has_queue_stats)
		fprintf(f, ",\"waiting\":%" PRIu64 ",\"dropped\":%" PRIu64
			",\"user_dropped\":%" PRIu64, st->q.waiting,
			st->q.dropped, st->q.user_dropped);
	fputs("},\"log\":{\"path\":", f);
	json_str(f, st->log.path);
	fprintf(f, ",\"written\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"lines_lost\":%"
		PRIu64 "},\"ipfix\":{\"collector\":", st->log.written,
		st->log.lost, st->lines_lost);
	json_str(f, st->collector);
	fputs(",\"port\":", f);
	json_str(f, st->collector_port);
	fprintf(f, ",\"up\":%s,\"records\":%" PRIu64 ",\"dropped\":%" PRIu64
		"},\"heap_bytes\":%" PRIu64 "}\n", st->export_up ? "true" : "false",
		st->export_records, st->export_dropped, st->heap);
	return done(f);
}

/* The metrics that are one number of the snapshot. */
struct metric {
	const char *name, *type, *help;
	size_t off;		/* of a uint64_t in struct status */
	bool queue;		/* only when the kernel listed the queue */
};

#define M(name, type, field, help) \
	{ "hone_" name, type, help, offsetof(struct status, field), false }
#define Q(name, field, help) \
	{ "hone_" name, "counter", help, offsetof(struct status, field), true }
static const struct metric metrics[] = {
	M("packets_judged_total", "counter", judged,
	  "Packets judged by the rules."),
	M("packets_unknown_total", "counter", unknown,
	  "Packets judged with no known process."),
	M("packets_unparsable_total", "counter", unparsable,
	  "Packets honefw could not parse, judged by default."),
	M("action_errors_total", "counter", errors,
	  "Verdicts that could not be carried out (failmode answered)."),
	M("packets_parked", "gauge", parked,
	  "Packets waiting for their executable's digest."),
	M("processes", "gauge", procs, "Processes in the table."),
	M("connections", "gauge", conns, "Connections in the table."),
	M("connections_evicted_total", "counter", evicted,
	  "Open connections forgotten because the table was full."),
	M("flows", "gauge", flows, "Flows (5-tuples) in the table."),
	M("offloaded_flows", "gauge", offloaded,
	  "Flows whose verdict is in the conntrack mark."),
	M("offloaded_changed_total", "counter", changed,
	  "Offloaded flows' verdicts taken back: their process changed."),
	M("offloaded_given_up_total", "counter", given_up,
	  "Offloaded flows' verdicts taken back to make room."),
	M("destroy_notices_lost_total", "counter", notices_lost,
	  "Socket destroy notices lost (overruns)."),
	M("sensor_events_total", "counter", events, "Sensor events read."),
	M("sensor_events_lost_total", "counter", events_lost,
	  "Sensor events lost."),
	M("sensor_fd_reads_total", "counter", fd_reads,
	  "Processes' descriptors read to find a socket's owner (netlink)."),
	M("sock_diag_lookups_total", "counter", diag_lookups,
	  "Sockets of queued packets asked of sock_diag (none that hone.ko told)."),
	M("ahead_given_total", "counter", ahead_given,
	  "Verdicts given ahead to hone.ko (or changed)."),
	M("ahead_ended_total", "counter", ahead_ended,
	  "Verdicts given ahead ended before their process image."),
	M("ahead_passed_total", "counter", ahead_passed,
	  "Connections hone.ko passed unqueued by a verdict given ahead."),
	M("ahead_taken_back_total", "counter", ahead_taken_back,
	  "Of those, the ones whose verdict was stale, taken back."),
	Q("queue_dropped_total", q.dropped,
	  "Packets the kernel dropped because the queue was full."),
	Q("queue_user_dropped_total", q.user_dropped,
	  "Packets the kernel could not send to honefw over netlink."),
	M("log_entries_written_total", "counter", log.written,
	  "Verdict log entries written since the file was opened."),
	M("log_entries_lost_total", "counter", log.lost,
	  "Verdict log entries lost since the file was opened."),
	M("log_lines_lost_total", "counter", lines_lost,
	  "Text log lines lost: the log was not read fast enough."),
	M("ipfix_records_total", "counter", export_records,
	  "IPFIX flow records handed to the collector's socket."),
	M("ipfix_records_dropped_total", "counter", export_dropped,
	  "IPFIX flow records dropped: socket full, collector away."),
	M("rules_reloads_total", "counter", reloads, "Rule reloads."),
	M("heap_bytes", "gauge", heap, "Heap in use."),
};
#undef M
#undef Q

static void prom_head(FILE *f, const char *name, const char *type,
		      const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values escape backslash, double quote and newline. */
static void prom_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void prom_rules(const struct status *st, FILE *f, bool conns)
{
	const char *name = conns ? "hone_rule_connections_total" :
		"hone_rule_packets_total";
	struct row r;
	size_t i;

	prom_head(f, name, "counter", conns ?
		  "Connections whose first packet the rule decided, since "
		  "the rules were loaded." :
		  "Packets the rule decided, since the rules were loaded.");
	for (i = 0; i < nrows(st); i++) {
		row_of(st, i, &r);
		fprintf(f, "%s{rule=", name);
		prom_label(f, r.name);
		fputs(",file=", f);
		prom_label(f, r.file);
		fprintf(f, ",line=\"%u\",action=\"%s\"} %" PRIu64 "\n", r.line,
			rules_action_name(r.action),
			conns ? r.h->conns : r.h->packets);
	}
}

int status_prom(const struct status *st, FILE *f)
{
	const struct metric *m;

	for (m = metrics; m < metrics + sizeof(metrics) / sizeof(*metrics);
	     m++) {
		if (m->queue && !st->has_queue_stats)
			continue;
		prom_head(f, m->name, m->type, m->help);
		fprintf(f, "%s %" PRIu64 "\n", m->name,
			*(const uint64_t *)((const char *)st + m->off));
	}
	prom_head(f, "hone_rules_loaded_timestamp_seconds", "gauge",
		  "When the rules in force were loaded.");
	fprintf(f, "hone_rules_loaded_timestamp_seconds %" PRId64 "\n",
		st->loaded);
	prom_rules(st, f, false);
	prom_rules(st, f, true);
	return done(f);
}

int status_prom_file(const struct status *st, const char *path)
{
	int fd = memfd_create("hone-metrics", MFD_CLOEXEC), dfd, ret;
	FILE *f;

	if (fd < 0)
		return -errno;
	dfd = dup(fd);
	f = dfd < 0 ? NULL : fdopen(dfd, "w");
	if (!f) {
		ret = -errno;
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	ret = status_prom(st, f);
	if (fclose(f) && !ret)
		ret = -errno;
	/* Renamed into place by whoever may write there. */
	if (!ret)
		ret = priv_metrics(path, fd);
out:
	close(fd);
	return ret;
}
