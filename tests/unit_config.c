/* Unit tests for config.c: what a valid file loads into, and for every kind
 * of mistake, the one line the user sees (file, line, section, key, reason),
 * with *cfg left empty. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"
#include "tlsctx.h"

#ifndef HANDLER_DIR
#error "HANDLER_DIR must name the directory holding the built handlers"
#endif

#define CONFIG_NAME "superd.ini"

/* Where superd under test finds the shipped handlers (a trusted copy of
 * HANDLER_DIR when root cannot trust the build tree). */
static const char *const *
handler_dirs(void)
{
	static const char *dirs[2];

	dirs[0] = harness_handler_dir();
	return dirs;
}

/* Expects path to be the shipped handler name in handler_dirs(). */
static void
assert_shipped(const char *path, const char *name)
{
	char want[PATH_MAX];

	snprintf(want, sizeof(want), "%s/%s", harness_handler_dir(), name);
	ck_assert_str_eq(path, want);
}

/* Writes text as the config file and loads it, failing the test if it does
 * not load. */
static void
load_ok(const char *text, struct config *cfg)
{
	char err[CONFIG_ERR_MAX] = "";
	const char *path = harness_file(CONFIG_NAME, text);
	int rc;

	rc = config_load(path, handler_dirs(), cfg, err, sizeof(err));
	ck_assert_msg(rc == 0, "config_load failed: %s", err);
	ck_assert_str_eq(cfg->file, path);
}

/*
 * Loads path, expecting it to fail with one line that starts with
 * "path:line: [section] key: " (each part left out when 0 or NULL, and
 * "[section]: " without a key) and goes on to contain reason.  The
 * message is left in err, CONFIG_ERR_MAX bytes.
 */
static void
check_error(const char *path, const char *const *dirs, int line,
    const char *section, const char *key, const char *reason, char *err)
{
	struct config cfg, zero;
	char where[PATH_MAX + 128];
	size_t len;

	memset(&cfg, 0xa5, sizeof(cfg));
	memset(&zero, 0, sizeof(zero));
	memset(err, 0, CONFIG_ERR_MAX);
	ck_assert_msg(config_load(path, dirs, &cfg, err, CONFIG_ERR_MAX) == -1,
	    "config loaded, expected an error saying \"%s\"", reason);
	ck_assert_msg(memcmp(&cfg, &zero, sizeof(cfg)) == 0,
	    "*cfg not left empty after: %s", err);

	if (line > 0)
		snprintf(where, sizeof(where), "%s:%d: ", path, line);
	else
		snprintf(where, sizeof(where), "%s: ", path);
	len = strlen(where);
	if (section != NULL)
		len += (size_t)snprintf(where + len, sizeof(where) - len,
		    key != NULL ? "[%s] " : "[%s]: ", section);
	if (key != NULL)
		snprintf(where + len, sizeof(where) - len, "%s: ", key);

	ck_assert_msg(strncmp(err, where, strlen(where)) == 0,
	    "error \"%s\" does not start with \"%s\"", err, where);
	ck_assert_msg(strstr(err + strlen(where), reason) != NULL,
	    "error \"%s\" does not say \"%s\"", err, reason);
	ck_assert_msg(strchr(err, '\n') == NULL, "error is not one line: %s",
	    err);
}

/* Writes text as the config file and checks the error loading it gives. */
static void
expect_error(const char *text, int line, const char *section, const char *key,
    const char *reason)
{
	char err[CONFIG_ERR_MAX];

	check_error(harness_file(CONFIG_NAME, text), handler_dirs(), line,
	    section, key, reason, err);
}

/* The private directory harness_file writes into. */
static void
temp_dir(char *buf, size_t len)
{
	char *slash;

	snprintf(buf, len, "%s", harness_file("placeholder", ""));
	slash = strrchr(buf, '/');
	ck_assert_ptr_nonnull(slash);
	*slash = '\0';
}

static void
expect_bind(const struct service *svc, size_t i, const char *want)
{
	char buf[64];

	ck_assert_msg(i < svc->nbinds, "[%s] has %zu binds, not %zu", svc->name,
	    svc->nbinds, i + 1);
	addr_format_bind(&svc->binds[i], svc->port, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
}

/* ---- valid files ---- */

START_TEST(config_loads_a_valid_file)
{
	struct config cfg;
	const struct service *s;

	load_ok("; superd test configuration\n"
	        "[supervisor]\n"
	        "shutdown_timeout = 250ms\n"
	        "\n"
	        "[echo]\n" /* 5 */
	        "port = 7007\n"
	        "exec = echo\n"
	        "\n"
	        "[upper] ; a comment after the header\n" /* 9 */
	        "port = 7008\n"
	        "bind = 127.0.0.1, [::1]\n"
	        "exec = chat --room 'two words'\n"
	        "\n"
	        "# disabled, so its program is never looked up\n"
	        "[off]\n" /* 15 */
	        "port = 7009\n"
	        "exec = /nonexistent/prog\n"
	        "enabled = no\n",
	    &cfg);

	ck_assert_uint_eq(cfg.shutdown_timeout_ms, 250);
	ck_assert_uint_eq(cfg.nservices, 3);
	ck_assert_uint_eq(config_count_enabled(&cfg), 2);

	s = &cfg.services[0];
	ck_assert_str_eq(s->name, "echo");
	ck_assert_int_eq(s->line, 5);
	ck_assert_uint_eq(s->port, 7007);
	ck_assert(s->enabled);
	ck_assert_str_eq(s->exec, "echo");
	ck_assert_str_eq(s->argv[0], "echo");
	ck_assert_ptr_null(s->argv[1]);
	assert_shipped(s->path, "echo");
	ck_assert_int_eq(s->key_line[KEY_PORT], 6);
	ck_assert_int_eq(s->key_line[KEY_EXEC], 7);
	ck_assert_int_eq(s->key_line[KEY_BIND], 0);
	ck_assert_int_eq(s->key_line[KEY_ENABLED], 0);

	s = &cfg.services[1];
	ck_assert_str_eq(s->name, "upper");
	ck_assert_int_eq(s->line, 9);
	ck_assert_uint_eq(s->port, 7008);
	ck_assert(!s->bind_default);
	ck_assert_uint_eq(s->nbinds, 2);
	expect_bind(s, 0, "127.0.0.1:7008");
	expect_bind(s, 1, "[::1]:7008");
	ck_assert_int_eq(s->key_line[KEY_BIND], 11);
	ck_assert_str_eq(s->exec, "chat --room 'two words'");
	ck_assert_str_eq(s->argv[0], "chat");
	ck_assert_str_eq(s->argv[1], "--room");
	ck_assert_str_eq(s->argv[2], "two words");
	ck_assert_ptr_null(s->argv[3]);
	assert_shipped(s->path, "chat");

	s = &cfg.services[2];
	ck_assert_str_eq(s->name, "off");
	ck_assert_int_eq(s->line, 15);
	ck_assert_uint_eq(s->port, 7009);
	ck_assert(!s->enabled);
	ck_assert_int_eq(s->key_line[KEY_ENABLED], 18);
	ck_assert_str_eq(s->exec, "/nonexistent/prog");
	config_free(&cfg);
}
END_TEST

START_TEST(config_binds_every_ipv4_and_ipv6_address_by_default)
{
	struct config cfg;
	const struct service *s;

	load_ok("[echo]\n"
	        "port = 7\n"
	        "exec = echo\n",
	    &cfg);
	s = &cfg.services[0];
	ck_assert(s->bind_default);
	ck_assert_uint_eq(s->nbinds, 2);
	expect_bind(s, 0, "0.0.0.0:7");
	expect_bind(s, 1, "[::]:7");
	config_free(&cfg);
}
END_TEST

START_TEST(config_defaults_shutdown_timeout_to_10s)
{
	struct config cfg;

	load_ok("[echo]\n"
	        "port = 7\n"
	        "exec = echo\n",
	    &cfg);
	ck_assert_uint_eq(cfg.shutdown_timeout_ms, 10000);
	ck_assert_uint_eq(cfg.shutdown_timeout_ms, SHUTDOWN_TIMEOUT_DEFAULT_MS);
	config_free(&cfg);
}
END_TEST

START_TEST(config_reads_shutdown_timeout_in_milliseconds)
{
	static const struct {
		const char *text;
		unsigned long ms;
	} cases[] = {
		{ "0", 0 },
		{ "1500ms", 1500 },
		{ "10s", 10000 },
		{ "2m", 120000 },
		{ "1h", 3600000 },
	};
	struct config cfg;
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text),
		    "[echo]\n"
		    "port = 7\n"
		    "exec = echo\n"
		    "[supervisor]\n"
		    "shutdown_timeout = %s\n",
		    cases[i].text);
		load_ok(text, &cfg);
		ck_assert_msg(cfg.shutdown_timeout_ms == cases[i].ms,
		    "shutdown_timeout = %s gave %lu ms", cases[i].text,
		    cfg.shutdown_timeout_ms);
		config_free(&cfg);
	}
}
END_TEST

START_TEST(config_defaults_log_format_to_text_and_reads_kv)
{
	struct config cfg;

	load_ok("[echo]\n"
	        "port = 7\n"
	        "exec = echo\n",
	    &cfg);
	ck_assert_int_eq(cfg.log_format, LOG_FORMAT_TEXT);
	config_free(&cfg);
	load_ok("[supervisor]\n"
	        "log_format = kv\n"
	        "[echo]\n"
	        "port = 7\n"
	        "exec = echo\n",
	    &cfg);
	ck_assert_int_eq(cfg.log_format, LOG_FORMAT_KV);
	config_free(&cfg);
	load_ok("[supervisor]\n"
	        "log_format = text\n"
	        "[echo]\n"
	        "port = 7\n"
	        "exec = echo\n",
	    &cfg);
	ck_assert_int_eq(cfg.log_format, LOG_FORMAT_TEXT);
	config_free(&cfg);
}
END_TEST

START_TEST(config_leaves_path_null_for_a_disabled_service)
{
	struct config cfg;

	load_ok("[echo]\n"
	        "port = 7\n"
	        "exec = echo\n"
	        "enabled = off\n",
	    &cfg);
	ck_assert(!cfg.services[0].enabled);
	ck_assert_ptr_null(cfg.services[0].path);
	ck_assert_str_eq(cfg.services[0].argv[0], "echo");
	ck_assert_uint_eq(config_count_enabled(&cfg), 0);
	config_free(&cfg);
}
END_TEST

START_TEST(config_services_inherit_bind_exec_and_enabled_from_defaults)
{
	struct config cfg;
	const struct service *s;

	load_ok("[defaults]\n"
	        "bind = 127.0.0.1\n"
	        "exec = chat --room 'a b'\n"
	        "enabled = no\n"
	        "\n"
	        "[inherits]\n"
	        "port = 7001\n"
	        "\n"
	        "[overrides]\n"
	        "port = 7002\n"
	        "bind = ::1\n"
	        "exec = upper\n"
	        "enabled = yes\n"
	        "\n"
	        "[enables]\n"
	        "port = 7003\n"
	        "enabled = yes\n",
	    &cfg);
	ck_assert_uint_eq(cfg.nservices, 3);

	s = &cfg.services[0];
	ck_assert_str_eq(s->name, "inherits");
	ck_assert(!s->bind_default);
	ck_assert_uint_eq(s->nbinds, 1);
	expect_bind(s, 0, "127.0.0.1:7001");
	ck_assert_str_eq(s->exec, "chat --room 'a b'");
	ck_assert(!s->enabled);
	ck_assert_ptr_null(s->path);

	s = &cfg.services[1];
	ck_assert_str_eq(s->name, "overrides");
	ck_assert_uint_eq(s->nbinds, 1);
	expect_bind(s, 0, "[::1]:7002");
	ck_assert_str_eq(s->exec, "upper");
	ck_assert(s->enabled);
	assert_shipped(s->path, "upper");

	s = &cfg.services[2];
	ck_assert_str_eq(s->name, "enables");
	ck_assert_uint_eq(s->nbinds, 1);
	expect_bind(s, 0, "127.0.0.1:7003");
	ck_assert(s->enabled);
	ck_assert_str_eq(s->argv[0], "chat");
	ck_assert_str_eq(s->argv[1], "--room");
	ck_assert_str_eq(s->argv[2], "a b");
	ck_assert_ptr_null(s->argv[3]);
	assert_shipped(s->path, "chat");
	config_free(&cfg);
}
END_TEST

START_TEST(config_allows_port_0)
{
	struct config cfg;

	load_ok("[echo]\n"
	        "port = 0\n"
	        "exec = echo\n",
	    &cfg);
	ck_assert_uint_eq(cfg.services[0].port, 0);
	ck_assert_int_eq(cfg.services[0].key_line[KEY_PORT], 2);
	config_free(&cfg);
}
END_TEST

START_TEST(config_accepts_a_32_character_service_name)
{
	struct config cfg;

	load_ok("[abcdefghijklmnopqrstuvwxyz-._012]\n"
	        "port = 7\n"
	        "exec = echo\n",
	    &cfg);
	ck_assert_str_eq(cfg.services[0].name,
	    "abcdefghijklmnopqrstuvwxyz-._012");
	config_free(&cfg);
}
END_TEST

START_TEST(config_accepts_crlf_line_endings_and_a_utf8_bom)
{
	struct config cfg;

	load_ok("\xEF\xBB\xBF[echo]\r\n"
	        "port = 7\r\n"
	        "exec = chat --room lobby\r\n"
	        "\r\n",
	    &cfg);
	ck_assert_str_eq(cfg.services[0].name, "echo");
	ck_assert_uint_eq(cfg.services[0].port, 7);
	ck_assert_str_eq(cfg.services[0].argv[2], "lobby");
	assert_shipped(cfg.services[0].path, "chat");
	config_free(&cfg);
}
END_TEST

START_TEST(config_free_releases_a_loaded_config_and_zeroes_it)
{
	struct config cfg, zero;

	memset(&zero, 0, sizeof(zero));
	load_ok("[echo]\n"
	        "port = 7\n"
	        "exec = /bin/echo a b c\n"
	        "[time]\n"
	        "port = 0\n"
	        "bind = 127.0.0.1 ::1\n"
	        "exec = time\n",
	    &cfg);
	config_free(&cfg);
	ck_assert(memcmp(&cfg, &zero, sizeof(cfg)) == 0);
	/* A zeroed config may be freed again. */
	config_free(&cfg);
	ck_assert(memcmp(&cfg, &zero, sizeof(cfg)) == 0);
}
END_TEST

/* ---- program resolution ---- */

START_TEST(config_resolves_echo_under_handler_dir_never_bin_echo)
{
	struct config cfg;

	/* /bin comes first in PATH, and must still not be used. */
	ck_assert_int_eq(setenv("PATH", "/bin:/usr/bin", 1), 0);
	load_ok("[echo]\n"
	        "port = 7\n"
	        "exec = echo\n",
	    &cfg);
	assert_shipped(cfg.services[0].path, "echo");
	config_free(&cfg);
}
END_TEST

START_TEST(config_rejects_a_shipped_handler_missing_from_handler_dirs)
{
	char dir[] = "/tmp/superd-unit-config.XXXXXX", err[CONFIG_ERR_MAX];
	char path[PATH_MAX], reason[PATH_MAX + 128];
	const char *dirs[] = { dir, NULL };
	const char *const none[] = { NULL };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(setenv("PATH", "/bin:/usr/bin", 1), 0);
	snprintf(path, sizeof(path), "%s",
	    harness_file(CONFIG_NAME,
	        "[echo]\n"
	        "port = 7\n"
	        "exec = echo\n"));
	snprintf(reason, sizeof(reason),
	    "shipped handler \"echo\" not found "
	    "in superd's handler directories (%s)",
	    dir);

	check_error(path, dirs, 3, "echo", "exec", reason, err);
	ck_assert_msg(strstr(err, "/bin/echo") == NULL, "%s", err);
	check_error(path, none, 3, "echo", "exec", "shipped handler \"echo\"",
	    err);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(config_resolves_a_bare_name_through_path)
{
	struct config cfg;
	const char *p;
	size_t len;

	ck_assert_int_eq(setenv("PATH", "/usr/bin:/bin", 1), 0);
	load_ok("[shell]\n"
	        "port = 7\n"
	        "exec = sh -c 'cat'\n",
	    &cfg);
	p = cfg.services[0].path;
	ck_assert_ptr_nonnull(p);
	len = strlen(p);
	ck_assert_msg(p[0] == '/' && len > 3 && strcmp(p + len - 3, "/sh") == 0,
	    "sh resolved to \"%s\"", p);
	ck_assert_int_eq(access(p, X_OK), 0);
	ck_assert_str_eq(cfg.services[0].argv[0], "sh");
	config_free(&cfg);
}
END_TEST

START_TEST(config_rejects_a_bare_name_not_in_path)
{
	ck_assert_int_eq(setenv("PATH", "/usr/bin:/bin", 1), 0);
	expect_error("[svc]\n"
	             "port = 7\n"
	             "exec = superd-no-such-program --flag\n",
	    3, "svc", "exec", "\"superd-no-such-program\": not found in PATH");
}
END_TEST

/* Without a PATH of its own, superd searches the handlers' default,
 * sbin included: ldconfig (libc-bin, essential) lives in /usr/sbin. */
START_TEST(config_searches_sbin_when_superd_has_no_path)
{
	struct config cfg;
	const char *p;

	ck_assert_int_eq(unsetenv("PATH"), 0);
	load_ok("[svc]\nport = 7\nexec = ldconfig\n", &cfg);
	p = cfg.services[0].path;
	ck_assert_msg(strcmp(p, "/usr/sbin/ldconfig") == 0 ||
	        strcmp(p, "/sbin/ldconfig") == 0,
	    "ldconfig resolved to \"%s\"", p);
	config_free(&cfg);
}
END_TEST

START_TEST(config_says_which_directory_a_relative_exec_is_relative_to)
{
	char dir[PATH_MAX], reason[PATH_MAX + 128];

	temp_dir(dir, sizeof(dir));
	ck_assert_int_eq(chdir(dir), 0);
	snprintf(reason, sizeof(reason),
	    "\"./missing\" (relative to %s, superd's working directory): No "
	    "such file or directory",
	    dir);
	expect_error("[svc]\nport = 7\nexec = ./missing\n", 3, "svc", "exec",
	    reason);
}
END_TEST

/* A script whose #! interpreter is missing fails every execve with
 * ENOENT, as if the script were missing: said at load, naming it. */
START_TEST(config_names_the_missing_interpreter_of_a_script)
{
	char prog[PATH_MAX], text[PATH_MAX + 64], reason[PATH_MAX + 128];
	struct config cfg;

	snprintf(prog, sizeof(prog), "%s",
	    harness_script("nope.sh", "#!/nonexistent/interp -x\necho\n"));
	snprintf(text, sizeof(text), "[svc]\nport = 7\nexec = %s\n", prog);
	snprintf(reason, sizeof(reason),
	    "\"%s\": interpreter /nonexistent/interp (from #!) not found",
	    prog);
	expect_error(text, 3, "svc", "exec", reason);

	snprintf(prog, sizeof(prog), "%s",
	    harness_script("dos.sh", "#! /bin/sh\r\necho\r\n"));
	snprintf(text, sizeof(text), "[svc]\nport = 7\nexec = %s\n", prog);
	snprintf(reason, sizeof(reason),
	    "\"%s\": interpreter /bin/sh (from #!) not found: the #! line "
	    "ends in a carriage return (DOS line endings)",
	    prog);
	expect_error(text, 3, "svc", "exec", reason);

	snprintf(prog, sizeof(prog), "%s",
	    harness_script("fine.sh", "#!/bin/sh -e\necho\n"));
	snprintf(text, sizeof(text), "[svc]\nport = 7\nexec = %s\n", prog);
	load_ok(text, &cfg);
	config_free(&cfg);
}
END_TEST

START_TEST(config_rejects_exec_of_a_missing_program)
{
	expect_error("[svc]\n"
	             "port = 7\n"
	             "exec = /nonexistent/prog arg\n",
	    3, "svc", "exec",
	    "\"/nonexistent/prog\": No such file or directory");
}
END_TEST

START_TEST(config_rejects_exec_of_a_non_executable_file)
{
	char prog[PATH_MAX], text[PATH_MAX + 64], reason[PATH_MAX + 64];

	snprintf(prog, sizeof(prog), "%s",
	    harness_file("not-executable", "#!/bin/sh\nexit 0\n"));
	ck_assert_int_eq(chmod(prog, 0644), 0);
	snprintf(text, sizeof(text), "[svc]\nport = 7\nexec = %s\n", prog);
	snprintf(reason, sizeof(reason), "\"%s\": not an executable file",
	    prog);
	expect_error(text, 3, "svc", "exec", reason);
}
END_TEST

START_TEST(config_rejects_exec_of_a_directory)
{
	char dir[PATH_MAX], text[PATH_MAX + 64], reason[PATH_MAX + 64];

	temp_dir(dir, sizeof(dir));
	snprintf(text, sizeof(text), "[svc]\nport = 7\nexec = %s\n", dir);
	snprintf(reason, sizeof(reason), "\"%s\": is a directory", dir);
	expect_error(text, 3, "svc", "exec", reason);
}
END_TEST

START_TEST(config_reports_an_inherited_exec_at_the_defaults_line)
{
	expect_error("[defaults]\n"
	             "exec = /nonexistent/prog\n"
	             "[svc]\n"
	             "port = 7\n",
	    2, "svc", "exec",
	    "\"/nonexistent/prog\": No such file or directory");
}
END_TEST

START_TEST(config_rejects_an_empty_exec)
{
	expect_error("[svc]\n"
	             "port = 7\n"
	             "exec =\n",
	    3, "svc", "exec", "no program given");
}
END_TEST

START_TEST(config_rejects_an_exec_with_an_unterminated_quote)
{
	expect_error("[svc]\n"
	             "port = 7\n"
	             "exec = echo 'a b\n",
	    3, "svc", "exec", "unterminated single quote");
}
END_TEST

/* args: words appended to exec's, line after line, with exec's quoting,
 * wherever exec itself is. */
START_TEST(config_appends_args_words_to_exec_in_order_with_exec_quoting)
{
	static const char *const want[] = { "/bin/echo", "first", "second word",
		"-o", "Port 22", "a b", "c \"d\"", "", "#x", "last", NULL };
	struct config cfg;
	const struct service *s;
	size_t i;

	load_ok("[svc]\n"
	        "port = 7\n"
	        "args = -o 'Port 22'\n"
	        "exec = /bin/echo first \"second word\"\n"
	        "args = a\\ b \"c \\\"d\\\"\" ''\n"
	        "args = '#x'\n"
	        "args = last\n",
	    &cfg);
	s = &cfg.services[0];
	for (i = 0; want[i] != NULL; i++) {
		ck_assert_ptr_nonnull(s->argv[i]);
		ck_assert_str_eq(s->argv[i], want[i]);
	}
	ck_assert_ptr_null(s->argv[i]);
	ck_assert_str_eq(s->exec, "/bin/echo first \"second word\"");
	ck_assert_int_eq(s->key_line[KEY_EXEC], 4);
	ck_assert_int_eq(s->key_line[KEY_ARGS], 7);
	config_free(&cfg);
}
END_TEST

START_TEST(config_appends_args_to_an_exec_inherited_from_defaults)
{
	struct config cfg;

	load_ok("[defaults]\n"
	        "exec = /bin/echo a\n"
	        "[svc]\n"
	        "port = 7\n"
	        "args = b\n",
	    &cfg);
	ck_assert_str_eq(cfg.services[0].argv[1], "a");
	ck_assert_str_eq(cfg.services[0].argv[2], "b");
	ck_assert_ptr_null(cfg.services[0].argv[3]);
	config_free(&cfg);
}
END_TEST

START_TEST(config_rejects_args_in_defaults)
{
	expect_error("[defaults]\n"
	             "args = -v\n"
	             "[svc]\n"
	             "port = 7\n"
	             "exec = /bin/echo\n",
	    2, "defaults", "args",
	    "cannot be set in [defaults]; set it in each service");
}
END_TEST

START_TEST(config_rejects_an_empty_args_or_a_bad_quote_at_its_line)
{
	expect_error("[svc]\n"
	             "port = 7\n"
	             "exec = /bin/echo\n"
	             "args =\n",
	    4, "svc", "args",
	    "no words given (remove the line, or write '' for an empty "
	    "argument)");
	expect_error("[svc]\n"
	             "port = 7\n"
	             "exec = /bin/echo\n"
	             "args = a\n"
	             "args = 'b\n"
	             "args = c\n",
	    5, "svc", "args", "unterminated single quote");
}
END_TEST

/* Arguments a shipped handler would ignore are refused, never dropped. */
START_TEST(config_rejects_arguments_a_shipped_handler_does_not_take)
{
	struct config cfg;

	expect_error("[svc]\n"
	             "port = 7\n"
	             "exec = echo hello\n",
	    3, "svc", "exec",
	    "the shipped handler echo takes no arguments (got \"hello\")");
	expect_error("[svc]\n"
	             "port = 7\n"
	             "exec = upper\n"
	             "args = -x y\n",
	    4, "svc", "args",
	    "the shipped handler upper takes no arguments (got \"-x y\")");
	expect_error("[svc]\n"
	             "port = 7\n"
	             "exec = time --rfc868\n",
	    3, "svc", "exec",
	    "the shipped handler time takes no arguments (got \"--rfc868\")");
	expect_error("[svc]\n"
	             "port = 7\n"
	             "exec = chat --room\n",
	    3, "svc", "exec",
	    "the shipped handler chat takes no arguments or --room NAME (got "
	    "\"--room\")");
	load_ok("[a]\nport = 7\nexec = chat\nargs = --room lobby\n"
	        "[b]\nport = 8\nexec = daytime\n",
	    &cfg);
	ck_assert_str_eq(cfg.services[0].argv[2], "lobby");
	config_free(&cfg);
}
END_TEST

/* ---- keys and values ---- */

START_TEST(config_rejects_an_unknown_service_key)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "colour = blue\n",
	    4, "echo", "colour",
	    "unknown key (service keys: port, bind, exec, args, enabled, ");
}
END_TEST

START_TEST(config_rejects_an_unknown_supervisor_key)
{
	expect_error("[supervisor]\n"
	             "shutdown_timeout = 1s\n"
	             "timeout = 5s\n"
	             "[echo]\n"
	             "port = 7\n"
	             "exec = echo\n",
	    3, "supervisor", "timeout",
	    "unknown key ([supervisor] keys: shutdown_timeout, max_children, "
	    "log_format, metrics, control, control_group)");
}
END_TEST

START_TEST(config_suggests_the_key_a_misspelt_one_is_near)
{
	expect_error("[echo]\nport = 7\nexec = echo\nprot = 8\n", 4, "echo",
	    "prot", "unknown key; did you mean port?");
	expect_error("[echo]\nport = 7\nexec = echo\nusr = nobody\n", 4, "echo",
	    "usr", "unknown key; did you mean user?");
	expect_error("[defaults]\nExec = echo\n[echo]\nport = 7\n", 2,
	    "defaults", "Exec", "unknown key; did you mean exec?");
	expect_error("[supervisor]\nshutdown_timout = 1s\n"
	             "[echo]\nport = 7\nexec = echo\n",
	    2, "supervisor", "shutdown_timout",
	    "unknown key; did you mean shutdown_timeout?");
	/* Across the tables, saying which one. */
	expect_error("[echo]\nport = 7\nexec = echo\nmax_chidren = 4\n", 4,
	    "echo", "max_chidren",
	    "unknown key; did you mean max_children (a [supervisor] key)?");
	expect_error("[supervisor]\nmax_conections = 4\n"
	             "[echo]\nport = 7\nexec = echo\n",
	    2, "supervisor", "max_conections",
	    "unknown key; did you mean max_connections (a service key)?");
	expect_error("[echo]\nport = 7\nexec = echo\nmax_children = 4\n", 4,
	    "echo", "max_children",
	    "a [supervisor] key, not a service key (move it to [supervisor])");
	expect_error("[supervisor]\nport = 4\n[echo]\nport = 7\nexec = echo\n",
	    2, "supervisor", "port",
	    "a service key, not a [supervisor] key (move it to a service or "
	    "[defaults])");
	/* Nothing near: the list, no guess. */
	expect_error("[echo]\nport = 7\nexec = echo\nab = 1\n", 4, "echo", "ab",
	    "unknown key (service keys: port, bind, ");
	expect_error("[echo]\nport = 7\nexec = echo\nxyz = 1\n", 4, "echo",
	    "xyz", "unknown key (service keys: port, bind, ");
}
END_TEST

START_TEST(config_calls_a_section_near_a_reserved_name_unknown)
{
	struct config cfg;

	/* [default] holding defaults: no port, so it cannot be a service. */
	expect_error("[default]\n"
	             "user = nobody\n"
	             "[echo]\n"
	             "port = 7\n"
	             "exec = echo\n",
	    1, NULL, NULL,
	    "unknown section [default]; did you mean [defaults]?");
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "[Supervisor]\n"
	             "shutdown_timeout = 1s\n",
	    4, NULL, NULL,
	    "unknown section [Supervisor]; did you mean [supervisor]?");
	/* A service may still be called so, if it is one. */
	load_ok("[default]\nport = 7\nexec = echo\n", &cfg);
	ck_assert_str_eq(cfg.services[0].name, "default");
	config_free(&cfg);
}
END_TEST

START_TEST(config_rejects_a_duplicate_key)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "port = 8\n",
	    4, "echo", "port", "duplicate key (first set on line 2)");
}
END_TEST

START_TEST(config_rejects_a_duplicate_key_even_when_both_are_equal)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "enabled = yes\n"
	             "\n"
	             "enabled = yes\n",
	    6, "echo", "enabled", "duplicate key (first set on line 4)");
}
END_TEST

START_TEST(config_rejects_a_duplicate_supervisor_key)
{
	expect_error("[supervisor]\n"
	             "shutdown_timeout = 1s\n"
	             "shutdown_timeout = 2s\n"
	             "[echo]\n"
	             "port = 7\n"
	             "exec = echo\n",
	    3, "supervisor", "shutdown_timeout",
	    "duplicate key (first set on line 2)");
}
END_TEST

START_TEST(config_rejects_a_duplicate_key_in_defaults)
{
	expect_error("[defaults]\n"
	             "exec = echo\n"
	             "exec = upper\n"
	             "[echo]\n"
	             "port = 7\n",
	    3, "defaults", "exec", "duplicate key (first set on line 2)");
}
END_TEST

START_TEST(config_rejects_a_missing_port)
{
	expect_error("[supervisor]\n"
	             "shutdown_timeout = 1s\n"
	             "[echo]\n"
	             "exec = echo\n",
	    3, "echo", NULL, "missing required key 'port'");
}
END_TEST

START_TEST(config_rejects_a_missing_exec)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "[upper]\n"
	             "port = 8\n"
	             "bind = 127.0.0.1\n",
	    4, "upper", NULL, "missing required key 'exec'");
}
END_TEST

START_TEST(config_rejects_port_70000_as_out_of_range)
{
	expect_error("[echo]\n"
	             "port = 70000\n"
	             "exec = echo\n",
	    2, "echo", "port", "\"70000\" is out of range (0-65535)");
}
END_TEST

START_TEST(config_rejects_a_negative_port)
{
	expect_error("[echo]\n"
	             "port = -1\n"
	             "exec = echo\n",
	    2, "echo", "port", "\"-1\" is not a port number (0-65535)");
}
END_TEST

START_TEST(config_rejects_a_port_that_is_not_a_number)
{
	expect_error("[echo]\n"
	             "port = abc\n"
	             "exec = echo\n",
	    2, "echo", "port", "\"abc\" is not a port number (0-65535)");
	expect_error("[echo]\n"
	             "exec = echo\n"
	             "port =\n",
	    3, "echo", "port", "\"\" is not a port number (0-65535)");
	expect_error("[echo]\n"
	             "exec = echo\n"
	             "port = 7 # seven\n",
	    3, "echo", "port", "\"7 # seven\" is not a port number");
}
END_TEST

START_TEST(config_rejects_a_port_in_defaults)
{
	expect_error("[defaults]\n"
	             "port = 7\n"
	             "[echo]\n"
	             "exec = echo\n",
	    2, "defaults", "port",
	    "cannot be set in [defaults]; set it in each service");
}
END_TEST

START_TEST(config_rejects_shutdown_timeout_without_a_unit)
{
	expect_error("[supervisor]\n"
	             "shutdown_timeout = 10\n"
	             "[echo]\n"
	             "port = 7\n"
	             "exec = echo\n",
	    2, "supervisor", "shutdown_timeout",
	    "\"10\" is not a duration (a number and a unit: ms, s, m or h, "
	    "e.g. 10s)");
}
END_TEST

START_TEST(config_rejects_shutdown_timeout_with_an_unknown_unit)
{
	expect_error("[supervisor]\n"
	             "shutdown_timeout = 10x\n"
	             "[echo]\n"
	             "port = 7\n"
	             "exec = echo\n",
	    2, "supervisor", "shutdown_timeout", "\"10x\" is not a duration");
}
END_TEST

START_TEST(config_rejects_shutdown_timeout_over_1h)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "[supervisor]\n"
	             "shutdown_timeout = 2h\n",
	    5, "supervisor", "shutdown_timeout",
	    "\"2h\" is out of range (at most 1h)");
	expect_error("[supervisor]\n"
	             "shutdown_timeout = 3600001ms\n",
	    2, "supervisor", "shutdown_timeout",
	    "is out of range (at most 1h)");
}
END_TEST

START_TEST(config_rejects_a_log_format_that_is_not_text_or_kv)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "[supervisor]\n"
	             "log_format = json\n",
	    5, "supervisor", "log_format", "\"json\" is not text or kv");
	/* Case matters, as for every other word of the file. */
	expect_error("[supervisor]\n"
	             "log_format = KV\n",
	    2, "supervisor", "log_format", "\"KV\" is not text or kv");
}
END_TEST

START_TEST(config_rejects_an_enabled_that_is_not_yes_or_no)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "enabled = maybe\n",
	    4, "echo", "enabled", "\"maybe\" is not yes or no");
}
END_TEST

START_TEST(config_rejects_a_bad_bind_address)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "bind = 127.0.0.1, 127.0.0.256\n"
	             "exec = echo\n",
	    3, "echo", "bind",
	    "\"127.0.0.256\" is not an IPv4 or IPv6 address");
	expect_error("[echo]\n"
	             "port = 7\n"
	             "bind = localhost\n"
	             "exec = echo\n",
	    3, "echo", "bind", "\"localhost\" is not an IPv4 or IPv6 address");
	expect_error("[echo]\n"
	             "port = 7\n"
	             "bind = [::1\n"
	             "exec = echo\n",
	    3, "echo", "bind", "\"[::1\" is not an IPv4 or IPv6 address");
}
END_TEST

START_TEST(config_rejects_a_bind_without_an_address)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "bind = ,\n",
	    4, "echo", "bind", "no address given");
}
END_TEST

START_TEST(config_rejects_a_bind_address_listed_twice)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "bind = 127.0.0.1, 127.0.0.1\n"
	             "exec = echo\n",
	    3, "echo", "bind", "\"127.0.0.1\" is listed twice");
	expect_error("[echo]\n"
	             "port = 7\n"
	             "bind = ::1 [::1]\n"
	             "exec = echo\n",
	    3, "echo", "bind", "\"[::1]\" is listed twice");
}
END_TEST

/* ---- addresses shared between services ---- */

START_TEST(config_rejects_two_services_on_one_address_and_port)
{
	expect_error("[a]\n"
	             "port = 7000\n"
	             "bind = 127.0.0.1\n"
	             "exec = echo\n"
	             "[b]\n"
	             "exec = echo\n"
	             "bind = 127.0.0.1\n"
	             "port = 7000\n",
	    8, "b", "port", "127.0.0.1:7000 is also used by [a] (line 2)");
}
END_TEST

START_TEST(config_rejects_a_wildcard_and_a_specific_address_on_one_port)
{
	expect_error("[a]\n"
	             "port = 7000\n"
	             "bind = 0.0.0.0\n"
	             "exec = echo\n"
	             "[b]\n"
	             "port = 7000\n"
	             "bind = 127.0.0.1\n"
	             "exec = echo\n",
	    6, "b", "port", "127.0.0.1:7000 is also used by [a] (line 2)");
	expect_error("[a]\n"
	             "port = 7000\n"
	             "bind = ::1\n"
	             "exec = echo\n"
	             "[b]\n"
	             "port = 7000\n"
	             "bind = ::\n"
	             "exec = echo\n",
	    6, "b", "port", "[::]:7000 is also used by [a] (line 2)");
}
END_TEST

START_TEST(config_rejects_two_services_on_default_binds_and_one_port)
{
	expect_error("[a]\n"
	             "port = 7000\n"
	             "exec = echo\n"
	             "[b]\n"
	             "port = 7000\n"
	             "exec = upper\n",
	    5, "b", "port", "0.0.0.0:7000 is also used by [a] (line 2)");
}
END_TEST

START_TEST(config_allows_two_addresses_on_one_port)
{
	struct config cfg;

	load_ok("[a]\n"
	        "port = 7000\n"
	        "bind = 127.0.0.1, ::1\n"
	        "exec = echo\n"
	        "[b]\n"
	        "port = 7000\n"
	        "bind = 127.0.0.2\n"
	        "exec = echo\n"
	        "[c]\n"
	        "port = 7000\n"
	        "bind = ::2\n"
	        "exec = echo\n",
	    &cfg);
	ck_assert_uint_eq(cfg.nservices, 3);
	config_free(&cfg);
}
END_TEST

START_TEST(config_allows_the_ipv4_and_ipv6_wildcards_on_one_port)
{
	struct config cfg;

	load_ok("[a]\n"
	        "port = 7000\n"
	        "bind = 0.0.0.0\n"
	        "exec = echo\n"
	        "[b]\n"
	        "port = 7000\n"
	        "bind = ::\n"
	        "exec = echo\n",
	    &cfg);
	ck_assert_uint_eq(cfg.nservices, 2);
	config_free(&cfg);
}
END_TEST

START_TEST(config_allows_port_0_twice)
{
	struct config cfg;

	load_ok("[a]\n"
	        "port = 0\n"
	        "exec = echo\n"
	        "[b]\n"
	        "port = 0\n"
	        "exec = echo\n",
	    &cfg);
	ck_assert_uint_eq(cfg.nservices, 2);
	config_free(&cfg);
}
END_TEST

START_TEST(config_allows_a_disabled_service_on_a_used_port)
{
	struct config cfg;

	load_ok("[a]\n"
	        "port = 7000\n"
	        "exec = echo\n"
	        "enabled = no\n"
	        "[b]\n"
	        "port = 7000\n"
	        "exec = echo\n"
	        "[c]\n"
	        "port = 7000\n"
	        "exec = echo\n"
	        "enabled = no\n",
	    &cfg);
	ck_assert_uint_eq(config_count_enabled(&cfg), 1);
	config_free(&cfg);
}
END_TEST

/* ---- lines ---- */

/* A line of exactly len bytes: EXEC_LINE and then x's. */
#define EXEC_LINE "exec = /bin/echo "

static void
exec_line(char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len + 1, EXEC_LINE);

	memset(buf + n, 'x', len - n);
	buf[len] = '\0';
}

START_TEST(config_accepts_a_line_of_197_bytes)
{
	struct config cfg;
	char line[256], text[512];

	exec_line(line, 197);
	snprintf(text, sizeof(text), "[echo]\nport = 7\n%s\n", line);
	load_ok(text, &cfg);
	ck_assert_uint_eq(strlen(cfg.services[0].argv[1]),
	    197 - strlen(EXEC_LINE));
	config_free(&cfg);
}
END_TEST

START_TEST(config_rejects_a_line_of_198_bytes)
{
	char line[256], text[512];

	exec_line(line, 198);
	snprintf(text, sizeof(text), "[echo]\nport = 7\n%s\n", line);
	expect_error(text, 3, "echo", NULL,
	    "line is too long (198 bytes, at most 197)");
}
END_TEST

/*
 * Debian's libinih reads 199 bytes at a time: the rest of a longer line
 * comes back as a line of its own.  Here that rest is "user = root", which
 * must never be parsed as a key.
 */
START_TEST(config_rejects_a_long_line_rather_than_splitting_it)
{
	char line[256], text[512], err[CONFIG_ERR_MAX];

	exec_line(line, 199);
	snprintf(text, sizeof(text),
	    "[echo]\n"
	    "port = 7\n"
	    "%suser = root\n"
	    "enabled = yes\n",
	    line);
	check_error(harness_file(CONFIG_NAME, text), handler_dirs(), 3, "echo",
	    NULL, "line is too long (210 bytes, at most 197)", err);
	ck_assert_msg(strstr(err, "user") == NULL, "%s", err);
}
END_TEST

START_TEST(config_rejects_a_very_long_line)
{
	static char text[20000];
	size_t n;

	n = (size_t)snprintf(text, sizeof(text), "[echo]\nport = 7\n; ");
	memset(text + n, 'x', 10000 - 2);
	snprintf(text + n + 10000 - 2, sizeof(text) - n - 10000 + 2,
	    "\nexec = echo\n");
	expect_error(text, 3, "echo", NULL,
	    "line is too long (10000 bytes, at most 197)");
}
END_TEST

START_TEST(config_rejects_an_indented_line)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "  enabled = no\n",
	    4, "echo", NULL,
	    "indented line (it would continue the previous "
	    "value); remove the leading blanks");
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "\t[upper]\n",
	    4, "echo", NULL, "indented line");
}
END_TEST

START_TEST(config_accepts_blank_lines_and_indented_comments)
{
	struct config cfg;

	load_ok("[echo]\n"
	        "  \t\n"
	        "port = 7\n"
	        "   ; indented comment\n"
	        "\t# another\n"
	        "exec = echo\n",
	    &cfg);
	ck_assert_str_eq(cfg.services[0].exec, "echo");
	config_free(&cfg);
}
END_TEST

START_TEST(config_accepts_a_colon_in_place_of_equals)
{
	struct config cfg;

	load_ok("[echo]\n"
	        "port: 7\n"
	        "exec : /bin/echo a=b\n",
	    &cfg);
	ck_assert_uint_eq(cfg.services[0].port, 7);
	ck_assert_str_eq(cfg.services[0].argv[1], "a=b");
	config_free(&cfg);
}
END_TEST

START_TEST(config_passes_an_escaped_semicolon_through_exec)
{
	struct config cfg;

	load_ok("[echo]\n"
	        "port = 7\n"
	        "exec = /bin/echo a\\ \\;b c;d ; a comment\n",
	    &cfg);
	ck_assert_str_eq(cfg.services[0].argv[1], "a ;b");
	ck_assert_str_eq(cfg.services[0].argv[2], "c;d");
	ck_assert_ptr_null(cfg.services[0].argv[3]);
	config_free(&cfg);
}
END_TEST

/* inih cuts the value at " ;" before the quotes are read. */
START_TEST(config_cuts_a_quoted_value_at_a_blank_semicolon)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo \"a ;b\"\n",
	    3, "echo", "exec", "unterminated double quote");
}
END_TEST

START_TEST(config_rejects_a_line_without_equals)
{
	expect_error("[echo]\n"
	             "port 7\n"
	             "exec = echo\n",
	    2, "echo", NULL,
	    "syntax error (expected \"key = value\", "
	    "\"[section]\" or a comment)");
}
END_TEST

START_TEST(config_reports_a_syntax_error_before_later_mistakes)
{
	/* inih itself would go on and report line 4 first. */
	expect_error("[echo]\n"
	             "port 7\n"
	             "exec = echo\n"
	             "bogus = 1\n",
	    2, "echo", NULL, "syntax error");
}
END_TEST

START_TEST(config_rejects_a_line_with_no_key_name)
{
	expect_error("[echo]\n"
	             "= 7\n"
	             "exec = echo\n",
	    2, "echo", NULL, "missing key name before '='");
}
END_TEST

START_TEST(config_rejects_an_equals_sign_only_inside_a_comment)
{
	expect_error("[echo]\n"
	             "port ; = 7\n"
	             "exec = echo\n",
	    2, "echo", NULL, "syntax error");
}
END_TEST

START_TEST(config_bad_header_after_a_section_does_not_name_that_section)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "[upper\n",
	    4, NULL, NULL, "section header without ']'");
}
END_TEST

START_TEST(config_rejects_an_empty_program_name)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = '' arg\n",
	    3, "echo", "exec", "the program name is empty");
}
END_TEST

START_TEST(config_rejects_service_names_starting_with_dot_or_dash)
{
	expect_error("[..]\nport = 7\nexec = echo\n", 1, NULL, NULL,
	    "[..]: invalid section name");
	expect_error("[-x]\nport = 7\nexec = echo\n", 1, NULL, NULL,
	    "[-x]: invalid section name");
}
END_TEST

START_TEST(config_rejects_an_ipv4_mapped_bind_address)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "bind = ::ffff:127.0.0.1\n"
	             "exec = echo\n",
	    3, "echo", "bind", "is an IPv4-mapped address");
}
END_TEST

START_TEST(config_rejects_a_nul_byte_in_a_line)
{
	static const char text[] = "[echo]\nport = 7\0junk\nexec = echo\n";
	char path[PATH_MAX], err[CONFIG_ERR_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s", harness_file(CONFIG_NAME, ""));
	fp = fopen(path, "we");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, sizeof(text) - 1, fp),
	    sizeof(text) - 1);
	ck_assert_int_eq(fclose(fp), 0);
	check_error(path, handler_dirs(), 2, "echo", NULL,
	    "line contains a NUL byte", err);
}
END_TEST

START_TEST(config_rejects_a_key_before_any_section)
{
	expect_error("; comment\n"
	             "port = 7\n"
	             "[echo]\n"
	             "exec = echo\n",
	    2, NULL, "port",
	    "key outside any section (start with "
	    "[supervisor] or [service-name])");
}
END_TEST

/* ---- sections ---- */

START_TEST(config_rejects_a_duplicate_section)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "\n"
	             "[echo]\n"
	             "port = 8\n"
	             "exec = echo\n",
	    5, "echo", NULL, "duplicate section");
}
END_TEST

START_TEST(config_rejects_two_supervisor_sections)
{
	expect_error("[supervisor]\n"
	             "shutdown_timeout = 1s\n"
	             "[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "[supervisor]\n"
	             "shutdown_timeout = 2s\n",
	    6, "supervisor", NULL, "duplicate section");
}
END_TEST

START_TEST(config_rejects_two_defaults_sections)
{
	expect_error("[defaults]\n"
	             "bind = 127.0.0.1\n"
	             "[defaults]\n"
	             "exec = echo\n"
	             "[echo]\n"
	             "port = 7\n",
	    3, "defaults", NULL, "duplicate section");
}
END_TEST

START_TEST(config_rejects_an_empty_section_in_the_middle)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "[empty]\n"
	             "; only a comment\n"
	             "\n"
	             "[upper]\n"
	             "port = 8\n"
	             "exec = upper\n",
	    4, "empty", NULL, "empty section (remove it, or give it keys)");
}
END_TEST

START_TEST(config_rejects_an_empty_section_at_the_end)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "\n"
	             "[supervisor]\n"
	             "\n",
	    5, "supervisor", NULL, "empty section");
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "[last]",
	    4, "last", NULL, "empty section");
}
END_TEST

START_TEST(config_rejects_a_header_without_a_closing_bracket)
{
	expect_error("; comment\n"
	             "\n"
	             "[echo\n"
	             "port = 7\n"
	             "exec = echo\n",
	    3, NULL, NULL, "section header without ']'");
}
END_TEST

START_TEST(config_rejects_text_after_a_section_header)
{
	expect_error("; comment\n"
	             "\n"
	             "[echo] port = 7\n"
	             "exec = echo\n",
	    3, NULL, NULL, "unexpected text after the section header");
	expect_error("[echo]]\n"
	             "port = 7\n"
	             "exec = echo\n",
	    1, NULL, NULL, "unexpected text after the section header");
}
END_TEST

START_TEST(config_rejects_a_service_name_with_a_space)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "[my service]\n"
	             "port = 8\n"
	             "exec = echo\n",
	    4, "my service", NULL,
	    "invalid section name (use 1 to 32 "
	    "letters, digits, '_', '.' or '-')");
}
END_TEST

START_TEST(config_rejects_a_33_character_service_name)
{
	expect_error("[abcdefghijklmnopqrstuvwxyz-._0123]\n"
	             "port = 7\n"
	             "exec = echo\n",
	    1, "abcdefghijklmnopqrstuvwxyz-._0123", NULL,
	    "invalid section name");
}
END_TEST

START_TEST(config_rejects_an_empty_service_name)
{
	expect_error("[]\n"
	             "port = 7\n"
	             "exec = echo\n",
	    1, "", NULL, "invalid section name");
}
END_TEST

/* ---- whole files ---- */

START_TEST(config_rejects_an_empty_file)
{
	expect_error("", 0, NULL, NULL,
	    "no services defined (add a section "
	    "such as [echo] with port and exec)");
	expect_error("; nothing but comments\n\n", 0, NULL, NULL,
	    "no services defined");
}
END_TEST

START_TEST(config_rejects_a_file_with_only_a_supervisor_section)
{
	expect_error("[supervisor]\n"
	             "shutdown_timeout = 5s\n",
	    0, NULL, NULL, "no services defined");
	expect_error("[supervisor]\n"
	             "shutdown_timeout = 5s\n"
	             "[defaults]\n"
	             "exec = echo\n",
	    0, NULL, NULL, "no services defined");
}
END_TEST

START_TEST(config_rejects_a_missing_file)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], err[CONFIG_ERR_MAX];

	temp_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/missing.ini", dir);
	check_error(path, handler_dirs(), 0, NULL, NULL,
	    "cannot open: No such file or directory", err);
}
END_TEST

START_TEST(config_rejects_an_unreadable_file)
{
	char path[PATH_MAX], err[CONFIG_ERR_MAX];

	/* Root reads a mode 000 file anyway; the directory test covers the
	 * read-error path there. */
	if (geteuid() == 0) {
		harness_skip("root: it reads a mode 000 file all the same");
		return;
	}
	snprintf(path, sizeof(path), "%s",
	    harness_file(CONFIG_NAME, "[echo]\nport = 7\nexec = echo\n"));
	ck_assert_int_eq(chmod(path, 0), 0);
	check_error(path, handler_dirs(), 0, NULL, NULL,
	    "cannot open: Permission denied", err);
}
END_TEST

START_TEST(config_rejects_a_directory)
{
	char dir[PATH_MAX], err[CONFIG_ERR_MAX];

	temp_dir(dir, sizeof(dir));
	check_error(dir, handler_dirs(), 0, NULL, NULL, "not a regular file",
	    err);
}
END_TEST

START_TEST(config_rejects_a_device_it_would_read_forever)
{
	char err[CONFIG_ERR_MAX];

	check_error("/dev/zero", handler_dirs(), 0, NULL, NULL,
	    "not a regular file", err);
}
END_TEST

/* ---- limits ---- */

/* Expects "[svc] key = value" (on line 3 of a minimal file) to fail with
 * reason. */
static void
expect_bad_value(const char *key, const char *value, const char *reason)
{
	char text[256];

	snprintf(text, sizeof(text),
	    "[svc]\n"
	    "port = 7\n"
	    "%s = %s\n"
	    "exec = echo\n",
	    key, value);
	expect_error(text, 3, "svc", key, reason);
}

/* The same for "[supervisor] key = value" on line 2. */
static void
expect_bad_supervisor_value(const char *key, const char *value,
    const char *reason)
{
	char text[256];

	snprintf(text, sizeof(text),
	    "[supervisor]\n"
	    "%s = %s\n"
	    "[svc]\n"
	    "port = 7\n"
	    "exec = echo\n",
	    key, value);
	expect_error(text, 2, "supervisor", key, reason);
}

/* Loads a minimal service with "key = value" on line 3. */
static void
load_with(const char *key, const char *value, struct config *cfg)
{
	char text[256];

	snprintf(text, sizeof(text),
	    "[svc]\n"
	    "port = 7\n"
	    "%s = %s\n"
	    "exec = echo\n",
	    key, value);
	load_ok(text, cfg);
}

static void
expect_prefix(const struct cidr *c, const char *want)
{
	char buf[64];

	cidr_format(c, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
}

START_TEST(config_gives_the_limit_keys_their_defaults)
{
	struct config cfg;
	const struct service *s;
	size_t k;

	load_ok("[echo]\n"
	        "port = 7\n"
	        "exec = echo\n",
	    &cfg);
	s = &cfg.services[0];
	ck_assert_uint_eq(s->max_connections, MAX_CONNECTIONS_DEFAULT);
	ck_assert_uint_eq(s->max_connections, 64);
	ck_assert_int_eq(s->on_max, OVERLOAD_DEFER);
	ck_assert_ptr_null(s->reject_message);
	ck_assert_uint_eq(s->reject_len, 0);
	ck_assert_uint_eq(s->max_per_source, 0);
	ck_assert_uint_eq(s->source_prefix_v4, 32);
	ck_assert_uint_eq(s->source_prefix_v6, 64);
	ck_assert_uint_eq(s->rate.n, 0);
	ck_assert_uint_eq(s->rate_per_source.n, 0);
	ck_assert_int_eq(s->on_rate, OVERLOAD_REJECT);
	ck_assert_uint_eq(s->nallow, 0);
	ck_assert_uint_eq(s->ndeny, 0);
	ck_assert_uint_eq(s->max_duration_ms, 0);
	ck_assert_uint_eq(s->stop_timeout_ms, STOP_TIMEOUT_DEFAULT_MS);
	ck_assert_uint_eq(s->stop_timeout_ms, 5000);
	for (k = KEY_MAX_CONNECTIONS; k < SERVICE_KEYS; k++)
		ck_assert_int_eq(s->key_line[k], 0);
	/* Bounded by the file and process limits, never 0. */
	ck_assert_uint_ge(cfg.max_children, 1);
	ck_assert_uint_le(cfg.max_children, MAX_CHILDREN_DEFAULT);
	config_free(&cfg);
}
END_TEST

START_TEST(config_loads_every_limit_key_into_the_service)
{
	struct config cfg;
	const struct service *s;

	load_ok("[supervisor]\n"
	        "max_children = 100\n"
	        "[echo]\n"
	        "port = 7\n"
	        "exec = echo\n" /* 5 */
	        "max_connections = 10\n"
	        "on_max = reject\n"
	        "reject_message = busy\\r\\n\n"
	        "max_per_source = 3\n"
	        "source_prefix_v4 = 24\n" /* 10 */
	        "source_prefix_v6 = 48\n"
	        "rate = 50/1s\n"
	        "rate_per_source = 5/s\n"
	        "on_rate = defer\n"
	        "allow = 10.0.0.0/8, 2001:db8::/32\n" /* 15 */
	        "deny = 10.1.0.0/16 192.0.2.1\n"
	        "max_duration = 30m\n"
	        "stop_timeout = 250ms\n",
	    &cfg);
	ck_assert_uint_eq(cfg.max_children, 100);
	s = &cfg.services[0];
	ck_assert_uint_eq(s->max_connections, 10);
	ck_assert_int_eq(s->on_max, OVERLOAD_REJECT);
	ck_assert_str_eq(s->reject_message, "busy\r\n");
	ck_assert_uint_eq(s->reject_len, 6);
	ck_assert_uint_eq(s->max_per_source, 3);
	ck_assert_uint_eq(s->source_prefix_v4, 24);
	ck_assert_uint_eq(s->source_prefix_v6, 48);
	ck_assert_uint_eq(s->rate.n, 50);
	ck_assert_uint_eq(s->rate.per_ms, 1000);
	ck_assert_uint_eq(s->rate_per_source.n, 5);
	ck_assert_uint_eq(s->rate_per_source.per_ms, 1000);
	ck_assert_int_eq(s->on_rate, OVERLOAD_DEFER);
	ck_assert_uint_eq(s->nallow, 2);
	expect_prefix(&s->allow[0], "10.0.0.0/8");
	expect_prefix(&s->allow[1], "2001:db8::/32");
	ck_assert_uint_eq(s->ndeny, 2);
	expect_prefix(&s->deny[0], "10.1.0.0/16");
	expect_prefix(&s->deny[1], "192.0.2.1/32");
	ck_assert_uint_eq(s->max_duration_ms, 30 * 60 * 1000);
	ck_assert_uint_eq(s->stop_timeout_ms, 250);
	ck_assert_int_eq(s->key_line[KEY_MAX_CONNECTIONS], 6);
	ck_assert_int_eq(s->key_line[KEY_RATE], 12);
	ck_assert_int_eq(s->key_line[KEY_ALLOW], 15);
	ck_assert_int_eq(s->key_line[KEY_STOP_TIMEOUT], 18);
	config_free(&cfg);
}
END_TEST

START_TEST(config_accepts_the_bounds_of_each_limit)
{
	static const struct {
		const char *key, *value;
	} ok[] = {
		{ "max_connections", "1" },
		{ "max_connections", "65536" },
		{ "max_per_source", "0" },
		{ "max_per_source", "65536" },
		{ "source_prefix_v4", "8" },
		{ "source_prefix_v4", "32" },
		{ "source_prefix_v6", "16" },
		{ "source_prefix_v6", "128" },
		{ "rate", "1000000/1h" },
		{ "rate", "1/1ms" },
		{ "max_duration", "24h" },
		{ "max_duration", "0" },
		{ "stop_timeout", "1h" },
		{ "stop_timeout", "0" },
		{ "on_max", "defer" },
		{ "on_rate", "reject" },
		{ "allow", "0.0.0.0/0" },
		{ "deny", "::/0" },
	};
	struct config cfg;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		load_with(ok[i].key, ok[i].value, &cfg);
		config_free(&cfg);
	}
	load_ok("[supervisor]\n"
	        "max_children = 65536\n"
	        "[svc]\n"
	        "port = 7\n"
	        "exec = echo\n",
	    &cfg);
	ck_assert_uint_eq(cfg.max_children, 65536);
	config_free(&cfg);
}
END_TEST

START_TEST(config_reads_rates_as_a_count_per_milliseconds)
{
	static const struct {
		const char *text;
		unsigned long n, per_ms;
	} cases[] = {
		{ "5/s", 5, 1000 },
		{ "600/1m", 600, 60000 },
		{ "50/1s", 50, 1000 },
		{ "1/250ms", 1, 250 },
		{ "10/m", 10, 60000 },
		{ "1/1h", 1, 3600000 },
	};
	struct config cfg;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		load_with("rate", cases[i].text, &cfg);
		ck_assert_msg(cfg.services[0].rate.n == cases[i].n &&
		        cfg.services[0].rate.per_ms == cases[i].per_ms,
		    "rate = %s gave %lu/%lums", cases[i].text,
		    cfg.services[0].rate.n, cfg.services[0].rate.per_ms);
		config_free(&cfg);
	}
	load_with("rate_per_source", "600/1m", &cfg);
	ck_assert_uint_eq(cfg.services[0].rate_per_source.n, 600);
	ck_assert_uint_eq(cfg.services[0].rate_per_source.per_ms, 60000);
	ck_assert_uint_eq(cfg.services[0].rate.n, 0);
	config_free(&cfg);
}
END_TEST

START_TEST(config_reads_a_rate_of_0_as_off)
{
	struct config cfg;

	load_with("rate", "0", &cfg);
	ck_assert_uint_eq(cfg.services[0].rate.n, 0);
	config_free(&cfg);
	load_with("rate_per_source", "0", &cfg);
	ck_assert_uint_eq(cfg.services[0].rate_per_source.n, 0);
	config_free(&cfg);
}
END_TEST

START_TEST(config_decodes_the_escapes_of_reject_message)
{
	struct config cfg;
	const struct service *s;

	load_with("reject_message", "a\\tb\\\\n c\\r\\n", &cfg);
	s = &cfg.services[0];
	ck_assert_str_eq(s->reject_message, "a\tb\\n c\r\n");
	ck_assert_uint_eq(s->reject_len, 9);
	ck_assert_uint_eq(strlen(s->reject_message), s->reject_len);
	config_free(&cfg);

	load_with("reject_message", "too busy, try later\\n", &cfg);
	ck_assert_str_eq(cfg.services[0].reject_message,
	    "too busy, try later\n");
	ck_assert_uint_eq(cfg.services[0].reject_len, 20);
	config_free(&cfg);
}
END_TEST

START_TEST(config_accumulates_repeated_allow_and_deny_lines_in_order)
{
	struct config cfg;
	const struct service *s;

	load_ok("[svc]\n"
	        "port = 7\n"
	        "allow = 10.0.0.0/8\n"
	        "deny = 10.1.0.0/16\n"
	        "allow = 192.0.2.0/24, fd00::/8\n"
	        "exec = echo\n"
	        "allow = 198.51.100.7\n"
	        "deny = fd00:1::/32\n",
	    &cfg);
	s = &cfg.services[0];
	ck_assert_uint_eq(s->nallow, 4);
	expect_prefix(&s->allow[0], "10.0.0.0/8");
	expect_prefix(&s->allow[1], "192.0.2.0/24");
	expect_prefix(&s->allow[2], "fd00::/8");
	expect_prefix(&s->allow[3], "198.51.100.7/32");
	ck_assert_uint_eq(s->ndeny, 2);
	expect_prefix(&s->deny[0], "10.1.0.0/16");
	expect_prefix(&s->deny[1], "fd00:1::/32");
	config_free(&cfg);
}
END_TEST

START_TEST(config_rejects_a_bad_max_connections)
{
	expect_bad_value("max_connections", "0",
	    "\"0\" is out of range (1-65536)");
	expect_bad_value("max_connections", "65537",
	    "\"65537\" is out of range (1-65536)");
	expect_bad_value("max_connections", "abc",
	    "\"abc\" is not a whole number");
	expect_bad_value("max_connections", "-1",
	    "\"-1\" is not a whole number");
	expect_bad_value("max_connections", "10k",
	    "\"10k\" is not a whole number");
}
END_TEST

START_TEST(config_rejects_an_on_max_that_is_not_defer_or_reject)
{
	expect_bad_value("on_max", "maybe", "\"maybe\" is not defer or reject");
}
END_TEST

START_TEST(config_rejects_an_unknown_escape_in_reject_message)
{
	expect_bad_value("reject_message", "busy\\q",
	    "unknown escape (use \\n, \\r, \\t or \\\\)");
	expect_bad_value("reject_message", "busy\\", "unknown escape");
	expect_bad_value("reject_message", "\\0", "unknown escape");
}
END_TEST

START_TEST(config_rejects_a_bad_max_per_source)
{
	expect_bad_value("max_per_source", "65537",
	    "\"65537\" is out of range (0-65536)");
	expect_bad_value("max_per_source", "abc",
	    "\"abc\" is not a whole number");
	expect_bad_value("max_per_source", "-1",
	    "\"-1\" is not a whole number");
}
END_TEST

START_TEST(config_rejects_source_prefixes_out_of_range)
{
	expect_bad_value("source_prefix_v4", "7",
	    "\"7\" is out of range (8-32)");
	expect_bad_value("source_prefix_v4", "33",
	    "\"33\" is out of range (8-32)");
	expect_bad_value("source_prefix_v4", "/24",
	    "\"/24\" is not a whole number");
	expect_bad_value("source_prefix_v6", "15",
	    "\"15\" is out of range (16-128)");
	expect_bad_value("source_prefix_v6", "129",
	    "\"129\" is out of range (16-128)");
}
END_TEST

START_TEST(config_rejects_a_rate_that_is_not_count_per_duration)
{
	static const char *const bad[] = { "5", "5/", "/1s", "5/1x", "5/1",
		"five/s", "5/S", "-5/s", "5 per s", "1/2/3s" };
	size_t i;
	char reason[128];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(reason, sizeof(reason),
		    "\"%s\" is not a rate (COUNT/DURATION, e.g. 50/1s or "
		    "600/1m; 0 for none)",
		    bad[i]);
		expect_bad_value("rate", bad[i], reason);
	}
}
END_TEST

START_TEST(config_rejects_a_rate_out_of_range)
{
	static const char *const bad[] = { "0/1s", "5/0s", "5/0", "5/2h",
		"5/3600001ms", "1000001/1s" };
	size_t i;
	char reason[128];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(reason, sizeof(reason),
		    "\"%s\" is out of range (count 1-1000000 per 1ms-1h)",
		    bad[i]);
		expect_bad_value("rate", bad[i], reason);
	}
}
END_TEST

START_TEST(config_rejects_a_bad_rate_per_source)
{
	expect_bad_value("rate_per_source", "5", "\"5\" is not a rate");
	expect_bad_value("rate_per_source", "5/1x", "\"5/1x\" is not a rate");
	expect_bad_value("rate_per_source", "0/1s",
	    "\"0/1s\" is out of range (count 1-1000000 per 1ms-1h)");
	expect_bad_value("rate_per_source", "5/0s", "is out of range");
}
END_TEST

START_TEST(config_rejects_a_stderr_or_stderr_rate_it_does_not_know)
{
	expect_bad_value("stderr", "syslog",
	    "\"syslog\" is not log, inherit, null or client");
	expect_bad_value("stderr_rate", "lots",
	    "\"lots\" is not a rate (COUNT/DURATION, e.g. 50/1s or 600/1m; 0 "
	    "for none)");
}
END_TEST

START_TEST(config_rejects_confinement_values_it_does_not_know)
{
	expect_bad_value("no_new_privileges", "maybe",
	    "\"maybe\" is not yes or no");
	expect_bad_value("capabilities", "CAP_NET_BIND_SERVICE CAP_FLY",
	    "\"CAP_FLY\" is not a capability (CAP_NET_BIND_SERVICE, ...; "
	    "or none)");
	expect_bad_value("capabilities", ",",
	    "no capability given (none for an empty set)");
	expect_bad_value("system_call_filter", "on",
	    "\"on\" is not off, default or strict");
	expect_bad_value("private_tmp", "shared",
	    "\"shared\" is not yes or no");
	expect_bad_value("private_network", "lo", "\"lo\" is not yes or no");
	expect_bad_value("protect_system", "yes",
	    "\"yes\" is not no, full or strict");
	expect_bad_value("protect_home", "tmpfs",
	    "\"tmpfs\" is not no, yes or read-only");
	expect_bad_value("read_write_paths", "var/lib",
	    "\"var/lib\" is not an absolute path");
	expect_bad_value("read_write_paths", "/nonexistent/superd",
	    "\"/nonexistent/superd\": No such file or directory");
	expect_bad_value("read_write_paths", ",", "no path given");
}
END_TEST

/* Each confinement key works in [defaults]; a service's own line wins,
 * and capabilities lines add up. */
START_TEST(config_reads_confinement_keys_and_their_defaults)
{
	struct config cfg;
	const struct service *a, *b, *c;

	load_ok("[defaults]\n"
	        "no_new_privileges = yes\n"
	        "system_call_filter = strict\n"
	        "capabilities = cap_net_bind_service\n"
	        "[a]\nport = 7\nexec = echo\n"
	        "[b]\nport = 8\nexec = echo\n"
	        "no_new_privileges = no\n"
	        "system_call_filter = off\n"
	        "capabilities = none\n"
	        "[c]\nport = 9\nexec = echo\n"
	        "capabilities = CAP_CHOWN\n"
	        "capabilities = CAP_KILL\n",
	    &cfg);
	a = &cfg.services[0];
	b = &cfg.services[1];
	c = &cfg.services[2];
	ck_assert(a->no_new_privs);
	ck_assert_int_eq(a->syscall_filter, SYSCALL_FILTER_STRICT);
	ck_assert(a->caps_set);
	ck_assert_uint_eq(a->caps, 1ULL << 10);
	ck_assert(!b->no_new_privs);
	ck_assert_int_eq(b->syscall_filter, SYSCALL_FILTER_OFF);
	ck_assert(b->caps_set);
	ck_assert_uint_eq(b->caps, 0);
	ck_assert_uint_eq(c->caps, (1ULL << 0) | (1ULL << 5));
	config_free(&cfg);
	load_ok("[defaults]\n"
	        "private_tmp = yes\n"
	        "protect_system = strict\n"
	        "read_write_paths = /tmp /var\n"
	        "protect_home = read-only\n"
	        "private_network = yes\n"
	        "[a]\nport = 7\nexec = echo\n"
	        "[b]\nport = 8\nexec = echo\n"
	        "read_write_paths = /srv\n"
	        "protect_system = full\n"
	        "protect_home = yes\n",
	    &cfg);
	a = &cfg.services[0];
	b = &cfg.services[1];
	ck_assert(a->private_tmp && a->private_network);
	ck_assert_int_eq(a->protect_system, PROTECT_SYSTEM_STRICT);
	ck_assert_int_eq(a->protect_home, PROTECT_HOME_READ_ONLY);
	ck_assert_uint_eq(a->nrw_paths, 2);
	ck_assert_str_eq(a->rw_paths[1], "/var");
	ck_assert_int_eq(b->protect_system, PROTECT_SYSTEM_FULL);
	ck_assert_int_eq(b->protect_home, PROTECT_HOME_YES);
	ck_assert_uint_eq(b->nrw_paths, 1);
	ck_assert_str_eq(b->rw_paths[0], "/srv");
	config_free(&cfg);
	load_ok("[a]\nport = 7\nexec = echo\n", &cfg);
	ck_assert(!cfg.services[0].private_tmp);
	ck_assert(!cfg.services[0].private_network);
	ck_assert_int_eq(cfg.services[0].protect_system, PROTECT_SYSTEM_NO);
	ck_assert_int_eq(cfg.services[0].protect_home, PROTECT_HOME_NO);
	ck_assert(!cfg.services[0].no_new_privs);
	ck_assert(!cfg.services[0].caps_set);
	ck_assert_int_eq(cfg.services[0].syscall_filter, SYSCALL_FILTER_OFF);
	config_free(&cfg);
}
END_TEST

START_TEST(config_rejects_an_on_rate_that_is_not_defer_or_reject)
{
	expect_bad_value("on_rate", "maybe",
	    "\"maybe\" is not defer or reject");
}
END_TEST

START_TEST(config_rejects_a_bad_allow_or_deny_prefix)
{
	expect_bad_value("allow", "10.0.0.256",
	    "\"10.0.0.256\" is not an IPv4 or IPv6 address or prefix");
	expect_bad_value("deny", "example.com",
	    "\"example.com\" is not an IPv4 or IPv6 address or prefix");
	expect_bad_value("allow", "10.0.0.0/8, 10.0.0.0/33",
	    "\"10.0.0.0/33\": prefix length must be 0-32");
	expect_bad_value("deny", "fd00::/129",
	    "\"fd00::/129\": prefix length must be 0-128");
	expect_bad_value("allow", "10.0.0.0/-1",
	    "\"10.0.0.0/-1\": prefix length must be 0-32");
	expect_bad_value("allow", ",", "no address given");
	expect_bad_value("deny", "", "no address given");
}
END_TEST

START_TEST(config_rejects_host_bits_in_allow_and_deny)
{
	expect_bad_value("allow", "10.0.0.1/8",
	    "\"10.0.0.1/8\" has host bits set (did you mean 10.0.0.0/8?)");
	expect_bad_value("deny", "2001:db8::1/32",
	    "\"2001:db8::1/32\" has host bits set "
	    "(did you mean 2001:db8::/32?)");
}
END_TEST

START_TEST(config_rejects_a_bad_allow_on_a_later_line_at_that_line)
{
	expect_error("[svc]\n"
	             "port = 7\n"
	             "allow = 10.0.0.0/8\n"
	             "exec = echo\n"
	             "allow = 192.0.2.1/24\n",
	    5, "svc", "allow", "(did you mean 192.0.2.0/24?)");
}
END_TEST

START_TEST(config_rejects_a_bad_max_duration)
{
	expect_bad_value("max_duration", "10",
	    "\"10\" is not a duration (a number and a unit: ms, s, m or h, "
	    "e.g. 10s)");
	expect_bad_value("max_duration", "25h",
	    "\"25h\" is out of range (at most 24h)");
	expect_bad_value("max_duration", "1441m",
	    "\"1441m\" is out of range (at most 24h)");
	expect_bad_value("max_duration", "1d", "\"1d\" is not a duration");
}
END_TEST

START_TEST(config_rejects_a_bad_stop_timeout)
{
	expect_bad_value("stop_timeout", "2h",
	    "\"2h\" is out of range (at most 1h)");
	expect_bad_value("stop_timeout", "5", "\"5\" is not a duration");
}
END_TEST

START_TEST(config_rejects_a_bad_max_children)
{
	expect_bad_supervisor_value("max_children", "0",
	    "\"0\" is out of range (1-65536)");
	expect_bad_supervisor_value("max_children", "65537",
	    "\"65537\" is out of range (1-65536)");
	expect_bad_supervisor_value("max_children", "abc",
	    "\"abc\" is not a whole number");
}
END_TEST

START_TEST(config_rejects_a_duplicate_max_children)
{
	expect_error("[supervisor]\n"
	             "max_children = 100\n"
	             "shutdown_timeout = 1s\n"
	             "max_children = 100\n"
	             "[svc]\n"
	             "port = 7\n"
	             "exec = echo\n",
	    4, "supervisor", "max_children",
	    "duplicate key (first set on line 2)");
}
END_TEST

START_TEST(config_rejects_max_children_in_a_service)
{
	expect_error("[svc]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "max_children = 5\n",
	    4, "svc", "max_children",
	    "a [supervisor] key, not a service key (move it to [supervisor])");
}
END_TEST

START_TEST(config_rejects_a_duplicate_limit_key)
{
	expect_error("[svc]\n"
	             "port = 7\n"
	             "rate = 5/s\n"
	             "exec = echo\n"
	             "rate = 6/s\n",
	    5, "svc", "rate", "duplicate key (first set on line 3)");
	expect_error("[svc]\n"
	             "port = 7\n"
	             "reject_message = a\n"
	             "exec = echo\n"
	             "reject_message = b\n",
	    5, "svc", "reject_message", "duplicate key (first set on line 3)");
}
END_TEST

START_TEST(config_reports_a_bad_limit_in_defaults_at_its_line)
{
	expect_error("[defaults]\n"
	             "exec = echo\n"
	             "rate = 5\n"
	             "[svc]\n"
	             "port = 7\n",
	    3, "defaults", "rate", "\"5\" is not a rate");
	expect_error("[defaults]\n"
	             "allow = 10.0.0.1/8\n"
	             "[svc]\n"
	             "port = 7\n"
	             "exec = echo\n",
	    2, "defaults", "allow", "(did you mean 10.0.0.0/8?)");
	expect_error("[defaults]\n"
	             "max_connections = 1\n"
	             "max_connections = 2\n"
	             "[svc]\n"
	             "port = 7\n"
	             "exec = echo\n",
	    3, "defaults", "max_connections",
	    "duplicate key (first set on line 2)");
}
END_TEST

/* Every limit key set in [defaults], for the two tests below. */
static const char limit_defaults[] = "[defaults]\n"
                                     "max_connections = 10\n"
                                     "on_max = reject\n"
                                     "reject_message = busy\\n\n"
                                     "max_per_source = 2\n"
                                     "source_prefix_v4 = 24\n" /* 6 */
                                     "source_prefix_v6 = 56\n"
                                     "rate = 100/1s\n"
                                     "rate_per_source = 10/1m\n"
                                     "on_rate = defer\n"
                                     "allow = 10.0.0.0/8\n" /* 11 */
                                     "allow = 192.0.2.0/24\n"
                                     "deny = 10.1.0.0/16\n"
                                     "max_duration = 1h\n"
                                     "stop_timeout = 2s\n"
                                     "exec = echo\n"; /* 16 */

START_TEST(config_defaults_supply_every_limit_key)
{
	char text[1024];
	struct config cfg;
	const struct service *s;

	snprintf(text, sizeof(text),
	    "%s"
	    "[inherits]\n" /* 17 */
	    "port = 7001\n",
	    limit_defaults);
	load_ok(text, &cfg);
	s = &cfg.services[0];
	ck_assert_uint_eq(s->max_connections, 10);
	ck_assert_int_eq(s->on_max, OVERLOAD_REJECT);
	ck_assert_str_eq(s->reject_message, "busy\n");
	ck_assert_uint_eq(s->reject_len, 5);
	ck_assert_uint_eq(s->max_per_source, 2);
	ck_assert_uint_eq(s->source_prefix_v4, 24);
	ck_assert_uint_eq(s->source_prefix_v6, 56);
	ck_assert_uint_eq(s->rate.n, 100);
	ck_assert_uint_eq(s->rate.per_ms, 1000);
	ck_assert_uint_eq(s->rate_per_source.n, 10);
	ck_assert_uint_eq(s->rate_per_source.per_ms, 60000);
	ck_assert_int_eq(s->on_rate, OVERLOAD_DEFER);
	ck_assert_uint_eq(s->nallow, 2);
	expect_prefix(&s->allow[0], "10.0.0.0/8");
	expect_prefix(&s->allow[1], "192.0.2.0/24");
	ck_assert_uint_eq(s->ndeny, 1);
	expect_prefix(&s->deny[0], "10.1.0.0/16");
	ck_assert_uint_eq(s->max_duration_ms, 3600000);
	ck_assert_uint_eq(s->stop_timeout_ms, 2000);
	/* Inherited keys point at the [defaults] lines. */
	ck_assert_int_eq(s->key_line[KEY_MAX_CONNECTIONS], 2);
	ck_assert_int_eq(s->key_line[KEY_SOURCE_PREFIX_V4], 6);
	ck_assert_int_eq(s->key_line[KEY_ALLOW], 12);
	ck_assert_int_eq(s->key_line[KEY_STOP_TIMEOUT], 15);
	config_free(&cfg);
}
END_TEST

START_TEST(config_a_services_own_limit_keys_win_over_defaults)
{
	char text[1024];
	struct config cfg;
	const struct service *s;

	snprintf(text, sizeof(text),
	    "%s"
	    "[own]\n" /* 17 */
	    "port = 7002\n"
	    "max_connections = 20\n"
	    "on_max = defer\n" /* 20 */
	    "reject_message = go away\n"
	    "max_per_source = 0\n"
	    "source_prefix_v4 = 32\n"
	    "source_prefix_v6 = 128\n"
	    "rate = 0\n" /* 25 */
	    "rate_per_source = 0\n"
	    "on_rate = reject\n"
	    "allow = 2001:db8::/32\n"
	    "deny = 2001:db8:1::/48\n"
	    "max_duration = 0\n" /* 30 */
	    "stop_timeout = 100ms\n"
	    "[deny_only]\n"
	    "port = 7003\n"
	    "deny = 192.0.2.128/25\n",
	    limit_defaults);
	load_ok(text, &cfg);
	ck_assert_uint_eq(cfg.nservices, 2);

	s = &cfg.services[0];
	ck_assert_uint_eq(s->max_connections, 20);
	ck_assert_int_eq(s->on_max, OVERLOAD_DEFER);
	ck_assert_str_eq(s->reject_message, "go away");
	ck_assert_uint_eq(s->reject_len, 7);
	ck_assert_uint_eq(s->max_per_source, 0);
	ck_assert_uint_eq(s->source_prefix_v4, 32);
	ck_assert_uint_eq(s->source_prefix_v6, 128);
	ck_assert_uint_eq(s->rate.n, 0);
	ck_assert_uint_eq(s->rate_per_source.n, 0);
	ck_assert_int_eq(s->on_rate, OVERLOAD_REJECT);
	/* Its own allow replaces the defaults' list; it does not add. */
	ck_assert_uint_eq(s->nallow, 1);
	expect_prefix(&s->allow[0], "2001:db8::/32");
	ck_assert_uint_eq(s->ndeny, 1);
	expect_prefix(&s->deny[0], "2001:db8:1::/48");
	ck_assert_uint_eq(s->max_duration_ms, 0);
	ck_assert_uint_eq(s->stop_timeout_ms, 100);
	ck_assert_int_eq(s->key_line[KEY_RATE], 25);
	ck_assert_int_eq(s->key_line[KEY_ALLOW], 28);

	/* Its own deny replaces the defaults' deny, and allow is still
	 * inherited. */
	s = &cfg.services[1];
	ck_assert_uint_eq(s->ndeny, 1);
	expect_prefix(&s->deny[0], "192.0.2.128/25");
	ck_assert_uint_eq(s->nallow, 2);
	expect_prefix(&s->allow[0], "10.0.0.0/8");
	expect_prefix(&s->allow[1], "192.0.2.0/24");
	ck_assert_uint_eq(s->max_connections, 10);
	config_free(&cfg);
}
END_TEST

/* ---- privileges and the handler's world ---- */

START_TEST(config_gives_the_privilege_keys_their_defaults)
{
	struct config cfg;
	const struct service *s;
	size_t r;

	load_ok("[echo]\nport = 7\nexec = echo\n", &cfg);
	s = &cfg.services[0];
	ck_assert(!s->user_set);
	ck_assert_ptr_null(s->user);
	ck_assert_int_eq(s->groups_from, GROUPS_USER);
	ck_assert_uint_eq(s->ngroups, 0);
	ck_assert_uint_eq(s->nenv, 0);
	ck_assert_uint_eq(s->npass_env, 0);
	ck_assert_ptr_null(s->workdir);
	ck_assert_uint_eq(s->umask, 022);
	ck_assert(!s->nice_set);
	for (r = 0; r < SERVICE_RLIMITS; r++)
		ck_assert(!s->rlimit[r].set);
	config_free(&cfg);
}
END_TEST

START_TEST(config_resolves_user_to_ids_and_the_users_groups)
{
	struct config cfg;
	const struct service *s;

	load_ok("[svc]\nport = 7\nexec = echo\nuser = nobody\n", &cfg);
	s = &cfg.services[0];
	ck_assert(s->user_set);
	ck_assert_str_eq(s->user, "nobody");
	ck_assert_uint_eq(s->uid, 65534);
	ck_assert_uint_eq(s->gid, 65534);
	/* nobody belongs to no group but its own. */
	ck_assert_uint_eq(s->ngroups, 1);
	ck_assert_uint_eq(s->groups[0], 65534);
	ck_assert_int_eq(s->key_line[KEY_USER], 4);
	config_free(&cfg);

	load_ok("[svc]\nport = 7\nexec = echo\nuser = root\n", &cfg);
	s = &cfg.services[0];
	ck_assert_uint_eq(s->uid, 0);
	ck_assert_uint_eq(s->gid, 0);
	ck_assert_uint_ge(s->ngroups, 1);
	ck_assert_uint_eq(s->groups[0], 0);
	config_free(&cfg);
}
END_TEST

START_TEST(config_accepts_numeric_uids_and_gids)
{
	struct config cfg;
	const struct service *s;

	load_ok("[svc]\nport = 7\nexec = echo\nuser = 65534\n", &cfg);
	s = &cfg.services[0];
	ck_assert_str_eq(s->user, "nobody");
	ck_assert_uint_eq(s->uid, 65534);
	ck_assert_uint_eq(s->gid, 65534);
	config_free(&cfg);

	/* Ids need no passwd or group entry; such a uid has no groups. */
	load_ok("[svc]\nport = 7\nexec = echo\nuser = 4242\ngroup = 4343\n",
	    &cfg);
	s = &cfg.services[0];
	ck_assert_str_eq(s->user, "4242");
	ck_assert_uint_eq(s->uid, 4242);
	ck_assert_uint_eq(s->gid, 4343);
	ck_assert_uint_eq(s->ngroups, 0);
	config_free(&cfg);
}
END_TEST

START_TEST(config_group_replaces_the_primary_group)
{
	struct config cfg;
	const struct service *s;

	load_ok("[svc]\nport = 7\nexec = echo\nuser = nobody\ngroup = daemon\n",
	    &cfg);
	s = &cfg.services[0];
	ck_assert_uint_eq(s->uid, 65534);
	ck_assert_uint_eq(s->gid, 1);
	/* As initgroups(nobody, daemon): the given group and nobody's
	 * memberships, of which there are none. */
	ck_assert_uint_eq(s->ngroups, 1);
	ck_assert_uint_eq(s->groups[0], 1);
	config_free(&cfg);
}
END_TEST

START_TEST(config_reads_supplementary_groups_none_and_a_list)
{
	struct config cfg;
	const struct service *s;

	load_ok("[svc]\nport = 7\nexec = echo\nuser = nobody\n"
	        "supplementary_groups = none\n",
	    &cfg);
	s = &cfg.services[0];
	ck_assert_int_eq(s->groups_from, GROUPS_NONE);
	ck_assert_uint_eq(s->ngroups, 0);
	config_free(&cfg);

	load_ok("[svc]\nport = 7\nexec = echo\nuser = nobody\n"
	        "supplementary_groups = adm, sudo 100\n",
	    &cfg);
	s = &cfg.services[0];
	ck_assert_int_eq(s->groups_from, GROUPS_LIST);
	ck_assert_uint_eq(s->ngroups, 3);
	ck_assert_uint_eq(s->groups[0], 4);
	ck_assert_uint_eq(s->groups[1], 27);
	ck_assert_uint_eq(s->groups[2], 100);
	config_free(&cfg);
}
END_TEST

START_TEST(config_accumulates_env_lines_and_appends_pass_env_values)
{
	struct config cfg;
	const struct service *s;

	setenv("UNIT_PASSED", "yes it is", 1);
	unsetenv("UNIT_ABSENT");
	load_ok("[svc]\n"
	        "port = 7\n"
	        "exec = echo\n"
	        "env = GREETING=hello world\n"
	        "pass_env = UNIT_ABSENT, UNIT_PASSED\n" /* 5 */
	        "env = EMPTY=\n"
	        "env = PATH=/opt/bin:/usr/bin\n"
	        "env = X=a=b\n",
	    &cfg);
	s = &cfg.services[0];
	ck_assert_uint_eq(s->nenv, 5);
	ck_assert_str_eq(s->env[0], "GREETING=hello world");
	ck_assert_str_eq(s->env[1], "EMPTY=");
	ck_assert_str_eq(s->env[2], "PATH=/opt/bin:/usr/bin");
	ck_assert_str_eq(s->env[3], "X=a=b");
	ck_assert_str_eq(s->env[4], "UNIT_PASSED=yes it is");
	ck_assert_uint_eq(s->npass_env, 2);
	ck_assert_str_eq(s->pass_env[0], "UNIT_ABSENT");
	ck_assert_int_eq(s->key_line[KEY_ENV], 8);
	ck_assert_int_eq(s->key_line[KEY_PASS_ENV], 5);
	config_free(&cfg);
}
END_TEST

START_TEST(config_reads_workdir_umask_nice_and_rlimits)
{
	struct config cfg;
	const struct service *s;
	char text[PATH_MAX + 256], dir[PATH_MAX];

	temp_dir(dir, sizeof(dir));
	snprintf(text, sizeof(text),
	    "[svc]\nport = 7\nexec = echo\n"
	    "workdir = %s\n"
	    "umask = 0027\n"
	    "nice = -5\n"
	    "rlimit_nofile = 1024\n"
	    "rlimit_nproc = unlimited\n"
	    "rlimit_as = 512M\n"
	    "rlimit_cpu = 1m\n"
	    "rlimit_core = 0\n",
	    dir);
	load_ok(text, &cfg);
	s = &cfg.services[0];
	ck_assert_str_eq(s->workdir, dir);
	ck_assert_uint_eq(s->umask, 027);
	ck_assert(s->nice_set);
	ck_assert_int_eq(s->nice, -5);
	ck_assert(s->rlimit[SERVICE_RLIMIT_NOFILE].set);
	ck_assert_uint_eq(s->rlimit[SERVICE_RLIMIT_NOFILE].value, 1024);
	ck_assert_uint_eq(s->rlimit[SERVICE_RLIMIT_NPROC].value, RLIM_INFINITY);
	ck_assert_uint_eq(s->rlimit[SERVICE_RLIMIT_AS].value, 512UL << 20);
	ck_assert_uint_eq(s->rlimit[SERVICE_RLIMIT_CPU].value, 60);
	ck_assert(s->rlimit[SERVICE_RLIMIT_CORE].set);
	ck_assert_uint_eq(s->rlimit[SERVICE_RLIMIT_CORE].value, 0);
	config_free(&cfg);
}
END_TEST

START_TEST(config_accepts_the_bounds_of_each_world_key)
{
	struct config cfg;

	load_with("umask", "000", &cfg);
	ck_assert_uint_eq(cfg.services[0].umask, 0);
	config_free(&cfg);
	load_with("umask", "777", &cfg);
	ck_assert_uint_eq(cfg.services[0].umask, 0777);
	config_free(&cfg);
	load_with("nice", "-20", &cfg);
	ck_assert_int_eq(cfg.services[0].nice, -20);
	config_free(&cfg);
	load_with("nice", "19", &cfg);
	ck_assert_int_eq(cfg.services[0].nice, 19);
	config_free(&cfg);
	load_with("nice", "0", &cfg);
	ck_assert(cfg.services[0].nice_set);
	config_free(&cfg);
	load_with("rlimit_nofile", "3", &cfg);
	config_free(&cfg);
	load_with("rlimit_nproc", "1", &cfg);
	config_free(&cfg);
	load_with("rlimit_as", "1M", &cfg);
	config_free(&cfg);
	load_with("rlimit_as", "unlimited", &cfg);
	ck_assert_uint_eq(cfg.services[0].rlimit[SERVICE_RLIMIT_AS].value,
	    RLIM_INFINITY);
	config_free(&cfg);
	load_with("rlimit_core", "128T", &cfg);
	config_free(&cfg);
	load_with("rlimit_core", "4096", &cfg);
	ck_assert_uint_eq(cfg.services[0].rlimit[SERVICE_RLIMIT_CORE].value,
	    4096);
	config_free(&cfg);
	load_with("rlimit_cpu", "24h", &cfg);
	ck_assert_uint_eq(cfg.services[0].rlimit[SERVICE_RLIMIT_CPU].value,
	    86400);
	config_free(&cfg);
	load_with("rlimit_cpu", "unlimited", &cfg);
	config_free(&cfg);
}
END_TEST

START_TEST(config_defaults_supply_the_privilege_and_world_keys)
{
	struct config cfg;
	const struct service *s;

	load_ok("[defaults]\n"
	        "user = nobody\n"
	        "group = daemon\n"
	        "supplementary_groups = adm\n"
	        "env = A=1\n" /* 5 */
	        "env = B=2\n"
	        "umask = 077\n"
	        "rlimit_core = 0\n"
	        "exec = echo\n"
	        "[inherits]\n" /* 10 */
	        "port = 7\n"
	        "[own]\n"
	        "port = 8\n"
	        "user = root\n"
	        "env = C=3\n" /* 15 */
	        "supplementary_groups = none\n",
	    &cfg);
	s = &cfg.services[0];
	ck_assert_uint_eq(s->uid, 65534);
	ck_assert_uint_eq(s->gid, 1);
	ck_assert_uint_eq(s->ngroups, 1);
	ck_assert_uint_eq(s->groups[0], 4);
	ck_assert_uint_eq(s->nenv, 2);
	ck_assert_str_eq(s->env[1], "B=2");
	ck_assert_uint_eq(s->umask, 077);
	ck_assert_int_eq(s->key_line[KEY_USER], 2);

	/* Own keys win; its env replaces the default list. */
	s = &cfg.services[1];
	ck_assert_uint_eq(s->uid, 0);
	ck_assert_uint_eq(s->gid, 1);
	ck_assert_uint_eq(s->ngroups, 0);
	ck_assert_uint_eq(s->nenv, 1);
	ck_assert_str_eq(s->env[0], "C=3");
	ck_assert_int_eq(s->key_line[KEY_USER], 14);
	config_free(&cfg);
}
END_TEST

START_TEST(config_rejects_a_bad_user)
{
	expect_bad_value("user", "no-such-user-here",
	    "no such user \"no-such-user-here\"");
	expect_bad_value("user", "4294967295",
	    "\"4294967295\" is out of range (0-4294967294)");
	/* No passwd entry, so no primary group to default to. */
	expect_bad_value("user", "4242",
	    "uid 4242 has no passwd entry, so no primary group: set group as "
	    "well");
}
END_TEST

START_TEST(config_rejects_a_bad_group)
{
	expect_error("[svc]\nport = 7\nuser = nobody\ngroup = no-such-group\n"
	             "exec = echo\n",
	    4, "svc", "group", "no such group \"no-such-group\"");
	expect_error("[svc]\nport = 7\nuser = nobody\ngroup = 4294967295\n"
	             "exec = echo\n",
	    4, "svc", "group", "is out of range (0-4294967294)");
	expect_bad_value("group", "daemon",
	    "needs user (the handler keeps superd's ids without it)");
}
END_TEST

/* "[svc] supplementary_groups = list" for nobody, on line 4. */
static void
expect_bad_groups(const char *list, const char *reason)
{
	char text[256];

	snprintf(text, sizeof(text),
	    "[svc]\nport = 7\nuser = nobody\nsupplementary_groups = %s\n"
	    "exec = echo\n",
	    list);
	expect_error(text, 4, "svc", "supplementary_groups", reason);
}

START_TEST(config_rejects_bad_supplementary_groups)
{
	expect_bad_groups("adm, no-such-group",
	    "no such group \"no-such-group\"");
	expect_bad_groups("adm 4", "\"4\" is listed twice");
	expect_bad_groups(",", "no group given (user, none, or a list)");
	expect_bad_value("supplementary_groups", "none",
	    "needs user (the handler keeps superd's ids without it)");
}
END_TEST

START_TEST(config_rejects_a_bad_env)
{
	expect_bad_value("env", "NOEQUALS", "\"NOEQUALS\" is not NAME=value");
	expect_bad_value("env", "1X=a", "\"1X\" is not a variable name");
	expect_bad_value("env", "A B=c", "\"A B\" is not a variable name");
	expect_bad_value("env", "A = b", "no blanks around '='");
	expect_bad_value("env", "=x", "\"\" is not a variable name");
	expect_bad_value("env", "PROTO=UDP",
	    "\"PROTO\" is set by superd for each connection (PROTO, TCP*, "
	    "UDP*, UNIX*, PROXY*, TLS_*, LISTEN_*, SUPERD_*, REQUEST_URI, "
	    "QUERY_STRING, HTTP_ORIGIN and HTTP_USER_AGENT are reserved)");
	expect_bad_value("env", "REQUEST_URI=/x",
	    "\"REQUEST_URI\" is set by superd");
	expect_bad_value("env", "HTTP_ORIGIN=x",
	    "\"HTTP_ORIGIN\" is set by superd");
	expect_bad_value("pass_env", "QUERY_STRING",
	    "\"QUERY_STRING\" is set by superd");
	expect_bad_value("env", "PROXYREMOTEIP=10.0.0.1",
	    "\"PROXYREMOTEIP\" is set by superd");
	expect_bad_value("env", "PROXY_UNIQUE_ID=x",
	    "\"PROXY_UNIQUE_ID\" is set by superd");
	expect_bad_value("env", "UDPLOCALIP=x",
	    "\"UDPLOCALIP\" is set by superd");
	expect_bad_value("env", "UNIXREMOTEEUID=0",
	    "\"UNIXREMOTEEUID\" is set by superd");
	expect_bad_value("env", "LISTEN_FDS=1",
	    "\"LISTEN_FDS\" is set by superd");
	expect_bad_value("env", "TCPREMOTEIP=10.0.0.1",
	    "\"TCPREMOTEIP\" is set by superd");
	expect_bad_value("env", "SUPERD_SERVICE=x",
	    "\"SUPERD_SERVICE\" is set by superd");
	expect_error("[svc]\nport = 7\nenv = A=1\nexec = echo\nenv = A=2\n", 5,
	    "svc", "env", "\"A\" is set twice");
}
END_TEST

/* The relay's command line, as one string, for comparing. */
static void
relay_words(const struct service *svc, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; svc->relay_argv[i] != NULL && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    i > 0 ? " " : "", svc->relay_argv[i]);
}

START_TEST(config_takes_the_websocket_keys_and_builds_the_relay_line)
{
	char text[PATH_MAX + 512], dir[PATH_MAX], words[2 * PATH_MAX];
	char want[2 * PATH_MAX];
	struct config cfg;
	const struct service *svc;

	temp_dir(dir, sizeof(dir));
	snprintf(text, sizeof(text),
	    "[ws]\nport = 7\nexec = chat --room lobby\n"
	    "protocol = websocket\nwebsocket_binary = yes\n"
	    "websocket_origin = https://a.example http://b.example:8080\n"
	    "websocket_origin = null\nwebsocket_path = /chat\n"
	    "websocket_static = %s\nwebsocket_max_message = 1M\n"
	    "[raw]\nport = 8\nexec = echo\n",
	    dir);
	load_ok(text, &cfg);
	svc = &cfg.services[0];
	ck_assert_int_eq(svc->protocol, PROTOCOL_WEBSOCKET);
	ck_assert_uint_eq(svc->nws_origins, 3);
	ck_assert_uint_eq(svc->ws_max_message, 1024 * 1024);
	assert_shipped(svc->relay_path, "superd-ws");
	relay_words(svc, words, sizeof(words));
	snprintf(want, sizeof(want),
	    "superd-ws -b -m 1048576 -p /chat -s %s -o https://a.example -o "
	    "http://b.example:8080 -o null -- %s chat --room lobby",
	    svc->ws_static_dir, svc->path);
	ck_assert_str_eq(words, want);
	ck_assert_int_eq(cfg.services[1].protocol, PROTOCOL_RAW);
	ck_assert_ptr_null(cfg.services[1].relay_argv);
	ck_assert_uint_eq(cfg.services[1].ws_max_message, 64 * 1024);
	config_free(&cfg);
}
END_TEST

START_TEST(config_finds_the_shipped_chat_page_by_name)
{
	struct config cfg;
	const char *end;

	load_ok("[ws]\nport = 7\nexec = chat\nprotocol = websocket\n"
	        "websocket_static = chat\n",
	    &cfg);
	end = strstr(cfg.services[0].ws_static_dir, "/share/superd/chat");
	ck_assert_msg(end != NULL && end[strlen("/share/superd/chat")] == '\0',
	    "%s", cfg.services[0].ws_static_dir);
	config_free(&cfg);
}
END_TEST

START_TEST(config_rejects_bad_websocket_keys)
{
	expect_bad_value("protocol", "http",
	    "\"http\" is not raw or websocket");
	expect_bad_value("websocket_path", "chat", "does not start with /");
	expect_bad_value("websocket_path", "/a?b", "is not a URL path");
	expect_bad_value("websocket_origin", "example.com",
	    "\"example.com\" is not an origin");
	expect_bad_value("websocket_origin", "https://a.example/path",
	    "is not an origin");
	expect_bad_value("websocket_origin", "", "no origin given");
	expect_bad_value("websocket_max_message", "100",
	    "is out of range (125-16M)");
	expect_bad_value("websocket_max_message", "lots", "is not a size");
	expect_bad_value("websocket_static", "/nonexistent-superd-dir",
	    "No such file or directory");
	expect_bad_value("websocket_static", "a/b",
	    "neither an absolute path nor the name of a shipped page");
	expect_error("[svc]\nport = 7\nexec = echo\nwebsocket_binary = yes\n",
	    4, "svc", "websocket_binary", "needs protocol = websocket");
	expect_error("[svc]\nport = 7\nexec = echo\nprotocol = websocket\n"
	             "wait = yes\n",
	    4, "svc", "protocol",
	    "websocket needs socket = stream and wait = no");
	expect_error("[svc]\nport = 7\nexec = echo\nprotocol = websocket\n"
	             "stderr = client\n",
	    5, "svc", "stderr", "the connection carries frames");
	expect_error("[svc]\nport = 7\nexec = echo\nprotocol = websocket\n"
	             "websocket_static = nosuchpage\n",
	    5, "svc", "websocket_static",
	    "\"nosuchpage\" is not a shipped page directory");
}
END_TEST

START_TEST(config_rejects_more_than_64_env_entries)
{
	char text[4096];
	size_t len;
	int i;

	len = (size_t)snprintf(text, sizeof(text),
	    "[svc]\nport = 7\nexec = echo\npass_env = HOME\n");
	for (i = 0; i < SERVICE_ENV_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "env = V%d=x\n", i);
	/* Line 4 + 63 env lines fill it; the 64th env is line 68. */
	expect_error(text, 68, "svc", "env",
	    "more than 64 env and pass_env entries");
}
END_TEST

START_TEST(config_rejects_a_bad_pass_env)
{
	expect_bad_value("pass_env", "TCPLOCALIP",
	    "\"TCPLOCALIP\" is set by superd");
	expect_bad_value("pass_env", "HOME 9LIVES",
	    "\"9LIVES\" is not a variable name");
	expect_bad_value("pass_env", "HOME,HOME", "\"HOME\" is listed twice");
	expect_bad_value("pass_env", ",", "no variable name given");
	expect_error("[svc]\nport = 7\nenv = HOME=/x\nexec = echo\n"
	             "pass_env = LANG HOME\n",
	    5, "svc", "pass_env", "\"HOME\" is also set by env");
}
END_TEST

START_TEST(config_rejects_a_bad_workdir)
{
	char text[128];

	expect_bad_value("workdir", "relative/dir",
	    "\"relative/dir\" is not an absolute path");
	expect_bad_value("workdir", "/nonexistent/superd-dir",
	    "\"/nonexistent/superd-dir\": No such file or directory");
	snprintf(text, sizeof(text), "%s", harness_file("plain", "x\n"));
	expect_bad_value("workdir", text, "is not a directory");
}
END_TEST

START_TEST(config_rejects_a_bad_umask)
{
	expect_bad_value("umask", "8",
	    "\"8\" is not an octal mode such as 022");
	expect_bad_value("umask", "0o22", "is not an octal mode");
	expect_bad_value("umask", "-022", "is not an octal mode");
	expect_bad_value("umask", "1000", "\"1000\" is out of range (000-777)");
}
END_TEST

START_TEST(config_rejects_a_bad_nice)
{
	expect_bad_value("nice", "20", "\"20\" is out of range (-20-19)");
	expect_bad_value("nice", "-21", "\"-21\" is out of range (-20-19)");
	expect_bad_value("nice", "1.5", "\"1.5\" is not a whole number");
	expect_bad_value("nice", "--1", "is not a whole number");
}
END_TEST

START_TEST(config_rejects_bad_rlimits)
{
	expect_bad_value("rlimit_nofile", "2", "\"2\" is out of range (3-");
	expect_bad_value("rlimit_nofile", "unlimited",
	    "cannot be unlimited on Linux: at most fs.nr_open");
	expect_bad_value("rlimit_nofile", "4294967296000", "is out of range");
	expect_bad_value("rlimit_nofile", "1K", "is not a whole number");
	expect_bad_value("rlimit_nproc", "0",
	    "\"0\" is out of range (1-4194304)");
	expect_bad_value("rlimit_nproc", "lots",
	    "\"lots\" is not a whole number or unlimited");
	expect_bad_value("rlimit_as", "1K", "\"1K\" is out of range (1M-128T)");
	expect_bad_value("rlimit_as", "129T", "is out of range (1M-128T)");
	expect_bad_value("rlimit_as", "5X",
	    "\"5X\" is not a size (a number and K, M, G or T, e.g. 512M) or "
	    "unlimited");
	expect_bad_value("rlimit_core", "-1", "is not a size");
	expect_bad_value("rlimit_core", "1KB", "is not a size");
	expect_bad_value("rlimit_cpu", "1500ms",
	    "\"1500ms\" is not a whole number of seconds (1s-24h)");
	expect_bad_value("rlimit_cpu", "0", "\"0\" is out of range (1s-24h)");
	expect_bad_value("rlimit_cpu", "25h",
	    "\"25h\" is out of range (1s-24h)");
	expect_bad_value("rlimit_cpu", "10",
	    "\"10\" is not a duration in seconds (e.g. 30s, 5m) or unlimited");
}
END_TEST

START_TEST(config_reports_a_bad_privilege_key_in_defaults_at_its_line)
{
	expect_error("[defaults]\n"
	             "exec = echo\n"
	             "user = no-such-user-here\n"
	             "[svc]\n"
	             "port = 7\n",
	    3, "defaults", "user", "no such user");
	/* Found only once the service is complete: still the defaults
	 * line, in the service's name. */
	expect_error("[defaults]\n"
	             "exec = echo\n"
	             "group = daemon\n"
	             "[svc]\n"
	             "port = 7\n",
	    3, "svc", "group", "needs user");
}
END_TEST

/* ---- socket kinds: socket, wait, listen_fds, path and its keys ---- */

START_TEST(config_reads_the_socket_kind_keys_and_their_defaults)
{
	struct config cfg;
	const struct service *svc;
	char dir[256], text[1024];
	const struct sockaddr_un *sun;

	load_ok("[tcp]\nport = 7\nexec = echo\n"
	        "[udp]\nsocket = dgram\nport = 7\nexec = echo\n"
	        "[tw]\nwait = yes\nlisten_fds = yes\nport = 8\nexec = echo\n",
	    &cfg);
	svc = &cfg.services[0];
	ck_assert_int_eq(svc->sock_type, SOCK_STREAM);
	ck_assert(!svc->wait && !svc->listen_fds && !svc->unix_socket);
	ck_assert_uint_eq(svc->socket_mode, 0666);
	ck_assert_int_eq(svc->on_rate, OVERLOAD_REJECT);
	/* dgram means wait; a wait service defers at its rate. */
	svc = &cfg.services[1];
	ck_assert_int_eq(svc->sock_type, SOCK_DGRAM);
	ck_assert(svc->wait);
	ck_assert_int_eq(svc->on_rate, OVERLOAD_DEFER);
	svc = &cfg.services[2];
	ck_assert(svc->wait && svc->listen_fds);
	config_free(&cfg);
	temp_dir(dir, sizeof(dir));
	/* A unix service ignores [defaults]' bind: its path is its address. */
	snprintf(text, sizeof(text),
	    "[defaults]\nbind = 127.0.0.1\n"
	    "[x]\npath = %s/x.sock\nsocket_mode = 0660\nsocket_user = 0\n"
	    "socket_group = 0\nallow_users = root, 65534\n"
	    "allow_groups = 0\nexec = echo\n",
	    dir);
	load_ok(text, &cfg);
	svc = &cfg.services[0];
	ck_assert(svc->unix_socket);
	ck_assert_uint_eq(svc->nbinds, 1);
	sun = (const struct sockaddr_un *)(const void *)&svc->binds[0].ss;
	ck_assert_int_eq(sun->sun_family, AF_UNIX);
	ck_assert_str_eq(sun->sun_path + strlen(dir), "/x.sock");
	ck_assert_uint_eq(svc->socket_mode, 0660);
	ck_assert(svc->socket_uid_set && svc->socket_uid == 0);
	ck_assert(svc->socket_gid_set && svc->socket_gid == 0);
	ck_assert_uint_eq(svc->nallow_uids, 2);
	ck_assert_uint_eq(svc->allow_uids[1], 65534);
	ck_assert_uint_eq(svc->nallow_gids, 1);
	config_free(&cfg);
}
END_TEST

START_TEST(config_lets_tcp_and_udp_share_a_port_but_not_two_paths)
{
	struct config cfg;
	char dir[256], text[1024];

	load_ok("[tcp]\nport = 7\nexec = echo\n"
	        "[udp]\nsocket = dgram\nport = 7\nexec = echo\n",
	    &cfg);
	config_free(&cfg);
	expect_error("[a]\nsocket = dgram\nport = 7\nexec = echo\n"
	             "[b]\nsocket = dgram\nport = 7\nexec = echo\n",
	    7, "b", "port", "0.0.0.0:7 is also used by [a] (line 3)");
	temp_dir(dir, sizeof(dir));
	snprintf(text, sizeof(text),
	    "[a]\npath = %s/s\nexec = echo\n"
	    "[b]\npath = %s/s\nsocket = dgram\nexec = echo\n",
	    dir, dir);
	expect_error(text, 5, "b", "path", "/s is also used by [a] (line 2)");
}
END_TEST

START_TEST(config_rejects_a_dgram_service_with_wait_no_as_xinetd_does)
{
	expect_error("[u]\nsocket = dgram\nwait = no\nport = 7\nexec = echo\n",
	    3, "u", "wait",
	    "socket = dgram needs wait = yes: datagrams have no connections "
	    "to hand out (as in xinetd)");
	expect_bad_value("socket", "seqpacket",
	    "\"seqpacket\" is not stream or dgram");
	expect_bad_value("wait", "maybe", "\"maybe\" is not yes or no");
	expect_error("[t]\nport = 7\nlisten_fds = yes\nexec = echo\n", 3, "t",
	    "listen_fds",
	    "needs wait = yes: the handler gets the listening socket");
	expect_error("[t]\nport = 7\nwait = yes\nlisten_fds = yes\n"
	             "stderr = client\nexec = echo\n",
	    5, "t", "stderr", "\"client\" with listen_fds = yes");
}
END_TEST

START_TEST(config_rejects_keys_a_wait_service_has_no_client_for)
{
	expect_error("[u]\nsocket = dgram\nport = 7\nallow = 10.0.0.0/8\n"
	             "exec = echo\n",
	    4, "u", "allow",
	    "needs wait = no: a wait = yes service accepts no connections, "
	    "so superd has no client to check");
	/* From [defaults] too: an access list must not silently stop
	 * applying. */
	expect_error("[defaults]\nmax_per_source = 2\n"
	             "[u]\nsocket = dgram\nport = 7\nexec = echo\n",
	    2, "u", "max_per_source", "needs wait = no");
	expect_error("[t]\nwait = yes\nport = 7\nreject_message = x\n"
	             "exec = echo\n",
	    4, "t", "reject_message", "needs wait = no");
	expect_error("[t]\nwait = yes\nport = 7\non_max = reject\nexec = "
	             "echo\n",
	    4, "t", "on_max",
	    "a wait = yes service can only defer: there is no connection to "
	    "refuse");
	expect_error("[t]\nsocket = dgram\nport = 7\non_rate = reject\n"
	             "exec = echo\n",
	    4, "t", "on_rate", "can only defer");
}
END_TEST

START_TEST(config_reads_the_proxy_keys_and_their_defaults)
{
	struct config cfg;
	const struct service *svc;

	load_ok("[defaults]\nproxy_from = 10.0.0.0/8, 192.0.2.1\n"
	        "[p]\nport = 7\nexec = echo\nproxy_protocol = any\n"
	        "proxy_from = 2001:db8::/32\nproxy_timeout = 250ms\n"
	        "reuse_port = yes\n"
	        "[q]\nport = 8\nexec = echo\nproxy_protocol = v2\n"
	        "[r]\nport = 9\nexec = echo\n",
	    &cfg);
	svc = &cfg.services[0];
	ck_assert_uint_eq(svc->proxy_versions, 3);
	ck_assert_uint_eq(svc->nproxy_from, 1);
	ck_assert_uint_eq(svc->proxy_timeout_ms, 250);
	ck_assert(svc->reuse_port);
	svc = &cfg.services[1];
	ck_assert_uint_eq(svc->proxy_versions, 2);
	ck_assert_uint_eq(svc->nproxy_from, 2);
	ck_assert_uint_eq(svc->proxy_timeout_ms, 3000);
	ck_assert(!svc->reuse_port);
	/* proxy_from in [defaults] does nothing without proxy_protocol. */
	ck_assert_uint_eq(cfg.services[2].proxy_versions, 0);
	config_free(&cfg);
}
END_TEST

START_TEST(config_rejects_bad_proxy_keys)
{
	expect_bad_value("proxy_protocol", "yes",
	    "\"yes\" is not off, v1, v2 or any");
	expect_bad_value("proxy_from", "10.0.0.1/8", "10.0.0.1/8");
	expect_bad_value("proxy_timeout", "0", "is not a duration");
	expect_bad_value("proxy_timeout", "2m", "out of range (1ms-60s)");
	expect_bad_value("reuse_port", "maybe", "is not yes or no");
	/* A header believed from anyone: every client picks its address. */
	expect_error("[p]\nport = 7\nproxy_protocol = v1\nexec = echo\n", 3,
	    "p", "proxy_protocol", "needs proxy_from");
	expect_error("[p]\nport = 7\nwait = yes\nproxy_protocol = v1\n"
	             "proxy_from = 127.0.0.1\nexec = echo\n",
	    4, "p", "proxy_protocol", "needs wait = no");
	expect_error("[p]\nport = 7\nsocket = dgram\nproxy_protocol = v2\n"
	             "proxy_from = 127.0.0.1\nexec = echo\n",
	    4, "p", "proxy_protocol", "needs socket = stream and wait = no");
	expect_error("[p]\npath = /run/p.sock\nproxy_protocol = v2\n"
	             "proxy_from = 127.0.0.1\nexec = echo\n",
	    3, "p", "proxy_protocol", "not for a unix-domain service");
	expect_error("[p]\npath = /run/p.sock\nreuse_port = yes\n"
	             "exec = echo\n",
	    3, "p", "reuse_port", "not for a unix-domain service");
}
END_TEST

/* ---- TLS ---- */

/* A self-signed certificate and its key, made by `openssl req` as name.crt
 * and name.key in the test's private directory (the key mode 0600). */
static void
tls_pair(const char *name, char *crt, char *key, size_t len)
{
	char dir[200], cmd[1024];

	temp_dir(dir, sizeof(dir));
	snprintf(crt, len, "%s/%s.crt", dir, name);
	snprintf(key, len, "%s/%s.key", dir, name);
	snprintf(cmd, sizeof(cmd),
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -days 2 -subj /CN=%s -keyout %s -out %s 2>/dev/null",
	    name, key, crt);
	ck_assert_msg(system(cmd) == 0, "openssl req failed: %s", cmd);
	ck_assert_int_eq(chmod(key, 0600), 0);
}

START_TEST(config_reads_the_tls_keys_and_their_defaults)
{
	char crt[256], key[256], crt2[256], key2[256];
	char text[4096];
	struct config cfg;
	const struct service *svc;

	tls_pair("a", crt, key, sizeof(crt));
	tls_pair("b", crt2, key2, sizeof(crt2));
	snprintf(text, sizeof(text),
	    "[defaults]\ntls_min_version = 1.3\n"
	    "[t]\nport = 7\nexec = echo\ntls_cert = %s\ntls_key = %s\n"
	    "tls_cert = %s\ntls_key = %s\ntls_client_ca = %s\n"
	    "tls_handshake_timeout = 250ms\ntls_ciphers = HIGH:!aNULL\n"
	    "tls_ciphersuites = TLS_AES_128_GCM_SHA256\n"
	    "[u]\nport = 8\nexec = echo\ntls_cert = %s\ntls_key = %s\n"
	    "tls_min_version = 1.2\n"
	    "[plain]\nport = 9\nexec = echo\n",
	    crt, key, crt2, key2, crt, crt, key);
	load_ok(text, &cfg);
	svc = &cfg.services[0];
	ck_assert_uint_eq(svc->ntls_certs, 2);
	ck_assert_uint_eq(svc->ntls_keys, 2);
	ck_assert_str_eq(svc->tls_certs[1], crt2);
	ck_assert_int_eq(svc->tls_cert_line[1], 8);
	ck_assert_int_eq(svc->tls_key_line[1], 9);
	ck_assert_str_eq(svc->tls_client_ca, crt);
	ck_assert_int_eq(svc->tls_min_version, 3);
	ck_assert_uint_eq(svc->tls_handshake_timeout_ms, 250);
	ck_assert_str_eq(svc->tls_ciphers, "HIGH:!aNULL");
	ck_assert_str_eq(svc->tls_ciphersuites, "TLS_AES_128_GCM_SHA256");
	svc = &cfg.services[1];
	ck_assert_int_eq(svc->tls_min_version, 2);
	ck_assert_uint_eq(svc->tls_handshake_timeout_ms, 10000);
	ck_assert_ptr_null(svc->tls_client_ca);
	ck_assert_ptr_null(svc->tls_ciphers);
	ck_assert_uint_eq(cfg.services[2].ntls_certs, 0);
	ck_assert_int_eq(tlsctx_check(&cfg, text, sizeof(text)), 0);
	config_free(&cfg);
}
END_TEST

START_TEST(config_rejects_bad_tls_keys)
{
	char crt[256], key[256], text[2048];

	tls_pair("c", crt, key, sizeof(crt));
	expect_bad_value("tls_cert", "relative.pem",
	    "\"relative.pem\" is not an absolute path");
	expect_bad_value("tls_key", "/nonexistent/k.pem",
	    "\"/nonexistent/k.pem\": No such file or directory");
	expect_bad_value("tls_client_ca", "/", "\"/\" is not a regular file");
	expect_bad_value("tls_min_version", "1.1", "\"1.1\" is not 1.2 or 1.3");
	expect_bad_value("tls_handshake_timeout", "0", "is not a duration");
	expect_bad_value("tls_handshake_timeout", "6m",
	    "out of range (1ms-5m)");
	expect_bad_value("tls_ciphers", "", "empty");
	expect_bad_value("env", "TLS_VERSION=x", "TLS_*, ");
	snprintf(text, sizeof(text),
	    "[t]\nport = 7\nexec = echo\ntls_cert = %s\n", crt);
	expect_error(text, 4, "t", "tls_cert",
	    "1 tls_cert and 0 tls_key lines");
	snprintf(text, sizeof(text),
	    "[t]\nport = 7\nexec = echo\nwait = yes\ntls_cert = %s\n"
	    "tls_key = %s\n",
	    crt, key);
	expect_error(text, 5, "t", "tls_cert", "needs a TCP service");
	snprintf(text, sizeof(text),
	    "[t]\npath = /run/t.sock\nexec = echo\ntls_cert = %s\n"
	    "tls_key = %s\n",
	    crt, key);
	expect_error(text, 4, "t", "tls_cert", "needs a TCP service");
}
END_TEST

/* Loads text and expects tlsctx_check to fail with line and what. */
static void
expect_tls_error(const char *text, int line, const char *key, const char *what)
{
	char err[CONFIG_ERR_MAX], want[PATH_MAX + 64];
	struct config cfg;

	load_ok(text, &cfg);
	ck_assert_int_eq(tlsctx_check(&cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:%d: [t] %s: ", cfg.file, line, key);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0 &&
	        strstr(err, what) != NULL,
	    "error \"%s\" is not \"%s...%s\"", err, want, what);
	config_free(&cfg);
}

START_TEST(tls_contexts_name_the_line_of_a_bad_file)
{
	char crt[256], key[256], crt2[256], key2[256];
	char text[4096];
	const char *junk = harness_file("junk.pem", "not a pem file\n");

	tls_pair("d", crt, key, sizeof(crt));
	tls_pair("e", crt2, key2, sizeof(crt2));
	snprintf(text, sizeof(text),
	    "[t]\nport = 7\nexec = echo\ntls_cert = %s\ntls_key = %s\n"
	    "tls_cert = %s\ntls_key = %s\n",
	    crt, key, junk, key2);
	expect_tls_error(text, 6, "tls_cert", "not a PEM certificate");
	snprintf(text, sizeof(text),
	    "[t]\nport = 7\nexec = echo\ntls_cert = %s\ntls_key = %s\n"
	    "tls_cert = %s\ntls_key = %s\n",
	    crt, key, crt2, key);
	expect_tls_error(text, 7, "tls_key", "not the key of");
	snprintf(text, sizeof(text),
	    "[t]\nport = 7\nexec = echo\ntls_cert = %s\ntls_key = %s\n"
	    "tls_ciphers = NOSUCHCIPHER\n",
	    crt, key);
	expect_tls_error(text, 6, "tls_ciphers", "no cipher OpenSSL knows");
	snprintf(text, sizeof(text),
	    "[t]\nport = 7\nexec = echo\ntls_cert = %s\ntls_key = %s\n"
	    "tls_client_ca = %s\n",
	    crt, key, junk);
	expect_tls_error(text, 6, "tls_client_ca", "no certificate");
}
END_TEST

START_TEST(config_rejects_a_bad_path_and_keys_that_need_one)
{
	char text[512], longer[200];

	expect_bad_value("path", "run/x.sock",
	    "\"run/x.sock\" is not an absolute path");
	expect_error("[x]\npath = /run/a\tb\nexec = echo\n", 2, "x", "path",
	    "contains a blank or a control character");
	memset(longer, 'a', 120);
	longer[0] = '/';
	longer[120] = '\0';
	snprintf(text, sizeof(text), "[x]\npath = %s\nexec = echo\n", longer);
	expect_error(text, 2, "x", "path",
	    "is longer than a unix socket's 107 bytes");
	expect_error("[x]\npath = /run/x.sock\nport = 7\nexec = echo\n", 3, "x",
	    "port",
	    "not for a unix-domain service (path): it has no address "
	    "or port");
	expect_error("[x]\npath = /run/x.sock\nallow = 127.0.0.1\nexec = "
	             "echo\n",
	    3, "x", "allow",
	    "(allow_users and allow_groups restrict its clients)");
	expect_error("[x]\npath = /run/x.sock\nsource_prefix_v4 = 24\n"
	             "exec = echo\n",
	    3, "x", "source_prefix_v4", "not for a unix-domain service");
	expect_error("[t]\nport = 7\nallow_users = root\nexec = echo\n", 3, "t",
	    "allow_users",
	    "needs path: only a unix-domain socket has a file and clients "
	    "with uids");
	expect_error("[t]\nport = 7\nsocket_mode = 0600\nexec = echo\n", 3, "t",
	    "socket_mode", "needs path");
	expect_error("[x]\npath = /run/x.sock\nwait = yes\nallow_groups = 0\n"
	             "exec = echo\n",
	    4, "x", "allow_groups", "needs wait = no");
	expect_error("[x]\npath = /run/x.sock\nsocket_mode = 999\nexec = "
	             "echo\n",
	    3, "x", "socket_mode", "\"999\" is not an octal mode");
	expect_error("[x]\npath = /run/x.sock\nallow_users = no-such-user\n"
	             "exec = echo\n",
	    3, "x", "allow_users", "no such user \"no-such-user\"");
	expect_error("[x]\npath = /run/x.sock\nallow_users = 5, 5\nexec = "
	             "echo\n",
	    3, "x", "allow_users", "\"5\" is listed twice");
	expect_error("[x]\npath = /run/x.sock\nsocket_group = no-such-group\n"
	             "exec = echo\n",
	    3, "x", "socket_group", "no such group \"no-such-group\"");
	expect_error("[defaults]\npath = /run/x.sock\n[x]\nexec = echo\n", 2,
	    "defaults", "path", "cannot be set in [defaults]");
	expect_error("[x]\nexec = echo\n", 1, "x", NULL,
	    "missing required key 'port' (or 'path', for a unix-domain "
	    "socket)");
}
END_TEST

/* ---- config_check_privileges ---- */

/* Loads the file at path and runs config_check_privileges(euid, egid) on
 * it; returns its result with the message in err (CONFIG_ERR_MAX bytes). */
static int
check_file_privileges(const char *path, uid_t euid, gid_t egid, char *err)
{
	char load_err[CONFIG_ERR_MAX];
	struct config cfg;
	int rc;

	ck_assert_msg(config_load(path, handler_dirs(), &cfg, load_err,
	                  sizeof(load_err)) == 0,
	    "%s", load_err);
	err[0] = '\0';
	rc = config_check_privileges(&cfg, euid, egid, err, CONFIG_ERR_MAX);
	config_free(&cfg);
	return rc;
}

/* The same with text written to a fresh file. */
static int
check_privileges(const char *text, uid_t euid, gid_t egid, char *err)
{
	return check_file_privileges(harness_file(CONFIG_NAME, text), euid,
	    egid, err);
}

/* Expects the check of path, as root, to fail with exactly path + rest. */
static void
expect_privilege_error_file(const char *path, const char *rest)
{
	char err[CONFIG_ERR_MAX], want[CONFIG_ERR_MAX];

	snprintf(want, sizeof(want), "%s%s", path, rest);
	ck_assert_msg(check_file_privileges(path, 0, 0, err) == -1,
	    "no error, expected %s", want);
	ck_assert_str_eq(err, want);
}

/* Expects the check of text to fail with exactly "<its path>" + rest. */
static void
expect_privilege_error(const char *text, uid_t euid, gid_t egid,
    const char *rest)
{
	char err[CONFIG_ERR_MAX], want[CONFIG_ERR_MAX];

	ck_assert_msg(check_privileges(text, euid, egid, err) == -1,
	    "no error, expected %s", rest);
	snprintf(want, sizeof(want), "%s%s", harness_file(CONFIG_NAME, text),
	    rest);
	ck_assert_str_eq(err, want);
}

/* Files must belong to root for the euid 0 checks to pass. */
#define NOT_ROOT "not root: the files must belong to root, and be chowned"

START_TEST(privileges_as_root_refuse_a_tls_key_others_can_read)
{
	char crt[256], key[256], text[1024], err[CONFIG_ERR_MAX];

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	tls_pair("f", crt, key, sizeof(crt));
	snprintf(text, sizeof(text),
	    "[t]\nport = 7\nexec = echo\nuser = root\ntls_cert = %s\n"
	    "tls_key = %s\n",
	    crt, key);
	ck_assert_msg(check_privileges(text, 0, 0, err) == 0, "%s", err);
	ck_assert_int_eq(chmod(key, 0644), 0);
	ck_assert_int_eq(check_privileges(text, 0, 0, err), -1);
	ck_assert_msg(strstr(err, ":6: [t] tls_key: superd runs as root") !=
	            NULL &&
	        strstr(err, "readable by every user (mode 0644; chmod o-r)"),
	    "%s", err);
	ck_assert_int_eq(chmod(key, 0640), 0);
	ck_assert_int_eq(chown(key, 0, 1), 0);
	ck_assert_int_eq(check_privileges(text, 0, 0, err), -1);
	ck_assert_msg(strstr(err, "readable by group 1") != NULL, "%s", err);
	/* A certificate anyone could replace would let its owner in. */
	ck_assert_int_eq(chmod(key, 0600), 0);
	ck_assert_int_eq(chmod(crt, 0666), 0);
	ck_assert_int_eq(check_privileges(text, 0, 0, err), -1);
	ck_assert_msg(strstr(err, "tls_cert: superd runs as root") != NULL &&
	        strstr(err, "writable by every user"),
	    "%s", err);
}
END_TEST

START_TEST(privileges_as_root_refuse_a_socket_in_a_directory_others_can_write)
{
	char text[1024], dir[256], unsafe[300], want[2048];

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	temp_dir(dir, sizeof(dir));
	snprintf(unsafe, sizeof(unsafe), "%s/open", dir);
	ck_assert_int_eq(mkdir(unsafe, 0777), 0);
	ck_assert_int_eq(chmod(unsafe, 01777), 0);
	snprintf(text, sizeof(text),
	    "[x]\npath = %s/x.sock\nuser = nobody\nexec = echo\n", unsafe);
	snprintf(want, sizeof(want),
	    ":2: [x] path: superd runs as root, and the directory %s above "
	    "%s/x.sock is writable by every user (mode 1777; move it where "
	    "only root can write every directory on the way)",
	    unsafe, unsafe);
	expect_privilege_error(text, 0, 0, want);
	/* Its own 0755 directory is fine. */
	ck_assert_int_eq(chmod(unsafe, 0755), 0);
	ck_assert_int_eq(check_privileges(text, 0, 0, want), 0);
}
END_TEST

START_TEST(privileges_as_root_require_user_in_each_enabled_service)
{
	char err[CONFIG_ERR_MAX];

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	expect_privilege_error("[ok]\nport = 7\nuser = root\nexec = echo\n"
	                       "[svc]\nport = 8\nexec = echo\n",
	    0, 0,
	    ":5: [svc]: runs as root without saying so: add user = NAME, or "
	    "user = root");
	ck_assert_int_eq(check_privileges("[svc]\nport = 7\nexec = echo\n"
	                                  "user = root\n",
	                     0, 0, err),
	    0);
	/* A disabled service never runs a handler. */
	ck_assert_int_eq(check_privileges("[svc]\nport = 7\nexec = echo\n"
	                                  "enabled = no\n",
	                     0, 0, err),
	    0);
	/* Nor does superd care who it is when it is not root. */
	ck_assert_msg(check_privileges("[svc]\nport = 7\nexec = echo\n", 1000,
	                  1000, err) == 0,
	    "%s", err);
}
END_TEST

START_TEST(privileges_as_root_refuse_a_config_file_others_can_change)
{
	static const char text[] =
	    "[svc]\nport = 7\nuser = nobody\nexec = echo\n";
	char err[CONFIG_ERR_MAX], path[PATH_MAX];

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	snprintf(path, sizeof(path), "%s", harness_file(CONFIG_NAME, text));
	ck_assert_int_eq(chmod(path, 0666), 0);
	expect_privilege_error_file(path,
	    ": superd runs as root, and the file "
	    "is writable by every user (mode "
	    "0666; chmod o-w)");
	ck_assert_int_eq(chmod(path, 0664), 0);
	ck_assert_int_eq(chown(path, 0, 100), 0);
	expect_privilege_error_file(path,
	    ": superd runs as root, and the file is writable by group 100 "
	    "(mode 0664; chmod g-w, or chgrp root)");
	/* Group root may write it: only root is in it, normally. */
	ck_assert_int_eq(chown(path, 0, 0), 0);
	ck_assert_int_eq(check_file_privileges(path, 0, 0, err), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	expect_privilege_error_file(path,
	    ": superd runs as root, and the file is owned by uid 65534, not "
	    "root (chown root)");
	/* Only root needs to worry. */
	ck_assert_int_eq(check_file_privileges(path, 65534, 65534, err), 0);
}
END_TEST

START_TEST(privileges_as_root_refuse_a_handler_others_can_change)
{
	char text[1024], want[1024];
	const char *script =
	    harness_script("handler.sh", "#!/bin/sh\necho hi\n");
	char path[512];

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	snprintf(path, sizeof(path), "%s", script);
	snprintf(text, sizeof(text),
	    "[svc]\nport = 7\nuser = nobody\nexec = %s --flag\n", path);
	ck_assert_int_eq(chmod(path, 0757), 0);
	snprintf(want, sizeof(want),
	    ":4: [svc] exec: superd runs as root, and %s is writable by every "
	    "user (mode 0757; chmod o-w)",
	    path);
	expect_privilege_error(text, 0, 0, want);
	ck_assert_int_eq(chmod(path, 0775), 0);
	ck_assert_int_eq(chown(path, 0, 100), 0);
	snprintf(want, sizeof(want),
	    ":4: [svc] exec: superd runs as root, and %s is writable by group "
	    "100 (mode 0775; chmod g-w, or chgrp root)",
	    path);
	expect_privilege_error(text, 0, 0, want);
	ck_assert_int_eq(chmod(path, 0755), 0);
	ck_assert_int_eq(chown(path, 65534, 0), 0);
	snprintf(want, sizeof(want),
	    ":4: [svc] exec: superd runs as root, and %s is owned by uid "
	    "65534, not root (chown root)",
	    path);
	expect_privilege_error(text, 0, 0, want);
}
END_TEST

/* A relative path is judged from the current directory, which counts as
 * a directory on the way. */
START_TEST(privileges_as_root_refuse_a_relative_path_under_an_unsafe_directory)
{
	char dir[PATH_MAX], want[3 * PATH_MAX], err[CONFIG_ERR_MAX];
	char cwd[PATH_MAX];
	FILE *fp;

	if (geteuid() != 0) {
		harness_skip(NOT_ROOT);
		return;
	}
	snprintf(dir, sizeof(dir), "%s.d", harness_file(CONFIG_NAME, ""));
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(dir), 0);
	fp = fopen("superd.ini", "we");
	ck_assert_ptr_nonnull(fp);
	fputs("[svc]\nport = 7\nuser = root\nexec = echo\n", fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_msg(check_file_privileges("superd.ini", 0, 0, err) == 0, "%s",
	    err);
	ck_assert_int_eq(chmod(dir, 0777), 0);
	snprintf(want, sizeof(want),
	    ": superd runs as root, and the directory %s above "
	    "%s/superd.ini is writable by every user (mode 0777; move it "
	    "where only root can write every directory on the way)",
	    dir, dir);
	expect_privilege_error_file("superd.ini", want);
	ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

START_TEST(privileges_without_root_refuse_another_user_or_group)
{
	char err[CONFIG_ERR_MAX];

	expect_privilege_error("[svc]\nport = 7\nuser = root\nexec = echo\n",
	    65534, 65534,
	    ":3: [svc] user: superd is not root: cannot run as root");
	expect_privilege_error("[defaults]\nuser = root\n"
	                       "[svc]\nport = 7\nexec = echo\n",
	    65534, 65534,
	    ":2: [svc] user: superd is not root: cannot run as root");
	expect_privilege_error("[svc]\nport = 7\nuser = nobody\n"
	                       "group = daemon\nexec = echo\n",
	    65534, 65534,
	    ":4: [svc] group: superd is not root: cannot run as group 1");
	expect_privilege_error("[svc]\nport = 7\nuser = nobody\n"
	                       "exec = echo\n",
	    65534, 1,
	    ":3: [svc] user: superd is not root: cannot run as group 65534");
	expect_privilege_error("[svc]\nport = 7\nuser = nobody\nexec = echo\n"
	                       "supplementary_groups = none\n",
	    65534, 65534,
	    ":5: [svc] supplementary_groups: superd is not root: cannot set "
	    "supplementary groups");
	expect_privilege_error("[x]\npath = /run/x.sock\nuser = nobody\n"
	                       "socket_user = daemon\nexec = echo\n",
	    65534, 65534,
	    ":4: [x] socket_user: superd is not root: cannot give the socket "
	    "to uid 1");
	/* Its own user, by name, is fine. */
	ck_assert_msg(check_privileges("[svc]\nport = 7\nuser = nobody\n"
	                               "exec = echo\n",
	                  65534, 65534, err) == 0,
	    "%s", err);
}
END_TEST

static Suite *
make_config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_test(tc, config_loads_a_valid_file);
	tcase_add_test(tc, config_binds_every_ipv4_and_ipv6_address_by_default);
	tcase_add_test(tc, config_defaults_shutdown_timeout_to_10s);
	tcase_add_test(tc, config_reads_shutdown_timeout_in_milliseconds);
	tcase_add_test(tc, config_defaults_log_format_to_text_and_reads_kv);
	tcase_add_test(tc, config_leaves_path_null_for_a_disabled_service);
	tcase_add_test(tc,
	    config_services_inherit_bind_exec_and_enabled_from_defaults);
	tcase_add_test(tc, config_allows_port_0);
	tcase_add_test(tc, config_accepts_a_32_character_service_name);
	tcase_add_test(tc, config_accepts_crlf_line_endings_and_a_utf8_bom);
	tcase_add_test(tc, config_free_releases_a_loaded_config_and_zeroes_it);
	suite_add_tcase(s, tc);

	tc = tcase_create("exec");
	tcase_add_test(tc,
	    config_resolves_echo_under_handler_dir_never_bin_echo);
	tcase_add_test(tc,
	    config_rejects_a_shipped_handler_missing_from_handler_dirs);
	tcase_add_test(tc, config_resolves_a_bare_name_through_path);
	tcase_add_test(tc, config_rejects_a_bare_name_not_in_path);
	tcase_add_test(tc, config_searches_sbin_when_superd_has_no_path);
	tcase_add_test(tc,
	    config_says_which_directory_a_relative_exec_is_relative_to);
	tcase_add_test(tc, config_names_the_missing_interpreter_of_a_script);
	tcase_add_test(tc, config_rejects_exec_of_a_missing_program);
	tcase_add_test(tc, config_rejects_exec_of_a_non_executable_file);
	tcase_add_test(tc, config_rejects_exec_of_a_directory);
	tcase_add_test(tc,
	    config_reports_an_inherited_exec_at_the_defaults_line);
	tcase_add_test(tc, config_rejects_an_empty_exec);
	tcase_add_test(tc, config_rejects_an_exec_with_an_unterminated_quote);
	tcase_add_test(tc,
	    config_appends_args_words_to_exec_in_order_with_exec_quoting);
	tcase_add_test(tc,
	    config_appends_args_to_an_exec_inherited_from_defaults);
	tcase_add_test(tc, config_rejects_args_in_defaults);
	tcase_add_test(tc,
	    config_rejects_an_empty_args_or_a_bad_quote_at_its_line);
	tcase_add_test(tc,
	    config_rejects_arguments_a_shipped_handler_does_not_take);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_test(tc, config_rejects_an_unknown_service_key);
	tcase_add_test(tc, config_rejects_an_unknown_supervisor_key);
	tcase_add_test(tc, config_suggests_the_key_a_misspelt_one_is_near);
	tcase_add_test(tc, config_calls_a_section_near_a_reserved_name_unknown);
	tcase_add_test(tc, config_rejects_a_duplicate_key);
	tcase_add_test(tc,
	    config_rejects_a_duplicate_key_even_when_both_are_equal);
	tcase_add_test(tc, config_rejects_a_duplicate_supervisor_key);
	tcase_add_test(tc, config_rejects_a_duplicate_key_in_defaults);
	tcase_add_test(tc, config_rejects_a_missing_port);
	tcase_add_test(tc, config_rejects_a_missing_exec);
	tcase_add_test(tc, config_rejects_port_70000_as_out_of_range);
	tcase_add_test(tc, config_rejects_a_negative_port);
	tcase_add_test(tc, config_rejects_a_port_that_is_not_a_number);
	tcase_add_test(tc, config_rejects_a_port_in_defaults);
	tcase_add_test(tc, config_rejects_shutdown_timeout_without_a_unit);
	tcase_add_test(tc,
	    config_rejects_shutdown_timeout_with_an_unknown_unit);
	tcase_add_test(tc, config_rejects_shutdown_timeout_over_1h);
	tcase_add_test(tc, config_rejects_a_log_format_that_is_not_text_or_kv);
	tcase_add_test(tc, config_rejects_an_enabled_that_is_not_yes_or_no);
	tcase_add_test(tc, config_rejects_a_bad_bind_address);
	tcase_add_test(tc, config_rejects_a_bind_without_an_address);
	tcase_add_test(tc, config_rejects_a_bind_address_listed_twice);
	suite_add_tcase(s, tc);

	tc = tcase_create("clash");
	tcase_add_test(tc, config_rejects_two_services_on_one_address_and_port);
	tcase_add_test(tc,
	    config_rejects_a_wildcard_and_a_specific_address_on_one_port);
	tcase_add_test(tc,
	    config_rejects_two_services_on_default_binds_and_one_port);
	tcase_add_test(tc, config_allows_two_addresses_on_one_port);
	tcase_add_test(tc,
	    config_allows_the_ipv4_and_ipv6_wildcards_on_one_port);
	tcase_add_test(tc, config_allows_port_0_twice);
	tcase_add_test(tc, config_allows_a_disabled_service_on_a_used_port);
	suite_add_tcase(s, tc);

	tc = tcase_create("lines");
	tcase_add_test(tc, config_accepts_a_line_of_197_bytes);
	tcase_add_test(tc, config_rejects_a_line_of_198_bytes);
	tcase_add_test(tc, config_rejects_a_long_line_rather_than_splitting_it);
	tcase_add_test(tc, config_rejects_a_very_long_line);
	tcase_add_test(tc, config_rejects_an_indented_line);
	tcase_add_test(tc, config_accepts_blank_lines_and_indented_comments);
	tcase_add_test(tc, config_accepts_a_colon_in_place_of_equals);
	tcase_add_test(tc, config_passes_an_escaped_semicolon_through_exec);
	tcase_add_test(tc, config_cuts_a_quoted_value_at_a_blank_semicolon);
	tcase_add_test(tc, config_rejects_a_line_without_equals);
	tcase_add_test(tc, config_rejects_a_nul_byte_in_a_line);
	tcase_add_test(tc, config_rejects_a_key_before_any_section);
	suite_add_tcase(s, tc);

	tc = tcase_create("sections");
	tcase_add_test(tc, config_rejects_a_duplicate_section);
	tcase_add_test(tc, config_rejects_two_supervisor_sections);
	tcase_add_test(tc, config_rejects_two_defaults_sections);
	tcase_add_test(tc, config_rejects_an_empty_section_in_the_middle);
	tcase_add_test(tc, config_rejects_an_empty_section_at_the_end);
	tcase_add_test(tc, config_rejects_a_header_without_a_closing_bracket);
	tcase_add_test(tc, config_rejects_text_after_a_section_header);
	tcase_add_test(tc, config_rejects_a_service_name_with_a_space);
	tcase_add_test(tc, config_rejects_a_33_character_service_name);
	tcase_add_test(tc, config_rejects_an_empty_service_name);
	tcase_add_test(tc, config_reports_a_syntax_error_before_later_mistakes);
	tcase_add_test(tc, config_rejects_a_line_with_no_key_name);
	tcase_add_test(tc, config_rejects_an_equals_sign_only_inside_a_comment);
	tcase_add_test(tc,
	    config_bad_header_after_a_section_does_not_name_that_section);
	tcase_add_test(tc, config_rejects_an_empty_program_name);
	tcase_add_test(tc,
	    config_rejects_service_names_starting_with_dot_or_dash);
	tcase_add_test(tc, config_rejects_an_ipv4_mapped_bind_address);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, config_gives_the_limit_keys_their_defaults);
	tcase_add_test(tc, config_loads_every_limit_key_into_the_service);
	tcase_add_test(tc, config_accepts_the_bounds_of_each_limit);
	tcase_add_test(tc, config_reads_rates_as_a_count_per_milliseconds);
	tcase_add_test(tc, config_reads_a_rate_of_0_as_off);
	tcase_add_test(tc, config_decodes_the_escapes_of_reject_message);
	tcase_add_test(tc,
	    config_accumulates_repeated_allow_and_deny_lines_in_order);
	tcase_add_test(tc, config_rejects_a_bad_max_connections);
	tcase_add_test(tc,
	    config_rejects_an_on_max_that_is_not_defer_or_reject);
	tcase_add_test(tc, config_rejects_an_unknown_escape_in_reject_message);
	tcase_add_test(tc, config_rejects_a_bad_max_per_source);
	tcase_add_test(tc, config_rejects_source_prefixes_out_of_range);
	tcase_add_test(tc,
	    config_rejects_a_rate_that_is_not_count_per_duration);
	tcase_add_test(tc, config_rejects_a_rate_out_of_range);
	tcase_add_test(tc, config_rejects_a_bad_rate_per_source);
	tcase_add_test(tc,
	    config_rejects_an_on_rate_that_is_not_defer_or_reject);
	tcase_add_test(tc,
	    config_rejects_a_stderr_or_stderr_rate_it_does_not_know);
	tcase_add_test(tc, config_rejects_confinement_values_it_does_not_know);
	tcase_add_test(tc, config_reads_confinement_keys_and_their_defaults);
	tcase_add_test(tc, config_rejects_a_bad_allow_or_deny_prefix);
	tcase_add_test(tc, config_rejects_host_bits_in_allow_and_deny);
	tcase_add_test(tc,
	    config_rejects_a_bad_allow_on_a_later_line_at_that_line);
	tcase_add_test(tc, config_rejects_a_bad_max_duration);
	tcase_add_test(tc, config_rejects_a_bad_stop_timeout);
	tcase_add_test(tc, config_rejects_a_bad_max_children);
	tcase_add_test(tc, config_rejects_a_duplicate_max_children);
	tcase_add_test(tc, config_rejects_max_children_in_a_service);
	tcase_add_test(tc, config_rejects_a_duplicate_limit_key);
	tcase_add_test(tc, config_reports_a_bad_limit_in_defaults_at_its_line);
	tcase_add_test(tc, config_defaults_supply_every_limit_key);
	tcase_add_test(tc, config_a_services_own_limit_keys_win_over_defaults);
	suite_add_tcase(s, tc);

	tc = tcase_create("kinds");
	tcase_add_test(tc,
	    config_reads_the_socket_kind_keys_and_their_defaults);
	tcase_add_test(tc,
	    config_lets_tcp_and_udp_share_a_port_but_not_two_paths);
	tcase_add_test(tc,
	    config_rejects_a_dgram_service_with_wait_no_as_xinetd_does);
	tcase_add_test(tc,
	    config_rejects_keys_a_wait_service_has_no_client_for);
	tcase_add_test(tc, config_rejects_a_bad_path_and_keys_that_need_one);
	tcase_add_test(tc, config_reads_the_proxy_keys_and_their_defaults);
	tcase_add_test(tc, config_rejects_bad_proxy_keys);
	tcase_add_test(tc, config_reads_the_tls_keys_and_their_defaults);
	tcase_add_test(tc, config_rejects_bad_tls_keys);
	tcase_add_test(tc, tls_contexts_name_the_line_of_a_bad_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("privileges");
	tcase_add_test(tc, config_gives_the_privilege_keys_their_defaults);
	tcase_add_test(tc, config_resolves_user_to_ids_and_the_users_groups);
	tcase_add_test(tc, config_accepts_numeric_uids_and_gids);
	tcase_add_test(tc, config_group_replaces_the_primary_group);
	tcase_add_test(tc, config_reads_supplementary_groups_none_and_a_list);
	tcase_add_test(tc,
	    config_accumulates_env_lines_and_appends_pass_env_values);
	tcase_add_test(tc, config_reads_workdir_umask_nice_and_rlimits);
	tcase_add_test(tc, config_accepts_the_bounds_of_each_world_key);
	tcase_add_test(tc, config_defaults_supply_the_privilege_and_world_keys);
	tcase_add_test(tc, config_rejects_a_bad_user);
	tcase_add_test(tc, config_rejects_a_bad_group);
	tcase_add_test(tc, config_rejects_bad_supplementary_groups);
	tcase_add_test(tc, config_rejects_a_bad_env);
	tcase_add_test(tc,
	    config_takes_the_websocket_keys_and_builds_the_relay_line);
	tcase_add_test(tc, config_finds_the_shipped_chat_page_by_name);
	tcase_add_test(tc, config_rejects_bad_websocket_keys);
	tcase_add_test(tc, config_rejects_more_than_64_env_entries);
	tcase_add_test(tc, config_rejects_a_bad_pass_env);
	tcase_add_test(tc, config_rejects_a_bad_workdir);
	tcase_add_test(tc, config_rejects_a_bad_umask);
	tcase_add_test(tc, config_rejects_a_bad_nice);
	tcase_add_test(tc, config_rejects_bad_rlimits);
	tcase_add_test(tc,
	    config_reports_a_bad_privilege_key_in_defaults_at_its_line);
	tcase_add_test(tc,
	    privileges_without_root_refuse_another_user_or_group);
	suite_add_tcase(s, tc);

	tc = tcase_create("privileges_as_root");
	tcase_set_tags(tc, "root");
	tcase_add_test(tc,
	    privileges_as_root_require_user_in_each_enabled_service);
	tcase_add_test(tc,
	    privileges_as_root_refuse_a_config_file_others_can_change);
	tcase_add_test(tc,
	    privileges_as_root_refuse_a_handler_others_can_change);
	tcase_add_test(tc,
	    privileges_as_root_refuse_a_relative_path_under_an_unsafe_directory);
	tcase_add_test(tc,
	    privileges_as_root_refuse_a_socket_in_a_directory_others_can_write);
	tcase_add_test(tc, privileges_as_root_refuse_a_tls_key_others_can_read);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, config_rejects_an_empty_file);
	tcase_add_test(tc,
	    config_rejects_a_file_with_only_a_supervisor_section);
	tcase_add_test(tc, config_rejects_a_missing_file);
	tcase_add_test(tc, config_rejects_a_directory);
	tcase_add_test(tc, config_rejects_a_device_it_would_read_forever);
	suite_add_tcase(s, tc);

	tc = tcase_create("files_unprivileged");
	tcase_set_tags(tc, "unprivileged");
	tcase_add_test(tc, config_rejects_an_unreadable_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_config_suite());
}
