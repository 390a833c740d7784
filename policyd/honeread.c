// SPDX-License-Identifier: GPL-2.0
/* honeread: only dispatches. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "honeread.h"
#include "log.h"

/* A file must hold its headers and the snapshot of what runs. */
#define MIN_SIZE	(64ULL << 10)

static void __attribute__((noreturn)) usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: honeread [-Fv] [-d DIR] [--max-size BYTES[KMG]] "
		"[--rotate SECONDS]\n"
		"                [--snaplen N] [--sensor auto|kmod|netlink] "
		"[--netns NAME]\n"
		"                [--nflog-group N]\n");
	exit(status);
}

static void __attribute__((noreturn)) bad(const char *opt, const char *arg,
					   const char *want)
{
	fprintf(stderr, "honeread: --%s %s: expected %s\n", opt, arg, want);
	usage(2);
}

/* A number from min to max, with an optional K, M or G (powers of 1024)
 * where scaled. */
static unsigned long long number_of(const char *opt, const char *s,
				    unsigned long long min,
				    unsigned long long max, bool scaled)
{
	unsigned long long n, unit = 1;
	char *end;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (scaled && *end && !end[1]) {
		switch (*end++) {
		case 'K': case 'k': unit = 1ULL << 10; break;
		case 'M': case 'm': unit = 1ULL << 20; break;
		case 'G': case 'g': unit = 1ULL << 30; break;
		default: end--;
		}
	}
	if (!*s || *s == '-' || *end || errno || n > max / unit ||
	    n * unit < min) {
		char want[64];

		snprintf(want, sizeof(want), "a number %llu-%llu%s", min, max,
			 scaled ? " (or with K, M, G)" : "");
		bad(opt, s, want);
	}
	return n * unit;
}

int main(int argc, char **argv)
{
	enum {
		OPT_MAX_SIZE = 256, OPT_ROTATE, OPT_SNAPLEN, OPT_SENSOR,
		OPT_NETNS, OPT_GROUP,
	};
	static const struct option opts[] = {
		{ "dir",	required_argument,	NULL, 'd' },
		{ "max-size",	required_argument,	NULL, OPT_MAX_SIZE },
		{ "rotate",	required_argument,	NULL, OPT_ROTATE },
		{ "snaplen",	required_argument,	NULL, OPT_SNAPLEN },
		{ "sensor",	required_argument,	NULL, OPT_SENSOR },
		{ "netns",	required_argument,	NULL, OPT_NETNS },
		{ "nflog-group", required_argument,	NULL, OPT_GROUP },
		{ "foreground",	no_argument,		NULL, 'F' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct honeread_opts o = {
		.sensor = SENSOR_AUTO,
		.rec.dir = HONEREAD_DIR,
		.group = HONEREAD_GROUP,
	};
	int ch;

	log_init("honeread", 0, 0);
	while ((ch = getopt_long(argc, argv, "d:Fvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o.rec.dir = optarg;
			break;
		case OPT_MAX_SIZE:
			o.rec.max_size = number_of("max-size", optarg, MIN_SIZE,
						   1ULL << 50, true);
			break;
		case OPT_ROTATE:
			o.rec.rotate = number_of("rotate", optarg, 1,
						 366 * 86400, false);
			break;
		case OPT_SNAPLEN:
			o.snaplen = number_of("snaplen", optarg, 1, 65535,
					      false);
			break;
		case OPT_SENSOR:
			if (sensor_parse(optarg, &o.sensor) < 0)
				bad("sensor", optarg, "auto, kmod or netlink");
			break;
		case OPT_NETNS:
			o.netns = optarg;
			break;
		case OPT_GROUP:
			o.group = number_of("nflog-group", optarg, 0, 65535,
					    false);
			break;
		case 'F':
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
	if (optind != argc)
		usage(2);
	o.rec.headers_only = !o.snaplen;
	log_start("honeread", o.foreground, o.verbose);
	return hread_main(&o);
}
