/* libFuzzer harness for the PROXY protocol parser: any bytes give a
 * header, a request for more, or a reason, never a crash or a read past
 * the input; a header found does not depend on what follows it, every
 * strict beginning of it asks for more, and what it records lies within
 * it.  The first byte picks the versions accepted (v1, v2 or both). */
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxyhdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void __attribute__((noreturn)) fuzz_fail(const char *what, size_t n)
{
	fprintf(stderr, "fuzz_proxyhdr: %s (%zu bytes)\n", what, n);
	abort();
}

/* Parses a copy of exactly n bytes, so any read past them is caught. */
static enum proxyhdr_status
fuzz_parse(const uint8_t *data, size_t n, unsigned versions, struct proxyhdr *h,
    size_t *need)
{
	unsigned char *copy = malloc(n ? n : 1);
	enum proxyhdr_status st;
	const char *why = NULL;

	if (copy == NULL)
		abort();
	memcpy(copy, data, n);
	*need = 0;
	st = proxyhdr_parse(copy, n, versions, h, need, &why);
	if (st == PROXYHDR_INVALID && (why == NULL || why[0] == '\0'))
		fuzz_fail("invalid without a reason", n);
	if (st == PROXYHDR_MORE && (*need <= n || *need > PROXYHDR_MAX))
		fuzz_fail("asks for a bad number of bytes", n);
	free(copy);
	return st;
}

/* What a header records lies within it and is printable. */
static void
fuzz_check_header(const uint8_t *data, size_t n, const struct proxyhdr *h)
{
	size_t i, k;

	if (h->len == 0 || h->len > n ||
	    (h->version == 1 && h->len > PROXYHDR_V1_MAX))
		fuzz_fail("header length out of range", n);
	if (h->version != 1 && h->version != 2)
		fuzz_fail("no version", n);
	if (!h->local &&
	    ((h->src.ss_family != AF_INET && h->src.ss_family != AF_INET6) ||
	        h->dst.ss_family != h->src.ss_family))
		fuzz_fail("addresses of no family", n);
	for (i = 0; i < PROXYHDR_TLVS; i++) {
		if (h->tlv[i].len == 0)
			continue;
		if (h->tlv[i].len > PROXYHDR_VALUE_MAX ||
		    h->tlv[i].off + h->tlv[i].len > h->len)
			fuzz_fail("a value outside the header", n);
		for (k = h->tlv[i].off; k < h->tlv[i].off + h->tlv[i].len; k++)
			if (data[k] < 0x20 || data[k] == 0x7f)
				fuzz_fail("a value with a control byte", n);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxyhdr h, again;
	enum proxyhdr_status st;
	unsigned versions;
	size_t need;

	if (size == 0)
		return 0;
	versions = 1 + data[0] % 3;
	data++;
	size--;
	st = fuzz_parse(data, size, versions, &h, &need);
	if (st == PROXYHDR_DONE) {
		fuzz_check_header(data, size, &h);
		/* The header alone parses the same. */
		if (fuzz_parse(data, h.len, versions, &again, &need) !=
		        PROXYHDR_DONE ||
		    again.len != h.len || again.local != h.local)
			fuzz_fail("the header alone parses differently", size);
		/* Its beginnings ask for more. */
		if (fuzz_parse(data, h.len - 1, versions, &again, &need) !=
		        PROXYHDR_MORE ||
		    fuzz_parse(data, h.len / 2, versions, &again, &need) !=
		        PROXYHDR_MORE)
			fuzz_fail("a beginning of a header does not ask for "
			          "more",
			    size);
	} else if (size > 0 &&
	    fuzz_parse(data, size / 2, versions, &again, &need) ==
	        PROXYHDR_DONE) {
		fuzz_fail("a beginning is a header, the whole is not", size);
	}
	return 0;
}
