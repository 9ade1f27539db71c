/* Hostile input to the real binary: malformed config files and command
 * lines, each with the exact message the user sees and the exit code.
 * The cases live in one table, rows[]; docs/reliability.md shows the same
 * table, printed by `integ_reliability --markdown`, and a test checks that
 * the two agree.  `integ_reliability --actual` prints what the binary says
 * for each row, to update rows[] when a message changes on purpose. */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"

/* How a row's input is made, when it is not plain text in superd.ini. */
enum make {
	MAKE_TEXT,       /* superd.ini holds text */
	MAKE_LONG_LINE,  /* a 10 KB value on line 2 */
	MAKE_SERVICES,   /* 10,000 services, each on its own port */
	MAKE_SAME_PORT,  /* 10,000 services, all on port 7 */
	MAKE_DIRECTORY,  /* conf.d/, a directory */
	MAKE_FIFO,       /* fifo.ini, a FIFO nobody writes to */
	MAKE_LOOP,       /* loop.ini -> loop.ini */
	MAKE_UNREADABLE, /* superd.ini, mode 000, superd as nobody */
	MAKE_EXECUTABLE, /* superd.ini: the first 4 KB of superd itself */
	MAKE_LONG_PATH,  /* a 5,000-byte path */
	MAKE_NOTHING,    /* no file at all */
};

/* 100 times "x/": the tail of the long path, as error lines show it. */
#define X10 "x/x/x/x/x/x/x/x/x/x/"
#define X100 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10

struct row {
	const char *input; /* the table's description */
	enum make make;
	const char *text; /* superd.ini, for MAKE_TEXT */
	size_t len;       /* of text, if it holds NUL bytes */
	const char *args; /* after "superd", blank-separated; default
	                   * "-t -c superd.ini" */
	int exit;
	const char *message; /* stderr's first line, exactly */
	const char *note;
	bool prefix; /* message is only how the line starts */
};

/* A file with NUL bytes in it. */
#define BYTES(s) .text = (s), .len = sizeof(s) - 1
/* Valid services for rows about something else. */
#define ECHO "[echo]\nport = 7007\nexec = echo\n"
#define ROOT "[defaults]\nuser = root\n"
#define FILE_ "superd: superd.ini"
#define D10 "0123456789"
#define D50 D10 D10 D10 D10 D10

static const struct row rows[] = {
	{ .input = "binary garbage (no NUL, no newline)",
	    .text = "\x7f\x01\x02\xfe\xff\x80garbage\x1b[2J\x05",
	    .exit = 1,
	    .message = FILE_ ":1: syntax error (expected \"key = value\", "
	                     "\"[section]\" or a comment)" },
	{ .input = "an executable (the first 4 KB of superd)",
	    .make = MAKE_EXECUTABLE,
	    .exit = 1,
	    .message = FILE_ ":1: line contains a NUL byte" },
	{ .input = "a NUL byte inside a value",
	    BYTES("[echo]\nport = 7007\nexec = echo\0 -x\n"),
	    .exit = 1,
	    .message = FILE_ ":3: [echo]: line contains a NUL byte" },
	{ .input = "a UTF-16 file with its BOM",
	    BYTES("\xff\xfe[\0e\0c\0h\0o\0]\0\n\0"),
	    .exit = 1,
	    .message = FILE_ ":1: line contains a NUL byte" },
	{ .input = "CRLF line ends",
	    .text = "[defaults]\r\nuser = root\r\n[echo]\r\nport = 7007\r\n"
	            "exec = echo\r\n",
	    .exit = 0,
	    .message = FILE_ ": configuration OK" },
	{ .input = "CRLF line ends and a bad value",
	    .text = "[echo]\r\nport = 70000\r\nexec = echo\r\n",
	    .exit = 1,
	    .message = FILE_ ":2: [echo] port: \"70000\" is out of range "
	                     "(0-65535)",
	    .note = "the CR is not part of the value" },
	{ .input = "a UTF-8 BOM",
	    .text = "\xef\xbb\xbf" ROOT ECHO,
	    .exit = 0,
	    .message = FILE_ ": configuration OK" },
	{ .input = "CR alone as line end",
	    .text = "[echo]\rport = 7007\rexec = echo\r",
	    .exit = 1,
	    .message = FILE_ ":1: unexpected text after the section header" },
	{ .input = "a 10 KB line",
	    .make = MAKE_LONG_LINE,
	    .exit = 1,
	    .message = FILE_ ":2: [echo]: line is too long (10240 bytes, at "
	                     "most 197)" },
	{ .input = "a 198-byte line",
	    .text = "[echo]\n; " D50 D50 D50 D10 D10 D10 D10
	            "012345\nport = 7007\nexec = echo\n",
	    .exit = 1,
	    .message = FILE_ ":2: [echo]: line is too long (198 bytes, at most "
	                     "197)",
	    .note = "inih would split it silently" },
	{ .input = "a huge port",
	    .text = "[echo]\nport = 99999999999999999999999\nexec = echo\n",
	    .exit = 1,
	    .message = FILE_ ":2: [echo] port: \"99999999999999999999999\" is "
	                     "out of range (0-65535)" },
	{ .input = "a negative port",
	    .text = "[echo]\nport = -1\nexec = echo\n",
	    .exit = 1,
	    .message = FILE_ ":2: [echo] port: \"-1\" is not a port number "
	                     "(0-65535)" },
	{ .input = "a port in hex",
	    .text = "[echo]\nport = 0x1f\nexec = echo\n",
	    .exit = 1,
	    .message = FILE_ ":2: [echo] port: \"0x1f\" is not a port number "
	                     "(0-65535)" },
	{ .input = "a duration of 2^64 seconds",
	    .text =
	        "[supervisor]\nshutdown_timeout = 18446744073709551616s\n" ECHO,
	    .exit = 1,
	    .message = FILE_ ":2: [supervisor] shutdown_timeout: "
	                     "\"18446744073709551616s\" is out of range (at "
	                     "most 1h)" },
	{ .input = "a duration just over its limit",
	    .text = "[supervisor]\nshutdown_timeout = 3600001ms\n" ECHO,
	    .exit = 1,
	    .message = FILE_ ":2: [supervisor] shutdown_timeout: \"3600001ms\" "
	                     "is out of range (at most 1h)" },
	{ .input = "a negative duration",
	    .text = ECHO "max_duration = -5s\n",
	    .exit = 1,
	    .message = FILE_ ":4: [echo] max_duration: \"-5s\" is not a "
	                     "duration (a number and a unit: ms, s, m or h, "
	                     "e.g. 10s)" },
	{ .input = "max_children = 0",
	    .text = "[supervisor]\nmax_children = 0\n" ECHO,
	    .exit = 1,
	    .message = FILE_ ":2: [supervisor] max_children: \"0\" is out of "
	                     "range (1-65536)" },
	{ .input = "max_connections = 2^64",
	    .text = ECHO "max_connections = 18446744073709551616\n",
	    .exit = 1,
	    .message = FILE_ ":4: [echo] max_connections: "
	                     "\"18446744073709551616\" is out of range "
	                     "(1-65536)" },
	{ .input = "a huge rate",
	    .text = ECHO "rate = 99999999999999999999/s\n",
	    .exit = 1,
	    .message = FILE_ ":4: [echo] rate: \"99999999999999999999/s\" is "
	                     "out of range (count 1-1000000 per 1ms-1h)" },
	{ .input = "a duplicate key",
	    .text = ECHO "port = 7008\n",
	    .exit = 1,
	    .message = FILE_ ":4: [echo] port: duplicate key (first set on "
	                     "line 2)" },
	{ .input = "a duplicate section",
	    .text = ECHO ECHO,
	    .exit = 1,
	    .message = FILE_ ":4: [echo]: duplicate section" },
	{ .input = "a duplicate [supervisor]",
	    .text = "[supervisor]\nmax_children = 2\n[supervisor]\n"
	            "max_children = 3\n" ECHO,
	    .exit = 1,
	    .message = FILE_ ":3: [supervisor]: duplicate section" },
	{ .input = "a duplicate [defaults]",
	    .text = "[defaults]\nbind = ::1\n[defaults]\nbind = ::1\n" ECHO,
	    .exit = 1,
	    .message = FILE_ ":3: [defaults]: duplicate section" },
	{ .input = "a duplicate key in [supervisor]",
	    .text = "[supervisor]\nmax_children = 2\nmax_children = 2\n" ECHO,
	    .exit = 1,
	    .message = FILE_ ":3: [supervisor] max_children: duplicate key "
	                     "(first set on line 2)" },
	{ .input = "a duplicate address in bind",
	    .text = ECHO "bind = 127.0.0.1, 127.0.0.1\n",
	    .exit = 1,
	    .message = FILE_ ":4: [echo] bind: \"127.0.0.1\" is listed twice" },
	{ .input = "two services on one port",
	    .text = ECHO "bind = 127.0.0.1\n[again]\nport = 7007\n"
	                 "exec = echo\n",
	    .exit = 1,
	    .message = FILE_ ":6: [again] port: 0.0.0.0:7007 is also used by "
	                     "[echo] (line 2)" },
	{ .input = "an unknown section (every section is a service)",
	    .text = "[global]\nlog_level = debug\n",
	    .exit = 1,
	    .message = FILE_ ":2: [global] log_level: unknown key (service "
	                     "keys: ",
	    .prefix = true,
	    .note = "the list names every service key" },
	{ .input = "an unknown key in [supervisor]",
	    .text = "[supervisor]\nlog_level = debug\n" ECHO,
	    .exit = 1,
	    .message = FILE_ ":2: [supervisor] log_level: unknown key "
	                     "([supervisor] keys: ",
	    .prefix = true,
	    .note = "the list names every [supervisor] key" },
	{ .input = "[default] for [defaults]",
	    .text = "[default]\nuser = root\n" ECHO,
	    .exit = 1,
	    .message = FILE_ ":1: unknown section [default]; did you mean "
	                     "[defaults]?",
	    .note = "a section that could be a service is one" },
	{ .input = "a misspelt key",
	    .text = ROOT "[echo]\nport = 7007\nexec = echo\nbnid = ::1\n",
	    .exit = 1,
	    .message = FILE_ ":6: [echo] bnid: unknown key; did you mean bind?",
	    .note = "the nearest key of either section, if near" },
	{ .input = "an argument a shipped handler does not take",
	    .text = ROOT "[echo]\nport = 7007\nexec = echo hello\n",
	    .exit = 1,
	    .message = FILE_ ":5: [echo] exec: the shipped handler echo takes "
	                     "no arguments (got \"hello\")" },
	{ .input = "a section name with a blank",
	    .text = "[my service]\nport = 7\nexec = echo\n",
	    .exit = 1,
	    .message = FILE_ ":1: [my service]: invalid section name (use 1 "
	                     "to 32 letters, digits, '_', '.' or '-')" },
	{ .input = "a section name of 33 bytes",
	    .text = "[abcdefghijklmnopqrstuvwxyz0123456]\nport = 7\n"
	            "exec = echo\n",
	    .exit = 1,
	    .message = FILE_ ":1: [abcdefghijklmnopqrstuvwxyz0123456]: invalid "
	                     "section name (use 1 to 32 letters, digits, '_', "
	                     "'.' or '-')" },
	{ .input = "a header without ']'",
	    .text = "[echo\nport = 7\nexec = echo\n",
	    .exit = 1,
	    .message = FILE_ ":1: section header without ']'" },
	{ .input = "text after a header",
	    .text = "[echo] port = 7\nexec = echo\n",
	    .exit = 1,
	    .message = FILE_ ":1: unexpected text after the section header" },
	{ .input = "a key before any section",
	    .text = "port = 7\n" ECHO,
	    .exit = 1,
	    .message = FILE_ ":1: port: key outside any section (start with "
	                     "[supervisor] or [service-name])" },
	{ .input = "an indented line",
	    .text = "[echo]\nport = 7007\n  exec = echo\n",
	    .exit = 1,
	    .message = FILE_ ":3: [echo]: indented line (it would continue the "
	                     "previous value); remove the leading blanks" },
	{ .input = "an empty section",
	    .text = ECHO "[time]\n",
	    .exit = 1,
	    .message = FILE_ ":4: [time]: empty section (remove it, or give "
	                     "it keys)" },
	{ .input = "an empty file",
	    .text = "",
	    .exit = 1,
	    .message = FILE_ ": no services defined (add a section such as "
	                     "[echo] with port and exec)" },
	{ .input = "only comments",
	    .text = "; nothing\n# here\n",
	    .exit = 1,
	    .message = FILE_ ": no services defined (add a section such as "
	                     "[echo] with port and exec)" },
	{ .input = "a line without '='",
	    .text = "[echo]\nport 7007\nexec = echo\n",
	    .exit = 1,
	    .message = FILE_ ":2: [echo]: syntax error (expected \"key = "
	                     "value\", \"[section]\" or a comment)" },
	{ .input = "a value without a key",
	    .text = "[echo]\n= 7007\nexec = echo\n",
	    .exit = 1,
	    .message = FILE_ ":2: [echo]: missing key name before '='" },
	{ .input = "an unterminated quote in exec",
	    .text = "[echo]\nport = 7007\nexec = echo 'hi\n",
	    .exit = 1,
	    .message = FILE_ ":3: [echo] exec: unterminated single quote" },
	{ .input = "an empty program name",
	    .text = "[echo]\nport = 7007\nexec = '' x\n",
	    .exit = 1,
	    .message = FILE_ ":3: [echo] exec: the program name is empty" },
	{ .input = "a program that does not exist",
	    .text = "[echo]\nport = 7007\nexec = /nonexistent/prog\n",
	    .exit = 1,
	    .message = FILE_ ":3: [echo] exec: \"/nonexistent/prog\": No such "
	                     "file or directory" },
	{ .input = "a directory as the program",
	    .text = "[echo]\nport = 7007\nexec = /tmp\n",
	    .exit = 1,
	    .message = FILE_ ":3: [echo] exec: \"/tmp\": is a directory" },
	{ .input = "a file that is not executable",
	    .text = "[echo]\nport = 7007\nexec = /etc/passwd\n",
	    .exit = 1,
	    .message = FILE_ ":3: [echo] exec: \"/etc/passwd\": not an "
	                     "executable file" },
	{ .input = "a bind that is not an address",
	    .text = ECHO "bind = localhost\n",
	    .exit = 1,
	    .message = FILE_ ":4: [echo] bind: \"localhost\" is not an IPv4 or "
	                     "IPv6 address" },
	{ .input = "an allow prefix with host bits",
	    .text = ECHO "allow = 10.0.0.1/8\n",
	    .exit = 1,
	    .message =
	        FILE_ ":4: [echo] allow: \"10.0.0.1/8\" has host bits set "
	              "(did you mean 10.0.0.0/8?)" },
	{ .input = "enabled = maybe",
	    .text = ECHO "enabled = maybe\n",
	    .exit = 1,
	    .message = FILE_ ":4: [echo] enabled: \"maybe\" is not yes or no" },
	{ .input = "10,000 services",
	    .make = MAKE_SERVICES,
	    .exit = 0,
	    .message = FILE_ ": configuration OK" },
	{ .input = "10,000 services on one port",
	    .make = MAKE_SAME_PORT,
	    .exit = 1,
	    .message = FILE_ ":10: [s1] port: 127.0.0.1:7 is also used by [s0] "
	                     "(line 7)" },
	{ .input = "a directory as the config file",
	    .make = MAKE_DIRECTORY,
	    .args = "-t -c conf.d",
	    .exit = 1,
	    .message = "superd: conf.d: not a regular file" },
	{ .input = "a FIFO as the config file (-t)",
	    .make = MAKE_FIFO,
	    .args = "-t -c fifo.ini",
	    .exit = 1,
	    .message = "superd: fifo.ini: not a regular file",
	    .note = "refused without waiting for a writer" },
	{ .input = "a FIFO as the config file (start)",
	    .make = MAKE_FIFO,
	    .args = "-c fifo.ini",
	    .exit = 1,
	    .message = "superd: fifo.ini: not a regular file",
	    .note = "refused without waiting for a writer" },
	{ .input = "/dev/zero as the config file",
	    .make = MAKE_NOTHING,
	    .args = "-t -c /dev/zero",
	    .exit = 1,
	    .message = "superd: /dev/zero: not a regular file" },
	{ .input = "an unreadable file (superd not root)",
	    .make = MAKE_UNREADABLE,
	    .exit = 1,
	    .message = FILE_ ": cannot open: Permission denied" },
	{ .input = "a symlink loop",
	    .make = MAKE_LOOP,
	    .args = "-t -c loop.ini",
	    .exit = 1,
	    .message = "superd: loop.ini: cannot open: Too many levels of "
	               "symbolic links" },
	{ .input = "a file that does not exist",
	    .make = MAKE_NOTHING,
	    .args = "-t -c missing.ini",
	    .exit = 1,
	    .message = "superd: missing.ini: cannot open: No such file or "
	               "directory" },
	{ .input = "an empty path",
	    .make = MAKE_NOTHING,
	    .args = "-t -c ''",
	    .exit = 1,
	    .message = "superd: : cannot open: No such file or directory" },
	{ .input = "a 5,000-byte path",
	    .make = MAKE_LONG_PATH,
	    .exit = 1,
	    /* The last 200 bytes of the path: room for the reason. */
	    .message = "superd: ..." X100 ": cannot open: File name too long" },
	{ .input = "an unknown option",
	    .make = MAKE_NOTHING,
	    .args = "-x",
	    .exit = 2,
	    .message = "superd: unknown option -x",
	    .note = "the usage text follows" },
	{ .input = "a long option",
	    .make = MAKE_NOTHING,
	    .args = "--config superd.ini",
	    .exit = 2,
	    .message = "superd: unknown option --config",
	    .note = "the usage text follows" },
	{ .input = "-c without a value",
	    .make = MAKE_NOTHING,
	    .args = "-c",
	    .exit = 2,
	    .message = "superd: option -c needs a value",
	    .note = "the usage text follows" },
	{ .input = "an extra argument",
	    .make = MAKE_NOTHING,
	    .args = "-t extra",
	    .exit = 2,
	    .message = "superd: unexpected argument: extra",
	    .note = "the usage text follows" },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* ---- making the input ---- */

/* Writes len bytes of text to dir/name, or fails (returns -1). */
static int
put(const char *dir, const char *name, const char *text, size_t len,
    mode_t mode)
{
	char path[PATH_MAX];
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1)
		return -1;
	ok = write(fd, text, len) == (ssize_t)len;
	return close(fd) == 0 && ok && chmod(path, mode) == 0 ? 0 : -1;
}

/* 10,000 services: a [defaults] of five lines (user, bind, exec), then
 * three lines each. */
static char *
make_services(bool same_port)
{
	size_t cap = 10000 * 40 + 128, len;
	char *text = malloc(cap);
	int i;

	if (text == NULL)
		return NULL;
	len = (size_t)snprintf(text, cap,
	    "[defaults]\nuser = root\nbind = 127.0.0.1\nexec = echo\n\n");
	for (i = 0; i < 10000; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "[s%d]\nport = %d\n\n", i, same_port ? 7 : 10000 + i);
	return text;
}

static int
make_long_line(const char *dir)
{
	char *text = malloc(20000);
	int rc;

	if (text == NULL)
		return -1;
	strcpy(text, "[echo]\nexec = ");
	memset(text + 14, 'x', 10240 - 7);
	strcpy(text + 14 + 10240 - 7, "\nport = 7007\n");
	rc = put(dir, "superd.ini", text, strlen(text), 0644);
	free(text);
	return rc;
}

static int
make_executable(const char *dir)
{
	char buf[4096];
	ssize_t n;
	int fd = open(SUPERD_BIN, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 ? put(dir, "superd.ini", buf, (size_t)n, 0644) : -1;
}

/* A path of 5,000 bytes: "./" and then "x/" repeated; nothing there. */
static char long_path[5001];

static const char *
make_long_path(void)
{
	size_t i;

	memcpy(long_path, "./", 2);
	for (i = 2; i < 5000; i++)
		long_path[i] = i % 2 ? '/' : 'x';
	long_path[5000] = '\0';
	return long_path;
}

static int
make_input(const struct row *r, const char *dir)
{
	char path[PATH_MAX], *text, *self;
	int rc;

	switch (r->make) {
	case MAKE_TEXT:
		if (r->len != 0)
			return put(dir, "superd.ini", r->text, r->len, 0644);
		/* Not root, superd runs its handlers as itself. */
		text = harness_as_self(r->text);
		rc = put(dir, "superd.ini", text, strlen(text), 0644);
		free(text);
		return rc;
	case MAKE_LONG_LINE:
		return make_long_line(dir);
	case MAKE_SERVICES:
	case MAKE_SAME_PORT:
		if ((text = make_services(r->make == MAKE_SAME_PORT)) == NULL)
			return -1;
		self = harness_as_self(text);
		free(text);
		rc = put(dir, "superd.ini", self, strlen(self), 0644);
		free(self);
		return rc;
	case MAKE_DIRECTORY:
		snprintf(path, sizeof(path), "%s/conf.d", dir);
		return mkdir(path, 0755);
	case MAKE_FIFO:
		snprintf(path, sizeof(path), "%s/fifo.ini", dir);
		return mkfifo(path, 0644);
	case MAKE_LOOP:
		snprintf(path, sizeof(path), "%s/loop.ini", dir);
		return symlink("loop.ini", path);
	case MAKE_UNREADABLE:
		return put(dir, "superd.ini", ECHO, strlen(ECHO), 0);
	case MAKE_EXECUTABLE:
		return make_executable(dir);
	case MAKE_LONG_PATH:
	case MAKE_NOTHING:
		return 0;
	}
	return -1;
}

/* ---- running superd ---- */

struct outcome {
	int status;
	char err[65536];
	size_t errlen;
};

/* Splits "-t -c X" into argv after SUPERD_BIN; '' is an empty word. */
static void
row_argv(const struct row *r, char *buf, size_t len, const char **argv)
{
	char *tok, *save;
	size_t n = 1;

	argv[0] = SUPERD_BIN;
	snprintf(buf, len, "%s", r->args ? r->args : "-t -c superd.ini");
	for (tok = strtok_r(buf, " ", &save); tok != NULL && n < 7;
	     tok = strtok_r(NULL, " ", &save))
		argv[n++] = strcmp(tok, "''") == 0 ? "" : tok;
	if (r->make == MAKE_LONG_PATH) {
		argv[n++] = "-t";
		argv[n++] = "-c";
		argv[n++] = make_long_path();
	}
	argv[n] = NULL;
}

/* /dev/zero makes superd read one endless line: cap its memory.  ASan
 * reserves terabytes of address space, so there the cap is ASan's. */
static void
child_cap_memory(void)
{
#if defined(__SANITIZE_ADDRESS__)
	const char *old = getenv("ASAN_OPTIONS");
	char opts[512];

	snprintf(opts, sizeof(opts),
	    "%s%sallocator_may_return_null=1:max_allocation_size_mb=256",
	    old ? old : "", old ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
#else
	struct rlimit rl = { 256UL << 20, 256UL << 20 };

	(void)setrlimit(RLIMIT_AS, &rl);
#endif
}

static void __attribute__((noreturn))
child_exec(const struct row *r, const char *dir, int out, int err)
{
	char buf[256], *const *args;
	const char *argv[12];

	row_argv(r, buf, sizeof(buf), argv);
	if (chdir(dir) == -1 || dup2(out, 1) == -1 || dup2(err, 2) == -1)
		_exit(125);
	if (r->make == MAKE_UNREADABLE && geteuid() == 0 &&
	    (setgroups(0, NULL) == -1 || setgid(65534) == -1 ||
	        setuid(65534) == -1))
		_exit(125);
	child_cap_memory();
	memcpy(&args, &(const char *const *){ argv }, sizeof(args));
	execv(SUPERD_BIN, args);
	_exit(127);
}

/* Reads superd's stdout (thrown away) and stderr until both end, at most
 * 60 s; then reaps it. */
static int
collect(pid_t pid, int out, int err, struct outcome *o)
{
	struct pollfd pfd[2] = { { out, POLLIN, 0 }, { err, POLLIN, 0 } };
	long long end = clock_ms() + 60000;
	char sink[65536];
	ssize_t n;

	o->errlen = 0;
	while ((pfd[0].fd != -1 || pfd[1].fd != -1) && clock_ms() < end) {
		if (poll(pfd, 2, 1000) <= 0)
			continue;
		if (pfd[0].revents != 0 &&
		    read(pfd[0].fd, sink, sizeof(sink)) <= 0)
			pfd[0].fd = -1;
		if (pfd[1].revents == 0)
			continue;
		n = read(pfd[1].fd, o->err + o->errlen,
		    sizeof(o->err) - 1 - o->errlen);
		if (n <= 0)
			pfd[1].fd = -1;
		else
			o->errlen += (size_t)n;
	}
	o->err[o->errlen] = '\0';
	if (pfd[0].fd != -1 || pfd[1].fd != -1)
		kill(pid, SIGKILL);
	return waitpid(pid, &o->status, 0) == pid ? 0 : -1;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	(void)remove(path);
	return 0;
}

/* Runs row r in a fresh directory.  Returns -1 (with a reason in o->err)
 * if the input could not be made or superd not run. */
static int
run_row(const struct row *r, struct outcome *o)
{
	char dir[256];
	int out[2], err[2], rc = -1;
	pid_t pid;

	/* As root, superd refuses a file in a directory others can write. */
	snprintf(dir, sizeof(dir), "%s/superd-rel.XXXXXX", harness_base());
	if (mkdtemp(dir) == NULL || chmod(dir, 0755) == -1 ||
	    make_input(r, dir) == -1) {
		snprintf(o->err, sizeof(o->err), "making the input: %s",
		    strerror(errno));
		goto done;
	}
	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1) {
		snprintf(o->err, sizeof(o->err), "pipe: %s", strerror(errno));
		goto done;
	}
	if ((pid = fork()) == 0)
		child_exec(r, dir, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	if (pid != -1)
		rc = collect(pid, out[0], err[0], o);
	close(out[0]);
	close(err[0]);
done:
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}

/* ---- the tests ---- */

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

/* stderr without the sanitizers' own lines ("==PID==WARNING: ..."), which
 * only the sanitizer build prints. */
static size_t
strip_sanitizer_lines(char *s)
{
	char *in = s, *out = s, *nl;
	size_t len;

	while (*in != '\0') {
		nl = strchr(in, '\n');
		len = nl != NULL ? (size_t)(nl - in) + 1 : strlen(in);
		if (!(SANITIZED && strncmp(in, "==", 2) == 0)) {
			memmove(out, in, len);
			out += len;
		}
		in += len;
	}
	*out = '\0';
	return (size_t)(out - s);
}

static const char *
first_line(const char *s, char *buf, size_t len)
{
	size_t n = strcspn(s, "\n");

	snprintf(buf, len, "%.*s", (int)n, s);
	return buf;
}

/* Loading 10,000 services takes about a second, but close to a minute
 * under ASan, whose realloc always copies (the services array grows one
 * at a time): those rows are tests of their own, tagged no_asan. */
static bool
row_is_slow(const struct row *r)
{
	return r->make == MAKE_SERVICES || r->make == MAKE_SAME_PORT;
}

/* The number of the rows that are slow (or not). */
static int
rows_count(bool slow)
{
	size_t i;
	int n = 0;

	for (i = 0; i < NROWS; i++)
		n += row_is_slow(&rows[i]) == slow;
	return n;
}

/* The index in rows[] of the nth row that is slow (or not). */
static int
rows_nth(bool slow, int nth)
{
	size_t i;
	int seen = 0;

	for (i = 0; i < NROWS; i++)
		if (row_is_slow(&rows[i]) == slow && seen++ == nth)
			return (int)i;
	ck_abort_msg("no row %d among the %s rows", nth,
	    slow ? "slow" : "quick");
	return -1;
}

static void
check_row(int i)
{
	static struct outcome o;
	const struct row *r = &rows[i];
	char got[8192];

	ck_assert_msg(run_row(r, &o) == 0, "row %d: %s", i, o.err);
	o.errlen = strip_sanitizer_lines(o.err);
	first_line(o.err, got, sizeof(got));
	ck_assert_msg(WIFEXITED(o.status) && WEXITSTATUS(o.status) == r->exit,
	    "row %d (%s): wait status %d, want exit %d; stderr:\n%s", i,
	    r->input, o.status, r->exit, o.err);
	ck_assert_msg(r->prefix
	        ? strncmp(got, r->message, strlen(r->message)) == 0
	        : strcmp(got, r->message) == 0,
	    "row %d (%s):\n got: %s\nwant: %s%s", i, r->input, got, r->message,
	    r->prefix ? "..." : "");
	/* One line, and for a usage error the usage after it. */
	if (r->exit == 2)
		ck_assert_ptr_nonnull(strstr(o.err, "\nusage: superd "));
	else
		ck_assert_msg(o.errlen == strlen(got) + 1,
		    "row %d: more than one line:\n%s", i, o.err);
}

START_TEST(every_malformed_input_gets_its_exact_message_and_exit_code)
{
	check_row(rows_nth(false, _i));
}
END_TEST

START_TEST(ten_thousand_services_get_their_exact_message_and_exit_code)
{
	if (SANITIZED) {
		harness_skip("ASan: row %d (%s) takes about a minute there",
		    rows_nth(true, _i), rows[rows_nth(true, _i)].input);
		return;
	}
	check_row(rows_nth(true, _i));
}
END_TEST

/* ---- the table, as markdown ---- */

/* Writes s with '|' escaped, for a table cell. */
static void
md_cell(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|')
			fputc('\\', fp);
		fputc(*s, fp);
	}
}

static void
md_table(FILE *fp)
{
	char args[64];
	const struct row *r;
	size_t i;

	fprintf(fp,
	    "| # | Input | Command | Exit | Message (stderr, first "
	    "line) |\n|---|---|---|---|---|\n");
	for (i = 0; i < NROWS; i++) {
		r = &rows[i];
		if (r->make == MAKE_LONG_PATH)
			snprintf(args, sizeof(args), "-t -c ./x/x/…/x");
		else
			snprintf(args, sizeof(args), "%s",
			    r->args ? r->args : "-t -c superd.ini");
		fprintf(fp, "| %zu | ", i + 1);
		md_cell(fp, r->input);
		fprintf(fp, " | `superd %s` | %d | ", args, r->exit);
		fputc('`', fp);
		md_cell(fp, r->message);
		fprintf(fp, "%s`", r->prefix ? "…" : "");
		if (r->note != NULL) {
			fprintf(fp, " (");
			md_cell(fp, r->note);
			fputc(')', fp);
		}
		fprintf(fp, " |\n");
	}
}

#define DOC_BEGIN "<!-- reliability-table: begin -->\n"
#define DOC_END "<!-- reliability-table: end -->\n"

START_TEST(the_table_in_docs_reliability_md_is_the_table_tested_here)
{
	static char doc[1 << 20], want[1 << 18];
	const char *b, *e;
	size_t n;
	FILE *fp = fopen(TEST_SRC_DIR "/../docs/reliability.md", "re");
	FILE *mem = fmemopen(want, sizeof(want), "w");

	ck_assert_ptr_nonnull(fp);
	n = fread(doc, 1, sizeof(doc) - 1, fp);
	doc[n] = '\0';
	fclose(fp);
	ck_assert_ptr_nonnull(mem);
	md_table(mem);
	fclose(mem);
	b = strstr(doc, DOC_BEGIN);
	e = strstr(doc, DOC_END);
	ck_assert_msg(b != NULL && e != NULL && b < e,
	    "docs/reliability.md has no table markers");
	b += strlen(DOC_BEGIN);
	ck_assert_msg((size_t)(e - b) == strlen(want) &&
	        memcmp(b, want, strlen(want)) == 0,
	    "docs/reliability.md's table differs from rows[]: regenerate it "
	    "with `build/tests/integ_reliability --markdown`");
}
END_TEST

START_TEST(the_table_has_at_least_thirty_rows)
{
	size_t i;

	ck_assert_uint_ge(NROWS, 30);
	for (i = 0; i < NROWS; i++)
		ck_assert_msg(rows[i].message != NULL && rows[i].input != NULL,
		    "row %zu is incomplete", i);
}
END_TEST

/* Prints what the binary says for each row, as C, to update rows[]. */
static int
print_actual(void)
{
	static struct outcome o;
	char line[8192];
	size_t i;

	for (i = 0; i < NROWS; i++) {
		if (run_row(&rows[i], &o) == -1) {
			printf("%zu: cannot run: %s\n", i, o.err);
			continue;
		}
		printf("%zu (%s): exit %d: %s\n", i, rows[i].input,
		    WIFEXITED(o.status) ? WEXITSTATUS(o.status) : -1,
		    first_line(o.err, line, sizeof(line)));
	}
	return 0;
}

static Suite *
make_reliability_suite(void)
{
	Suite *s = suite_create("reliability");
	TCase *tc = tcase_create("reliability");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc,
	    every_malformed_input_gets_its_exact_message_and_exit_code, 0,
	    rows_count(false));
	tcase_add_test(tc,
	    the_table_in_docs_reliability_md_is_the_table_tested_here);
	tcase_add_test(tc, the_table_has_at_least_thirty_rows);
	suite_add_tcase(s, tc);

	tc = tcase_create("ten_thousand_services");
	tcase_set_tags(tc, "no_asan");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc,
	    ten_thousand_services_get_their_exact_message_and_exit_code, 0,
	    rows_count(true));
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char *argv[])
{
	if (argc == 2 && strcmp(argv[1], "--markdown") == 0) {
		md_table(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--actual") == 0)
		return print_actual();
	return harness_main(make_reliability_suite());
}
