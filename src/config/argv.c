/* The exec argv splitter: one pass, one allocation, no expansion. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"

struct split {
	const char *in;
	char *out;
	char **argv;
	size_t argc;
};

static bool
argv_isblank(char c)
{
	return c == ' ' || c == '\t';
}

/* Copies one word starting at sp->in to sp->out; returns the reason it is
 * malformed, or NULL. */
static const char *
argv_word(struct split *sp)
{
	const char *p = sp->in;
	char quote = '\0';

	sp->argv[sp->argc++] = sp->out;
	for (; *p != '\0'; p++) {
		if (quote == '\0' && argv_isblank(*p))
			break;
		if (quote == '\0' && (*p == '\'' || *p == '"')) {
			quote = *p;
		} else if (quote != '\0' && *p == quote) {
			quote = '\0';
		} else if (quote == '\0' && *p == '\\') {
			if (*++p == '\0')
				return "trailing backslash";
			*sp->out++ = *p;
		} else if (quote == '"' && *p == '\\' &&
		    (p[1] == '"' || p[1] == '\\')) {
			*sp->out++ = *++p;
		} else {
			*sp->out++ = *p;
		}
	}
	*sp->out++ = '\0';
	sp->in = p;
	if (quote == '\'')
		return "unterminated single quote";
	if (quote == '"')
		return "unterminated double quote";
	return NULL;
}

int
argv_split(const char *s, char ***argvp, char *err, size_t errlen)
{
	struct split sp;
	size_t len = strlen(s), maxwords = len / 2 + 2;
	const char *why;
	char *block;

	/* Words are separated by blanks, so there are at most len/2+1 of
	 * them, and the unquoted text is never longer than the input. */
	block = malloc(maxwords * sizeof(char *) + len + 1);
	if (block == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	sp.in = s;
	sp.argv = (char **)(void *)block;
	sp.out = block + maxwords * sizeof(char *);
	sp.argc = 0;
	for (;;) {
		while (argv_isblank(*sp.in))
			sp.in++;
		if (*sp.in == '\0')
			break;
		if ((why = argv_word(&sp)) != NULL) {
			snprintf(err, errlen, "%s", why);
			free(block);
			errno = EINVAL;
			return -1;
		}
	}
	if (sp.argc == 0) {
		snprintf(err, errlen, "no program given");
		free(block);
		errno = EINVAL;
		return -1;
	}
	sp.argv[sp.argc] = NULL;
	*argvp = sp.argv;
	return 0;
}

/* Bytes of the words of argv, their NULs included, and their number. */
static size_t
argv_text_size(char *const *argv, size_t *count)
{
	size_t n = 0, i;

	for (i = 0; argv[i] != NULL; i++)
		n += strlen(argv[i]) + 1;
	*count = i;
	return n;
}

int
argv_append(char ***argvp, const char *s, char *err, size_t errlen)
{
	char **more, **joined, *out;
	size_t nold, nmore, text, i;

	if (argv_split(s, &more, err, errlen) == -1)
		return -1;
	text = argv_text_size(*argvp, &nold) + argv_text_size(more, &nmore);
	joined = malloc((nold + nmore + 1) * sizeof(char *) + text);
	if (joined == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		free(more);
		return -1;
	}
	out = (char *)(joined + nold + nmore + 1);
	for (i = 0; i < nold + nmore; i++) {
		const char *w = i < nold ? (*argvp)[i] : more[i - nold];
		size_t len = strlen(w) + 1;

		joined[i] = memcpy(out, w, len);
		out += len;
	}
	joined[i] = NULL;
	free(more);
	free(*argvp);
	*argvp = joined;
	return 0;
}

long
argv_comment(const char *s)
{
	size_t len = strlen(s);
	char *scratch = malloc(len + 1), *slot[1];
	struct split sp = { s, scratch, slot, 0 };
	long at = -1;

	if (scratch == NULL)
		return -1;
	for (;;) {
		while (argv_isblank(*sp.in))
			sp.in++;
		if (*sp.in == '\0')
			break;
		if (*sp.in == '#') {
			at = (long)(sp.in - s);
			break;
		}
		/* One word at a time into the same scratch space. */
		sp.out = scratch;
		sp.argc = 0;
		if (argv_word(&sp) != NULL)
			break;
	}
	free(scratch);
	return at;
}
