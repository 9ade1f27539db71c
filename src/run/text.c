/* Growing text buffers (see text.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "text.h"

void
text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_vprintf(t, fmt, ap);
	va_end(ap);
}

void
text_vprintf(struct text *t, const char *fmt, va_list ap)
{
	va_list again;
	size_t want;
	char *grown;
	int n;

	for (;;) {
		if (t->failed)
			return;
		va_copy(again, ap);
		n = vsnprintf(t->p == NULL ? NULL : t->p + t->len,
		    t->cap - t->len, fmt, again);
		va_end(again);
		if (n < 0) {
			t->failed = true;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		want = t->cap * 2 + (size_t)n + 1;
		if ((grown = realloc(t->p, want)) == NULL) {
			t->failed = true;
			return;
		}
		t->p = grown;
		t->cap = want;
	}
}

void
text_json(struct text *t, const char *s)
{
	text_printf(t, "\"");
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			text_printf(t, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			text_printf(t, "\\u%04x", (unsigned char)*s);
		else
			text_printf(t, "%c", *s);
	}
	text_printf(t, "\"");
}

void
text_free(struct text *t)
{
	free(t->p);
	t->p = NULL;
	t->len = t->cap = 0;
	t->failed = false;
}
