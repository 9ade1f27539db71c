/* Test harness: temporary files, the real superd binary under test, TCP
 * clients on 127.0.0.1, and /proc inspection.  Every helper is bounded in
 * time; every process it starts is tracked by PID and killed by PID. */
#ifndef SUPERD_HARNESS_H
#define SUPERD_HARNESS_H

#include <sys/resource.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include <check.h>

#define HARNESS_LOG_MAX (4 * 1024 * 1024)

/* The exit status of a test binary when some test was skipped and none
 * failed: CTest's SKIP_RETURN_CODE for every entry (tests/CMakeLists.txt). */
#define HARNESS_EXIT_SKIPPED 77

/* Runs every test of s (each in its own process; CK_INCLUDE_TAGS and
 * CK_EXCLUDE_TAGS pick tcases by tag), prints "N passed, N failed, N
 * skipped" and the reason of each skip, and returns the exit status for
 * main: EXIT_FAILURE if a test failed or none ran (a filter that matches
 * nothing must not pass), HARNESS_EXIT_SKIPPED if a test was skipped,
 * EXIT_SUCCESS otherwise.  With SUPERD_TEST_NO_SKIP=1 in the environment a
 * skip is a failure: for a run that exists to run the tests a skip would
 * hide. */
int harness_main(Suite *s);

/* Records that the running test is skipped, because the precondition that
 * fmt (printf-style) names is missing, for harness_main to count and
 * show.  The test must return right after, having checked nothing; call
 * it from the test's own body, whose name it records.  A test that can
 * skip belongs in a tcase of its own, tagged with the condition it needs
 * (root, unprivileged, ...), so that the tests of the other tcases still
 * count as passed: see tests/CMakeLists.txt. */
#define harness_skip(...) harness_skip_test(__func__, __VA_ARGS__)
void harness_skip_test(const char *func, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes text to a new file in a private directory under harness_base()
 * (made on first use, removed when the test ends) and returns
 * its path (static storage, valid until the next call). */
const char *harness_file(const char *name, const char *text);

/* Same, and makes it executable: for shell-script handlers. */
const char *harness_script(const char *name, const char *text);

/*
 * The directory under which tests make their files.  As root, a fresh
 * root-owned 0755 directory under /run (or /var/lib), made once per test
 * program and removed when it exits, since superd as root refuses a file
 * under a directory others can write, /tmp included.  Otherwise $TMPDIR
 * or /tmp.
 */
const char *harness_base(void);

/*
 * The superd that tests run, and the directory of the shipped handlers it
 * uses: the build tree's, or, as root when the build tree is not root's
 * alone (a checkout under /tmp), copies of both under harness_base().
 * SUPERD_BIN names it for the tests; HANDLER_DIR stays the build tree's,
 * for running handlers without superd.
 */
const char *harness_superd_bin(void);
const char *harness_handler_dir(void);
#define SUPERD_BIN harness_superd_bin()

/* The probe handler, likewise: the build tree's, or its copy beside
 * superd's when nobody could not reach the build tree. */
const char *harness_probe_bin(void);

/* superctl, likewise (a client that tests run as nobody too). */
const char *harness_superctl_bin(void);

struct superd {
	pid_t pid;
	int errfd; /* read end of superd's stderr */
	char *log; /* everything read so far, NUL-ended */
	size_t loglen;
	int status; /* wait status once reaped */
	bool reaped;
};

/* Runs the superd processes this test starts from now on as uid/gid
 * (the test must be root; 0 for no change), with RLIMIT_NPROC set to
 * nproc (0 for no change). */
void harness_run_as(uid_t uid, gid_t gid, unsigned long nproc);

/* Starts superd -c FILE with the given config text and extra arguments
 * (NULL-terminated), stderr captured.  superd dies with the test process.
 *
 * A superd running as root refuses a service without `user`.  So when
 * this superd will run as root (the test is root and harness_run_as has
 * not switched users) and no line of config sets `user`, `user = root`
 * is added: right after the [defaults] header if there is one (the lines
 * below it move down by one), else as a [defaults] section appended at
 * the end (no line moves).  superd_start_file and superd_run never change
 * a file: tests of the root rule itself use those. */
void superd_start(struct superd *sd, const char *config, ...);

/* A copy of config (malloc'd, for free) for a superd that runs as this
 * process's user: as root the same text; otherwise each line `user =
 * root` says `user = NAME` instead, NAME this user's (the line ends as
 * before, lines keep their numbers).  An unprivileged superd refuses
 * `user = root` but runs handlers as its own user; a test whose subject
 * is not privileges can then run as root and as nobody alike. */
char *harness_as_self(const char *config);

/* Starts argv (argv[0] a path: superd, or a wrapper that runs it) the
 * same way: stderr captured, killed if the test dies. */
void superd_start_argv(struct superd *sd, const char *const *argv);

/* Same, with a config file already written. */
void superd_start_file(struct superd *sd, const char *file,
    const char *const *extra);

/* Waits up to timeout_ms for needle to appear in the log (at or after
 * offset *from, if from is not NULL; *from is then moved past it).
 * Returns a pointer into sd->log or NULL on timeout or EOF. */
const char *superd_wait_log(struct superd *sd, const char *needle,
    int timeout_ms, size_t *from);

/* Reads whatever superd has logged so far without waiting, so a long
 * test never lets superd block on a full stderr pipe. */
void superd_drain(struct superd *sd);

/* Sends SIGUSR1 and returns the stats line of service that it logs (text
 * log format), without its newline, in a static buffer; fails the test
 * if none comes within 5 s. */
const char *superd_stats(struct superd *sd, const char *service);

/* Counts occurrences of needle in the log read so far. */
size_t superd_log_count(const struct superd *sd, const char *needle);

/* Waits up to timeout_ms until needle occurs at least count times in the
 * log.  Returns the count then. */
size_t superd_wait_count(struct superd *sd, const char *needle, size_t count,
    int timeout_ms);

/* Waits up to timeout_ms until superd has no child at all: reaped, not
 * merely exited (a client sees EOF as a handler's files close, before it
 * is even a zombie).  Reads the log meanwhile.  Returns whether it came. */
bool superd_wait_childless(struct superd *sd, int timeout_ms);

/* Waits for "<service>: listening on 127.0.0.1:PORT" and returns PORT,
 * failing the test if it does not come within 5 s. */
int superd_port(struct superd *sd, const char *service);

/* Waits up to timeout_ms for superd to exit.  Returns true if it did. */
bool superd_wait_exit(struct superd *sd, int timeout_ms);

/* SIGKILLs superd if still running, reaps it, frees the log. */
void superd_cleanup(struct superd *sd);

/* Runs superd to completion with argv (NULL-terminated, without argv[0])
 * and returns its wait status; stdout and stderr go to out/err. */
int superd_run(char *out, size_t outlen, char *err, size_t errlen, ...);

/* The same with another superd binary (e.g. an installed one). */
int superd_run_bin(const char *bin, char *out, size_t outlen, char *err,
    size_t errlen, ...);

/* A blocking TCP client connected to host:port, with 5 s I/O timeouts;
 * -1 with errno if connect fails. */
int tcp_connect(const char *host, int port);

/* The same from source address src (127.0.0.2, ::1, ...). */
int tcp_connect_from(const char *src, const char *host, int port);

/* A unix stream client of path, with 5 s receive timeouts; -1 with errno
 * if connect fails. */
int unix_connect(const char *path);

/* A UDP socket connected to 127.0.0.1:port, answers awaited 5 s. */
int udp_client(int port);

/* name in this test's private directory (harness_file's, trusted by a
 * superd that is root), short enough for a unix socket; a static
 * buffer, one of four. */
const char *harness_path(const char *name);

/* Connects, sends msg, half-closes, and reads the reply to EOF into buf
 * (NUL-terminated).  Returns the reply length. */
size_t tcp_exchange(int port, const char *msg, char *buf, size_t len);

/* Writes all of buf; fails the test on error. */
void tcp_send(int fd, const void *buf, size_t len);

/* Reads until EOF, len bytes, or timeout.  Returns bytes read. */
size_t tcp_read_all(int fd, char *buf, size_t len, int timeout_ms);

/* Reads one line (up to and with its '\n', or to EOF) within 5 s into
 * buf, NUL-terminated; returns its length (0 at once on EOF). */
size_t tcp_read_line(int fd, char *buf, size_t len);

/* /proc views of a process: open fds, children that are zombies, and
 * the PIDs of its children. */
int proc_fd_count(pid_t pid);
int proc_lowest_free_fd(pid_t pid);
int proc_zombie_children(pid_t pid);
size_t proc_children(pid_t pid, pid_t *out, size_t max);

/* CPU time (user + system) of pid so far, in clock ticks. */
long proc_cpu_ticks(pid_t pid);

/* Lowers pid's soft RLIMIT_NOFILE to its lowest free descriptor, so its
 * next accept or open fails with EMFILE; the limit it had into *orig. */
void proc_starve_fds(pid_t pid, struct rlimit *orig);

/* Fails the test if pid burns CPU for a second: a loop spinning on a
 * readable descriptor uses ~100 ticks a second, a paused one a handful
 * of wakeups. */
void proc_assert_not_spinning(pid_t pid);

/* Time pid has spent on a CPU, in nanoseconds (from schedstat). */
long long proc_cpu_ns(pid_t pid);

/* True if pid blocks sig now (superd does from its first steps on, so
 * a signal sent then is taken by its loop, not by the default action). */
bool proc_blocks(pid_t pid, int sig);

/* True while pid exists (and is not a zombie). */
bool proc_alive(pid_t pid);

/* Waits up to timeout_ms until cond(arg) is true; returns the last value. */
bool harness_until(bool (*cond)(void *), void *arg, int timeout_ms);

/* Reads fd to EOF (or until buf is full) into buf, NUL-terminated. */
void harness_slurp(int fd, char *buf, size_t len);

/* execv(path, argv) for a const argv (execv wants char *const[]; the
 * tests' vectors hold string literals).  Returns only on failure. */
void harness_execv(const char *path, const char *const *argv);

/* A TCP port on 127.0.0.1 that is free now (bound, then released). */
int harness_free_port(void);

/* Sleeps ms milliseconds. */
void harness_sleep_ms(int ms);

#endif
