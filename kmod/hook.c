// SPDX-License-Identifier: GPL-2.0
/*
 * Hooks on kernel functions: ftrace callbacks, not kprobes. The kernel
 * skips a kprobe hit while any kprobe's handler runs on the same CPU, as
 * when a softirq frees a bound UDP socket (an RCU callback) inside the
 * handler of another socket's creation, and that close was lost (VM
 * test_closes: 3-4% of a storm's); and root's switch of every kprobe
 * (debug/kprobes/enabled) silenced them unseen. ftrace lets each context
 * (task, softirq, irq, NMI) in on its own, and PERMANENT refuses sysctl
 * kernel.ftrace_enabled=0 while a hook is on.
 */
#include <linux/ftrace.h>
#include <linux/string.h>
#include "sensor.h"

int hone_hook_on(struct hone_hook *h)
{
	char fn[64];	/* ftrace_set_filter() may write into it */
	int ret;

	strscpy(fn, h->fn, sizeof(fn));
	ret = ftrace_set_filter(&h->ops, fn, strlen(fn), 1);
	if (!ret)
		ret = register_ftrace_function(&h->ops);
	if (ret == -EBUSY)
		pr_err("ftrace is off (sysctl kernel.ftrace_enabled = 0): %s needs it\n",
		       h->fn);
	else if (ret)
		pr_err("ftrace on %s: %d\n", h->fn, ret);
	if (ret)
		ftrace_free_filter(&h->ops);
	return ret;
}

/* Returns once no callback runs. */
void hone_hook_off(struct hone_hook *h)
{
	unregister_ftrace_function(&h->ops);
	ftrace_free_filter(&h->ops);
}
