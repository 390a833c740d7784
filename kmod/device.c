// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/hone (PCAP-NG) and /dev/honet (text): read-only devices, one
 * reader per open. A section is the head, the snapshot, then live records;
 * HEIO_RESTART ends it with statistics and one 0-byte read.
 */
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/version.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <linux/net.h>
#include <linux/sched/signal.h>
#include <linux/capability.h>
#include <net/sock.h>
#include "sensor.h"

/* Minor 0 is /dev/hone (PCAP-NG), minor 1 /dev/honet (text). */
#define HONE_NDEVS	2

static int hone_open(struct inode *inode, struct file *file)
{
	const struct hone_format *fmt = iminor(inode) ? &hone_text_format :
							&hone_pcapng_format;
	struct hone_reader *r;

	/* The file mode is not enough: whatever chmod says, only a process
	 * with CAP_NET_ADMIN in the initial user namespace reads the host's
	 * traffic. */
	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	if ((file->f_flags & O_ACCMODE) != O_RDONLY)
		return -EINVAL;
	r = hone_reader_create(fmt);
	if (IS_ERR(r))
		return PTR_ERR(r);
	file->private_data = r;
	return stream_open(inode, file);
}

static int hone_release(struct inode *inode, struct file *file)
{
	hone_reader_destroy(file->private_data);
	return 0;
}

/* What the statistics block tells this reader was lost: the reader's own
 * drops, and the sensor's losses of the records it takes. A block comes
 * whenever this grows, so a reader learns of a loss in the stream itself,
 * with no ioctl. */
static u64 reader_losses(const struct hone_reader *r, const struct hone_stats *st)
{
	u64 n = st->packets_dropped + st->proc_dropped + st->conn_dropped;

	if (r->records & HONE_RECORDS_PACKET)
		n += st->packets_lost;
	if (r->records & HONE_RECORDS_PROC)
		n += st->proc_lost;
	if (r->records & (HONE_RECORDS_CONN | HONE_RECORDS_FLOW))
		n += st->conn_lost;
	return n;
}

static u64 reader_drops(struct hone_reader *r)
{
	struct hone_stats st;

	hone_reader_stats(r, &st);
	return reader_losses(r, &st);
}

static size_t reader_stats_block(struct hone_reader *r)
{
	struct hone_stats st;

	hone_reader_stats(r, &st);
	r->drops_reported = reader_losses(r, &st);
	return r->fmt->stats(r, &st, r->out, HONE_OUT_SIZE);
}

/* Format the next block into r->out. Returns its length, 0 if nothing is
 * ready, -1 at the end of the section. Under read_lock. */
static ssize_t reader_fill(struct hone_reader *r)
{
	const struct hone_rec *rec;
	size_t len;

	switch (r->state) {
	case HONE_RS_HEAD:
		r->state = HONE_RS_SNAP;
		hone_snapshot_start(r);
		return r->fmt->head(r, r->out, HONE_OUT_SIZE);
	case HONE_RS_SNAP:
		do
			rec = hone_snapshot_next(r);
		while (rec && !hone_reader_wants(r, rec));
		if (rec)
			return r->fmt->record(r, rec, r->out, HONE_OUT_SIZE);
		r->state = HONE_RS_LIVE;
		fallthrough;
	case HONE_RS_LIVE:
		if (r->restart) {
			r->state = HONE_RS_TAIL;
			return reader_fill(r);
		}
		while ((rec = hone_ring_peek(&r->ring))) {
			len = 0;
			if (hone_reader_keeps(r, rec))
				len = r->fmt->record(r, rec, r->out, HONE_OUT_SIZE);
			hone_ring_consume(&r->ring, rec);
			if (len)
				return len;
		}
		/* Drops are reported once the reader has caught up. */
		if (reader_drops(r) != r->drops_reported)
			return reader_stats_block(r);
		return 0;
	case HONE_RS_TAIL:
		len = reader_stats_block(r);
		r->state = HONE_RS_END;
		return len;
	case HONE_RS_END:
		break;
	}
	return -1;
}

static bool reader_ready(struct hone_reader *r)
{
	return r->state != HONE_RS_LIVE || READ_ONCE(r->restart) ||
	       READ_ONCE(r->ring.head) != READ_ONCE(r->ring.tail) ||
	       reader_drops(r) != READ_ONCE(r->drops_reported);
}

static ssize_t hone_read(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	struct hone_reader *r = file->private_data;
	ssize_t copied = 0, n;
	int ret;

	if (mutex_lock_interruptible(&r->read_lock))
		return -ERESTARTSYS;
	while (copied < count) {
		if (r->out_off < r->out_len) {
			n = min_t(size_t, r->out_len - r->out_off, count - copied);
			if (copy_to_user(buf + copied, r->out + r->out_off, n)) {
				ret = -EFAULT;
				goto out;
			}
			r->out_off += n;
			copied += n;
			continue;
		}
		n = reader_fill(r);
		if (n > 0) {
			r->out_len = n;
			r->out_off = 0;
			continue;
		}
		if (copied)
			break;
		if (n < 0) {
			/* End of section: this 0, then a new one. */
			r->state = HONE_RS_HEAD;
			r->restart = false;
			break;
		}
		ret = -EAGAIN;
		if (file->f_flags & O_NONBLOCK)
			goto out;
		mutex_unlock(&r->read_lock);
		if (wait_event_interruptible(r->wait, reader_ready(r)))
			return -ERESTARTSYS;
		if (mutex_lock_interruptible(&r->read_lock))
			return -ERESTARTSYS;
	}
	ret = copied;
out:
	mutex_unlock(&r->read_lock);
	return copied ? copied : ret;
}

static __poll_t hone_poll(struct file *file, poll_table *wait)
{
	struct hone_reader *r = file->private_data;

	poll_wait(file, &r->wait, wait);
	return reader_ready(r) || r->out_off < r->out_len ? EPOLLIN | EPOLLRDNORM : 0;
}

static long reader_filter_sock(struct hone_reader *r, int fd)
{
	struct socket *sock;
	u64 cookie = 0;
	int err;

	if (fd != -1) {
		sock = sockfd_lookup(fd, &err);
		if (!sock)
			return err;
		if (sock->sk)
			cookie = hone_sock_cookie(sock->sk);
		sockfd_put(sock);
	}
	spin_lock_irq(&r->lock);
	r->filter_cookie = cookie;
	spin_unlock_irq(&r->lock);
	return 0;
}

static long reader_snaplen(struct hone_reader *r, unsigned long len)
{
	if (len > HONE_SNAPLEN_MAX)
		return -EINVAL;
	spin_lock_irq(&r->lock);
	r->snaplen = len;
	spin_unlock_irq(&r->lock);
	/* The interface block carries the snaplen: a new section. */
	hone_snapshot_stop(r);
	r->state = HONE_RS_HEAD;
	return 0;
}

/* An ioctl's argument struct, from the caller. */
static int ioctl_in(void *dst, unsigned long arg, size_t len)
{
	return copy_from_user(dst, (void __user *)arg, len) ? -EFAULT : 0;
}

static long hone_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct hone_reader *r = file->private_data;
	union {
		struct hone_prejudge one;
		struct hone_prejudge_ports ports;
		struct hone_lazy lazy;
	} arg_in;
	struct hone_stats st;
	long ret = 0;

	if (mutex_lock_interruptible(&r->read_lock))
		return -ERESTARTSYS;
	switch (cmd) {
	case HEIO_RESTART:
		r->restart = true;
		wake_up_interruptible(&r->wait);
		break;
	case HEIO_GET_AT_HEAD:
		ret = r->state == HONE_RS_HEAD && r->out_off == r->out_len;
		break;
	case HEIO_GET_SNAPLEN:
		ret = put_user(r->snaplen, (unsigned int __user *)arg);
		break;
	case HEIO_SET_SNAPLEN:
		ret = reader_snaplen(r, arg);
		break;
	case HEIO_SET_FILTER_SOCK:
		ret = reader_filter_sock(r, (int)arg);
		break;
	case HEIO_SET_RECORDS:
		ret = hone_reader_records(r, arg);
		break;
	case HEIO_PREJUDGE:
		ret = ioctl_in(&arg_in.one, arg, sizeof(arg_in.one)) ?:
		      hone_ahead_give_all(r, &arg_in.one);
		break;
	case HEIO_PREJUDGE_PORTS:
		ret = ioctl_in(&arg_in.ports, arg, sizeof(arg_in.ports)) ?:
		      hone_ahead_give(r, &arg_in.ports);
		break;
	case HEIO_SET_LAZY:
		ret = ioctl_in(&arg_in.lazy, arg, sizeof(arg_in.lazy)) ?:
		      hone_reader_lazy(r, &arg_in.lazy);
		break;
	case HEIO_PREJUDGE_CLEAR:
		ret = hone_ahead_clear(r);
		break;
	case HEIO_GET_STATS:
		hone_reader_stats(r, &st);
		if (copy_to_user((void __user *)arg, &st, sizeof(st)))
			ret = -EFAULT;
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&r->read_lock);
	return ret;
}

static const struct file_operations hone_fops = {
	.owner = THIS_MODULE,
	.open = hone_open,
	.release = hone_release,
	.read = hone_read,
	.poll = hone_poll,
	.unlocked_ioctl = hone_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/* The node's mode and group come from the module parameters. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
static char *hone_devnode(const struct device *dev, umode_t *mode, kuid_t *uid, kgid_t *gid)
#else
static char *hone_devnode(struct device *dev, umode_t *mode, kuid_t *uid, kgid_t *gid)
#endif
{
	if (mode)
		*mode = hone_device_mode;
	if (gid)
		*gid = KGIDT_INIT(hone_device_gid);
	return NULL;
}

static const struct device_type hone_dev_type = {
	.name = "hone",
	.devnode = hone_devnode,
};

/* The devices are static; nothing to free. */
static void hone_dev_release(struct device *dev)
{
}

static dev_t hone_devt;
static struct hone_dev {
	struct cdev cdev;
	struct device dev;
} hone_devs[HONE_NDEVS];
static const char *const hone_dev_names[HONE_NDEVS] = { "hone", "honet" };

static int hone_dev_add(struct hone_dev *d, unsigned int minor)
{
	int ret;

	device_initialize(&d->dev);
	d->dev.devt = MKDEV(MAJOR(hone_devt), minor);
	d->dev.type = &hone_dev_type;
	d->dev.release = hone_dev_release;
	ret = dev_set_name(&d->dev, "%s", hone_dev_names[minor]);
	if (ret)
		goto err;
	cdev_init(&d->cdev, &hone_fops);
	d->cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&d->cdev, &d->dev);
	if (ret)
		goto err;
	return 0;
err:
	put_device(&d->dev);
	return ret;
}

static void hone_dev_del(struct hone_dev *d)
{
	cdev_device_del(&d->cdev, &d->dev);
	put_device(&d->dev);
}

int hone_device_init(void)
{
	unsigned int i;
	int ret;

	ret = alloc_chrdev_region(&hone_devt, 0, HONE_NDEVS, "hone");
	if (ret)
		return ret;
	for (i = 0; i < HONE_NDEVS; i++) {
		ret = hone_dev_add(&hone_devs[i], i);
		if (ret)
			goto err;
	}
	return 0;
err:
	while (i--)
		hone_dev_del(&hone_devs[i]);
	unregister_chrdev_region(hone_devt, HONE_NDEVS);
	return ret;
}

void hone_device_exit(void)
{
	unsigned int i = HONE_NDEVS;

	while (i--)
		hone_dev_del(&hone_devs[i]);
	unregister_chrdev_region(hone_devt, HONE_NDEVS);
}
