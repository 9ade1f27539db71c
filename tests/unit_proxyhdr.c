/* Unit tests for proxyhdr.c: PROXY protocol headers, version 1 and 2,
 * parsed from bytes: what a valid header gives, that every beginning of
 * one asks for more, and that each malformed form is refused. */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "pp2.h"
#include "proxyhdr.h"

#define ANY (PROXYHDR_V1 | PROXYHDR_V2)

static enum proxyhdr_status
parse(const void *b, size_t n, unsigned v, struct proxyhdr *h, const char **why)
{
	size_t need = 0;
	enum proxyhdr_status st;

	st = proxyhdr_parse(b, n, v, h, &need, why);
	if (st == PROXYHDR_MORE)
		ck_assert_uint_gt(need, n);
	if (st == PROXYHDR_INVALID)
		ck_assert_ptr_nonnull(*why);
	return st;
}

static void
expect_invalid(const void *b, size_t n, unsigned v, const char *reason)
{
	struct proxyhdr h;
	const char *why = NULL;

	ck_assert_int_eq(parse(b, n, v, &h, &why), PROXYHDR_INVALID);
	if (reason != NULL)
		ck_assert_msg(strstr(why, reason) != NULL, "\"%s\": %s", why,
		    reason);
}

static void
expect_invalid_str(const char *s, const char *reason)
{
	expect_invalid(s, strlen(s), ANY, reason);
}

/* Every strict beginning of a valid header asks for more, and never
 * for fewer bytes than it has. */
static void
expect_prefixes_want_more(const void *b, size_t n, unsigned v)
{
	struct proxyhdr h;
	const char *why;
	size_t i;

	for (i = 0; i < n; i++)
		ck_assert_msg(parse(b, i, v, &h, &why) == PROXYHDR_MORE,
		    "prefix %zu of %zu", i, n);
}

static void
expect_addr(const struct sockaddr_storage *ss, const char *ip, unsigned port)
{
	char text[INET6_ADDRSTRLEN];
	const void *a;
	unsigned p;

	if (ss->ss_family == AF_INET) {
		a = &((const struct sockaddr_in *)ss)->sin_addr;
		p = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	} else {
		ck_assert_int_eq(ss->ss_family, AF_INET6);
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		p = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	}
	ck_assert_ptr_nonnull(inet_ntop(ss->ss_family, a, text, sizeof(text)));
	ck_assert_str_eq(text, ip);
	ck_assert_uint_eq(p, port);
}

static void
expect_value(const unsigned char *b, const struct proxyhdr *h,
    enum proxyhdr_tlv t, const char *want)
{
	ck_assert_uint_eq(h->tlv[t].len, strlen(want));
	ck_assert(memcmp(b + h->tlv[t].off, want, strlen(want)) == 0);
}

START_TEST(v1_tcp4_gives_the_addresses_and_the_line_length)
{
	const char *s = "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\nGET /";
	struct proxyhdr h;
	const char *why;

	ck_assert_int_eq(parse(s, strlen(s), PROXYHDR_V1, &h, &why),
	    PROXYHDR_DONE);
	ck_assert_int_eq(h.version, 1);
	ck_assert(!h.local);
	ck_assert_uint_eq(h.len, strlen(s) - strlen("GET /"));
	expect_addr(&h.src, "192.0.2.1", 56324);
	expect_addr(&h.dst, "198.51.100.7", 443);
}
END_TEST

START_TEST(v1_tcp6_and_the_longest_lines_parse)
{
	const char *s = "PROXY TCP6 2001:db8::1 2001:db8::2 0 65535\r\n";
	const char *longest = "PROXY UNKNOWN "
	                      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	                      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	                      "65535 65535\r\n";
	struct proxyhdr h;
	const char *why;

	ck_assert_int_eq(parse(s, strlen(s), ANY, &h, &why), PROXYHDR_DONE);
	expect_addr(&h.src, "2001:db8::1", 0);
	expect_addr(&h.dst, "2001:db8::2", 65535);
	ck_assert_uint_eq(strlen(longest), PROXYHDR_V1_MAX);
	ck_assert_int_eq(parse(longest, strlen(longest), ANY, &h, &why),
	    PROXYHDR_DONE);
	ck_assert(h.local);
}
END_TEST

START_TEST(v1_unknown_keeps_the_connection_addresses)
{
	struct proxyhdr h;
	const char *why;

	ck_assert_int_eq(parse("PROXY UNKNOWN\r\n", 15, ANY, &h, &why),
	    PROXYHDR_DONE);
	ck_assert(h.local);
	ck_assert_uint_eq(h.len, 15);
	ck_assert_int_eq(parse("PROXY UNKNOWN whatever 1 2\r\nxyz", 31, ANY, &h,
	                     &why),
	    PROXYHDR_DONE);
	ck_assert(h.local);
	ck_assert_uint_eq(h.len, 28);
}
END_TEST

START_TEST(v1_every_beginning_asks_for_more)
{
	const char *s = "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n";

	expect_prefixes_want_more(s, strlen(s), PROXYHDR_V1);
	expect_prefixes_want_more(s, strlen(s), ANY);
}
END_TEST

START_TEST(v1_without_crlf_within_107_bytes_is_invalid)
{
	char s[200];

	memset(s, 'a', sizeof(s));
	memcpy(s, "PROXY UNKNOWN ", 14);
	expect_invalid(s, PROXYHDR_V1_MAX, ANY, "no CRLF");
	expect_invalid(s, sizeof(s), ANY, "no CRLF");
	/* 108 bytes with its CRLF: one too many. */
	s[106] = '\r';
	s[107] = '\n';
	expect_invalid(s, 108, ANY, "no CRLF");
}
END_TEST

START_TEST(v1_lone_cr_or_lf_is_invalid)
{
	expect_invalid_str("PROXY UNKNOWN\n", "LF without CR");
	expect_invalid_str("PROXY UNKNOWN\rx\n", "CR without LF");
	expect_invalid_str("PROXY TCP4 1.2.3.4\n", "LF without CR");
}
END_TEST

START_TEST(v1_bad_ports_are_invalid)
{
	expect_invalid_str("PROXY TCP4 1.2.3.4 5.6.7.8 65536 80\r\n", "port");
	expect_invalid_str("PROXY TCP4 1.2.3.4 5.6.7.8 080 80\r\n", "port");
	expect_invalid_str("PROXY TCP4 1.2.3.4 5.6.7.8 -1 80\r\n", "port");
	expect_invalid_str("PROXY TCP4 1.2.3.4 5.6.7.8 8a 80\r\n", "port");
	expect_invalid_str("PROXY TCP4 1.2.3.4 5.6.7.8 1 123456\r\n", "port");
}
END_TEST

START_TEST(v1_bad_fields_are_invalid)
{
	expect_invalid_str("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", "address");
	expect_invalid_str("PROXY TCP4 ::1 5.6.7.8 1 2\r\n", "address");
	expect_invalid_str("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "address");
	expect_invalid_str("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", "fields");
	expect_invalid_str("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "fields");
	expect_invalid_str("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", "fields");
	expect_invalid_str("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", "fields");
	expect_invalid_str("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", "protocol");
	expect_invalid_str("PROXY \r\n", "fields");
	expect_invalid_str("PROXY UNKNOWNX\r\n", "fields");
	expect_invalid_str("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", "printable");
	expect_invalid_str("PROXI TCP4", "not a PROXY header");
	expect_invalid_str("GET / HTTP/1.0\r\n", "not a PROXY header");
	expect_invalid("PROXY T\0P4", 10, ANY, "printable");
}
END_TEST

/* A full v2 header for the TLV tests: TCP4, every TLV superd passes on,
 * a NOOP, a custom one, and a CRC32C. */
static void
build_full(struct pp2 *p)
{
	static const unsigned char ssl[] = { 0x01, 0, 0, 0, 0, 0x21, 0, 7, 'T',
		'L', 'S', 'v', '1', '.', '3', 0x22, 0, 4, 'a', 'l', 'i', 'c',
		0x23, 0, 6, 'A', 'E', 'S', '1', '2', '8' };

	pp2_start(p, 1, 0x11);
	pp2_tcp4(p, "192.0.2.1", "198.51.100.7", 40000, 443);
	pp2_tlv(p, 0x02, "example.org", 11);
	pp2_tlv(p, 0x01, "h2", 2);
	pp2_tlv(p, 0x05, "conn-42", 7);
	pp2_tlv(p, 0x20, ssl, sizeof(ssl));
	pp2_tlv(p, 0x04, "\0\0\0", 3);
	pp2_tlv(p, 0xe0, "\x01\x02", 2);
	pp2_crc(p);
}

START_TEST(v2_tcp4_gives_addresses_and_the_tlvs)
{
	static struct pp2 p;
	struct proxyhdr h;
	const char *why;

	build_full(&p);
	memcpy(p.b + p.n, "payload", 7);
	ck_assert_int_eq(parse(p.b, p.n + 7, PROXYHDR_V2, &h, &why),
	    PROXYHDR_DONE);
	ck_assert_int_eq(h.version, 2);
	ck_assert(!h.local);
	ck_assert(h.crc_checked);
	ck_assert_uint_eq(h.len, p.n);
	expect_addr(&h.src, "192.0.2.1", 40000);
	expect_addr(&h.dst, "198.51.100.7", 443);
	expect_value(p.b, &h, PROXYHDR_AUTHORITY, "example.org");
	expect_value(p.b, &h, PROXYHDR_ALPN, "h2");
	expect_value(p.b, &h, PROXYHDR_UNIQUE_ID, "conn-42");
	expect_value(p.b, &h, PROXYHDR_SSL_VERSION, "TLSv1.3");
	expect_value(p.b, &h, PROXYHDR_SSL_CN, "alic");
	expect_value(p.b, &h, PROXYHDR_SSL_CIPHER, "AES128");
	ck_assert_str_eq(proxyhdr_tlv_env[PROXYHDR_SSL_CN], "PROXY_SSL_CN");
}
END_TEST

START_TEST(v2_tcp6_and_a_64k_header_parse)
{
	static struct pp2 p;
	static unsigned char pad[65535 - 36 - 3];
	struct proxyhdr h;
	const char *why;

	pp2_start(&p, 1, 0x21);
	pp2_tcp6(&p, "2001:db8::1", "2001:db8::2", 1, 2);
	pp2_tlv(&p, 0x04, pad, sizeof(pad));
	pp2_done(&p);
	ck_assert_uint_eq(p.n, PROXYHDR_MAX);
	ck_assert_int_eq(parse(p.b, p.n, ANY, &h, &why), PROXYHDR_DONE);
	expect_addr(&h.src, "2001:db8::1", 1);
	expect_addr(&h.dst, "2001:db8::2", 2);
	ck_assert_uint_eq(h.len, PROXYHDR_MAX);
}
END_TEST

START_TEST(v2_local_and_unspecified_keep_the_connection_addresses)
{
	static struct pp2 p;
	struct proxyhdr h;
	const char *why;

	/* LOCAL with an address block anyway: skipped whole. */
	pp2_start(&p, 0, 0x11);
	pp2_tcp4(&p, "192.0.2.1", "198.51.100.7", 1, 2);
	pp2_done(&p);
	ck_assert_int_eq(parse(p.b, p.n, ANY, &h, &why), PROXYHDR_DONE);
	ck_assert(h.local);
	ck_assert_uint_eq(h.len, 28);
	pp2_start(&p, 0, 0x00);
	pp2_done(&p);
	ck_assert_int_eq(parse(p.b, p.n, ANY, &h, &why), PROXYHDR_DONE);
	ck_assert(h.local);
	ck_assert_uint_eq(h.len, 16);
	/* PROXY over UDP or unix: not addresses superd takes. */
	pp2_start(&p, 1, 0x12);
	pp2_tcp4(&p, "192.0.2.1", "198.51.100.7", 1, 2);
	pp2_done(&p);
	ck_assert_int_eq(parse(p.b, p.n, ANY, &h, &why), PROXYHDR_DONE);
	ck_assert(h.local);
}
END_TEST

START_TEST(v2_every_beginning_asks_for_more)
{
	static struct pp2 p;

	build_full(&p);
	expect_prefixes_want_more(p.b, p.n, PROXYHDR_V2);
	expect_prefixes_want_more(p.b, p.n, ANY);
}
END_TEST

START_TEST(v2_bad_signature_version_command_or_family_is_invalid)
{
	static struct pp2 p;

	build_full(&p);
	p.b[6] = 'X';
	expect_invalid(p.b, p.n, ANY, "not a PROXY header");
	expect_invalid(p.b, 7, ANY, "not a PROXY header");
	build_full(&p);
	p.b[12] = 0x11;
	expect_invalid(p.b, p.n, ANY, "version is not 2");
	p.b[12] = 0x22;
	expect_invalid(p.b, p.n, ANY, "command");
	p.b[12] = 0x21;
	p.b[13] = 0x41;
	expect_invalid(p.b, p.n, ANY, "family");
	p.b[13] = 0x13;
	expect_invalid(p.b, p.n, ANY, "family");
}
END_TEST

START_TEST(v2_truncated_or_overlong_tlvs_are_invalid)
{
	static struct pp2 p;

	/* Two bytes of a TLV header. */
	pp2_start(&p, 1, 0x11);
	pp2_tcp4(&p, "192.0.2.1", "198.51.100.7", 1, 2);
	pp2_bytes(&p, "\x02\x00", 2);
	pp2_done(&p);
	expect_invalid(p.b, p.n, ANY, "TLV past");
	/* A value longer than what is left of the header. */
	pp2_start(&p, 1, 0x11);
	pp2_tcp4(&p, "192.0.2.1", "198.51.100.7", 1, 2);
	pp2_tlv(&p, 0x02, "example.org", 11);
	p.b[p.n - 12] = 12;
	pp2_done(&p);
	expect_invalid(p.b, p.n, ANY, "TLV past");
	/* A sub-TLV running past its SSL TLV. */
	pp2_start(&p, 1, 0x11);
	pp2_tcp4(&p, "192.0.2.1", "198.51.100.7", 1, 2);
	pp2_tlv(&p, 0x20, "\x01\0\0\0\0\x21\0\x09TLSv1.3", 15);
	pp2_done(&p);
	expect_invalid(p.b, p.n, ANY, "sub-TLV");
	pp2_start(&p, 1, 0x11);
	pp2_tcp4(&p, "192.0.2.1", "198.51.100.7", 1, 2);
	pp2_tlv(&p, 0x20, "\x01\0\0\0", 4);
	pp2_done(&p);
	expect_invalid(p.b, p.n, ANY, "SSL TLV too short");
}
END_TEST

START_TEST(v2_address_block_past_the_length_is_invalid)
{
	static struct pp2 p;

	pp2_start(&p, 1, 0x11);
	pp2_tcp4(&p, "192.0.2.1", "198.51.100.7", 1, 2);
	pp2_done(&p);
	p.b[15] = 11;
	expect_invalid(p.b, p.n, ANY, "address block");
	pp2_start(&p, 1, 0x21);
	pp2_tcp4(&p, "192.0.2.1", "198.51.100.7", 1, 2);
	pp2_done(&p);
	expect_invalid(p.b, p.n, ANY, "address block");
	pp2_start(&p, 1, 0x31);
	pp2_done(&p);
	expect_invalid(p.b, p.n, ANY, "address block");
}
END_TEST

START_TEST(v2_checksum_and_unique_id_rules_hold)
{
	static struct pp2 p;
	static unsigned char id[129];

	build_full(&p);
	p.b[20] ^= 1;
	expect_invalid(p.b, p.n, ANY, "CRC32C mismatch");
	pp2_start(&p, 1, 0x11);
	pp2_tcp4(&p, "192.0.2.1", "198.51.100.7", 1, 2);
	pp2_tlv(&p, 0x03, "\0\0\0", 3);
	pp2_done(&p);
	expect_invalid(p.b, p.n, ANY, "not 4 bytes");
	memset(id, 'x', sizeof(id));
	pp2_start(&p, 1, 0x11);
	pp2_tcp4(&p, "192.0.2.1", "198.51.100.7", 1, 2);
	pp2_tlv(&p, 0x05, id, sizeof(id));
	pp2_done(&p);
	expect_invalid(p.b, p.n, ANY, "UNIQUE_ID");
	/* The standard check value of CRC32C. */
	ck_assert_uint_eq(proxyhdr_crc32c((const unsigned char *)"123456789", 9,
	                      9),
	    0xe3069283u);
}
END_TEST

START_TEST(v2_values_with_control_bytes_are_not_passed_on)
{
	static struct pp2 p;
	struct proxyhdr h;
	const char *why;

	pp2_start(&p, 1, 0x11);
	pp2_tcp4(&p, "192.0.2.1", "198.51.100.7", 1, 2);
	pp2_tlv(&p, 0x02, "evil\nHOST", 9);
	pp2_tlv(&p, 0x01, "a\0b", 3);
	pp2_tlv(&p, 0x05, "caf\xc3\xa9", 5);
	pp2_done(&p);
	ck_assert_int_eq(parse(p.b, p.n, ANY, &h, &why), PROXYHDR_DONE);
	ck_assert_uint_eq(h.tlv[PROXYHDR_AUTHORITY].len, 0);
	ck_assert_uint_eq(h.tlv[PROXYHDR_ALPN].len, 0);
	expect_value(p.b, &h, PROXYHDR_UNIQUE_ID, "caf\xc3\xa9");
}
END_TEST

START_TEST(a_version_not_configured_is_invalid)
{
	static struct pp2 p;
	const char *v1 = "PROXY UNKNOWN\r\n";

	build_full(&p);
	expect_invalid(p.b, p.n, PROXYHDR_V1, "only version 1");
	expect_invalid(p.b, 1, PROXYHDR_V1, "only version 1");
	expect_invalid(v1, strlen(v1), PROXYHDR_V2, "only version 2");
	ck_assert_uint_eq(proxyhdr_first_need(PROXYHDR_V1), PROXYHDR_V1_MAX);
	ck_assert_uint_eq(proxyhdr_first_need(ANY), PROXYHDR_V2_FIXED);
}
END_TEST

static Suite *
make_proxyhdr_suite(void)
{
	Suite *s = suite_create("proxyhdr");
	TCase *tc = tcase_create("v1");

	tcase_add_test(tc, v1_tcp4_gives_the_addresses_and_the_line_length);
	tcase_add_test(tc, v1_tcp6_and_the_longest_lines_parse);
	tcase_add_test(tc, v1_unknown_keeps_the_connection_addresses);
	tcase_add_test(tc, v1_every_beginning_asks_for_more);
	tcase_add_test(tc, v1_without_crlf_within_107_bytes_is_invalid);
	tcase_add_test(tc, v1_lone_cr_or_lf_is_invalid);
	tcase_add_test(tc, v1_bad_ports_are_invalid);
	tcase_add_test(tc, v1_bad_fields_are_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("v2");
	tcase_add_test(tc, v2_tcp4_gives_addresses_and_the_tlvs);
	tcase_add_test(tc, v2_tcp6_and_a_64k_header_parse);
	tcase_add_test(tc,
	    v2_local_and_unspecified_keep_the_connection_addresses);
	tcase_add_test(tc, v2_every_beginning_asks_for_more);
	tcase_add_test(tc,
	    v2_bad_signature_version_command_or_family_is_invalid);
	tcase_add_test(tc, v2_truncated_or_overlong_tlvs_are_invalid);
	tcase_add_test(tc, v2_address_block_past_the_length_is_invalid);
	tcase_add_test(tc, v2_checksum_and_unique_id_rules_hold);
	tcase_add_test(tc, v2_values_with_control_bytes_are_not_passed_on);
	tcase_add_test(tc, a_version_not_configured_is_invalid);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_proxyhdr_suite());
}
