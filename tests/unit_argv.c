/* Unit tests for argv.c: splitting an `exec` value into words with
 * shell-like quoting but no shell, and the reasons it gives for bad input. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"

#include "harness.h"

#define MAX_WORDS 16

/* Splits s and checks the words against the NULL-terminated list that
 * follows; the vector must be NULL-terminated and released by one free(). */
static void
expect_words(const char *s, ...)
{
	const char *want[MAX_WORDS + 1];
	char **argv = NULL, err[128] = "";
	size_t n = 0, i;
	va_list ap;

	va_start(ap, s);
	while ((want[n] = va_arg(ap, const char *)) != NULL)
		ck_assert_int_lt(++n, MAX_WORDS);
	va_end(ap);

	ck_assert_msg(argv_split(s, &argv, err, sizeof(err)) == 0,
	    "argv_split(\"%s\") failed: %s", s, err);
	ck_assert_ptr_nonnull(argv);
	for (i = 0; i < n; i++) {
		ck_assert_msg(argv[i] != NULL,
		    "argv_split(\"%s\"): %zu words, expected %zu", s, i, n);
		ck_assert_msg(strcmp(argv[i], want[i]) == 0,
		    "argv_split(\"%s\"): word %zu is \"%s\", expected \"%s\"",
		    s, i, argv[i], want[i]);
	}
	ck_assert_msg(argv[n] == NULL,
	    "argv_split(\"%s\"): extra word \"%s\" after %zu", s, argv[n], n);
	free(argv);
}

static void
expect_error(const char *s, const char *reason)
{
	char **argv = NULL, err[128] = "";

	ck_assert_msg(argv_split(s, &argv, err, sizeof(err)) == -1,
	    "argv_split(\"%s\") accepted it (first word \"%s\")", s,
	    argv != NULL ? argv[0] : "");
	ck_assert_msg(strcmp(err, reason) == 0,
	    "argv_split(\"%s\"): reason \"%s\", expected \"%s\"", s, err,
	    reason);
	ck_assert_ptr_null(argv);
}

START_TEST(argv_splits_words_on_blanks_and_tabs)
{
	expect_words("echo", "echo", NULL);
	expect_words("prog a b", "prog", "a", "b", NULL);
	expect_words("  prog\ta \t  b\t ", "prog", "a", "b", NULL);
	expect_words("\tprog", "prog", NULL);
}
END_TEST

START_TEST(argv_splits_many_one_byte_words)
{
	/* The most words a string of this length can hold. */
	expect_words("a b c d e f g h i j", "a", "b", "c", "d", "e", "f", "g",
	    "h", "i", "j", NULL);
	expect_words("a b", "a", "b", NULL);
	expect_words("a", "a", NULL);
}
END_TEST

START_TEST(argv_keeps_single_quoted_text_literal)
{
	expect_words("prog 'two words'", "prog", "two words", NULL);
	expect_words("prog 'a \"b\" \\ \\\\ c'", "prog", "a \"b\" \\ \\\\ c",
	    NULL);
	expect_words("prog '\t'", "prog", "\t", NULL);
	expect_words("prog 'it\"s'", "prog", "it\"s", NULL);
	expect_words("prog 'a\\'", "prog", "a\\", NULL);
}
END_TEST

START_TEST(argv_unescapes_quote_and_backslash_in_double_quotes)
{
	expect_words("prog \"two words\"", "prog", "two words", NULL);
	expect_words("prog \"say \\\"hi\\\"\"", "prog", "say \"hi\"", NULL);
	expect_words("prog \"a\\\\b\"", "prog", "a\\b", NULL);
	expect_words("prog \"it's\"", "prog", "it's", NULL);
}
END_TEST

START_TEST(argv_keeps_other_backslashes_in_double_quotes)
{
	expect_words("prog \"a\\nb\"", "prog", "a\\nb", NULL);
	expect_words("prog \"\\$HOME\"", "prog", "\\$HOME", NULL);
	expect_words("prog \"\\'\"", "prog", "\\'", NULL);
}
END_TEST

START_TEST(argv_takes_the_byte_after_a_backslash_literally)
{
	expect_words("prog a\\ b", "prog", "a b", NULL);
	expect_words("prog \\'x\\'", "prog", "'x'", NULL);
	expect_words("prog \\\"", "prog", "\"", NULL);
	expect_words("prog a\\\\b", "prog", "a\\b", NULL);
	expect_words("prog \\n", "prog", "n", NULL);
	expect_words("prog \\\t", "prog", "\t", NULL);
}
END_TEST

START_TEST(argv_gives_an_empty_argument_for_empty_quotes)
{
	expect_words("prog ''", "prog", "", NULL);
	expect_words("prog \"\"", "prog", "", NULL);
	expect_words("prog '' \"\" x", "prog", "", "", "x", NULL);
	expect_words("'' ''", "", "", NULL);
}
END_TEST

START_TEST(argv_joins_adjacent_quoted_parts_into_one_word)
{
	expect_words("a'b'\"c\"", "abc", NULL);
	expect_words("prog --name='a b'\"c d\"e", "prog", "--name=a bc de",
	    NULL);
	expect_words("prog x''y", "prog", "xy", NULL);
}
END_TEST

START_TEST(argv_expands_nothing)
{
	expect_words("prog $HOME * ~ | ; > < & `id` $(id) ~/x a=b", "prog",
	    "$HOME", "*", "~", "|", ";", ">", "<", "&", "`id`", "$(id)", "~/x",
	    "a=b", NULL);
	expect_words("prog \"$HOME\" '*'", "prog", "$HOME", "*", NULL);
}
END_TEST

START_TEST(argv_rejects_an_unterminated_single_quote)
{
	expect_error("prog 'abc", "unterminated single quote");
	expect_error("prog '", "unterminated single quote");
}
END_TEST

START_TEST(argv_rejects_an_unterminated_double_quote)
{
	expect_error("prog \"abc", "unterminated double quote");
	expect_error("prog \"", "unterminated double quote");
	expect_error("prog \"abc\\\"", "unterminated double quote");
	expect_error("prog \"abc\\", "unterminated double quote");
}
END_TEST

START_TEST(argv_rejects_a_trailing_backslash)
{
	expect_error("prog \\", "trailing backslash");
	expect_error("prog abc\\", "trailing backslash");
	expect_error("\\", "trailing backslash");
}
END_TEST

START_TEST(argv_rejects_an_empty_or_blank_value)
{
	expect_error("", "no program given");
	expect_error(" ", "no program given");
	expect_error(" \t \t", "no program given");
}
END_TEST

START_TEST(argv_never_writes_past_the_error_buffer)
{
	char **argv = NULL, err[8];

	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(argv_split("'", &argv, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "untermi");
}
END_TEST

START_TEST(argv_append_adds_words_after_the_old_ones_in_one_block)
{
	char **argv = NULL, err[128] = "";

	ck_assert_int_eq(argv_split("prog 'a b'", &argv, err, sizeof(err)), 0);
	ck_assert_int_eq(argv_append(&argv, "c \"d e\" ''", err, sizeof(err)),
	    0);
	ck_assert_int_eq(argv_append(&argv, "f\\ g", err, sizeof(err)), 0);
	ck_assert_str_eq(argv[0], "prog");
	ck_assert_str_eq(argv[1], "a b");
	ck_assert_str_eq(argv[2], "c");
	ck_assert_str_eq(argv[3], "d e");
	ck_assert_str_eq(argv[4], "");
	ck_assert_str_eq(argv[5], "f g");
	ck_assert_ptr_null(argv[6]);
	/* A bad value leaves the vector as it was. */
	ck_assert_int_eq(argv_append(&argv, "'h", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unterminated single quote");
	ck_assert_str_eq(argv[5], "f g");
	ck_assert_ptr_null(argv[6]);
	free(argv); /* one block: one free, or ASan says otherwise */
}
END_TEST

START_TEST(argv_comment_finds_an_unquoted_word_starting_with_hash)
{
	ck_assert_int_eq(argv_comment("cat # note"), 4);
	ck_assert_int_eq(argv_comment("cat\t#note"), 4);
	ck_assert_int_eq(argv_comment("#x"), 0);
	ck_assert_int_eq(argv_comment("cat 'a #b' #c"), 11);
	/* Quoted, escaped or inside a word: meant. */
	ck_assert_int_eq(argv_comment("cat '#' \"#\" \\# a#b"), -1);
	ck_assert_int_eq(argv_comment("cat"), -1);
	ck_assert_int_eq(argv_comment("cat 'open #x"), -1);
}
END_TEST

static Suite *
make_argv_suite(void)
{
	Suite *s = suite_create("argv");
	TCase *tc;

	tc = tcase_create("words");
	tcase_add_test(tc, argv_splits_words_on_blanks_and_tabs);
	tcase_add_test(tc, argv_splits_many_one_byte_words);
	tcase_add_test(tc, argv_keeps_single_quoted_text_literal);
	tcase_add_test(tc, argv_unescapes_quote_and_backslash_in_double_quotes);
	tcase_add_test(tc, argv_keeps_other_backslashes_in_double_quotes);
	tcase_add_test(tc, argv_takes_the_byte_after_a_backslash_literally);
	tcase_add_test(tc, argv_gives_an_empty_argument_for_empty_quotes);
	tcase_add_test(tc, argv_joins_adjacent_quoted_parts_into_one_word);
	tcase_add_test(tc, argv_expands_nothing);
	tcase_add_test(tc,
	    argv_append_adds_words_after_the_old_ones_in_one_block);
	tcase_add_test(tc,
	    argv_comment_finds_an_unquoted_word_starting_with_hash);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, argv_rejects_an_unterminated_single_quote);
	tcase_add_test(tc, argv_rejects_an_unterminated_double_quote);
	tcase_add_test(tc, argv_rejects_a_trailing_backslash);
	tcase_add_test(tc, argv_rejects_an_empty_or_blank_value);
	tcase_add_test(tc, argv_never_writes_past_the_error_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_argv_suite());
}
