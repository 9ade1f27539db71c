/* Unit tests for parse.c: the checked conversions of configuration text into
 * numbers, durations and booleans, including errno and an untouched *out on
 * every failure. */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "parse.h"

#include "harness.h"

/* What parse_ulong and parse_duration leave in *out when they fail. */
#define UNTOUCHED 4242UL

static void
expect_ulong(const char *s, unsigned long min, unsigned long max,
    unsigned long want)
{
	unsigned long v = UNTOUCHED;

	ck_assert_msg(parse_ulong(s, min, max, &v) == 0,
	    "parse_ulong(\"%s\", %lu, %lu) failed", s, min, max);
	ck_assert_msg(v == want, "parse_ulong(\"%s\") gave %lu, not %lu", s, v,
	    want);
}

static void
expect_ulong_error(const char *s, unsigned long min, unsigned long max,
    int want_errno)
{
	unsigned long v = UNTOUCHED;

	errno = 0;
	ck_assert_msg(parse_ulong(s, min, max, &v) == -1,
	    "parse_ulong(\"%s\", %lu, %lu) accepted it as %lu", s, min, max, v);
	ck_assert_msg(errno == want_errno,
	    "parse_ulong(\"%s\"): errno %d, not %d", s, errno, want_errno);
	ck_assert_msg(v == UNTOUCHED, "parse_ulong(\"%s\") changed *out", s);
}

static void
expect_duration(const char *s, unsigned long max_ms, unsigned long want)
{
	unsigned long v = UNTOUCHED;

	ck_assert_msg(parse_duration(s, max_ms, &v) == 0,
	    "parse_duration(\"%s\", %lu) failed", s, max_ms);
	ck_assert_msg(v == want, "parse_duration(\"%s\") gave %lu ms, not %lu",
	    s, v, want);
}

static void
expect_duration_error(const char *s, unsigned long max_ms, int want_errno)
{
	unsigned long v = UNTOUCHED;

	errno = 0;
	ck_assert_msg(parse_duration(s, max_ms, &v) == -1,
	    "parse_duration(\"%s\", %lu) accepted it as %lu ms", s, max_ms, v);
	ck_assert_msg(errno == want_errno,
	    "parse_duration(\"%s\"): errno %d, not %d", s, errno, want_errno);
	ck_assert_msg(v == UNTOUCHED, "parse_duration(\"%s\") changed *out", s);
}

static void
expect_bool(const char *s, bool want)
{
	bool v = !want;

	ck_assert_msg(parse_bool(s, &v) == 0, "parse_bool(\"%s\") failed", s);
	ck_assert_msg(v == want, "parse_bool(\"%s\") gave %d", s, v);
}

static void
expect_bool_error(const char *s)
{
	bool t = true, f = false;

	errno = 0;
	ck_assert_msg(parse_bool(s, &t) == -1, "parse_bool(\"%s\") accepted it",
	    s);
	ck_assert_msg(errno == EINVAL, "parse_bool(\"%s\"): errno %d", s,
	    errno);
	ck_assert_msg(parse_bool(s, &f) == -1 && t && !f,
	    "parse_bool(\"%s\") changed *out", s);
}

/* ---- parse_ulong ---- */

START_TEST(parse_ulong_accepts_numbers_within_range)
{
	expect_ulong("0", 0, 65535, 0);
	expect_ulong("7", 0, 65535, 7);
	expect_ulong("65535", 0, 65535, 65535);
	expect_ulong("10", 10, 20, 10);
	expect_ulong("20", 10, 20, 20);
	expect_ulong("007", 0, 65535, 7);
}
END_TEST

START_TEST(parse_ulong_accepts_the_largest_unsigned_long)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lu", ULONG_MAX);
	expect_ulong(buf, 0, ULONG_MAX, ULONG_MAX);
}
END_TEST

START_TEST(parse_ulong_rejects_numbers_out_of_range_with_erange)
{
	expect_ulong_error("65536", 0, 65535, ERANGE);
	expect_ulong_error("70000", 0, 65535, ERANGE);
	expect_ulong_error("9", 10, 20, ERANGE);
	expect_ulong_error("21", 10, 20, ERANGE);
	expect_ulong_error("0", 1, 65535, ERANGE);
}
END_TEST

START_TEST(parse_ulong_rejects_overflow_with_erange)
{
	expect_ulong_error("99999999999999999999", 0, ULONG_MAX, ERANGE);
	expect_ulong_error("18446744073709551616", 0, ULONG_MAX, ERANGE);
	expect_ulong_error("99999999999999999999", 0, 65535, ERANGE);
}
END_TEST

START_TEST(parse_ulong_rejects_signs)
{
	expect_ulong_error("-1", 0, 65535, EINVAL);
	expect_ulong_error("+1", 0, 65535, EINVAL);
	expect_ulong_error("-0", 0, 65535, EINVAL);
	/* strtoul would turn this into ULONG_MAX. */
	expect_ulong_error("-1", 0, ULONG_MAX, EINVAL);
}
END_TEST

START_TEST(parse_ulong_rejects_spaces)
{
	expect_ulong_error(" 1", 0, 65535, EINVAL);
	expect_ulong_error("\t1", 0, 65535, EINVAL);
	expect_ulong_error("1 ", 0, 65535, EINVAL);
	expect_ulong_error("1 2", 0, 65535, EINVAL);
	expect_ulong_error(" ", 0, 65535, EINVAL);
}
END_TEST

START_TEST(parse_ulong_rejects_the_empty_string)
{
	expect_ulong_error("", 0, 65535, EINVAL);
}
END_TEST

START_TEST(parse_ulong_rejects_trailing_junk)
{
	expect_ulong_error("12abc", 0, 65535, EINVAL);
	expect_ulong_error("1.5", 0, 65535, EINVAL);
	expect_ulong_error("0x10", 0, 65535, EINVAL);
	expect_ulong_error("10s", 0, 65535, EINVAL);
	expect_ulong_error("abc", 0, 65535, EINVAL);
}
END_TEST

/* ---- parse_duration ---- */

START_TEST(parse_duration_reads_each_unit_as_milliseconds)
{
	expect_duration("250ms", ULONG_MAX, 250);
	expect_duration("10s", ULONG_MAX, 10000);
	expect_duration("5m", ULONG_MAX, 300000);
	expect_duration("1h", ULONG_MAX, 3600000);
	expect_duration("0s", ULONG_MAX, 0);
	expect_duration("0ms", ULONG_MAX, 0);
}
END_TEST

START_TEST(parse_duration_accepts_a_bare_zero)
{
	expect_duration("0", ULONG_MAX, 0);
	expect_duration("0", 0, 0);
}
END_TEST

START_TEST(parse_duration_rejects_a_number_without_a_unit)
{
	expect_duration_error("5", ULONG_MAX, EINVAL);
	expect_duration_error("10", ULONG_MAX, EINVAL);
	expect_duration_error("1000", ULONG_MAX, EINVAL);
}
END_TEST

START_TEST(parse_duration_rejects_unknown_units)
{
	expect_duration_error("10x", ULONG_MAX, EINVAL);
	expect_duration_error("10sec", ULONG_MAX, EINVAL);
	expect_duration_error("10mss", ULONG_MAX, EINVAL);
	expect_duration_error("10 s", ULONG_MAX, EINVAL);
	expect_duration_error("10s ", ULONG_MAX, EINVAL);
	expect_duration_error("1.5s", ULONG_MAX, EINVAL);
	expect_duration_error("0x", ULONG_MAX, EINVAL);
}
END_TEST

START_TEST(parse_duration_rejects_text_without_a_number)
{
	expect_duration_error("", ULONG_MAX, EINVAL);
	expect_duration_error("s", ULONG_MAX, EINVAL);
	expect_duration_error("ms", ULONG_MAX, EINVAL);
	expect_duration_error(" 5s", ULONG_MAX, EINVAL);
	expect_duration_error("-5s", ULONG_MAX, EINVAL);
	expect_duration_error("+5s", ULONG_MAX, EINVAL);
}
END_TEST

START_TEST(parse_duration_accepts_exactly_the_maximum)
{
	expect_duration("3600000ms", 3600000, 3600000);
	expect_duration("3600s", 3600000, 3600000);
	expect_duration("60m", 3600000, 3600000);
	expect_duration("1h", 3600000, 3600000);
}
END_TEST

START_TEST(parse_duration_rejects_more_than_the_maximum_with_erange)
{
	expect_duration_error("3600001ms", 3600000, ERANGE);
	expect_duration_error("3601s", 3600000, ERANGE);
	expect_duration_error("61m", 3600000, ERANGE);
	expect_duration_error("2h", 3600000, ERANGE);
	expect_duration_error("1ms", 0, ERANGE);
}
END_TEST

START_TEST(parse_duration_rejects_overflow_with_erange)
{
	char buf[32];

	expect_duration_error("99999999999999999999ms", ULONG_MAX, ERANGE);
	/* Each fits an unsigned long, but times the unit it would wrap. */
	snprintf(buf, sizeof(buf), "%luh", ULONG_MAX / 1000);
	expect_duration_error(buf, ULONG_MAX, ERANGE);
	snprintf(buf, sizeof(buf), "%lus", ULONG_MAX / 999);
	expect_duration_error(buf, ULONG_MAX, ERANGE);
}
END_TEST

/* ---- parse_bool ---- */

START_TEST(parse_bool_accepts_every_spelling_of_yes)
{
	expect_bool("yes", true);
	expect_bool("true", true);
	expect_bool("on", true);
	expect_bool("1", true);
}
END_TEST

START_TEST(parse_bool_accepts_every_spelling_of_no)
{
	expect_bool("no", false);
	expect_bool("false", false);
	expect_bool("off", false);
	expect_bool("0", false);
}
END_TEST

START_TEST(parse_bool_ignores_case)
{
	expect_bool("YES", true);
	expect_bool("Yes", true);
	expect_bool("tRuE", true);
	expect_bool("ON", true);
	expect_bool("NO", false);
	expect_bool("False", false);
	expect_bool("oFF", false);
}
END_TEST

START_TEST(parse_bool_rejects_junk)
{
	expect_bool_error("");
	expect_bool_error("y");
	expect_bool_error("n");
	expect_bool_error("2");
	expect_bool_error("yess");
	expect_bool_error(" yes");
	expect_bool_error("no ");
	expect_bool_error("enabled");
	expect_bool_error("01");
}
END_TEST

/* ---- signed numbers, octal modes, sizes ---- */

START_TEST(parse_long_accepts_signed_numbers_within_range)
{
	long v = 4242;

	ck_assert_int_eq(parse_long("-20", -20, 19, &v), 0);
	ck_assert_int_eq(v, -20);
	ck_assert_int_eq(parse_long("+19", -20, 19, &v), 0);
	ck_assert_int_eq(v, 19);
	ck_assert_int_eq(parse_long("0", -20, 19, &v), 0);
	ck_assert_int_eq(v, 0);
}
END_TEST

START_TEST(parse_long_rejects_junk_and_out_of_range_values)
{
	static const char *const junk[] = { "", "-", "+", "--1", "- 1", "1x",
		" 1", "1.0" };
	long v = 4242;
	size_t i;

	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		errno = 0;
		ck_assert_msg(parse_long(junk[i], -20, 19, &v) == -1 &&
		        errno == EINVAL,
		    "\"%s\"", junk[i]);
	}
	errno = 0;
	ck_assert_int_eq(parse_long("-21", -20, 19, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	errno = 0;
	ck_assert_int_eq(parse_long("99999999999999999999", -20, 19, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	errno = 0;
	ck_assert_int_eq(parse_long("-9223372036854775808", LONG_MIN, 0, &v),
	    -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(v, 4242);
}
END_TEST

START_TEST(parse_octal_reads_modes_up_to_the_maximum)
{
	unsigned long v = UNTOUCHED;

	ck_assert_int_eq(parse_octal("022", 0777, &v), 0);
	ck_assert_uint_eq(v, 022);
	ck_assert_int_eq(parse_octal("0000777", 0777, &v), 0);
	ck_assert_uint_eq(v, 0777);
	errno = 0;
	ck_assert_int_eq(parse_octal("1000", 0777, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	errno = 0;
	ck_assert_int_eq(parse_octal("77777777777777777777777777", 0777, &v),
	    -1);
	ck_assert_int_eq(errno, ERANGE);
	errno = 0;
	ck_assert_int_eq(parse_octal("8", 0777, &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(parse_octal("", 0777, &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(v, 0777);
}
END_TEST

START_TEST(parse_size_reads_bytes_and_binary_units)
{
	unsigned long v = UNTOUCHED;

	ck_assert_int_eq(parse_size("4096", 0, ULONG_MAX, &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(parse_size("64K", 0, ULONG_MAX, &v), 0);
	ck_assert_uint_eq(v, 65536);
	ck_assert_int_eq(parse_size("512M", 0, ULONG_MAX, &v), 0);
	ck_assert_uint_eq(v, 512UL << 20);
	ck_assert_int_eq(parse_size("2G", 0, ULONG_MAX, &v), 0);
	ck_assert_uint_eq(v, 2UL << 30);
	ck_assert_int_eq(parse_size("0", 0, ULONG_MAX, &v), 0);
	ck_assert_uint_eq(v, 0);
}
END_TEST

START_TEST(parse_size_rejects_junk_overflow_and_out_of_range)
{
	static const char *const junk[] = { "", "K", "1k", "1KB", "1 K", "-1",
		"1.5M", "1P" };
	unsigned long v = UNTOUCHED;
	size_t i;

	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		errno = 0;
		ck_assert_msg(parse_size(junk[i], 0, ULONG_MAX, &v) == -1 &&
		        errno == EINVAL,
		    "\"%s\"", junk[i]);
	}
	errno = 0;
	ck_assert_int_eq(parse_size("1K", 2048, ULONG_MAX, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	errno = 0;
	ck_assert_int_eq(parse_size("3K", 0, 2048, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	errno = 0;
	ck_assert_int_eq(parse_size("99999999999T", 0, ULONG_MAX, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_uint_eq(v, UNTOUCHED);
}
END_TEST

static Suite *
make_parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc;

	tc = tcase_create("ulong");
	tcase_add_test(tc, parse_ulong_accepts_numbers_within_range);
	tcase_add_test(tc, parse_ulong_accepts_the_largest_unsigned_long);
	tcase_add_test(tc,
	    parse_ulong_rejects_numbers_out_of_range_with_erange);
	tcase_add_test(tc, parse_ulong_rejects_overflow_with_erange);
	tcase_add_test(tc, parse_ulong_rejects_signs);
	tcase_add_test(tc, parse_ulong_rejects_spaces);
	tcase_add_test(tc, parse_ulong_rejects_the_empty_string);
	tcase_add_test(tc, parse_ulong_rejects_trailing_junk);
	suite_add_tcase(s, tc);

	tc = tcase_create("duration");
	tcase_add_test(tc, parse_duration_reads_each_unit_as_milliseconds);
	tcase_add_test(tc, parse_duration_accepts_a_bare_zero);
	tcase_add_test(tc, parse_duration_rejects_a_number_without_a_unit);
	tcase_add_test(tc, parse_duration_rejects_unknown_units);
	tcase_add_test(tc, parse_duration_rejects_text_without_a_number);
	tcase_add_test(tc, parse_duration_accepts_exactly_the_maximum);
	tcase_add_test(tc,
	    parse_duration_rejects_more_than_the_maximum_with_erange);
	tcase_add_test(tc, parse_duration_rejects_overflow_with_erange);
	suite_add_tcase(s, tc);

	tc = tcase_create("signed_octal_size");
	tcase_add_test(tc, parse_long_accepts_signed_numbers_within_range);
	tcase_add_test(tc, parse_long_rejects_junk_and_out_of_range_values);
	tcase_add_test(tc, parse_octal_reads_modes_up_to_the_maximum);
	tcase_add_test(tc, parse_size_reads_bytes_and_binary_units);
	tcase_add_test(tc, parse_size_rejects_junk_overflow_and_out_of_range);
	suite_add_tcase(s, tc);

	tc = tcase_create("bool");
	tcase_add_test(tc, parse_bool_accepts_every_spelling_of_yes);
	tcase_add_test(tc, parse_bool_accepts_every_spelling_of_no);
	tcase_add_test(tc, parse_bool_ignores_case);
	tcase_add_test(tc, parse_bool_rejects_junk);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_parse_suite());
}
