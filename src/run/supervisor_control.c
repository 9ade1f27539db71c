/* The control socket (`[supervisor] control`): a unix stream socket on an
 * endpoint (endpoint.h) where superctl, or socat, sends one command per
 * line and reads the reply: "ok" or "error: WHY", the body, an empty
 * line.  The commands themselves are in supervisor_commands.c. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "events.h"
#include "log.h"
#include "supervisor_int.h"
#include "text.h"
#include "trust.h"

/* A client may be silent this long between two commands. */
#define CONTROL_IDLE_MS 10000

/* The socket's path: the configured one, the default as root, or "". */
static const char *
control_path(const struct config *cfg)
{
	if (cfg->control_set)
		return cfg->control;
	return geteuid() == 0 ? CONTROL_DEFAULT : "";
}

/* A client is let in if it is root, superd's own user, or in
 * control_group: the file's mode says the same, this says it again for
 * a file someone changed. */
static bool
control_admit(struct endpoint *e, struct endpoint_conn *c)
{
	const struct supervisor *sv = e->arg;
	const struct config *cfg = &sv->gen->cfg;
	gid_t groups[64];
	struct ucred cred;
	socklen_t len = sizeof(cred);
	size_t i, n;

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return false;
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	if (cfg->control_gid_set) {
		len = sizeof(groups);
		n = getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, groups,
		        &len) == 0
		    ? len / sizeof(groups[0])
		    : 0;
		if (cred.gid == cfg->control_gid)
			return true;
		for (i = 0; i < n; i++)
			if (groups[i] == cfg->control_gid)
				return true;
	}
	endpoint_reply(c, strdup("error: permission denied\n\n"),
	    strlen("error: permission denied\n\n"), true);
	return false;
}

/* Whole lines: one command each, one reply each, in order. */
static void
control_input(struct endpoint *e, struct endpoint_conn *c)
{
	struct supervisor *sv = e->arg;
	struct text t = { 0 };
	char *nl = memchr(c->in, '\n', c->inlen);
	size_t len;

	if (nl == NULL && c->inlen == ENDPOINT_IN_MAX) {
		text_printf(&t, "error: a command is at most %d bytes\n\n",
		    ENDPOINT_IN_MAX - 1);
		endpoint_reply(c, t.p, t.len, true);
		return;
	}
	if (nl == NULL && !c->eof)
		return;
	len = nl != NULL ? (size_t)(nl - c->in) + 1 : c->inlen;
	c->in[len - (nl != NULL)] = '\0';
	supervisor_command(sv, c->in, &t);
	endpoint_consume(c, len);
	/* A client that sends commands keeps its slot a while longer. */
	c->deadline = clock_ms() + CONTROL_IDLE_MS;
	if (t.failed) {
		text_free(&t);
		endpoint_reply(c, NULL, 0, true);
		return;
	}
	endpoint_reply(c, t.p, t.len, false);
}

/* The socket file, born with its mode (0600, or 0660 with
 * control_group) in a directory only root can change when superd is
 * root.  -1 with *why set (or NULL: errno says it). */
static int
control_bind(const struct config *cfg, int fd, const char *path,
    struct sockfile *f, const char **why)
{
	static char untrusted[512];
	struct service svc = { 0 };

	svc.sock_type = SOCK_STREAM;
	svc.socket_mode = cfg->control_gid_set ? 0660 : 0600;
	svc.socket_gid_set = cfg->control_gid_set;
	svc.socket_gid = cfg->control_gid;
	*why = NULL;
	if (!cfg->control_set && mkdir("/run/superd", 0755) == -1 &&
	    errno != EEXIST)
		return -1;
	if (geteuid() == 0 &&
	    trust_dirs_new(path, untrusted, sizeof(untrusted)) == -1) {
		*why = untrusted;
		errno = EPERM;
		return -1;
	}
	if (sockfile_bind(fd, &svc, path, f, why) == -1)
		return -1;
	return listen(fd, ENDPOINT_BACKLOG);
}

/* Opens the control socket.  An explicit `control` that cannot be
 * listened on fails the start; the default one is best effort (another
 * superd may hold it), and superd runs on without it. */
int
supervisor_control_open(struct supervisor *sv)
{
	const char *path = control_path(&sv->gen->cfg), *why = NULL;
	bool fatal = sv->gen->cfg.control_set;
	int fd, saved;

	if (path[0] == '\0')
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 ||
	    (sv->control = calloc(1, sizeof(*sv->control))) == NULL ||
	    control_bind(&sv->gen->cfg, fd, path, &sv->control_file, &why) ==
	        -1) {
		saved = errno;
		if (fd != -1)
			(void)close(fd);
		free(sv->control);
		sv->control = NULL;
		event_control_failed(path, why != NULL ? why : strerror(saved),
		    fatal);
		return fatal ? -1 : 0;
	}
	snprintf(sv->control->label, sizeof(sv->control->label), "%s", path);
	sv->control->timeout_ms = CONTROL_IDLE_MS;
	sv->control->input = control_input;
	sv->control->admit = control_admit;
	sv->control->arg = sv;
	endpoint_start(sv->control, fd, sv->epfd, SUPERVISOR_EVENT_CONTROL);
	event_control(path);
	return 0;
}

/* At exit: the socket closes, and its file goes if it is still ours. */
void
supervisor_control_close(struct supervisor *sv)
{
	if (sv->control == NULL)
		return;
	endpoint_close(sv->control);
	if (sockfile_remove(sv->control->label, &sv->control_file) == -1 &&
	    errno != ENOENT)
		log_warn("%s: remove", sv->control->label);
	free(sv->control);
	sv->control = NULL;
}
