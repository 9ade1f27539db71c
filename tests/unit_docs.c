/* The vocabulary kept in step: every config key, log event, counter and
 * exit code that the code has is in the man pages and the README, and
 * every one they list is in the code.  The code side comes from the
 * tables themselves (config keys, counters) or from the sources (log
 * events, exit codes), so a name added anywhere without its docs, or
 * documented and then removed, fails here. */
#include <check.h>
#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "config_keys.h"
#include "harness.h"
#include "program.h"

#define DOC(name) TEST_SRC_DIR "/../" name

/* The whole of a file, NUL-terminated, in memory the caller frees. */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "re");
	char *buf;
	long len;

	ck_assert_msg(fp != NULL, "%s", path);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	ck_assert_int_ge(len, 0);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = '\0';
	fclose(fp);
	return buf;
}

/* Each match of re's group g in text, as a list "a\nb\n...". */
static size_t
collect_group(const char *text, const char *re, int g, char *out, size_t outlen)
{
	regex_t rx;
	regmatch_t m[3];
	const char *p = text;
	size_t n = 0, used = 0, len;

	ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE), 0);
	out[0] = '\0';
	while (regexec(&rx, p, 3, m, 0) == 0) {
		len = (size_t)(m[g].rm_eo - m[g].rm_so);
		ck_assert_uint_lt(used + len + 2, outlen);
		memcpy(out + used, p + m[g].rm_so, len);
		used += len;
		out[used++] = '\n';
		out[used] = '\0';
		n++;
		p += m[0].rm_eo;
	}
	regfree(&rx);
	return n;
}

/* The same for the first group. */
static size_t
collect(const char *text, const char *re, char *out, size_t outlen)
{
	return collect_group(text, re, 1, out, outlen);
}

/* Calls check(list, name, what) for each line of names. */
static void
each_line(const char *names, void (*check)(const char *, const char *),
    const char *other)
{
	char one[80];
	const char *line;

	for (line = names; *line != '\0'; line = strchr(line, '\n') + 1) {
		snprintf(one, sizeof(one), "%.*s", (int)strcspn(line, "\n"),
		    line);
		check(other, one);
	}
}

/* True if name is a line of list. */
static bool
listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == list || p[-1] == '\n') && p[len] == '\n')
			return true;
		p += len;
	}
	return false;
}

/* A key as superd.ini(5) heads its entry: "KEY = or \fBKEY = . */
static bool
in_ini5(const char *man, const char *key)
{
	char a[128], b[128];

	snprintf(a, sizeof(a), "\"%s = ", key);
	snprintf(b, sizeof(b), "\\fB%s = ", key);
	return strstr(man, a) != NULL || strstr(man, b) != NULL;
}

static void
assert_key_exists(const char *code, const char *key)
{
	ck_assert_msg(listed(code, key), "README lists %s, no such key", key);
}

START_TEST(every_config_key_is_documented_and_every_documented_key_exists)
{
	char *man = slurp(DOC("docs/superd.ini.5"));
	char *readme = slurp(DOC("README.md"));
	char code[4096], doc[4096], one[80], *line;
	const char *name;
	size_t i, n = 0;
	int k;

	code[0] = '\0';
	for (i = 0; (name = keys_service_at(i)) != NULL; i++)
		n += (size_t)snprintf(code + n, sizeof(code) - n, "%s\n", name);
	for (k = 0; (name = keys_supervisor_name(k)) != NULL; k++)
		n += (size_t)snprintf(code + n, sizeof(code) - n, "%s\n", name);
	ck_assert_uint_gt(i, 30);
	for (line = code; *line != '\0'; line = strchr(line, '\n') + 1) {
		snprintf(one, sizeof(one), "%.*s", (int)strcspn(line, "\n"),
		    line);
		ck_assert_msg(in_ini5(man, one), "%s: not in superd.ini(5)",
		    one);
		snprintf(doc, sizeof(doc), "`%s`", one);
		ck_assert_msg(strstr(readme, doc) != NULL, "%s: not in README",
		    one);
	}
	/* The other way: each key of README's tables is a key. */
	ck_assert_uint_gt(collect_group(readme,
	                      "^\\| (service|`\\[supervisor\\]`) \\| "
	                      "`([a-z_0-9]+)`",
	                      2, doc, sizeof(doc)),
	    30);
	each_line(doc, assert_key_exists, code);
	free(man);
	free(readme);
}
END_TEST

START_TEST(every_log_event_is_in_superd_8_and_the_other_way_round)
{
	char *src = slurp(DOC("src/host/events.c"));
	char *logc = slurp(DOC("src/host/log.c"));
	char *man = slurp(DOC("docs/superd.8"));
	char code[4096], doc[4096], one[80];
	const char *line;
	size_t ncode, ndoc;

	/* events.c is the one list (the next test holds it so); log.c adds
	 * the event of a plain message. */
	ncode = collect_group(src, "log_(event|relay)\\(\"([a-z_]+)\"", 2, code,
	    sizeof(code));
	ncode += collect(logc, "\"superd: event=([a-z_]+) ",
	    code + strlen(code), sizeof(code) - strlen(code));
	ndoc = collect(man, "^([a-z_]+)\tT\\{", doc, sizeof(doc));
	ck_assert_uint_gt(ncode, 20);
	ck_assert_uint_gt(ndoc, 20);
	for (line = code; *line != '\0'; line = strchr(line, '\n') + 1) {
		snprintf(one, sizeof(one), "%.*s", (int)strcspn(line, "\n"),
		    line);
		ck_assert_msg(listed(doc, one),
		    "event %s is logged but not in superd(8)'s table", one);
	}
	for (line = doc; *line != '\0'; line = strchr(line, '\n') + 1) {
		snprintf(one, sizeof(one), "%.*s", (int)strcspn(line, "\n"),
		    line);
		ck_assert_msg(listed(code, one),
		    "event %s is in superd(8) but never logged", one);
	}
	free(src);
	free(logc);
	free(man);
}
END_TEST

/* Fails for each file of dir, but events.c and log.c, that calls
 * log_event: an event written anywhere else would escape the list. */
static void
assert_events_only_in_events_c(const char *dir, size_t *seen)
{
	char path[1024], *text;
	struct dirent *de;
	size_t n;
	DIR *d = opendir(dir);

	ck_assert_msg(d != NULL, "%s", dir);
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 3 || strcmp(de->d_name + n - 2, ".c") != 0 ||
		    strcmp(de->d_name, "events.c") == 0 ||
		    strcmp(de->d_name, "log.c") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		text = slurp(path);
		ck_assert_msg(strstr(text, "log_event(") == NULL &&
		        strstr(text, "log_relay(") == NULL,
		    "%s calls log_event or log_relay: give the event a "
		    "function in "
		    "events.c",
		    path);
		free(text);
		(*seen)++;
	}
	closedir(d);
}

START_TEST(every_event_is_written_by_events_c)
{
	size_t seen = 0;

	assert_events_only_in_events_c(DOC("src/config"), &seen);
	assert_events_only_in_events_c(DOC("src/run"), &seen);
	assert_events_only_in_events_c(DOC("src/host"), &seen);
	ck_assert_uint_gt(seen, 20);
}
END_TEST

START_TEST(every_counter_is_documented)
{
	char *man = slurp(DOC("docs/superd.8"));
	char *readme = slurp(DOC("README.md"));
	char want[80];
	int k;

	for (k = 0; k < STATS; k++) {
		snprintf(want, sizeof(want), "%s=", admit_stat_name[k]);
		ck_assert_msg(strstr(readme, want) != NULL,
		    "counter %s not in README", admit_stat_name[k]);
		snprintf(want, sizeof(want), "%s=\\fIN\\fP",
		    admit_stat_name[k]);
		ck_assert_msg(strstr(man, want) != NULL,
		    "counter %s not in superd(8)", admit_stat_name[k]);
	}
	free(man);
	free(readme);
}
END_TEST

START_TEST(every_exit_code_is_documented_and_every_documented_code_exists)
{
	char *src = slurp(DOC("src/host/main.c")),
	     *man = slurp(DOC("docs/superd.8"));
	char *readme = slurp(DOC("README.md")), *sect;
	char code[256], doc[256], mandoc[256];

	ck_assert_uint_ge(collect(src, "#define EXIT_[A-Z]+ ([0-9]+)", code,
	                      sizeof(code)),
	    3);
	ck_assert_uint_ge(collect(readme, "^\\| ([0-9]+) \\|", doc,
	                      sizeof(doc)),
	    3);
	sect = strstr(man, ".SH EXIT STATUS");
	ck_assert_ptr_nonnull(sect);
	*strstr(sect + 1, "\n.SH ") = '\0';
	ck_assert_uint_ge(collect(sect, "^\\.B ([0-9]+)$", mandoc,
	                      sizeof(mandoc)),
	    3);
	ck_assert_str_eq(doc, code);
	ck_assert_str_eq(mandoc, code);
	free(src);
	free(man);
	free(readme);
}
END_TEST

/* The part of text from the first start on, up to end (malloc'd). */
static char *
between(const char *text, const char *start, const char *end)
{
	const char *a = strstr(text, start), *b;
	char *part;

	ck_assert_msg(a != NULL, "no \"%s\"", start);
	b = strstr(a + strlen(start), end);
	ck_assert_msg(b != NULL, "no \"%s\" after \"%s\"", end, start);
	part = strndup(a, (size_t)(b - a));
	ck_assert_ptr_nonnull(part);
	return part;
}

/* Each place that lists the bare names of the shipped handlers lists
 * exactly program.c's, in its order. */
START_TEST(every_shipped_handler_is_documented_and_every_documented_one_ships)
{
	char *man8 = slurp(DOC("docs/superd.8")),
	     *man5 = slurp(DOC("docs/superd.ini.5")),
	     *readme = slurp(DOC("README.md")), *part;
	char code[256], doc[256];
	const char *name;
	size_t i, n = 0;

	for (i = 0; (name = program_shipped_at(i)) != NULL; i++)
		n += (size_t)snprintf(code + n, sizeof(code) - n, "%s\n", name);
	ck_assert_uint_ge(i, 5);
	part = between(man8, ".SS Shipped handlers", "\n.SH ");
	collect_group(part, "^\\.TP\n(\\.B |\\\\fB)([a-z]+)", 2, doc,
	    sizeof(doc));
	ck_assert_str_eq(doc, code);
	free(part);
	part = between(man8, "The shipped handlers\n", "\n.TP");
	collect(part, "^\\.BR? ([a-z]+)", doc, sizeof(doc));
	ck_assert_str_eq(doc, code);
	free(part);
	part = between(man5, "The bare names\n", "are the handlers shipped");
	collect(part, "^\\.BR? ([a-z]+)", doc, sizeof(doc));
	ck_assert_str_eq(doc, code);
	free(part);
	part = between(readme, "The bare names", "are the shipped handlers");
	collect(part, "`([a-z]+)`", doc, sizeof(doc));
	ck_assert_str_eq(doc, code);
	free(part);
	free(man8);
	free(man5);
	free(readme);
}
END_TEST

static Suite *
make_docs_suite(void)
{
	Suite *s = suite_create("docs");
	TCase *tc = tcase_create("vocabulary");

	tcase_add_test(tc,
	    every_config_key_is_documented_and_every_documented_key_exists);
	tcase_add_test(tc,
	    every_log_event_is_in_superd_8_and_the_other_way_round);
	tcase_add_test(tc, every_event_is_written_by_events_c);
	tcase_add_test(tc, every_counter_is_documented);
	tcase_add_test(tc,
	    every_exit_code_is_documented_and_every_documented_code_exists);
	tcase_add_test(tc,
	    every_shipped_handler_is_documented_and_every_documented_one_ships);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_docs_suite());
}
