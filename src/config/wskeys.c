/* The WebSocket keys: parsed into struct service, checked together, and
 * turned at load into the relay's argument vector, so that a connection
 * costs the child one execve of superd-ws instead of the handler. */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "program.h"
#include "wskeys.h"

static int
wskeys_oom(char *why, size_t whylen)
{
	snprintf(why, whylen, "%s", strerror(errno));
	return -1;
}

int
wskeys_set_protocol(struct service *svc, const char *v, char *why,
    size_t whylen)
{
	if (strcmp(v, "raw") == 0)
		svc->protocol = PROTOCOL_RAW;
	else if (strcmp(v, "websocket") == 0)
		svc->protocol = PROTOCOL_WEBSOCKET;
	else {
		snprintf(why, whylen, "\"%s\" is not raw or websocket", v);
		return -1;
	}
	return 0;
}

int
wskeys_set_binary(struct service *svc, const char *v, char *why, size_t whylen)
{
	if (parse_bool(v, &svc->ws_binary) == 0)
		return 0;
	snprintf(why, whylen, "\"%s\" is not yes or no", v);
	return -1;
}

/* An Origin is what a browser sends: "null", or scheme://host[:port] with
 * nothing after, in printable ASCII. */
static bool
wskeys_origin_ok(const char *o)
{
	const char *p = strstr(o, "://");
	size_t i;

	if (strcmp(o, "null") == 0)
		return true;
	if (p == NULL || p == o || p[3] == '\0' || strchr(p + 3, '/') != NULL)
		return false;
	for (i = 0; o[i] != '\0'; i++)
		if (o[i] <= ' ' || o[i] > '~')
			return false;
	return true;
}

int
wskeys_set_origin(struct service *svc, const char *v, char *why, size_t whylen)
{
	char *copy, *tok, *save, **grown;
	int n = 0;

	if ((copy = strdup(v)) == NULL)
		return wskeys_oom(why, whylen);
	for (tok = strtok_r(copy, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save), n++) {
		if (!wskeys_origin_ok(tok)) {
			snprintf(why, whylen,
			    "\"%s\" is not an origin (scheme://host[:port], "
			    "as a browser sends it, or null)",
			    tok);
			free(copy);
			return -1;
		}
		grown = realloc(svc->ws_origins,
		    (svc->nws_origins + 1) * sizeof(*grown));
		if (grown == NULL ||
		    (grown[svc->nws_origins] = strdup(tok)) == NULL) {
			if (grown != NULL)
				svc->ws_origins = grown;
			free(copy);
			return wskeys_oom(why, whylen);
		}
		svc->ws_origins = grown;
		svc->nws_origins++;
	}
	free(copy);
	if (n == 0) {
		snprintf(why, whylen, "no origin given");
		return -1;
	}
	return 0;
}

int
wskeys_set_path(struct service *svc, const char *v, char *why, size_t whylen)
{
	size_t i;

	if (v[0] != '/') {
		snprintf(why, whylen, "\"%s\" does not start with /", v);
		return -1;
	}
	for (i = 0; v[i] != '\0'; i++)
		if (v[i] <= ' ' || v[i] > '~' || v[i] == '?' || v[i] == '#') {
			snprintf(why, whylen,
			    "\"%s\" is not a URL path (printable ASCII, no "
			    "blanks, no ? or #)",
			    v);
			return -1;
		}
	free(svc->ws_path);
	if ((svc->ws_path = strdup(v)) == NULL)
		return wskeys_oom(why, whylen);
	return 0;
}

int
wskeys_set_static(struct service *svc, const char *v, char *why, size_t whylen)
{
	struct stat st;

	/* A relative name is a shipped page directory, found at load
	 * (wskeys_resolve); an absolute one must be a directory now. */
	if (v[0] == '/' && stat(v, &st) == -1) {
		snprintf(why, whylen, "\"%s\": %s", v, strerror(errno));
		return -1;
	}
	if (v[0] == '/' && !S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "\"%s\" is not a directory", v);
		return -1;
	}
	if (v[0] != '/' &&
	    (strchr(v, '/') != NULL || strcmp(v, "..") == 0 ||
	        strcmp(v, ".") == 0)) {
		snprintf(why, whylen,
		    "\"%s\" is neither an absolute path nor the name of a "
		    "shipped page directory (such as chat)",
		    v);
		return -1;
	}
	free(svc->ws_static);
	if ((svc->ws_static = strdup(v)) == NULL)
		return wskeys_oom(why, whylen);
	return 0;
}

int
wskeys_set_max_message(struct service *svc, const char *v, char *why,
    size_t whylen)
{
	if (parse_size(v, 125, WS_MAX_MESSAGE_MAX, &svc->ws_max_message) == 0)
		return 0;
	if (errno == ERANGE)
		snprintf(why, whylen, "\"%s\" is out of range (125-16M)", v);
	else
		snprintf(why, whylen,
		    "\"%s\" is not a size (a number, optionally K or M)", v);
	return -1;
}

int
wskeys_finish(const struct service *svc, enum service_key *key, char *why,
    size_t whylen)
{
	static const enum service_key ws_only[] = { KEY_WEBSOCKET_BINARY,
		KEY_WEBSOCKET_ORIGIN, KEY_WEBSOCKET_PATH, KEY_WEBSOCKET_STATIC,
		KEY_WEBSOCKET_MAX_MESSAGE };
	size_t i;

	for (i = 0; svc->protocol == PROTOCOL_RAW &&
	     i < sizeof(ws_only) / sizeof(ws_only[0]);
	     i++)
		if (svc->key_line[ws_only[i]] != 0) {
			*key = ws_only[i];
			snprintf(why, whylen, "needs protocol = websocket");
			return -1;
		}
	if (svc->protocol == PROTOCOL_RAW)
		return 0;
	*key = KEY_PROTOCOL;
	if (svc->wait || svc->sock_type != SOCK_STREAM) {
		snprintf(why, whylen,
		    "websocket needs socket = stream and wait = no: each "
		    "accepted connection gets its own relay");
		return -1;
	}
	if (svc->stderr_to == STDERR_CLIENT) {
		*key = KEY_STDERR;
		snprintf(why, whylen,
		    "\"client\" with protocol = websocket: the connection "
		    "carries frames, not text");
		return -1;
	}
	return 0;
}

/* Appends each of words to argv at *n. */
static void
wskeys_push(char **argv, size_t *n, const char *word)
{
	argv[(*n)++] = (char *)(uintptr_t)word;
}

/* The relay's words (its own strings point into svc, which outlives
 * every child): superd-ws [-b] [-m N] [-p PATH] [-s DIR] [-o ORIGIN]...
 * -- PROGRAM ARGV0 ARGS... */
static int
wskeys_build_argv(struct service *svc, char *why, size_t whylen)
{
	size_t nargv = 0, n = 0, i, max;
	char **argv;
	char *num;

	while (svc->argv[nargv] != NULL)
		nargv++;
	max = 1 + 1 + 2 + 2 + 2 + 2 * svc->nws_origins + 2 + nargv + 1;
	if ((argv = calloc(max, sizeof(*argv))) == NULL ||
	    asprintf(&num, "%lu", svc->ws_max_message) == -1) {
		free(argv);
		return wskeys_oom(why, whylen);
	}
	wskeys_push(argv, &n, WSKEYS_RELAY);
	if (svc->ws_binary)
		wskeys_push(argv, &n, "-b");
	wskeys_push(argv, &n, "-m");
	argv[n++] = num; /* the one word the vector owns */
	if (svc->ws_path != NULL) {
		wskeys_push(argv, &n, "-p");
		wskeys_push(argv, &n, svc->ws_path);
	}
	if (svc->ws_static_dir != NULL) {
		wskeys_push(argv, &n, "-s");
		wskeys_push(argv, &n, svc->ws_static_dir);
	}
	for (i = 0; i < svc->nws_origins; i++) {
		wskeys_push(argv, &n, "-o");
		wskeys_push(argv, &n, svc->ws_origins[i]);
	}
	wskeys_push(argv, &n, "--");
	wskeys_push(argv, &n, svc->path);
	for (i = 0; i < nargv; i++)
		wskeys_push(argv, &n, svc->argv[i]);
	argv[n] = NULL;
	svc->relay_argv = argv;
	return 0;
}

int
wskeys_resolve(struct service *svc, const char *const *handler_dirs,
    enum service_key *key, char *why, size_t whylen)
{
	if (svc->protocol != PROTOCOL_WEBSOCKET || svc->path == NULL)
		return 0;
	*key = KEY_PROTOCOL;
	svc->relay_path =
	    program_helper(WSKEYS_RELAY, handler_dirs, why, whylen);
	if (svc->relay_path == NULL)
		return -1;
	*key = KEY_WEBSOCKET_STATIC;
	if (svc->ws_static != NULL) {
		svc->ws_static_dir = svc->ws_static[0] == '/'
		    ? realpath(svc->ws_static, NULL)
		    : program_data_dir(svc->ws_static, handler_dirs, why,
		          whylen);
		if (svc->ws_static_dir == NULL) {
			if (svc->ws_static[0] == '/')
				snprintf(why, whylen, "\"%s\": %s",
				    svc->ws_static, strerror(errno));
			return -1;
		}
	}
	*key = KEY_PROTOCOL;
	return wskeys_build_argv(svc, why, whylen);
}

void
wskeys_free(struct service *svc)
{
	size_t i;

	for (i = 0; i < svc->nws_origins; i++)
		free(svc->ws_origins[i]);
	free(svc->ws_origins);
	free(svc->ws_path);
	free(svc->ws_static);
	free(svc->ws_static_dir);
	free(svc->relay_path);
	/* Of its words only the -m number is its own (wskeys_build_argv). */
	if (svc->relay_argv != NULL)
		free(svc->relay_argv[svc->ws_binary ? 3 : 2]);
	free(svc->relay_argv);
}
