/* Unit tests for config.c: what a valid file loads into, and for every kind
 * of mistake, the one line the user sees (file, line, section, key, reason),
 * with *cfg left empty. */
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"

#ifndef HANDLER_DIR
#error "HANDLER_DIR must name the directory holding the built handlers"
#endif

#define CONFIG_NAME "superd.ini"

static const char *const handler_dirs[] = { HANDLER_DIR, NULL };

/* Writes text as the config file and loads it, failing the test if it does
 * not load. */
static void
load_ok(const char *text, struct config *cfg)
{
	char err[CONFIG_ERR_MAX] = "";
	const char *path = harness_file(CONFIG_NAME, text);
	int rc;

	rc = config_load(path, handler_dirs, cfg, err, sizeof(err));
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

	check_error(harness_file(CONFIG_NAME, text), handler_dirs, line,
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
	config_format_bind(&svc->binds[i], svc->port, buf, sizeof(buf));
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
	        "exec = upper --flag 'two words'\n"
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
	ck_assert_str_eq(s->path, HANDLER_DIR "/echo");
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
	ck_assert_str_eq(s->exec, "upper --flag 'two words'");
	ck_assert_str_eq(s->argv[0], "upper");
	ck_assert_str_eq(s->argv[1], "--flag");
	ck_assert_str_eq(s->argv[2], "two words");
	ck_assert_ptr_null(s->argv[3]);
	ck_assert_str_eq(s->path, HANDLER_DIR "/upper");

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
	        "exec = echo 'a b'\n"
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
	ck_assert_str_eq(s->exec, "echo 'a b'");
	ck_assert(!s->enabled);
	ck_assert_ptr_null(s->path);

	s = &cfg.services[1];
	ck_assert_str_eq(s->name, "overrides");
	ck_assert_uint_eq(s->nbinds, 1);
	expect_bind(s, 0, "[::1]:7002");
	ck_assert_str_eq(s->exec, "upper");
	ck_assert(s->enabled);
	ck_assert_str_eq(s->path, HANDLER_DIR "/upper");

	s = &cfg.services[2];
	ck_assert_str_eq(s->name, "enables");
	ck_assert_uint_eq(s->nbinds, 1);
	expect_bind(s, 0, "127.0.0.1:7003");
	ck_assert(s->enabled);
	ck_assert_str_eq(s->argv[0], "echo");
	ck_assert_str_eq(s->argv[1], "a b");
	ck_assert_ptr_null(s->argv[2]);
	ck_assert_str_eq(s->path, HANDLER_DIR "/echo");
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
	        "exec = echo x\r\n"
	        "\r\n",
	    &cfg);
	ck_assert_str_eq(cfg.services[0].name, "echo");
	ck_assert_uint_eq(cfg.services[0].port, 7);
	ck_assert_str_eq(cfg.services[0].argv[1], "x");
	ck_assert_str_eq(cfg.services[0].path, HANDLER_DIR "/echo");
	config_free(&cfg);
}
END_TEST

START_TEST(config_free_releases_a_loaded_config_and_zeroes_it)
{
	struct config cfg, zero;

	memset(&zero, 0, sizeof(zero));
	load_ok("[echo]\n"
	        "port = 7\n"
	        "exec = echo a b c\n"
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
	ck_assert_str_eq(cfg.services[0].path, HANDLER_DIR "/echo");
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

/* ---- keys and values ---- */

START_TEST(config_rejects_an_unknown_service_key)
{
	expect_error("[echo]\n"
	             "port = 7\n"
	             "exec = echo\n"
	             "colour = blue\n",
	    4, "echo", "colour",
	    "unknown key (service keys: port, bind, exec, enabled, ");
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
	    "unknown key ([supervisor] keys: shutdown_timeout, max_children)");
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
	    2, "supervisor", "shutdown_timeout", "is out of range (at most 1h)");
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

/* A line of exactly len bytes: "exec = echo " and then x's. */
static void
exec_line(char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len + 1, "exec = echo ");

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
	ck_assert_uint_eq(strlen(cfg.services[0].argv[1]), 197 - 12);
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
	check_error(harness_file(CONFIG_NAME, text), handler_dirs, 3, "echo",
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
	        "exec : echo a=b\n",
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
	        "exec = echo a\\ \\;b c;d ; a comment\n",
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
	check_error(path, handler_dirs, 2, "echo", NULL,
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
	check_error(path, handler_dirs, 0, NULL, NULL,
	    "cannot open: No such file or directory", err);
}
END_TEST

START_TEST(config_rejects_an_unreadable_file)
{
	char path[PATH_MAX], err[CONFIG_ERR_MAX];

	/* Root reads a mode 000 file anyway; the directory test covers the
	 * read-error path there. */
	if (geteuid() == 0)
		return;
	snprintf(path, sizeof(path), "%s",
	    harness_file(CONFIG_NAME, "[echo]\nport = 7\nexec = echo\n"));
	ck_assert_int_eq(chmod(path, 0), 0);
	check_error(path, handler_dirs, 0, NULL, NULL,
	    "cannot open: Permission denied", err);
}
END_TEST

START_TEST(config_rejects_a_directory)
{
	char dir[PATH_MAX], err[CONFIG_ERR_MAX];

	temp_dir(dir, sizeof(dir));
	check_error(dir, handler_dirs, 0, NULL, NULL, "Is a directory", err);
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
	tcase_add_test(tc, config_rejects_exec_of_a_missing_program);
	tcase_add_test(tc, config_rejects_exec_of_a_non_executable_file);
	tcase_add_test(tc, config_rejects_exec_of_a_directory);
	tcase_add_test(tc,
	    config_reports_an_inherited_exec_at_the_defaults_line);
	tcase_add_test(tc, config_rejects_an_empty_exec);
	tcase_add_test(tc, config_rejects_an_exec_with_an_unterminated_quote);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_test(tc, config_rejects_an_unknown_service_key);
	tcase_add_test(tc, config_rejects_an_unknown_supervisor_key);
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

	tc = tcase_create("files");
	tcase_add_test(tc, config_rejects_an_empty_file);
	tcase_add_test(tc,
	    config_rejects_a_file_with_only_a_supervisor_section);
	tcase_add_test(tc, config_rejects_a_missing_file);
	tcase_add_test(tc, config_rejects_an_unreadable_file);
	tcase_add_test(tc, config_rejects_a_directory);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_config_suite());
}
