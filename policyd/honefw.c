// SPDX-License-Identifier: GPL-2.0
/* honefw: only dispatches. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "honefw.h"
#include "log.h"

static void __attribute__((noreturn)) usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: honefw [-c FILE] --check\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "check",	no_argument,		NULL, 'n' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config = HONEFW_RULES;
	int check = 0, ch;

	log_init("honefw", 0, 0);
	while ((ch = getopt_long(argc, argv, "c:nh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc || !check)
		usage(2);
	return check_main(config);
}
