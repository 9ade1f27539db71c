/* chat_live: is the process that joined a room still the one running under
 * its pid?  Linux: kill(2) and /proc/PID/stat. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat_live.h"

/* The fields after the command name: state is field 3, starttime 22. */
#define STAT_STATE_FIELD 3
#define STAT_START_FIELD 22

/* Reads /proc/PID/stat into buf (NUL-ended).  Returns 0 or -1, errno set. */
static int
chat_live_read(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd, saved;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	do {
		n = read(fd, buf, len - 1);
	} while (n == -1 && errno == EINTR);
	saved = errno;
	if (close(fd) == -1 && n != -1)
		return -1;
	errno = saved;
	if (n == -1)
		return -1;
	buf[n] = '\0';
	return 0;
}

/*
 * Parses state and starttime out of a stat line.  The command name may
 * hold blanks and parentheses, so fields count from the last ')'.
 */
static int
chat_live_parse(const char *line, char *state, uint64_t *start)
{
	const char *p = strrchr(line, ')');
	unsigned long long v;
	char *end;
	int field;

	if (p == NULL || p[1] != ' ' || p[2] == '\0' || p[3] != ' ')
		goto bad;
	*state = p[2];
	p += 3;
	for (field = STAT_STATE_FIELD + 1; field < STAT_START_FIELD; field++) {
		p = strchr(p + 1, ' ');
		if (p == NULL)
			goto bad;
	}
	errno = 0;
	v = strtoull(p + 1, &end, 10);
	if (errno != 0 || end == p + 1 || (*end != ' ' && *end != '\n'))
		goto bad;
	*start = v;
	return 0;
bad:
	errno = EPROTO;
	return -1;
}

int
chat_live_start(pid_t pid, uint64_t *start)
{
	char buf[1024], state;

	if (chat_live_read(pid, buf, sizeof(buf)) == -1) {
		if (errno == ENOENT)
			errno = ESRCH;
		return -1;
	}
	if (chat_live_parse(buf, &state, start) == -1)
		return -1;
	/* A zombie (or one being reaped) will never read its socket again. */
	if (state == 'Z' || state == 'X' || state == 'x') {
		errno = ESRCH;
		return -1;
	}
	return 0;
}

bool
chat_live_is(pid_t pid, uint64_t start)
{
	uint64_t now;

	if (pid <= 0)
		return false;
	if (kill(pid, 0) == -1)
		return errno != ESRCH && errno != EPERM;
	if (chat_live_start(pid, &now) == -1)
		return errno != ESRCH;
	return start == 0 || now == start;
}
