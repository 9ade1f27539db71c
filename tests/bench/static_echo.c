/* static_echo: the one handler every server in the benchmark runs.  Copies
 * stdin to stdout until end of file; linked statically where the static libc
 * exists, so exec costs no dynamic loading. */
#include <errno.h>
#include <unistd.h>

static int
write_all(const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(STDOUT_FILENO, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
main(void)
{
	char buf[16384];
	ssize_t n;

	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (write_all(buf, (size_t)n) == -1)
			return 1;
	}
}
