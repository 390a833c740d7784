/* SPDX-License-Identifier: GPL-2.0 */
/*
 * honeread: records what the sensor sees as PCAP-NG files that rotate
 * (record.c). Its sources: hone.ko's /dev/hone stream (hread_kmod.c), or
 * the netlink sensor and an NFLOG group its own nftables table logs every
 * packet to (hread_netlink.c).
 */
#ifndef HONE_HONEREAD_H
#define HONE_HONEREAD_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "record.h"
#include "sensor.h"

#define HONEREAD_DIR	"/var/log/hone"
/* What is taken of each packet when only its headers are kept: enough
 * for IPv6 with extension headers and TCP with options. */
#define HONEREAD_HEADERS	256
#define HONEREAD_GROUP	4734	/* NFLOG group, netlink sensor */

struct honeread_opts {
	enum sensor_kind sensor;
	struct record_conf rec;
	uint32_t snaplen;	/* 0: headers only */
	uint16_t group;
	const char *netns;	/* join /run/netns/NAME after opening the sensor */
	bool foreground;
	int verbose;
};

struct hread {
	const struct honeread_opts *o;
	struct record *rec;
	void *priv;
};

struct hread_source {
	const char *name;
	/* Before the recording is (h->rec is NULL until the first read). */
	int (*open)(struct hread *h);
	void (*close)(struct hread *h);
	/* Fills up to 2 descriptors to poll; returns how many. */
	int (*fds)(struct hread *h, struct pollfd *p);
	/* Something is readable (or a second passed): read it all. */
	int (*read)(struct hread *h);
	/* The file is due for rotation. */
	void (*rotate)(struct hread *h);
	/* Before closing: end the section where the source can (NULL: no
	 * need). */
	void (*finish)(struct hread *h);
};

extern const struct hread_source hread_kmod;
extern const struct hread_source hread_netlink;

/* hread.c: the recorder; returns the exit status. */
int hread_main(const struct honeread_opts *o);

#endif /* HONE_HONEREAD_H */
