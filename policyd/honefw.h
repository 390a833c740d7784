/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HONE_HONEFW_H
#define HONE_HONEFW_H

#include <stdbool.h>

#include "sensor.h"

#define HONEFW_RULES	"/etc/hone/rules.ini"
#define HONEFW_METRICS	"/run/hone/metrics.prom"

struct honefw_opts {
	const char *config;
	bool dry_run;
	enum sensor_kind sensor;
	int queue;		/* -1: [global] queue */
	const char *log;	/* PCAP-NG verdict log, or NULL */
	bool log_all;		/* every judgement, accepts too */
	const char *netns;	/* join /run/netns/NAME after opening the sensor */
	int conn_grace;		/* seconds; -1: OWNERS_GRACE */
	const char *socket;	/* the control socket (ctl.h) */
	const char *metrics;	/* Prometheus text file */
	const char *user;	/* the engine's (priv.h) */
	bool foreground;
	int verbose;
	/* --replay, --inventory */
	const char *diff;	/* --diff OLD: the rules to compare with */
	bool explain;		/* every packet, its rule and why */
	bool json;		/* one JSON object per line */
};

/* check.c: honefw --check; returns the exit status. */
int check_main(const char *path);
/* ctl.c: honefw --status [--json]; returns the exit status. */
int status_main(const char *socket, bool json);
/* daemon.c: the firewall; returns the exit status. */
int daemon_main(const struct honefw_opts *o);
/* verdicts.c: honefw --replay [--diff] CAPTURE...; the exit status. */
int replay_main(const struct honefw_opts *o, char *const files[], int n);
/* inventory.c: honefw --inventory CAPTURE...; the exit status. */
int inventory_main(const struct honefw_opts *o, char *const files[], int n);

#endif /* HONE_HONEFW_H */
