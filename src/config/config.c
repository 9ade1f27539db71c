/* Loading the ini file into a struct config.  inih does the key = value
 * splitting; our own line reader counts lines and rejects what Debian's
 * libinih would silently misread (over-long lines, indented lines, NUL
 * bytes), and sees section headers, which inih never reports for an empty
 * section. */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "argv.h"
#include "config.h"
#include "config_keys.h"
#include "parse.h"
#include "program.h"
#include "trust.h"
#include "wskeys.h"

enum section_kind {
	SECTION_NONE,
	SECTION_SUPERVISOR,
	SECTION_DEFAULTS,
	SECTION_SERVICE
};

struct default_entry;

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
	struct service defaults;    /* scratch: checks [defaults] values */
	struct default_entry *dflt; /* [defaults] lines, in order */
	size_t services_cap;        /* room in cfg->services */
	size_t *names;       /* by name: 1 + index in cfg->services; 0 empty */
	size_t names_mask;   /* slots in names - 1 */
	size_t *clash_first; /* by list (config_clash_list): 1 + the first
	                      * service in it; 0 none */
	size_t *clash_last;  /* by list: 1 + the last one so far */
	size_t *clash_next;  /* by service: 1 + the next in its list */
	size_t ndflt;
	bool have_defaults;
	int supervisor_line;
	int supervisor_key_line[SKEYS];
	bool failed;
	char *err;
	size_t errlen;
	config_stop_fn *stop; /* NULL: never asked */
};

/* Lines (and services) between two looks at ld->stop: cheap enough to
 * ask often, often enough that a stop is seen within milliseconds. */
#define CONFIG_STOP_EVERY 64

/* The clash lists: one per TCP port, one per UDP port, and unix paths
 * spread over CLASH_PATH_LISTS by a hash. */
#define CLASH_PORTS 65536
#define CLASH_PATH_LISTS 4096
#define CLASH_LISTS (2 * CLASH_PORTS + CLASH_PATH_LISTS)

static void config_fail(struct load *ld, int line, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void config_vformat(char *err, size_t errlen, const char *file, int line,
    const char *section, const char *key, const char *fmt, va_list ap)
    __attribute__((format(printf, 7, 0)));

/* How much of a long path an error line shows: its end. */
#define CONFIG_PATH_SHOWN 200

/* Writes "file:line: [section] key: what" into err; line 0 leaves out the
 * line, a NULL section or key leaves them out ("[section]: what"). */
static void
config_vformat(char *err, size_t errlen, const char *file, int line,
    const char *section, const char *key, const char *fmt, va_list ap)
{
	size_t len, flen = strlen(file);
	const char *dots = "";

	/* A very long path must not crowd the reason out of the line. */
	if (flen > CONFIG_PATH_SHOWN) {
		file += flen - CONFIG_PATH_SHOWN;
		dots = "...";
	}
	if (line > 0)
		snprintf(err, errlen, "%s%s:%d: ", dots, file, line);
	else
		snprintf(err, errlen, "%s%s: ", dots, file);
	len = strlen(err);
	if (section != NULL && len < errlen)
		len += (size_t)snprintf(err + len, errlen - len,
		    key ? "[%s] " : "[%s]: ", section);
	if (key != NULL && len < errlen)
		len += (size_t)snprintf(err + len, errlen - len, "%s: ", key);
	if (len < errlen)
		vsnprintf(err + len, errlen - len, fmt, ap);
}

/* Records the first error as "file:line: [section] key: what". */
static void
config_fail(struct load *ld, int line, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (ld->failed)
		return;
	ld->failed = true;
	va_start(ap, fmt);
	config_vformat(ld->err, ld->errlen, ld->cfg->file, line,
	    ld->section[0] != '\0' ? ld->section : NULL, key, fmt, ap);
	va_end(ap);
}

/* A [defaults] line, kept as text and applied to each service that does
 * not set the key itself. */
struct default_entry {
	const struct service_key_info *key;
	char *value;
	int line;
};

static struct service *
config_current(struct load *ld)
{
	return &ld->cfg->services[ld->cfg->nservices - 1];
}

/* ---- keys ---- */

static int
config_apply(struct load *ld, struct service *svc,
    const struct service_key_info *k, const char *value, int line)
{
	char why[256];

	if (!k->repeatable && svc->key_line[k->key] != 0) {
		config_fail(ld, line, k->name,
		    "duplicate key (first set on line %d)",
		    svc->key_line[k->key]);
		return -1;
	}
	svc->key_line[k->key] = line;
	if (k->set(svc, value, why, sizeof(why)) == -1) {
		config_fail(ld, line, k->name, "%s", why);
		return -1;
	}
	return 0;
}

/* A [defaults] key is checked at once, on a scratch service, so a bad
 * value is reported on its own line, then kept as text. */
static int
config_default_key(struct load *ld, const struct service_key_info *k,
    const char *value)
{
	struct default_entry *grown, *e;

	if (k->no_default) {
		config_fail(ld, ld->lineno, k->name,
		    "cannot be set in [defaults]; set it in each service");
		return -1;
	}
	if (config_apply(ld, &ld->defaults, k, value, ld->lineno) == -1)
		return -1;
	grown = realloc(ld->dflt, (ld->ndflt + 1) * sizeof(*grown));
	if (grown == NULL) {
		config_fail(ld, ld->lineno, k->name, "%s", strerror(errno));
		return -1;
	}
	ld->dflt = grown;
	e = &grown[ld->ndflt];
	if ((e->value = strdup(value)) == NULL) {
		config_fail(ld, ld->lineno, k->name, "%s", strerror(errno));
		return -1;
	}
	e->key = k;
	e->line = ld->lineno;
	ld->ndflt++;
	return 0;
}

/* The reserved section a misspelt header meant ("default" for
 * "defaults"), or NULL. */
static const char *
config_reserved_near(const char *name)
{
	static const char *const reserved[] = { "defaults", "supervisor" };
	size_t i;

	for (i = 0; i < 2; i++)
		if (strcmp(name, reserved[i]) != 0 &&
		    keys_near(name, reserved[i]) != KEYS_FAR)
			return reserved[i];
	return NULL;
}

/* A section taken for a service that does not work as one: if its name
 * is near a reserved one, that is the likelier mistake, reported at its
 * header.  Returns -1 if it reported that. */
static int
config_fail_reserved(struct load *ld, const char *name, int line)
{
	const char *meant = config_reserved_near(name);
	char copy[SERVICE_NAME_MAX + 1];

	if (meant == NULL)
		return 0;
	/* name may be ld->section, which the message must not repeat. */
	snprintf(copy, sizeof(copy), "%s", name);
	ld->section[0] = '\0';
	config_fail(ld, line, NULL, "unknown section [%s]; did you mean [%s]?",
	    copy, meant);
	return -1;
}

/* An unknown key: the key it is near (or the other section's key it
 * is), else the list of the section's keys. */
static void
config_unknown_key(struct load *ld, const char *name, bool in_supervisor)
{
	char names[KEYS_NAMES_MAX];
	bool sup = false;
	const char *near = keys_suggest(name, &sup);
	const char *where = sup == in_supervisor ? ""
	    : sup                                ? " (a [supervisor] key)"
	                                         : " (a service key)";

	if (near != NULL && strcmp(near, name) == 0) {
		config_fail(ld, ld->lineno, name, "%s",
		    sup ? "a [supervisor] key, not a service key (move it "
		          "to [supervisor])"
		        : "a service key, not a [supervisor] key (move it "
		          "to a service or [defaults])");
		return;
	}
	if (near != NULL) {
		config_fail(ld, ld->lineno, name,
		    "unknown key; did you mean %s%s?", near, where);
		return;
	}
	if (in_supervisor)
		keys_supervisor_names(names, sizeof(names));
	else
		keys_service_names(names, sizeof(names));
	config_fail(ld, ld->lineno, name, "unknown key (%s keys: %s)",
	    in_supervisor ? "[supervisor]" : "service", names);
}

static int
config_service_key(struct load *ld, const char *name, const char *value)
{
	const struct service_key_info *k = keys_find_service(name);

	if (k == NULL) {
		if (ld->kind == SECTION_SERVICE &&
		    config_fail_reserved(ld, ld->section, ld->section_line) ==
		        -1)
			return -1;
		config_unknown_key(ld, name, false);
		return -1;
	}
	if (ld->kind == SECTION_DEFAULTS)
		return config_default_key(ld, k, value);
	return config_apply(ld, config_current(ld), k, value, ld->lineno);
}

static int
config_supervisor_key(struct load *ld, const char *name, const char *value)
{
	int k = keys_find_supervisor(name);
	char why[256];

	if (k == -1) {
		config_unknown_key(ld, name, true);
		return -1;
	}
	if (ld->supervisor_key_line[k] != 0) {
		config_fail(ld, ld->lineno, name,
		    "duplicate key (first set on line %d)",
		    ld->supervisor_key_line[k]);
		return -1;
	}
	ld->supervisor_key_line[k] = ld->lineno;
	if (keys_set_supervisor(ld->cfg, k, value, why, sizeof(why)) == -1) {
		config_fail(ld, ld->lineno, name, "%s", why);
		return -1;
	}
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

/* FNV-1a: service names are short. */
static size_t
config_name_hash(const char *name)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	return (size_t)h;
}

/* The slot of name in the index: where it is, or the empty one where it
 * would go.  A linear search made 100,000 services take 18 s to load. */
static size_t
config_name_slot(const struct load *ld, const char *name)
{
	size_t i = config_name_hash(name) & ld->names_mask;

	while (ld->names[i] != 0 &&
	    strcmp(ld->cfg->services[ld->names[i] - 1].name, name) != 0)
		i = (i + 1) & ld->names_mask;
	return i;
}

/* Keeps the index at most half full, rebuilt whenever it doubles.
 * Returns 0, or -1 with errno ENOMEM. */
static int
config_names_room(struct load *ld)
{
	size_t slots = ld->names_mask + 1, i;
	size_t *old = ld->names;

	if (old != NULL && 2 * (ld->cfg->nservices + 1) <= slots)
		return 0;
	slots = old != NULL ? slots * 2 : 64;
	ld->names = calloc(slots, sizeof(*ld->names));
	if (ld->names == NULL) {
		ld->names = old;
		return -1;
	}
	free(old);
	ld->names_mask = slots - 1;
	for (i = 0; i < ld->cfg->nservices; i++)
		ld->names[config_name_slot(ld, ld->cfg->services[i].name)] =
		    i + 1;
	return 0;
}

static bool
config_section_seen(struct load *ld, const char *name)
{
	if (strcmp(name, "supervisor") == 0)
		return ld->supervisor_line != 0;
	if (strcmp(name, "defaults") == 0)
		return ld->have_defaults;
	return ld->names != NULL && ld->names[config_name_slot(ld, name)] != 0;
}

static int
config_new_service(struct load *ld, const char *name)
{
	struct service *grown, *svc;
	size_t cap = ld->services_cap;

	if (config_names_room(ld) == -1) {
		config_fail(ld, ld->lineno, NULL, "%s", strerror(errno));
		return -1;
	}
	/* Doubling: 10,000 services must not cost 10,000 reallocations. */
	if (ld->cfg->nservices == cap) {
		cap = cap ? cap * 2 : 16;
		grown = realloc(ld->cfg->services, cap * sizeof(*grown));
		if (grown == NULL) {
			config_fail(ld, ld->lineno, NULL, "%s",
			    strerror(errno));
			return -1;
		}
		ld->cfg->services = grown;
		ld->services_cap = cap;
	}
	svc = &ld->cfg->services[ld->cfg->nservices++];
	memset(svc, 0, sizeof(*svc));
	snprintf(svc->name, sizeof(svc->name), "%s", name);
	ld->names[config_name_slot(ld, svc->name)] = ld->cfg->nservices;
	svc->line = ld->lineno;
	keys_init_service(svc);
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
/* Every CONFIG_STOP_EVERY steps: whether the load must stop now. */
static bool
config_stopped(struct load *ld, size_t step)
{
	if (ld->stop == NULL || step % CONFIG_STOP_EVERY != 0 || !ld->stop())
		return false;
	config_fail(ld, 0, NULL, "stopped while loading");
	return true;
}

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
	if (config_stopped(ld, (size_t)ld->lineno))
		return NULL;
	config_check_line(ld, ld->line, (size_t)n, num);
	if (ld->failed)
		return NULL;
	memcpy(str, ld->line, (size_t)n + 1);
	return str;
}

/* ---- whole-file checks ---- */

/* A key the scratch service already looked up for this very [defaults]
 * line (user, group) is copied from it, not looked up again.  Returns
 * true if it was (or failed, with ld failed), false to run the setter. */
static bool
config_inherit_lookup(struct load *ld, struct service *svc,
    const struct default_entry *e)
{
	int rc = keys_copy_lookup(svc, &ld->defaults, e->key->key);

	if (rc == 0)
		return false;
	if (rc == -1)
		config_fail(ld, e->line, e->key->name, "%s", strerror(errno));
	else
		svc->key_line[e->key->key] = e->line;
	return true;
}

/* Services inherit from [defaults] every key they do not set. */
static int
config_inherit(struct load *ld, struct service *svc)
{
	bool set[SERVICE_KEYS];
	size_t i;

	for (i = 0; i < SERVICE_KEYS; i++)
		set[i] = svc->key_line[i] != 0;
	for (i = 0; i < ld->ndflt; i++) {
		if (set[ld->dflt[i].key->key])
			continue;
		/* A unix socket's path is its address: the default bind is
		 * for the others. */
		if (svc->unix_socket && ld->dflt[i].key->key == KEY_BIND)
			continue;
		if (config_inherit_lookup(ld, svc, &ld->dflt[i])) {
			if (ld->failed)
				return -1;
			continue;
		}
		if (config_apply(ld, svc, ld->dflt[i].key, ld->dflt[i].value,
		        ld->dflt[i].line) == -1)
			return -1;
	}
	return 0;
}

/* Without `bind`, a service listens on every IPv4 and IPv6 address. */
static int
config_default_binds(struct load *ld, struct service *svc)
{
	char why[128];

	if (svc->nbinds != 0)
		return 0;
	svc->bind_default = true;
	if (keys_add_bind(svc, "0.0.0.0", why, sizeof(why)) == -1 ||
	    keys_add_bind(svc, "::", why, sizeof(why)) == -1) {
		config_fail(ld, svc->line, "bind", "%s", why);
		return -1;
	}
	return 0;
}

/* Two sockets of one family on one port clash when the addresses are the
 * same or either is the wildcard.  IPv6 sockets are v6-only, so 0.0.0.0
 * and :: never clash.  Two unix sockets clash on the same path. */
static bool
config_binds_clash(const struct bind_addr *a, const struct bind_addr *b)
{
	if (a->ss.ss_family != b->ss.ss_family)
		return false;
	if (!addr_has_ports(a->ss.ss_family))
		return addr_same_host(&a->ss, &b->ss);
	return (a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0) ||
	    addr_is_wildcard(&a->ss) || addr_is_wildcard(&b->ss);
}

/* Whether a and b clash; if so, the message goes into ld. */
static bool
config_pair_clash(struct load *ld, const struct service *a,
    const struct service *b)
{
	enum service_key key = b->unix_socket ? KEY_PATH : KEY_PORT;
	char addr[ADDR_TEXT_MAX];
	size_t j, k;

	for (j = 0; j < a->nbinds; j++) {
		for (k = 0; k < b->nbinds; k++) {
			if (!config_binds_clash(&a->binds[j], &b->binds[k]))
				continue;
			addr_format_bind(&b->binds[k], b->port, addr,
			    sizeof(addr));
			config_fail(ld, b->key_line[key],
			    keys_service_name(key),
			    "%s is also used by [%s] (line %d)", addr, a->name,
			    a->key_line[key]);
			return true;
		}
	}
	return false;
}

/* The list of services that could meet b: TCP and UDP ports are apart
 * (a list per port and type); a unix path is one file, whatever its
 * type (a list per hash of the path). */
static size_t
config_clash_list(const struct service *b)
{
	if (b->unix_socket)
		return 2 * CLASH_PORTS +
		    config_name_hash(addr_path(&b->binds[0].ss)) %
		    CLASH_PATH_LISTS;
	return (b->sock_type == SOCK_DGRAM ? CLASH_PORTS : 0) + b->port;
}

/* Service `later` against the enabled services before it that could
 * listen on the same socket, in file order; then it joins them.  Only
 * those are looked at, so 100,000 services on ports of their own take no
 * longer to check than to read. */
static void
config_check_clash(struct load *ld, size_t later)
{
	const struct service *b = &ld->cfg->services[later];
	size_t list = config_clash_list(b), i;

	for (i = ld->clash_first[list]; i != 0; i = ld->clash_next[i - 1])
		if (config_pair_clash(ld, &ld->cfg->services[i - 1], b))
			return;
	if (ld->clash_last[list] == 0)
		ld->clash_first[list] = later + 1;
	else
		ld->clash_next[ld->clash_last[list] - 1] = later + 1;
	ld->clash_last[list] = later + 1;
}

/* The program of service idx: the one the service before it resolved
 * and checked, if they name the same (as 100,000 services inheriting exec
 * do), else found anew.  A malloc'd path, or NULL with why; *same tells
 * which. */
static char *
config_resolve(struct load *ld, size_t idx, bool *same, char *why,
    size_t whylen)
{
	const struct service *svc = &ld->cfg->services[idx], *prev = svc - 1;
	char *path;

	*same = idx > 0 && prev->path != NULL &&
	    strcmp(prev->argv[0], svc->argv[0]) == 0;
	if (*same) {
		if ((path = strdup(prev->path)) == NULL)
			snprintf(why, whylen, "%s", strerror(errno));
		return path;
	}
	return program_resolve(svc->argv[0], ld->handler_dirs, why, whylen);
}

/* An enabled service's program: found, given arguments it takes if it is
 * a shipped handler, and, if a script, with an interpreter that exists
 * (else every connection would fail as if the script were missing). */
static int
config_check_program(struct load *ld, struct service *svc)
{
	enum service_key key = svc->nargs > 0 ? KEY_ARGS : KEY_EXEC;
	int line = svc->key_line[KEY_EXEC];
	char why[512];
	bool same;

	svc->path = config_resolve(ld, (size_t)(svc - ld->cfg->services), &same,
	    why, sizeof(why));
	if (svc->path == NULL) {
		config_fail(ld, line, "exec", "%s", why);
		return -1;
	}
	if (program_check_args(svc->argv, why, sizeof(why)) == -1) {
		config_fail(ld, svc->key_line[key], keys_service_name(key),
		    "%s", why);
		return -1;
	}
	if (!same && !program_is_shipped(svc->argv[0]) &&
	    program_check_interpreter(svc->path, why, sizeof(why)) == -1) {
		config_fail(ld, line, "exec", "%s", why);
		return -1;
	}
	if (wskeys_resolve(svc, ld->handler_dirs, &key, why, sizeof(why)) ==
	    -1) {
		config_fail(ld, svc->key_line[key], keys_service_name(key),
		    "%s", why);
		return -1;
	}
	return 0;
}

static void
config_check_service(struct load *ld, size_t idx)
{
	struct service *svc = &ld->cfg->services[idx];
	enum service_key key;
	char why[512];

	snprintf(ld->section, sizeof(ld->section), "%s", svc->name);
	if (config_inherit(ld, svc) == -1)
		return;
	if (((svc->key_line[KEY_PORT] == 0 && !svc->unix_socket) ||
	        svc->key_line[KEY_EXEC] == 0) &&
	    config_fail_reserved(ld, svc->name, svc->line) == -1)
		return;
	if (svc->key_line[KEY_PORT] == 0 && !svc->unix_socket) {
		config_fail(ld, svc->line, NULL,
		    "missing required key 'port' (or 'path', for a "
		    "unix-domain socket)");
		return;
	}
	if (svc->key_line[KEY_EXEC] == 0) {
		config_fail(ld, svc->line, NULL, "missing required key 'exec'");
		return;
	}
	if (keys_finish_service(svc, idx > 0 ? svc - 1 : NULL, &key, why,
	        sizeof(why)) == -1) {
		config_fail(ld, svc->key_line[key], keys_service_name(key),
		    "%s", why);
		return;
	}
	if (config_default_binds(ld, svc) == -1 || !svc->enabled)
		return;
	if (config_check_program(ld, svc) == 0 &&
	    (svc->port != 0 || svc->unix_socket))
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
	ld->clash_first = calloc(CLASH_LISTS, sizeof(*ld->clash_first));
	ld->clash_last = calloc(CLASH_LISTS, sizeof(*ld->clash_last));
	ld->clash_next = calloc(ld->cfg->nservices, sizeof(*ld->clash_next));
	if (ld->clash_first == NULL || ld->clash_last == NULL ||
	    ld->clash_next == NULL) {
		config_fail(ld, 0, NULL, "%s", strerror(errno));
		return;
	}
	for (i = 0; i < ld->cfg->nservices && !ld->failed; i++)
		if (!config_stopped(ld, i + 1))
			config_check_service(ld, i);
}

/* ---- entry points ---- */

/* Well under what the process may hold: each handler costs a process now,
 * and later a pipe; the rest of the budget stays for superd itself. */
static unsigned long
config_default_max_children(void)
{
	unsigned long n = MAX_CHILDREN_DEFAULT;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 4 < n)
		n = (unsigned long)rl.rlim_cur / 4;
	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur / 2 < n)
		n = (unsigned long)rl.rlim_cur / 2;
	return n > 0 ? n : 1;
}

/* Opens the file without ever waiting: O_NONBLOCK, so a FIFO (or a
 * device) in its place is refused instead of waited on, and records who
 * may change it, as it was opened: config_check_privileges judges these,
 * not whatever the path names later. */
static void
config_open(struct load *ld, const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1) {
		config_fail(ld, 0, NULL, "cannot open: %s", strerror(errno));
		return;
	}
	if (fstat(fd, &st) == -1) {
		config_fail(ld, 0, NULL, "cannot stat: %s", strerror(errno));
		(void)close(fd);
		return;
	}
	/* /dev/zero or a pipe would be read as one endless line. */
	if (!S_ISREG(st.st_mode)) {
		config_fail(ld, 0, NULL, "not a regular file");
		(void)close(fd);
		return;
	}
	if ((ld->fp = fdopen(fd, "re")) == NULL) {
		config_fail(ld, 0, NULL, "cannot open: %s", strerror(errno));
		(void)close(fd);
		return;
	}
	ld->cfg->file_uid = st.st_uid;
	ld->cfg->file_gid = st.st_gid;
	ld->cfg->file_mode = st.st_mode;
}

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
	return config_load_until(path, handler_dirs, NULL, cfg, err, errlen);
}

int
config_load_until(const char *path, const char *const *handler_dirs,
    config_stop_fn *stop, struct config *cfg, char *err, size_t errlen)
{
	struct load ld;
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	memset(&ld, 0, sizeof(ld));
	ld.stop = stop;
	keys_init_service(&ld.defaults);
	ld.cfg = cfg;
	ld.handler_dirs = handler_dirs;
	ld.err = err;
	ld.errlen = errlen;
	cfg->shutdown_timeout_ms = SHUTDOWN_TIMEOUT_DEFAULT_MS;
	cfg->max_children = config_default_max_children();
	cfg->log_format = LOG_FORMAT_TEXT;
	if ((cfg->file = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	config_open(&ld, path);
	if (ld.fp != NULL) {
		config_parse(&ld);
		fclose(ld.fp);
	}
	free(ld.line);
	free(ld.names);
	free(ld.clash_first);
	free(ld.clash_last);
	free(ld.clash_next);
	keys_free_service(&ld.defaults);
	for (i = 0; i < ld.ndflt; i++)
		free(ld.dflt[i].value);
	free(ld.dflt);
	if (ld.failed) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

/* ---- who runs superd ---- */

static int config_deny(const struct config *cfg, int line,
    const struct service *svc, const char *key, char *err, size_t errlen,
    const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static int
config_deny(const struct config *cfg, int line, const struct service *svc,
    const char *key, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_vformat(err, errlen, cfg->file, line,
	    svc != NULL ? svc->name : NULL, key, fmt, ap);
	va_end(ap);
	return -1;
}

int
config_line_error(const struct config *cfg, const struct service *svc,
    enum service_key key, int line, char *err, size_t errlen, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_vformat(err, errlen, cfg->file, line ? line : svc->line,
	    svc->name, keys_service_name(key), fmt, ap);
	va_end(ap);
	return -1;
}

int
config_key_error(const struct config *cfg, const struct service *svc,
    enum service_key key, char *err, size_t errlen, const char *fmt, ...)
{
	int line = svc->key_line[key] ? svc->key_line[key] : svc->line;
	va_list ap;

	va_start(ap, fmt);
	config_vformat(err, errlen, cfg->file, line, svc->name,
	    keys_service_name(key), fmt, ap);
	va_end(ap);
	return -1;
}

/* trusted: a program already judged (the one of the service before),
 * not judged again when svc runs it too. */
static int
config_check_root(const struct config *cfg, const struct service *svc,
    const char *trusted, char *err, size_t errlen)
{
	int line = svc->key_line[KEY_EXEC];
	struct stat st;
	char why[CONFIG_ERR_MAX];

	if (!svc->user_set)
		return config_deny(cfg, svc->line, svc, NULL, err, errlen,
		    "runs as root without saying so: add user = NAME, or "
		    "user = root");
	if (trusted != NULL && strcmp(trusted, svc->path) == 0)
		return 0;
	if (stat(svc->path, &st) == -1)
		return config_deny(cfg, line, svc, "exec", err, errlen,
		    "%s: %s", svc->path, strerror(errno));
	if (!trust_file(st.st_uid, st.st_gid, st.st_mode, why, sizeof(why)))
		return config_deny(cfg, line, svc, "exec", err, errlen,
		    "superd runs as root, and %s is %s", svc->path, why);
	/* Whoever can write a directory above it can swap the program. */
	if (trust_dirs(svc->path, why, sizeof(why)) == -1)
		return config_deny(cfg, line, svc, "exec", err, errlen,
		    "superd runs as root, and %s", why);
	/* ... or put their own socket (or a symlink) where root binds. */
	if (svc->unix_socket &&
	    trust_dirs_new(addr_path(&svc->binds[0].ss), why, sizeof(why)) ==
	        -1)
		return config_deny(cfg, svc->key_line[KEY_PATH], svc, "path",
		    err, errlen, "superd runs as root, and %s", why);
	return 0;
}

/* A TLS file as root: nobody else may change it (a certificate
 * authority put in place would let anyone in), and a key nobody else may
 * read.  line is where the service names it. */
static int
config_check_tls_file(const struct config *cfg, const struct service *svc,
    enum service_key key, int line, const char *path, char *err, size_t errlen)
{
	const char *name = keys_service_name(key);
	char why[CONFIG_ERR_MAX];
	struct stat st;

	if (stat(path, &st) == -1)
		return config_deny(cfg, line, svc, name, err, errlen, "%s: %s",
		    path, strerror(errno));
	if (!trust_file(st.st_uid, st.st_gid, st.st_mode, why, sizeof(why)) ||
	    (key == KEY_TLS_KEY &&
	        !trust_secret(st.st_gid, st.st_mode, why, sizeof(why))))
		return config_deny(cfg, line, svc, name, err, errlen,
		    "superd runs as root, and %s is %s", path, why);
	if (trust_dirs(path, why, sizeof(why)) == -1)
		return config_deny(cfg, line, svc, name, err, errlen,
		    "superd runs as root, and %s", why);
	return 0;
}

static int
config_check_tls(const struct config *cfg, const struct service *svc, char *err,
    size_t errlen)
{
	size_t i;

	for (i = 0; i < svc->ntls_certs; i++)
		if (config_check_tls_file(cfg, svc, KEY_TLS_CERT,
		        svc->tls_cert_line[i], svc->tls_certs[i], err,
		        errlen) == -1 ||
		    config_check_tls_file(cfg, svc, KEY_TLS_KEY,
		        svc->tls_key_line[i], svc->tls_keys[i], err,
		        errlen) == -1)
			return -1;
	if (svc->tls_client_ca != NULL && svc->ntls_certs > 0)
		return config_check_tls_file(cfg, svc, KEY_TLS_CLIENT_CA,
		    svc->key_line[KEY_TLS_CLIENT_CA], svc->tls_client_ca, err,
		    errlen);
	return 0;
}

/* Without root, setuid and setgid can only keep the ids superd has, and
 * setgroups cannot be called at all. */
static int
config_check_unprivileged(const struct config *cfg, const struct service *svc,
    uid_t euid, gid_t egid, char *err, size_t errlen)
{
	const int *kl = svc->key_line;

	if (!svc->user_set)
		return 0;
	if (svc->uid != euid)
		return config_deny(cfg, kl[KEY_USER], svc, "user", err, errlen,
		    "superd is not root: cannot run as %s", svc->user);
	if (svc->gid != egid)
		return config_deny(cfg,
		    kl[KEY_GROUP] ? kl[KEY_GROUP] : kl[KEY_USER], svc,
		    kl[KEY_GROUP] ? "group" : "user", err, errlen,
		    "superd is not root: cannot run as group %u",
		    (unsigned)svc->gid);
	if (kl[KEY_SUPPLEMENTARY_GROUPS] != 0)
		return config_deny(cfg, kl[KEY_SUPPLEMENTARY_GROUPS], svc,
		    "supplementary_groups", err, errlen,
		    "superd is not root: cannot set supplementary groups");
	return 0;
}

/* Only root gives a file away. */
static int
config_check_socket_owner(const struct config *cfg, const struct service *svc,
    uid_t euid, char *err, size_t errlen)
{
	if (euid == 0 || !svc->socket_uid_set || svc->socket_uid == euid)
		return 0;
	return config_deny(cfg, svc->key_line[KEY_SOCKET_USER], svc,
	    "socket_user", err, errlen,
	    "superd is not root: cannot give the socket to uid %u",
	    (unsigned)svc->socket_uid);
}

int
config_check_privileges(const struct config *cfg, uid_t euid, gid_t egid,
    char *err, size_t errlen)
{
	const struct service *svc;
	const char *trusted = NULL; /* the last program found trustworthy */
	char why[CONFIG_ERR_MAX];
	size_t i;

	if (euid == 0 &&
	    !trust_file(cfg->file_uid, cfg->file_gid, cfg->file_mode, why,
	        sizeof(why)))
		return config_deny(cfg, 0, NULL, NULL, err, errlen,
		    "superd runs as root, and the file is %s", why);
	if (euid == 0 && trust_dirs(cfg->file, why, sizeof(why)) == -1)
		return config_deny(cfg, 0, NULL, NULL, err, errlen,
		    "superd runs as root, and %s", why);
	for (i = 0; i < cfg->nservices; i++) {
		svc = &cfg->services[i];
		/* A disabled service never starts a handler. */
		if (!svc->enabled)
			continue;
		if (euid == 0 &&
		    config_check_root(cfg, svc, trusted, err, errlen) == -1)
			return -1;
		if (euid == 0 && config_check_tls(cfg, svc, err, errlen) == -1)
			return -1;
		if (euid == 0)
			trusted = svc->path;
		if (euid != 0 &&
		    config_check_unprivileged(cfg, svc, euid, egid, err,
		        errlen) == -1)
			return -1;
		if (config_check_socket_owner(cfg, svc, euid, err, errlen) ==
		    -1)
			return -1;
	}
	return 0;
}

/* A word starting with '#' after a blank in an exec or args value: in
 * superd a value has no '#' comments, so it is passed on. */
static void
config_lint_hash(const struct config *cfg, const struct service *svc,
    const char *key, const char *value, int line,
    void (*warn)(void *arg, const char *line), void *arg)
{
	char msg[CONFIG_ERR_MAX];
	long at = argv_comment(value);

	if (at < 0)
		return;
	(void)config_deny(cfg, line, svc, key, msg, sizeof(msg),
	    "warning: \"%s\" is passed to the program as arguments: '#' "
	    "starts a comment only at the start of a line (after a value, "
	    "\" ; comment\"; quote it, '#', to pass it on purpose)",
	    value + at);
	warn(arg, msg);
}

static void
config_lint_service(const struct config *cfg, const struct service *svc,
    unsigned flags, mode_t mode, void (*warn)(void *arg, const char *line),
    void *arg)
{
	int line = svc->key_line[KEY_EXEC];
	char msg[CONFIG_ERR_MAX];
	size_t i;

	if (flags & PROGRAM_SETID) {
		(void)config_deny(cfg, line, svc, "exec", msg, sizeof(msg),
		    "warning: %s is %s (mode %04o): it gains its file's ids, "
		    "whatever user and group say",
		    svc->path,
		    (mode & S_ISUID) && (mode & S_ISGID) ? "setuid and setgid"
		        : (mode & S_ISUID)               ? "setuid"
		                                         : "setgid",
		    (unsigned)(mode & 07777));
		warn(arg, msg);
	}
	if (flags & PROGRAM_NO_MAGIC) {
		(void)config_deny(cfg, line, svc, "exec", msg, sizeof(msg),
		    "warning: %s is neither an ELF binary nor a script "
		    "starting with \"#!\": execve will refuse it",
		    svc->path);
		warn(arg, msg);
	}
	config_lint_hash(cfg, svc, "exec", svc->exec, line, warn, arg);
	for (i = 0; i < svc->nargs; i++)
		config_lint_hash(cfg, svc, "args", svc->args[i],
		    svc->args_line[i], warn, arg);
}

void
config_lint(const struct config *cfg, void (*warn)(void *arg, const char *line),
    void *arg)
{
	const char *seen = NULL; /* the program last inspected */
	unsigned flags = 0;
	mode_t mode = 0;
	size_t i;

	for (i = 0; i < cfg->nservices; i++) {
		if (!cfg->services[i].enabled)
			continue;
		if (seen == NULL || strcmp(seen, cfg->services[i].path) != 0) {
			seen = cfg->services[i].path;
			mode = 0;
			flags = program_inspect(seen, &mode);
		}
		config_lint_service(cfg, &cfg->services[i], flags, mode, warn,
		    arg);
	}
}

void
config_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nservices; i++)
		keys_free_service(&cfg->services[i]);
	free(cfg->services);
	free(cfg->file);
	memset(cfg, 0, sizeof(*cfg));
}

size_t
config_count_enabled(const struct config *cfg)
{
	size_t i, n = 0;

	for (i = 0; i < cfg->nservices; i++)
		n += cfg->services[i].enabled;
	return n;
}

long long
config_find_service(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nservices; i++)
		if (strcmp(cfg->services[i].name, name) == 0)
			return (long long)i;
	return -1;
}
