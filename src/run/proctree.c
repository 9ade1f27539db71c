/* Walking /proc for the processes below one.  Reads only the kernel's own
 * files, which answer at once, so this never waits on anything outside
 * superd. */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proctree.h"

/* A bound on the walk, far above any real tree: a bug or a fork bomb
 * cannot make it run away. */
#define PROCTREE_MAX (1 << 22)

static int
proctree_push(struct pidlist *l, pid_t pid)
{
	pid_t *grown;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 64;
		if (cap > PROCTREE_MAX) {
			errno = ENOMEM;
			return -1;
		}
		if ((grown = realloc(l->v, cap * sizeof(*grown))) == NULL)
			return -1;
		l->v = grown;
		l->cap = cap;
	}
	l->v[l->n++] = pid;
	return 0;
}

/* Parses one children file: blank-separated decimal pids.  A number may
 * straddle two reads, so the digits are carried over in *acc. */
static int
proctree_read_children(int fd, struct pidlist *out)
{
	char buf[4096];
	long acc = -1;
	ssize_t n, i;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				acc = (acc < 0 ? 0 : acc * 10) + (buf[i] - '0');
				continue;
			}
			if (acc > 0 && proctree_push(out, (pid_t)acc) == -1)
				return -1;
			acc = -1;
		}
	}
	if (n == -1)
		return -1;
	if (acc > 0 && proctree_push(out, (pid_t)acc) == -1)
		return -1;
	return 0;
}

/* The children of every thread of pid (each thread has its own list). */
static int
proctree_children(pid_t pid, struct pidlist *out)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT ? 0 : -1; /* gone meanwhile */
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/children",
		    (int)pid, de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			/* A thread that ended, or no such file at all. */
			if (errno != ENOENT && errno != ESRCH)
				rc = -1;
			continue;
		}
		rc = proctree_read_children(fd, out);
		(void)close(fd);
	}
	(void)closedir(d);
	return rc;
}

int
proctree_collect(pid_t pid, struct pidlist *out)
{
	size_t i = out->n;

	if (proctree_children(pid, out) == -1)
		return -1;
	/* Breadth first: out itself is the queue. */
	for (; i < out->n; i++)
		if (proctree_children(out->v[i], out) == -1)
			return -1;
	return 0;
}

bool
proctree_has(const struct pidlist *sorted, pid_t pid)
{
	size_t lo = 0, hi = sorted->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sorted->v[mid] == pid)
			return true;
		if (sorted->v[mid] < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int
proctree_insert(struct pidlist *sorted, pid_t pid)
{
	size_t i;

	if (proctree_push(sorted, pid) == -1)
		return -1;
	for (i = sorted->n - 1; i > 0 && sorted->v[i - 1] > pid; i--)
		sorted->v[i] = sorted->v[i - 1];
	sorted->v[i] = pid;
	return 0;
}

static int
proctree_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int
proctree_add(struct pidlist *l, pid_t pid)
{
	return proctree_push(l, pid);
}

void
proctree_sort(struct pidlist *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), proctree_cmp);
}

void
proctree_free(struct pidlist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
