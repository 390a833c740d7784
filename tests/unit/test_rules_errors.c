// SPDX-License-Identifier: GPL-2.0
/* Bad rules files: each is rejected whole, and its first error names the
 * line and what was expected. */
#include <stdlib.h>

#include <criterion/criterion.h>

#include "test_rules.h"

#define OK	"[ok]\nexe = /usr/bin/curl\naction = accept\n"	/* lines 1-3 */

static const struct bad {
	const char *text;
	unsigned line;
	const char *msg;
} bad[] = {
	/* structure */
	{ "exe = /bin/sh\n", 1, "expected [global] or [rule-name] before the first key" },
	{ OK "[x\n", 4, "expected ] to end the section" },
	{ OK "[x] y\n", 4, "expected nothing after the section's ]" },
	{ OK "[]\naction = drop\n", 4, "expected a rule name" },
	{ OK "[a b]\naction = drop\n", 4, "expected a rule name" },
	{ OK "[r\xc3\xa9gle]\naction = drop\n", 4, "expected a rule name" },
	{ OK "[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n"
	  "action = drop\n", 4, "expected a rule name of 1-64" },
	{ OK "[ok]\naction = drop\n", 4,
	  "[ok]: expected a new rule name, already used at t.ini:1" },
	{ "[global]\n[global]\n", 2, "expected [global] only once" },
	{ OK "just words\n", 4, "expected key = value, [rule-name] or a # comment" },
	{ OK "exe: /bin/sh\n", 4, "expected key = value" },
	{ OK " action = drop\n", 4, "expected the line to start in column 1" },
	{ OK "\taction = drop\n", 4, "expected the line to start in column 1" },
	{ OK "Exe = /bin/sh\n", 4, "expected key = value" },
	{ "[a]\naction = drop\nexe = /bin/\0sh\n", 3, "found a NUL byte" },
	{ "[a]\n\0\n", 2, "found a NUL byte" },
	{ OK "colour = blue\n", 4, "'colour': unknown key: expected exe, sha256" },
	{ OK "action = drop\n", 4, "'action' given twice" },
	{ "[a]\nexe = /bin/sh\n", 1, "[a]: expected an action" },
	{ "[global]\ncolour = blue\n", 2, "unknown key in [global]: expected default, "
	  "unknown, kernel, failmode, queue or log" },
	{ "[global]\ndefault = reject\n", 2, "default = 'reject': expected accept or drop" },
	{ "[global]\ndefault = Accept\n", 2, "expected accept or drop" },
	{ "[global]\nunknown = maybe\n", 2, "unknown = 'maybe': expected accept or drop" },
	{ "[global]\nkernel = reject\n", 2, "kernel = 'reject': expected accept or drop" },
	{ "[global]\nkernel = drop\nkernel = drop\n", 3, "t.ini:3: 'kernel' given twice" },
	{ "[global]\nfailmode = shut\n", 2, "expected open or closed" },
	{ "[global]\nqueue = 65527\n", 2, "expected a queue number 0-65526" },
	{ "[global]\nqueue = -1\n", 2, "expected a queue number" },
	{ "[global]\nlog = true\n", 2, "expected yes or no" },
	/* a key twice is an error, not the last one winning */
	{ "[global]\ndefault = drop\nqueue = 1\ndefault = accept\n", 4,
	  "t.ini:4: 'default' given twice: expected each key at most once in [global]" },
	{ "[global]\nunknown = drop\nunknown = drop\n", 3, "t.ini:3: 'unknown' given twice" },
	{ "[global]\nlog = no\nfailmode = open\nqueue = 2\nlog = yes\n", 5,
	  "t.ini:5: 'log' given twice" },
	{ "[global]\nqueue = 1\nqueue = 1\n", 3, "t.ini:3: 'queue' given twice" },
	{ "[global]\nfailmode = open\nfailmode = closed\n", 3, "'failmode' given twice" },
	{ OK "exe = /usr/bin/wget\n", 4, "t.ini:4: 'exe' given twice: expected each key "
	  "at most once in a rule (write a list instead)" },
	/* who */
	{ "[a]\nexe = curl\naction = drop\n", 2, "expected an absolute path or glob" },
	{ "[a]\nexe =\naction = drop\n", 2, "expected at least one value" },
	{ "[a]\nexe = /bin/sh, ,\naction = drop\n", 0, NULL },	/* separators only: fine */
	{ "[a]\nsha256 = abc\naction = drop\n", 2, "expected a SHA-256 digest" },
	{ "[a]\nsha256 = 00112233445566778899aabbccddeeff00112233445566778899aabbccddeefg\n"
	  "action = drop\n", 2, "64 hexadecimal digits" },
	{ "[a]\ncmdline =\naction = drop\n", 2, "expected a command-line glob" },
	{ "[a]\nuser = no-such-user-hone\naction = drop\n", 2, "expected a user name known" },
	{ "[a]\nuser = 4294967295\naction = drop\n", 2, "numeric uid" },
	{ "[a]\ngroup = no-such-group-hone\naction = drop\n", 2, "expected a group name known" },
	{ "[a]\nparent = bash\naction = drop\n", 2, "expected an absolute path or glob" },
	{ "[a]\nancestor = ./sshd\naction = drop\n", 2, "expected an absolute path or glob" },
	{ "[a]\npedigree = /a < < /b\naction = drop\n", 2, "expected a chain like" },
	{ "[a]\npedigree = /a <\naction = drop\n", 2, "expected a chain like" },
	{ "[a]\npedigree = < /a\naction = drop\n", 2, "expected a chain like" },
	{ "[a]\npedigree = /a < bash\naction = drop\n", 2, "expected an absolute path" },
	{ "[a]\npedigree = /a /b < /c\naction = drop\n", 2, "expected a chain like" },
	{ "[a]\npedigree = /1</2</3</4</5</6</7</8</9</10</11</12</13</14</15</16</17\n"
	  "action = drop\n", 2, "at most 16 elements" },
	/* what */
	{ "[a]\ndirection = both\naction = drop\n", 2, "expected in or out" },
	{ "[a]\nproto = tcpp\naction = drop\n", 2, "expected tcp, udp, icmp" },
	{ "[a]\nproto = 256\naction = drop\n", 2, "protocol number 0-255" },
	{ "[a]\nproto = TCP\naction = drop\n", 2, "expected tcp, udp" },
	{ "[a]\nremote = 10.0.0.256\naction = drop\n", 2, "expected an IPv4 or IPv6 address" },
	{ "[a]\nremote = 10.0.0.0/33\naction = drop\n", 2, "expected a prefix length 0-32" },
	{ "[a]\nremote = 10.0.0.1/8\naction = drop\n", 2, "host bits clear" },
	{ "[a]\nremote = 10.0.0.0/\naction = drop\n", 2, "prefix length" },
	{ "[a]\nremote = 2001:db8::/129\naction = drop\n", 2, "expected a prefix length 0-128" },
	{ "[a]\nremote = 2001:db8::1/64\naction = drop\n", 2, "host bits clear" },
	{ "[a]\nremote = 2001:db8:::1\naction = drop\n", 2, "expected an IPv4 or IPv6" },
	{ "[a]\nlocal = example.org\naction = drop\n", 2, "expected an IPv4 or IPv6" },
	{ "[a]\nrport = 65536\naction = drop\n", 2, "expected a port 0-65535" },
	{ "[a]\nrport = 100-10\naction = drop\n", 2, "range of ports N-M with N <= M" },
	{ "[a]\nrport = http\naction = drop\n", 2, "expected a port" },
	{ "[a]\nlport = 1024-\naction = drop\n", 2, "expected a port" },
	{ "[a]\nlport = -5\naction = drop\n", 2, "expected a port" },
	{ "[a]\nlport = 08\naction = drop\n", 2, "expected a port" },
	{ "[a]\nhost = http://x.test/\naction = drop\n", 2,
	  "expected a DNS name or glob of names" },
	{ "[a]\nhost = .\naction = drop\n", 2, "expected a DNS name" },
	{ "[a]\nhost = 10.0.0.1/8\naction = drop\n", 2, "expected a DNS name" },
	{ "[a]\ntcpflags = SYN\naction = drop\n", 2, "expected TCP flags fin syn" },
	{ "[a]\ntcpflags = syn !!ack\naction = drop\n", 2, "expected TCP flags" },
	{ "[a]\nlength = big\naction = drop\n", 2, "expected a number or a range" },
	{ "[a]\nlength = 10-5\naction = drop\n", 2, "expected a number or a range" },
	{ "[a]\nnth = 0\naction = drop\n", 2, "packet indexes from 1" },
	{ "[a]\nnth = 1.5\naction = drop\n", 2, "expected a number or a range" },
	/* action */
	{ "[a]\naction = allow\n", 2, "expected accept, drop, reject or redirect" },
	{ "[a]\naction = accept drop\n", 2, "expected accept, drop" },
	{ "[a]\naction = drop\nmark = 1\n", 3, "mark only with action = accept or redirect" },
	{ "[a]\naction = accept\nmark = 0x1000000\n", 3, "expected a mark 0-0xffffff" },
	{ "[a]\naction = accept\nmark = ten\n", 3, "expected a mark" },
	{ "[a]\naction = accept\nmark = 1 2\n", 3, "expected a mark" },
	{ "[a]\naction = redirect\n", 2, "a redirect key (queue:N or ADDR:PORT) with action" },
	{ "[a]\naction = accept\nredirect = queue:1\n", 3, "action = redirect with a redirect" },
	{ "[a]\naction = redirect\nredirect = queue:70000\n", 3, "a queue number 0-65535" },
	/* honefw's own queue, or one of the 9 after it: for ever back (said
	 * at the rule, as [global] may come after it). */
	{ "[a]\naction = redirect\nredirect = queue:9\n", 1,
	  "[a]: expected a queue not honefw's own (0-9): queue:9" },
	{ "[a]\naction = redirect\nredirect = queue:13\n[global]\nqueue = 4\n", 1,
	  "[a]: expected a queue not honefw's own (4-13): queue:13" },
	{ "[a]\naction = redirect\nredirect = queue\n", 3, "expected queue:N, IPV4:PORT" },
	{ "[a]\naction = redirect\nredirect = 127.0.0.1\n", 3, "expected queue:N" },
	{ "[a]\naction = redirect\nredirect = 127.0.0.1:0\n", 3, "a port 1-65535" },
	{ "[a]\naction = redirect\nredirect = 127.0.0.1:99999\n", 3, "a port 1-65535" },
	{ "[a]\naction = redirect\nredirect = ::1:53\n", 3,
	  "expected queue:N, IPV4:PORT or [IPV6]:PORT" },
	{ "[a]\naction = redirect\nredirect = [127.0.0.1]:53\n", 3, "[IPV6]:PORT" },
	{ "[a]\naction = redirect\nredirect = [::1:53\n", 3, "[IPV6]:PORT" },
	{ "[a]\naction = accept\nlog = on\n", 3, "expected yes or no" },
	{ "[a]\nunit = nginx\naction = drop\n", 2,
	  "expected a systemd unit: NAME.service or NAME.scope" },
	{ "[a]\nunit = system.slice/x.service\naction = drop\n", 2, "expected a systemd unit" },
	{ "[a]\ncgroup = system.slice\naction = drop\n", 2, "an absolute path or glob" },
	{ "[a]\nscript = fetch.py\naction = drop\n", 2, "an absolute path or glob" },
	{ "[a]\naction = accept\ndscp = AF44\n", 3,
	  "expected a DiffServ code point: CS0-CS7, AF11-AF43, EF, LE or 0-63" },
	{ "[a]\naction = accept\ndscp = 64\n", 3, "expected a DiffServ code point" },
	{ "[a]\naction = accept\ndscp = -1\n", 3, "expected a DiffServ code point" },
	{ "[a]\naction = drop\ndscp = ef\n", 3, "dscp only with action = accept" },
	/* errors after good rules and in later rules still name their line */
	{ OK OK, 4, "already used at t.ini:1" },
	{ OK "[b]\naction = drop\n[c]\nrport = 1,x\naction = drop\n", 7, "expected a port" },
};

Test(rules_errors, each_names_its_line)
{
	size_t i, n = sizeof(bad) / sizeof(bad[0]);
	struct rules *rs;
	struct diag d;
	size_t len;

	cr_assert_geq(n, 60);
	for (i = 0; i < n; i++) {
		/* the NUL cases: the length runs to the text's end */
		len = strlen(bad[i].text);
		if (strstr(bad[i].msg ? bad[i].msg : "", "NUL"))
			len += 1 + strlen(bad[i].text + len + 1);
		memset(&d, 0, sizeof(d));
		rs = NULL;
		rules_load_buffer("t.ini", bad[i].text, len, diag_report, &d, &rs);
		if (!bad[i].msg) {
			cr_expect_not_null(rs, "case %zu: %s", i, d.text);
			rules_free(rs);
			continue;
		}
		cr_expect_null(rs, "case %zu (%s) was accepted", i, bad[i].text);
		rules_free(rs);
		cr_expect_eq(d.first_line, bad[i].line, "case %zu: line %u, expected %u: %s",
			     i, d.first_line, bad[i].line, d.text);
		cr_expect(strstr(d.text, bad[i].msg), "case %zu: no '%s' in: %s", i,
			  bad[i].msg, d.text);
	}
}

/* Effects are named in 4 bits of the mark: the 16th distinct one is
 * refused at its rule; repeating one costs nothing. */
Test(rules_errors, too_many_effects)
{
	struct rules *rs;
	struct diag d;
	char text[4096];
	size_t off = 0;
	int i;

	for (i = 0; i < 14; i++)
		off += snprintf(text + off, sizeof(text) - off,
				"[d%d]\nuser = %d\naction = accept\ndscp = %d\n",
				i, i, i);
	off += snprintf(text + off, sizeof(text) - off,
			"[again]\nuser = 99\naction = accept\ndscp = 3\n"
			"[r]\nuser = 98\naction = redirect\nredirect = 127.0.0.1:53\n");
	rs = load_text(text, &d);
	cr_expect_not_null(rs, "15 distinct effects, one twice: %s", d.text);
	rules_free(rs);
	snprintf(text + off, sizeof(text) - off,
		 "[r6]\nuser = 97\naction = redirect\nredirect = [::1]:53\n");
	rs = load_text(text, &d);
	cr_expect_null(rs);
	rules_free(rs);
	cr_expect_eq(d.first_line, 65, "line %u: %s", d.first_line, d.text);
	cr_expect(strstr(d.text, "[r6]: expected at most 15 distinct redirect "
			 "targets and dscp values in the rule set"), "%s", d.text);
}

Test(rules_errors, long_line_is_an_error_not_truncation)
{
	char text[1024];
	struct diag d;

	memset(text, 0, sizeof(text));
	strcpy(text, "[a]\naction = drop\nexe = /");
	memset(text + strlen(text), 'x', 400);
	strcat(text, "\n");
	cr_assert_null(load_text(text, &d));
	cr_assert_eq(d.first_line, 3, "%s", d.text);
	cr_assert(strstr(d.text, "t.ini:3: expected a line of at most 198 bytes"), "%s", d.text);
	cr_assert_eq(d.errors, 1, "the rest of the line is not read as a line: %s", d.text);
}

Test(rules_errors, every_error_reported)
{
	struct diag d;

	cr_assert_null(load_text("[a]\nexe = x\nproto = y\naction = z\n[a]\n", &d));
	cr_assert_eq(d.errors, 4, "%s", d.text);
	cr_assert(strstr(d.text, "t.ini:2:") && strstr(d.text, "t.ini:3:") &&
		  strstr(d.text, "t.ini:4:") && strstr(d.text, "t.ini:5:"), "%s", d.text);
}

Test(rules_errors, bom_crlf_and_comments_are_fine)
{
	struct diag d;
	struct rules *rs = load_text("\xef\xbb\xbf# c\r\n; c\r\n[a]\r\nexe = /usr/bin/caf\xc3\xa9"
				     "  ; inline\r\naction = drop\r\n", &d);

	cr_assert_not_null(rs, "%s", d.text);
	rules_free(rs);
}

Test(rules_errors, warnings_never_match)
{
	static const struct {
		const char *text;
		const char *msg;
	} w[] = {
		{ "[a]\nproto = icmp\nrport = 80\naction = drop\n",
		  "protocols that have no ports" },
		{ "[a]\nproto = udp\ntcpflags = syn\naction = drop\n", "tcpflags without tcp" },
		{ "[a]\ntcpflags = syn !syn\naction = drop\n", "both required and excluded" },
		{ "[a]\nremote = 10.0.0.0/8\nlocal = ::1\naction = drop\n", "different address" },
		{ "[a]\nproto = icmp\nremote = ::/0\naction = drop\n", "icmp with IPv6" },
		{ "[all]\naction = drop\n[b]\nexe = /bin/sh\naction = accept\n"
		  "[c]\naction = drop\n",
		  "t.ini:3: warning: the rules from [b] on (2) are never reached: [all] at "
		  "t.ini:1 takes every packet" },
		{ "[c]\nexe = /bin/sh /bin/ls\naction = drop\n[d]\nexe = /bin/ls\n"
		  "action = accept\n[e]\nexe = /bin/ls /bin/x\naction = accept\n",
		  "t.ini:4: warning: [d] is never reached: [c] at t.ini:1 takes every packet "
		  "of its executables" },
	};
	struct diag d;
	struct rules *rs;
	size_t i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		rs = load_text(w[i].text, &d);
		cr_expect_not_null(rs, "a warning does not reject: %s", d.text);
		cr_expect_eq(d.warnings, 1, "case %zu: %s", i, d.text);
		cr_expect(strstr(d.text, w[i].msg), "case %zu: %s", i, d.text);
		rules_free(rs);
	}
}

/* An allowlist (default = drop) with unknown = accept lets through what a
 * process that exits at once sends: said, with the line of unknown. */
Test(rules_errors, unknown_accept_in_allowlist_warns)
{
	static const char *const quiet[] = {
		"[global]\ndefault = drop\n",
		"[global]\ndefault = drop\nunknown = drop\nkernel = accept\n",
		"[global]\ndefault = accept\nunknown = accept\n",
		"[global]\nunknown = accept\n",
	};
	struct rules *rs;
	struct diag d;
	size_t i;

	rs = load_text("[global]\ndefault = drop\nlog = no\nunknown = accept\n"
		       "kernel = accept\n[a]\nexe = /usr/bin/curl\naction = accept\n", &d);
	cr_assert_not_null(rs, "a warning does not reject: %s", d.text);
	rules_free(rs);
	cr_assert_str_eq(d.text, "t.ini:4: warning: unknown = accept lets through every "
			 "packet whose process is not known, e.g. of a process that exits "
			 "right after sending: an allowlist is open to them (kernel = accept "
			 "passes the kernel's own packets)\n");
	for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		rs = load_text(quiet[i], &d);
		cr_expect_not_null(rs);
		cr_expect_str_eq(d.text, "", "case %zu", i);
		rules_free(rs);
	}
}
