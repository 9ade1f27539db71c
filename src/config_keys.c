/* Parsing each key's value.  Setters know nothing of files and lines:
 * they fill a struct or say what is wrong, and config.c adds where. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "config_keys.h"
#include "parse.h"

const char keys_service_list[] =
    "port, bind, exec, enabled, max_connections, on_max, reject_message, "
    "max_per_source, source_prefix_v4, source_prefix_v6, rate, "
    "rate_per_source, on_rate, allow, deny, max_duration, stop_timeout";
const char keys_supervisor_list[] = "shutdown_timeout, max_children";

/* The message for a failed parse_* call, by errno. */
static int
keys_bad(char *why, size_t whylen, const char *v, const char *what,
    const char *range)
{
	if (errno == ERANGE)
		snprintf(why, whylen, "\"%s\" is out of range (%s)", v, range);
	else
		snprintf(why, whylen, "\"%s\" is not %s", v, what);
	return -1;
}

static int
keys_ulong(const char *v, unsigned long min, unsigned long max,
    unsigned long *out, char *why, size_t whylen)
{
	char range[64];

	if (parse_ulong(v, min, max, out) == 0)
		return 0;
	snprintf(range, sizeof(range), "%lu-%lu", min, max);
	return keys_bad(why, whylen, v, "a whole number", range);
}

static int
keys_duration(const char *v, unsigned long max_ms, unsigned long *out,
    char *why, size_t whylen)
{
	if (parse_duration(v, max_ms, out) == 0)
		return 0;
	return keys_bad(why, whylen, v,
	    "a duration (a number and a unit: ms, s, m or h, e.g. 10s)",
	    max_ms == DURATION_MAX_MS ? "at most 24h" : "at most 1h");
}

static int
keys_overload(const char *v, enum overload *out, char *why, size_t whylen)
{
	if (strcmp(v, "defer") == 0)
		*out = OVERLOAD_DEFER;
	else if (strcmp(v, "reject") == 0)
		*out = OVERLOAD_REJECT;
	else {
		snprintf(why, whylen, "\"%s\" is not defer or reject", v);
		return -1;
	}
	return 0;
}

static int
keys_rate(const char *v, struct rate *out, char *why, size_t whylen)
{
	if (parse_rate(v, 1000000, out) == 0)
		return 0;
	return keys_bad(why, whylen, v,
	    "a rate (COUNT/DURATION, e.g. 50/1s or 600/1m; 0 for none)",
	    "count 1-1000000 per 1ms-1h");
}

/* ---- setters ---- */

static int
set_port(struct service *svc, const char *v, char *why, size_t whylen)
{
	unsigned long port;

	if (parse_ulong(v, 0, 65535, &port) == -1)
		return keys_bad(why, whylen, v, "a port number (0-65535)",
		    "0-65535");
	svc->port = (unsigned short)port;
	return 0;
}

static int
keys_parse_addr(const char *tok, struct bind_addr *ba)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ba->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&ba->ss;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t len = strlen(tok);

	memset(ba, 0, sizeof(*ba));
	if (inet_pton(AF_INET, tok, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		ba->len = sizeof(*sin);
		return 0;
	}
	/* Accept the bracketed form too, as in URLs: [::1]. */
	if (len > 2 && len < sizeof(buf) && tok[0] == '[' &&
	    tok[len - 1] == ']') {
		memcpy(buf, tok + 1, len - 2);
		buf[len - 2] = '\0';
		tok = buf;
	}
	if (inet_pton(AF_INET6, tok, &sin6->sin6_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	/* A v6-only socket cannot bind one; say so now, not at start. */
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	sin6->sin6_family = AF_INET6;
	ba->len = sizeof(*sin6);
	return 0;
}

int
keys_add_bind(struct service *svc, const char *tok, char *why, size_t whylen)
{
	struct bind_addr ba, *grown;
	size_t i;

	if (keys_parse_addr(tok, &ba) == -1) {
		snprintf(why, whylen,
		    errno == EAFNOSUPPORT
		        ? "\"%s\" is an IPv4-mapped address: write the IPv4 "
		          "address instead"
		        : "\"%s\" is not an IPv4 or IPv6 address",
		    tok);
		return -1;
	}
	for (i = 0; i < svc->nbinds; i++) {
		if (svc->binds[i].len == ba.len &&
		    memcmp(&svc->binds[i].ss, &ba.ss, ba.len) == 0) {
			snprintf(why, whylen, "\"%s\" is listed twice", tok);
			return -1;
		}
	}
	grown = realloc(svc->binds, (svc->nbinds + 1) * sizeof(*grown));
	if (grown == NULL) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	svc->binds = grown;
	svc->binds[svc->nbinds++] = ba;
	return 0;
}

/* Calls add for each item of a list separated by commas and/or blanks;
 * values are short, since lines are at most 197 bytes. */
static int
keys_each(struct service *svc, const char *v, char *why, size_t whylen,
    int (*add)(struct service *, const char *, char *, size_t))
{
	char buf[256];
	char *tok, *save;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ", \t", &save); tok != NULL;
	     tok = strtok_r(NULL, ", \t", &save), n++)
		if (add(svc, tok, why, whylen) == -1)
			return -1;
	if (n == 0) {
		snprintf(why, whylen, "no address given");
		return -1;
	}
	return 0;
}

static int
set_bind(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_each(svc, v, why, whylen, keys_add_bind);
}

static int
set_exec(struct service *svc, const char *v, char *why, size_t whylen)
{
	if (argv_split(v, &svc->argv, why, whylen) == -1)
		return -1;
	if (svc->argv[0][0] == '\0') {
		snprintf(why, whylen, "the program name is empty");
		return -1;
	}
	if ((svc->exec = strdup(v)) == NULL) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
set_enabled(struct service *svc, const char *v, char *why, size_t whylen)
{
	if (parse_bool(v, &svc->enabled) == 0)
		return 0;
	snprintf(why, whylen, "\"%s\" is not yes or no", v);
	return -1;
}

static int
set_max_connections(struct service *svc, const char *v, char *why,
    size_t whylen)
{
	return keys_ulong(v, 1, 65536, &svc->max_connections, why, whylen);
}

static int
set_on_max(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_overload(v, &svc->on_max, why, whylen);
}

static int
set_reject_message(struct service *svc, const char *v, char *why, size_t whylen)
{
	char buf[REJECT_MESSAGE_MAX + 1];

	if (parse_text(v, buf, sizeof(buf), &svc->reject_len) == -1) {
		snprintf(why, whylen,
		    errno == ERANGE
		        ? "longer than %d bytes"
		        : "unknown escape (use \\n, \\r, \\t or \\\\)",
		    REJECT_MESSAGE_MAX);
		return -1;
	}
	if ((svc->reject_message = malloc(svc->reject_len + 1)) == NULL) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	memcpy(svc->reject_message, buf, svc->reject_len + 1);
	return 0;
}

static int
set_max_per_source(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_ulong(v, 0, 65536, &svc->max_per_source, why, whylen);
}

static int
set_source_prefix_v4(struct service *svc, const char *v, char *why,
    size_t whylen)
{
	unsigned long n;

	if (keys_ulong(v, 8, 32, &n, why, whylen) == -1)
		return -1;
	svc->source_prefix_v4 = (unsigned)n;
	return 0;
}

static int
set_source_prefix_v6(struct service *svc, const char *v, char *why,
    size_t whylen)
{
	unsigned long n;

	if (keys_ulong(v, 16, 128, &n, why, whylen) == -1)
		return -1;
	svc->source_prefix_v6 = (unsigned)n;
	return 0;
}

static int
set_rate(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_rate(v, &svc->rate, why, whylen);
}

static int
set_rate_per_source(struct service *svc, const char *v, char *why,
    size_t whylen)
{
	return keys_rate(v, &svc->rate_per_source, why, whylen);
}

static int
set_on_rate(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_overload(v, &svc->on_rate, why, whylen);
}

static int
keys_add_cidr(struct cidr **list, size_t *n, const char *tok, char *why,
    size_t whylen)
{
	struct cidr c, *grown;

	if (cidr_parse(tok, &c, why, whylen) == -1)
		return -1;
	grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (grown == NULL) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	*list = grown;
	(*list)[(*n)++] = c;
	return 0;
}

static int
add_allow(struct service *svc, const char *tok, char *why, size_t whylen)
{
	return keys_add_cidr(&svc->allow, &svc->nallow, tok, why, whylen);
}

static int
add_deny(struct service *svc, const char *tok, char *why, size_t whylen)
{
	return keys_add_cidr(&svc->deny, &svc->ndeny, tok, why, whylen);
}

static int
set_allow(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_each(svc, v, why, whylen, add_allow);
}

static int
set_deny(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_each(svc, v, why, whylen, add_deny);
}

static int
set_max_duration(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_duration(v, DURATION_MAX_MS, &svc->max_duration_ms, why,
	    whylen);
}

static int
set_stop_timeout(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_duration(v, SHUTDOWN_TIMEOUT_MAX_MS, &svc->stop_timeout_ms,
	    why, whylen);
}

static const struct service_key_info service_keys[] = {
	{ "port", KEY_PORT, false, true, set_port },
	{ "bind", KEY_BIND, false, false, set_bind },
	{ "exec", KEY_EXEC, false, false, set_exec },
	{ "enabled", KEY_ENABLED, false, false, set_enabled },
	{ "max_connections", KEY_MAX_CONNECTIONS, false, false,
	    set_max_connections },
	{ "on_max", KEY_ON_MAX, false, false, set_on_max },
	{ "reject_message", KEY_REJECT_MESSAGE, false, false,
	    set_reject_message },
	{ "max_per_source", KEY_MAX_PER_SOURCE, false, false,
	    set_max_per_source },
	{ "source_prefix_v4", KEY_SOURCE_PREFIX_V4, false, false,
	    set_source_prefix_v4 },
	{ "source_prefix_v6", KEY_SOURCE_PREFIX_V6, false, false,
	    set_source_prefix_v6 },
	{ "rate", KEY_RATE, false, false, set_rate },
	{ "rate_per_source", KEY_RATE_PER_SOURCE, false, false,
	    set_rate_per_source },
	{ "on_rate", KEY_ON_RATE, false, false, set_on_rate },
	{ "allow", KEY_ALLOW, true, false, set_allow },
	{ "deny", KEY_DENY, true, false, set_deny },
	{ "max_duration", KEY_MAX_DURATION, false, false, set_max_duration },
	{ "stop_timeout", KEY_STOP_TIMEOUT, false, false, set_stop_timeout },
};

const struct service_key_info *
keys_find_service(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(service_keys) / sizeof(service_keys[0]); i++)
		if (strcmp(name, service_keys[i].name) == 0)
			return &service_keys[i];
	return NULL;
}

void
keys_init_service(struct service *svc)
{
	svc->enabled = true;
	svc->max_connections = MAX_CONNECTIONS_DEFAULT;
	svc->on_max = OVERLOAD_DEFER;
	svc->on_rate = OVERLOAD_REJECT;
	svc->source_prefix_v4 = 32;
	svc->source_prefix_v6 = 64;
	svc->stop_timeout_ms = STOP_TIMEOUT_DEFAULT_MS;
}

void
keys_free_service(struct service *svc)
{
	free(svc->binds);
	free(svc->argv);
	free(svc->exec);
	free(svc->path);
	free(svc->reject_message);
	free(svc->allow);
	free(svc->deny);
}

/* ---- [supervisor] ---- */

static const char *const supervisor_keys[SKEYS] = {
	[SKEY_SHUTDOWN_TIMEOUT] = "shutdown_timeout",
	[SKEY_MAX_CHILDREN] = "max_children",
};

int
keys_find_supervisor(const char *name)
{
	int k;

	for (k = 0; k < SKEYS; k++)
		if (strcmp(name, supervisor_keys[k]) == 0)
			return k;
	return -1;
}

int
keys_set_supervisor(struct config *cfg, int k, const char *value, char *why,
    size_t whylen)
{
	if (k == SKEY_SHUTDOWN_TIMEOUT)
		return keys_duration(value, SHUTDOWN_TIMEOUT_MAX_MS,
		    &cfg->shutdown_timeout_ms, why, whylen);
	return keys_ulong(value, 1, MAX_CHILDREN_MAX, &cfg->max_children, why,
	    whylen);
}
