/* Unit tests of the limits: address prefixes (cidr.c), token buckets and
 * the source table (quota.c), and admission decisions (admit.c), all with
 * explicit times and synthetic peers: no sockets, no processes. */
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "cidr.h"
#include "config.h"
#include "config_keys.h"
#include "harness.h"
#include "sources.h"

/* ---- helpers ---- */

static struct cidr
cidr_of(const char *s)
{
	struct cidr c;
	char why[256] = "";

	ck_assert_msg(cidr_parse(s, &c, why, sizeof(why)) == 0,
	    "cidr_parse(\"%s\") failed: %s", s, why);
	return c;
}

static void
expect_cidr(const struct cidr *c, const char *want)
{
	char buf[INET6_ADDRSTRLEN + 8];

	cidr_format(c, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, want) == 0, "got %s, not %s", buf, want);
}

static void
expect_parsed(const char *s, sa_family_t family, const char *want)
{
	struct cidr c = cidr_of(s);

	ck_assert_int_eq(c.family, family);
	expect_cidr(&c, want);
}

static void
expect_parse_error(const char *s, const char *reason)
{
	struct cidr c;
	char why[256] = "";

	ck_assert_msg(cidr_parse(s, &c, why, sizeof(why)) == -1,
	    "\"%s\" parsed, expected an error saying \"%s\"", s, reason);
	ck_assert_msg(strstr(why, reason) != NULL,
	    "cidr_parse(\"%s\") said \"%s\", not \"%s\"", s, why, reason);
}

/* A peer address (port 4242) for ip, IPv4 or IPv6. */
static struct sockaddr_storage
peer_of(const char *ip)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(4242);
		return ss;
	}
	ck_assert_msg(inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1,
	    "bad test address %s", ip);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(4242);
	return ss;
}

static struct cidr
from_sockaddr(const char *ip)
{
	struct sockaddr_storage ss = peer_of(ip);
	struct cidr c;

	ck_assert(cidr_from_sockaddr((const struct sockaddr *)(void *)&ss, &c));
	return c;
}

/* c truncated to len, formatted. */
static void
expect_truncated(const char *addr, unsigned len, const char *want)
{
	struct cidr c = cidr_of(addr);

	cidr_truncate(&c, len);
	ck_assert_uint_eq(c.prefix, len);
	expect_cidr(&c, want);
}

static void
expect_contains(const char *prefix, const char *addr, bool want)
{
	struct cidr c = cidr_of(prefix), a = from_sockaddr(addr);

	ck_assert_msg(cidr_contains(&c, &a) == want, "%s %s %s", prefix,
	    want ? "does not contain" : "contains", addr);
}

/* ---- cidr_parse ---- */

START_TEST(cidr_parses_ipv4_and_ipv6_prefixes)
{
	expect_parsed("10.0.0.0/8", AF_INET, "10.0.0.0/8");
	expect_parsed("192.168.4.0/22", AF_INET, "192.168.4.0/22");
	expect_parsed("192.0.2.128/25", AF_INET, "192.0.2.128/25");
	expect_parsed("fd00::/8", AF_INET6, "fd00::/8");
	expect_parsed("2001:db8::/32", AF_INET6, "2001:db8::/32");
	expect_parsed("2001:db8:0:1::/64", AF_INET6, "2001:db8:0:1::/64");
	expect_parsed("2001:db8::8000/113", AF_INET6, "2001:db8::8000/113");
}
END_TEST

START_TEST(cidr_reads_a_bare_address_as_a_full_length_prefix)
{
	struct cidr c, peer;

	expect_parsed("192.0.2.1", AF_INET, "192.0.2.1/32");
	expect_parsed("2001:db8::1", AF_INET6, "2001:db8::1/128");
	expect_parsed("192.0.2.1/32", AF_INET, "192.0.2.1/32");
	expect_parsed("::1/128", AF_INET6, "::1/128");

	/* A bare address equals the peer address it names. */
	c = cidr_of("2001:db8::1");
	peer = from_sockaddr("2001:db8::1");
	ck_assert(memcmp(&c, &peer, sizeof(c)) == 0);
	c = cidr_of("192.0.2.1");
	peer = from_sockaddr("192.0.2.1");
	ck_assert(memcmp(&c, &peer, sizeof(c)) == 0);
}
END_TEST

START_TEST(cidr_accepts_a_zero_length_prefix)
{
	expect_parsed("0.0.0.0/0", AF_INET, "0.0.0.0/0");
	expect_parsed("::/0", AF_INET6, "::/0");
	expect_parse_error("10.0.0.0/0", "has host bits set");
	expect_contains("0.0.0.0/0", "203.0.113.9", true);
	expect_contains("::/0", "2001:db8::1", true);
}
END_TEST

START_TEST(cidr_rejects_a_prefix_length_out_of_range)
{
	expect_parse_error("10.0.0.0/33",
	    "\"10.0.0.0/33\": prefix length must be 0-32");
	expect_parse_error("2001:db8::/129",
	    "\"2001:db8::/129\": prefix length must be 0-128");
	expect_parse_error("10.0.0.0/-1", "prefix length must be 0-32");
	expect_parse_error("fd00::/-1", "prefix length must be 0-128");
	expect_parse_error("10.0.0.0/abc", "prefix length must be 0-32");
	expect_parse_error("10.0.0.0/", "prefix length must be 0-32");
	expect_parse_error("10.0.0.0/8/8", "prefix length must be 0-32");
	expect_parse_error("10.0.0.0/ 8", "prefix length must be 0-32");
	expect_parse_error("10.0.0.0/99999999999999999999999",
	    "prefix length must be 0-32");
}
END_TEST

START_TEST(cidr_rejects_text_that_is_not_an_address)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"example.com/8",
		"10.0.0",
		"10.0.0.256",
		"10.0.0.0.0/8",
		" 10.0.0.0/8",
		"/8",
		"2001:db8:::1",
		"[::1]",
		"fe80::1%eth0",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_parse_error(bad[i], "is not an IPv4 or IPv6 address");
	expect_parse_error("garbage",
	    "\"garbage\" is not an IPv4 or IPv6 address or prefix");
	/* Longer than any address and prefix can be. */
	expect_parse_error("10.0.0.0/0000000000000000000000000000000000000000"
	                   "000000000000000000008",
	    "is not an address or prefix");
}
END_TEST

START_TEST(cidr_rejects_host_bits_and_suggests_the_network)
{
	expect_parse_error("10.0.0.1/8",
	    "\"10.0.0.1/8\" has host bits set (did you mean 10.0.0.0/8?)");
	expect_parse_error("192.0.2.1/31", "(did you mean 192.0.2.0/31?)");
	expect_parse_error("172.31.255.255/12",
	    "(did you mean 172.16.0.0/12?)");
	expect_parse_error("2001:db8::1/32",
	    "\"2001:db8::1/32\" has host bits set "
	    "(did you mean 2001:db8::/32?)");
	expect_parsed("2001:db8:0:1:8000::/65", AF_INET6,
	    "2001:db8:0:1:8000::/65");
	expect_parse_error("2001:db8:0:1:4000::/65",
	    "(did you mean 2001:db8:0:1::/65?)");
}
END_TEST

START_TEST(cidr_rejects_an_ipv4_mapped_prefix_that_could_never_match)
{
	expect_parse_error("::ffff:192.0.2.0/120",
	    "is an IPv4-mapped prefix: write it as IPv4");
	expect_parse_error("::ffff:192.0.2.1",
	    "is an IPv4-mapped prefix: write it as IPv4");
	/* Shorter prefixes cover more than mapped addresses: allowed. */
	expect_parsed("::/0", AF_INET6, "::/0");
}
END_TEST

START_TEST(cidr_parse_leaves_why_alone_on_success)
{
	struct cidr c;
	char why[64] = "untouched";

	ck_assert_int_eq(cidr_parse("10.1.0.0/16", &c, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "untouched");
	ck_assert_uint_eq(c.prefix, 16);
}
END_TEST

/* ---- cidr_from_sockaddr ---- */

START_TEST(cidr_from_sockaddr_reads_an_ipv4_peer)
{
	struct cidr c = from_sockaddr("192.0.2.1");

	ck_assert_int_eq(c.family, AF_INET);
	ck_assert_uint_eq(c.prefix, 32);
	expect_cidr(&c, "192.0.2.1/32");
	ck_assert_uint_eq(c.addr[4] | c.addr[15], 0);
}
END_TEST

START_TEST(cidr_from_sockaddr_reads_an_ipv6_peer)
{
	struct cidr c = from_sockaddr("2001:db8::1");

	ck_assert_int_eq(c.family, AF_INET6);
	ck_assert_uint_eq(c.prefix, 128);
	expect_cidr(&c, "2001:db8::1/128");
}
END_TEST

START_TEST(cidr_from_sockaddr_turns_an_ipv4_mapped_peer_into_ipv4)
{
	struct cidr mapped = from_sockaddr("::ffff:192.0.2.1");
	struct cidr plain = from_sockaddr("192.0.2.1");

	ck_assert_int_eq(mapped.family, AF_INET);
	ck_assert_uint_eq(mapped.prefix, 32);
	expect_cidr(&mapped, "192.0.2.1/32");
	ck_assert(memcmp(&mapped, &plain, sizeof(mapped)) == 0);
	/* Only ::ffff:0:0/96 is mapped: the old compatible form is not. */
	ck_assert_int_eq(from_sockaddr("::192.0.2.1").family, AF_INET6);
}
END_TEST

START_TEST(cidr_from_sockaddr_rejects_a_unix_socket_peer)
{
	struct sockaddr_un sun;
	struct cidr c;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/sock");
	ck_assert(
	    !cidr_from_sockaddr((const struct sockaddr *)(void *)&sun, &c));
}
END_TEST

/* ---- cidr_truncate and cidr_contains ---- */

START_TEST(cidr_truncate_clears_every_bit_past_the_prefix)
{
	expect_truncated("255.255.255.255", 32, "255.255.255.255/32");
	expect_truncated("255.255.255.255", 24, "255.255.255.0/24");
	expect_truncated("255.255.255.255", 12, "255.240.0.0/12");
	expect_truncated("255.255.255.255", 7, "254.0.0.0/7");
	expect_truncated("255.255.255.255", 1, "128.0.0.0/1");
	expect_truncated("255.255.255.255", 0, "0.0.0.0/0");
	expect_truncated("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128,
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	expect_truncated("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65,
	    "ffff:ffff:ffff:ffff:8000::/65");
	expect_truncated("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 64,
	    "ffff:ffff:ffff:ffff::/64");
	expect_truncated("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 63,
	    "ffff:ffff:ffff:fffe::/63");
	expect_truncated("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 12,
	    "fff0::/12");
	expect_truncated("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 7,
	    "fe00::/7");
	expect_truncated("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, "::/0");
	expect_truncated("2001:db8:1234:5678:9abc::1", 48,
	    "2001:db8:1234::/48");
}
END_TEST

START_TEST(cidr_truncate_never_touches_the_unused_bytes_of_ipv4)
{
	struct cidr c = cidr_of("10.1.2.3");
	size_t i;

	cidr_truncate(&c, 16);
	for (i = 4; i < sizeof(c.addr); i++)
		ck_assert_uint_eq(c.addr[i], 0);
	expect_cidr(&c, "10.1.0.0/16");
}
END_TEST

START_TEST(cidr_contains_splits_at_non_byte_boundaries)
{
	/* /7: 254.0.0.0-255.255.255.255 and 10.0.0.0-11.255.255.255. */
	expect_contains("10.0.0.0/7", "10.0.0.0", true);
	expect_contains("10.0.0.0/7", "11.255.255.255", true);
	expect_contains("10.0.0.0/7", "9.255.255.255", false);
	expect_contains("10.0.0.0/7", "12.0.0.0", false);
	/* /12: 172.16.0.0-172.31.255.255. */
	expect_contains("172.16.0.0/12", "172.16.0.0", true);
	expect_contains("172.16.0.0/12", "172.31.255.255", true);
	expect_contains("172.16.0.0/12", "172.15.255.255", false);
	expect_contains("172.16.0.0/12", "172.32.0.0", false);
	/* /8 and /32 at byte boundaries. */
	expect_contains("10.0.0.0/8", "10.255.255.255", true);
	expect_contains("10.0.0.0/8", "11.0.0.0", false);
	expect_contains("192.0.2.1/32", "192.0.2.1", true);
	expect_contains("192.0.2.1/32", "192.0.2.0", false);
	/* /63, /64 and /65 around the middle of an IPv6 address. */
	expect_contains("2001:db8:0:2::/63", "2001:db8:0:3:ffff::1", true);
	expect_contains("2001:db8:0:2::/63", "2001:db8:0:1::1", false);
	expect_contains("2001:db8:0:2::/63", "2001:db8:0:4::", false);
	expect_contains("2001:db8:0:2::/64", "2001:db8:0:2:ffff::", true);
	expect_contains("2001:db8:0:2::/64", "2001:db8:0:3::", false);
	expect_contains("2001:db8:0:2::/65", "2001:db8:0:2:7fff::1", true);
	expect_contains("2001:db8:0:2::/65", "2001:db8:0:2:8000::", false);
	expect_contains("2001:db8:0:2:8000::/65", "2001:db8:0:2:8000::", true);
	expect_contains("2001:db8:0:2:8000::/65", "2001:db8:0:2:ffff::", true);
	expect_contains("2001:db8:0:2:8000::/65", "2001:db8:0:2::1", false);
	expect_contains("2001:db8::1/128", "2001:db8::1", true);
	expect_contains("2001:db8::1/128", "2001:db8::2", false);
}
END_TEST

START_TEST(cidr_contains_never_matches_across_families)
{
	expect_contains("0.0.0.0/0", "2001:db8::1", false);
	expect_contains("::/0", "192.0.2.1", false);
	expect_contains("::/0", "::ffff:192.0.2.1", false);
	expect_contains("0.0.0.0/0", "::ffff:192.0.2.1", true);
}
END_TEST

/* ---- cidr_allowed ---- */

static bool
allowed(const char *const *allow, size_t nallow, const char *const *deny,
    size_t ndeny, const char *ip)
{
	struct cidr a[8], d[8], addr = from_sockaddr(ip);
	size_t i;

	ck_assert(nallow <= 8 && ndeny <= 8);
	for (i = 0; i < nallow; i++)
		a[i] = cidr_of(allow[i]);
	for (i = 0; i < ndeny; i++)
		d[i] = cidr_of(deny[i]);
	return cidr_allowed(a, nallow, d, ndeny, &addr);
}

#define N(list) (sizeof(list) / sizeof(list[0]))

START_TEST(cidr_allowed_lets_everyone_in_without_lists)
{
	ck_assert(allowed(NULL, 0, NULL, 0, "192.0.2.1"));
	ck_assert(allowed(NULL, 0, NULL, 0, "2001:db8::1"));
	ck_assert(allowed(NULL, 0, NULL, 0, "::ffff:192.0.2.1"));
}
END_TEST

START_TEST(cidr_allowed_with_only_an_allow_list_denies_the_rest)
{
	static const char *const allow[] = { "10.0.0.0/8", "2001:db8::/32" };

	ck_assert(allowed(allow, N(allow), NULL, 0, "10.9.8.7"));
	ck_assert(allowed(allow, N(allow), NULL, 0, "2001:db8:ffff::1"));
	ck_assert(allowed(allow, N(allow), NULL, 0, "::ffff:10.0.0.1"));
	ck_assert(!allowed(allow, N(allow), NULL, 0, "11.0.0.1"));
	ck_assert(!allowed(allow, N(allow), NULL, 0, "2001:db9::1"));
}
END_TEST

START_TEST(cidr_allowed_with_only_a_deny_list_allows_the_rest)
{
	static const char *const deny[] = { "10.0.0.0/8" };

	ck_assert(!allowed(NULL, 0, deny, N(deny), "10.0.0.1"));
	ck_assert(!allowed(NULL, 0, deny, N(deny), "::ffff:10.0.0.1"));
	ck_assert(allowed(NULL, 0, deny, N(deny), "11.0.0.1"));
	ck_assert(allowed(NULL, 0, deny, N(deny), "2001:db8::1"));
}
END_TEST

START_TEST(cidr_allowed_longest_deny_inside_an_allow_wins)
{
	static const char *const allow[] = { "10.0.0.0/8" };
	static const char *const deny[] = { "10.1.0.0/16" };

	ck_assert(allowed(allow, N(allow), deny, N(deny), "10.0.0.1"));
	ck_assert(allowed(allow, N(allow), deny, N(deny), "10.2.0.1"));
	ck_assert(!allowed(allow, N(allow), deny, N(deny), "10.1.0.1"));
	ck_assert(!allowed(allow, N(allow), deny, N(deny), "10.1.255.255"));
	ck_assert(!allowed(allow, N(allow), deny, N(deny), "11.0.0.1"));
}
END_TEST

START_TEST(cidr_allowed_longest_allow_inside_a_deny_wins)
{
	static const char *const allow[] = { "10.1.2.3" };
	static const char *const deny[] = { "10.0.0.0/8" };

	ck_assert(allowed(allow, N(allow), deny, N(deny), "10.1.2.3"));
	ck_assert(!allowed(allow, N(allow), deny, N(deny), "10.1.2.4"));
	/* Outside both: the allow list is not empty. */
	ck_assert(!allowed(allow, N(allow), deny, N(deny), "11.0.0.1"));
}
END_TEST

START_TEST(cidr_allowed_order_of_the_lists_does_not_matter)
{
	static const char *const allow[] = { "10.1.2.0/24", "0.0.0.0/0",
		"10.0.0.0/8" };
	static const char *const deny[] = { "10.1.2.128/25", "10.1.0.0/16" };

	ck_assert(allowed(allow, N(allow), deny, N(deny), "10.1.2.1"));
	ck_assert(!allowed(allow, N(allow), deny, N(deny), "10.1.2.200"));
	ck_assert(!allowed(allow, N(allow), deny, N(deny), "10.1.3.1"));
	ck_assert(allowed(allow, N(allow), deny, N(deny), "10.2.0.1"));
	ck_assert(allowed(allow, N(allow), deny, N(deny), "192.0.2.1"));
}
END_TEST

START_TEST(cidr_allowed_a_tie_goes_to_deny)
{
	static const char *const both[] = { "10.0.0.0/8" };
	static const char *const all[] = { "0.0.0.0/0" };
	static const char *const host[] = { "2001:db8::1" };

	ck_assert(!allowed(both, 1, both, 1, "10.0.0.1"));
	ck_assert(!allowed(all, 1, all, 1, "192.0.2.1"));
	ck_assert(!allowed(host, 1, host, 1, "2001:db8::1"));
}
END_TEST

START_TEST(cidr_allowed_ipv6_lists_do_not_match_ipv4_peers)
{
	static const char *const v6all[] = { "::/0" };
	static const char *const v4all[] = { "0.0.0.0/0" };

	/* An allow list of IPv6 only shuts IPv4 out ... */
	ck_assert(!allowed(v6all, 1, NULL, 0, "192.0.2.1"));
	ck_assert(!allowed(v6all, 1, NULL, 0, "::ffff:192.0.2.1"));
	ck_assert(allowed(v6all, 1, NULL, 0, "2001:db8::1"));
	/* ... and a deny list of IPv6 only leaves IPv4 alone. */
	ck_assert(allowed(NULL, 0, v6all, 1, "192.0.2.1"));
	ck_assert(allowed(NULL, 0, v6all, 1, "::ffff:192.0.2.1"));
	ck_assert(!allowed(NULL, 0, v6all, 1, "2001:db8::1"));
	/* The same the other way round. */
	ck_assert(allowed(NULL, 0, v4all, 1, "2001:db8::1"));
	ck_assert(!allowed(v4all, 1, NULL, 0, "2001:db8::1"));
}
END_TEST

/* ---- token buckets ---- */

START_TEST(bucket_starts_with_n_tokens_and_refuses_the_next)
{
	const struct rate r = { 5, 1000 };
	struct bucket b;
	int i;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < 5; i++)
		ck_assert_msg(bucket_take(&b, &r, 1000), "take %d failed", i);
	ck_assert(!bucket_take(&b, &r, 1000));
	ck_assert(!bucket_take(&b, &r, 1000));
}
END_TEST

START_TEST(bucket_refills_one_token_per_interval)
{
	const struct rate r = { 5, 1000 };
	struct bucket b;
	int i;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < 5; i++)
		ck_assert(bucket_take(&b, &r, 0));
	ck_assert(bucket_take(&b, &r, 200));
	ck_assert(!bucket_take(&b, &r, 200));
	ck_assert(bucket_take(&b, &r, 400));
	ck_assert(!bucket_take(&b, &r, 400));
	/* 1000 ms: five more, not six. */
	for (i = 0; i < 5; i++)
		ck_assert(bucket_take(&b, &r, 1400));
	ck_assert(!bucket_take(&b, &r, 1400));
}
END_TEST

START_TEST(bucket_never_holds_more_than_n)
{
	const struct rate r = { 3, 100 };
	struct bucket b;
	int i;

	memset(&b, 0, sizeof(b));
	ck_assert(bucket_take(&b, &r, 0));
	for (i = 0; i < 3; i++)
		ck_assert(bucket_take(&b, &r, 1000000));
	ck_assert(!bucket_take(&b, &r, 1000000));
	ck_assert(bucket_full(&b, &r, 2000000));
}
END_TEST

START_TEST(bucket_ready_at_is_now_while_a_token_is_left)
{
	const struct rate r = { 5, 1000 };
	struct bucket b;

	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(bucket_ready_at(&b, &r, 777), 777);
	ck_assert(bucket_take(&b, &r, 777));
	ck_assert_int_eq(bucket_ready_at(&b, &r, 777), 777);
}
END_TEST

/* After draining r at t = 0, ready_at must be the first millisecond with
 * a token, or the one after: never earlier. */
static void
expect_ready_at(const struct rate *r, long long asked, long long exact)
{
	struct bucket b, copy;
	long long at;
	unsigned long i;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < r->n; i++)
		ck_assert(bucket_take(&b, r, 0));
	at = bucket_ready_at(&b, r, asked);
	ck_assert_msg(at >= exact && at <= exact + 1,
	    "rate %lu/%lums: ready at %lld (asked at %lld), expected %lld",
	    r->n, r->per_ms, at, asked, exact);
	copy = b;
	ck_assert_msg(!bucket_take(&copy, r, exact - 1),
	    "rate %lu/%lums: a token already at %lld", r->n, r->per_ms,
	    exact - 1);
	copy = b;
	ck_assert_msg(bucket_take(&copy, r, at),
	    "rate %lu/%lums: no token at %lld", r->n, r->per_ms, at);
}

START_TEST(bucket_ready_at_is_exact)
{
	const struct rate five = { 5, 1000 }, three = { 3, 1000 };
	const struct rate one = { 1, 60000 }, fast = { 1000, 1 };

	expect_ready_at(&five, 0, 200);
	expect_ready_at(&five, 50, 200);
	expect_ready_at(&five, 199, 200);
	expect_ready_at(&three, 0, 334); /* 333.3 ms */
	expect_ready_at(&three, 333, 334);
	expect_ready_at(&one, 0, 60000);
	expect_ready_at(&one, 59999, 60000);
	expect_ready_at(&fast, 0, 1);
}
END_TEST

START_TEST(bucket_ready_at_does_not_change_the_bucket)
{
	const struct rate r = { 2, 1000 };
	struct bucket b, before;

	memset(&b, 0, sizeof(b));
	ck_assert(bucket_take(&b, &r, 0));
	ck_assert(bucket_take(&b, &r, 0));
	before = b;
	(void)bucket_ready_at(&b, &r, 300);
	(void)bucket_full(&b, &r, 5000);
	ck_assert(memcmp(&b, &before, sizeof(b)) == 0);
}
END_TEST

START_TEST(bucket_full_only_once_every_token_is_back)
{
	const struct rate r = { 5, 1000 }, off = { 0, 0 };
	struct bucket b;

	memset(&b, 0, sizeof(b));
	ck_assert(bucket_full(&b, &r, 0)); /* never used */
	ck_assert(bucket_take(&b, &r, 0));
	ck_assert(!bucket_full(&b, &r, 0));
	ck_assert(!bucket_full(&b, &r, 199));
	ck_assert(bucket_full(&b, &r, 200));
	ck_assert(bucket_full(&b, &r, 100000));
	/* No rate: nothing to keep. */
	ck_assert(bucket_full(&b, &off, 0));
}
END_TEST

/* ---- the source table ---- */

/* Key i: service i % 3, address from i / 3, alternating families, so
 * each address appears under up to three services. */
static void
key_of(unsigned i, size_t *service, struct cidr *c)
{
	unsigned a = i / 3;

	*service = i % 3;
	memset(c, 0, sizeof(*c));
	if (a % 2 == 0) {
		c->family = AF_INET;
		c->addr[0] = 10;
		c->addr[1] = (unsigned char)(a >> 16);
		c->addr[2] = (unsigned char)(a >> 8);
		c->addr[3] = (unsigned char)a;
		c->prefix = 32;
	} else {
		c->family = AF_INET6;
		c->addr[0] = 0x20;
		c->addr[1] = 0x01;
		c->addr[2] = 0x0d;
		c->addr[3] = 0xb8;
		c->addr[5] = (unsigned char)(a >> 16);
		c->addr[6] = (unsigned char)(a >> 8);
		c->addr[7] = (unsigned char)a;
		c->prefix = 64;
	}
}

static struct source *
find_key(struct sources *t, unsigned i)
{
	struct cidr c;
	size_t service;

	key_of(i, &service, &c);
	return sources_find(t, service, &c);
}

/* rate NULL: an entry for a handler; otherwise one for a rate only. */
static struct source *
get_key(struct sources *t, unsigned i, const struct rate *rate, long long now)
{
	struct cidr c;
	size_t service;

	key_of(i, &service, &c);
	return sources_get(t, service, &c, rate, now);
}

/* Plain checks in the loops below: every ck_assert costs a write to
 * Check's pipe, and these run millions of times. */
static bool
found(struct sources *t, unsigned i)
{
	struct source *s;
	struct cidr c;
	size_t service;

	key_of(i, &service, &c);
	s = sources_find(t, service, &c);
	return s != NULL && s->used && s->service == service &&
	    memcmp(&s->key, &c, sizeof(c)) == 0;
}

/* Every key of order[from..n-1] is still in the table. */
static void
expect_all_found(struct sources *t, const unsigned *order, unsigned from,
    unsigned n)
{
	unsigned i;

	for (i = from; i < n; i++)
		if (!found(t, order[i]))
			ck_abort_msg("key %u lost after %u deletions", order[i],
			    from);
}

/* A fixed pseudo-random permutation of 0..n-1. */
static unsigned *
shuffled(unsigned n)
{
	unsigned *v = malloc(n * sizeof(*v)), i, j, tmp;
	uint32_t x = 2463534242u;

	ck_assert_ptr_nonnull(v);
	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n - 1; i > 0; i--) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		j = x % (i + 1);
		tmp = v[i];
		v[i] = v[j];
		v[j] = tmp;
	}
	return v;
}

/* Releases key order[k], which holds nothing, and checks it is gone. */
static size_t
release_key(struct sources *t, unsigned key, size_t used_after)
{
	struct source *s = find_key(t, key);
	size_t slot;

	if (s == NULL)
		ck_abort_msg("key %u lost before its release", key);
	slot = (size_t)(s - t->v);
	sources_release(t, s, 0);
	if (find_key(t, key) != NULL || t->used != used_after)
		ck_abort_msg("key %u not released", key);
	return slot;
}

START_TEST(sources_finds_every_entry_through_random_deletions)
{
	enum { KEYS = 5000 };
	struct sources t;
	struct source *s;
	unsigned *order, i, k;

	ck_assert_int_eq(sources_init(&t, 100), 0);
	for (i = 0; i < KEYS; i++) {
		s = get_key(&t, i, NULL, 0);
		if (s == NULL || s->active != 0 || get_key(&t, i, NULL, 0) != s)
			ck_abort_msg("key %u: no fresh entry, or two", i);
	}
	ck_assert_uint_eq(t.used, KEYS);
	order = shuffled(KEYS);
	expect_all_found(&t, order, 0, KEYS);

	for (k = 0; k < KEYS; k++) {
		release_key(&t, order[k], KEYS - k - 1);
		expect_all_found(&t, order, k + 1, KEYS);
	}
	ck_assert_uint_eq(t.used, 0);
	for (i = 0; i < t.cap; i++)
		if (t.v[i].used)
			ck_abort_msg("slot %u still used", i);
	free(order);
	sources_free(&t);
}
END_TEST

/* After a deletion at slot i, every entry of the run that followed it
 * must still be found in place. */
static void
expect_run_intact(struct sources *t, size_t i)
{
	size_t mask = t->cap - 1;

	for (; t->v[i].used; i = (i + 1) & mask)
		if (sources_find(t, t->v[i].service, &t->v[i].key) != &t->v[i])
			ck_abort_msg("entry in slot %zu lost", i);
}

START_TEST(sources_backward_shift_keeps_a_dense_table_consistent)
{
	struct sources t;
	unsigned *order, n, i, k;
	size_t slot;

	ck_assert_int_eq(sources_init(&t, 1), 0);
	n = (unsigned)(t.cap / 4 * 3); /* long runs, some wrapping */
	for (i = 0; i < n; i++)
		if (get_key(&t, i, NULL, 0) == NULL)
			ck_abort_msg("handler entry %u refused", i);
	ck_assert_uint_eq(t.used, n);

	order = shuffled(n);
	for (k = 0; k < n; k++) {
		slot = release_key(&t, order[k], n - k - 1);
		expect_run_intact(&t, slot);
		if (k % 2048 == 0)
			expect_all_found(&t, order, k + 1, n);
	}
	ck_assert_uint_eq(t.used, 0);
	free(order);
	sources_free(&t);
}
END_TEST

START_TEST(sources_release_keeps_an_entry_with_handlers_or_owed_tokens)
{
	const struct rate r = { 2, 1000 };
	struct sources t;
	struct source *s;

	ck_assert_int_eq(sources_init(&t, 10), 0);
	s = get_key(&t, 1, &r, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert(s->rate == &r);
	s->active = 1;
	sources_release(&t, s, 0);
	ck_assert(find_key(&t, 1) == s);
	s->active = 0;

	ck_assert(bucket_take(&s->bucket, &r, 0));
	sources_release(&t, s, 100);
	ck_assert(find_key(&t, 1) == s);
	sources_release(&t, s, 500);
	ck_assert_ptr_null(find_key(&t, 1));
	ck_assert_uint_eq(t.used, 0);
	sources_free(&t);
}
END_TEST

START_TEST(sources_get_for_a_handler_keeps_the_rate_of_an_entry)
{
	const struct rate r = { 2, 1000 };
	struct sources t;
	struct source *s;

	ck_assert_int_eq(sources_init(&t, 10), 0);
	/* Made for a handler, then used for a rate: it keeps the rate. */
	s = get_key(&t, 4, NULL, 0);
	ck_assert_ptr_null(s->rate);
	ck_assert(get_key(&t, 4, &r, 0) == s);
	ck_assert(s->rate == &r);
	ck_assert(get_key(&t, 4, NULL, 0) == s);
	ck_assert(s->rate == &r);
	ck_assert(bucket_take(&s->bucket, &r, 0));
	sources_release(&t, s, 0);
	ck_assert(find_key(&t, 4) == s);
	sources_release(&t, s, 500);
	ck_assert_ptr_null(find_key(&t, 4));
	sources_free(&t);
}
END_TEST

START_TEST(sources_refuses_rate_only_entries_once_half_full)
{
	const struct rate r = { 1, 1000 };
	struct sources t;
	struct source *s, *h;
	unsigned i, half;

	ck_assert_int_eq(sources_init(&t, 1), 0);
	half = (unsigned)(t.cap / 2);
	for (i = 0; i < half; i++) {
		s = get_key(&t, i, &r, 0);
		if (s == NULL)
			ck_abort_msg("entry %u of %u refused", i, half);
		s->bucket.primed = true; /* empty: as if it just took one */
	}
	ck_assert_uint_eq(t.used, half);

	/* Full, and swept too recently (or with nothing to drop). */
	ck_assert_ptr_null(get_key(&t, half, &r, 0));
	ck_assert_ptr_null(get_key(&t, half, &r, 99));
	ck_assert_ptr_null(get_key(&t, half, &r, 100));
	ck_assert_ptr_null(get_key(&t, half, &r, 150));
	ck_assert_uint_eq(t.used, half);
	/* An existing entry is still returned. */
	ck_assert_ptr_nonnull(get_key(&t, 7, &r, 150));

	/* A handler always gets its entry. */
	h = get_key(&t, half + 1, NULL, 150);
	ck_assert_ptr_nonnull(h);
	h->active = 1;
	ck_assert_uint_eq(t.used, half + 1);

	/* Once the buckets are full again, a sweep frees the table. */
	s = get_key(&t, half, &r, 1100);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(t.used, 2);
	ck_assert(find_key(&t, half + 1) == h);
	ck_assert_ptr_null(find_key(&t, 0));
	sources_free(&t);
}
END_TEST

START_TEST(sources_always_has_room_for_handlers)
{
	struct sources t;
	struct source *s;
	unsigned i, n;

	ck_assert_int_eq(sources_init(&t, 1), 0);
	n = (unsigned)(t.cap / 2 + 1000);
	for (i = 0; i < n; i++) {
		s = get_key(&t, i, NULL, 0);
		if (s == NULL)
			ck_abort_msg("handler entry %u refused", i);
		s->active = 1;
	}
	ck_assert_uint_eq(t.used, n);
	for (i = 0; i < n; i++)
		if (!found(&t, i))
			ck_abort_msg("key %u lost", i);
	sources_free(&t);
}
END_TEST

/* ---- admission ---- */

struct fixture {
	struct config cfg;
	struct service svc[2];
	struct admit a;
};

static void
fixture_init(struct fixture *f, size_t nservices)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < nservices; i++) {
		snprintf(f->svc[i].name, sizeof(f->svc[i].name), "svc%zu", i);
		keys_init_service(&f->svc[i]);
	}
	f->cfg.services = f->svc;
	f->cfg.nservices = nservices;
	f->cfg.max_children = MAX_CHILDREN_DEFAULT;
}

static void
fixture_start(struct fixture *f)
{
	ck_assert_int_eq(admit_init(&f->a, &f->cfg), 0);
}

static struct admission
connect_from(struct fixture *f, size_t s, const char *ip, long long now)
{
	struct sockaddr_storage ss = peer_of(ip);

	return admit_connection(&f->a, s, (const struct sockaddr *)(void *)&ss,
	    now);
}

static void
expect_refused(struct fixture *f, size_t s, const char *ip, long long now,
    enum refusal why)
{
	struct admission ad = connect_from(f, s, ip, now);

	ck_assert_msg(!ad.ok, "%s at %lld admitted, expected reason=%s", ip,
	    now, admit_reason[why]);
	ck_assert_msg(ad.why == why,
	    "%s at %lld refused with reason=%s, not %s", ip, now,
	    admit_reason[ad.why], admit_reason[why]);
}

static struct cidr
expect_admitted(struct fixture *f, size_t s, const char *ip, long long now)
{
	struct admission ad = connect_from(f, s, ip, now);

	ck_assert_msg(ad.ok, "%s at %lld refused with reason=%s", ip, now,
	    admit_reason[ad.why]);
	return ad.source;
}

/* Admits ip and starts its handler; running is what admit_started must
 * return (the handler's TCPCONCURRENCY). */
static struct cidr
expect_started(struct fixture *f, size_t s, const char *ip, long long now,
    unsigned long running)
{
	struct cidr src = expect_admitted(f, s, ip, now);
	unsigned long n = admit_started(&f->a, s, &src, now);

	ck_assert_msg(n == running, "%s: %lu running from its source, not %lu",
	    ip, n, running);
	return src;
}

START_TEST(admit_limits_each_ipv6_source_by_its_prefix)
{
	struct fixture f;
	struct cidr first;

	fixture_init(&f, 1);
	f.svc[0].max_per_source = 1;
	f.svc[0].source_prefix_v6 = 64;
	fixture_start(&f);

	first = expect_started(&f, 0, "2001:db8::1", 0, 1);
	expect_cidr(&first, "2001:db8::/64");
	expect_refused(&f, 0, "2001:db8::2", 0, REFUSE_PER_SOURCE);
	expect_refused(&f, 0, "2001:db8::ffff:ffff:ffff:ffff", 0,
	    REFUSE_PER_SOURCE);
	expect_started(&f, 0, "2001:db8:0:1::1", 0, 1);

	admit_ended(&f.a, 0, &first, 10);
	expect_started(&f, 0, "2001:db8::2", 10, 1);
	expect_refused(&f, 0, "2001:db8::1", 10, REFUSE_PER_SOURCE);
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_REFUSED + REFUSE_PER_SOURCE),
	    3);
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_ACCEPTED), 3);
	ck_assert_uint_eq(admit_active(&f.a, 0), 2);
	admit_free(&f.a);
}
END_TEST

START_TEST(admit_counts_an_ipv4_mapped_peer_as_its_ipv4_address)
{
	struct fixture f;
	struct cidr src;
	struct admission ad;

	fixture_init(&f, 1);
	f.svc[0].max_per_source = 1;
	fixture_start(&f);

	src = expect_started(&f, 0, "192.0.2.1", 0, 1);
	expect_cidr(&src, "192.0.2.1/32");
	expect_refused(&f, 0, "::ffff:192.0.2.1", 0, REFUSE_PER_SOURCE);
	admit_ended(&f.a, 0, &src, 1);

	ad = connect_from(&f, 0, "::ffff:192.0.2.1", 1);
	ck_assert(ad.ok);
	ck_assert_int_eq(ad.source.family, AF_INET);
	expect_cidr(&ad.source, "192.0.2.1/32");
	ck_assert_uint_eq(admit_started(&f.a, 0, &ad.source, 1), 1);
	expect_refused(&f, 0, "192.0.2.1", 1, REFUSE_PER_SOURCE);
	expect_started(&f, 0, "192.0.2.2", 1, 1);
	admit_free(&f.a);
}
END_TEST

START_TEST(admit_truncates_ipv4_sources_to_source_prefix_v4)
{
	struct fixture f;
	struct cidr src;

	fixture_init(&f, 1);
	f.svc[0].source_prefix_v4 = 24;
	fixture_start(&f);

	src = expect_started(&f, 0, "198.51.100.7", 0, 1);
	expect_cidr(&src, "198.51.100.0/24");
	expect_started(&f, 0, "198.51.100.200", 0, 2);
	expect_started(&f, 0, "::ffff:198.51.100.9", 0, 3);
	expect_started(&f, 0, "198.51.101.1", 0, 1);
	admit_free(&f.a);
}
END_TEST

START_TEST(admit_started_returns_the_running_count_for_the_source)
{
	struct fixture f;
	struct cidr a, b;

	fixture_init(&f, 2);
	fixture_start(&f);

	a = expect_started(&f, 0, "192.0.2.1", 0, 1);
	expect_started(&f, 0, "192.0.2.1", 0, 2);
	expect_started(&f, 0, "192.0.2.1", 0, 3);
	b = expect_started(&f, 0, "2001:db8::1", 0, 1);
	/* Sources are per service. */
	expect_started(&f, 1, "192.0.2.1", 0, 1);
	admit_ended(&f.a, 0, &a, 1);
	expect_started(&f, 0, "192.0.2.1", 1, 3);
	expect_started(&f, 0, "2001:db8::2", 1, 2);
	(void)b;
	ck_assert_uint_eq(admit_total(&f.a), 6);
	ck_assert_uint_eq(admit_active(&f.a, 0), 5);
	ck_assert_uint_eq(admit_active(&f.a, 1), 1);
	admit_free(&f.a);
}
END_TEST

START_TEST(admit_refuses_with_max_exactly_past_max_connections)
{
	struct fixture f;
	struct cidr src[3];
	long long wake = 0;
	int i;

	fixture_init(&f, 1);
	f.svc[0].max_connections = 3;
	f.svc[0].on_max = OVERLOAD_REJECT;
	fixture_start(&f);

	for (i = 0; i < 3; i++) {
		ck_assert(admit_open(&f.a, 0, 0, &wake));
		src[i] =
		    expect_started(&f, 0, "192.0.2.1", 0, (unsigned long)i + 1);
	}
	ck_assert(admit_full(&f.a, 0));
	/* reject: keep accepting, so the refusal can be sent. */
	ck_assert(admit_open(&f.a, 0, 0, &wake));
	expect_refused(&f, 0, "192.0.2.1", 0, REFUSE_MAX);
	expect_refused(&f, 0, "192.0.2.2", 0, REFUSE_MAX);
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_REFUSED + REFUSE_MAX), 2);

	admit_ended(&f.a, 0, &src[0], 5);
	ck_assert(!admit_full(&f.a, 0));
	expect_started(&f, 0, "192.0.2.2", 5, 1);
	expect_refused(&f, 0, "192.0.2.3", 5, REFUSE_MAX);
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_REFUSED + REFUSE_MAX), 3);
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_ACCEPTED), 4);
	ck_assert_int_eq(wake, 0);
	admit_free(&f.a);
}
END_TEST

START_TEST(admit_open_defers_at_max_connections_until_one_ends)
{
	struct fixture f;
	struct cidr a, b;
	long long wake = 0;

	fixture_init(&f, 2);
	f.svc[0].max_connections = 2;
	fixture_start(&f);

	ck_assert_int_eq(f.svc[0].on_max, OVERLOAD_DEFER);
	a = expect_started(&f, 0, "192.0.2.1", 0, 1);
	ck_assert(admit_open(&f.a, 0, 0, &wake));
	b = expect_started(&f, 0, "192.0.2.2", 0, 1);
	ck_assert(!admit_open(&f.a, 0, 0, &wake));
	ck_assert(admit_open(&f.a, 1, 0, &wake)); /* the other service */
	/* A connection accepted anyway is still refused. */
	expect_refused(&f, 0, "192.0.2.3", 0, REFUSE_MAX);

	admit_ended(&f.a, 0, &a, 3);
	ck_assert(admit_open(&f.a, 0, 3, &wake));
	expect_started(&f, 0, "192.0.2.3", 3, 1);
	ck_assert(!admit_open(&f.a, 0, 3, &wake));
	admit_ended(&f.a, 0, &b, 4);
	ck_assert(admit_open(&f.a, 0, 4, &wake));
	ck_assert_int_eq(wake, 0);
	admit_free(&f.a);
}
END_TEST

START_TEST(admit_enforces_max_children_across_services)
{
	struct fixture f;
	struct cidr a;
	long long wake = 0;

	fixture_init(&f, 2);
	f.cfg.max_children = 3;
	fixture_start(&f);

	a = expect_started(&f, 0, "192.0.2.1", 0, 1);
	expect_started(&f, 1, "192.0.2.2", 0, 1);
	ck_assert(admit_open(&f.a, 0, 0, &wake));
	expect_started(&f, 1, "192.0.2.3", 0, 1);
	ck_assert(admit_all_full(&f.a));
	ck_assert(!admit_open(&f.a, 0, 0, &wake));
	ck_assert(!admit_open(&f.a, 1, 0, &wake));
	expect_refused(&f, 0, "192.0.2.4", 0, REFUSE_MAX);
	expect_refused(&f, 1, "192.0.2.4", 0, REFUSE_MAX);
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_REFUSED + REFUSE_MAX), 1);
	ck_assert_uint_eq(admit_stat(&f.a, 1, STAT_REFUSED + REFUSE_MAX), 1);

	admit_ended(&f.a, 0, &a, 1);
	ck_assert(!admit_all_full(&f.a));
	ck_assert(admit_open(&f.a, 1, 1, &wake));
	expect_started(&f, 1, "192.0.2.4", 1, 1);
	ck_assert(!admit_open(&f.a, 0, 1, &wake));
	ck_assert_uint_eq(admit_total(&f.a), 3);
	admit_free(&f.a);
}
END_TEST

START_TEST(admit_refuses_a_denied_peer_with_acl)
{
	struct fixture f;
	struct cidr allow[1], deny[2];
	struct sockaddr_un sun;
	struct admission ad;

	fixture_init(&f, 1);
	allow[0] = cidr_of("10.0.0.0/8");
	deny[0] = cidr_of("10.1.0.0/16");
	deny[1] = cidr_of("2001:db8::/32");
	f.svc[0].allow = allow;
	f.svc[0].nallow = 1;
	f.svc[0].deny = deny;
	f.svc[0].ndeny = 2;
	fixture_start(&f);

	expect_started(&f, 0, "10.0.0.1", 0, 1);
	expect_started(&f, 0, "::ffff:10.2.0.1", 0, 1);
	expect_refused(&f, 0, "10.1.0.1", 0, REFUSE_ACL);
	expect_refused(&f, 0, "::ffff:10.1.0.1", 0, REFUSE_ACL);
	expect_refused(&f, 0, "192.0.2.1", 0, REFUSE_ACL);
	expect_refused(&f, 0, "2001:db8::1", 0, REFUSE_ACL);
	expect_refused(&f, 0, "2001:db9::1", 0, REFUSE_ACL);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ad =
	    admit_connection(&f.a, 0, (const struct sockaddr *)(void *)&sun, 0);
	ck_assert(!ad.ok);
	ck_assert_int_eq(ad.why, REFUSE_ACL);
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_REFUSED + REFUSE_ACL), 6);
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_ACCEPTED), 2);
	admit_free(&f.a);
}
END_TEST

START_TEST(admit_refuses_past_the_service_rate_and_admits_again_later)
{
	struct fixture f;
	long long wake = 0;

	fixture_init(&f, 2);
	f.svc[0].rate = (struct rate){ 3, 1000 };
	fixture_start(&f);

	ck_assert_int_eq(f.svc[0].on_rate, OVERLOAD_REJECT);
	expect_admitted(&f, 0, "192.0.2.1", 0);
	expect_admitted(&f, 0, "192.0.2.2", 0);
	expect_admitted(&f, 0, "2001:db8::3", 0);
	expect_refused(&f, 0, "192.0.2.4", 0, REFUSE_RATE);
	ck_assert(admit_rate_limited(&f.a, 0));
	/* reject: the listener stays open so refusals are counted. */
	ck_assert(admit_open(&f.a, 0, 0, &wake));
	ck_assert_int_eq(wake, 0);
	/* Other services have their own rate. */
	expect_admitted(&f, 1, "192.0.2.4", 0);

	expect_refused(&f, 0, "192.0.2.4", 333, REFUSE_RATE);
	expect_admitted(&f, 0, "192.0.2.4", 334);
	/* The episode lasts until the bucket is full again. */
	ck_assert(admit_rate_limited(&f.a, 0));
	expect_refused(&f, 0, "192.0.2.5", 334, REFUSE_RATE);
	expect_admitted(&f, 0, "192.0.2.5", 1334);
	ck_assert(!admit_rate_limited(&f.a, 0));
	expect_admitted(&f, 0, "192.0.2.6", 1334);
	expect_admitted(&f, 0, "192.0.2.7", 1334);
	ck_assert(!admit_rate_limited(&f.a, 0));
	expect_refused(&f, 0, "192.0.2.8", 1334, REFUSE_RATE);
	ck_assert(admit_rate_limited(&f.a, 0));
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_REFUSED + REFUSE_RATE), 4);
	ck_assert_uint_eq(admit_stat(&f.a, 1, STAT_REFUSED + REFUSE_RATE), 0);
	admit_free(&f.a);
}
END_TEST

START_TEST(admit_limits_the_rate_of_each_source_separately)
{
	struct fixture f;

	fixture_init(&f, 1);
	f.svc[0].rate_per_source = (struct rate){ 2, 1000 };
	fixture_start(&f);

	expect_admitted(&f, 0, "192.0.2.1", 0);
	expect_admitted(&f, 0, "192.0.2.1", 0);
	expect_refused(&f, 0, "192.0.2.1", 0, REFUSE_RATE);
	expect_refused(&f, 0, "::ffff:192.0.2.1", 0, REFUSE_RATE);
	expect_admitted(&f, 0, "192.0.2.2", 0);
	expect_admitted(&f, 0, "2001:db8::1", 0);
	/* The same /64. */
	expect_admitted(&f, 0, "2001:db8::2", 0);
	expect_refused(&f, 0, "2001:db8::3", 0, REFUSE_RATE);
	expect_admitted(&f, 0, "2001:db8:0:1::1", 0);

	expect_refused(&f, 0, "192.0.2.1", 250, REFUSE_RATE);
	expect_admitted(&f, 0, "192.0.2.1", 500);
	expect_refused(&f, 0, "192.0.2.1", 500, REFUSE_RATE);
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_REFUSED + REFUSE_RATE), 5);
	/* The service itself is not rate limited. */
	ck_assert(!admit_rate_limited(&f.a, 0));
	admit_free(&f.a);
}
END_TEST

START_TEST(admit_a_source_over_its_rate_leaves_the_service_tokens_alone)
{
	struct fixture f;

	fixture_init(&f, 1);
	f.svc[0].rate = (struct rate){ 2, 1000 };
	f.svc[0].rate_per_source = (struct rate){ 1, 1000 };
	fixture_start(&f);

	expect_admitted(&f, 0, "192.0.2.1", 0);
	expect_refused(&f, 0, "192.0.2.1", 0, REFUSE_RATE);
	expect_refused(&f, 0, "192.0.2.1", 0, REFUSE_RATE);
	/* The service's second token is still there for another client. */
	expect_admitted(&f, 0, "192.0.2.2", 0);
	expect_refused(&f, 0, "192.0.2.3", 0, REFUSE_RATE);
	admit_free(&f.a);
}
END_TEST

START_TEST(admit_drops_a_source_once_its_bucket_is_full_again)
{
	struct fixture f;
	struct cidr src;

	fixture_init(&f, 1);
	f.svc[0].rate_per_source = (struct rate){ 2, 1000 };
	fixture_start(&f);

	src = expect_started(&f, 0, "192.0.2.1", 0, 1);
	admit_ended(&f.a, 0, &src, 100);
	/* Tokens still owed: the entry stays. */
	ck_assert_ptr_nonnull(sources_find(&f.a.sources, 0, &src));
	src = expect_started(&f, 0, "192.0.2.1", 100, 1);
	admit_ended(&f.a, 0, &src, 2000);
	ck_assert_ptr_null(sources_find(&f.a.sources, 0, &src));
	ck_assert_uint_eq(f.a.sources.used, 0);
	admit_free(&f.a);
}
END_TEST

START_TEST(admit_open_defers_for_rate_and_says_when_to_wake)
{
	struct fixture f;
	long long wake = 0;

	fixture_init(&f, 1);
	f.svc[0].rate = (struct rate){ 2, 1000 };
	f.svc[0].on_rate = OVERLOAD_DEFER;
	fixture_start(&f);

	ck_assert(admit_open(&f.a, 0, 0, &wake));
	expect_admitted(&f, 0, "192.0.2.1", 0);
	ck_assert(admit_open(&f.a, 0, 0, &wake));
	expect_admitted(&f, 0, "192.0.2.1", 0);
	ck_assert_int_eq(wake, 0);
	ck_assert(!admit_open(&f.a, 0, 0, &wake));
	ck_assert_msg(wake == 500 || wake == 501, "wake at %lld", wake);
	ck_assert(admit_rate_limited(&f.a, 0));

	/* An earlier wake-up already asked for is kept; a later one is
	 * brought forward. */
	wake = 100;
	ck_assert(!admit_open(&f.a, 0, 0, &wake));
	ck_assert_int_eq(wake, 100);
	wake = 10000;
	ck_assert(!admit_open(&f.a, 0, 0, &wake));
	ck_assert_msg(wake == 500 || wake == 501, "wake at %lld", wake);

	ck_assert(!admit_open(&f.a, 0, 499, &wake));
	ck_assert(admit_open(&f.a, 0, wake, &wake));
	expect_admitted(&f, 0, "192.0.2.1", 501);
	/* Limited until the bucket is full again. */
	ck_assert(admit_rate_limited(&f.a, 0));
	ck_assert(admit_open(&f.a, 0, 5000, &wake));
	ck_assert(!admit_rate_limited(&f.a, 0));
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_REFUSED + REFUSE_RATE), 0);
	admit_free(&f.a);
}
END_TEST

START_TEST(admit_open_ignores_the_bucket_when_rate_rejects)
{
	struct fixture f;
	long long wake = 0;

	fixture_init(&f, 1);
	f.svc[0].rate = (struct rate){ 1, 1000 };
	fixture_start(&f);

	expect_admitted(&f, 0, "192.0.2.1", 0);
	ck_assert(admit_open(&f.a, 0, 0, &wake));
	ck_assert_int_eq(wake, 0);
	admit_free(&f.a);
}
END_TEST

START_TEST(admit_counts_accepted_and_refused_exactly)
{
	struct fixture f;
	struct cidr deny[1], src;
	int i;

	fixture_init(&f, 2);
	deny[0] = cidr_of("203.0.113.0/24");
	f.svc[0].deny = deny;
	f.svc[0].ndeny = 1;
	f.svc[0].max_connections = 4;
	f.svc[0].max_per_source = 2;
	f.svc[0].rate = (struct rate){ 10, 1000 };
	fixture_start(&f);

	src = expect_started(&f, 0, "192.0.2.1", 0, 1);
	expect_started(&f, 0, "192.0.2.1", 0, 2);
	expect_refused(&f, 0, "192.0.2.1", 0, REFUSE_PER_SOURCE);
	expect_refused(&f, 0, "203.0.113.5", 0, REFUSE_ACL);
	expect_started(&f, 0, "192.0.2.2", 0, 1);
	expect_started(&f, 0, "192.0.2.3", 0, 1);
	expect_refused(&f, 0, "192.0.2.4", 0, REFUSE_MAX);
	for (i = 0; i < 4; i++) /* 6 of 10 tokens taken so far */
		expect_refused(&f, 0, "192.0.2.4", 0, REFUSE_MAX);
	expect_refused(&f, 0, "192.0.2.4", 0, REFUSE_RATE);
	admit_fork_failed(&f.a, 0, &src, 1);

	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_ACCEPTED), 3);
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_REFUSED + REFUSE_MAX), 5);
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_REFUSED + REFUSE_PER_SOURCE),
	    1);
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_REFUSED + REFUSE_RATE), 1);
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_REFUSED + REFUSE_ACL), 1);
	ck_assert_uint_eq(admit_stat(&f.a, 0,
	                      STAT_REFUSED + REFUSE_FORK_FAILED),
	    1);
	ck_assert_uint_eq(admit_active(&f.a, 0), 3);
	ck_assert_uint_eq(admit_stat(&f.a, 1, STAT_ACCEPTED), 0);
	for (i = 0; i < REFUSALS; i++)
		ck_assert_uint_eq(admit_stat(&f.a, 1, STAT_REFUSED + i), 0);
	admit_log_stats(&f.a);
	admit_free(&f.a);
}
END_TEST

START_TEST(admit_fork_failed_undoes_admit_started)
{
	struct fixture f;
	struct cidr src, other;
	long long wake = 0;

	fixture_init(&f, 1);
	f.cfg.max_children = 1;
	f.svc[0].max_per_source = 1;
	fixture_start(&f);

	src = expect_started(&f, 0, "2001:db8::1", 0, 1);
	ck_assert(!admit_open(&f.a, 0, 0, &wake));
	admit_fork_failed(&f.a, 0, &src, 0);

	ck_assert_uint_eq(admit_active(&f.a, 0), 0);
	ck_assert_uint_eq(admit_total(&f.a), 0);
	ck_assert(!admit_all_full(&f.a));
	ck_assert(!admit_full(&f.a, 0));
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_ACCEPTED), 0);
	ck_assert_uint_eq(admit_stat(&f.a, 0,
	                      STAT_REFUSED + REFUSE_FORK_FAILED),
	    1);
	ck_assert_ptr_null(sources_find(&f.a.sources, 0, &src));
	ck_assert_uint_eq(f.a.sources.used, 0);
	ck_assert(admit_open(&f.a, 0, 0, &wake));
	/* The same source may try again at once. */
	other = expect_started(&f, 0, "2001:db8::1", 0, 1);
	ck_assert(memcmp(&other, &src, sizeof(src)) == 0);
	ck_assert_uint_eq(admit_stat(&f.a, 0, STAT_ACCEPTED), 1);
	admit_free(&f.a);
}
END_TEST

START_TEST(admit_forgets_a_source_when_its_last_handler_ends)
{
	struct fixture f;
	struct cidr a, b;

	fixture_init(&f, 1);
	fixture_start(&f);

	a = expect_started(&f, 0, "192.0.2.1", 0, 1);
	b = expect_started(&f, 0, "192.0.2.1", 0, 2);
	ck_assert_uint_eq(f.a.sources.used, 1);
	admit_ended(&f.a, 0, &a, 1);
	ck_assert_uint_eq(f.a.sources.used, 1);
	admit_ended(&f.a, 0, &b, 2);
	ck_assert_uint_eq(f.a.sources.used, 0);
	ck_assert_uint_eq(admit_total(&f.a), 0);
	admit_free(&f.a);
}
END_TEST

static Suite *
make_limits_suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc;

	tc = tcase_create("cidr");
	tcase_add_test(tc, cidr_parses_ipv4_and_ipv6_prefixes);
	tcase_add_test(tc, cidr_reads_a_bare_address_as_a_full_length_prefix);
	tcase_add_test(tc, cidr_accepts_a_zero_length_prefix);
	tcase_add_test(tc, cidr_rejects_a_prefix_length_out_of_range);
	tcase_add_test(tc, cidr_rejects_text_that_is_not_an_address);
	tcase_add_test(tc, cidr_rejects_host_bits_and_suggests_the_network);
	tcase_add_test(tc,
	    cidr_rejects_an_ipv4_mapped_prefix_that_could_never_match);
	tcase_add_test(tc, cidr_parse_leaves_why_alone_on_success);
	tcase_add_test(tc, cidr_from_sockaddr_reads_an_ipv4_peer);
	tcase_add_test(tc, cidr_from_sockaddr_reads_an_ipv6_peer);
	tcase_add_test(tc,
	    cidr_from_sockaddr_turns_an_ipv4_mapped_peer_into_ipv4);
	tcase_add_test(tc, cidr_from_sockaddr_rejects_a_unix_socket_peer);
	tcase_add_test(tc, cidr_truncate_clears_every_bit_past_the_prefix);
	tcase_add_test(tc,
	    cidr_truncate_never_touches_the_unused_bytes_of_ipv4);
	tcase_add_test(tc, cidr_contains_splits_at_non_byte_boundaries);
	tcase_add_test(tc, cidr_contains_never_matches_across_families);
	suite_add_tcase(s, tc);

	tc = tcase_create("acl");
	tcase_add_test(tc, cidr_allowed_lets_everyone_in_without_lists);
	tcase_add_test(tc,
	    cidr_allowed_with_only_an_allow_list_denies_the_rest);
	tcase_add_test(tc, cidr_allowed_with_only_a_deny_list_allows_the_rest);
	tcase_add_test(tc, cidr_allowed_longest_deny_inside_an_allow_wins);
	tcase_add_test(tc, cidr_allowed_longest_allow_inside_a_deny_wins);
	tcase_add_test(tc, cidr_allowed_order_of_the_lists_does_not_matter);
	tcase_add_test(tc, cidr_allowed_a_tie_goes_to_deny);
	tcase_add_test(tc, cidr_allowed_ipv6_lists_do_not_match_ipv4_peers);
	suite_add_tcase(s, tc);

	tc = tcase_create("bucket");
	tcase_add_test(tc, bucket_starts_with_n_tokens_and_refuses_the_next);
	tcase_add_test(tc, bucket_refills_one_token_per_interval);
	tcase_add_test(tc, bucket_never_holds_more_than_n);
	tcase_add_test(tc, bucket_ready_at_is_now_while_a_token_is_left);
	tcase_add_test(tc, bucket_ready_at_is_exact);
	tcase_add_test(tc, bucket_ready_at_does_not_change_the_bucket);
	tcase_add_test(tc, bucket_full_only_once_every_token_is_back);
	suite_add_tcase(s, tc);

	tc = tcase_create("sources");
	/* Millions of lookups: seconds under the sanitizers. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sources_finds_every_entry_through_random_deletions);
	tcase_add_test(tc,
	    sources_backward_shift_keeps_a_dense_table_consistent);
	tcase_add_test(tc,
	    sources_release_keeps_an_entry_with_handlers_or_owed_tokens);
	tcase_add_test(tc,
	    sources_get_for_a_handler_keeps_the_rate_of_an_entry);
	tcase_add_test(tc, sources_refuses_rate_only_entries_once_half_full);
	tcase_add_test(tc, sources_always_has_room_for_handlers);
	suite_add_tcase(s, tc);

	tc = tcase_create("admit");
	tcase_add_test(tc, admit_limits_each_ipv6_source_by_its_prefix);
	tcase_add_test(tc,
	    admit_counts_an_ipv4_mapped_peer_as_its_ipv4_address);
	tcase_add_test(tc, admit_truncates_ipv4_sources_to_source_prefix_v4);
	tcase_add_test(tc,
	    admit_started_returns_the_running_count_for_the_source);
	tcase_add_test(tc, admit_refuses_with_max_exactly_past_max_connections);
	tcase_add_test(tc, admit_open_defers_at_max_connections_until_one_ends);
	tcase_add_test(tc, admit_enforces_max_children_across_services);
	tcase_add_test(tc, admit_refuses_a_denied_peer_with_acl);
	tcase_add_test(tc,
	    admit_refuses_past_the_service_rate_and_admits_again_later);
	tcase_add_test(tc, admit_limits_the_rate_of_each_source_separately);
	tcase_add_test(tc,
	    admit_a_source_over_its_rate_leaves_the_service_tokens_alone);
	tcase_add_test(tc, admit_drops_a_source_once_its_bucket_is_full_again);
	tcase_add_test(tc, admit_open_defers_for_rate_and_says_when_to_wake);
	tcase_add_test(tc, admit_open_ignores_the_bucket_when_rate_rejects);
	tcase_add_test(tc, admit_counts_accepted_and_refused_exactly);
	tcase_add_test(tc, admit_fork_failed_undoes_admit_started);
	tcase_add_test(tc, admit_forgets_a_source_when_its_last_handler_ends);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_limits_suite());
}
