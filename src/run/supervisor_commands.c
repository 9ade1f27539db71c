/* What the control socket's commands do (the socket is
 * supervisor_control.c): status, connections, kill, drain, resume,
 * reload, check.  Each answers into a text: "ok" or "error: WHY", the
 * body (a table for people, or one line of JSON with --json), an empty
 * line.  Numbers come from admit.c's table, as SIGUSR1's do. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admit.h"
#include "clock.h"
#include "events.h"
#include "supervisor_int.h"
#include "text.h"

#ifndef SUPERD_VERSION
#define SUPERD_VERSION "unknown"
#endif

#define WORDS_MAX 8

/* A command line, split. */
struct command {
	const char *word[WORDS_MAX]; /* the command and its arguments */
	size_t n;
	bool json; /* --json anywhere */
};

static void command_error(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
command_error(struct text *t, const char *fmt, ...)
{
	va_list ap;

	text_printf(t, "error: ");
	va_start(ap, fmt);
	text_vprintf(t, fmt, ap);
	va_end(ap);
	text_printf(t, "\n\n");
}

/* What a service is doing now, in one word. */
static const char *
command_state(const struct supervisor *sv, size_t s)
{
	const struct admit *a = &sv->gen->admit;
	const struct service *svc = &sv->gen->cfg.services[s];

	if (!svc->enabled)
		return "disabled";
	if (sv->stopping)
		return "stopping";
	if (admit_draining(a, s))
		return "draining";
	if (admit_rate_limited(a, s))
		return "rate-limited";
	if (admit_all_full(a) ||
	    (admit_full(a, s) && svc->on_max == OVERLOAD_DEFER))
		return "deferring";
	if (admit_full(a, s))
		return "rejecting";
	return "serving";
}

/* The service's listening addresses, joined by sep. */
static void
command_listen(const struct supervisor *sv, size_t s, struct text *t, bool json)
{
	const struct generation *g = sv->gen;
	size_t i, end = g->first[s] + g->count[s];

	if (json)
		text_printf(t, "[");
	for (i = g->first[s]; i < end; i++) {
		if (json) {
			text_printf(t, i > g->first[s] ? "," : "");
			text_json(t, g->ls[i].label);
		} else {
			text_printf(t, "%s%s", i > g->first[s] ? "," : "",
			    g->ls[i].label);
		}
	}
	if (json)
		text_printf(t, "]");
	else if (end == g->first[s])
		text_printf(t, "-");
}

static unsigned long
command_refused(const struct admit *a, size_t s)
{
	unsigned long n = 0;
	int r;

	for (r = 0; r < REFUSALS; r++)
		n += admit_stat(a, s, (enum stat_counter)(STAT_REFUSED + r));
	return n;
}

static void
command_status_json(const struct supervisor *sv, size_t s, struct text *t)
{
	const struct admit *a = &sv->gen->admit;
	const struct service *svc = &sv->gen->cfg.services[s];
	int r;

	text_printf(t, "%s{\"name\":", s > 0 ? "," : "");
	text_json(t, svc->name);
	text_printf(t, ",\"listen\":");
	command_listen(sv, s, t, true);
	text_printf(t,
	    ",\"state\":\"%s\",\"active\":%lu,\"max\":%lu,"
	    "\"accepted\":%lu,\"refused\":{",
	    command_state(sv, s), admit_active(a, s), svc->max_connections,
	    admit_stat(a, s, STAT_ACCEPTED));
	for (r = 0; r < REFUSALS; r++)
		text_printf(t, "%s\"%s\":%lu", r > 0 ? "," : "",
		    admit_reason[r],
		    admit_stat(a, s, (enum stat_counter)(STAT_REFUSED + r)));
	text_printf(t,
	    "},\"exited\":{\"ok\":%lu,\"error\":%lu,\"signal\":%lu}}",
	    admit_stat(a, s, STAT_EXITED_OK),
	    admit_stat(a, s, STAT_EXITED_ERROR),
	    admit_stat(a, s, STAT_EXITED_SIGNAL));
}

/* One row of the status table, its cells separated by tabs. */
static void
command_status_row(const struct supervisor *sv, size_t s, struct text *t)
{
	const struct admit *a = &sv->gen->admit;
	const struct service *svc = &sv->gen->cfg.services[s];

	text_printf(t, "%s\t", svc->name);
	command_listen(sv, s, t, false);
	text_printf(t, "\t%s\t%lu/%lu\t%lu\t%lu\t%lu/%lu/%lu\n",
	    command_state(sv, s), admit_active(a, s), svc->max_connections,
	    admit_stat(a, s, STAT_ACCEPTED), command_refused(a, s),
	    admit_stat(a, s, STAT_EXITED_OK),
	    admit_stat(a, s, STAT_EXITED_ERROR),
	    admit_stat(a, s, STAT_EXITED_SIGNAL));
}

/* Rows of tab-separated cells as aligned columns (two blanks apart). */
static void
command_align(const char *rows, struct text *t)
{
	size_t width[16] = { 0 }, col, len;
	const char *p, *cell;

	for (p = rows, col = 0; *p != '\0'; p += len + 1) {
		len = strcspn(p, "\t\n");
		if (col < 16 && len > width[col])
			width[col] = len;
		col = p[len] == '\n' ? 0 : col + 1;
	}
	for (p = rows, col = 0; *p != '\0'; p += len + 1) {
		cell = p;
		len = strcspn(p, "\t\n");
		if (p[len] == '\n')
			text_printf(t, "%.*s\n", (int)len, cell);
		else
			text_printf(t, "%-*.*s  ",
			    (int)width[col < 16 ? col : 15], (int)len, cell);
		col = p[len] == '\n' ? 0 : col + 1;
	}
}

static void
command_status(const struct supervisor *sv, const struct command *cmd,
    struct text *t)
{
	const struct config *cfg = &sv->gen->cfg;
	struct text rows = { 0 };
	long long up = (clock_ms() - sv->start_ms) / 1000;
	size_t s;

	if (cmd->json) {
		text_printf(t,
		    "ok\n{\"version\":\"%s\",\"pid\":%d,"
		    "\"uptime_seconds\":%lld,\"config\":",
		    SUPERD_VERSION, (int)getpid(), up);
		text_json(t, sv->file);
		text_printf(t, ",\"generation\":%lu,\"services\":[",
		    sv->generation);
		for (s = 0; s < cfg->nservices; s++)
			command_status_json(sv, s, t);
		text_printf(t, "]}\n\n");
		return;
	}
	text_printf(t,
	    "ok\nsuperd %s, pid %d, up %llds, config %s, generation "
	    "%lu\n",
	    SUPERD_VERSION, (int)getpid(), up, sv->file, sv->generation);
	text_printf(&rows,
	    "SERVICE\tLISTEN\tSTATE\tACTIVE\tACCEPTED\tREFUSED\t"
	    "EXITED(ok/error/signal)\n");
	for (s = 0; s < cfg->nservices; s++)
		command_status_row(sv, s, &rows);
	if (rows.failed)
		t->failed = true;
	else
		command_align(rows.p, t);
	text_free(&rows);
	text_printf(t, "\n");
}

/* Who a handler runs as, for the table. */
static const char *
command_user(const struct supervisor *sv, const struct child *c)
{
	const struct service *svc;

	if (c->service == CHILD_NO_SERVICE)
		return "-";
	svc = &sv->gen->cfg.services[c->service];
	return svc->user_set ? svc->user : "(superd's)";
}

static void
command_connections(const struct supervisor *sv, const struct command *cmd,
    struct text *t)
{
	const char *only = cmd->n > 1 ? cmd->word[1] : NULL;
	const struct child *c;
	struct text rows = { 0 };
	long long now = clock_ms();
	size_t i, shown = 0;

	if (only != NULL && config_find_service(&sv->gen->cfg, only) == -1) {
		command_error(t, "no service %s", only);
		return;
	}
	text_printf(t, "ok\n%s", cmd->json ? "[" : "");
	text_printf(&rows, "ID\tPID\tSERVICE\tPEER\tLOCAL\tUSER\tAGE\n");
	for (i = 0; i < sv->kids.n; i++) {
		c = &sv->kids.v[i];
		if (only != NULL && strcmp(c->name, only) != 0)
			continue;
		if (!cmd->json) {
			text_printf(&rows, "%llu\t%d\t%s\t%s\t%s\t%s\t%llds\n",
			    (unsigned long long)c->id, (int)c->pid, c->name,
			    c->from, c->local, command_user(sv, c),
			    (now - c->start_ms) / 1000);
			continue;
		}
		text_printf(t, "%s{\"id\":%llu,\"pid\":%d,\"service\":",
		    shown++ ? "," : "", (unsigned long long)c->id, (int)c->pid);
		text_json(t, c->name);
		text_printf(t, ",\"peer\":");
		text_json(t, c->from);
		text_printf(t, ",\"local\":");
		text_json(t, c->local);
		text_printf(t, ",\"user\":");
		text_json(t, command_user(sv, c));
		text_printf(t, ",\"age_seconds\":%lld}",
		    (now - c->start_ms) / 1000);
	}
	if (cmd->json)
		text_printf(t, "]\n");
	else if (!rows.failed)
		command_align(rows.p, t);
	t->failed |= rows.failed;
	text_free(&rows);
	text_printf(t, "\n");
}

/* kill PID (a handler) or kill SERVICE (every handler of it). */
static void
command_kill(struct supervisor *sv, const struct command *cmd, struct text *t)
{
	const char *what = cmd->word[1];
	char *end;
	long pid;
	size_t i, n = 0;

	if (cmd->n != 2) {
		command_error(t, "usage: kill PID|SERVICE");
		return;
	}
	errno = 0;
	pid = strtol(what, &end, 10);
	if (*end != '\0' || errno != 0 || pid <= 0)
		pid = 0;
	if (pid == 0 && config_find_service(&sv->gen->cfg, what) == -1) {
		command_error(t, "%s is neither a handler's pid nor a service",
		    what);
		return;
	}
	for (i = 0; i < sv->kids.n; i++) {
		if (pid != 0 ? sv->kids.v[i].pid != (pid_t)pid
		             : strcmp(sv->kids.v[i].name, what) != 0)
			continue;
		supervisor_terminate(sv, &sv->kids.v[i], clock_ms());
		n++;
	}
	if (pid != 0 && n == 0) {
		command_error(t, "%s is not the pid of a running handler",
		    what);
		return;
	}
	text_printf(t, "ok\n%s%zu%s\n\n", cmd->json ? "{\"signalled\":" : "", n,
	    cmd->json ? "}" : " handlers sent SIGTERM");
}

/* drain SERVICE / resume SERVICE. */
static void
command_drain(struct supervisor *sv, const struct command *cmd, struct text *t,
    bool on)
{
	long long s;

	if (cmd->n != 2) {
		command_error(t, "usage: %s SERVICE", on ? "drain" : "resume");
		return;
	}
	s = config_find_service(&sv->gen->cfg, cmd->word[1]);
	if (s == -1) {
		command_error(t, "no service %s", cmd->word[1]);
		return;
	}
	if (admit_draining(&sv->gen->admit, (size_t)s) != on) {
		admit_set_draining(&sv->gen->admit, (size_t)s, on);
		event_control_drain(cmd->word[1], on);
		supervisor_refresh_service(sv, (size_t)s, clock_ms());
	}
	text_printf(t, "ok\n%s%s%s\n\n", cmd->json ? "{\"state\":\"" : "",
	    command_state(sv, (size_t)s), cmd->json ? "\"}" : "");
}

/* reload: SIGHUP's work, with its result. */
static void
command_reload(struct supervisor *sv, struct text *t)
{
	char why[CONFIG_ERR_MAX];

	if (sv->stopping) {
		command_error(t, "superd is stopping");
		return;
	}
	if (supervisor_reload(sv, why, sizeof(why)) == -1) {
		command_error(t, "%s", why);
		return;
	}
	text_printf(t, "ok\nreloaded %s: %zu services, generation %lu\n\n",
	    sv->file, config_count_enabled(&sv->gen->cfg), sv->generation);
}

/* check: the file on disk, loaded and judged as a reload would, and
 * thrown away. */
static void
command_check(const struct supervisor *sv, struct text *t)
{
	char why[CONFIG_ERR_MAX];
	struct config cfg;

	if (config_load(sv->file, sv->handler_dirs, &cfg, why, sizeof(why)) ==
	    -1) {
		command_error(t, "%s", why);
		return;
	}
	if (config_check_privileges(&cfg, geteuid(), getegid(), why,
	        sizeof(why)) == -1 ||
	    confine_check(&cfg, why, sizeof(why)) == -1) {
		config_free(&cfg);
		command_error(t, "%s", why);
		return;
	}
	text_printf(t, "ok\n%s is valid: %zu services\n\n", sv->file,
	    config_count_enabled(&cfg));
	config_free(&cfg);
}

/* Splits line into words (blanks between), --json set aside. */
static void
command_split(char *line, struct command *cmd)
{
	char *w, *save;

	memset(cmd, 0, sizeof(*cmd));
	for (w = strtok_r(line, " \t\r", &save); w != NULL;
	     w = strtok_r(NULL, " \t\r", &save)) {
		if (strcmp(w, "--json") == 0)
			cmd->json = true;
		else if (cmd->n < WORDS_MAX)
			cmd->word[cmd->n++] = w;
	}
}

void
supervisor_command(struct supervisor *sv, char *line, struct text *t)
{
	struct command cmd;
	const char *w;

	command_split(line, &cmd);
	w = cmd.n > 0 ? cmd.word[0] : "";
	if (strcmp(w, "status") == 0 && cmd.n == 1)
		command_status(sv, &cmd, t);
	else if (strcmp(w, "connections") == 0 && cmd.n <= 2)
		command_connections(sv, &cmd, t);
	else if (strcmp(w, "kill") == 0)
		command_kill(sv, &cmd, t);
	else if (strcmp(w, "drain") == 0 || strcmp(w, "resume") == 0)
		command_drain(sv, &cmd, t, w[0] == 'd');
	else if (strcmp(w, "reload") == 0 && cmd.n == 1)
		command_reload(sv, t);
	else if (strcmp(w, "check") == 0 && cmd.n == 1)
		command_check(sv, t);
	else
		command_error(t,
		    "unknown command \"%s\" (status, connections [SERVICE], "
		    "kill PID|SERVICE, drain SERVICE, resume SERVICE, reload, "
		    "check)",
		    w);
}
