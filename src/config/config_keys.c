/* Parsing each key's value.  Setters know nothing of files and lines:
 * they fill a struct or say what is wrong, and config.c adds where. */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "capname.h"
#include "config_keys.h"
#include "parse.h"
#include "wskeys.h"

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

/* v as one of words (NULL-terminated, in the order of the enum it
 * stands for): its index, or -1 with "\"v\" is not a, b or c" in why. */
static int
keys_choice(const char *v, const char *const *words, char *why, size_t whylen)
{
	size_t i, used;
	int n;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(v, words[i]) == 0)
			return (int)i;
	n = snprintf(why, whylen, "\"%s\" is not ", v);
	used = n > 0 ? (size_t)n : 0;
	for (i = 0; words[i] != NULL && used < whylen; i++) {
		n = snprintf(why + used, whylen - used, "%s%s",
		    i == 0                     ? ""
		        : words[i + 1] == NULL ? " or "
		                               : ", ",
		    words[i]);
		used += n > 0 ? (size_t)n : 0;
	}
	return -1;
}

static int
keys_overload(const char *v, enum overload *out, char *why, size_t whylen)
{
	static const char *const words[] = { [OVERLOAD_DEFER] = "defer",
		[OVERLOAD_REJECT] = "reject",
		NULL };
	int k = keys_choice(v, words, why, whylen);

	if (k == -1)
		return -1;
	*out = (enum overload)k;
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

static int
keys_oom(char *why, size_t whylen)
{
	snprintf(why, whylen, "%s", strerror(errno));
	return -1;
}

/* Appends s to *list, which then owns it; frees s on failure. */
static int
keys_adopt(char ***list, size_t *n, char *s, char *why, size_t whylen)
{
	char **grown;

	grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(s);
		return keys_oom(why, whylen);
	}
	*list = grown;
	(*list)[(*n)++] = s;
	return 0;
}

/* Appends a copy of s to *list. */
static int
keys_push(char ***list, size_t *n, const char *s, char *why, size_t whylen)
{
	char *copy;

	if ((copy = strdup(s)) == NULL)
		return keys_oom(why, whylen);
	return keys_adopt(list, n, copy, why, whylen);
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

int
keys_add_bind(struct service *svc, const char *tok, char *why, size_t whylen)
{
	struct bind_addr ba, *grown;
	size_t i;

	if (addr_parse(tok, &ba) == -1) {
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
 * values are short, since lines are at most 197 bytes.  An empty list is
 * an error saying empty. */
static int
keys_each(struct service *svc, const char *v, const char *empty, char *why,
    size_t whylen, int (*add)(struct service *, const char *, char *, size_t))
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
		snprintf(why, whylen, "%s", empty);
		return -1;
	}
	return 0;
}

static int
set_bind(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_each(svc, v, "no address given", why, whylen,
	    keys_add_bind);
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

/* Checked now, so a bad quote is reported on its own line; the words are
 * appended to exec's by keys_finish_service, whichever line comes first. */
static int
set_args(struct service *svc, const char *v, char *why, size_t whylen)
{
	char **words;
	int *lines;

	if (v[strspn(v, " \t")] == '\0') {
		snprintf(why, whylen,
		    "no words given (remove the line, or write '' for an "
		    "empty argument)");
		return -1;
	}
	if (argv_split(v, &words, why, whylen) == -1)
		return -1;
	free(words);
	lines = realloc(svc->args_line, (svc->nargs + 1) * sizeof(*lines));
	if (lines == NULL)
		return keys_oom(why, whylen);
	svc->args_line = lines;
	/* config.c records the line before it calls a setter. */
	lines[svc->nargs] = svc->key_line[KEY_ARGS];
	return keys_push(&svc->args, &svc->nargs, v, why, whylen);
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
set_stderr(struct service *svc, const char *v, char *why, size_t whylen)
{
	static const char *const words[] = { [STDERR_LOG] = "log",
		[STDERR_INHERIT] = "inherit",
		[STDERR_NULL] = "null",
		[STDERR_CLIENT] = "client",
		NULL };
	int k = keys_choice(v, words, why, whylen);

	if (k == -1)
		return -1;
	svc->stderr_to = (enum stderr_to)k;
	return 0;
}

/* A rate, or a bare count: that many lines a second. */
static int
set_stderr_rate(struct service *svc, const char *v, char *why, size_t whylen)
{
	unsigned long n;

	if (parse_ulong(v, 0, 1000000, &n) == 0) {
		svc->stderr_rate.n = n;
		svc->stderr_rate.per_ms = 1000;
		return 0;
	}
	return keys_rate(v, &svc->stderr_rate, why, whylen);
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
	return keys_each(svc, v, "no address given", why, whylen, add_allow);
}

static int
set_deny(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_each(svc, v, "no address given", why, whylen, add_deny);
}

/* off, v1, v2 or any: the versions as proxyhdr.h's bits. */
static int
set_proxy_protocol(struct service *svc, const char *v, char *why, size_t whylen)
{
	static const char *const words[] = { "off", "v1", "v2", "any", NULL };
	int k = keys_choice(v, words, why, whylen);

	if (k == -1)
		return -1;
	/* The words' indices are the bits: off 0, v1 1, v2 2, any 3. */
	svc->proxy_versions = (unsigned)k;
	return 0;
}

static int
add_proxy_from(struct service *svc, const char *tok, char *why, size_t whylen)
{
	return keys_add_cidr(&svc->proxy_from, &svc->nproxy_from, tok, why,
	    whylen);
}

static int
set_proxy_from(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_each(svc, v, "no address given", why, whylen,
	    add_proxy_from);
}

/* A timeout: a duration from 1ms to max_ms; what and range for the
 * message. */
static int
keys_timeout(const char *v, unsigned long max_ms, unsigned long *out,
    const char *what, const char *range, char *why, size_t whylen)
{
	if (parse_duration(v, max_ms, out) == 0 && *out > 0)
		return 0;
	if (errno != ERANGE)
		errno = EINVAL;
	return keys_bad(why, whylen, v, what, range);
}

static int
set_proxy_timeout(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_timeout(v, PROXY_TIMEOUT_MAX_MS, &svc->proxy_timeout_ms,
	    "a duration (a number and a unit: ms, s or m, e.g. 3s)", "1ms-60s",
	    why, whylen);
}

static int
set_reuse_port(struct service *svc, const char *v, char *why, size_t whylen)
{
	if (parse_bool(v, &svc->reuse_port) == 0)
		return 0;
	snprintf(why, whylen, "\"%s\" is not yes or no", v);
	return -1;
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

/* ---- privileges ---- */

/* The largest id: (uid_t)-1 means "no change" to setresuid. */
#define KEYS_ID_MAX 4294967294UL

static bool
keys_is_number(const char *v)
{
	return *v != '\0' && strspn(v, "0123456789") == strlen(v);
}

/* getpwnam and friends return NULL with errno 0 (or one of these, by the
 * man page's own admission) for "no such entry". */
static bool
keys_not_found(int err)
{
	return err == 0 || err == ENOENT || err == ESRCH || err == EBADF ||
	    err == EPERM;
}

static void
keys_login_free(struct service *svc)
{
	size_t i;

	for (i = 0; i < SERVICE_LOGIN_VARS; i++) {
		free(svc->login_env[i]);
		svc->login_env[i] = NULL;
	}
}

/* "NAME=value" into *slot, or NULL there and -1. */
static int
keys_login_one(char **slot, const char *name, const char *value)
{
	if (asprintf(slot, "%s=%s", name, value) == -1) {
		*slot = NULL; /* asprintf leaves it undefined */
		return -1;
	}
	return 0;
}

/* HOME, LOGNAME, SHELL and USER from pw, formatted now so that the child
 * only points at them.  An empty home or shell means "/" and /bin/sh,
 * as login(1) reads them. */
static int
keys_login_env(struct service *svc, const struct passwd *pw, char *why,
    size_t whylen)
{
	const char *home = *pw->pw_dir ? pw->pw_dir : "/";
	const char *shell = *pw->pw_shell ? pw->pw_shell : "/bin/sh";
	char **e = svc->login_env;

	keys_login_free(svc);
	if (keys_login_one(&e[LOGIN_HOME], "HOME", home) == -1 ||
	    keys_login_one(&e[LOGIN_LOGNAME], "LOGNAME", pw->pw_name) == -1 ||
	    keys_login_one(&e[LOGIN_SHELL], "SHELL", shell) == -1 ||
	    keys_login_one(&e[LOGIN_USER], "USER", pw->pw_name) == -1) {
		keys_oom(why, whylen);
		keys_login_free(svc);
		return -1;
	}
	return 0;
}

static int
set_user(struct service *svc, const char *v, char *why, size_t whylen)
{
	const struct passwd *pw;
	unsigned long n = 0;
	bool numeric = keys_is_number(v);

	if (numeric && parse_ulong(v, 0, KEYS_ID_MAX, &n) == -1)
		return keys_bad(why, whylen, v, "a user name or uid",
		    "0-4294967294");
	errno = 0;
	pw = numeric ? getpwuid((uid_t)n) : getpwnam(v);
	if (pw == NULL && !keys_not_found(errno)) {
		snprintf(why, whylen, "cannot look up \"%s\": %s", v,
		    strerror(errno));
		return -1;
	}
	if (pw == NULL && !numeric) {
		snprintf(why, whylen, "no such user \"%s\"", v);
		return -1;
	}
	svc->uid = pw != NULL ? pw->pw_uid : (uid_t)n;
	svc->user_known = pw != NULL;
	svc->user_gid = pw != NULL ? pw->pw_gid : 0;
	free(svc->user);
	if ((svc->user = strdup(pw != NULL ? pw->pw_name : v)) == NULL)
		return keys_oom(why, whylen);
	svc->user_set = true;
	if (pw == NULL) {
		keys_login_free(svc);
		return 0;
	}
	return keys_login_env(svc, pw, why, whylen);
}

/* A group name or gid; a gid need not be in the group database. */
static int
keys_gid(const char *v, gid_t *out, char *why, size_t whylen)
{
	const struct group *gr;
	unsigned long n;

	if (keys_is_number(v)) {
		if (parse_ulong(v, 0, KEYS_ID_MAX, &n) == -1)
			return keys_bad(why, whylen, v, "a group name or gid",
			    "0-4294967294");
		*out = (gid_t)n;
		return 0;
	}
	errno = 0;
	if ((gr = getgrnam(v)) == NULL) {
		if (keys_not_found(errno))
			snprintf(why, whylen, "no such group \"%s\"", v);
		else
			snprintf(why, whylen, "cannot look up \"%s\": %s", v,
			    strerror(errno));
		return -1;
	}
	*out = gr->gr_gid;
	return 0;
}

static int
set_group(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_gid(v, &svc->gid, why, whylen);
}

static int
add_group(struct service *svc, const char *tok, char *why, size_t whylen)
{
	gid_t gid, *grown;
	size_t i;

	if (keys_gid(tok, &gid, why, whylen) == -1)
		return -1;
	for (i = 0; i < svc->ngroups; i++) {
		if (svc->groups[i] == gid) {
			snprintf(why, whylen, "\"%s\" is listed twice", tok);
			return -1;
		}
	}
	grown = realloc(svc->groups, (svc->ngroups + 1) * sizeof(*grown));
	if (grown == NULL)
		return keys_oom(why, whylen);
	svc->groups = grown;
	svc->groups[svc->ngroups++] = gid;
	return 0;
}

static int
set_supplementary_groups(struct service *svc, const char *v, char *why,
    size_t whylen)
{
	if (strcmp(v, "user") == 0) {
		svc->groups_from = GROUPS_USER;
		return 0;
	}
	if (strcmp(v, "none") == 0) {
		svc->groups_from = GROUPS_NONE;
		return 0;
	}
	svc->groups_from = GROUPS_LIST;
	return keys_each(svc, v, "no group given (user, none, or a list)", why,
	    whylen, add_group);
}

/* ---- the socket and its kind ---- */

static int
set_socket(struct service *svc, const char *v, char *why, size_t whylen)
{
	static const char *const words[] = { "stream", "dgram", NULL };
	int k = keys_choice(v, words, why, whylen);

	if (k == -1)
		return -1;
	svc->sock_type = k == 0 ? SOCK_STREAM : SOCK_DGRAM;
	return 0;
}

static int
keys_yes_no(const char *v, bool *out, char *why, size_t whylen)
{
	if (parse_bool(v, out) == 0)
		return 0;
	snprintf(why, whylen, "\"%s\" is not yes or no", v);
	return -1;
}

static int
set_wait(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_yes_no(v, &svc->wait, why, whylen);
}

static int
set_listen_fds(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_yes_no(v, &svc->listen_fds, why, whylen);
}

/* Absolute, and printable without blanks: the path is the socket's
 * address in every log line and environment, unquoted. */
static int
set_path(struct service *svc, const char *v, char *why, size_t whylen)
{
	struct bind_addr ba;
	const unsigned char *p;

	if (v[0] != '/') {
		snprintf(why, whylen, "\"%s\" is not an absolute path", v);
		return -1;
	}
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f) {
			snprintf(why, whylen,
			    "\"%s\" contains a blank or a control character",
			    v);
			return -1;
		}
	}
	if (addr_parse_path(v, &ba) == -1) {
		snprintf(why, whylen,
		    "\"%s\" is longer than a unix socket's %zu bytes", v,
		    (size_t)ADDR_PATH_MAX);
		return -1;
	}
	free(svc->binds);
	if ((svc->binds = malloc(sizeof(*svc->binds))) == NULL) {
		svc->nbinds = 0;
		return keys_oom(why, whylen);
	}
	svc->binds[0] = ba;
	svc->nbinds = 1;
	svc->unix_socket = true;
	return 0;
}

static int
set_socket_mode(struct service *svc, const char *v, char *why, size_t whylen)
{
	unsigned long mode;

	if (parse_octal(v, 0777, &mode) == -1)
		return keys_bad(why, whylen, v, "an octal mode such as 0660",
		    "000-777");
	svc->socket_mode = (mode_t)mode;
	return 0;
}

/* A user name or uid; a uid need not be in the password database. */
static int
keys_uid(const char *v, uid_t *out, char *why, size_t whylen)
{
	const struct passwd *pw;
	unsigned long n;

	if (keys_is_number(v)) {
		if (parse_ulong(v, 0, KEYS_ID_MAX, &n) == -1)
			return keys_bad(why, whylen, v, "a user name or uid",
			    "0-4294967294");
		*out = (uid_t)n;
		return 0;
	}
	errno = 0;
	if ((pw = getpwnam(v)) == NULL) {
		if (keys_not_found(errno))
			snprintf(why, whylen, "no such user \"%s\"", v);
		else
			snprintf(why, whylen, "cannot look up \"%s\": %s", v,
			    strerror(errno));
		return -1;
	}
	*out = pw->pw_uid;
	return 0;
}

static int
set_socket_user(struct service *svc, const char *v, char *why, size_t whylen)
{
	if (keys_uid(v, &svc->socket_uid, why, whylen) == -1)
		return -1;
	svc->socket_uid_set = true;
	return 0;
}

static int
set_socket_group(struct service *svc, const char *v, char *why, size_t whylen)
{
	if (keys_gid(v, &svc->socket_gid, why, whylen) == -1)
		return -1;
	svc->socket_gid_set = true;
	return 0;
}

/* Appends id to *list unless it is there already (then an error naming
 * tok). */
static int
keys_add_id(unsigned **list, size_t *n, unsigned id, const char *tok, char *why,
    size_t whylen)
{
	unsigned *grown;
	size_t i;

	for (i = 0; i < *n; i++) {
		if ((*list)[i] == id) {
			snprintf(why, whylen, "\"%s\" is listed twice", tok);
			return -1;
		}
	}
	grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (grown == NULL)
		return keys_oom(why, whylen);
	*list = grown;
	(*list)[(*n)++] = id;
	return 0;
}

static int
add_allow_user(struct service *svc, const char *tok, char *why, size_t whylen)
{
	uid_t uid;

	if (keys_uid(tok, &uid, why, whylen) == -1)
		return -1;
	return keys_add_id(&svc->allow_uids, &svc->nallow_uids, uid, tok, why,
	    whylen);
}

static int
add_allow_group(struct service *svc, const char *tok, char *why, size_t whylen)
{
	gid_t gid;

	if (keys_gid(tok, &gid, why, whylen) == -1)
		return -1;
	return keys_add_id(&svc->allow_gids, &svc->nallow_gids, gid, tok, why,
	    whylen);
}

static int
set_allow_users(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_each(svc, v, "no user given", why, whylen, add_allow_user);
}

static int
set_allow_groups(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_each(svc, v, "no group given", why, whylen,
	    add_allow_group);
}

/* ---- the handler's world ---- */

/* A portable shell name: a letter or '_', then letters, digits, '_'. */
static bool
keys_env_name(const char *s, size_t len)
{
	static const char first[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
	size_t i;

	if (len == 0 || strchr(first, s[0]) == NULL)
		return false;
	for (i = 1; i < len; i++)
		if (strchr(first, s[i]) == NULL && (s[i] < '0' || s[i] > '9'))
			return false;
	return true;
}

/* The connection's own variables cannot be overridden: a handler must be
 * able to trust TCPREMOTEIP.  PATH can. */
static bool
keys_env_reserved(const char *s, size_t len)
{
	static const char *const prefixes[] = { "TCP", "UDP", "UNIX", "PROXY",
		"SUPERD_", "LISTEN_", "TLS_", NULL };
	/* A websocket service's relay sets these (CGI's names). */
	static const char *const names[] = { "PROTO", "REQUEST_URI",
		"QUERY_STRING", "HTTP_ORIGIN", "HTTP_USER_AGENT", NULL };
	size_t i, n;

	for (i = 0; names[i] != NULL; i++)
		if (len == strlen(names[i]) && strncmp(s, names[i], len) == 0)
			return true;
	for (i = 0; prefixes[i] != NULL; i++) {
		n = strlen(prefixes[i]);
		if (len >= n && strncmp(s, prefixes[i], n) == 0)
			return true;
	}
	return false;
}

static int
keys_env_check(const char *name, size_t len, char *why, size_t whylen)
{
	if (!keys_env_name(name, len)) {
		snprintf(why, whylen,
		    "\"%.*s\" is not a variable name (a letter or '_', then "
		    "letters, digits or '_'; no blanks around '=')",
		    (int)len, name);
		return -1;
	}
	if (keys_env_reserved(name, len)) {
		snprintf(why, whylen,
		    "\"%.*s\" is set by superd for each connection (PROTO, "
		    "TCP*, UDP*, UNIX*, PROXY*, TLS_*, LISTEN_*, SUPERD_*, "
		    "REQUEST_URI, QUERY_STRING, HTTP_ORIGIN and "
		    "HTTP_USER_AGENT are reserved)",
		    (int)len, name);
		return -1;
	}
	return 0;
}

/* The entry of list (of "NAME=value" or bare names) called name. */
static bool
keys_env_has(char *const *list, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strncmp(list[i], name, len) == 0 &&
		    (list[i][len] == '=' || list[i][len] == '\0'))
			return true;
	return false;
}

static int
keys_env_room(const struct service *svc, char *why, size_t whylen)
{
	if (svc->nenv + svc->npass_env < SERVICE_ENV_MAX)
		return 0;
	snprintf(why, whylen, "more than %d env and pass_env entries",
	    SERVICE_ENV_MAX);
	return -1;
}

static int
set_env(struct service *svc, const char *v, char *why, size_t whylen)
{
	const char *eq = strchr(v, '=');
	size_t len;

	if (eq == NULL) {
		snprintf(why, whylen, "\"%s\" is not NAME=value", v);
		return -1;
	}
	len = (size_t)(eq - v);
	if (keys_env_check(v, len, why, whylen) == -1)
		return -1;
	if (keys_env_has(svc->env, svc->nenv, v, len)) {
		snprintf(why, whylen, "\"%.*s\" is set twice", (int)len, v);
		return -1;
	}
	if (keys_env_room(svc, why, whylen) == -1)
		return -1;
	return keys_push(&svc->env, &svc->nenv, v, why, whylen);
}

static int
add_pass_env(struct service *svc, const char *tok, char *why, size_t whylen)
{
	size_t len = strlen(tok);

	if (keys_env_check(tok, len, why, whylen) == -1)
		return -1;
	if (keys_env_has(svc->pass_env, svc->npass_env, tok, len)) {
		snprintf(why, whylen, "\"%s\" is listed twice", tok);
		return -1;
	}
	if (keys_env_room(svc, why, whylen) == -1)
		return -1;
	return keys_push(&svc->pass_env, &svc->npass_env, tok, why, whylen);
}

static int
set_pass_env(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_each(svc, v, "no variable name given", why, whylen,
	    add_pass_env);
}

/* An absolute path to something that exists now, of type (S_IFDIR,
 * S_IFREG; 0: any), named what in the message. */
static int
keys_existing(const char *v, mode_t type, const char *what, char *why,
    size_t whylen)
{
	struct stat st;

	if (v[0] != '/') {
		snprintf(why, whylen, "\"%s\" is not an absolute path", v);
		return -1;
	}
	if (stat(v, &st) == -1) {
		snprintf(why, whylen, "\"%s\": %s", v, strerror(errno));
		return -1;
	}
	if (type != 0 && (st.st_mode & S_IFMT) != type) {
		snprintf(why, whylen, "\"%s\" is not %s", v, what);
		return -1;
	}
	return 0;
}

static int
set_workdir(struct service *svc, const char *v, char *why, size_t whylen)
{
	if (keys_existing(v, S_IFDIR, "a directory", why, whylen) == -1)
		return -1;
	free(svc->workdir);
	if ((svc->workdir = strdup(v)) == NULL)
		return keys_oom(why, whylen);
	return 0;
}

static int
set_umask(struct service *svc, const char *v, char *why, size_t whylen)
{
	unsigned long mask;

	if (parse_octal(v, 0777, &mask) == -1)
		return keys_bad(why, whylen, v, "an octal mode such as 022",
		    "000-777");
	svc->umask = (mode_t)mask;
	return 0;
}

static int
set_nice(struct service *svc, const char *v, char *why, size_t whylen)
{
	long n;

	if (parse_long(v, -20, 19, &n) == -1)
		return keys_bad(why, whylen, v, "a whole number", "-20-19");
	svc->nice = (int)n;
	svc->nice_set = true;
	return 0;
}

/* ---- resource limits ---- */

#define LIMIT_NPROC_MAX 4194304UL /* the kernel's PID_MAX_LIMIT */
/* 128T: the x86-64 user address space; bigger is "unlimited". */
#define LIMIT_SIZE_MAX                                                         \
	(ULONG_MAX < (1ULL << 47) ? ULONG_MAX : (unsigned long)(1ULL << 47))
#define LIMIT_NOFILE_MIN 3UL /* fds 0-2 are dup2'ed after the limit */

static void
keys_limit(struct service *svc, enum service_rlimit r, rlim_t value)
{
	svc->rlimit[r].set = true;
	svc->rlimit[r].value = value;
}

/* Linux refuses an RLIMIT_NOFILE above fs.nr_open, even to root, so
 * "unlimited" or more than that would fail in every child. */
static unsigned long
keys_nr_open(void)
{
	unsigned long n = 1048576; /* the kernel's default */
	char buf[32];
	FILE *fp = fopen("/proc/sys/fs/nr_open", "re");

	if (fp == NULL)
		return n;
	if (fgets(buf, sizeof(buf), fp) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		(void)parse_ulong(buf, LIMIT_NOFILE_MIN, ULONG_MAX, &n);
	}
	fclose(fp);
	return n;
}

static int
set_rlimit_nofile(struct service *svc, const char *v, char *why, size_t whylen)
{
	unsigned long n, max = keys_nr_open();

	if (strcmp(v, "unlimited") == 0) {
		snprintf(why, whylen,
		    "cannot be unlimited on Linux: at most fs.nr_open (%lu)",
		    max);
		return -1;
	}
	if (keys_ulong(v, LIMIT_NOFILE_MIN, max, &n, why, whylen) == -1)
		return -1;
	keys_limit(svc, SERVICE_RLIMIT_NOFILE, (rlim_t)n);
	return 0;
}

static int
set_rlimit_nproc(struct service *svc, const char *v, char *why, size_t whylen)
{
	unsigned long n;

	if (strcmp(v, "unlimited") == 0) {
		keys_limit(svc, SERVICE_RLIMIT_NPROC, RLIM_INFINITY);
		return 0;
	}
	if (parse_ulong(v, 1, LIMIT_NPROC_MAX, &n) == -1)
		return keys_bad(why, whylen, v, "a whole number or unlimited",
		    "1-4194304");
	keys_limit(svc, SERVICE_RLIMIT_NPROC, (rlim_t)n);
	return 0;
}

static int
keys_size_limit(struct service *svc, enum service_rlimit r, const char *v,
    unsigned long min, const char *range, char *why, size_t whylen)
{
	unsigned long n;

	if (strcmp(v, "unlimited") == 0) {
		keys_limit(svc, r, RLIM_INFINITY);
		return 0;
	}
	if (parse_size(v, min, LIMIT_SIZE_MAX, &n) == -1)
		return keys_bad(why, whylen, v,
		    "a size (a number and K, M, G or T, e.g. 512M) or "
		    "unlimited",
		    range);
	keys_limit(svc, r, (rlim_t)n);
	return 0;
}

static int
set_rlimit_as(struct service *svc, const char *v, char *why, size_t whylen)
{
	/* Below a megabyte not even a static handler gets through exec. */
	return keys_size_limit(svc, SERVICE_RLIMIT_AS, v, 1UL << 20, "1M-128T",
	    why, whylen);
}

static int
set_rlimit_core(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_size_limit(svc, SERVICE_RLIMIT_CORE, v, 0, "0-128T", why,
	    whylen);
}

static int
set_rlimit_cpu(struct service *svc, const char *v, char *why, size_t whylen)
{
	unsigned long ms;

	if (strcmp(v, "unlimited") == 0) {
		keys_limit(svc, SERVICE_RLIMIT_CPU, RLIM_INFINITY);
		return 0;
	}
	if (parse_duration(v, DURATION_MAX_MS, &ms) == -1)
		return keys_bad(why, whylen, v,
		    "a duration in seconds (e.g. 30s, 5m) or unlimited",
		    "1s-24h");
	/* The kernel counts whole seconds and reads 0 as 1. */
	if (ms == 0) {
		snprintf(why, whylen, "\"%s\" is out of range (1s-24h)", v);
		return -1;
	}
	if (ms % 1000 != 0) {
		snprintf(why, whylen,
		    "\"%s\" is not a whole number of seconds (1s-24h)", v);
		return -1;
	}
	keys_limit(svc, SERVICE_RLIMIT_CPU, (rlim_t)(ms / 1000));
	return 0;
}

/* ---- confinement ---- */

static int
set_no_new_privileges(struct service *svc, const char *v, char *why,
    size_t whylen)
{
	return keys_yes_no(v, &svc->no_new_privs, why, whylen);
}

static int
add_capability(struct service *svc, const char *tok, char *why, size_t whylen)
{
	int cap;

	svc->caps_set = true;
	/* "none" alone: an empty set, said on purpose. */
	if (strcmp(tok, "none") == 0)
		return 0;
	if ((cap = capname_parse(tok)) == -1) {
		snprintf(why, whylen,
		    "\"%s\" is not a capability (CAP_NET_BIND_SERVICE, ...; "
		    "or none)",
		    tok);
		return -1;
	}
	svc->caps |= 1ULL << cap;
	return 0;
}

static int
set_capabilities(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_each(svc, v, "no capability given (none for an empty set)",
	    why, whylen, add_capability);
}

static int
set_system_call_filter(struct service *svc, const char *v, char *why,
    size_t whylen)
{
	static const char *const words[] = { [SYSCALL_FILTER_OFF] = "off",
		[SYSCALL_FILTER_DEFAULT] = "default",
		[SYSCALL_FILTER_STRICT] = "strict",
		NULL };
	int k = keys_choice(v, words, why, whylen);

	if (k == -1)
		return -1;
	svc->syscall_filter = (enum syscall_filter)k;
	return 0;
}

static int
set_private_tmp(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_yes_no(v, &svc->private_tmp, why, whylen);
}

static int
set_private_network(struct service *svc, const char *v, char *why,
    size_t whylen)
{
	return keys_yes_no(v, &svc->private_network, why, whylen);
}

static int
set_protect_system(struct service *svc, const char *v, char *why, size_t whylen)
{
	static const char *const words[] = { [PROTECT_SYSTEM_NO] = "no",
		[PROTECT_SYSTEM_FULL] = "full",
		[PROTECT_SYSTEM_STRICT] = "strict",
		NULL };
	int k = keys_choice(v, words, why, whylen);

	if (k == -1)
		return -1;
	svc->protect_system = (enum protect_system)k;
	return 0;
}

static int
set_protect_home(struct service *svc, const char *v, char *why, size_t whylen)
{
	static const char *const words[] = { [PROTECT_HOME_NO] = "no",
		[PROTECT_HOME_YES] = "yes",
		[PROTECT_HOME_READ_ONLY] = "read-only",
		NULL };
	int k = keys_choice(v, words, why, whylen);

	if (k == -1)
		return -1;
	svc->protect_home = (enum protect_home)k;
	return 0;
}

/* An existing directory or file, absolute: it is bound onto itself when
 * the namespace is built. */
static int
add_rw_path(struct service *svc, const char *tok, char *why, size_t whylen)
{
	if (keys_existing(tok, 0, NULL, why, whylen) == -1)
		return -1;
	return keys_push(&svc->rw_paths, &svc->nrw_paths, tok, why, whylen);
}

static int
set_read_write_paths(struct service *svc, const char *v, char *why,
    size_t whylen)
{
	return keys_each(svc, v, "no path given", why, whylen, add_rw_path);
}

/* ---- TLS ---- */

/* An absolute path to a file that exists now; it is read when a
 * generation is made (tlsctx.c), so a reload reads it again. */
static int
keys_tls_file(const char *v, char *why, size_t whylen)
{
	return keys_existing(v, S_IFREG, "a regular file", why, whylen);
}

/* One more of a repeatable pair's files, with the line it came from. */
static int
keys_tls_pair_add(char ***list, size_t *n, int *lines, int line, const char *v,
    char *why, size_t whylen)
{
	if (*n == TLS_PAIRS_MAX) {
		snprintf(why, whylen, "more than %d certificates",
		    TLS_PAIRS_MAX);
		return -1;
	}
	if (keys_tls_file(v, why, whylen) == -1)
		return -1;
	lines[*n] = line;
	return keys_push(list, n, v, why, whylen);
}

static int
set_tls_cert(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_tls_pair_add(&svc->tls_certs, &svc->ntls_certs,
	    svc->tls_cert_line, svc->key_line[KEY_TLS_CERT], v, why, whylen);
}

static int
set_tls_key(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_tls_pair_add(&svc->tls_keys, &svc->ntls_keys,
	    svc->tls_key_line, svc->key_line[KEY_TLS_KEY], v, why, whylen);
}

static int
set_tls_client_ca(struct service *svc, const char *v, char *why, size_t whylen)
{
	if (keys_tls_file(v, why, whylen) == -1)
		return -1;
	free(svc->tls_client_ca);
	if ((svc->tls_client_ca = strdup(v)) == NULL)
		return keys_oom(why, whylen);
	return 0;
}

static int
set_tls_min_version(struct service *svc, const char *v, char *why,
    size_t whylen)
{
	static const char *const versions[] = { "1.2", "1.3", NULL };
	int k = keys_choice(v, versions, why, whylen);

	if (k == -1)
		return -1;
	svc->tls_min_version = 2 + k;
	return 0;
}

static int
set_tls_handshake_timeout(struct service *svc, const char *v, char *why,
    size_t whylen)
{
	return keys_timeout(v, TLS_HANDSHAKE_TIMEOUT_MAX_MS,
	    &svc->tls_handshake_timeout_ms,
	    "a duration (a number and a unit: ms, s or m, e.g. 10s)", "1ms-5m",
	    why, whylen);
}

/* OpenSSL's own syntax, judged by OpenSSL when the context is made;
 * here only that there is one. */
static int
keys_tls_text(char **slot, const char *v, char *why, size_t whylen)
{
	if (v[0] == '\0') {
		snprintf(why, whylen,
		    "empty: leave the key out for OpenSSL's "
		    "default");
		return -1;
	}
	free(*slot);
	if ((*slot = strdup(v)) == NULL)
		return keys_oom(why, whylen);
	return 0;
}

static int
set_tls_ciphers(struct service *svc, const char *v, char *why, size_t whylen)
{
	return keys_tls_text(&svc->tls_ciphers, v, why, whylen);
}

static int
set_tls_ciphersuites(struct service *svc, const char *v, char *why,
    size_t whylen)
{
	return keys_tls_text(&svc->tls_ciphersuites, v, why, whylen);
}

static const struct service_key_info service_keys[] = {
	{ "port", KEY_PORT, false, true, set_port },
	{ "bind", KEY_BIND, false, false, set_bind },
	{ "exec", KEY_EXEC, false, false, set_exec },
	/* Not in [defaults]: its words would follow every service's own
	 * exec, a program they were not written for. */
	{ "args", KEY_ARGS, true, true, set_args },
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
	{ "user", KEY_USER, false, false, set_user },
	{ "group", KEY_GROUP, false, false, set_group },
	{ "supplementary_groups", KEY_SUPPLEMENTARY_GROUPS, false, false,
	    set_supplementary_groups },
	{ "env", KEY_ENV, true, false, set_env },
	{ "pass_env", KEY_PASS_ENV, true, false, set_pass_env },
	{ "workdir", KEY_WORKDIR, false, false, set_workdir },
	{ "umask", KEY_UMASK, false, false, set_umask },
	{ "nice", KEY_NICE, false, false, set_nice },
	{ "rlimit_nofile", KEY_RLIMIT_NOFILE, false, false, set_rlimit_nofile },
	{ "rlimit_nproc", KEY_RLIMIT_NPROC, false, false, set_rlimit_nproc },
	{ "rlimit_as", KEY_RLIMIT_AS, false, false, set_rlimit_as },
	{ "rlimit_cpu", KEY_RLIMIT_CPU, false, false, set_rlimit_cpu },
	{ "rlimit_core", KEY_RLIMIT_CORE, false, false, set_rlimit_core },
	{ "stderr", KEY_STDERR, false, false, set_stderr },
	{ "stderr_rate", KEY_STDERR_RATE, false, false, set_stderr_rate },
	{ "socket", KEY_SOCKET, false, false, set_socket },
	{ "wait", KEY_WAIT, false, false, set_wait },
	{ "listen_fds", KEY_LISTEN_FDS, false, false, set_listen_fds },
	{ "path", KEY_PATH, false, true, set_path },
	{ "socket_mode", KEY_SOCKET_MODE, false, false, set_socket_mode },
	{ "socket_user", KEY_SOCKET_USER, false, false, set_socket_user },
	{ "socket_group", KEY_SOCKET_GROUP, false, false, set_socket_group },
	{ "allow_users", KEY_ALLOW_USERS, true, false, set_allow_users },
	{ "allow_groups", KEY_ALLOW_GROUPS, true, false, set_allow_groups },
	{ "proxy_protocol", KEY_PROXY_PROTOCOL, false, false,
	    set_proxy_protocol },
	{ "proxy_from", KEY_PROXY_FROM, true, false, set_proxy_from },
	{ "proxy_timeout", KEY_PROXY_TIMEOUT, false, false, set_proxy_timeout },
	{ "reuse_port", KEY_REUSE_PORT, false, false, set_reuse_port },
	{ "no_new_privileges", KEY_NO_NEW_PRIVILEGES, false, false,
	    set_no_new_privileges },
	{ "capabilities", KEY_CAPABILITIES, true, false, set_capabilities },
	{ "system_call_filter", KEY_SYSTEM_CALL_FILTER, false, false,
	    set_system_call_filter },
	{ "private_tmp", KEY_PRIVATE_TMP, false, false, set_private_tmp },
	{ "protect_system", KEY_PROTECT_SYSTEM, false, false,
	    set_protect_system },
	{ "read_write_paths", KEY_READ_WRITE_PATHS, true, false,
	    set_read_write_paths },
	{ "protect_home", KEY_PROTECT_HOME, false, false, set_protect_home },
	{ "private_network", KEY_PRIVATE_NETWORK, false, false,
	    set_private_network },
	{ "tls_cert", KEY_TLS_CERT, true, false, set_tls_cert },
	{ "tls_key", KEY_TLS_KEY, true, false, set_tls_key },
	{ "tls_client_ca", KEY_TLS_CLIENT_CA, false, false, set_tls_client_ca },
	{ "tls_min_version", KEY_TLS_MIN_VERSION, false, false,
	    set_tls_min_version },
	{ "tls_handshake_timeout", KEY_TLS_HANDSHAKE_TIMEOUT, false, false,
	    set_tls_handshake_timeout },
	{ "tls_ciphers", KEY_TLS_CIPHERS, false, false, set_tls_ciphers },
	{ "tls_ciphersuites", KEY_TLS_CIPHERSUITES, false, false,
	    set_tls_ciphersuites },
	{ "protocol", KEY_PROTOCOL, false, false, wskeys_set_protocol },
	{ "websocket_binary", KEY_WEBSOCKET_BINARY, false, false,
	    wskeys_set_binary },
	{ "websocket_origin", KEY_WEBSOCKET_ORIGIN, true, false,
	    wskeys_set_origin },
	{ "websocket_path", KEY_WEBSOCKET_PATH, false, false, wskeys_set_path },
	{ "websocket_static", KEY_WEBSOCKET_STATIC, false, false,
	    wskeys_set_static },
	{ "websocket_max_message", KEY_WEBSOCKET_MAX_MESSAGE, false, false,
	    wskeys_set_max_message },
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

const char *
keys_service_name(enum service_key key)
{
	size_t i;

	for (i = 0; i < sizeof(service_keys) / sizeof(service_keys[0]); i++)
		if (service_keys[i].key == key)
			return service_keys[i].name;
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
	svc->groups_from = GROUPS_USER;
	svc->umask = UMASK_DEFAULT;
	svc->stderr_to = STDERR_LOG;
	svc->stderr_rate.n = STDERR_RATE_DEFAULT;
	svc->stderr_rate.per_ms = 1000;
	svc->sock_type = SOCK_STREAM;
	svc->socket_mode = SOCKET_MODE_DEFAULT;
	svc->proxy_timeout_ms = PROXY_TIMEOUT_DEFAULT_MS;
	svc->tls_min_version = 2;
	svc->tls_handshake_timeout_ms = TLS_HANDSHAKE_TIMEOUT_DEFAULT_MS;
	svc->ws_max_message = WS_MAX_MESSAGE_DEFAULT;
}

static void
keys_free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void
keys_free_service(struct service *svc)
{
	free(svc->binds);
	free(svc->argv);
	free(svc->exec);
	keys_free_list(svc->args, svc->nargs);
	free(svc->args_line);
	free(svc->path);
	free(svc->reject_message);
	free(svc->allow);
	free(svc->deny);
	free(svc->proxy_from);
	free(svc->user);
	free(svc->groups);
	keys_free_list(svc->env, svc->nenv);
	keys_free_list(svc->pass_env, svc->npass_env);
	free(svc->workdir);
	keys_login_free(svc);
	free(svc->allow_uids);
	free(svc->allow_gids);
	keys_free_list(svc->rw_paths, svc->nrw_paths);
	keys_free_list(svc->tls_certs, svc->ntls_certs);
	keys_free_list(svc->tls_keys, svc->ntls_keys);
	free(svc->tls_client_ca);
	free(svc->tls_ciphers);
	free(svc->tls_ciphersuites);
	wskeys_free(svc);
}

/* The user's groups as login would give them with gid as the primary:
 * initgroups(3)'s list, computed now so the child only calls setgroups. */
static int
keys_user_groups(struct service *svc, char *why, size_t whylen)
{
	long max = sysconf(_SC_NGROUPS_MAX);
	int n = 32, want;
	gid_t *list = NULL, *grown;

	for (;;) {
		grown = realloc(list, (size_t)n * sizeof(*grown));
		if (grown == NULL) {
			free(list);
			return keys_oom(why, whylen);
		}
		list = grown;
		want = n;
		if (getgrouplist(svc->user, svc->gid, list, &want) != -1) {
			n = want;
			break;
		}
		/* glibc says how many it needs; anything else is a bug. */
		if (want <= n || (max > 0 && want > max)) {
			free(list);
			snprintf(why, whylen,
			    "cannot list the groups of \"%s\" (%d, at most "
			    "%ld)",
			    svc->user, want, max);
			return -1;
		}
		n = want;
	}
	free(svc->groups);
	svc->groups = list;
	svc->ngroups = (size_t)n;
	return 0;
}

/* prev's list serves svc when it came from the same user and gid. */
static int
keys_user_groups_from(struct service *svc, const struct service *prev)
{
	gid_t *list;

	if (prev == NULL || !prev->user_set || !prev->user_known ||
	    prev->groups_from != GROUPS_USER || prev->groups == NULL ||
	    prev->gid != svc->gid || strcmp(prev->user, svc->user) != 0)
		return 0;
	list = malloc(prev->ngroups * sizeof(*list));
	if (list == NULL)
		return -1;
	memcpy(list, prev->groups, prev->ngroups * sizeof(*list));
	free(svc->groups);
	svc->groups = list;
	svc->ngroups = prev->ngroups;
	return 1;
}

static int
keys_finish_ids(struct service *svc, const struct service *prev,
    enum service_key *key, char *why, size_t whylen)
{
	int copied;

	if (!svc->user_set) {
		*key = svc->key_line[KEY_GROUP] != 0 ? KEY_GROUP
		                                     : KEY_SUPPLEMENTARY_GROUPS;
		if (svc->key_line[*key] == 0)
			return 0;
		snprintf(why, whylen,
		    "needs user (the handler keeps superd's ids without it)");
		return -1;
	}
	*key = KEY_USER;
	if (svc->key_line[KEY_GROUP] == 0) {
		if (!svc->user_known) {
			snprintf(why, whylen,
			    "uid %s has no passwd entry, so no primary group: "
			    "set group as well",
			    svc->user);
			return -1;
		}
		svc->gid = svc->user_gid;
	}
	/* A uid without a passwd entry has no groups of its own. */
	if (svc->groups_from != GROUPS_USER || !svc->user_known)
		return 0;
	if ((copied = keys_user_groups_from(svc, prev)) != 0)
		return copied == 1 ? 0 : keys_oom(why, whylen);
	return keys_user_groups(svc, why, whylen);
}

/* pass_env's values are read once, here: superd's environment does not
 * change while it runs, so a reload would read the same. */
static int
keys_finish_env(struct service *svc, enum service_key *key, char *why,
    size_t whylen)
{
	const char *value;
	char *entry;
	size_t i, len;

	*key = KEY_PASS_ENV;
	for (i = 0; i < svc->npass_env; i++) {
		len = strlen(svc->pass_env[i]);
		if (keys_env_has(svc->env, svc->nenv, svc->pass_env[i], len)) {
			snprintf(why, whylen, "\"%s\" is also set by env",
			    svc->pass_env[i]);
			return -1;
		}
		if ((value = getenv(svc->pass_env[i])) == NULL)
			continue;
		if (asprintf(&entry, "%s=%s", svc->pass_env[i], value) == -1)
			return keys_oom(why, whylen);
		if (keys_adopt(&svc->env, &svc->nenv, entry, why, whylen) == -1)
			return -1;
	}
	return 0;
}

/* env and pass_env win over the login variables: a name they set is
 * dropped here, so the handler never gets it twice. */
static void
keys_finish_login(struct service *svc)
{
	char **e = svc->login_env;
	size_t i, len;

	for (i = 0; i < SERVICE_LOGIN_VARS; i++) {
		if (e[i] == NULL)
			continue;
		len = strcspn(e[i], "=");
		if (keys_env_has(svc->env, svc->nenv, e[i], len)) {
			free(e[i]);
			e[i] = NULL;
		}
	}
}

/* args' words follow exec's, in the order of the lines. */
static int
keys_finish_args(struct service *svc, enum service_key *key, char *why,
    size_t whylen)
{
	size_t i;

	*key = KEY_ARGS;
	for (i = 0; i < svc->nargs; i++)
		if (argv_append(&svc->argv, svc->args[i], why, whylen) == -1)
			return -1;
	return 0;
}

/* What a service's kind gives it: a key that needs more than that is an
 * error, also when it comes from [defaults] (an access list that silently
 * stopped applying would be a trap). */
enum { KIND_CONN = 1, KIND_IP = 2, KIND_UNIX = 4, KIND_STREAM = 8 };

static const struct {
	enum service_key key;
	unsigned needs;
} keys_kind_rules[] = {
	{ KEY_PORT, KIND_IP },
	{ KEY_BIND, KIND_IP },
	{ KEY_ALLOW, KIND_CONN | KIND_IP },
	{ KEY_DENY, KIND_CONN | KIND_IP },
	{ KEY_SOURCE_PREFIX_V4, KIND_CONN | KIND_IP },
	{ KEY_SOURCE_PREFIX_V6, KIND_CONN | KIND_IP },
	{ KEY_MAX_PER_SOURCE, KIND_CONN },
	{ KEY_RATE_PER_SOURCE, KIND_CONN },
	{ KEY_REJECT_MESSAGE, KIND_CONN },
	{ KEY_ALLOW_USERS, KIND_CONN | KIND_UNIX },
	{ KEY_ALLOW_GROUPS, KIND_CONN | KIND_UNIX },
	{ KEY_SOCKET_MODE, KIND_UNIX },
	{ KEY_SOCKET_USER, KIND_UNIX },
	{ KEY_SOCKET_GROUP, KIND_UNIX },
	{ KEY_PROXY_PROTOCOL, KIND_CONN | KIND_IP | KIND_STREAM },
	{ KEY_REUSE_PORT, KIND_IP },
};

/* Why a key that needs `missing` does not fit. */
static const char *
keys_kind_why(unsigned missing)
{
	if (missing & KIND_STREAM)
		return "needs socket = stream and wait = no: a PROXY header "
		       "comes first on an accepted TCP connection";
	if (missing & KIND_CONN)
		return "needs wait = no: a wait = yes service accepts no "
		       "connections, so superd has no client to check";
	if (missing & KIND_IP)
		return "not for a unix-domain service (path): it has no "
		       "address or port (allow_users and allow_groups restrict "
		       "its clients)";
	return "needs path: only a unix-domain socket has a file and "
	       "clients with uids";
}

/* wait, implied by dgram, and what needs it. */
static int
keys_finish_wait(struct service *svc, enum service_key *key, char *why,
    size_t whylen)
{
	if (svc->sock_type == SOCK_DGRAM) {
		*key = KEY_WAIT;
		if (svc->key_line[KEY_WAIT] != 0 && !svc->wait) {
			snprintf(why, whylen,
			    "socket = dgram needs wait = yes: datagrams have "
			    "no connections to hand out (as in xinetd)");
			return -1;
		}
		svc->wait = true;
	}
	*key = KEY_LISTEN_FDS;
	if (svc->listen_fds && !svc->wait) {
		snprintf(why, whylen,
		    "needs wait = yes: the handler gets the listening socket");
		return -1;
	}
	*key = KEY_STDERR;
	if (svc->listen_fds && svc->stderr_to == STDERR_CLIENT) {
		snprintf(why, whylen,
		    "\"client\" with listen_fds = yes: fds 0 and 1 are "
		    "/dev/null, not a connection");
		return -1;
	}
	return 0;
}

/* A wait service cannot refuse: it defers, whatever the limit. */
static int
keys_finish_overload(struct service *svc, enum service_key *key, char *why,
    size_t whylen)
{
	if (!svc->wait)
		return 0;
	*key = KEY_ON_MAX;
	if (svc->key_line[KEY_ON_RATE] == 0)
		svc->on_rate = OVERLOAD_DEFER;
	else if (svc->on_rate == OVERLOAD_REJECT)
		*key = KEY_ON_RATE;
	if (svc->on_max == OVERLOAD_REJECT || svc->on_rate == OVERLOAD_REJECT) {
		snprintf(why, whylen,
		    "a wait = yes service can only defer: there is no "
		    "connection to refuse");
		return -1;
	}
	return 0;
}

/* A header believed from anyone would let every client choose its
 * address.  proxy_from and proxy_timeout alone do nothing (so that
 * [defaults] may hold them for the services behind one balancer). */
static int
keys_finish_proxy(struct service *svc, enum service_key *key, char *why,
    size_t whylen)
{
	*key = KEY_PROXY_PROTOCOL;
	if (svc->proxy_versions == 0 || svc->nproxy_from > 0)
		return 0;
	snprintf(why, whylen,
	    "needs proxy_from: the balancers' addresses, the only ones whose "
	    "header is believed");
	return -1;
}

/* TLS wraps an accepted TCP connection, one certificate per key.  The
 * other tls_* keys alone do nothing (so [defaults] may hold them). */
static int
keys_finish_tls(struct service *svc, enum service_key *key, char *why,
    size_t whylen)
{
	if (svc->ntls_certs == 0 && svc->ntls_keys == 0)
		return 0;
	*key = svc->ntls_certs > 0 ? KEY_TLS_CERT : KEY_TLS_KEY;
	if (svc->ntls_certs != svc->ntls_keys) {
		snprintf(why, whylen,
		    "%zu tls_cert and %zu tls_key lines: each certificate "
		    "needs its key, in the same order",
		    svc->ntls_certs, svc->ntls_keys);
		return -1;
	}
	if (svc->wait || svc->unix_socket || svc->sock_type != SOCK_STREAM) {
		snprintf(why, whylen,
		    "needs a TCP service with wait = no: TLS runs on each "
		    "accepted connection");
		return -1;
	}
	return 0;
}

static int
keys_finish_kind(struct service *svc, enum service_key *key, char *why,
    size_t whylen)
{
	unsigned have;
	size_t i;

	if (keys_finish_wait(svc, key, why, whylen) == -1)
		return -1;
	have = (svc->wait ? 0 : KIND_CONN) |
	    (svc->unix_socket ? KIND_UNIX : KIND_IP) |
	    (svc->sock_type == SOCK_STREAM ? KIND_STREAM : 0);
	for (i = 0; i < sizeof(keys_kind_rules) / sizeof(keys_kind_rules[0]);
	     i++) {
		*key = keys_kind_rules[i].key;
		if (svc->key_line[*key] != 0 &&
		    (keys_kind_rules[i].needs & ~have) != 0) {
			snprintf(why, whylen, "%s",
			    keys_kind_why(keys_kind_rules[i].needs & ~have));
			return -1;
		}
	}
	if (keys_finish_overload(svc, key, why, whylen) == -1)
		return -1;
	if (keys_finish_proxy(svc, key, why, whylen) == -1)
		return -1;
	return keys_finish_tls(svc, key, why, whylen);
}

/* src's login variables, copied into dst's.  Returns 0, or -1 (ENOMEM)
 * with dst's empty. */
static int
keys_login_copy(struct service *dst, const struct service *src)
{
	size_t i;

	keys_login_free(dst);
	for (i = 0; i < SERVICE_LOGIN_VARS; i++) {
		if (src->login_env[i] == NULL)
			continue;
		if ((dst->login_env[i] = strdup(src->login_env[i])) == NULL) {
			keys_login_free(dst);
			return -1;
		}
	}
	return 0;
}

int
keys_copy_lookup(struct service *dst, const struct service *src,
    enum service_key key)
{
	char *user;

	switch (key) {
	case KEY_USER:
		if ((user = strdup(src->user)) == NULL)
			return -1;
		if (keys_login_copy(dst, src) == -1) {
			free(user);
			return -1;
		}
		free(dst->user);
		dst->user = user;
		dst->uid = src->uid;
		dst->user_known = src->user_known;
		dst->user_gid = src->user_gid;
		dst->user_set = true;
		return 1;
	case KEY_GROUP:
		dst->gid = src->gid;
		return 1;
	default:
		return 0;
	}
}

int
keys_finish_service(struct service *svc, const struct service *prev,
    enum service_key *key, char *why, size_t whylen)
{
	if (keys_finish_args(svc, key, why, whylen) == -1)
		return -1;
	if (keys_finish_kind(svc, key, why, whylen) == -1)
		return -1;
	if (keys_finish_ids(svc, prev, key, why, whylen) == -1)
		return -1;
	if (keys_finish_env(svc, key, why, whylen) == -1)
		return -1;
	if (wskeys_finish(svc, key, why, whylen) == -1)
		return -1;
	keys_finish_login(svc);
	return 0;
}

/* ---- [supervisor] ---- */

static int
set_shutdown_timeout(struct config *cfg, const char *v, char *why,
    size_t whylen)
{
	return keys_duration(v, SHUTDOWN_TIMEOUT_MAX_MS,
	    &cfg->shutdown_timeout_ms, why, whylen);
}

static int
set_max_children(struct config *cfg, const char *v, char *why, size_t whylen)
{
	return keys_ulong(v, 1, MAX_CHILDREN_MAX, &cfg->max_children, why,
	    whylen);
}

static int
set_log_format(struct config *cfg, const char *v, char *why, size_t whylen)
{
	static const char *const words
	    [] = { [LOG_FORMAT_TEXT] = "text", [LOG_FORMAT_KV] = "kv", NULL };
	int k = keys_choice(v, words, why, whylen);

	if (k == -1)
		return -1;
	cfg->log_format = (enum log_format)k;
	return 0;
}

/* "off", or ADDRESS:PORT with an IPv6 address in brackets. */
static int
set_metrics(struct config *cfg, const char *v, char *why, size_t whylen)
{
	char host[ADDR_TEXT_MAX];
	const char *colon = strrchr(v, ':');
	unsigned long port;
	size_t hlen;

	memset(&cfg->metrics, 0, sizeof(cfg->metrics));
	if (strcmp(v, "off") == 0)
		return 0;
	hlen = colon != NULL ? (size_t)(colon - v) : 0;
	if (colon == NULL || hlen == 0 || hlen >= sizeof(host) ||
	    parse_ulong(colon + 1, 0, 65535, &port) == -1) {
		snprintf(why, whylen,
		    "\"%s\" is not off or ADDRESS:PORT (127.0.0.1:9101, "
		    "[::1]:9101)",
		    v);
		return -1;
	}
	memcpy(host, v, hlen);
	host[hlen] = '\0';
	if (strchr(host, ':') != NULL && host[0] != '[') {
		snprintf(why, whylen,
		    "\"%s\": write an IPv6 address in brackets ([::1]:9101)",
		    v);
		return -1;
	}
	if (addr_parse(host, &cfg->metrics) == -1) {
		snprintf(why, whylen, "\"%s\" is not an IPv4 or IPv6 address",
		    host);
		return -1;
	}
	addr_set_port(&cfg->metrics.ss, (unsigned short)port);
	return 0;
}

/* "off", or an absolute path a unix socket can be bound to. */
static int
set_control(struct config *cfg, const char *v, char *why, size_t whylen)
{
	cfg->control_set = true;
	cfg->control[0] = '\0';
	if (strcmp(v, "off") == 0)
		return 0;
	if (v[0] != '/') {
		snprintf(why, whylen, "\"%s\" is not off or an absolute path",
		    v);
		return -1;
	}
	if (strlen(v) > ADDR_PATH_MAX) {
		snprintf(why, whylen, "the path is longer than %zu bytes",
		    (size_t)ADDR_PATH_MAX);
		return -1;
	}
	snprintf(cfg->control, sizeof(cfg->control), "%s", v);
	return 0;
}

static int
set_control_group(struct config *cfg, const char *v, char *why, size_t whylen)
{
	if (keys_gid(v, &cfg->control_gid, why, whylen) == -1)
		return -1;
	cfg->control_gid_set = true;
	return 0;
}

/* One row per key, in the order the messages list them: a key without a
 * row cannot be parsed at all, so none falls into another's field. */
static const struct {
	const char *name;
	int (*set)(struct config *cfg, const char *v, char *why, size_t whylen);
} supervisor_keys[SKEYS] = {
	[SKEY_SHUTDOWN_TIMEOUT] = { "shutdown_timeout", set_shutdown_timeout },
	[SKEY_MAX_CHILDREN] = { "max_children", set_max_children },
	[SKEY_LOG_FORMAT] = { "log_format", set_log_format },
	[SKEY_METRICS] = { "metrics", set_metrics },
	[SKEY_CONTROL] = { "control", set_control },
	[SKEY_CONTROL_GROUP] = { "control_group", set_control_group },
};

int
keys_find_supervisor(const char *name)
{
	int k;

	for (k = 0; k < SKEYS; k++)
		if (strcmp(name, supervisor_keys[k].name) == 0)
			return k;
	return -1;
}

int
keys_set_supervisor(struct config *cfg, int k, const char *value, char *why,
    size_t whylen)
{
	return supervisor_keys[k].set(cfg, value, why, whylen);
}

const char *
keys_supervisor_name(int k)
{
	return k >= 0 && k < SKEYS ? supervisor_keys[k].name : NULL;
}

/* ---- the names, for messages and for the docs test ---- */

size_t
keys_count_service(void)
{
	return sizeof(service_keys) / sizeof(service_keys[0]);
}

const char *
keys_service_at(size_t i)
{
	return i < keys_count_service() ? service_keys[i].name : NULL;
}

/* names[0..n) joined by ", " into buf. */
static void
keys_join(char *buf, size_t len, const char *(*name)(size_t), size_t n)
{
	size_t i, used = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
		    name(i));
		if (w < 0)
			return;
		used += (size_t)w;
	}
}

static const char *
keys_supervisor_at(size_t i)
{
	return supervisor_keys[i].name;
}

void
keys_service_names(char *buf, size_t len)
{
	keys_join(buf, len, keys_service_at, keys_count_service());
}

void
keys_supervisor_names(char *buf, size_t len)
{
	keys_join(buf, len, keys_supervisor_at, SKEYS);
}

/* ---- suggestions for a misspelt name ---- */

/* Names longer than this are never compared: no key is near one. */
#define KEYS_NEAR_MAX 40

static char
keys_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Edits (insert, delete, replace, swap two neighbours) from a to b,
 * ignoring case: the optimal string alignment distance. */
static size_t
keys_distance(const char *a, const char *b)
{
	size_t d[KEYS_NEAR_MAX + 1][KEYS_NEAR_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), i, j, cost, best;

	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			cost = keys_lower(a[i - 1]) != keys_lower(b[j - 1]);
			best = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 &&
			    keys_lower(a[i - 1]) == keys_lower(b[j - 2]) &&
			    keys_lower(a[i - 2]) == keys_lower(b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

size_t
keys_near(const char *typed, const char *name)
{
	size_t len = strlen(typed), d;

	if (len > KEYS_NEAR_MAX || strlen(name) > KEYS_NEAR_MAX)
		return KEYS_FAR;
	d = keys_distance(typed, name);
	/* Close enough to be a slip, not another word: at most two edits,
	 * and at most one per two letters typed ("usr" is user, "ab" is
	 * nothing). */
	return d <= 2 && 2 * d <= len ? d : KEYS_FAR;
}

const char *
keys_suggest(const char *typed, bool *supervisor)
{
	const char *best = NULL, *name;
	size_t best_d = KEYS_FAR, d, i;
	int k;

	for (i = 0; (name = keys_service_at(i)) != NULL; i++) {
		if ((d = keys_near(typed, name)) < best_d) {
			best_d = d;
			best = name;
			*supervisor = false;
		}
	}
	for (k = 0; k < SKEYS; k++) {
		name = supervisor_keys[k].name;
		if ((d = keys_near(typed, name)) < best_d) {
			best_d = d;
			best = name;
			*supervisor = true;
		}
	}
	return best;
}
