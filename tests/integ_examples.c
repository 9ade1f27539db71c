/* The examples users copy, run as written: the shipped etc/superd.ini
 * (as nobody, and with the real rdate) and each daemon of
 * docs/examples.md (sshd -i, git daemon, rsync, in.fingerd, and confined
 * git daemon and chat), whose config
 * the tests read from that file, changing only the port, the paths, the
 * bind address and, when not root, the user. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define SRC(name) TEST_SRC_DIR "/../" name
#define NOBODY 65534 /* Debian's nobody and nogroup */
#define WAIT_MS 5000
/* What a real client may take, at most: run through timeout(1). */
#define CLIENT_TIMEOUT "30"
#define TIMEOUT_BIN "/usr/bin/timeout"

static struct superd sd;
static char out[65536], err[65536];
/* A directory of the test's own outside harness_base(), short enough for
 * the 197-byte exec lines, removed by teardown; "" when none. */
static char scratch[64];
static bool made_run_sshd;

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
teardown(void)
{
	superd_cleanup(&sd);
	if (scratch[0] != '\0')
		(void)nftw(scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (made_run_sshd)
		(void)rmdir("/run/sshd");
}

/* The whole of a file, NUL-terminated, malloc'd. */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "re");
	char *buf;
	long len;

	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	ck_assert_int_ge(len, 0);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = '\0';
	fclose(fp);
	return buf;
}

static void
spew(const char *path, const char *text)
{
	FILE *fp = fopen(path, "we");

	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_ge(fputs(text, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
}

/* text with every from replaced by to; text is freed. */
static char *
subst(char *text, const char *from, const char *to)
{
	size_t n = 0, fl = strlen(from), tl = strlen(to);
	const char *p, *q;
	char *res, *o;

	for (p = text; (p = strstr(p, from)) != NULL; p += fl)
		n++;
	res = malloc(strlen(text) + n * tl + 1);
	ck_assert_ptr_nonnull(res);
	for (o = res, p = text; (q = strstr(p, from)) != NULL; p = q + fl) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, tl);
		o += tl;
	}
	strcpy(o, p);
	free(text);
	return res;
}

/* Every "port = N" line says "port = 0" (the kernel picks), in place. */
static char *
ports_to_zero(char *text)
{
	char *p = text;
	size_t i;

	while ((p = strstr(p, "port = ")) != NULL) {
		if (p == text || p[-1] == '\n') {
			p += 7;
			for (i = 0; p[i] >= '0' && p[i] <= '9'; i++)
				p[i] = i == 0 ? '0' : ' ';
		} else {
			p++;
		}
	}
	return text;
}

/* A superd that is not root may only name its own user: as anyone but
 * root, `user = nobody` becomes this user (nobody stays nobody). */
static char *
user_to_self(char *text)
{
	const struct passwd *pw;
	char line[128];

	if (geteuid() == 0)
		return text;
	pw = getpwuid(geteuid());
	ck_assert_ptr_nonnull(pw);
	snprintf(line, sizeof(line), "user = %s", pw->pw_name);
	return subst(text, "user = nobody", line);
}

/*
 * The config block under the line "<!-- example: NAME -->" in docs/examples.md
 * (malloc'd): the lines between its ``` fences, as a user copies them.
 */
static char *
doc_example(const char *name)
{
	char marker[96], *doc = slurp(SRC("docs/examples.md")), *res;
	const char *p, *end;

	snprintf(marker, sizeof(marker), "\n<!-- example: %s -->\n```", name);
	p = strstr(doc, marker);
	ck_assert_msg(p != NULL, "docs/examples.md has no example %s", name);
	p = strchr(p + strlen(marker), '\n');
	ck_assert_ptr_nonnull(p);
	end = strstr(++p, "\n```\n");
	ck_assert_msg(end != NULL, "example %s: no closing ```", name);
	res = strndup(p, (size_t)(end - p) + 1);
	ck_assert_ptr_nonnull(res);
	free(doc);
	return res;
}

/* An example's superd.ini text, ready for a test superd (malloc'd). */
static char *
example_config(const char *name, const char *from, const char *to)
{
	char *text = doc_example(name), *conf;

	if (from != NULL)
		text = subst(text, from, to);
	text = user_to_self(ports_to_zero(text));
	/* Loopback only; the example's own lines are left as they are. */
	conf = malloc(strlen(text) + 64);
	ck_assert_ptr_nonnull(conf);
	sprintf(conf, "[defaults]\nbind = 127.0.0.1\n\n%s", text);
	free(text);
	return conf;
}

/* True if path is there to run; else records the skip, naming package. */
static bool
have(const char *path, const char *package)
{
	if (access(path, X_OK) == 0)
		return true;
	harness_skip("no %s (Debian package %s)", path, package);
	return false;
}

/* Makes scratch, named after what, where nobody can read too. */
static const char *
scratch_dir(const char *what)
{
	snprintf(scratch, sizeof(scratch), "/tmp/superd-%s.XXXXXX", what);
	ck_assert_msg(mkdtemp(scratch) != NULL, "mkdtemp: %s", strerror(errno));
	ck_assert_int_eq(chmod(scratch, 0755), 0);
	return scratch;
}

/* scratch/name, valid for the next three calls too. */
static const char *
at(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", scratch, name);
	return buf[i];
}

/* Runs a client (argv after bin, NULL-ended) under timeout(1): its exit
 * status, stdout in out, stderr in err. */
#define run_client(...)                                                        \
	superd_run_bin(TIMEOUT_BIN, out, sizeof(out), err, sizeof(err),        \
	    CLIENT_TIMEOUT, __VA_ARGS__, (char *)NULL)

static void
assert_exit0(int status, const char *what)
{
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: status %d\nstdout: %s\nstderr: %s\nsuperd: %s", what, status,
	    out, err, sd.log != NULL ? sd.log : "");
}

/* The real uid of pid, from /proc (whose files have no size to slurp). */
static uid_t
proc_uid(pid_t pid)
{
	char path[64], text[4096], *p;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fp = fopen(path, "re");
	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	p = strstr(text, "\nUid:");
	ck_assert_msg(p != NULL, "%s: %s", path, text);
	return (uid_t)strtoul(p + 5, NULL, 10);
}

/* ---- the shipped etc/superd.ini ---- */

static char *
shipped_config(void)
{
	char *text = ports_to_zero(slurp(SRC("etc/superd.ini")));
#if defined(__SANITIZE_ADDRESS__)
	/* Sanitized handlers run LeakSanitizer at exit, which attaches to
	 * the process with ptrace: the filter refuses that (superd.ini(5)),
	 * and each handler would exit 1.  The filter has its own tests in
	 * integ_confine; here the handlers' leak check wins. */
	char *p = strstr(text, "system_call_filter = strict");

	if (p != NULL)
		memcpy(p + strlen("system_call_filter = "), "off   ", 6);
#endif
	return text;
}

/* RFC 868's 4 bytes from service time: within 5 s of now + 70 years. */
static void
assert_time_bytes(int port)
{
	unsigned char b[16];
	uint32_t got, want;
	int fd = tcp_connect("127.0.0.1", port);

	ck_assert_int_ne(fd, -1);
	ck_assert_uint_eq(tcp_read_all(fd, (char *)b, sizeof(b), WAIT_MS), 4);
	close(fd);
	got = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	want = (uint32_t)((uint64_t)time(NULL) + UINT64_C(2208988800));
	ck_assert_int_le(labs((long)(int32_t)(got - want)), 5);
}

/* [chat-web]'s plain GET: the shipped page, found beside the handlers
 * and sent by superd-ws under the shipped confinement. */
static void
assert_chat_page(int port)
{
	static char page[16384];
	int fd = tcp_connect("127.0.0.1", port);
	size_t n;

	ck_assert_int_ne(fd, -1);
	tcp_send(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
	n = tcp_read_all(fd, page, sizeof(page) - 1, WAIT_MS);
	page[n] = '\0';
	close(fd);
	ck_assert_msg(strncmp(page, "HTTP/1.1 200 ", 13) == 0 &&
	        strstr(page, "new WebSocket(") != NULL,
	    "not the chat page: %.200s\nlog:\n%s", page, sd.log);
}

/*
 * README: the shipped file works unchanged when superd runs as nobody,
 * and the handlers then run as nobody.  Root checks it as nobody; nobody
 * (CI's unprivileged run) as itself.
 */
START_TEST(shipped_config_serves_all_four_services_unchanged_as_nobody)
{
	char *conf, buf[256];
	pid_t kids[4];
	int fd;

	if (geteuid() == 0) {
		harness_run_as(NOBODY, NOBODY, 0);
	} else if (geteuid() != NOBODY) {
		harness_skip("neither root nor nobody: etc/superd.ini says "
		             "user = nobody");
		return;
	}
	conf = shipped_config();
	superd_start(&sd, conf, NULL);
	free(conf);
	tcp_exchange(superd_port(&sd, "echo"), "hi\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "hi\n");
	tcp_exchange(superd_port(&sd, "upper"), "hi\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "HI\n");
	tcp_exchange(superd_port(&sd, "daytime"), "", buf, sizeof(buf));
	ck_assert_msg(strlen(buf) == 21 && buf[10] == 'T', "%s", buf);
	assert_time_bytes(superd_port(&sd, "time"));
	/* superd and a running handler are both nobody; the four handlers
	 * above are gone first, so that the live one is the only child. */
	ck_assert_msg(superd_wait_childless(&sd, WAIT_MS),
	    "handlers still running; log:\n%s", sd.log);
	ck_assert_msg(superd_wait_count(&sd, "]: exited 0", 4, WAIT_MS) == 4,
	    "log:\n%s", sd.log);
	ck_assert_int_eq(proc_uid(sd.pid), NOBODY);
	fd = tcp_connect("127.0.0.1", superd_port(&sd, "echo"));
	ck_assert_int_ne(fd, -1);
	tcp_send(fd, "x", 1);
	ck_assert_uint_eq(tcp_read_all(fd, buf, 1, WAIT_MS), 1);
	ck_assert_uint_eq(proc_children(sd.pid, kids, 4), 1);
	ck_assert_int_eq(proc_uid(kids[0]), NOBODY);
	close(fd);
	assert_chat_page(superd_port(&sd, "chat-web"));
}
END_TEST

/* The issue's own check: rdate -p -o 7037 127.0.0.1 prints today. */
START_TEST(rdate_prints_the_date_from_the_shipped_time_service)
{
	char port[16], *conf;
	struct tm tm = { 0 };
	const char *rest;
	time_t then;

	if (!have("/usr/sbin/rdate", "rdate"))
		return;
	conf = user_to_self(shipped_config());
	superd_start(&sd, conf, NULL);
	free(conf);
	snprintf(port, sizeof(port), "%d", superd_port(&sd, "time"));
	/* rdate prints the time in its zone: make that UTC. */
	ck_assert_int_eq(setenv("TZ", "UTC0", 1), 0);
	assert_exit0(run_client("/usr/sbin/rdate", "-p", "-o", port,
	                 "127.0.0.1"),
	    "rdate");
	/* "Sat Nov 21 12:34:56 UTC 2026" */
	rest = strptime(out, "%a %b %e %H:%M:%S UTC %Y", &tm);
	ck_assert_msg(rest != NULL && *rest == '\n', "rdate said: %s", out);
	then = timegm(&tm);
	ck_assert_msg(labs((long)(then - time(NULL))) <= 5,
	    "rdate said %s, %ld s from now", out, (long)(then - time(NULL)));
}
END_TEST

/* ---- docs/examples.md ---- */

/* Every example the tests below read, and no other in the file. */
static const char *const examples[] = { "sshd", "git", "git-confined", "rsync",
	"rsyncd.conf", "fingerd", "chat" };

START_TEST(docs_examples_md_holds_each_checked_example_and_no_other)
{
	char *doc = slurp(SRC("docs/examples.md")), *text;
	const char *p;
	size_t i, n = 0;

	for (p = doc; (p = strstr(p, "\n<!-- example: ")) != NULL; p++)
		n++;
	ck_assert_uint_eq(n, sizeof(examples) / sizeof(examples[0]));
	for (i = 0; i < n; i++) {
		text = doc_example(examples[i]);
		ck_assert_msg(text[0] == '[', "%s: %s", examples[i], text);
		free(text);
	}
	free(doc);
}
END_TEST

/* Host keys as ssh-keyscan prints them ("TYPE KEY"), from /etc/ssh. */
static char *
host_keys(void)
{
	glob_t g;
	char *all = NULL, *one;
	size_t i, len = 0;

	if (glob("/etc/ssh/ssh_host_*_key.pub", 0, NULL, &g) != 0)
		return NULL;
	for (i = 0; i < g.gl_pathc; i++) {
		one = slurp(g.gl_pathv[i]);
		all = realloc(all, len + strlen(one) + 1);
		ck_assert_ptr_nonnull(all);
		strcpy(all + len, one);
		len += strlen(one);
		free(one);
	}
	globfree(&g);
	return all;
}

/* Each "[127.0.0.1]:PORT TYPE KEY" line of keyscan is one of keys. */
static void
assert_keys_are(const char *keyscan, const char *keys)
{
	const char *line, *key;
	char one[4096];
	int n = 0;

	for (line = keyscan; *line != '\0'; line += strcspn(line, "\n") + 1) {
		if (*line == '#')
			continue;
		key = strchr(line, ' ');
		ck_assert_ptr_nonnull(key);
		snprintf(one, sizeof(one), "%.*s", (int)strcspn(key + 1, "\n"),
		    key + 1);
		ck_assert_msg(strstr(keys, one) != NULL, "not ours: %s", one);
		n++;
		if (line[strcspn(line, "\n")] == '\0')
			break;
	}
	ck_assert_int_gt(n, 0);
}

START_TEST(example_sshd_runs_as_root_with_run_sshd_and_host_keys)
{
	char port[16], *conf, *keys;
	struct stat st;

	if (geteuid() != 0) {
		harness_skip("not root: sshd -i needs root");
		return;
	}
	if (!have("/usr/sbin/sshd", "openssh-server") ||
	    !have("/usr/bin/ssh-keyscan", "openssh-client"))
		return;
	if ((keys = host_keys()) == NULL) {
		harness_skip("no host keys in /etc/ssh (ssh-keygen -A)");
		return;
	}
	if (stat("/run/sshd", &st) == -1) {
		ck_assert_int_eq(mkdir("/run/sshd", 0755), 0);
		made_run_sshd = true;
	}
	conf = example_config("sshd", NULL, NULL);
	superd_start(&sd, conf, NULL);
	free(conf);
	snprintf(port, sizeof(port), "%d", superd_port(&sd, "ssh"));
	assert_exit0(run_client("/usr/bin/ssh-keyscan", "-p", port,
	                 "127.0.0.1"),
	    "ssh-keyscan");
	assert_keys_are(out, keys);
	free(keys);
	/* As far as authentication: nobody has no key here. */
	run_client("/usr/bin/ssh", "-F", "/dev/null", "-o", "BatchMode=yes",
	    "-o", "StrictHostKeyChecking=no", "-o",
	    "UserKnownHostsFile=/dev/null", "-p", port, "nobody@127.0.0.1",
	    "true");
	ck_assert_msg(strstr(err, "Permission denied") != NULL,
	    "ssh: %s\nsuperd: %s", err, sd.log);
}
END_TEST

/* conf (malloc'd, freed) with control = off, as root, in a new string
 * (malloc'd): a root superd's default control socket is shared by every
 * superd the tests start as root, and a new one probes the running
 * one's, a connection other tests' descriptor counts would see. */
static char *
without_control(char *conf)
{
	char *text;

	if (geteuid() != 0)
		return conf;
	ck_assert_int_ne(asprintf(&text, "[supervisor]\ncontrol = off\n%s",
	                     conf),
	    -1);
	free(conf);
	return text;
}

/* Serves a repository with example name's config and clones it. */
static void
git_example(const char *name)
{
	char *conf, *got, url[96], src[128];

	scratch_dir("git");
	snprintf(src, sizeof(src), "%s", at("src"));
	assert_exit0(run_client("/usr/bin/git", "init", "-q", src), "init");
	spew(at("src/hello.txt"), "hello from git daemon\n");
	assert_exit0(run_client("/usr/bin/git", "-C", src, "add", "hello.txt"),
	    "add");
	assert_exit0(run_client("/usr/bin/git", "-C", src, "-c",
	                 "user.name=superd", "-c",
	                 "user.email=superd@example.invalid", "commit", "-q",
	                 "-m", "one"),
	    "commit");
	assert_exit0(run_client("/usr/bin/git", "clone", "-q", "--bare", src,
	                 at("srv/project.git")),
	    "clone --bare");
	conf = without_control(example_config(name, "/srv/git", at("srv")));
	superd_start(&sd, conf, NULL);
	free(conf);
	snprintf(url, sizeof(url), "git://127.0.0.1:%d/project.git",
	    superd_port(&sd, "git"));
	assert_exit0(run_client("/usr/bin/git", "clone", "-q", url,
	                 at("clone")),
	    "git clone");
	got = slurp(at("clone/hello.txt"));
	ck_assert_str_eq(got, "hello from git daemon\n");
	free(got);
}

START_TEST(example_git_daemon_serves_a_clone_as_nobody)
{
	if (!have("/usr/bin/git", "git"))
		return;
	git_example("git");
}
END_TEST

START_TEST(example_confined_git_daemon_serves_a_clone)
{
	if (geteuid() != 0) {
		harness_skip("not root: namespaces need root");
		return;
	}
	if (!have("/usr/bin/git", "git"))
		return;
	git_example("git-confined");
}
END_TEST

/* Two clients of the confined chat: a line of one reaches the other. */
START_TEST(example_confined_chat_still_joins_its_clients)
{
	char *conf, line[256];
	int port, a, b, i;
	bool seen = false;

	if (geteuid() != 0) {
		harness_skip("not root: namespaces need root");
		return;
	}
	conf = without_control(example_config("chat", NULL, NULL));
	superd_start(&sd, conf, NULL);
	free(conf);
	port = superd_port(&sd, "chat");
	a = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(a, -1);
	ck_assert_uint_gt(tcp_read_line(a, line, sizeof(line)), 0);
	b = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(b, -1);
	ck_assert_uint_gt(tcp_read_line(b, line, sizeof(line)), 0);
	tcp_send(a, "hello from a\n", 13);
	for (i = 0; i < 8 && !seen; i++)
		seen = tcp_read_line(b, line, sizeof(line)) > 0 &&
		    strstr(line, "hello from a") != NULL;
	ck_assert_msg(seen, "last line: %s\nsuperd: %s", line, sd.log);
	close(a);
	close(b);
}
END_TEST

START_TEST(example_rsync_daemon_lists_and_copies_a_module_as_nobody)
{
	char *conf, *rsyncd, *got, url[96];

	if (!have("/usr/bin/rsync", "rsync"))
		return;
	rsyncd = subst(doc_example("rsyncd.conf"), "/srv/rsync",
	    scratch_dir("rsync"));
	ck_assert_int_eq(mkdir(at("pub"), 0755), 0);
	spew(at("pub/hello.txt"), "hello from rsync\n");
	spew(at("rsyncd.conf"), rsyncd);
	free(rsyncd);
	conf = example_config("rsync", "/etc/rsyncd.conf", at("rsyncd.conf"));
	superd_start(&sd, conf, NULL);
	free(conf);
	snprintf(url, sizeof(url), "rsync://127.0.0.1:%d/pub/",
	    superd_port(&sd, "rsync"));
	assert_exit0(run_client("/usr/bin/rsync", url), "rsync (list)");
	ck_assert_msg(strstr(out, " hello.txt\n") != NULL, "%s", out);
	strcat(url, "hello.txt");
	assert_exit0(run_client("/usr/bin/rsync", url, at("got")),
	    "rsync (copy)");
	got = slurp(at("got"));
	ck_assert_str_eq(got, "hello from rsync\n");
	free(got);
}
END_TEST

START_TEST(example_fingerd_answers_on_the_connection_with_stderr_client)
{
	char buf[1024], *conf;

	if (!have("/usr/sbin/in.fingerd", "fingerd") ||
	    !have("/usr/bin/finger", "finger"))
		return;
	conf = example_config("fingerd", NULL, NULL);
	superd_start(&sd, conf, NULL);
	free(conf);
	/* finger's own answer for this goes to its stderr. */
	tcp_exchange(superd_port(&sd, "finger"), "nosuchuser-superd\r\n", buf,
	    sizeof(buf));
	ck_assert_msg(strstr(buf, "nosuchuser-superd: no such user") != NULL,
	    "the client got: %s\nsuperd: %s", buf, sd.log);
}
END_TEST

static Suite *
make_examples_suite(void)
{
	Suite *s = suite_create("examples");
	TCase *tc = tcase_create("docs");

	tcase_add_test(tc,
	    docs_examples_md_holds_each_checked_example_and_no_other);
	suite_add_tcase(s, tc);

	tc = tcase_create("as_nobody");
	tcase_set_tags(tc, "root");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc,
	    shipped_config_serves_all_four_services_unchanged_as_nobody);
	tcase_add_test(tc, example_confined_chat_still_joins_its_clients);
	suite_add_tcase(s, tc);

	tc = tcase_create("programs");
	tcase_set_tags(tc, "programs");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, rdate_prints_the_date_from_the_shipped_time_service);
	tcase_add_test(tc,
	    example_sshd_runs_as_root_with_run_sshd_and_host_keys);
	tcase_add_test(tc, example_git_daemon_serves_a_clone_as_nobody);
	tcase_add_test(tc, example_confined_git_daemon_serves_a_clone);
	tcase_add_test(tc,
	    example_rsync_daemon_lists_and_copies_a_module_as_nobody);
	tcase_add_test(tc,
	    example_fingerd_answers_on_the_connection_with_stderr_client);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_examples_suite());
}
