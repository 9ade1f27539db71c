/* Integration tests of confinement (no_new_privileges, capabilities,
 * system_call_filter): the probe handler reports its capability sets,
 * NoNewPrivs and Seccomp from /proc/self/status and what it was refused;
 * each confined service runs beside one that is not, so each check
 * would fail without the key. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static struct superd sd;

static void
teardown(void)
{
	superd_cleanup(&sd);
}

#define NOT_ROOT "not root: only root has capabilities to confine"

/* No control socket: a root superd's default path is shared by every
 * superd the tests start as root, and each new one probes the running
 * one's (a connection other tests' descriptor counts would see).
 * superd_start says so itself; the configurations written for a reload
 * say it here. */
#define NO_CONTROL "[supervisor]\ncontrol = off\n"

static void
start(const char *conf)
{
	superd_start(&sd, conf, NULL);
}

/* The probe's report for one connection to service, after a newline so
 * that every line starts with one. */
static void
probe_report(const char *service, char *buf, size_t len)
{
	buf[0] = '\n';
	ck_assert_uint_gt(tcp_exchange(superd_port(&sd, service), "", buf + 1,
	                      len - 1),
	    0);
	ck_assert_msg(strstr(buf, "\nend\n") != NULL, "%s: %s", service, buf);
}

/* The value of "key:" in a report, blanks trimmed, into out. */
static void
report_value(const char *report, const char *key, char *out, size_t len)
{
	char needle[64];
	const char *at;
	size_t n;

	snprintf(needle, sizeof(needle), "\n%s:", key);
	at = strstr(report, needle);
	ck_assert_msg(at != NULL, "no %s in %s", key, report);
	at += strlen(needle);
	at += strspn(at, " \t");
	n = strcspn(at, "\n");
	snprintf(out, len, "%.*s", (int)n, at);
}

static void
expect(const char *report, const char *key, const char *want)
{
	char got[128];

	report_value(report, key, got, sizeof(got));
	ck_assert_msg(strcmp(got, want) == 0, "%s: \"%s\", want \"%s\"", key,
	    got, want);
}

/* This process's own line of /proc/self/status: what superd, started
 * by it, has too. */
static void
own_status(const char *key, char *out, size_t len)
{
	char text[4096] = "\n";
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	ck_assert_int_ne(fd, -1);
	harness_slurp(fd, text + 1, sizeof(text) - 1);
	close(fd);
	report_value(text, key, out, len);
}

START_TEST(capabilities_and_no_new_privileges_show_in_the_handler_status)
{
	char conf[2048], report[8192], bnd[64];

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	snprintf(conf, sizeof(conf),
	    "[defaults]\nbind = 127.0.0.1\nexec = %s\nuser = nobody\n"
	    "[plain]\nport = 0\n"
	    "[nnp]\nport = 0\nno_new_privileges = yes\n"
	    "[bind_service]\nport = 0\ncapabilities = CAP_NET_BIND_SERVICE\n"
	    "[root_plain]\nport = 0\nuser = root\n"
	    "[root_two]\nport = 0\nuser = root\n"
	    "capabilities = CAP_CHOWN, CAP_NET_BIND_SERVICE\n",
	    harness_probe_bin());
	start(conf);

	/* A user other than root: an empty bounding set by default. */
	probe_report("plain", report, sizeof(report));
	expect(report, "NoNewPrivs", "0");
	expect(report, "CapBnd", "0000000000000000");
	expect(report, "Seccomp", "0");

	probe_report("nnp", report, sizeof(report));
	expect(report, "NoNewPrivs", "1");

	/* ... and what `capabilities` names, ambient so it is effective. */
	probe_report("bind_service", report, sizeof(report));
	expect(report, "Uid", "65534\t65534\t65534\t65534");
	expect(report, "CapBnd", "0000000000000400");
	expect(report, "CapAmb", "0000000000000400");
	expect(report, "CapEff", "0000000000000400");
	expect(report, "NoNewPrivs", "0");

	/* root: unchanged by default, or exactly the named set. */
	own_status("CapBnd", bnd, sizeof(bnd));
	probe_report("root_plain", report, sizeof(report));
	expect(report, "CapBnd", bnd);
	probe_report("root_two", report, sizeof(report));
	expect(report, "CapBnd", "0000000000000401");
	expect(report, "CapEff", "0000000000000401");
	expect(report, "CapAmb", "0000000000000000");
}
END_TEST

START_TEST(a_setuid_root_program_stays_nobody_under_no_new_privileges)
{
	char conf[2048], buf[256], id[4096], script[4200], copy[4096];
	const char *path;
	int in, outfd;

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	/* A setuid-root copy of id, where nobody can run it. */
	snprintf(copy, sizeof(copy), "%s", harness_file("id", ""));
	in = open("/usr/bin/id", O_RDONLY | O_CLOEXEC);
	outfd = open(copy, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ck_assert_int_ne(in, -1);
	ck_assert_int_ne(outfd, -1);
	for (ssize_t n; (n = read(in, id, sizeof(id))) > 0;)
		ck_assert_int_eq(write(outfd, id, (size_t)n), n);
	close(in);
	close(outfd);
	ck_assert_int_eq(chmod(copy, 04755), 0);
	*strrchr(copy, '/') = '\0';
	ck_assert_int_eq(chmod(copy, 0755), 0);
	*strrchr(copy, '\0') = '/';
	snprintf(script, sizeof(script), "#!/bin/sh\n%s -u\n", copy);
	path = harness_script("euid.sh", script);
	snprintf(conf, sizeof(conf),
	    "[defaults]\nbind = 127.0.0.1\nexec = %s\nuser = nobody\n"
	    "[free]\nport = 0\n"
	    "[nnp]\nport = 0\nno_new_privileges = yes\n",
	    path);
	start(conf);
	tcp_exchange(superd_port(&sd, "free"), "", buf, sizeof(buf));
	if (strcmp(buf, "0\n") != 0) {
		harness_skip("setuid programs do not run setuid under %s "
		             "(nosuid?): %s",
		    harness_base(), buf);
		return;
	}
	tcp_exchange(superd_port(&sd, "nnp"), "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "65534\n");
}
END_TEST

START_TEST(system_call_filter_default_says_eperm_to_mount_modules_and_ptrace)
{
	char conf[2048], report[8192], got[64];

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	snprintf(conf, sizeof(conf),
	    "[defaults]\nbind = 127.0.0.1\nexec = %s --try\nuser = root\n"
	    "[off]\nport = 0\n"
	    "[default]\nport = 0\nsystem_call_filter = default\n"
	    "[strict]\nport = 0\nsystem_call_filter = strict\n",
	    harness_probe_bin());
	start(conf);

	/* Unfiltered root gets further than EPERM with each. */
	probe_report("off", report, sizeof(report));
	expect(report, "Seccomp", "0");
	report_value(report, "try_mount", got, sizeof(got));
	ck_assert_str_ne(got, "EPERM");
	report_value(report, "try_init_module", got, sizeof(got));
	ck_assert_str_ne(got, "EPERM");
	expect(report, "try_ptrace_attach", "ok");
	expect(report, "try_unshare", "ok");

	probe_report("default", report, sizeof(report));
	expect(report, "Seccomp", "2");
	expect(report, "NoNewPrivs", "1");
	expect(report, "try_mount", "EPERM");
	expect(report, "try_init_module", "EPERM");
	expect(report, "try_ptrace_attach", "EPERM");
	expect(report, "try_unshare", "ok");

	probe_report("strict", report, sizeof(report));
	expect(report, "try_mount", "EPERM");
	expect(report, "try_ptrace_attach", "EPERM");
	expect(report, "try_unshare", "EPERM");
}
END_TEST

/* Any user: the filter needs no privilege (no_new_privs comes with it). */
START_TEST(the_shipped_handlers_work_under_strict)
{
	char conf[2048], buf[256], *self;
	int fd;

	/* A room of the test's own: a segment root made for the room "chat"
	 * (mode 0600) kept integ_examples' chat, as nobody, out of it. */
	snprintf(conf, sizeof(conf),
	    "[defaults]\nuser = root\nbind = 127.0.0.1\n"
	    "system_call_filter = strict\n"
	    "[echo]\nport = 0\nexec = echo\n"
	    "[upper]\nport = 0\nexec = upper\n"
	    "[daytime]\nport = 0\nexec = daytime\n"
	    "[time]\nport = 0\nexec = time\n"
	    "[chat]\nport = 0\nexec = chat --room cf%d\n",
	    (int)getpid());
	self = harness_as_self(conf);
	snprintf(conf, sizeof(conf), "%s", self);
	free(self);
	start(conf);
	ck_assert_uint_eq(tcp_exchange(superd_port(&sd, "echo"), "hi\n", buf,
	                      sizeof(buf)),
	    3);
	ck_assert_str_eq(buf, "hi\n");
	tcp_exchange(superd_port(&sd, "upper"), "hi\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "HI\n");
	ck_assert_uint_gt(tcp_exchange(superd_port(&sd, "daytime"), "", buf,
	                      sizeof(buf)),
	    10);
	ck_assert_uint_eq(tcp_exchange(superd_port(&sd, "time"), "", buf,
	                      sizeof(buf)),
	    4);
	fd = tcp_connect("127.0.0.1", superd_port(&sd, "chat"));
	ck_assert_int_ne(fd, -1);
	ck_assert_uint_gt(tcp_read_line(fd, buf, sizeof(buf)), 0);
	close(fd);
	ck_assert_uint_eq(superd_log_count(&sd, "exited 126"), 0);
	ck_assert_uint_eq(superd_log_count(&sd, "killed by signal"), 0);
}
END_TEST

START_TEST(dash_t_prints_each_service_confinement)
{
	char out[4096], err[4096], *self;
	const char *file, *line;
	int status;

	self = harness_as_self("[defaults]\nuser = root\nbind = 127.0.0.1\n"
	                       "exec = echo\n"
	                       "[plain]\nport = 0\n"
	                       "[tight]\nport = 0\nno_new_privileges = yes\n"
	                       "system_call_filter = strict\n"
	                       "[implied]\nport = 0\n"
	                       "system_call_filter = default\n");
	file = harness_file("t.ini", self);
	free(self);
	status = superd_run(out, sizeof(out), err, sizeof(err), "-t", "-c",
	    file, NULL);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", err);
	ck_assert_msg(strstr(out, "\ntight ") != NULL, "%s", out);
	ck_assert_msg(strstr(out,
	                  "  confine: no_new_privileges=yes "
	                  "capabilities=") != NULL,
	    "%s", out);
	ck_assert_msg(strstr(out,
	                  " system_call_filter=strict private_tmp=no "
	                  "protect_system=no protect_home=no "
	                  "private_network=no\n") != NULL,
	    "%s", out);
	ck_assert_msg(strstr(out,
	                  "  confine: no_new_privileges=yes (implied "
	                  "by system_call_filter) capabilities=") != NULL,
	    "%s", out);
	/* plain sets none of the keys: no confine line after it. */
	line = strstr(out, "plain ");
	ck_assert_ptr_nonnull(line);
	line = strchr(line, '\n');
	ck_assert_ptr_nonnull(line);
	ck_assert_msg(strncmp(line + 1, "  confine", 9) != 0, "%s", out);
}
END_TEST

/* A reload that changes a service's confinement applies to the next
 * connection. */
START_TEST(a_reload_changes_the_confinement_of_new_connections)
{
	static const char head[] =
	    NO_CONTROL "[defaults]\nuser = root\n"
	               "bind = 127.0.0.1\n[p]\nport = %d\n"
	               "exec = %s\n%s";
	char conf[2048], report[8192], path[1024], *self;
	size_t from;
	int port = harness_free_port();

	snprintf(conf, sizeof(conf), head, port, harness_probe_bin(), "");
	self = harness_as_self(conf);
	snprintf(path, sizeof(path), "%s", harness_file("reload.ini", self));
	free(self);
	superd_start_file(&sd, path, NULL);
	probe_report("p", report, sizeof(report));
	expect(report, "Seccomp", "0");

	snprintf(conf, sizeof(conf), head, port, harness_probe_bin(),
	    "system_call_filter = strict\n");
	self = harness_as_self(conf);
	harness_file("reload.ini", self);
	free(self);
	superd_drain(&sd);
	from = sd.loglen;
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "reloaded", 5000, &from));
	probe_report("p", report, sizeof(report));
	expect(report, "Seccomp", "2");
	expect(report, "NoNewPrivs", "1");
}
END_TEST

/* The namespaces too are made anew by a reload. */
START_TEST(a_reload_builds_the_namespaces_of_the_new_configuration)
{
	static const char head[] = NO_CONTROL "[p]\nuser = root\n"
	                                      "bind = 127.0.0.1\n"
	                                      "port = %d\nexec = %s --try\n"
	                                      "env = PROBE_CREATE=%s\n%s";
	char conf[2048], report[8192], path[1024], file[64];
	size_t from;
	int port = harness_free_port();

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	snprintf(file, sizeof(file), "/tmp/superd-confine-reload-%d",
	    (int)getpid());
	snprintf(conf, sizeof(conf), head, port, harness_probe_bin(), file, "");
	snprintf(path, sizeof(path), "%s", harness_file("reload.ini", conf));
	superd_start_file(&sd, path, NULL);
	probe_report("p", report, sizeof(report));
	expect(report, "try_create", "ok");
	ck_assert_int_eq(unlink(file), 0);

	snprintf(conf, sizeof(conf), head, port, harness_probe_bin(), file,
	    "private_tmp = yes\n");
	harness_file("reload.ini", conf);
	superd_drain(&sd);
	from = sd.loglen;
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "reloaded", 5000, &from));
	probe_report("p", report, sizeof(report));
	expect(report, "try_create", "ok");
	ck_assert_int_eq(access(file, F_OK), -1);
}
END_TEST

/* Without root superd cannot shape capabilities: -t and start-up say so,
 * naming the key, rather than run the handler unconfined. */
START_TEST(capabilities_without_root_fail_naming_the_key)
{
	char out[4096], err[4096];
	const char *file;
	int status;

	if (geteuid() == 0) {
		harness_skip("root: superd can limit capabilities");
		return;
	}
	file = harness_file("caps.ini",
	    "[p]\nport = 0\nbind = 127.0.0.1\nexec = echo\n"
	    "capabilities = CAP_NET_BIND_SERVICE\n");
	status = superd_run(out, sizeof(out), err, sizeof(err), "-t", "-c",
	    file, NULL);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "%s", err);
	ck_assert_msg(strstr(err,
	                  "caps.ini:5: [p] capabilities: superd lacks "
	                  "CAP_SETPCAP") != NULL,
	    "%s", err);
	status =
	    superd_run(out, sizeof(out), err, sizeof(err), "-c", file, NULL);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "%s", err);
	ck_assert_msg(strstr(err, "[p] capabilities: superd lacks") != NULL,
	    "%s", err);
}
END_TEST

/* A directory of the harness's that handlers may write in. */
static void
writable_dir(const char *name, char *out, size_t len)
{
	char *slash;

	snprintf(out, len, "%s", harness_file(name, ""));
	ck_assert_int_eq(unlink(out), 0);
	ck_assert_int_eq(mkdir(out, 0777), 0);
	ck_assert_int_eq(chmod(out, 0777), 0);
	slash = strrchr(out, '/');
	*slash = '\0';
	ck_assert_int_eq(chmod(out, 0755), 0);
	*slash = '/';
}

START_TEST(private_tmp_is_the_service_own_and_seen_by_no_one_else)
{
	char conf[4096], report[8192], mine[64], theirs[64];

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	snprintf(mine, sizeof(mine), "/tmp/superd-confine-%d", (int)getpid());
	snprintf(theirs, sizeof(theirs), "/tmp/superd-confine-free-%d",
	    (int)getpid());
	snprintf(conf, sizeof(conf),
	    "[defaults]\nbind = 127.0.0.1\nexec = %s --try\nuser = root\n"
	    "[a]\nport = 0\nprivate_tmp = yes\nenv = PROBE_CREATE=%s\n"
	    "[b]\nport = 0\nprivate_tmp = yes\nenv = PROBE_READ=%s\n"
	    "[free]\nport = 0\nenv = PROBE_CREATE=%s\n",
	    harness_probe_bin(), mine, mine, theirs);
	start(conf);
	probe_report("a", report, sizeof(report));
	expect(report, "try_create", "ok");
	probe_report("b", report, sizeof(report));
	expect(report, "try_read", "ENOENT");
	ck_assert_int_eq(access(mine, F_OK), -1);
	/* Without the key the file lands in everyone's /tmp. */
	probe_report("free", report, sizeof(report));
	expect(report, "try_create", "ok");
	ck_assert_int_eq(access(theirs, F_OK), 0);
	unlink(theirs);
}
END_TEST

START_TEST(protect_system_makes_the_system_read_only_but_read_write_paths)
{
	char conf[4096], report[8192], rw[1024], key[1100];

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	writable_dir("rw", rw, sizeof(rw));
	snprintf(conf, sizeof(conf),
	    "[defaults]\nbind = 127.0.0.1\nexec = %s --try\nuser = root\n"
	    "env = PROBE_WRITE=/usr /etc /var %s\n"
	    "[strict]\nport = 0\nprotect_system = strict\n"
	    "read_write_paths = %s\n"
	    "[full]\nport = 0\nprotect_system = full\n"
	    "[free]\nport = 0\n",
	    harness_probe_bin(), rw, rw);
	start(conf);
	snprintf(key, sizeof(key), "try_write %s", rw);

	probe_report("strict", report, sizeof(report));
	expect(report, "try_write /usr", "EROFS");
	expect(report, "try_write /etc", "EROFS");
	expect(report, "try_write /var", "EROFS");
	expect(report, key, "ok");

	probe_report("full", report, sizeof(report));
	expect(report, "try_write /usr", "EROFS");
	expect(report, "try_write /etc", "EROFS");
	expect(report, "try_write /var", "ok");

	probe_report("free", report, sizeof(report));
	expect(report, "try_write /usr", "ok");
	expect(report, "try_write /etc", "ok");
}
END_TEST

START_TEST(protect_home_hides_root_or_makes_it_read_only)
{
	char conf[4096], report[8192], file[64];
	int fd;

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	snprintf(file, sizeof(file), "/root/.superd-confine-%d", (int)getpid());
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ne(fd, -1);
	close(fd);
	snprintf(conf, sizeof(conf),
	    "[defaults]\nbind = 127.0.0.1\nexec = %s --try\nuser = root\n"
	    "env = PROBE_READ=%s\nenv = PROBE_WRITE=/root\n"
	    "[hidden]\nport = 0\nprotect_home = yes\n"
	    "[read_only]\nport = 0\nprotect_home = read-only\n"
	    "[free]\nport = 0\n",
	    harness_probe_bin(), file);
	start(conf);

	probe_report("hidden", report, sizeof(report));
	expect(report, "try_read", "ENOENT");
	expect(report, "try_write /root", "EROFS");
	probe_report("read_only", report, sizeof(report));
	expect(report, "try_read", "ok");
	expect(report, "try_write /root", "EROFS");
	probe_report("free", report, sizeof(report));
	expect(report, "try_read", "ok");
	expect(report, "try_write /root", "ok");
	unlink(file);
}
END_TEST

START_TEST(private_network_serves_its_client_but_reaches_nothing_else)
{
	char conf[4096], report[8192], buf[64];
	int echo;

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	echo = harness_free_port();
	snprintf(conf, sizeof(conf),
	    "[defaults]\nbind = 127.0.0.1\nexec = %s --try\nuser = root\n"
	    "env = PROBE_CONNECT=%d\n"
	    "[echo]\nport = %d\nexec = echo\nprivate_network = yes\n"
	    "[isolated]\nport = 0\nprivate_network = yes\n"
	    "[free]\nport = 0\n",
	    harness_probe_bin(), echo, echo);
	start(conf);
	/* Its client still reaches it, through the socket it was given. */
	ck_assert_uint_eq(tcp_exchange(superd_port(&sd, "echo"), "hi\n", buf,
	                      sizeof(buf)),
	    3);
	ck_assert_str_eq(buf, "hi\n");

	probe_report("isolated", report, sizeof(report));
	expect(report, "try_connect", "ECONNREFUSED");
	expect(report, "ifaces", "lo");
	probe_report("free", report, sizeof(report));
	expect(report, "try_connect", "ok");
}
END_TEST

/* Everything at once, and shutdown stops such a handler like any other. */
START_TEST(shutdown_stops_a_fully_confined_handler)
{
	char conf[4096], buf[16] = "", needle[64];
	const char *script;
	pid_t kids[2];
	int fd;

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	script = harness_script("wait.sh", "#!/bin/sh\necho ready\nread x\n");
	*strrchr(strcpy(conf, script), '/') = '\0';
	ck_assert_int_eq(chmod(conf, 0755), 0);
	snprintf(conf, sizeof(conf),
	    "[all]\nport = 0\nbind = 127.0.0.1\nexec = %s\nuser = nobody\n"
	    "no_new_privileges = yes\ncapabilities = none\n"
	    "system_call_filter = strict\nprivate_tmp = yes\n"
	    "protect_system = strict\nprotect_home = yes\n"
	    "private_network = yes\n",
	    script);
	start(conf);
	fd = tcp_connect("127.0.0.1", superd_port(&sd, "all"));
	ck_assert_int_ne(fd, -1);
	ck_assert_uint_eq(tcp_read_all(fd, buf, 6, 5000), 6);
	ck_assert_str_eq(buf, "ready\n");
	ck_assert_uint_eq(proc_children(sd.pid, kids, 2), 1);
	ck_assert_int_eq(kill(sd.pid, SIGTERM), 0);
	snprintf(needle, sizeof(needle), "all[%d]: killed by signal 15",
	    (int)kids[0]);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, needle, 5000, NULL));
	ck_assert(superd_wait_exit(&sd, 5000));
	close(fd);
}
END_TEST

/* Without root no namespace can be made: -t says so, naming the key. */
START_TEST(namespaces_without_root_fail_naming_the_key)
{
	static const char *const keys[] = { "private_tmp = yes",
		"protect_system = strict", "protect_home = read-only",
		"private_network = yes" };
	char out[4096], err[4096], text[256], want[128];
	const char *file;
	size_t i;
	int status;

	if (geteuid() == 0) {
		harness_skip("root: superd can make namespaces");
		return;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(text, sizeof(text),
		    "[p]\nport = 0\nbind = 127.0.0.1\nexec = echo\n%s\n",
		    keys[i]);
		file = harness_file("ns.ini", text);
		status = superd_run(out, sizeof(out), err, sizeof(err), "-t",
		    "-c", file, NULL);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1,
		    "%s", err);
		snprintf(want, sizeof(want),
		    "ns.ini:5: [p] %.*s: ", (int)strcspn(keys[i], " "),
		    keys[i]);
		ck_assert_msg(strstr(err, want) != NULL, "%s: %s", want, err);
	}
}
END_TEST

static Suite *
make_confine_suite(void)
{
	Suite *s = suite_create("confine");
	TCase *tc = tcase_create("confine");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, the_shipped_handlers_work_under_strict);
	tcase_add_test(tc, dash_t_prints_each_service_confinement);
	tcase_add_test(tc, a_reload_changes_the_confinement_of_new_connections);
	suite_add_tcase(s, tc);

	tc = tcase_create("as_root");
	tcase_set_tags(tc, "root");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc,
	    capabilities_and_no_new_privileges_show_in_the_handler_status);
	tcase_add_test(tc,
	    a_setuid_root_program_stays_nobody_under_no_new_privileges);
	tcase_add_test(tc,
	    system_call_filter_default_says_eperm_to_mount_modules_and_ptrace);
	tcase_add_test(tc,
	    private_tmp_is_the_service_own_and_seen_by_no_one_else);
	tcase_add_test(tc,
	    protect_system_makes_the_system_read_only_but_read_write_paths);
	tcase_add_test(tc, protect_home_hides_root_or_makes_it_read_only);
	tcase_add_test(tc,
	    private_network_serves_its_client_but_reaches_nothing_else);
	tcase_add_test(tc, shutdown_stops_a_fully_confined_handler);
	tcase_add_test(tc,
	    a_reload_builds_the_namespaces_of_the_new_configuration);
	suite_add_tcase(s, tc);

	tc = tcase_create("unprivileged");
	tcase_set_tags(tc, "unprivileged");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, capabilities_without_root_fail_naming_the_key);
	tcase_add_test(tc, namespaces_without_root_fail_naming_the_key);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_confine_suite());
}
