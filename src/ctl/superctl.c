/* superctl: sends one command to superd's control socket and prints the
 * reply.  The protocol is a line out, and back "ok" or "error: WHY", the
 * body, an empty line (superd(8), CONTROL SOCKET); superctl adds nothing
 * but the errors a person needs when the socket cannot be reached. */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SUPERD_VERSION
#define SUPERD_VERSION "unknown"
#endif
#define CONTROL_DEFAULT "/run/superd/control"

#define EXIT_OK 0
#define EXIT_FAILED 1 /* superd said error */
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3 /* no superd to ask */

/* A reply is small (a status table); a bound keeps a wrong peer from
 * filling memory. */
#define REPLY_MAX (16 * 1024 * 1024)
#define REPLY_TIMEOUT_MS 30000

static void
usage(FILE *to)
{
	fprintf(to,
	    "usage: superctl [-s SOCKET] [--json] COMMAND [ARG]\n"
	    "  status                 services, their state and counters\n"
	    "  connections [SERVICE]  one row per running handler\n"
	    "  kill PID|SERVICE       SIGTERM, then SIGKILL after "
	    "stop_timeout\n"
	    "  drain SERVICE          accept nothing; handlers finish\n"
	    "  resume SERVICE         accept again\n"
	    "  reload                 reload the file, and say how it went\n"
	    "  check                  check the file without applying it\n"
	    "  -s SOCKET  the control socket (default " CONTROL_DEFAULT ")\n"
	    "  --json     the reply as JSON\n"
	    "  -h, --help, -V, --version\n");
}

/* Connects to the socket; on failure says why in words a person can act
 * on, and returns -1. */
static int
superctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "superctl: %s: path too long\n", path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		fprintf(stderr, "superctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	if (errno == ENOENT)
		fprintf(stderr,
		    "superctl: %s: no such socket: is superd running, with "
		    "control on? (-s names another socket)\n",
		    path);
	else if (errno == ECONNREFUSED)
		fprintf(stderr,
		    "superctl: %s: nothing answers: superd is not running\n",
		    path);
	else if (errno == EACCES || errno == EPERM)
		fprintf(stderr,
		    "superctl: %s: permission denied (root, superd's user or "
		    "control_group may use it)\n",
		    path);
	else
		fprintf(stderr, "superctl: %s: %s\n", path, strerror(errno));
	(void)close(fd);
	return -1;
}

/* Reads the reply to EOF or its closing empty line, within the bounds. */
static char *
superctl_read(int fd, size_t *len)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t cap = 4096, got = 0;
	char *buf = malloc(cap), *grown;
	ssize_t n;

	while (buf != NULL) {
		if (got + 1 >= cap) {
			if (cap >= REPLY_MAX ||
			    (grown = realloc(buf, cap * 2)) == NULL)
				break;
			buf = grown;
			cap *= 2;
		}
		if (poll(&pfd, 1, REPLY_TIMEOUT_MS) != 1)
			break;
		n = read(fd, buf + got, cap - 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (got >= 2 && strstr(buf, "\n\n") != NULL)
			break;
	}
	if (buf != NULL)
		buf[got] = '\0';
	*len = got;
	return buf;
}

/* Sends line, prints the reply's body to stdout or its error to stderr. */
static int
superctl_ask(const char *path, const char *line)
{
	char *reply, *body, *end;
	size_t len;
	int rc, fd = superctl_connect(path);

	if (fd == -1)
		return EXIT_UNREACHABLE;
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) ||
	    shutdown(fd, SHUT_WR) == -1) {
		fprintf(stderr, "superctl: %s: %s\n", path, strerror(errno));
		(void)close(fd);
		return EXIT_UNREACHABLE;
	}
	reply = superctl_read(fd, &len);
	(void)close(fd);
	if (reply == NULL || len == 0 || (body = strchr(reply, '\n')) == NULL) {
		fprintf(stderr, "superctl: %s: no reply from superd\n", path);
		free(reply);
		return EXIT_UNREACHABLE;
	}
	*body++ = '\0';
	if ((end = strstr(body, "\n\n")) != NULL)
		end[1] = '\0';
	else if (*body == '\n')
		*body = '\0';
	rc = EXIT_OK;
	if (strcmp(reply, "ok") == 0) {
		fputs(body, stdout);
	} else {
		fprintf(stderr, "superctl: %s\n",
		    strncmp(reply, "error: ", 7) == 0 ? reply + 7 : reply);
		rc = EXIT_FAILED;
	}
	free(reply);
	return rc;
}

/* The words after the options as one command line, with --json; -1 if
 * they do not make one. */
static int
superctl_line(char **words, int n, bool json, char *line, size_t size)
{
	size_t used = 0;
	int i;

	for (i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(line + used, size - used, "%s%s",
		    i > 0 ? " " : "", words[i]);
	if (n == 0 || used + 9 >= size || strpbrk(line, "\n\r") != NULL)
		return -1;
	snprintf(line + used, size - used, "%s\n", json ? " --json" : "");
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "socket", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONTROL_DEFAULT;
	char line[1024];
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "+s:hV", longopts, NULL)) != -1) {
		if (c == 's') {
			path = optarg;
		} else if (c == 'j') {
			json = true;
		} else if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		} else if (c == 'V') {
			printf("superctl %s\n", SUPERD_VERSION);
			return EXIT_OK;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (superctl_line(argv + optind, argc - optind, json, line,
	        sizeof(line)) == -1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return superctl_ask(path, line);
}
