// SPDX-License-Identifier: GPL-2.0
/* The hone.ko sensor: /dev/hone's PCAP-NG stream into the tables. */
#include <errno.h>

#include "sensor_priv.h"

static int kmod_open(struct sensor *s)
{
	(void)s;
	return -ENODEV;
}

static void kmod_close(struct sensor *s)
{
	(void)s;
}

static int kmod_drain(struct sensor *s)
{
	(void)s;
	return 0;
}

const struct sensor_ops sensor_kmod_ops = {
	.open = kmod_open,
	.close = kmod_close,
	.drain = kmod_drain,
};
