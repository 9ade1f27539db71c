/* Loading the ini file into a struct config.  inih does the key = value
 * splitting; our own line reader counts lines and rejects what Debian's
 * libinih would silently misread (over-long lines, indented lines, NUL
 * bytes), and sees section headers, which inih never reports for an empty
 * section. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "argv.h"
#include "config.h"
#include "parse.h"
#include "program.h"

enum section_kind {
	SECTION_NONE,
	SECTION_SUPERVISOR,
	SECTION_DEFAULTS,
	SECTION_SERVICE
};

struct load {
	struct config *cfg;
	const char *const *handler_dirs;
	FILE *fp;
	char *line; /* getline buffer */
	size_t linecap;
	int lineno;
	enum section_kind kind;
	char section[SERVICE_NAME_MAX + 1];
	int section_line;
	bool section_has_keys;
	struct service defaults; /* [defaults]: keys to inherit */
	bool have_defaults;
	int supervisor_line, timeout_line;
	bool failed;
	char *err;
	size_t errlen;
};

static void config_fail(struct load *ld, int line, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Records the first error as "file:line: [section] key: what". */
static void
config_fail(struct load *ld, int line, const char *key, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (ld->failed)
		return;
	ld->failed = true;
	if (line > 0)
		snprintf(ld->err, ld->errlen, "%s:%d: ", ld->cfg->file, line);
	else
		snprintf(ld->err, ld->errlen, "%s: ", ld->cfg->file);
	len = strlen(ld->err);
	if (ld->section[0] != '\0' && len < ld->errlen)
		len += (size_t)snprintf(ld->err + len, ld->errlen - len,
		    key ? "[%s] " : "[%s]: ", ld->section);
	if (key != NULL && len < ld->errlen)
		len += (size_t)snprintf(ld->err + len, ld->errlen - len,
		    "%s: ", key);
	if (len < ld->errlen) {
		va_start(ap, fmt);
		vsnprintf(ld->err + len, ld->errlen - len, fmt, ap);
		va_end(ap);
	}
}

static struct service *
config_current(struct load *ld)
{
	if (ld->kind == SECTION_DEFAULTS)
		return &ld->defaults;
	return &ld->cfg->services[ld->cfg->nservices - 1];
}

/* ---- values ---- */

static int
config_set_port(struct load *ld, struct service *svc, const char *v)
{
	unsigned long port;

	if (ld->kind == SECTION_DEFAULTS) {
		config_fail(ld, ld->lineno, "port",
		    "a port cannot be shared by every service; set it in each");
		return -1;
	}
	if (parse_ulong(v, 0, 65535, &port) == -1) {
		config_fail(ld, ld->lineno, "port",
		    errno == ERANGE ? "\"%s\" is out of range (0-65535)"
		                    : "\"%s\" is not a port number (0-65535)",
		    v);
		return -1;
	}
	svc->port = (unsigned short)port;
	return 0;
}

static int
config_parse_addr(const char *tok, struct bind_addr *ba)
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

static bool
config_same_addr(const struct bind_addr *a, const struct bind_addr *b)
{
	return a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

static int
config_add_bind(struct load *ld, struct service *svc, const char *tok)
{
	struct bind_addr ba, *grown;
	size_t i;

	if (config_parse_addr(tok, &ba) == -1) {
		config_fail(ld, ld->lineno, "bind",
		    errno == EAFNOSUPPORT
		        ? "\"%s\" is an IPv4-mapped address: write the IPv4 "
		          "address instead"
		        : "\"%s\" is not an IPv4 or IPv6 address",
		    tok);
		return -1;
	}
	for (i = 0; i < svc->nbinds; i++) {
		if (config_same_addr(&svc->binds[i], &ba)) {
			config_fail(ld, ld->lineno, "bind",
			    "\"%s\" is listed twice", tok);
			return -1;
		}
	}
	grown = realloc(svc->binds, (svc->nbinds + 1) * sizeof(*grown));
	if (grown == NULL) {
		config_fail(ld, ld->lineno, "bind", "%s", strerror(errno));
		return -1;
	}
	svc->binds = grown;
	svc->binds[svc->nbinds++] = ba;
	return 0;
}

/* bind = ADDR[, ADDR …], separated by commas and/or blanks. */
static int
config_set_bind(struct load *ld, struct service *svc, const char *v)
{
	char buf[256];
	char *tok, *save;

	if (snprintf(buf, sizeof(buf), "%s", v) >= (int)sizeof(buf)) {
		config_fail(ld, ld->lineno, "bind", "value is too long");
		return -1;
	}
	for (tok = strtok_r(buf, ", \t", &save); tok != NULL;
	     tok = strtok_r(NULL, ", \t", &save))
		if (config_add_bind(ld, svc, tok) == -1)
			return -1;
	if (svc->nbinds == 0) {
		config_fail(ld, ld->lineno, "bind", "no address given");
		return -1;
	}
	return 0;
}

static int
config_set_exec(struct load *ld, struct service *svc, const char *v)
{
	char why[128];

	if (argv_split(v, &svc->argv, why, sizeof(why)) == -1) {
		config_fail(ld, ld->lineno, "exec", "%s", why);
		return -1;
	}
	if (svc->argv[0][0] == '\0') {
		config_fail(ld, ld->lineno, "exec",
		    "the program name is empty");
		return -1;
	}
	if ((svc->exec = strdup(v)) == NULL) {
		config_fail(ld, ld->lineno, "exec", "%s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
config_set_enabled(struct load *ld, struct service *svc, const char *v)
{
	if (parse_bool(v, &svc->enabled) == -1) {
		config_fail(ld, ld->lineno, "enabled",
		    "\"%s\" is not yes or no", v);
		return -1;
	}
	return 0;
}

/* Service keys, with where each remembers its line. */
static const struct service_key {
	const char *name;
	int (*set)(struct load *, struct service *, const char *);
	size_t line_offset;
} service_keys[] = {
	{ "port", config_set_port, offsetof(struct service, port_line) },
	{ "bind", config_set_bind, offsetof(struct service, bind_line) },
	{ "exec", config_set_exec, offsetof(struct service, exec_line) },
	{ "enabled", config_set_enabled,
	    offsetof(struct service, enabled_line) },
};

#define KEY_LINE(svc, k) (*(int *)(void *)((char *)(svc) + (k)->line_offset))

static int
config_service_key(struct load *ld, const char *name, const char *value)
{
	struct service *svc = config_current(ld);
	const struct service_key *k;
	size_t i;

	for (i = 0; i < sizeof(service_keys) / sizeof(service_keys[0]); i++) {
		k = &service_keys[i];
		if (strcmp(name, k->name) != 0)
			continue;
		if (KEY_LINE(svc, k) != 0) {
			config_fail(ld, ld->lineno, name,
			    "duplicate key (first set on line %d)",
			    KEY_LINE(svc, k));
			return -1;
		}
		KEY_LINE(svc, k) = ld->lineno;
		return k->set(ld, svc, value);
	}
	config_fail(ld, ld->lineno, name,
	    "unknown key (service keys: port, bind, exec, enabled)");
	return -1;
}

static int
config_supervisor_key(struct load *ld, const char *name, const char *value)
{
	unsigned long ms;

	if (strcmp(name, "shutdown_timeout") != 0) {
		config_fail(ld, ld->lineno, name,
		    "unknown key ([supervisor] keys: shutdown_timeout)");
		return -1;
	}
	if (ld->timeout_line != 0) {
		config_fail(ld, ld->lineno, name,
		    "duplicate key (first set on line %d)", ld->timeout_line);
		return -1;
	}
	ld->timeout_line = ld->lineno;
	if (parse_duration(value, SHUTDOWN_TIMEOUT_MAX_MS, &ms) == -1) {
		config_fail(ld, ld->lineno, name,
		    errno == ERANGE ? "\"%s\" is too long (at most 1h)"
		                    : "\"%s\" is not a duration (a number and "
		                      "a unit: ms, s, m "
		                      "or h, e.g. 10s)",
		    value);
		return -1;
	}
	ld->cfg->shutdown_timeout_ms = ms;
	return 0;
}

/* inih's callback: 1 to go on, 0 to flag the line. */
static int
config_on_key(void *user, const char *section, const char *name,
    const char *value)
{
	struct load *ld = user;

	(void)section; /* the reader tracks sections itself */
	if (ld->failed)
		return 0;
	ld->section_has_keys = true;
	switch (ld->kind) {
	case SECTION_NONE:
		config_fail(ld, ld->lineno, name,
		    "key outside any section (start with [supervisor] or "
		    "[service-name])");
		return 0;
	case SECTION_SUPERVISOR:
		return config_supervisor_key(ld, name, value) == 0;
	case SECTION_DEFAULTS:
	case SECTION_SERVICE:
		return config_service_key(ld, name, value) == 0;
	}
	return 0;
}

/* ---- sections ---- */

static bool
config_valid_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > SERVICE_NAME_MAX)
		return false;
	/* Not ".", "..", "-x": names may become file names and arguments. */
	if (name[0] == '.' || name[0] == '-')
		return false;
	return strspn(name,
	           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	           "0123456789_.-") == len;
}

static bool
config_section_seen(struct load *ld, const char *name)
{
	size_t i;

	if (strcmp(name, "supervisor") == 0)
		return ld->supervisor_line != 0;
	if (strcmp(name, "defaults") == 0)
		return ld->have_defaults;
	for (i = 0; i < ld->cfg->nservices; i++)
		if (strcmp(ld->cfg->services[i].name, name) == 0)
			return true;
	return false;
}

static int
config_new_service(struct load *ld, const char *name)
{
	struct service *grown, *svc;

	grown = realloc(ld->cfg->services,
	    (ld->cfg->nservices + 1) * sizeof(*grown));
	if (grown == NULL) {
		config_fail(ld, ld->lineno, NULL, "%s", strerror(errno));
		return -1;
	}
	ld->cfg->services = grown;
	svc = &grown[ld->cfg->nservices++];
	memset(svc, 0, sizeof(*svc));
	snprintf(svc->name, sizeof(svc->name), "%s", name);
	svc->line = ld->lineno;
	svc->enabled = true;
	return 0;
}

/* The section that just ended must have had keys: inih never reports an
 * empty one, so the reader checks at each header and at end of file. */
static void
config_end_section(struct load *ld)
{
	if (ld->kind != SECTION_NONE && !ld->section_has_keys)
		config_fail(ld, ld->section_line, NULL,
		    "empty section (remove it, or give it keys)");
}

static void
config_begin_section(struct load *ld, const char *name)
{
	config_end_section(ld);
	if (ld->failed)
		return;
	snprintf(ld->section, sizeof(ld->section), "%.*s", SERVICE_NAME_MAX,
	    name);
	if (!config_valid_name(name)) {
		ld->section[0] = '\0';
		config_fail(ld, ld->lineno, NULL,
		    "[%s]: invalid section name (use 1 to %d letters, digits, "
		    "'_', '.' or '-')",
		    name, SERVICE_NAME_MAX);
		return;
	}
	if (config_section_seen(ld, name)) {
		config_fail(ld, ld->lineno, NULL, "duplicate section");
		return;
	}
	ld->section_line = ld->lineno;
	ld->section_has_keys = false;
	if (strcmp(name, "supervisor") == 0) {
		ld->kind = SECTION_SUPERVISOR;
		ld->supervisor_line = ld->lineno;
	} else if (strcmp(name, "defaults") == 0) {
		ld->kind = SECTION_DEFAULTS;
		ld->have_defaults = true;
	} else {
		ld->kind = SECTION_SERVICE;
		config_new_service(ld, name);
	}
}

/* A bad header line is not about the section before it. */
static void
config_header_fail(struct load *ld, const char *what)
{
	ld->section[0] = '\0';
	config_fail(ld, ld->lineno, NULL, "%s", what);
}

/* A "[name]" line: the name runs to the first ']'; after it only blanks
 * and a comment may follow. */
static void
config_header(struct load *ld, char *p)
{
	char *close = strchr(p, ']'), *rest;

	if (close == NULL) {
		config_header_fail(ld, "section header without ']'");
		return;
	}
	rest = close + 1 + strspn(close + 1, " \t\r\n");
	if (*rest != '\0' && *rest != ';' && *rest != '#') {
		config_header_fail(ld,
		    "unexpected text after the section header");
		return;
	}
	*close = '\0';
	config_begin_section(ld, p + 1);
	*close = ']';
}

/* A key line needs "=" (or inih's ":") before any inline comment, and a
 * name before it.  inih would report a bad line only at the very end,
 * after going on with the lines below; checking here keeps the first
 * error first. */
static void
config_check_pair(struct load *ld, const char *p)
{
	const char *s = p;
	bool after_blank = false;

	while (*s != '\0' && *s != '=' && *s != ':' &&
	    !(after_blank && *s == ';')) {
		after_blank = *s == ' ' || *s == '\t';
		s++;
	}
	if (*s != '=' && *s != ':') {
		config_fail(ld, ld->lineno, NULL,
		    "syntax error (expected \"key = value\", \"[section]\" or "
		    "a comment)");
		return;
	}
	if (s == p)
		config_fail(ld, ld->lineno, NULL,
		    "missing key name before '%c'", *s);
}

/* Checks one raw line before inih sees it. */
static void
config_check_line(struct load *ld, char *line, size_t len, int max)
{
	char *p;
	size_t content = len;

	if (memchr(line, '\0', len) != NULL) {
		config_fail(ld, ld->lineno, NULL, "line contains a NUL byte");
		return;
	}
	if (content > 0 && line[content - 1] == '\n')
		content--;
	/* inih needs room for "\r\n\0" besides the text. */
	if (content + 3 > (size_t)max) {
		config_fail(ld, ld->lineno, NULL,
		    "line is too long (%zu bytes, at most %d)", content,
		    max - 3);
		return;
	}
	if (ld->lineno == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
		line += 3;
	p = line + strspn(line, " \t");
	if (*p == '\0' || *p == '\r' || *p == '\n' || *p == ';' || *p == '#')
		return;
	if (p != line) {
		config_fail(ld, ld->lineno, NULL,
		    "indented line (it would continue the previous value); "
		    "remove the leading blanks");
		return;
	}
	if (*p == '[')
		config_header(ld, p);
	else
		config_check_pair(ld, p);
}

/* inih's line reader: one line per call, NULL at the end or after the
 * first error, which stops the parse there. */
static char *
config_read_line(char *str, int num, void *stream)
{
	struct load *ld = stream;
	ssize_t n;

	if (ld->failed)
		return NULL;
	errno = 0;
	n = getline(&ld->line, &ld->linecap, ld->fp);
	if (n == -1) {
		if (errno != 0 || ferror(ld->fp))
			config_fail(ld, 0, NULL, "read error: %s",
			    strerror(errno ? errno : EIO));
		return NULL;
	}
	ld->lineno++;
	config_check_line(ld, ld->line, (size_t)n, num);
	if (ld->failed)
		return NULL;
	memcpy(str, ld->line, (size_t)n + 1);
	return str;
}

/* ---- whole-file checks ---- */

/* Services inherit from [defaults] every key they do not set. */
static int
config_inherit(struct load *ld, struct service *svc)
{
	const struct service *d = &ld->defaults;

	if (svc->bind_line == 0 && d->bind_line != 0) {
		svc->binds = malloc(d->nbinds * sizeof(*svc->binds));
		if (svc->binds == NULL)
			return -1;
		memcpy(svc->binds, d->binds, d->nbinds * sizeof(*svc->binds));
		svc->nbinds = d->nbinds;
		svc->bind_line = d->bind_line;
	}
	if (svc->exec_line == 0 && d->exec_line != 0) {
		svc->exec = strdup(d->exec);
		if (svc->exec == NULL ||
		    argv_split(svc->exec, &svc->argv, NULL, 0) == -1)
			return -1;
		svc->exec_line = d->exec_line;
	}
	if (svc->enabled_line == 0 && d->enabled_line != 0) {
		svc->enabled = d->enabled;
		svc->enabled_line = d->enabled_line;
	}
	return 0;
}

/* Without `bind`, a service listens on every IPv4 and IPv6 address. */
static int
config_default_binds(struct load *ld, struct service *svc)
{
	if (svc->nbinds != 0)
		return 0;
	svc->bind_default = true;
	if (config_add_bind(ld, svc, "0.0.0.0") == -1 ||
	    config_add_bind(ld, svc, "::") == -1)
		return -1;
	return 0;
}

static bool
config_is_any(const struct bind_addr *ba)
{
	const struct sockaddr_in *sin = (const void *)&ba->ss;
	const struct sockaddr_in6 *sin6 = (const void *)&ba->ss;

	if (ba->ss.ss_family == AF_INET)
		return sin->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
}

/* Two sockets of one family on one port clash when the addresses are the
 * same or either is the wildcard.  IPv6 sockets are v6-only, so 0.0.0.0
 * and :: never clash. */
static bool
config_binds_clash(const struct bind_addr *a, const struct bind_addr *b)
{
	if (a->ss.ss_family != b->ss.ss_family)
		return false;
	return config_same_addr(a, b) || config_is_any(a) || config_is_any(b);
}

static void
config_check_clash(struct load *ld, size_t later)
{
	const struct service *b = &ld->cfg->services[later], *a;
	char addr[INET6_ADDRSTRLEN + 8];
	size_t i, j, k;

	for (i = 0; i < later && !ld->failed; i++) {
		a = &ld->cfg->services[i];
		if (!a->enabled || a->port == 0 || a->port != b->port)
			continue;
		for (j = 0; j < a->nbinds; j++) {
			for (k = 0; k < b->nbinds; k++) {
				if (!config_binds_clash(&a->binds[j],
				        &b->binds[k]))
					continue;
				config_format_bind(&b->binds[k], b->port, addr,
				    sizeof(addr));
				config_fail(ld, b->port_line, "port",
				    "%s is also used by [%s] (line %d)", addr,
				    a->name, a->port_line);
				return;
			}
		}
	}
}

static void
config_check_service(struct load *ld, size_t idx)
{
	struct service *svc = &ld->cfg->services[idx];
	char why[512];

	snprintf(ld->section, sizeof(ld->section), "%s", svc->name);
	if (config_inherit(ld, svc) == -1) {
		config_fail(ld, svc->line, NULL, "%s", strerror(errno));
		return;
	}
	if (svc->port_line == 0) {
		config_fail(ld, svc->line, NULL, "missing required key 'port'");
		return;
	}
	if (svc->exec_line == 0) {
		config_fail(ld, svc->line, NULL, "missing required key 'exec'");
		return;
	}
	if (config_default_binds(ld, svc) == -1 || !svc->enabled)
		return;
	svc->path =
	    program_resolve(svc->argv[0], ld->handler_dirs, why, sizeof(why));
	if (svc->path == NULL) {
		config_fail(ld, svc->exec_line, "exec", "%s", why);
		return;
	}
	if (svc->port != 0)
		config_check_clash(ld, idx);
}

static void
config_check(struct load *ld)
{
	size_t i;

	config_end_section(ld);
	ld->section[0] = '\0';
	if (ld->failed)
		return;
	if (ld->cfg->nservices == 0) {
		config_fail(ld, 0, NULL,
		    "no services defined (add a section such as [echo] with "
		    "port and exec)");
		return;
	}
	for (i = 0; i < ld->cfg->nservices && !ld->failed; i++)
		config_check_service(ld, i);
}

/* ---- entry points ---- */

static void
config_parse(struct load *ld)
{
	int rc;

	rc = ini_parse_stream(config_read_line, ld, config_on_key, ld);
	if (rc > 0 && !ld->failed)
		config_fail(ld, rc, NULL,
		    "syntax error (expected "
		    "\"key = value\", \"[section]\" or a comment)");
	else if (rc < 0 && !ld->failed)
		config_fail(ld, 0, NULL, "parser error %d", rc);
	if (!ld->failed)
		config_check(ld);
}

int
config_load(const char *path, const char *const *handler_dirs,
    struct config *cfg, char *err, size_t errlen)
{
	struct load ld;

	memset(cfg, 0, sizeof(*cfg));
	memset(&ld, 0, sizeof(ld));
	ld.cfg = cfg;
	ld.handler_dirs = handler_dirs;
	ld.err = err;
	ld.errlen = errlen;
	cfg->shutdown_timeout_ms = SHUTDOWN_TIMEOUT_DEFAULT_MS;
	if ((cfg->file = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* "re": the file must not leak into handlers even for a moment. */
	if ((ld.fp = fopen(path, "re")) == NULL) {
		config_fail(&ld, 0, NULL, "cannot open: %s", strerror(errno));
	} else {
		config_parse(&ld);
		fclose(ld.fp);
	}
	free(ld.line);
	free(ld.defaults.binds);
	free(ld.defaults.argv);
	free(ld.defaults.exec);
	if (ld.failed) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

void
config_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nservices; i++) {
		free(cfg->services[i].binds);
		free(cfg->services[i].argv);
		free(cfg->services[i].exec);
		free(cfg->services[i].path);
	}
	free(cfg->services);
	free(cfg->file);
	memset(cfg, 0, sizeof(*cfg));
}

void
config_format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in *sin = (const void *)sa;
	const struct sockaddr_in6 *sin6 = (const void *)sa;
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(sin6->sin6_port));
	} else {
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(sin->sin_port));
	}
}

void
config_format_bind(const struct bind_addr *ba, unsigned short port, char *buf,
    size_t len)
{
	struct sockaddr_storage ss = ba->ss;

	if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)&ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)(void *)&ss)->sin_port = htons(port);
	config_format_addr((struct sockaddr *)(void *)&ss, buf, len);
}

size_t
config_count_enabled(const struct config *cfg)
{
	size_t i, n = 0;

	for (i = 0; i < cfg->nservices; i++)
		n += cfg->services[i].enabled;
	return n;
}
