/* Static files beside the socket, so one service serves its page too.
 * openat2 with RESOLVE_BENEATH and RESOLVE_NO_SYMLINKS is what keeps a
 * name inside the directory, whatever a name checks missed. */
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hio.h"
#include "wsstatic.h"

static int
wsstatic_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Whether the segment seg[0..n) may be served: not empty (but the last,
 * a directory's index), not starting with a dot ("..", dot files). */
static bool
wsstatic_segment_ok(const char *seg, size_t n, bool last)
{
	return n == 0 ? last : seg[0] != '.';
}

static int
wsstatic_decode(const char *path, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		char c = path[i];

		if (c == '%') {
			if (i + 2 >= len)
				return -1;
			hi = wsstatic_hex(path[i + 1]);
			lo = wsstatic_hex(path[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0' || c == '\\' || o + 1 >= outlen)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

int
wsstatic_name(const char *path, size_t len, char *out, size_t outlen)
{
	char decoded[1024];
	const char *seg, *slash;
	size_t n;

	if (len == 0 || path[0] != '/' ||
	    wsstatic_decode(path, len, decoded, sizeof(decoded)) == -1)
		return -1;
	for (seg = decoded + 1;; seg = slash + 1) {
		slash = strchr(seg, '/');
		n = slash != NULL ? (size_t)(slash - seg) : strlen(seg);
		if (!wsstatic_segment_ok(seg, n, slash == NULL))
			return -1;
		if (slash == NULL)
			break;
	}
	n = strlen(decoded);
	if (snprintf(out, outlen, "%s%s", decoded + 1,
	        decoded[n - 1] == '/' ? "index.html" : "") >= (int)outlen)
		return -1;
	return 0;
}

const char *
wsstatic_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ "html", "text/html; charset=utf-8" },
		{ "htm", "text/html; charset=utf-8" },
		{ "css", "text/css; charset=utf-8" },
		{ "js", "text/javascript; charset=utf-8" },
		{ "mjs", "text/javascript; charset=utf-8" },
		{ "json", "application/json" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "svg", "image/svg+xml" },
		{ "png", "image/png" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "gif", "image/gif" },
		{ "webp", "image/webp" },
		{ "ico", "image/vnd.microsoft.icon" },
		{ "wasm", "application/wasm" },
		{ "woff2", "font/woff2" },
	};
	const char *dot = strrchr(name, '.');
	size_t i;

	if (dot != NULL && strchr(dot, '/') == NULL)
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* name under dirfd, never through a symlink or outside it. */
static int
wsstatic_open(int dirfd, const char *name)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
		    RESOLVE_NO_MAGICLINKS };

	return (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
}

static int
wsstatic_head(int fd, int code, const char *type, long long size)
{
	char buf[512];
	int n;

	if (code != 200)
		n = snprintf(buf, sizeof(buf),
		    "HTTP/1.1 %d %s\r\nContent-Type: text/plain; "
		    "charset=utf-8\r\nContent-Length: %d\r\nConnection: "
		    "close\r\n\r\n%s\n",
		    code, code == 404 ? "Not Found" : "Internal Server Error",
		    code == 404 ? 10 : 22,
		    code == 404 ? "Not Found" : "Internal Server Error");
	else
		n = snprintf(buf, sizeof(buf),
		    "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: "
		    "%lld\r\nX-Content-Type-Options: nosniff\r\nCache-Control: "
		    "no-cache\r\nConnection: close\r\n\r\n",
		    type, size);
	if (hio_write_all(fd, buf, (size_t)n) == -1)
		return -1;
	return code;
}

/* The file to send, opened: the name, or its index.html if a directory. */
static int
wsstatic_find(int dirfd, const char *name, char *shown, size_t shownlen,
    struct stat *st)
{
	int fd = wsstatic_open(dirfd, name[0] != '\0' ? name : "."), inner;

	snprintf(shown, shownlen, "%s", name);
	if (fd == -1 || fstat(fd, st) == -1)
		goto fail;
	if (S_ISDIR(st->st_mode)) {
		inner = wsstatic_open(fd, "index.html");
		(void)close(fd);
		fd = inner;
		snprintf(shown, shownlen, "index.html");
		if (fd == -1 || fstat(fd, st) == -1)
			goto fail;
	}
	if (!S_ISREG(st->st_mode))
		goto fail;
	return fd;
fail:
	if (fd != -1)
		(void)close(fd);
	return -1;
}

static int
wsstatic_send(int fd, int file, off_t size)
{
	off_t off = 0;
	ssize_t n;

	while (off < size) {
		n = sendfile(fd, file, &off, (size_t)(size - off));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
	}
	return 0;
}

int
wsstatic_serve(int fd, const char *dir, const char *path, size_t len, bool head)
{
	char name[1024], shown[1024];
	struct stat st;
	int dirfd, file, rc;

	if (wsstatic_name(path, len, name, sizeof(name)) == -1)
		return wsstatic_head(fd, 404, NULL, 0);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd == -1)
		return wsstatic_head(fd, 500, NULL, 0);
	file = wsstatic_find(dirfd, name, shown, sizeof(shown), &st);
	(void)close(dirfd);
	if (file == -1)
		return wsstatic_head(fd, errno == ENOSYS ? 500 : 404, NULL, 0);
	rc =
	    wsstatic_head(fd, 200, wsstatic_type(shown), (long long)st.st_size);
	if (rc != -1 && !head && wsstatic_send(fd, file, st.st_size) == -1)
		rc = -1;
	(void)close(file);
	return rc;
}
