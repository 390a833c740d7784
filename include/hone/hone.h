/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Hone: the ABI shared by hone.ko and userspace.
 *
 * APPEND-ONLY. Never renumber, never reuse a value, never change a layout.
 *
 * /dev/hone is a PCAP-NG stream in host byte order (the Section Header's
 * byte-order magic tells readers which). Timestamps are microseconds since
 * the epoch, split in a high and a low 32-bit word. Every block is padded
 * to 4 bytes and repeats its total length at its end. Options are a 16-bit
 * code, a 16-bit length and the value padded to 4 bytes; a list ends with
 * opt_endofopt. man/hone-pcapng.5 draws every block byte by byte.
 *
 * Option codes below 256 are PCAP-NG's own or the 2013 Hone sensor's; codes
 * from 257 up are Hone's. Each block type has its own option space.
 */
#ifndef _UAPI_HONE_H
#define _UAPI_HONE_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define HONE_VERSION "0.1"

/* ---- Block types ------------------------------------------------------ */

#define HONE_BT_SHB		0x0A0D0D0AU	/* Section Header */
#define HONE_BT_IDB		0x00000001U	/* Interface Description */
#define HONE_BT_ISB		0x00000005U	/* Interface Statistics */
#define HONE_BT_EPB		0x00000006U	/* Enhanced Packet */
#define HONE_BT_PROCESS		0x00000101U	/* Hone Process Event */
#define HONE_BT_CONNECTION	0x00000102U	/* Hone Connection Event */

#define HONE_BYTE_ORDER_MAGIC	0x1A2B3C4DU
#define HONE_LINKTYPE_RAW	101		/* packet starts at the IP header */

/* Smallest block: type, total length, trailing total length. */
#define HONE_BLOCK_MIN		12U
/* Largest block Hone writes (dumpcap's pipe limit). */
#define HONE_BLOCK_MAX		(256U * 1024U)

/* ---- Options valid in every block ------------------------------------- */

#define HONE_OPT_ENDOFOPT	0
#define HONE_OPT_COMMENT	1	/* UTF-8 string */

/* ---- Section Header options ------------------------------------------- */

#define HONE_SHB_HARDWARE	2	/* string */
#define HONE_SHB_OS		3	/* string: uname */
#define HONE_SHB_USERAPPL	4	/* string: "Hone <version>" */
/* Host id. First byte is the type: 0 = string (the bytes follow),
 * 1 = GUID (3 zero bytes, then 16 bytes). As the 2013 sensor wrote it. */
#define HONE_SHB_HOSTID		257
#define HONE_HOSTID_STRING	0
#define HONE_HOSTID_GUID	1

/* ---- Interface Description options ------------------------------------ */

#define HONE_IF_NAME		2	/* string */
#define HONE_IF_DESCRIPTION	3	/* string */
#define HONE_IF_TSRESOL		9	/* u8; Hone writes 6 (microseconds) */

/* ---- Enhanced Packet options ------------------------------------------ */

#define HONE_EPB_FLAGS		2	/* u32; direction in bits 0-1 */
#define HONE_EPB_FLAG_INBOUND	1U
#define HONE_EPB_FLAG_OUTBOUND	2U
#define HONE_EPB_PID_TID	8	/* u32 pid, u32 tid: exactly 8 bytes */
#define HONE_EPB_CONN		257	/* u32: low 32 bits of the socket cookie */
#define HONE_EPB_PID		258	/* u32: owning process (tgid) */
#define HONE_EPB_COOKIE		259	/* u64: the whole socket cookie */
#define HONE_EPB_VERDICT	260	/* u32: enum hone_verdict (honefw logs) */
#define HONE_EPB_MARK		261	/* u32: packet mark given (honefw logs) */
#define HONE_EPB_RULE		262	/* string: name of the deciding rule */
#define HONE_EPB_NTH		263	/* u64: index of the packet in its
					 * connection, from 1 (honefw logs) */
#define HONE_EPB_UID		264	/* u32: the uid of the socket that
					 * held it, as the kernel told with
					 * the queued packet (honefw logs) */
/* The first packet of a connection that hone.ko let pass by a verdict
 * given ahead (HEIO_PREJUDGE): the conntrack mark it set. Only to the
 * reader that gave the verdict, whatever records that reader asked for. */
#define HONE_EPB_PREJUDGED	265	/* u32 */

/* ---- Interface Statistics options ------------------------------------- */

#define HONE_ISB_STARTTIME	2	/* u32 hi, u32 lo */
#define HONE_ISB_ENDTIME	3	/* u32 hi, u32 lo */
#define HONE_ISB_IFRECV		4	/* u64: packets seen by the sensor */
#define HONE_ISB_IFDROP		5	/* u64: packets lost by the sensor */
#define HONE_ISB_FILTERACCEPT	6	/* u64: packets filtered for this reader */
#define HONE_ISB_OSDROP		7	/* u64: packets dropped, reader's ring full */
#define HONE_ISB_USRDELIV	8	/* u64: packets delivered to this reader */
/* Hone counters, u64, as in 2013. */
#define HONE_ISB_PROC_RECV	257	/* process events seen */
#define HONE_ISB_PROC_DROP	258	/* process events lost by the sensor */
#define HONE_ISB_PROC_RDROP	259	/* process events dropped, ring full */
#define HONE_ISB_PROC_DELIV	260	/* process events delivered */
#define HONE_ISB_CONN_RECV	261	/* connection events seen */
#define HONE_ISB_CONN_DROP	262	/* connection events lost by the sensor */
#define HONE_ISB_CONN_RDROP	263	/* connection events dropped, ring full */
#define HONE_ISB_CONN_DELIV	264	/* connection events delivered */
#define HONE_ISB_OWNER_FULL	265	/* socket owners not recorded: the
					 * table (or the uid's share) full */
#define HONE_ISB_PROC_FULL	266	/* processes not cached: cache full */
#define HONE_ISB_SCRIPT_LOST	267	/* #! scripts exec'd but not known:
					 * their table full, or no hook
					 * on load_script */

/* ---- Process Event block (0x101) ---------------------------------------
 *
 *	u32 block type, u32 total length,
 *	u32 pid (thread-group id), u32 timestamp high, u32 timestamp low,
 *	options, u32 total length
 */
#define HONE_PROC_EVENT		2	/* u32: enum below; absent means exec */
#define HONE_PROC_PATH		3	/* string: executable path */
#define HONE_PROC_ARGV		4	/* NUL-separated and NUL-terminated */
#define HONE_PROC_PPID		5	/* u32 */
#define HONE_PROC_UID		6	/* u32: effective uid, initial user ns */
#define HONE_PROC_GID		7	/* u32: effective gid, initial user ns */
/* 8 and 9 are user/group names in the 2013 spec; never written. */
#define HONE_PROC_TID		257	/* u32: the thread that forked/exec'd */
#define HONE_PROC_START		258	/* u64: start time, ns since boot;
					 * (pid, start) names a process for
					 * the whole boot */
#define HONE_PROC_COMM		259	/* string: task comm */
#define HONE_PROC_EXIT_CODE	260	/* u32: as wait(2) reports it */
#define HONE_PROC_RUID		261	/* u32: real uid */
#define HONE_PROC_RGID		262	/* u32: real gid */
#define HONE_PROC_PPID_START	263	/* u64: the parent's start time */
/* The executable (mm->exe_file, the file PATH names), 0 if unknown. */
#define HONE_PROC_EXE_DEV	264	/* u64: its device as stat(2) st_dev
					 * encodes it (huge_encode_dev of the
					 * superblock's s_dev) */
#define HONE_PROC_EXE_INO	265	/* u64: its inode number */
#define HONE_PROC_MNTNS		266	/* u32: inode of the process's mount
					 * namespace, 0 if unknown */
/* honefw's verdict log only: the path is not the file that runs, as honefw
 * found in its own mount namespace (a claim, matched by no path key). */
#define HONE_PROC_FOREIGN	267	/* u32: 1 */
/* A #! script: the file execve(2) was given when the kernel ran an
 * interpreter for it (PATH is then the interpreter). Inherited at fork. */
#define HONE_PROC_SCRIPT	268	/* string: its path */
#define HONE_PROC_SCRIPT_DEV	269	/* u64: its device, as EXE_DEV */
#define HONE_PROC_SCRIPT_INO	270	/* u64: its inode number */
/* The process's cgroup in the cgroup v2 hierarchy when the event
 * happened. */
#define HONE_PROC_CGROUP_ID	271	/* u64: its id (the inode number of
					 * its directory in cgroup2fs) */
#define HONE_PROC_CGROUP	272	/* string: its path below the
					 * hierarchy's root, "/" at the root */
/* The process image: a number hone.ko gives each exec and each fork (a
 * child is judged apart from its parent), never reused within a boot.
 * A verdict given ahead (HEIO_PREJUDGE) names it. 0 if unknown. */
#define HONE_PROC_IMAGE		273	/* u64 */

enum hone_proc_event {
	HONE_PROC_EXEC		= 0,
	HONE_PROC_FORK		= 1,
	HONE_PROC_KTHREAD	= 2,
	HONE_PROC_EXIT		= 0xFFFFFFFFU,
};

/* ---- Connection Event block (0x102) ------------------------------------
 *
 *	u32 block type, u32 total length,
 *	u32 connection id (low 32 bits of the socket cookie), u32 pid,
 *	u32 timestamp high, u32 timestamp low,
 *	options, u32 total length
 */
#define HONE_CONN_EVENT		2	/* u32: enum below; absent means open */
#define HONE_CONN_COOKIE	257	/* u64: socket cookie (SO_COOKIE) */
#define HONE_CONN_FAMILY	258	/* u32: AF_INET or AF_INET6 */
#define HONE_CONN_TYPE		259	/* u32: SOCK_STREAM, SOCK_DGRAM, ... */
#define HONE_CONN_PROTO		260	/* u32: IPPROTO_* */
#define HONE_CONN_LOCAL		261	/* u16 port (host order), u16 zero,
					 * then 4 or 16 address bytes
					 * (network order) */
#define HONE_CONN_REMOTE	262	/* same layout as HONE_CONN_LOCAL */
#define HONE_CONN_UID		263	/* u32: socket owner uid */
#define HONE_CONN_TID		264	/* u32: thread that created it */
#define HONE_CONN_NETNS		265	/* u32: network namespace inode */
#define HONE_CONN_INODE		266	/* u64: socket inode, 0 if none */
#define HONE_CONN_LISTEN	267	/* u32: 1 in a flow event of a listening
					 * socket: the connection is not its
					 * own yet, but the acceptor's */

enum hone_conn_event {
	HONE_CONN_OPEN		= 0,	/* socket created */
	HONE_CONN_ACCEPT	= 1,	/* socket accepted from a listener */
	/* A packet of the socket, with addresses it had not had yet (its
	 * first, or a datagram to or from another peer), or had last more
	 * than HONE_FLOW_RETELL_SEC before: LOCAL and REMOTE
	 * are the packet's, seen from this host. Only to readers that ask
	 * for them (HONE_RECORDS_FLOW), before the packet reaches any
	 * filter: a firewall learns whose packet it judges, not asks. */
	HONE_CONN_FLOW		= 2,
	HONE_CONN_CLOSE		= 0xFFFFFFFFU,	/* socket freed */
};

/* ---- Verdicts, as honefw logs them (HONE_EPB_VERDICT) ----------------- */

enum hone_verdict {
	HONE_VERDICT_ACCEPT	= 0,
	HONE_VERDICT_DROP	= 1,
	HONE_VERDICT_REJECT	= 2,
	HONE_VERDICT_REDIRECT	= 3,
};

/* ---- ioctls on /dev/hone and /dev/honet (magic 0xE0, as in 2013) -------- */

#define HONE_IOC_MAGIC		0xE0

/* End the section: the next read gives the statistics block (or the text
 * TAIL line), the one after returns 0, then a new section and snapshot. */
#define HEIO_RESTART		_IO(HONE_IOC_MAGIC, 1)
/* Returns 1 while nothing of the current section has been read. */
#define HEIO_GET_AT_HEAD	_IO(HONE_IOC_MAGIC, 3)
/* Argument: pointer to unsigned int. */
#define HEIO_GET_SNAPLEN	_IOR(HONE_IOC_MAGIC, 4, int)
/* Argument: the value itself (0 = whole packet); starts a new section. */
#define HEIO_SET_SNAPLEN	_IOW(HONE_IOC_MAGIC, 5, int)
/* Argument: a socket fd of the caller, or -1: its packets are not
 * delivered to this reader (a forwarder hides its own traffic). */
#define HEIO_SET_FILTER_SOCK	_IOW(HONE_IOC_MAGIC, 6, int)
/* Argument: pointer to struct hone_stats. */
#define HEIO_GET_STATS		_IOR(HONE_IOC_MAGIC, 8, struct hone_stats)
/* Argument: the value itself, the records this reader gets from now on
 * (HONE_RECORDS_*); by default processes, connections and packets. A
 * reader of events alone shares its ring with no packet. Records its ring
 * holds of kinds it no longer asks for are not read, nor counted as
 * delivered: a packet counts as filtered. */
#define HEIO_SET_RECORDS	_IOW(HONE_IOC_MAGIC, 9, int)
#define HONE_RECORDS_PROC	0x1	/* Process Event blocks */
#define HONE_RECORDS_CONN	0x2	/* Connection Events: open, accept, close */
#define HONE_RECORDS_PACKET	0x4	/* Enhanced Packet blocks */
#define HONE_RECORDS_FLOW	0x8	/* Connection Events: HONE_CONN_FLOW */
#define HONE_RECORDS_DEFAULT	0x7

/* Counters of one reader; the *_lost ones are the sensor's, for all. */
struct hone_stats {
	__u64 packets;		/* packets delivered to this reader */
	__u64 packets_dropped;	/* ... dropped, this reader's ring full */
	__u64 packets_lost;	/* packets the sensor could not record */
	__u64 packets_filtered;	/* of the filtered socket, or not asked for */
	__u64 proc_events;
	__u64 proc_dropped;
	__u64 proc_lost;
	__u64 conn_events;
	__u64 conn_dropped;
	__u64 conn_lost;
};

/*
 * Verdicts given ahead. A firewall that reads /dev/hone may tell hone.ko,
 * per process image, the conntrack mark its connection-wide verdict would
 * give that process's new outgoing TCP connections. When such a
 * connection's first SYN leaves (LOCAL_OUT, right after conntrack, at
 * priority NF_IP_PRI_CONNTRACK + 1), hone.ko sets that mark on its new
 * conntrack entry, so that the firewall's own rules let it pass without
 * queueing it, and hands the packet to that reader as an Enhanced Packet
 * with HONE_EPB_PREJUDGED. If the record does not fit the reader's ring,
 * the mark is not set: the firewall judges the SYN as any other.
 *
 * A verdict holds for the socket owner uid it names, and for sockets the
 * image made: it ends at the process's next exec and at its exit, and a
 * child has none of its parent's. One reader at a time gives verdicts
 * (-EBUSY for others); they end when it closes its file. They hold in the
 * network namespace of the process that last gave or cleared them.
 */
struct hone_prejudge {
	__u32 pid;	/* thread-group id */
	__u32 uid;	/* the socket owner uid (euid at socket()) */
	__u64 image;	/* HONE_PROC_IMAGE of the process it was judged as */
	__u32 ctmark;	/* the conntrack mark to set; 0 ends the verdict */
	__u32 flags;	/* 0 */
};
/* -ESRCH: no such process, or it runs another image now. */
#define HEIO_PREJUDGE		_IOW(HONE_IOC_MAGIC, 10, struct hone_prejudge)
/* Ends every verdict given ahead (a firewall reloading its rules). */
#define HEIO_PREJUDGE_CLEAR	_IO(HONE_IOC_MAGIC, 11)

/*
 * Verdicts given ahead per remote port: rules that name the port (dns
 * for everyone, the web for the browser) decide most processes' SYNs by
 * the port alone. n ranges of remote ports, ascending and disjoint
 * (lo <= hi < the next lo), each with its mark (not 0); a SYN to a port
 * in none is queued. n = 0 ends the verdict. HEIO_PREJUDGE is this with
 * one range, 0 to 65535. -EINVAL for ranges out of order.
 */
#define HONE_PREJUDGE_RANGES	16
struct hone_prejudge_range {
	__u16 lo, hi;	/* remote ports, host order */
	__u32 ctmark;
};
struct hone_prejudge_ports {
	__u32 pid;
	__u32 uid;
	__u64 image;
	__u32 n;	/* ranges given */
	__u32 flags;	/* 0 */
	struct hone_prejudge_range range[HONE_PREJUDGE_RANGES];
};
#define HEIO_PREJUDGE_PORTS	_IOW(HONE_IOC_MAGIC, 12, struct hone_prejudge_ports)

/*
 * Lazy wakeups. Records of the kinds in lazy (HONE_RECORDS_*) wake a
 * reader that waits in poll(2) or read(2) delay_us later rather than at
 * once, together with those that come meanwhile; any other record, the
 * close of a socket other than TCP (its conntrack entry may carry a later
 * socket's packets), or a ring a quarter full, wakes it at once. For a
 * reader that reads anyway when it has other work (a firewall drains the
 * device before it judges a queued packet): fewer wakeups. lazy 0 (the
 * default): every record wakes it at once. delay_us: 1 to 1000000;
 * -EINVAL else.
 */
struct hone_lazy {
	__u32 lazy;
	__u32 delay_us;
};
#define HEIO_SET_LAZY		_IOW(HONE_IOC_MAGIC, 13, struct hone_lazy)

/* ---- Name Resolution Block (honefw's verdict log) ---------------------- */

/* Records as options are (type, length, value, padding), ending with a
 * record of type 0: the names DNS answers gave an address. */
#define HONE_BT_NRB		0x00000004U
#define HONE_NRB_END		0
#define HONE_NRB_IPV4		1	/* 4 address bytes, then NUL-ended names */
#define HONE_NRB_IPV6		2	/* 16 address bytes, then names */

/* A socket's flow event (HONE_CONN_FLOW) comes again for a packet with the
 * same addresses once this many seconds have passed since it was last: a
 * reader may forget a flow idle for twice as long. */
#define HONE_FLOW_RETELL_SEC	5

#endif /* _UAPI_HONE_H */
