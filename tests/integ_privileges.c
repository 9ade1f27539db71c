/* Integration tests of privileges and the handler's world: the real superd,
 * as root, drops each handler to its configured ids, and the live handler's
 * /proc entries show it; the root rules stop superd before it listens. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
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

#define NOT_ROOT "not root: superd must run as root to switch users"

/* The harness's private directory, opened up so that handlers running as
 * other users can reach their scripts in it. */
static void
temp_dir_for_all(char *buf, size_t len)
{
	char *slash;

	snprintf(buf, len, "%s", harness_file("placeholder", ""));
	slash = strrchr(buf, '/');
	ck_assert_ptr_nonnull(slash);
	*slash = '\0';
	ck_assert_int_eq(chmod(buf, 0755), 0);
}

/* The value of key in /proc/PID/FILE, blanks at both ends removed. */
static void
proc_value(pid_t pid, const char *file, const char *key, char *out, size_t len)
{
	char path[64], line[512], *v;
	size_t klen = strlen(key), n;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fp = fopen(path, "re");
	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	out[0] = '\0';
	while (fgets(line, sizeof(line), fp) != NULL) {
		/* "Key:\tvalue" in status, "Key   value" in limits. */
		if (strncmp(line, key, klen) != 0 ||
		    (line[klen] != ':' && line[klen] != ' '))
			continue;
		v = line + klen + (line[klen] == ':');
		v += strspn(v, " \t");
		n = strcspn(v, "\n");
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		snprintf(out, len, "%.*s", (int)n, v);
		break;
	}
	fclose(fp);
}

static void
expect_status(pid_t pid, const char *key, const char *want)
{
	char got[256];

	proc_value(pid, "status", key, got, sizeof(got));
	ck_assert_msg(strcmp(got, want) == 0,
	    "handler %d %s: \"%s\", want \"%s\"", (int)pid, key, got, want);
}

/* A handler that says "ready", then waits for a line. */
static const char waiting_script[] = "#!/bin/sh\necho ready\nread line\n";

/* Connects to service's port and waits until its handler has said
 * "ready", which it does only after exec, so after every drop.  Returns
 * the connection; *pid gets the handler's pid (superd's only child). */
static int
connect_live(const char *service, pid_t *pid)
{
	char buf[16] = "";
	pid_t kids[4];
	int fd;

	fd = tcp_connect("127.0.0.1", superd_port(&sd, service));
	ck_assert_int_ne(fd, -1);
	ck_assert_uint_eq(tcp_read_all(fd, buf, 6, 5000), 6);
	ck_assert_str_eq(buf, "ready\n");
	ck_assert_uint_eq(proc_children(sd.pid, kids, 4), 1);
	*pid = kids[0];
	return fd;
}

/* Lets handler pid finish and waits until superd has reaped it. */
static void
finish_live(int fd, const char *service, pid_t pid)
{
	char needle[64];

	tcp_send(fd, "bye\n", 4);
	close(fd);
	snprintf(needle, sizeof(needle), "%s[%d]: exited 0", service, (int)pid);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, needle, 5000, NULL));
}

START_TEST(live_handlers_run_with_the_configured_uid_gid_and_groups)
{
	char dir[PATH_MAX], conf[2048];
	const char *script;
	pid_t pid;
	int fd;

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	temp_dir_for_all(dir, sizeof(dir));
	script = harness_script("wait.sh", waiting_script);
	snprintf(conf, sizeof(conf),
	    "[defaults]\n"
	    "user = daemon\n"
	    "group = sys\n"
	    "supplementary_groups = tty, 100\n"
	    "bind = 127.0.0.1\n"
	    "exec = %s\n"
	    "[explicit]\n"
	    "port = 0\n"
	    "user = nobody\n"
	    "group = nogroup\n"
	    "supplementary_groups = adm 27\n"
	    "[inherited]\n"
	    "port = 0\n"
	    "[users_groups]\n"
	    "port = 0\n"
	    "user = nobody\n"
	    "group = daemon\n"
	    "supplementary_groups = user\n",
	    script);
	superd_start(&sd, conf, NULL);

	fd = connect_live("explicit", &pid);
	expect_status(pid, "Uid", "65534\t65534\t65534\t65534");
	expect_status(pid, "Gid", "65534\t65534\t65534\t65534");
	expect_status(pid, "Groups", "4 27");
	finish_live(fd, "explicit", pid);

	fd = connect_live("inherited", &pid);
	expect_status(pid, "Uid", "1\t1\t1\t1");
	expect_status(pid, "Gid", "3\t3\t3\t3");
	expect_status(pid, "Groups", "5 100");
	finish_live(fd, "inherited", pid);

	fd = connect_live("users_groups", &pid);
	expect_status(pid, "Uid", "65534\t65534\t65534\t65534");
	expect_status(pid, "Gid", "1\t1\t1\t1");
	/* initgroups("nobody", daemon): the group, and nobody's (none). */
	expect_status(pid, "Groups", "1");
	finish_live(fd, "users_groups", pid);
}
END_TEST

/* env (entries one a line) holds HOME, USER, LOGNAME and SHELL from
 * user's passwd entry, as systemd's User= sets them. */
static void
expect_login_env(const char *env, const char *user)
{
	const struct passwd *pw = getpwnam(user);
	char want[PATH_MAX + 16];

	ck_assert_ptr_nonnull(pw);
	snprintf(want, sizeof(want), "\nHOME=%s\n", pw->pw_dir);
	ck_assert_msg(strstr(env, want) != NULL, "no %s in %s", want, env);
	snprintf(want, sizeof(want), "\nUSER=%s\n", pw->pw_name);
	ck_assert_msg(strstr(env, want) != NULL, "no %s in %s", want, env);
	snprintf(want, sizeof(want), "\nLOGNAME=%s\n", pw->pw_name);
	ck_assert_msg(strstr(env, want) != NULL, "no %s in %s", want, env);
	snprintf(want, sizeof(want), "\nSHELL=%s\n", pw->pw_shell);
	ck_assert_msg(strstr(env, want) != NULL, "no %s in %s", want, env);
}

START_TEST(live_handler_shows_its_rlimits_and_environment_in_proc)
{
	char dir[PATH_MAX], conf[2048], path[64], env[4096], limit[128];
	const char *script;
	size_t n, i;
	pid_t pid;
	FILE *fp;
	int fd;

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	temp_dir_for_all(dir, sizeof(dir));
	script = harness_script("wait.sh", waiting_script);
	snprintf(conf, sizeof(conf),
	    "[live]\nport = 0\nbind = 127.0.0.1\nexec = %s\n"
	    "user = nobody\n"
	    "env = GREETING=hello world\n"
	    "rlimit_nofile = 64\n"
	    "rlimit_core = 0\n",
	    script);
	superd_start(&sd, conf, NULL);
	fd = connect_live("live", &pid);

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fp = fopen(path, "re");
	ck_assert_ptr_nonnull(fp);
	n = fread(env, 1, sizeof(env) - 1, fp);
	fclose(fp);
	env[n] = '\0';
	/* NUL-separated: each entry is a string of its own. */
	for (i = 0; i < n; i++)
		if (env[i] == '\0')
			env[i] = '\n';
	ck_assert_msg(strstr(env, "\nGREETING=hello world\n") != NULL, "%s",
	    env);
	ck_assert_msg(strstr(env, "SUPERD_SERVICE=live\n") != NULL, "%s", env);
	expect_login_env(env, "nobody");
	ck_assert_msg(strstr(env,
	                  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
	                  "/usr/bin:/sbin:/bin\n") != NULL,
	    "%s", env);

	proc_value(pid, "limits", "Max open files", limit, sizeof(limit));
	ck_assert_msg(strncmp(limit, "64", 2) == 0, "%s", limit);
	proc_value(pid, "limits", "Max core file size", limit, sizeof(limit));
	ck_assert_msg(strncmp(limit, "0 ", 2) == 0, "%s", limit);
	finish_live(fd, "live", pid);
}
END_TEST

START_TEST(script_handler_sees_env_pass_env_workdir_umask_nice_and_rlimits)
{
	char dir[PATH_MAX], conf[2 * PATH_MAX + 512], want[PATH_MAX + 512];
	char buf[1024];
	const char *script;

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	temp_dir_for_all(dir, sizeof(dir));
	script = harness_script("world.sh",
	    "#!/bin/sh\n"
	    "echo \"env $GREETING|$EMPTY|$PASSED|$UNSET_HERE|$PATH\"\n"
	    "echo \"cwd $(pwd)\"\n"
	    "echo \"umask $(umask)\"\n"
	    "echo \"nice $(nice)\"\n"
	    "echo \"limits $(ulimit -n) $(ulimit -p) $(ulimit -v) "
	    "$(ulimit -t) $(ulimit -c)\"\n"
	    "echo \"id $(id -u) $(id -g)\"\n"
	    "echo \"login $HOME $USER $LOGNAME\"\n");
	setenv("PASSED", "from superd's environment", 1);
	unsetenv("UNSET_HERE");
	snprintf(conf, sizeof(conf),
	    "[world]\nport = 0\nbind = 127.0.0.1\nexec = %s\n"
	    "user = nobody\n"
	    "env = GREETING=hello world\n"
	    "env = EMPTY=\n"
	    "env = PATH=/usr/bin:/bin\n"
	    "env = HOME=/srv/git\n"
	    "pass_env = PASSED, UNSET_HERE\n"
	    "workdir = %s\n"
	    "umask = 027\n"
	    "nice = 5\n"
	    "rlimit_nofile = 64\n"
	    "rlimit_nproc = 500\n"
	    "rlimit_as = 512M\n"
	    "rlimit_cpu = 30s\n"
	    "rlimit_core = 0\n",
	    script, dir);
	superd_start(&sd, conf, NULL);
	tcp_exchange(superd_port(&sd, "world"), "", buf, sizeof(buf));
	snprintf(want, sizeof(want),
	    "env hello world||from superd's environment||/usr/bin:/bin\n"
	    "cwd %s\n"
	    "umask 0027\n"
	    "nice 5\n"
	    "limits 64 500 524288 30 0\n"
	    "id 65534 65534\n"
	    "login /srv/git nobody nobody\n",
	    dir);
	ck_assert_str_eq(buf, want);
}
END_TEST

START_TEST(handler_not_executable_by_its_user_exits_126_with_a_logged_line)
{
	char dir[PATH_MAX], conf[PATH_MAX + 256], path[PATH_MAX], buf[64];
	char needle[PATH_MAX + 64];
	const char *script;

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	temp_dir_for_all(dir, sizeof(dir));
	script = harness_script("rootonly.sh", "#!/bin/sh\necho hi\n");
	snprintf(path, sizeof(path), "%s", script);
	/* root may run it, so it loads; nobody may not. */
	ck_assert_int_eq(chmod(path, 0700), 0);
	snprintf(conf, sizeof(conf),
	    "[rootonly]\nport = 0\nbind = 127.0.0.1\nexec = %s\n"
	    "user = nobody\n",
	    path);
	superd_start(&sd, conf, NULL);
	ck_assert_uint_eq(tcp_exchange(superd_port(&sd, "rootonly"), "", buf,
	                      sizeof(buf)),
	    0);
	snprintf(needle, sizeof(needle), "]: cannot run %s: Permission denied",
	    path);
	ck_assert_ptr_nonnull(superd_wait_log(&sd, needle, 5000, NULL));
	ck_assert_ptr_nonnull(superd_wait_log(&sd, "exited 126", 5000, NULL));
}
END_TEST

/* Starts superd on path and expects it to exit 1 before it listens, with
 * path followed by rest in its log. */
static void
expect_refusal(const char *path, const char *rest)
{
	char want[PATH_MAX + 512];

	superd_start_file(&sd, path, NULL);
	ck_assert(superd_wait_exit(&sd, 5000));
	ck_assert_msg(WIFEXITED(sd.status) && WEXITSTATUS(sd.status) == 1,
	    "status %d; log:\n%s", sd.status, sd.log);
	snprintf(want, sizeof(want), "superd: %s%s\n", path, rest);
	ck_assert_msg(strstr(sd.log, want) != NULL, "want %s in:\n%s", want,
	    sd.log);
	ck_assert_ptr_null(strstr(sd.log, "listening"));
}

START_TEST(a_missing_user_fails_at_load_with_file_and_line)
{
	const char *path = harness_file("missing.ini",
	    "[svc]\nport = 0\nbind = 127.0.0.1\nexec = echo\n"
	    "user = no-such-user-here\n");

	expect_refusal(path,
	    ":5: [svc] user: no such user \"no-such-user-here\"");
}
END_TEST

START_TEST(root_superd_refuses_a_service_without_user)
{
	const char *path;

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	path = harness_file("nouser.ini",
	    "[fine]\nport = 0\nbind = 127.0.0.1\nexec = echo\nuser = nobody\n"
	    "[svc]\nport = 0\nbind = 127.0.0.1\nexec = echo\n");
	expect_refusal(path,
	    ":6: [svc]: runs as root without saying so: add "
	    "user = NAME, or user = root");
}
END_TEST

START_TEST(root_superd_refuses_a_config_file_others_can_write)
{
	char path[PATH_MAX];

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	snprintf(path, sizeof(path), "%s",
	    harness_file("open.ini",
	        "[svc]\nport = 0\nbind = 127.0.0.1\n"
	        "exec = echo\nuser = nobody\n"));
	ck_assert_int_eq(chmod(path, 0666), 0);
	expect_refusal(path,
	    ": superd runs as root, and the file is writable "
	    "by every user (mode 0666; chmod o-w)");
}
END_TEST

/* Makes the directory name in the harness's directory, owned by root and
 * group gid, with mode; its path goes to dir. */
static void
make_dir(const char *name, gid_t gid, mode_t mode, char *dir, size_t len)
{
	snprintf(dir, len, "%s", harness_file(name, ""));
	ck_assert_int_eq(unlink(dir), 0);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(chown(dir, 0, gid), 0);
	/* After chown, which may clear mode bits. */
	ck_assert_int_eq(chmod(dir, mode), 0);
}

/* A root-owned 0755 script handler at dir/name; its path goes to path. */
static void
make_handler(const char *dir, const char *name, char *path, size_t len)
{
	FILE *fp;

	snprintf(path, len, "%s/%s", dir, name);
	fp = fopen(path, "we");
	ck_assert_ptr_nonnull(fp);
	fputs("#!/bin/sh\nexec cat\n", fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(chmod(path, 0755), 0);
}

/* A config running exec as root, in the harness's directory. */
static const char *
config_for(const char *exec)
{
	char text[PATH_MAX + 128];

	snprintf(text, sizeof(text),
	    "[svc]\nport = 0\nbind = 127.0.0.1\nuser = root\nexec = %s\n",
	    exec);
	return harness_file("trust.ini", text);
}

/* Expects superd as root to refuse the handler at path (line 5 of the
 * config) for the directory dir above shown, which is what. */
static void
expect_unsafe_dir(const char *exec, const char *dir, const char *shown,
    const char *what)
{
	char conf[PATH_MAX], rest[3 * PATH_MAX];

	snprintf(conf, sizeof(conf), "%s", config_for(exec));
	snprintf(rest, sizeof(rest),
	    ":5: [svc] exec: superd runs as root, and the directory %s above "
	    "%s is %s; move it where only root can write every directory on "
	    "the way)",
	    dir, shown, what);
	expect_refusal(conf, rest);
}

START_TEST(root_superd_refuses_a_handler_in_a_directory_anyone_can_write)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	make_dir("open", 0, 0777, dir, sizeof(dir));
	make_handler(dir, "h.sh", path, sizeof(path));
	expect_unsafe_dir(path, dir, path, "writable by every user (mode 0777");
}
END_TEST

/* The sticky bit stops others from renaming root's file, but not from
 * taking a name first: /tmp is no home for a root handler. */
START_TEST(root_superd_refuses_a_handler_in_a_sticky_directory_like_tmp)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	make_dir("sticky", 0, 01777, dir, sizeof(dir));
	make_handler(dir, "h.sh", path, sizeof(path));
	expect_unsafe_dir(path, dir, path, "writable by every user (mode 1777");
}
END_TEST

START_TEST(root_superd_refuses_a_handler_in_a_directory_a_group_can_write)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	make_dir("shared", 65534, 0775, dir, sizeof(dir));
	make_handler(dir, "h.sh", path, sizeof(path));
	expect_unsafe_dir(path, dir, path,
	    "writable by group 65534 (mode 0775");
	superd_cleanup(&sd);
	/* Group root may write it, as it may write the file. */
	ck_assert_int_eq(chown(dir, 0, 0), 0);
	superd_start_file(&sd, config_for(path), NULL);
	superd_port(&sd, "svc");
}
END_TEST

/* The symlink's own directory counts (it can be pointed elsewhere), and
 * so does every directory its target lies under. */
START_TEST(root_superd_refuses_a_symlink_in_or_into_an_unsafe_directory)
{
	char dir[PATH_MAX], link[PATH_MAX + 16], path[PATH_MAX + 16];
	char safe[PATH_MAX];

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	make_dir("open", 0, 0777, dir, sizeof(dir));
	snprintf(link, sizeof(link), "%s/cat", dir);
	ck_assert_int_eq(symlink("/bin/cat", link), 0);
	expect_unsafe_dir(link, dir, link, "writable by every user (mode 0777");
	superd_cleanup(&sd);
	make_dir("safe", 0, 0755, safe, sizeof(safe));
	make_handler(dir, "h.sh", path, sizeof(path));
	snprintf(link, sizeof(link), "%s/h.sh", safe);
	ck_assert_int_eq(symlink(path, link), 0);
	expect_unsafe_dir(link, dir, path, "writable by every user (mode 0777");
}
END_TEST

START_TEST(root_superd_refuses_a_config_file_in_a_directory_anyone_can_write)
{
	char dir[PATH_MAX], conf[PATH_MAX + 16], rest[3 * PATH_MAX];
	FILE *fp;

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	make_dir("open", 0, 0777, dir, sizeof(dir));
	snprintf(conf, sizeof(conf), "%s/superd.ini", dir);
	fp = fopen(conf, "we");
	ck_assert_ptr_nonnull(fp);
	fputs("[svc]\nport = 0\nbind = 127.0.0.1\nuser = root\nexec = echo\n",
	    fp);
	ck_assert_int_eq(fclose(fp), 0);
	snprintf(rest, sizeof(rest),
	    ": superd runs as root, and the directory %s above %s is "
	    "writable by every user (mode 0777; move it where only root can "
	    "write every directory on the way)",
	    dir, conf);
	expect_refusal(conf, rest);
}
END_TEST

START_TEST(unprivileged_superd_refuses_to_run_handlers_as_root)
{
	const char *path;

	/* Root tests it as nobody; anyone else is unprivileged already. */
	if (geteuid() == 0)
		harness_run_as(65534, 65534, 0);
	path = harness_file("asroot.ini",
	    "[svc]\nport = 0\nbind = 127.0.0.1\nexec = echo\nuser = root\n");
	expect_refusal(path,
	    ":5: [svc] user: superd is not root: cannot run as root");
}
END_TEST

static Suite *
make_privileges_suite(void)
{
	Suite *s = suite_create("privileges");
	TCase *tc = tcase_create("privileges");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, a_missing_user_fails_at_load_with_file_and_line);
	tcase_add_test(tc, unprivileged_superd_refuses_to_run_handlers_as_root);
	suite_add_tcase(s, tc);

	tc = tcase_create("as_root");
	tcase_set_tags(tc, "root");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc,
	    live_handlers_run_with_the_configured_uid_gid_and_groups);
	tcase_add_test(tc,
	    live_handler_shows_its_rlimits_and_environment_in_proc);
	tcase_add_test(tc,
	    script_handler_sees_env_pass_env_workdir_umask_nice_and_rlimits);
	tcase_add_test(tc,
	    handler_not_executable_by_its_user_exits_126_with_a_logged_line);
	tcase_add_test(tc, root_superd_refuses_a_service_without_user);
	tcase_add_test(tc, root_superd_refuses_a_config_file_others_can_write);
	tcase_add_test(tc,
	    root_superd_refuses_a_handler_in_a_directory_anyone_can_write);
	tcase_add_test(tc,
	    root_superd_refuses_a_handler_in_a_sticky_directory_like_tmp);
	tcase_add_test(tc,
	    root_superd_refuses_a_handler_in_a_directory_a_group_can_write);
	tcase_add_test(tc,
	    root_superd_refuses_a_symlink_in_or_into_an_unsafe_directory);
	tcase_add_test(tc,
	    root_superd_refuses_a_config_file_in_a_directory_anyone_can_write);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_privileges_suite());
}
