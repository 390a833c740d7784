// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <string.h>

#include "report.h"

/* A path its owner chose can hold a newline, a blank, quotes: written
 * as they are, the newline would end the log line and start a forged
 * one, the blank a forged field. */
Test(report, a_chosen_name_can_neither_end_a_line_nor_forge_a_field)
{
	char buf[128];

	cr_assert_str_eq(report_escape("/usr/bin/curl", buf, sizeof(buf)),
			 "/usr/bin/curl");
	cr_assert_str_eq(report_escape("/tmp/x\nhonefw: verdict=accept",
				       buf, sizeof(buf)),
			 "/tmp/x\\x0ahonefw:\\x20verdict=accept");
	cr_assert_str_eq(report_escape("a\"b\\c\td\x7f\xc3\xa9", buf,
				       sizeof(buf)),
			 "a\\x22b\\x5cc\\x09d\\x7f\\xc3\\xa9");
	/* Cut at an escape, never inside one. */
	cr_assert_str_eq(report_escape("ab\ncd", buf, 6), "ab");
	cr_assert_str_eq(report_escape("ab\ncd", buf, 7), "ab\\x0a");
}

Test(report, the_exe_of_a_claim_and_of_none)
{
	struct proc p = { .exe = (char *)"/tmp/a b", .foreign = true };
	char buf[64];

	cr_assert_str_eq(report_exe(&p, buf, sizeof(buf)),
			 "/tmp/a\\x20b(foreign)");
	cr_assert_str_eq(report_exe(NULL, buf, sizeof(buf)), "-");
}
