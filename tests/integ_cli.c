/* The command line of the real binary: -t, -h, -V, usage and config
 * errors with their exit codes, and an installed tree that finds its own
 * handlers. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static char out[65536], err[65536];

static void
assert_exit(int status, int code)
{
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == code,
	    "status %d, want exit %d; stderr:\n%s", status, code, err);
}

/* As root, superd wants to be told whom handlers run as. */
static const char check_mode_conf[] =
    "[supervisor]\nshutdown_timeout = 2s\n"
    "[echo]\nport = 7007\nbind = 127.0.0.1\nexec = echo\n"
    "[shell]\nport = 7010\nbind = 127.0.0.1, ::1\n"
    "exec = sh -c 'echo \"it'\\''s\"'\n"
    "[off]\nport = 7011\nexec = /nonexistent\nenabled = no\n"
    "[defaults]\nuser = root\n";

START_TEST(check_mode_prints_each_service_with_its_resolved_program)
{
	char *text = harness_as_self(check_mode_conf);
	const char *conf = harness_file("t.ini", text);
	char want[PATH_MAX + 64];

	free(text);
	assert_exit(superd_run(out, sizeof(out), err, sizeof(err), "-t", "-c",
	                conf, NULL),
	    0);
	snprintf(want, sizeof(want), "echo 127.0.0.1:7007 %s/echo\n",
	    harness_handler_dir());
	ck_assert_msg(strstr(out, want) != NULL, "want %s in:\n%s", want, out);
	ck_assert_msg(strstr(out, "shell 127.0.0.1:7010,[::1]:7010 /") != NULL,
	    "%s", out);
	ck_assert_msg(strstr(out, "/sh -c 'echo \"it'\\''s\"'\n") != NULL, "%s",
	    out);
	ck_assert_msg(strstr(out, "off 0.0.0.0:7011,[::]:7011 disabled\n") !=
	        NULL,
	    "%s", out);
	ck_assert_ptr_nonnull(strstr(err, "configuration OK"));
}
END_TEST

/* Allowed but likely wrong: -t says so and still exits 0. */
START_TEST(check_mode_warns_of_a_setuid_handler_and_a_script_without_hashbang)
{
	char setid[PATH_MAX], bare[PATH_MAX], text[3 * PATH_MAX];
	char want[3 * PATH_MAX], *mine;
	const char *conf;

	snprintf(setid, sizeof(setid), "%s",
	    harness_script("setid.sh", "#!/bin/sh\nexec cat\n"));
	ck_assert_int_eq(chmod(setid, 04755), 0);
	snprintf(bare, sizeof(bare), "%s",
	    harness_script("bare.sh", "exec cat\n"));
	snprintf(text, sizeof(text),
	    "[defaults]\nuser = root\nbind = 127.0.0.1\n"
	    "[setid]\nport = 7001\nexec = %s\n"
	    "[bare]\nport = 7002\nexec = %s\n"
	    "[fine]\nport = 7003\nexec = echo\n",
	    setid, bare);
	/* user = root becomes the tester's own name when not root. */
	mine = harness_as_self(text);
	conf = harness_file("warn.ini", mine);
	free(mine);
	assert_exit(superd_run(out, sizeof(out), err, sizeof(err), "-t", "-c",
	                conf, NULL),
	    0);
	snprintf(want, sizeof(want),
	    "superd: %s:6: [setid] exec: warning: %s is setuid (mode 4755): it "
	    "gains its file's ids, whatever user and group say\n",
	    conf, setid);
	ck_assert_msg(strstr(err, want) != NULL, "want %s in:\n%s", want, err);
	snprintf(want, sizeof(want),
	    "superd: %s:9: [bare] exec: warning: %s is neither an ELF binary "
	    "nor a script starting with \"#!\": execve will refuse it\n",
	    conf, bare);
	ck_assert_msg(strstr(err, want) != NULL, "want %s in:\n%s", want, err);
	/* An ELF binary and a "#!" script without special bits: nothing. */
	ck_assert_uint_eq(superd_log_count(&(struct superd){ .log = err },
	                      "warning"),
	    2);
	ck_assert_ptr_nonnull(strstr(err, "configuration OK"));
}
END_TEST

/* "exec = cat # comment" passes "#" and "comment": -t says so, for exec
 * and args lines alike, and lists the words args appended. */
START_TEST(check_mode_warns_of_a_word_starting_with_hash)
{
	char text[1024], want[2048], *mine;
	const char *conf;
	static const char why[] =
	    "is passed to the program as arguments: '#' starts a comment "
	    "only at the start of a line (after a value, \" ; comment\"; "
	    "quote it, '#', to pass it on purpose)\n";

	snprintf(text, sizeof(text),
	    "[defaults]\nuser = root\nbind = 127.0.0.1\n"
	    "[cat]\nport = 7001\n"
	    "exec = /bin/cat # not a comment\n" /* 6 */
	    "args = a '#quoted' \\#escaped\n"
	    "args = b\t#x\n" /* 8 */
	    "# a comment\n");
	mine = harness_as_self(text);
	conf = harness_file("hash.ini", mine);
	free(mine);
	assert_exit(superd_run(out, sizeof(out), err, sizeof(err), "-t", "-c",
	                conf, NULL),
	    0);
	snprintf(want, sizeof(want),
	    "superd: %s:6: [cat] exec: warning: \"# not a comment\" %s", conf,
	    why);
	ck_assert_msg(strstr(err, want) != NULL, "want %s in:\n%s", want, err);
	snprintf(want, sizeof(want),
	    "superd: %s:8: [cat] args: warning: \"#x\" %s", conf, why);
	ck_assert_msg(strstr(err, want) != NULL, "want %s in:\n%s", want, err);
	ck_assert_uint_eq(superd_log_count(&(struct superd){ .log = err },
	                      "warning"),
	    2);
	ck_assert_msg(strstr(out,
	                  "/bin/cat '#' not a comment a '#quoted' '#escaped' b "
	                  "'#x'\n") != NULL,
	    "%s", out);
}
END_TEST

START_TEST(config_error_exits_1_with_file_line_and_key)
{
	const char *conf = harness_file("bad.ini",
	    "[echo]\nport = 7007\nexec = echo\nport = 7008\n");

	assert_exit(superd_run(out, sizeof(out), err, sizeof(err), "-t", "-c",
	                conf, NULL),
	    1);
	ck_assert_msg(strstr(err,
	                  "bad.ini:4: [echo] port: duplicate key "
	                  "(first set on line 2)") != NULL,
	    "%s", err);
	/* The same error stops a real start before anything listens. */
	assert_exit(superd_run(out, sizeof(out), err, sizeof(err), "-c", conf,
	                NULL),
	    1);
	ck_assert_ptr_null(strstr(err, "listening"));
}
END_TEST

START_TEST(missing_config_file_exits_1_naming_it)
{
	assert_exit(superd_run(out, sizeof(out), err, sizeof(err), "-c",
	                "/nonexistent/superd.ini", NULL),
	    1);
	ck_assert_msg(strstr(err,
	                  "/nonexistent/superd.ini: cannot open: No "
	                  "such file or directory") != NULL,
	    "%s", err);
}
END_TEST

START_TEST(usage_errors_exit_2)
{
	assert_exit(superd_run(out, sizeof(out), err, sizeof(err), "-x", NULL),
	    2);
	ck_assert_ptr_nonnull(strstr(err, "superd: unknown option -x"));
	assert_exit(superd_run(out, sizeof(out), err, sizeof(err), "-c", NULL),
	    2);
	ck_assert_ptr_nonnull(strstr(err, "option -c needs a value"));
	assert_exit(superd_run(out, sizeof(out), err, sizeof(err), "stray",
	                NULL),
	    2);
	ck_assert_ptr_nonnull(strstr(err, "unexpected argument: stray"));
}
END_TEST

START_TEST(help_and_version_exit_0_on_stdout)
{
	static const char *const help[] = { "-h", "--help" };
	static const char *const version[] = { "-V", "--version" };
	size_t i;

	for (i = 0; i < 2; i++) {
		assert_exit(superd_run(out, sizeof(out), err, sizeof(err),
		                help[i], NULL),
		    0);
		ck_assert_msg(strncmp(out, "usage: superd", 13) == 0, "%s: %s",
		    help[i], out);
		ck_assert_ptr_nonnull(strstr(out, "-h, --help"));
		ck_assert_str_eq(err, "");
		assert_exit(superd_run(out, sizeof(out), err, sizeof(err),
		                version[i], NULL),
		    0);
		ck_assert_msg(strcmp(out, "superd " SUPERD_VERSION "\n") == 0,
		    "%s: %s", version[i], out);
		ck_assert_str_eq(err, "");
	}
}
END_TEST

START_TEST(an_unknown_long_option_is_named_whole)
{
	assert_exit(superd_run(out, sizeof(out), err, sizeof(err), "--config",
	                "x.ini", NULL),
	    2);
	ck_assert_msg(strncmp(err, "superd: unknown option --config\n", 32) ==
	        0,
	    "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "usage: superd"));
}
END_TEST

/* Runs `cmake --install BUILD_DIR` into DESTDIR=dest. */
static void
install_into(const char *dest)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (setenv("DESTDIR", dest, 1) == -1 ||
		    freopen("/dev/null", "w", stdout) == NULL)
			_exit(126);
		execlp("cmake", "cmake", "--install", BUILD_DIR, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "cmake --install failed: %d", status);
}

START_TEST(installed_superd_finds_its_installed_handlers)
{
	char dest[512], bin[1024], conf[1024], want[1200];

	snprintf(dest, sizeof(dest), "%s.d", harness_file("dest", ""));
	install_into(dest);
	snprintf(bin, sizeof(bin), "%s%s", dest, INSTALL_SBINDIR "/superd");
	snprintf(conf, sizeof(conf), "%s%s", dest, INSTALL_CONFIG);
	ck_assert_int_eq(access(bin, X_OK), 0);
	assert_exit(superd_run_bin(bin, out, sizeof(out), err, sizeof(err),
	                "-t", "-c", conf, NULL),
	    0);
	snprintf(want, sizeof(want), " %s%s/echo\n", dest, INSTALL_HANDLERDIR);
	ck_assert_msg(strstr(out, want) != NULL, "want%s in:\n%s", want, out);
	ck_assert_ptr_null(strstr(out, BUILD_DIR));
}
END_TEST

/* The installed config with its fixed ports made 0, for a test run. */
static void
installed_conf_on_free_ports(const char *conf)
{
	static const char *const ports[] = { "7007", "7008", "7013", "7037" };
	char text[8192], *p;
	size_t i, n;
	FILE *fp;

	fp = fopen(conf, "re");
	ck_assert_ptr_nonnull(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		p = strstr(text, ports[i]);
		ck_assert_ptr_nonnull(p);
		memcpy(p, "0   ", 4); /* "port = 0   " */
	}
	fp = fopen(conf, "we");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, n, fp), n);
	ck_assert_int_eq(fclose(fp), 0);
}

START_TEST(installed_superd_serves_on_its_installed_config)
{
	char dest[512], bin[1024], conf[1024], buf[64], *slash;
	const char *argv[4];
	struct superd sd;
	int fd;

	if (geteuid() != 0) {
		harness_skip("not root: the installed config runs its "
		             "handlers as nobody");
		return;
	}
	snprintf(dest, sizeof(dest), "%s", harness_file("dest", ""));
	/* nobody must reach the installed handlers. */
	slash = strrchr(dest, '/');
	*slash = '\0';
	ck_assert_int_eq(chmod(dest, 0755), 0);
	strcat(dest, "/root.d");
	install_into(dest);
	snprintf(bin, sizeof(bin), "%s%s", dest, INSTALL_SBINDIR "/superd");
	snprintf(conf, sizeof(conf), "%s%s", dest, INSTALL_CONFIG);
	installed_conf_on_free_ports(conf);
	argv[0] = bin;
	argv[1] = "-c";
	argv[2] = conf;
	argv[3] = NULL;
	superd_start_argv(&sd, argv);
	tcp_exchange(superd_port(&sd, "echo"), "installed\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "installed\n");
	tcp_exchange(superd_port(&sd, "upper"), "loud\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "LOUD\n");
	tcp_exchange(superd_port(&sd, "daytime"), "", buf, sizeof(buf));
	ck_assert_msg(strlen(buf) == 21 && buf[10] == 'T', "%s", buf);
	/* time's 4 binary bytes may hold a NUL: count them instead. */
	fd = tcp_connect("127.0.0.1", superd_port(&sd, "time"));
	ck_assert_int_ne(fd, -1);
	ck_assert_uint_eq(tcp_read_all(fd, buf, sizeof(buf), 5000), 4);
	close(fd);
	superd_cleanup(&sd);
}
END_TEST

static Suite *
make_cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc,
	    check_mode_prints_each_service_with_its_resolved_program);
	tcase_add_test(tc,
	    check_mode_warns_of_a_setuid_handler_and_a_script_without_hashbang);
	tcase_add_test(tc, check_mode_warns_of_a_word_starting_with_hash);
	tcase_add_test(tc, config_error_exits_1_with_file_line_and_key);
	tcase_add_test(tc, missing_config_file_exits_1_naming_it);
	tcase_add_test(tc, usage_errors_exit_2);
	tcase_add_test(tc, help_and_version_exit_0_on_stdout);
	tcase_add_test(tc, an_unknown_long_option_is_named_whole);
	tcase_add_test(tc, installed_superd_finds_its_installed_handlers);
	suite_add_tcase(s, tc);

	tc = tcase_create("as_root");
	tcase_set_tags(tc, "root");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, installed_superd_serves_on_its_installed_config);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_cli_suite());
}
