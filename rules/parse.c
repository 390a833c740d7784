// SPDX-License-Identifier: GPL-2.0
/* One rules file's text into rules. inih splits "key = value"; the line
 * reader in front of it sees every line first, so that the errors inih
 * would not give (or would give as silent truncation) are reported with
 * their line: NUL bytes, lines longer than inih's buffer, indented lines
 * (which inih would join to the previous value), lines without "=", and
 * the section headers, which inih does not pass on for empty sections. */
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "rules_priv.h"

#define NAME_MAX_LEN	64

struct parser {
	struct load *ld;
	const char *file;
	bool main_file;
	const char *buf;
	size_t len, pos;
	unsigned line;
	struct rule *cur;	/* the rule being read */
	unsigned cur_line;
	bool in_global;
	bool in_ipfix;
	bool skip;		/* a bad section: its keys are not looked at */
	bool nomem;
};

static const char ini_blank[] = "\n";

static void rule_close(struct parser *p)
{
	struct rule *r = p->cur;
	enum rule_key blame;
	const char *why;

	if (!r)
		return;
	p->cur = NULL;
	if (rule_finish(r, &blame, &why) < 0) {
		load_say(p->ld, p->file, r->keys & (1u << blame) ?
			 r->keyline[blame] : r->line, false, "[%s]: expected %s",
			 r->name, why);
		rule_free(r);
		return;
	}
	if (rule_warn_never(r, &why))
		load_say(p->ld, p->file, r->line, true, "[%s] can never match: %s",
			 r->name, why);
	p->ld->rs->rule[p->ld->rs->n++] = r;
}

static bool name_ok(const char *s, size_t len)
{
	size_t i;

	if (!len || len > NAME_MAX_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.:-", s[i]) || !s[i])
			return false;
	return true;
}

static int rules_grow(struct rules *rs)
{
	struct rule **v;
	size_t cap;

	if (rs->n < rs->cap)
		return 0;
	cap = rs->cap ? rs->cap * 2 : 64;
	v = realloc(rs->rule, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	rs->rule = v;
	rs->cap = cap;
	return 0;
}

/* [global] and [ipfix]: in the main file only, and once. Whether the
 * section opens (else its keys are skipped). */
static bool section_once(struct parser *p, const char *name, bool *seen)
{
	bool ok = false;

	if (!p->main_file)
		load_say(p->ld, p->file, p->line, false,
			 "[%s] belongs in the main rules file only", name);
	else if (*seen)
		load_say(p->ld, p->file, p->line, false,
			 "expected [%s] only once", name);
	else
		ok = true;
	*seen = true;
	p->skip = !ok;
	return ok;
}

/* "[name]" with nothing after it but a comment. */
static int section_open(struct parser *p, const char *s)
{
	const char *end = strchr(s, ']');
	const char *rest;
	size_t len;

	rule_close(p);
	p->in_global = false;
	p->in_ipfix = false;
	p->skip = true;
	if (!end) {
		load_say(p->ld, p->file, p->line, false, "expected ] to end the section");
		return 0;
	}
	rest = end + 1 + strspn(end + 1, " \t\r");
	if (*rest && *rest != ';' && *rest != '#') {
		load_say(p->ld, p->file, p->line, false,
			 "expected nothing after the section's ]");
		return 0;
	}
	len = end - s - 1;
	if (len == 6 && !memcmp(s + 1, "global", 6)) {
		p->in_global = section_once(p, "global", &p->ld->global_seen);
		if (p->in_global)
			p->ld->global_file = p->file;
		return 0;
	}
	if (len == 5 && !memcmp(s + 1, "ipfix", 5)) {
		p->in_ipfix = section_once(p, "ipfix", &p->ld->ipfix_seen);
		if (p->in_ipfix) {
			p->ld->ipfix_file = p->file;
			p->ld->ipfix_line = p->line;
			ipfix_init(&p->ld->rs->ipfix);
		}
		return 0;
	}
	if (!name_ok(s + 1, len)) {
		load_say(p->ld, p->file, p->line, false, "expected a rule name of "
			 "1-64 letters, digits, '_', '.', ':' or '-' inside [ ]");
		return 0;
	}
	if (rules_grow(p->ld->rs) < 0)
		return -ENOMEM;
	p->cur = calloc(1, sizeof(*p->cur));
	if (!p->cur || !(p->cur->name = strndup(s + 1, len))) {
		free(p->cur);
		p->cur = NULL;
		return -ENOMEM;
	}
	p->cur->file = p->file;
	p->cur->line = p->line;
	p->cur->idx = p->ld->rs->n;
	p->cur->log = -1;
	p->skip = false;
	return 0;
}

/* key = value, the key lowercase letters, digits and '_'. */
static bool key_line_ok(const char *s)
{
	size_t k = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");

	return k && s[k + strspn(s + k, " \t")] == '=';
}

/* Hands inih one line, or a blank line in place of a bad one. */
static char *line_reader(char *str, int num, void *stream)
{
	struct parser *p = stream;
	const char *start = p->buf + p->pos, *nl, *s;
	size_t len;

	if (p->pos >= p->len)
		return NULL;
	nl = memchr(start, '\n', p->len - p->pos);
	len = nl ? (size_t)(nl - start) : p->len - p->pos;
	p->pos += len + !!nl;
	p->line++;
	if (p->line == 1 && len >= 3 && !memcmp(start, "\xef\xbb\xbf", 3)) {
		start += 3;
		len -= 3;
	}
	if (memchr(start, '\0', len)) {
		load_say(p->ld, p->file, p->line, false,
			 "expected text, found a NUL byte");
		return strcpy(str, ini_blank);
	}
	if (len > (size_t)num - 2) {
		load_say(p->ld, p->file, p->line, false,
			 "expected a line of at most %d bytes", num - 2);
		return strcpy(str, ini_blank);
	}
	memcpy(str, start, len);
	str[len] = '\0';
	if (len && str[len - 1] == '\r')
		str[len - 1] = '\0';
	s = str + strspn(str, " \t");
	if (!*s || *s == '#' || *s == ';')
		return str;
	if (s != str) {
		load_say(p->ld, p->file, p->line, false, "expected the line to start "
			 "in column 1 (indented lines would continue the previous value)");
	} else if (*s == '[') {
		if (section_open(p, s) < 0) {
			p->nomem = true;
			return NULL;
		}
	} else if (!key_line_ok(s)) {
		load_say(p->ld, p->file, p->line, false,
			 "expected key = value, [rule-name] or a # comment");
	} else {
		return str;
	}
	return strcpy(str, ini_blank);
}

static int on_key(void *user, const char *section, const char *key,
		  const char *val)
{
	struct parser *p = user;
	const char *why = "";
	int ret;

	(void)section;
	if (p->skip)
		return 1;
	if (p->in_global) {
		ret = key_global(&p->ld->rs->g, p->ld->global_line, key, val,
				 p->line, &why);
	} else if (p->in_ipfix) {
		ret = key_ipfix(&p->ld->rs->ipfix, p->ld->ipfix_keyline, key,
				val, p->line, &why);
	} else if (p->cur) {
		ret = key_rule(p->cur, key, val, p->line, &why);
	} else {
		load_say(p->ld, p->file, p->line, false,
			 "expected [global] or [rule-name] before the first key");
		p->skip = true;
		return 1;
	}
	if (ret == -ENOMEM) {
		p->nomem = true;
		return 0;
	}
	if (ret == -ENOENT)
		load_say(p->ld, p->file, p->line, false, "'%s': %s", key, why);
	else if (ret == -EEXIST)
		load_say(p->ld, p->file, p->line, false, "'%s' given twice: expected %s",
			 key, why);
	else if (ret < 0)
		load_say(p->ld, p->file, p->line, false, "%s = '%s': expected %s",
			 key, val, why);
	return 1;
}

int parse_buffer(struct load *ld, const char *file, bool main_file,
		 const char *buf, size_t len)
{
	struct parser p = {
		.ld = ld, .file = file, .main_file = main_file,
		.buf = buf, .len = len,
	};
	int ret;

	ret = ini_parse_stream(line_reader, &p, on_key, &p);
	rule_close(&p);
	if (p.nomem || ret < 0)
		return -ENOMEM;
	if (ret > 0)	/* inih saw what line_reader let through: not expected */
		load_say(ld, file, ret, false, "expected key = value");
	return 0;
}
