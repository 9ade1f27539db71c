/* superd-ws: the relay superd runs in a websocket service's handler's
 * place (wskeys.c builds its command line).  It reads one HTTP request
 * with a bounded size and a deadline, answers a static file or refuses,
 * or completes the upgrade and starts the handler with CGI's variables,
 * then relays (wsrelay.c) and exits as the handler did. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"
#include "hio.h"
#include "relayproc.h"
#include "wsexit.h"
#include "wshttp.h"
#include "wsrelay.h"
#include "wsstatic.h"

/* How long the request head may take. */
#define WSMAIN_HEAD_MS 10000
#define WSMAIN_ORIGINS_MAX 64

struct wsmain {
	bool binary;
	unsigned long max;
	const char *path;       /* websocket_path; NULL: any */
	const char *static_dir; /* NULL: none */
	const char *origins[WSMAIN_ORIGINS_MAX];
	size_t norigins;
	char **argv; /* the handler: its path, then its argv */
};

static void __attribute__((noreturn)) wsmain_usage(const char *why)
{
	fprintf(stderr,
	    "superd-ws: %s\nusage: superd-ws [-b] [-m MAX] [-p PATH] [-s DIR] "
	    "[-o ORIGIN]... -- PROGRAM ARGV0 [ARG]...\n(superd runs it for "
	    "protocol = websocket; see superd.ini(5))\n",
	    why);
	exit(2);
}

static void
wsmain_options(struct wsmain *m, int argc, char **argv)
{
	char *end;
	int c;

	memset(m, 0, sizeof(*m));
	m->max = 64 * 1024;
	while ((c = getopt(argc, argv, "bm:p:s:o:")) != -1) {
		switch (c) {
		case 'b':
			m->binary = true;
			break;
		case 'm':
			errno = 0;
			m->max = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || m->max < 125 ||
			    m->max > 16UL * 1024 * 1024)
				wsmain_usage("-m: 125 to 16777216 bytes");
			break;
		case 'p':
			m->path = optarg;
			break;
		case 's':
			m->static_dir = optarg;
			break;
		case 'o':
			if (m->norigins == WSMAIN_ORIGINS_MAX)
				wsmain_usage("too many -o");
			m->origins[m->norigins++] = optarg;
			break;
		default:
			wsmain_usage("unknown option");
		}
	}
	if (argc - optind < 2)
		wsmain_usage("no program");
	m->argv = argv + optind;
}

/* Reads the request head into buf; *have is what was read (the head and
 * maybe the first frames after it).  Returns the head's length, 0 if the
 * client closed without sending anything, or the exit status of a
 * refusal (negated). */
static long
wsmain_read_head(struct relay *r, char *buf, size_t *have,
    struct wsrequest *req)
{
	long long until = clock_ms() + WSMAIN_HEAD_MS, left;
	struct pollfd p[2] = { { r->client, POLLIN, 0 },
		{ r->sigfd, POLLIN, 0 } };
	long head;
	ssize_t n;
	int sig;

	*have = 0;
	for (;;) {
		left = until - clock_ms();
		if (left <= 0 || poll(p, 2, (int)left) == 0)
			return -WSEXIT_TIMEOUT;
		/* superd stops everything (shutdown, max_duration): no
		 * handler to tell, so the relay ends as one would. */
		if (p[1].revents != 0 && (sig = relayproc_stop_signal(r)) != 0)
			relayproc_die(sig);
		if (p[0].revents == 0)
			continue;
		n = read(r->client, buf + *have, WSHTTP_HEAD_MAX - *have);
		if (n == -1 && errno == EINTR)
			continue;
		/* Closed before a byte: a browser's preconnect or a port
		 * probe, nothing asked and nothing to refuse. */
		if (n == 0 && *have == 0)
			return 0;
		if (n <= 0)
			return -WSEXIT_INVALID;
		*have += (size_t)n;
		head = wshttp_parse(buf, *have, req);
		if (head != 0)
			return head > 0 ? head : -WSEXIT_INVALID;
	}
}

static int
wsmain_refuse(int fd, int code, int status, const char *why, const char *detail)
{
	char buf[512];
	size_t n = wshttp_refusal(code, buf, sizeof(buf));

	(void)hio_write_all(fd, buf, n);
	fprintf(stderr, "refused (%d): %s%s%s\n", code, why,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	return status;
}

static bool
wsmain_origin_ok(const struct wsmain *m, const struct wsrequest *req)
{
	size_t i;

	if (m->norigins == 0)
		return true;
	for (i = 0; req->origin_seen && i < m->norigins; i++)
		if (strcasecmp(req->origin, m->origins[i]) == 0)
			return true;
	return false;
}

/* A request that is no upgrade: a file, or a refusal. */
static int
wsmain_plain(const struct wsmain *m, int fd, const struct wsrequest *req)
{
	bool head = strcmp(req->method, "HEAD") == 0;

	if (m->static_dir == NULL)
		return wsmain_refuse(fd, 426, WSEXIT_INVALID,
		    "not a WebSocket upgrade", req->target);
	if (!head && strcmp(req->method, "GET") != 0)
		return wsmain_refuse(fd, 405, WSEXIT_INVALID,
		    "method not allowed", req->method);
	return wsstatic_serve(fd, m->static_dir, req->target,
	           wshttp_path_len(req), head) == -1
	    ? 1
	    : 0;
}

/* Checks an upgrade; returns 0 if it may go on, else the exit status. */
static int
wsmain_check(const struct wsmain *m, int fd, const struct wsrequest *req)
{
	if (m->path != NULL &&
	    (wshttp_path_len(req) != strlen(m->path) ||
	        strncmp(req->target, m->path, strlen(m->path)) != 0))
		return wsmain_refuse(fd, 404, WSEXIT_PATH, "not websocket_path",
		    req->target);
	if (!wsmain_origin_ok(m, req))
		return wsmain_refuse(fd, 403, WSEXIT_ORIGIN,
		    "origin not in websocket_origin",
		    req->origin_seen ? req->origin : "(none sent)");
	if (strcmp(req->method, "GET") != 0 || req->minor < 1 || !req->host ||
	    !wshttp_key_ok(req->key))
		return wsmain_refuse(fd, 400, WSEXIT_INVALID,
		    "not a valid WebSocket handshake", NULL);
	if (req->version != 13)
		return wsmain_refuse(fd, 426, WSEXIT_INVALID,
		    "Sec-WebSocket-Version is not 13", NULL);
	return 0;
}

/* CGI's names, as websocketd gives them; superd reserves them in env. */
static int
wsmain_env(const struct wsrequest *req)
{
	char path[WSHTTP_TARGET_MAX + 1];

	snprintf(path, sizeof(path), "%s", req->target);
	if (setenv("REQUEST_URI", path, 1) == -1 ||
	    setenv("QUERY_STRING", wshttp_query(req), 1) == -1)
		return -1;
	if (req->origin_seen && setenv("HTTP_ORIGIN", req->origin, 1) == -1)
		return -1;
	if (req->agent_seen && setenv("HTTP_USER_AGENT", req->agent, 1) == -1)
		return -1;
	return 0;
}

/* After the 101: the handler, then the relay until both are done. */
static void __attribute__((noreturn)) wsmain_relay(const struct wsmain *m,
    struct relay *r, const char *rest, size_t nrest)
{
	struct wsrelay w;

	if (wsrelay_init(&w, r, m->max, m->binary) == -1) {
		fprintf(stderr, "superd-ws: %s\n", strerror(errno));
		exit(1);
	}
	if (relayproc_start(r, m->argv[0], m->argv + 1) == -1) {
		fprintf(stderr, "superd-ws: cannot start %s: %s\n", m->argv[0],
		    strerror(errno));
		wsrelay_close(&w, WS_CLOSE_ERROR);
		exit(126);
	}
	/* Frames a client sent right behind its request. */
	if (nrest > 0 &&
	    wsrelay_ops.from_client(&w, (unsigned char *)(uintptr_t)rest,
	        nrest) == -1)
		wsrelay_ops.client_eof(&w);
	if (relay_run(r, &wsrelay_ops, &w) == -1) {
		fprintf(stderr, "superd-ws: %s\n", strerror(errno));
		exit(1);
	}
	wsrelay_free(&w);
	relayproc_exit(r);
}

int
main(int argc, char **argv)
{
	char buf[WSHTTP_HEAD_MAX], ok[256];
	struct wsrequest req;
	struct relay r;
	struct wsmain m;
	size_t have, n;
	long head;
	int status;

	wsmain_options(&m, argc, argv);
	if (relayproc_init(&r) == -1) {
		fprintf(stderr, "superd-ws: %s\n", strerror(errno));
		return 1;
	}
	head = wsmain_read_head(&r, buf, &have, &req);
	if (head == 0)
		return 0;
	if (head == -WSEXIT_TIMEOUT)
		return wsmain_refuse(r.client, 408, WSEXIT_TIMEOUT,
		    "no whole request in time", NULL);
	if (head < 0)
		return wsmain_refuse(r.client, 400, WSEXIT_INVALID,
		    "not an HTTP/1.1 request", NULL);
	if (!wshttp_is_upgrade(&req))
		return wsmain_plain(&m, r.client, &req);
	if ((status = wsmain_check(&m, r.client, &req)) != 0)
		return status;
	n = wshttp_switching(req.key, ok, sizeof(ok));
	if (wsmain_env(&req) == -1 || hio_write_all(r.client, ok, n) == -1)
		return 1;
	wsmain_relay(&m, &r, buf + head, have - (size_t)head);
}
