/* The test harness: real processes, real sockets, bounded waits. */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "harness.h"
#include "trust.h"

static char harness_dir[PATH_MAX / 2];
static uid_t harness_uid;
static gid_t harness_gid;
static rlim_t harness_nproc;
static pid_t harness_dir_owner;

/* As root: the trusted root, and where superd and its handlers are. */
static char harness_root[PATH_MAX / 4];
static pid_t harness_root_owner;
static char harness_bin[PATH_MAX], harness_handlers[PATH_MAX];
static char harness_probe[PATH_MAX];
static char harness_superctl[PATH_MAX];

static int
harness_rm(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	(void)remove(path); /* best effort: go on with the rest */
	return 0;
}

/* Check runs each test in a child that exits normally, pass or fail:
 * the directory goes with the process that made it. */
static void
harness_rmdir(void)
{
	if (harness_dir_owner == getpid())
		nftw(harness_dir, harness_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void
harness_rmroot(void)
{
	if (harness_root_owner == getpid())
		nftw(harness_root, harness_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Whether superd as root would trust path: the file and every directory
 * on the way to it are root's alone. */
static bool
harness_trusted(const char *path)
{
	char why[CONFIG_ERR_MAX];
	struct stat st;

	return stat(path, &st) == 0 &&
	    trust_file(st.st_uid, st.st_gid, st.st_mode, why, sizeof(why)) &&
	    trust_dirs(path, why, sizeof(why)) == 0;
}

/* Whether every directory on the way to path lets others through: the
 * tests run handlers and the probe as nobody, which a checkout under a
 * 0700 home (/root) would stop. */
static bool
harness_reachable(const char *path)
{
	char buf[PATH_MAX];
	struct stat st;
	char *p;

	if (realpath(path, buf) == NULL)
		return false;
	while ((p = strrchr(buf, '/')) != NULL && p != buf) {
		*p = '\0';
		if (stat(buf, &st) == -1 || (st.st_mode & S_IXOTH) == 0)
			return false;
	}
	return true;
}

/* A root-owned 0755 directory made with mkdtemp where superd as root
 * trusts what the tests put: /tmp never qualifies (others can write it),
 * and scripts must be able to run there.  Returns -1 if no candidate
 * does. */
static int
harness_make_root(void)
{
	static const char *const bases[] = { "/run", "/var/lib" };
	struct statvfs vfs;
	size_t i;

	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (!harness_trusted(bases[i]) ||
		    statvfs(bases[i], &vfs) == -1 ||
		    (vfs.f_flag & ST_NOEXEC) != 0)
			continue;
		snprintf(harness_root, sizeof(harness_root),
		    "%s/superd-test.XXXXXX", bases[i]);
		if (mkdtemp(harness_root) == NULL ||
		    chmod(harness_root, 0755) == -1)
			continue;
		harness_root_owner = getpid();
		atexit(harness_rmroot);
		return 0;
	}
	harness_root[0] = '\0';
	return -1;
}

const char *
harness_base(void)
{
	const char *tmp = getenv("TMPDIR");

	if (geteuid() != 0)
		return tmp != NULL ? tmp : "/tmp";
	if (harness_root[0] == '\0')
		ck_assert_msg(harness_make_root() == 0,
		    "no trusted directory for test files as root: neither "
		    "/run nor /var/lib is root's alone and allows exec");
	return harness_root;
}

static const char *
harness_tmpdir(void)
{
	if (harness_dir[0] != '\0')
		return harness_dir;
	snprintf(harness_dir, sizeof(harness_dir), "%s/superd-test.XXXXXX",
	    harness_base());
	ck_assert_msg(mkdtemp(harness_dir) != NULL, "mkdtemp: %s",
	    strerror(errno));
	harness_dir_owner = getpid();
	atexit(harness_rmdir);
	return harness_dir;
}

/* Copies src to a new file dst, mode 0755. */
static int
harness_copy(const char *src, const char *dst)
{
	char buf[65536];
	ssize_t n;
	int in, out, rc = 0;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (out == -1) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	if (n != 0)
		rc = -1;
	close(in);
	if (close(out) == -1)
		rc = -1;
	return rc;
}

/* mkdir -p, each new directory 0755. */
static int
harness_mkdirs(const char *path)
{
	char buf[PATH_MAX];
	char *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strchr(buf + 1, '/');; p = strchr(p + 1, '/')) {
		if (p != NULL)
			*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return -1;
		if (p == NULL)
			return 0;
		*p = '/';
	}
}

/* Every executable regular file of HANDLER_DIR into the directory to. */
static int
harness_copy_handlers(const char *to)
{
	char src[PATH_MAX], dst[PATH_MAX + 256];
	DIR *d = opendir(HANDLER_DIR);
	struct dirent *de;
	struct stat st;
	int rc = 0;

	if (d == NULL)
		return -1;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		snprintf(src, sizeof(src), "%s/%s", HANDLER_DIR, de->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", to, de->d_name);
		if (stat(src, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & S_IXUSR) != 0)
			rc = harness_copy(src, dst);
	}
	closedir(d);
	return rc;
}

/* superd as root refuses handlers under a directory others can write, so
 * a build tree that is not root's alone (a checkout under /tmp, as CI's
 * may be), or one that nobody cannot reach (under /root), is run from
 * copies in the trusted root, the probe included: superd there finds its
 * handlers at SUPERD_HANDLER_REL from itself, as an installed one does.
 * Returns -1 with errno if the copies cannot be made. */
static int
harness_locate(void)
{
	char dir[PATH_MAX], page[PATH_MAX + 16];

	snprintf(harness_bin, sizeof(harness_bin), "%s", SUPERD_BUILT_BIN);
	snprintf(harness_handlers, sizeof(harness_handlers), "%s", HANDLER_DIR);
	snprintf(harness_probe, sizeof(harness_probe), "%s", PROBE_BIN);
	snprintf(harness_superctl, sizeof(harness_superctl), "%s",
	    SUPERCTL_BIN);
	if (geteuid() != 0 ||
	    (harness_trusted(HANDLER_DIR "/echo") &&
	        harness_reachable(HANDLER_DIR "/echo") &&
	        harness_reachable(PROBE_BIN) &&
	        harness_reachable(SUPERCTL_BIN)))
		return 0;
	if (harness_root[0] == '\0' && harness_make_root() == -1)
		return -1;
	snprintf(harness_bin, sizeof(harness_bin), "%s/sbin/superd",
	    harness_root);
	snprintf(dir, sizeof(dir), "%s/sbin/%s", harness_root,
	    SUPERD_HANDLER_REL);
	/* superd tidies "sbin/../libexec/superd" the same way. */
	snprintf(harness_probe, sizeof(harness_probe), "%s/probe",
	    harness_root);
	snprintf(harness_superctl, sizeof(harness_superctl), "%s/superctl",
	    harness_root);
	if (harness_mkdirs(dir) == -1 ||
	    realpath(dir, harness_handlers) == NULL ||
	    harness_copy(SUPERD_BUILT_BIN, harness_bin) == -1 ||
	    harness_copy(PROBE_BIN, harness_probe) == -1 ||
	    harness_copy(SUPERCTL_BIN, harness_superctl) == -1)
		return -1;
	if (harness_copy_handlers(harness_handlers) == -1)
		return -1;
	/* The shipped pages, where superd finds them beside the handlers
	 * (share/superd beside libexec/superd). */
	snprintf(dir, sizeof(dir), "%s/share/superd/chat", harness_root);
	snprintf(page, sizeof(page), "%s/index.html", dir);
	if (harness_mkdirs(dir) == -1 ||
	    harness_copy(BUILD_DIR "/share/superd/chat/index.html", page) == -1)
		return -1;
	return 0;
}

const char *
harness_probe_bin(void)
{
	(void)harness_superd_bin();
	return harness_probe;
}

const char *
harness_superctl_bin(void)
{
	(void)harness_superd_bin();
	return harness_superctl;
}

const char *
harness_superd_bin(void)
{
	if (harness_bin[0] == '\0')
		ck_assert_msg(harness_locate() == 0,
		    "copying superd and its handlers to %s: %s", harness_root,
		    strerror(errno));
	return harness_bin;
}

const char *
harness_handler_dir(void)
{
	(void)harness_superd_bin();
	return harness_handlers;
}

static const char *
harness_write(const char *name, const char *text, mode_t mode)
{
	static char path[PATH_MAX];
	size_t len = strlen(text);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", harness_tmpdir(), name);
	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ck_assert_msg(fd != -1, "open %s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
	return path;
}

const char *
harness_file(const char *name, const char *text)
{
	return harness_write(name, text, 0644);
}

const char *
harness_script(const char *name, const char *text)
{
	return harness_write(name, text, 0755);
}

/* Each test runs in a child of harness_main: a skip is a line appended
 * to a file named in the environment, one write(2) each, so lines from
 * tests that run at once never mix. */
#define HARNESS_SKIPS_ENV "SUPERD_TEST_SKIPS"

void
harness_skip_test(const char *func, const char *fmt, ...)
{
	const char *path = getenv(HARNESS_SKIPS_ENV);
	size_t flen = strlen(func), len;
	char line[512];
	va_list ap;
	int fd;

	ck_assert_msg(path != NULL, "harness_skip outside harness_main");
	/* START_TEST(name) defines name_fn. */
	if (flen > 3 && strcmp(func + flen - 3, "_fn") == 0)
		flen -= 3;
	len = (size_t)snprintf(line, sizeof(line), "%.*s: ", (int)flen, func);
	va_start(ap, fmt);
	if (len < sizeof(line))
		len +=
		    (size_t)vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	va_end(ap);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	ck_assert_msg(fd != -1, "open %s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, line, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

/* Prints the skips recorded in fd, closes it and returns how many there
 * were, or -1 if it cannot read them. */
static int
harness_report_skips(int fd)
{
	char line[512];
	FILE *fp;
	int n = 0;

	if (lseek(fd, 0, SEEK_SET) == -1 || (fp = fdopen(fd, "re")) == NULL) {
		perror("skips");
		(void)close(fd);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		printf("skipped %s", line);
		n++;
	}
	fclose(fp);
	return n;
}

int
harness_main(Suite *s)
{
	const char *base = getenv("TMPDIR"), *strict;
	char path[PATH_MAX];
	int fd, run, failed, skipped, passed;
	SRunner *sr;

	/* Once, before Check forks a process per test: the trusted root and
	 * the copies serve every test and go when this process exits. */
	if ((geteuid() == 0 && harness_make_root() == -1) ||
	    harness_locate() == -1) {
		fprintf(stderr,
		    "harness: as root, tests need a trusted directory under "
		    "/run or /var/lib, with copies of superd and its handlers "
		    "when the build tree is not root's alone: %s\n",
		    strerror(errno));
		return EXIT_FAILURE;
	}
	snprintf(path, sizeof(path), "%s/superd-skips.XXXXXX",
	    base != NULL ? base : "/tmp");
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1 ||
	    setenv(HARNESS_SKIPS_ENV, path, 1) == -1) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return EXIT_FAILURE;
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	run = srunner_ntests_run(sr);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	(void)unlink(path);
	if ((skipped = harness_report_skips(fd)) == -1)
		return EXIT_FAILURE;
	/* A skipped test that failed all the same counts once, as failed. */
	passed = run - failed - skipped > 0 ? run - failed - skipped : 0;
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	strict = getenv("SUPERD_TEST_NO_SKIP");
	if (run == 0) {
		printf("no test ran (CK_INCLUDE_TAGS, CK_EXCLUDE_TAGS and "
		       "CK_RUN_CASE choose none)\n");
		return EXIT_FAILURE;
	}
	if (failed > 0)
		return EXIT_FAILURE;
	if (skipped > 0 && strict != NULL && strcmp(strict, "1") == 0) {
		printf("SUPERD_TEST_NO_SKIP=1: a skip is a failure\n");
		return EXIT_FAILURE;
	}
	return skipped > 0 ? HARNESS_EXIT_SKIPPED : EXIT_SUCCESS;
}

int
harness_free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	ck_assert_int_ne(fd, -1);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

void
harness_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

bool
harness_until(bool (*cond)(void *), void *arg, int timeout_ms)
{
	long long end = clock_ms() + timeout_ms;

	for (;;) {
		if (cond(arg))
			return true;
		if (clock_ms() >= end)
			return cond(arg);
		harness_sleep_ms(10);
	}
}

/* ---- superd under test ---- */

void
harness_execv(const char *path, const char *const *argv)
{
	char *const *args;

	memcpy(&args, &argv, sizeof(args));
	execv(path, args);
}

static void __attribute__((noreturn))
harness_exec_superd(int errw, const char *const *argv)
{
	int null = open("/dev/null", O_RDWR);

	/* If the test dies, superd dies with it: no stray daemons. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (harness_nproc != 0 &&
	    setrlimit(RLIMIT_NPROC,
	        &(struct rlimit){ harness_nproc, harness_nproc }) == -1)
		_exit(125);
	if (harness_uid != 0 &&
	    (setgroups(0, NULL) == -1 || setgid(harness_gid) == -1 ||
	        setuid(harness_uid) == -1))
		_exit(125);
	if (null == -1 || dup2(null, 0) == -1 || dup2(null, 1) == -1 ||
	    dup2(errw, 2) == -1)
		_exit(126);
	harness_execv(argv[0], argv);
	_exit(127);
}

void
harness_run_as(uid_t uid, gid_t gid, unsigned long nproc)
{
	harness_uid = uid;
	harness_gid = gid;
	harness_nproc = (rlim_t)nproc;
	/* The new user must be able to read the config and run scripts. */
	if (uid != 0)
		ck_assert_int_eq(chmod(harness_tmpdir(), 0755), 0);
}

void
superd_start_argv(struct superd *sd, const char *const *argv)
{
	int p[2];

	memset(sd, 0, sizeof(*sd));
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	sd->log = calloc(1, HARNESS_LOG_MAX + 1);
	ck_assert_ptr_nonnull(sd->log);
	sd->pid = fork();
	ck_assert_int_ne(sd->pid, -1);
	if (sd->pid == 0)
		harness_exec_superd(p[1], argv);
	close(p[1]);
	sd->errfd = p[0];
}

void
superd_start_file(struct superd *sd, const char *file, const char *const *extra)
{
	const char *argv[16] = { SUPERD_BIN, "-c", file };
	size_t n = 3;

	while (extra != NULL && *extra != NULL && n < 15)
		argv[n++] = *extra++;
	argv[n] = NULL;
	superd_start_argv(sd, argv);
}

/* True if some line of text sets key. */
static bool
harness_sets(const char *text, const char *key)
{
	size_t n = strlen(key);
	const char *p;

	for (p = text; p != NULL && *p != '\0';
	     p = strchr(p, '\n') != NULL ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, n) != 0)
			continue;
		if (p[n + strspn(p + n, " \t")] == '=' ||
		    p[n + strspn(p + n, " \t")] == ':')
			return true;
	}
	return false;
}

/* Where header starts a line of config, or NULL. */
static const char *
harness_header_at(const char *config, const char *header)
{
	const char *at = strstr(config, header);

	while (at != NULL && at != config && at[-1] != '\n')
		at = strstr(at + 1, header);
	return at;
}

static bool
harness_has_header(const char *config, const char *header)
{
	return harness_header_at(config, header) != NULL;
}

/* A copy of config (malloc'd) with line in section header: right after
 * an existing header, else in a section appended at the end, so the
 * lines of the test's own text keep their numbers. */
static char *
harness_with_line(const char *config, const char *header, const char *line)
{
	size_t len = strlen(config);
	const char *at = harness_header_at(config, header), *eol;
	char *out = malloc(len + strlen(header) + strlen(line) + 3);

	ck_assert_ptr_nonnull(out);
	if (at != NULL && (eol = strchr(at, '\n')) != NULL) {
		sprintf(out, "%.*s%s%s", (int)(eol + 1 - config), config, line,
		    eol + 1);
	} else {
		sprintf(out, "%s%s%s\n%s", config,
		    len > 0 && config[len - 1] != '\n' ? "\n" : "",
		    at != NULL ? "" : header, line);
	}
	return out;
}

/* As root, superd's control socket is /run/superd/control unless the
 * config says otherwise: one path for every superd the suite runs at
 * once, and each start probes it, so the superd holding it would see
 * the others' connections (and an extra descriptor).  A test that wants
 * a control socket names its own.  A copy (malloc'd). */
static char *
harness_control_off(const char *config)
{
	char *out;

	/* A [supervisor] of the test's own is left alone: a line added
	 * there would move the numbers of the lines below it. */
	if (geteuid() != 0 || harness_sets(config, "control") ||
	    harness_has_header(config, "[supervisor]")) {
		out = strdup(config);
		ck_assert_ptr_nonnull(out);
		return out;
	}
	return harness_with_line(config, "[supervisor]", "control = off\n");
}

/* True if p, at the start of a line, is "user = root" ending the line. */
static bool
harness_user_root_at(const char *p)
{
	static const char line[] = "user = root";

	return strncmp(p, line, sizeof(line) - 1) == 0 &&
	    strchr("\r\n", p[sizeof(line) - 1]) != NULL;
}

char *
harness_as_self(const char *config)
{
	const struct passwd *pw;
	const char *p;
	size_t n = 0, len;
	char *out, *o;

	if (geteuid() == 0)
		return harness_control_off(config);
	pw = getpwuid(geteuid());
	ck_assert_msg(pw != NULL, "no user name for uid %d", (int)geteuid());
	for (p = config; *p != '\0'; p++)
		n += (p == config || p[-1] == '\n') && harness_user_root_at(p);
	len = strlen(config) + n * strlen(pw->pw_name);
	out = o = malloc(len + 1);
	ck_assert_ptr_nonnull(out);
	for (p = config; *p != '\0';) {
		if ((p == config || p[-1] == '\n') && harness_user_root_at(p)) {
			o += sprintf(o, "user = %s", pw->pw_name);
			p += strlen("user = root");
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

void
superd_start(struct superd *sd, const char *config, ...)
{
	const char *extra[12];
	char *text, *root = NULL;
	size_t n = 0;
	va_list ap;

	va_start(ap, config);
	while (n < 11 && (extra[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	extra[n] = NULL;
	if (geteuid() == 0 && harness_uid == 0 && !harness_sets(config, "user"))
		config = root =
		    harness_with_line(config, "[defaults]", "user = root\n");
	text = harness_control_off(config);
	superd_start_file(sd, harness_file("superd.ini", text), extra);
	free(root);
	free(text);
}

/* Reads what superd has written, waiting at most timeout_ms.  Returns
 * false at EOF. */
static bool
superd_read_log(struct superd *sd, int timeout_ms)
{
	struct pollfd pfd = { sd->errfd, POLLIN, 0 };
	ssize_t n;

	if (sd->errfd == -1)
		return false;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return true;
	if (sd->loglen >= HARNESS_LOG_MAX) {
		/* Keep reading so superd never blocks on a full pipe. */
		char sink[4096];
		return read(sd->errfd, sink, sizeof(sink)) > 0;
	}
	n = read(sd->errfd, sd->log + sd->loglen, HARNESS_LOG_MAX - sd->loglen);
	if (n <= 0) {
		close(sd->errfd);
		sd->errfd = -1;
		return false;
	}
	sd->loglen += (size_t)n;
	sd->log[sd->loglen] = '\0';
	return true;
}

void
superd_drain(struct superd *sd)
{
	struct pollfd pfd = { sd->errfd, POLLIN, 0 };

	while (
	    sd->errfd != -1 && poll(&pfd, 1, 0) == 1 && superd_read_log(sd, 0))
		;
}

const char *
superd_wait_log(struct superd *sd, const char *needle, int timeout_ms,
    size_t *from)
{
	long long end = clock_ms() + timeout_ms;
	size_t start = from != NULL ? *from : 0;
	const char *hit;
	long long left;

	for (;;) {
		hit = start <= sd->loglen ? strstr(sd->log + start, needle)
		                          : NULL;
		if (hit != NULL) {
			if (from != NULL)
				*from =
				    (size_t)(hit - sd->log) + strlen(needle);
			return hit;
		}
		left = end - clock_ms();
		if (left <= 0 || !superd_read_log(sd, (int)left))
			return NULL;
	}
}

const char *
superd_stats(struct superd *sd, const char *service)
{
	static char line[2048];
	char needle[64];
	const char *hit;
	size_t from;

	superd_drain(sd);
	from = sd->loglen;
	ck_assert_int_eq(kill(sd->pid, SIGUSR1), 0);
	snprintf(needle, sizeof(needle), " %s: stats ", service);
	hit = superd_wait_log(sd, needle, 5000, &from);
	ck_assert_msg(hit != NULL, "no stats line for %s:\n%s", service,
	    sd->log);
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(hit, "\n"), hit);
	return line;
}

size_t
superd_log_count(const struct superd *sd, const char *needle)
{
	const char *p = sd->log;
	size_t n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

size_t
superd_wait_count(struct superd *sd, const char *needle, size_t count,
    int timeout_ms)
{
	long long end = clock_ms() + timeout_ms;
	size_t n;

	while ((n = superd_log_count(sd, needle)) < count && clock_ms() < end &&
	    superd_read_log(sd, 10))
		;
	return n;
}

bool
superd_wait_childless(struct superd *sd, int timeout_ms)
{
	long long end = clock_ms() + timeout_ms;

	while (proc_children(sd->pid, NULL, 0) > 0) {
		if (clock_ms() >= end)
			return false;
		/* Waits up to 10 ms, returning early on a line. */
		if (!superd_read_log(sd, 10))
			harness_sleep_ms(10);
	}
	return true;
}

int
superd_port(struct superd *sd, const char *service)
{
	char needle[128];
	const char *hit;
	unsigned long port;

	snprintf(needle, sizeof(needle),
	    " %s: listening on 127.0.0.1:", service);
	hit = superd_wait_log(sd, needle, 5000, NULL);
	ck_assert_msg(hit != NULL, "no listening line for %s; log:\n%s",
	    service, sd->log);
	port = strtoul(hit + strlen(needle), NULL, 10);
	ck_assert(port > 0 && port < 65536);
	return (int)port;
}

bool
superd_wait_exit(struct superd *sd, int timeout_ms)
{
	long long end = clock_ms() + timeout_ms;
	pid_t r;

	if (sd->reaped)
		return true;
	for (;;) {
		/* Drain the log so superd cannot block writing to it. */
		superd_read_log(sd, 0);
		r = waitpid(sd->pid, &sd->status, WNOHANG);
		if (r == sd->pid) {
			sd->reaped = true;
			while (superd_read_log(sd, 100))
				;
			return true;
		}
		if (clock_ms() >= end)
			return false;
		harness_sleep_ms(5);
	}
}

void
superd_cleanup(struct superd *sd)
{
	pid_t kids[256];
	size_t i, n;

	if (sd->pid > 0 && !sd->reaped) {
		/* A test that ends with handlers alive would leave them running
		 * after superd's SIGKILL (a SIGTERM-ignoring one did, for every
		 * run): stopped, superd starts no more while each handler's
		 * group is killed. */
		kill(sd->pid, SIGSTOP);
		n = proc_children(sd->pid, kids,
		    sizeof(kids) / sizeof(kids[0]));
		for (i = 0; i < n; i++) {
			kill(-kids[i], SIGKILL);
			kill(kids[i], SIGKILL);
		}
		kill(sd->pid, SIGKILL);
		waitpid(sd->pid, &sd->status, 0);
		sd->reaped = true;
	}
	if (sd->errfd != -1)
		close(sd->errfd);
	sd->errfd = -1;
	free(sd->log);
	sd->log = NULL;
}

void
harness_slurp(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
}

static int
superd_run_argv(const char *const *argv, char *out, size_t outlen, char *err,
    size_t errlen)
{
	int po[2], pe[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe2(po, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(pe, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (dup2(po[1], 1) == -1 || dup2(pe[1], 2) == -1)
			_exit(126);
		harness_execv(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* Output here is small: reading one pipe then the other is safe. */
	harness_slurp(po[0], out, outlen);
	harness_slurp(pe[0], err, errlen);
	close(po[0]);
	close(pe[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

/* Collects the NULL-terminated arguments after bin into argv. */
#define HARNESS_ARGV(argv, bin, last)                                          \
	do {                                                                   \
		va_list ap;                                                    \
		size_t n = 1;                                                  \
		argv[0] = bin;                                                 \
		va_start(ap, last);                                            \
		while (n < 15 && (argv[n] = va_arg(ap, const char *)) != NULL) \
			n++;                                                   \
		va_end(ap);                                                    \
		argv[n] = NULL;                                                \
	} while (0)

int
superd_run(char *out, size_t outlen, char *err, size_t errlen, ...)
{
	const char *argv[16];

	HARNESS_ARGV(argv, SUPERD_BIN, errlen);
	return superd_run_argv(argv, out, outlen, err, errlen);
}

int
superd_run_bin(const char *bin, char *out, size_t outlen, char *err,
    size_t errlen, ...)
{
	const char *argv[16];

	HARNESS_ARGV(argv, bin, errlen);
	return superd_run_argv(argv, out, outlen, err, errlen);
}

/* ---- clients ---- */

/* Fills ss for ip:port; fails the test if ip is not an address. */
static socklen_t
harness_addr(const char *ip, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port);
		return sizeof(*sin);
	}
	ck_assert_int_eq(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((unsigned short)port);
	return sizeof(*sin6);
}

int
tcp_connect_from(const char *src, const char *host, int port)
{
	struct sockaddr_storage ss, from;
	struct timeval tv = { 5, 0 };
	socklen_t len, fromlen;
	int fd, saved;

	len = harness_addr(host, port, &ss);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	                     sizeof(tv)),
	    0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	                     sizeof(tv)),
	    0);
	if (src != NULL) {
		fromlen = harness_addr(src, 0, &from);
		ck_assert_msg(bind(fd, (struct sockaddr *)&from, fromlen) == 0,
		    "bind %s: %s", src, strerror(errno));
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
tcp_connect(const char *host, int port)
{
	return tcp_connect_from(NULL, host, port);
}

int
unix_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ne(fd, -1);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	                     sizeof(tv)),
	    0);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int
udp_client(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ne(fd, -1);
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	                     sizeof(tv)),
	    0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

const char *
harness_path(const char *name)
{
	static char buf[4][256];
	static int i;
	const char *any = harness_file("anchor", "");
	const char *slash = strrchr(any, '/');

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%.*s/%s", (int)(slash - any), any,
	    name);
	ck_assert_uint_lt(strlen(buf[i]),
	    sizeof(((struct sockaddr_un *)0)->sun_path));
	return buf[i];
}

void
tcp_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		ck_assert_msg(n > 0, "send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

size_t
tcp_read_all(int fd, char *buf, size_t len, int timeout_ms)
{
	long long end = clock_ms() + timeout_ms;
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t got = 0;
	long long left;
	ssize_t n;

	while (got < len) {
		left = end - clock_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

size_t
tcp_exchange(int port, const char *msg, char *buf, size_t len)
{
	int fd = tcp_connect("127.0.0.1", port);
	size_t n;

	ck_assert_msg(fd != -1, "connect to %d: %s", port, strerror(errno));
	tcp_send(fd, msg, strlen(msg));
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	n = tcp_read_all(fd, buf, len - 1, 5000);
	buf[n] = '\0';
	close(fd);
	return n;
}

size_t
tcp_read_line(int fd, char *buf, size_t len)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t n = 0;

	while (n + 1 < len && poll(&pfd, 1, 5000) == 1 &&
	    read(fd, buf + n, 1) == 1)
		if (buf[n++] == '\n')
			break;
	buf[n] = '\0';
	return n;
}

/* ---- /proc ---- */

int
proc_fd_count(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	ck_assert_msg(d != NULL, "opendir %s: %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int
proc_lowest_free_fd(pid_t pid)
{
	char path[64];
	int fd;

	/* The kernel hands out the lowest free number: find the first gap. */
	for (fd = 0;; fd++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
		if (access(path, F_OK) == -1)
			return fd;
	}
}

/* Reads state and ppid from /proc/PID/stat; returns false if gone. */
static bool
proc_stat(pid_t pid, char *state, pid_t *ppid)
{
	char path[64], buf[512], *p;
	FILE *fp;
	int pp;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return false;
	ok = fgets(buf, sizeof(buf), fp) != NULL;
	fclose(fp);
	/* The command name may hold spaces and parentheses: skip to the
	 * last ')'. */
	if (!ok || (p = strrchr(buf, ')')) == NULL)
		return false;
	if (sscanf(p + 1, " %c %d", state, &pp) != 2)
		return false;
	*ppid = pp;
	return true;
}

static size_t
proc_scan(pid_t parent, bool zombies_only, pid_t *out, size_t max)
{
	struct dirent *de;
	DIR *d = opendir("/proc");
	size_t n = 0;
	char state;
	pid_t pid, ppid;
	char *end;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		pid = (pid_t)strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		if (!proc_stat(pid, &state, &ppid) || ppid != parent)
			continue;
		if (zombies_only && state != 'Z')
			continue;
		if (out != NULL && n < max)
			out[n] = pid;
		n++;
	}
	closedir(d);
	return n;
}

int
proc_zombie_children(pid_t pid)
{
	return (int)proc_scan(pid, true, NULL, 0);
}

size_t
proc_children(pid_t pid, pid_t *out, size_t max)
{
	return proc_scan(pid, false, out, max);
}

long
proc_cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long utime, stime;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fp = fopen(path, "re");
	ck_assert_ptr_nonnull(fp);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	p = strrchr(buf, ')');
	ck_assert_ptr_nonnull(p);
	/* Fields 14 and 15: after ")" come state (3) … utime (14). */
	ck_assert_int_eq(
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	        &utime, &stime),
	    2);
	return (long)(utime + stime);
}

void
proc_starve_fds(pid_t pid, struct rlimit *orig)
{
	struct rlimit low;

	ck_assert_int_eq(prlimit(pid, RLIMIT_NOFILE, NULL, orig), 0);
	low = *orig;
	low.rlim_cur = (rlim_t)proc_lowest_free_fd(pid);
	ck_assert_int_eq(prlimit(pid, RLIMIT_NOFILE, &low, NULL), 0);
}

void
proc_assert_not_spinning(pid_t pid)
{
	long cpu0 = proc_cpu_ticks(pid), cpu1;

	harness_sleep_ms(1000);
	cpu1 = proc_cpu_ticks(pid);
	ck_assert_msg(cpu1 - cpu0 < 30, "superd used %ld ticks in 1s",
	    cpu1 - cpu0);
}

long long
proc_cpu_ns(pid_t pid)
{
	char path[64];
	long long ns;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	fp = fopen(path, "re");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fscanf(fp, "%lld", &ns), 1);
	fclose(fp);
	return ns;
}

bool
proc_blocks(pid_t pid, int sig)
{
	char path[64], line[256];
	unsigned long long mask = 0;
	bool found = false;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		found = sscanf(line, "SigBlk: %llx", &mask) == 1;
	fclose(fp);
	return found && (mask >> (sig - 1) & 1) != 0;
}

bool
proc_alive(pid_t pid)
{
	char state;
	pid_t ppid;

	return proc_stat(pid, &state, &ppid) && state != 'Z';
}
