/* libFuzzer harness for the exec splitter: any string splits into words
 * or fails with a reason, never a crash, a leak or an overrun; the
 * words, quoted the way superd -t prints them, split back into the same
 * words; and an args line appends them whole. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void __attribute__((noreturn)) fuzz_fail(const char *what, const char *s)
{
	fprintf(stderr, "fuzz_argv: %s: \"%s\"\n", what, s);
	abort();
}

/* Each word single-quoted, a quote inside as '\'' (as main.c prints
 * them), blank-separated.  Returns a malloc'd string. */
static char *
fuzz_quote(char *const *argv)
{
	size_t len = 1, i;
	const char *p;
	char *out, *o;

	for (i = 0; argv[i] != NULL; i++)
		len += 3 + 4 * strlen(argv[i]);
	if ((out = malloc(len)) == NULL)
		abort();
	o = out;
	for (i = 0; argv[i] != NULL; i++) {
		if (i > 0)
			*o++ = ' ';
		*o++ = '\'';
		for (p = argv[i]; *p != '\0'; p++) {
			if (*p == '\'') {
				memcpy(o, "'\\''", 4);
				o += 4;
			} else {
				*o++ = *p;
			}
		}
		*o++ = '\'';
	}
	*o = '\0';
	return out;
}

static void
fuzz_round_trip(const char *s, char **argv)
{
	char *quoted = fuzz_quote(argv), **again, err[128];
	size_t i;

	if (argv_split(quoted, &again, err, sizeof(err)) == -1)
		fuzz_fail("quoted words do not split", quoted);
	for (i = 0; argv[i] != NULL && again[i] != NULL; i++)
		if (strcmp(argv[i], again[i]) != 0)
			break;
	if (argv[i] != NULL || again[i] != NULL)
		fuzz_fail("quoted words split differently", s);
	free(again);
	free(quoted);
}

/* An args line of the same value appends the same words again, in
 * one block; a '#' argv_comment finds is inside s and starts a word. */
static void
fuzz_append(const char *s, char **argv, size_t words)
{
	char **twice, err[128];
	long at = argv_comment(s);
	size_t i;

	if (at < -1 || at >= (long)strlen(s) || (at >= 0 && s[at] != '#'))
		fuzz_fail("argv_comment out of range", s);
	if (argv_split(s, &twice, err, sizeof(err)) == -1 ||
	    argv_append(&twice, s, err, sizeof(err)) == -1)
		fuzz_fail("a value that split does not append", s);
	for (i = 0; i < 2 * words; i++)
		if (twice[i] == NULL || strcmp(twice[i], argv[i % words]) != 0)
			fuzz_fail("appended words differ", s);
	if (twice[2 * words] != NULL)
		fuzz_fail("appended too many words", s);
	free(twice);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t errlen = size > 0 ? 1 + data[0] % 96 : 1, words, bytes;
	char *s, *err, **argv;

	/* An exec value is a C string: the input up to its first NUL. */
	if ((s = malloc(size + 1)) == NULL || (err = malloc(errlen)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	err[0] = '\0';
	if (argv_split(s, &argv, err, errlen) == 0) {
		if (argv[0] == NULL)
			fuzz_fail("no words", s);
		for (words = 0, bytes = 0; argv[words] != NULL; words++)
			bytes += strlen(argv[words]);
		if (bytes > strlen(s) || words > strlen(s) / 2 + 1)
			fuzz_fail("more out than in", s);
		fuzz_round_trip(s, argv);
		fuzz_append(s, argv, words);
		free(argv);
	} else if (strnlen(err, errlen) == errlen ||
	    (errlen > 1 && err[0] == '\0')) {
		fuzz_fail("no reason given", s);
	}
	free(err);
	free(s);
	return 0;
}
