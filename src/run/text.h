/* A growing text buffer for replies built piece by piece (a metrics
 * scrape, a control command's table or JSON); once memory runs out it
 * stays failed, so callers check once at the end. */
#ifndef SUPERD_TEXT_H
#define SUPERD_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct text {
	char *p; /* malloc'd, NUL-terminated while not failed */
	size_t len, cap;
	bool failed;
};

void text_printf(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void text_vprintf(struct text *t, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* s as a JSON string, quotes included. */
void text_json(struct text *t, const char *s);

/* Releases the buffer; t may be reused. */
void text_free(struct text *t);

#endif
