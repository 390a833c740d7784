// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proctab.h"

/* A uid's name as the sensor said it, kept once for all its processes. */
struct uname {
	struct hnode node;
	char *name;		/* NULL: no such user */
};

struct proctab {
	struct htab pids;
	struct htab unames;
	struct list recent;
	size_t count;
};

int proctab_init(struct proctab **out)
{
	struct proctab *t;
	int ret;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	ret = htab_init(&t->pids, 4096);
	if (ret)
		goto err_free;
	ret = htab_init(&t->unames, 64);
	if (ret)
		goto err_pids;
	list_init(&t->recent);
	*out = t;
	return 0;

err_pids:
	htab_free(&t->pids);
err_free:
	free(t);
	return ret;
}

void proctab_touch(struct proctab *t, struct pent *e)
{
	if (e->p.exited)
		return;
	list_del(&e->link);
	list_add(&t->recent, &e->link);
}

static void unhash(struct proctab *t, struct pent *e)
{
	if (!e->hashed)
		return;
	htab_remove(&t->pids, &e->node);
	htab_fit(&t->pids);
	e->hashed = false;
}

static void free_entry(struct pent *e)
{
	free(e->p.exe);
	free(e->p.script);
	free(e->p.cgroup);
	free(e->p.unit);
	free(e->p.cmdline);
	free(e->argv);
	free(e);
}

static void destroy(struct proctab *t, struct pent *e)
{
	/* Freed with children only by proctab_free(), in any order. */
	while (!list_empty(&e->kids))
		list_del(e->kids.next);
	list_del(&e->sibling);
	unhash(t, e);
	list_del(&e->link);
	t->count--;
	free_entry(e);
}

static void free_uname(struct hnode *n)
{
	struct uname *u = htab_entry(n, struct uname, node);

	free(u->name);
	free(u);
}

void proctab_free(struct proctab *t)
{
	if (!t)
		return;
	/* Every entry is on the recency list; the caller has freed the
	 * connections that pointed at them. */
	while (!list_empty(&t->recent))
		destroy(t, list_entry(t->recent.next, struct pent, link));
	htab_clear(&t->unames, free_uname);
	htab_free(&t->unames);
	htab_free(&t->pids);
	free(t);
}

size_t proctab_count(const struct proctab *t)
{
	return t->count;
}

struct pent *proctab_find(const struct proctab *t, uint32_t pid)
{
	struct hnode *n = htab_find(&t->pids, pid);

	return n ? htab_entry(n, struct pent, node) : NULL;
}

struct pent *proctab_older(const struct proctab *t, const struct pent *e)
{
	const struct list *n = e ? e->link.next : t->recent.next;

	return n == &t->recent ? NULL : list_entry(n, struct pent, link);
}

struct pent *proctab_recent(const struct proctab *t)
{
	return proctab_older(t, NULL);
}

void proctab_get(struct pent *e)
{
	e->refs++;
}

void proctab_put(struct proctab *t, struct pent *e)
{
	struct pent *parent;

	/* Iterative: freeing a child may free its exited parent, and so on
	 * up a chain of exited ancestors. */
	while (e && --e->refs == 0) {
		parent = e->p.view.parent ? proc_pent((const struct proc *)
						      e->p.view.parent) : NULL;
		destroy(t, e);
		e = parent;
	}
}

static const char *user_name(struct proctab *t, uint32_t uid,
			     const char *name)
{
	struct hnode *n = htab_find(&t->unames, uid);
	struct uname *u = n ? htab_entry(n, struct uname, node) : NULL;

	if (!name)
		return NULL;
	if (u && u->name && !strcmp(u->name, name))
		return u->name;
	/* A new uid, or a name changed since: the old one stays with the
	 * processes that were given it. */
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->name = strdup(name);
	u->node.key = uid;
	htab_insert(&t->unames, &u->node);
	return u->name;
}

void proctab_set_ids(struct proctab *t, struct pent *e, uint32_t uid,
		     uint32_t gid, const char *user)
{
	e->p.view.uid = uid;
	e->p.view.gid = gid;
	e->p.user = user_name(t, uid, user);
}

static int set_strings(struct pent *e, const char *exe, const char *argv,
		       size_t len)
{
	char *nexe = NULL, *nargv = NULL, *ncmd = NULL;
	size_t i, n;

	if (exe && !(nexe = strdup(exe)))
		goto err;
	if (len) {
		nargv = malloc(len + 1);
		ncmd = malloc(len + 1);
		if (!nargv || !ncmd)
			goto err;
		memcpy(nargv, argv, len);
		nargv[len] = '\0';
		/* The matcher sees argv joined with single spaces. */
		for (i = 0; i < len; i++)
			ncmd[i] = argv[i] ? argv[i] : ' ';
		for (n = len; n && !argv[n - 1]; n--)
			;
		ncmd[n] = '\0';
		if (argv[len - 1])
			len++;	/* the log's argv is NUL-terminated */
	}
	free(e->p.exe);
	free(e->p.cmdline);
	free(e->argv);
	e->p.exe = nexe;
	e->p.cmdline = ncmd;
	e->argv = nargv;
	e->argvlen = len;
	e->p.view.exe = nexe;
	e->p.view.cmdline = ncmd;
	return 0;
err:
	free(ncmd);
	free(nargv);
	free(nexe);
	return -ENOMEM;
}

/* *dst = a copy of s (NULL stays NULL). */
static int set_str(char **dst, const char *s)
{
	char *n = NULL;

	if (s && !(n = strdup(s)))
		return -ENOMEM;
	free(*dst);
	*dst = n;
	return 0;
}

/* A forked child runs its parent's script in its parent's cgroup (until
 * an event says otherwise). */
static int copy_who(struct pent *e, const struct pent *parent)
{
	const struct proc *p = &parent->p;

	if (set_str(&e->p.script, p->script) || set_str(&e->p.cgroup, p->cgroup) ||
	    set_str(&e->p.unit, p->unit))
		return -ENOMEM;
	e->p.script_foreign = p->script_foreign;
	e->p.script_dev = p->script_dev;
	e->p.script_ino = p->script_ino;
	e->p.cgroup_id = p->cgroup_id;
	return 0;
}

static void link_parent(struct pent *child, struct pent *parent)
{
	proctab_get(parent);
	list_add(&parent->kids, &child->sibling);
	child->p.view.parent = &parent->p.view;
	child->p.view.ppid = parent->p.view.pid;
}

struct pent *proctab_new(struct proctab *t, uint32_t pid, uint64_t start,
			 struct pent *parent)
{
	struct pent *e, *old = proctab_find(t, pid);

	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	list_init(&e->kids);
	list_init(&e->sibling);
	if (parent) {
		if (set_strings(e, parent->p.exe, parent->argv,
				parent->argvlen) || copy_who(e, parent)) {
			free_entry(e);
			return NULL;
		}
		e->p.view = parent->p.view;
		e->p.user = parent->p.user;
		e->p.foreign = parent->p.foreign;
		e->p.exe_dev = parent->p.exe_dev;
		e->p.exe_ino = parent->p.exe_ino;
		memcpy(e->p.sha256, parent->p.sha256, sizeof(e->p.sha256));
		e->p.has_sha256 = parent->p.has_sha256;
		e->p.digest_wanted = parent->p.digest_wanted;
		e->p.exe_key = parent->p.exe_key;
		link_parent(e, parent);
	}
	e->p.view.pid = pid;
	e->p.view.exe = e->p.foreign ? NULL : e->p.exe;
	e->p.view.script = e->p.script_foreign ? NULL : e->p.script;
	e->p.view.cgroup = e->p.cgroup;
	e->p.view.unit = e->p.unit;
	e->p.view.cmdline = e->p.cmdline;
	e->p.view.sha256 = e->p.has_sha256 ? e->p.sha256 : NULL;
	e->p.start = start;
	e->refs = 1;		/* the live reference, dropped at exit */
	list_init(&e->changed);
	if (old) {
		/* pid reuse: the old process is gone even if its exit was
		 * lost; it lives on only for what still holds it. */
		unhash(t, old);
		proctab_exit(t, old);
	}
	e->node.key = pid;
	htab_insert(&t->pids, &e->node);
	e->hashed = true;
	list_add(&t->recent, &e->link);
	t->count++;
	return e;
}

void proctab_adopt(struct pent *child, struct pent *parent)
{
	if (child->p.view.parent || child == parent)
		return;
	link_parent(child, parent);
}

int proctab_exec(struct proctab *t, struct pent *e, const char *exe,
		 const struct exe_file *file, bool foreign, const char *argv,
		 size_t len)
{
	int ret = set_strings(e, exe, argv, len);

	if (ret)
		return ret;
	e->p.exe_dev = file ? file->dev : 0;
	e->p.exe_ino = file ? file->ino : 0;
	e->p.foreign = exe && foreign;
	if (e->p.foreign)
		e->p.view.exe = NULL;
	ret = proctab_script(e, NULL, NULL, false);
	if (ret)
		return ret;
	e->p.has_sha256 = false;
	e->p.digest_wanted = false;
	e->p.view.sha256 = NULL;
	proctab_touch(t, e);
	return 0;
}

int proctab_script(struct pent *e, const char *script,
		   const struct exe_file *file, bool foreign)
{
	int ret = set_str(&e->p.script, script);

	if (ret)
		return ret;
	e->p.script_dev = file ? file->dev : 0;
	e->p.script_ino = file ? file->ino : 0;
	e->p.script_foreign = script && foreign;
	e->p.view.script = e->p.script_foreign ? NULL : e->p.script;
	return 0;
}

int proctab_cgroup(struct pent *e, const char *path, uint64_t id)
{
	char unit[256];
	int ret;

	ret = set_str(&e->p.unit, path ? rules_unit_of(path, unit, sizeof(unit)) :
		      NULL);
	if (!ret)
		ret = set_str(&e->p.cgroup, path);
	if (ret)
		return ret;
	e->p.cgroup_id = path ? id : 0;
	e->p.view.cgroup = e->p.cgroup;
	e->p.view.unit = e->p.unit;
	return 0;
}

void proctab_exit(struct proctab *t, struct pent *e)
{
	if (e->p.exited)
		return;
	e->p.exited = true;
	proctab_put(t, e);
}
