/* The metrics endpoint's HTTP side (see httpd.h): one request, its
 * answer, the end of the connection. */
#include <sys/socket.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpd.h"

/* The response, header and body (none for HEAD) in one buffer. */
static void
httpd_respond(struct endpoint_conn *c, const char *status, const char *type,
    const char *body, size_t bodylen, bool head)
{
	char hdr[256], *out;
	int n;

	n = snprintf(hdr, sizeof(hdr),
	    "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n",
	    status, type, bodylen);
	if (head)
		bodylen = 0;
	out = malloc((size_t)n + bodylen);
	if (out != NULL) {
		memcpy(out, hdr, (size_t)n);
		memcpy(out + n, body, bodylen);
	}
	endpoint_reply(c, out, (size_t)n + bodylen, true);
}

static void
httpd_error(struct endpoint_conn *c, const char *status)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%s\n", status);

	httpd_respond(c, status, "text/plain; charset=utf-8", body, (size_t)n,
	    false);
}

/* The status line for a request head in c->in (its first line decides),
 * NULL when it asks for the served path. */
static const char *
httpd_check(const struct httpd *h, char *line, bool *head)
{
	char *target, *version;
	size_t plen = strlen(h->path);

	line[strcspn(line, "\r\n")] = '\0';
	target = strchr(line, ' ');
	version = target != NULL ? strchr(target + 1, ' ') : NULL;
	if (version == NULL || strncmp(version + 1, "HTTP/1.", 7) != 0)
		return "400 Bad Request";
	*target++ = '\0';
	*head = strcmp(line, "HEAD") == 0;
	if (!*head && strcmp(line, "GET") != 0)
		return "405 Method Not Allowed";
	if (strncmp(target, h->path, plen) != 0 ||
	    (target[plen] != ' ' && target[plen] != '?'))
		return "404 Not Found";
	return NULL;
}

static void
httpd_request(struct httpd *h, struct endpoint_conn *c)
{
	const char *status;
	bool head = false;
	char *body;
	size_t len;

	status = httpd_check(h, c->in, &head);
	if (status != NULL) {
		httpd_error(c, status);
		return;
	}
	body = h->render(h->arg, &len);
	if (body == NULL) {
		httpd_error(c, "503 Service Unavailable");
		return;
	}
	httpd_respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8",
	    body, len, head);
	free(body);
}

/* Input so far: once the head is whole (or too long to be), the answer,
 * and the connection ends after it. */
static void
httpd_input(struct endpoint *e, struct endpoint_conn *c)
{
	struct httpd *h = e->arg;

	if (strstr(c->in, "\r\n\r\n") != NULL || strstr(c->in, "\n\n") != NULL)
		httpd_request(h, c);
	else if (c->inlen == ENDPOINT_IN_MAX)
		httpd_error(c, "431 Request Header Fields Too Large");
}

int
httpd_open(struct httpd *h, const struct sockaddr_storage *ss, socklen_t len,
    int epfd, uint64_t tag, const char *path, httpd_render render, void *arg)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	int one = 1, saved, fd;

	memset(h, 0, sizeof(*h));
	h->path = path;
	h->render = render;
	h->arg = arg;
	h->ep.timeout_ms = HTTPD_TIMEOUT_MS;
	h->ep.input = httpd_input;
	h->ep.arg = h;
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    addr_prepare_listener(fd, ss->ss_family) == -1 ||
	    bind(fd, (const struct sockaddr *)ss, len) == -1 ||
	    listen(fd, ENDPOINT_BACKLOG) == -1 ||
	    getsockname(fd, (struct sockaddr *)&bound, &blen) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	addr_format((struct sockaddr *)&bound, h->ep.label,
	    sizeof(h->ep.label));
	endpoint_start(&h->ep, fd, epfd, tag);
	return 0;
}
