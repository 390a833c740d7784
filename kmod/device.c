// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/hone (PCAP-NG) and /dev/honet (text): read-only misc devices, one
 * reader per open. A section is the head, the snapshot, then live records;
 * HEIO_RESTART ends it with statistics and one 0-byte read.
 */
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <linux/net.h>
#include <linux/sched/signal.h>
#include <net/sock.h>
#include "sensor.h"

static struct miscdevice hone_misc;
static struct miscdevice honet_misc;

static int hone_open(struct inode *inode, struct file *file)
{
	const struct hone_format *fmt = file->private_data == &honet_misc ?
					&hone_text_format : &hone_pcapng_format;
	struct hone_reader *r;

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

static u64 reader_drops(struct hone_reader *r)
{
	return READ_ONCE(r->stats.packets_dropped) + READ_ONCE(r->stats.proc_dropped) +
	       READ_ONCE(r->stats.conn_dropped);
}

static size_t reader_stats_block(struct hone_reader *r)
{
	struct hone_stats st;

	hone_reader_stats(r, &st);
	r->drops_reported = st.packets_dropped + st.proc_dropped + st.conn_dropped;
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
		rec = hone_snapshot_next(r);
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

static long hone_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct hone_reader *r = file->private_data;
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

static struct miscdevice hone_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "hone",
	.fops = &hone_fops,
};

static struct miscdevice honet_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "honet",
	.fops = &hone_fops,
};

int hone_device_init(void)
{
	int ret;

	hone_misc.mode = hone_device_mode;
	honet_misc.mode = hone_device_mode;
	ret = misc_register(&hone_misc);
	if (ret)
		return ret;
	ret = misc_register(&honet_misc);
	if (ret)
		misc_deregister(&hone_misc);
	return ret;
}

void hone_device_exit(void)
{
	misc_deregister(&honet_misc);
	misc_deregister(&hone_misc);
}
