// SPDX-License-Identifier: GPL-2.0
/*
 * hone.ko: process, socket and packet events for /dev/hone and /dev/honet.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include "sensor.h"

/* An unsigned parameter that refuses values out of [lo, hi]. */
#define HONE_PARAM_RANGE(name, var, lo, hi, perm, desc)			\
static int name##_set(const char *val, const struct kernel_param *kp)	\
{									\
	return param_set_uint_minmax(val, kp, lo, hi);			\
}									\
static const struct kernel_param_ops name##_ops = {			\
	.set = name##_set,						\
	.get = param_get_uint,						\
};									\
module_param_cb(name, &name##_ops, &var, perm);				\
MODULE_PARM_DESC(name, desc)

/* A ring must hold the largest packet record; each reader has its own, so
 * max_readers rings of at most 64 MiB (and 1/64 of RAM, see reader.c). */
unsigned int hone_ring_kb = 4096;
HONE_PARAM_RANGE(ring_kb, hone_ring_kb, 256, HONE_RING_KB_MAX, 0644,
		 "size of each reader's ring in KiB, 256 to 65536 (default 4096)");

unsigned int hone_max_readers = 16;
HONE_PARAM_RANGE(max_readers, hone_max_readers, 1, 1024, 0644,
		 "open readers of /dev/hone and /dev/honet together, 1 to 1024 (default 16)");

/* The tables are sized at load time. */
unsigned int hone_owner_max = 1U << 18;
HONE_PARAM_RANGE(owner_max, hone_owner_max, 64, 1U << 22, 0444,
		 "sockets whose owner is kept, 64 to 4194304 (default 262144)");

unsigned int hone_owner_uid_max;
module_param_named(owner_uid_max, hone_owner_uid_max, uint, 0644);
MODULE_PARM_DESC(owner_uid_max, "owners of open sockets one uid may hold (default 0: owner_max / 4)");

unsigned int hone_proc_max = 65536;
HONE_PARAM_RANGE(proc_max, hone_proc_max, 16, 65536, 0444,
		 "processes whose exe and argv are cached, 16 to 65536 (default 65536)");

unsigned short hone_device_mode = 0440;
module_param_named(device_mode, hone_device_mode, ushort, 0444);
MODULE_PARM_DESC(device_mode, "mode of /dev/hone and /dev/honet (default 0440)");

unsigned int hone_device_gid;
module_param_named(device_gid, hone_device_gid, uint, 0444);
MODULE_PARM_DESC(device_gid, "group of /dev/hone and /dev/honet (default 0)");

static int __init hone_init(void)
{
	int ret;

	ret = hone_process_init();
	if (ret)
		goto err;
	ret = hone_socket_init();
	if (ret)
		goto err_process;
	ret = hone_packet_init();
	if (ret)
		goto err_socket;
	ret = hone_device_init();
	if (ret)
		goto err_packet;
	pr_info("Hone %s loaded\n", HONE_VERSION);
	return 0;

err_packet:
	hone_packet_exit();
err_socket:
	hone_socket_exit();
err_process:
	hone_process_exit();
err:
	rcu_barrier();
	return ret;
}

static void __exit hone_exit(void)
{
	hone_device_exit();
	hone_packet_exit();
	hone_socket_exit();
	hone_process_exit();
	rcu_barrier();
}

module_init(hone_init);
module_exit(hone_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Hone: process-attributed packet capture");
MODULE_AUTHOR("Hone authors");
MODULE_VERSION(HONE_VERSION);
