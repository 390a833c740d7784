// SPDX-License-Identifier: GPL-2.0
/* honefw: only dispatches. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "honefw.h"
#include "log.h"
#include "priv.h"
#include "rules.h"

static void __attribute__((noreturn)) usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: honefw [-dv] [-c FILE] [--dry-run] "
		"[--sensor auto|kmod|netlink]\n"
		"              [--queue N] [--log FILE] [--log-all] "
		"[--netns NAME]\n"
		"              [--conn-grace SECONDS] [--socket PATH] "
		"[--metrics FILE]\n"
		"              [--user USER]\n"
		"       honefw [-c FILE] --check\n"
		"       honefw --status [--json] [--socket PATH]\n"
		"       honefw --replay [-c FILE] [--diff OLD] [--explain] "
		"[--json] CAPTURE...\n"
		"       honefw --inventory [--json] CAPTURE...\n");
	exit(status);
}

static enum sensor_kind sensor_of(const char *s)
{
	enum sensor_kind k;

	if (sensor_parse(s, &k) == 0)
		return k;
	fprintf(stderr, "honefw: --sensor %s: expected auto, kmod or netlink\n",
		s);
	usage(2);
}

static int number_of(const char *opt, const char *s, long max)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end && n >= 0 && n <= max)
		return n;
	fprintf(stderr, "honefw: --%s %s: expected a number 0-%ld\n", opt, s,
		max);
	usage(2);
}

int main(int argc, char **argv)
{
	enum {
		OPT_DRY = 256, OPT_SENSOR, OPT_QUEUE, OPT_LOG, OPT_LOG_ALL,
		OPT_NETNS, OPT_GRACE, OPT_REPLAY, OPT_DIFF, OPT_EXPLAIN,
		OPT_JSON, OPT_INVENTORY, OPT_STATUS, OPT_SOCKET, OPT_METRICS,
		OPT_USER,
	};
	static const struct option opts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "check",	no_argument,		NULL, 'n' },
		{ "dry-run",	no_argument,		NULL, OPT_DRY },
		{ "sensor",	required_argument,	NULL, OPT_SENSOR },
		{ "queue",	required_argument,	NULL, OPT_QUEUE },
		{ "log",	required_argument,	NULL, OPT_LOG },
		{ "log-all",	no_argument,		NULL, OPT_LOG_ALL },
		{ "netns",	required_argument,	NULL, OPT_NETNS },
		{ "conn-grace",	required_argument,	NULL, OPT_GRACE },
		{ "replay",	no_argument,		NULL, OPT_REPLAY },
		{ "diff",	required_argument,	NULL, OPT_DIFF },
		{ "explain",	no_argument,		NULL, OPT_EXPLAIN },
		{ "json",	no_argument,		NULL, OPT_JSON },
		{ "inventory",	no_argument,		NULL, OPT_INVENTORY },
		{ "status",	no_argument,		NULL, OPT_STATUS },
		{ "socket",	required_argument,	NULL, OPT_SOCKET },
		{ "metrics",	required_argument,	NULL, OPT_METRICS },
		{ "user",	required_argument,	NULL, OPT_USER },
		{ "foreground",	no_argument,		NULL, 'd' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct honefw_opts o = {
		.config = HONEFW_RULES,
		.sensor = SENSOR_AUTO,
		.queue = -1,
		.conn_grace = -1,
		.socket = CTL_SOCKET,
		.metrics = HONEFW_METRICS,
		.user = PRIV_USER,
	};
	int check = 0, replay = 0, inventory = 0, status = 0, ch;

	log_init("honefw", 0, 0);
	while ((ch = getopt_long(argc, argv, "c:ndvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.config = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case OPT_DRY:
			o.dry_run = true;
			break;
		case OPT_SENSOR:
			o.sensor = sensor_of(optarg);
			break;
		case OPT_QUEUE:
			o.queue = number_of("queue", optarg, RULES_QUEUE_MAX);
			break;
		case OPT_LOG:
			o.log = optarg;
			break;
		case OPT_LOG_ALL:
			o.log_all = true;
			break;
		case OPT_NETNS:
			o.netns = optarg;
			break;
		case OPT_GRACE:
			o.conn_grace = number_of("conn-grace", optarg, 3600);
			break;
		case OPT_REPLAY:
			replay = 1;
			break;
		case OPT_DIFF:
			o.diff = optarg;
			break;
		case OPT_EXPLAIN:
			o.explain = true;
			break;
		case OPT_JSON:
			o.json = true;
			break;
		case OPT_INVENTORY:
			inventory = 1;
			break;
		case OPT_STATUS:
			status = 1;
			break;
		case OPT_SOCKET:
			o.socket = optarg;
			break;
		case OPT_METRICS:
			o.metrics = optarg;
			break;
		case OPT_USER:
			o.user = optarg;
			break;
		case 'd':
			o.foreground = true;
			break;
		case 'v':
			o.verbose++;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	/* Offline: captures as arguments, nothing else of the daemon's. */
	if (check + replay + inventory + status > 1 ||
	    ((replay || inventory) != (optind < argc)) ||
	    ((o.diff || o.explain) && !replay) ||
	    (o.json && !replay && !inventory && !status))
		usage(2);
	if (status)
		return status_main(o.socket, o.json);
	if (replay)
		return replay_main(&o, argv + optind, argc - optind);
	if (inventory)
		return inventory_main(&o, argv + optind, argc - optind);
	if (check)
		return check_main(o.config);
	log_start("honefw", o.foreground, o.verbose);
	return daemon_main(&o);
}
