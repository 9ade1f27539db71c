/* The datagram loop of the shipped handlers (see hdgram.h). */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hdgram.h"
#include "hio.h"

/* The largest UDP payload. */
#define HDGRAM_MAX 65536

bool
hdgram_is(int fd)
{
	int type;
	socklen_t len = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	    type == SOCK_DGRAM;
}

/* Waits for a datagram: 1 when one is there, 0 after the idle time. */
static int
hdgram_wait(const char *prog)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	int n;

	while ((n = poll(&p, 1, HDGRAM_IDLE_MS)) == -1)
		if (errno != EINTR)
			hio_fail(prog, "poll");
	return n;
}

/* An unbound unix client has no address to answer to. */
static bool
hdgram_unnamed(const struct sockaddr_storage *from, socklen_t len)
{
	return from->ss_family == AF_UNIX &&
	    len <= offsetof(struct sockaddr_un, sun_path);
}

int
hdgram_serve(const char *prog, hdgram_answer_fn *answer)
{
	static unsigned char buf[HDGRAM_MAX];
	struct sockaddr_storage from;
	socklen_t fromlen;
	ssize_t n;

	while (hdgram_wait(prog) == 1) {
		fromlen = sizeof(from);
		n = recvfrom(STDIN_FILENO, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fromlen);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == -1)
			hio_fail(prog, "recvfrom");
		n = answer(buf, (size_t)n, sizeof(buf));
		if (n < 0 || hdgram_unnamed(&from, fromlen))
			continue;
		if (sendto(STDOUT_FILENO, buf, (size_t)n, 0,
		        (struct sockaddr *)&from, fromlen) == -1)
			fprintf(stderr, "%s: sendto: %s\n", prog,
			    strerror(errno));
	}
	return 0;
}
