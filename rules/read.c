// SPDX-License-Identifier: GPL-2.0
/* Reading the rule files: rules.ini and then rules.d/ *.ini in lexical
 * order, each refused unless it is a regular file that root owns and only
 * root may write, in directories only root may change. Only reading: what
 * is read goes to the caller as it is, to be parsed by rules_parse(),
 * perhaps in another process that may open none of them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rules_priv.h"

#define FILE_MAX	(16u << 20)

struct reader {
	struct load ld;		/* where refusals go, and their count */
	bool check;		/* owners and modes (RULES_LOAD_NO_OWNER_CHECK) */
	rules_file_fn fn;
	void *fctx;
};

/* Like sshd's StrictModes: whoever may write the rules owns the firewall. */
static bool owner_ok(struct load *ld, const char *name, const struct stat *st)
{
	if (st->st_uid != 0) {
		load_say(ld, name, 0, false, "refused: owned by uid %u, expected "
			 "root", (unsigned)st->st_uid);
		return false;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		load_say(ld, name, 0, false, "refused: writable by group or others "
			 "(mode %04o), expected chmod go-w", st->st_mode & 07777);
		return false;
	}
	return true;
}

/* And whoever may rename entries of a directory above them may swap in
 * rules of their own: each directory from / down must be root's and
 * writable by root only. A root-owned directory with the sticky bit (/tmp)
 * will do, since there nobody but root may rename or unlink root's
 * entries. dir is the first len bytes of path, "/" when len is 0. */
static bool dir_ok(struct load *ld, const char *name, const char *path,
		   size_t len, const struct stat *st)
{
	int n = len ? (int)len : 1;

	if (st->st_uid != 0) {
		load_say(ld, name, 0, false, "refused: directory %.*s is owned by uid "
			 "%u (mode %04o), expected root", n, path,
			 (unsigned)st->st_uid, st->st_mode & 07777);
		return false;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX)) {
		load_say(ld, name, 0, false, "refused: directory %.*s is writable by "
			 "group or others (mode %04o), expected chmod go-w or the "
			 "sticky bit", n, path, st->st_mode & 07777);
		return false;
	}
	return true;
}

/* From dfd, which it closes, to the component at comp (up to '/' or the
 * end). O_NOFOLLOW: the walk goes where realpath() said or nowhere. */
static int step(int dfd, char *comp, int flags)
{
	char *slash = strchr(comp, '/');
	int fd, err;

	if (slash)
		*slash = '\0';
	fd = openat(dfd, comp, flags | O_NOFOLLOW | O_CLOEXEC);
	err = errno;
	if (slash)
		*slash = '/';
	close(dfd);
	errno = err;
	return fd;
}

/* Opens name with flags, going down from / one component of its realpath
 * at a time and, if check, checking each directory on the way: those
 * checked are those passed through, and one swapped for a symlink since
 * realpath() fails the open. Returns the fd, or -1 once said. */
static int open_strict(struct load *ld, const char *name, int flags,
		       bool check)
{
	char *real, *comp, *slash;
	struct stat st;
	int fd = -1, dfd;

	real = realpath(name, NULL);
	if (!real) {
		load_say(ld, name, 0, false, "cannot open: %s", strerror(errno));
		return -1;
	}
	dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (comp = real + 1; dfd >= 0; comp = slash + 1) {
		if (fstat(dfd, &st) < 0)
			break;
		if (check && !dir_ok(ld, name, real, comp - 1 - real, &st))
			goto out_close;
		slash = strchr(comp, '/');
		if (!slash) {
			fd = step(dfd, comp, flags);
			dfd = -1;
			break;
		}
		dfd = step(dfd, comp, O_PATH | O_DIRECTORY);
	}
	if (fd < 0)
		load_say(ld, name, 0, false, "cannot open: %s", strerror(errno));
out_close:
	if (dfd >= 0)
		close(dfd);
	free(real);
	return fd;
}

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO:
		return "a FIFO";
	case S_IFDIR:
		return "a directory";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	}
	return "of another type";
}

/* open_strict() and fstat() of what it opened: the fd, or -1 once said. */
static int open_stat(struct reader *rd, const char *name, int flags,
		     struct stat *st)
{
	int fd = open_strict(&rd->ld, name, flags, rd->check);

	if (fd >= 0 && fstat(fd, st) < 0) {
		load_say(&rd->ld, name, 0, false, "cannot stat: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int read_file(struct reader *rd, const char *name, bool main_file)
{
	struct rules_file f = { .name = name, .main_file = main_file };
	struct stat st;
	char *buf = NULL;
	ssize_t got;
	size_t len = 0;
	int fd, ret = 0;

	/* O_NONBLOCK: a FIFO opens at once, where it would wait for a
	 * writer, and is refused below instead of blocking the daemon. */
	fd = open_stat(rd, name, O_RDONLY | O_NONBLOCK, &st);
	if (fd < 0)
		return 0;
	if (!S_ISREG(st.st_mode)) {
		load_say(&rd->ld, name, 0, false, "refused: not a regular file (%s), "
			 "expected a regular file", file_kind(st.st_mode));
		goto out_close;
	}
	if (st.st_size > FILE_MAX) {
		load_say(&rd->ld, name, 0, false, "expected a file of at most 16 MiB");
		goto out_close;
	}
	if (rd->check && !owner_ok(&rd->ld, name, &st))
		goto out_close;
	buf = malloc(st.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out_close;
	}
	while (len < (size_t)st.st_size &&
	       (got = read(fd, buf + len, st.st_size - len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			load_say(&rd->ld, name, 0, false, "cannot read: %s",
				 strerror(errno));
			goto out_free;
		}
		len += got;
	}
	f.buf = buf;
	f.len = len;
	ret = rd->fn(rd->fctx, &f);
out_free:
	free(buf);
out_close:
	close(fd);
	return ret;
}

static int ini_filter(const struct dirent *d)
{
	return d->d_name[0] != '.' && !fnmatch("*.ini", d->d_name, FNM_PERIOD);
}

/* Byte order, whatever the locale. */
static int lexical(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int read_dir(struct reader *rd, const char *dir)
{
	struct dirent **ents;
	struct stat st;
	char path[4096];
	int fd, i, n, ret = 0;

	if (stat(dir, &st) < 0 && errno == ENOENT)
		return 0;
	fd = open_stat(rd, dir, O_RDONLY | O_DIRECTORY, &st);
	if (fd < 0)
		return 0;
	/* no sticky bit here: whoever may add a file adds rules */
	if (rd->check && !owner_ok(&rd->ld, dir, &st))
		goto out_close;
	n = scandirat(fd, ".", &ents, ini_filter, lexical);
	if (n < 0) {
		load_say(&rd->ld, dir, 0, false, "cannot read the directory: %s",
			 strerror(errno));
		goto out_close;
	}
	for (i = 0; i < n; i++) {
		if (!ret && snprintf(path, sizeof(path), "%s/%s", dir,
				     ents[i]->d_name) >= (int)sizeof(path))
			load_say(&rd->ld, dir, 0, false, "expected shorter file names");
		else if (!ret)
			ret = read_file(rd, path, false);
		free(ents[i]);
	}
	free(ents);
out_close:
	close(fd);
	return ret;
}

int rules_read(const char *path, unsigned flags, rules_report_fn report,
	       void *ctx, rules_file_fn fn, void *fctx, unsigned *errors)
{
	struct reader rd = {
		.ld = { .report = report, .ctx = ctx },
		.check = !(flags & RULES_LOAD_NO_OWNER_CHECK),
		.fn = fn, .fctx = fctx,
	};
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int ret = 0;

	if (snprintf(dir, sizeof(dir), "%.*s/rules.d",
		     slash ? (int)(slash - path) : 1, slash ? path : ".") >=
	    (int)sizeof(dir)) {
		load_say(&rd.ld, path, 0, false, "expected a shorter path");
		ret = -ENAMETOOLONG;
	}
	if (!ret)
		ret = read_file(&rd, path, true);
	if (!ret)
		ret = read_dir(&rd, dir);
	*errors = rd.ld.errors;
	return ret;
}
