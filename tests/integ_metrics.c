/* The metrics endpoint ([supervisor] metrics), driven with superd on
 * loopback: its numbers against what happened and against SIGUSR1's line,
 * its HTTP answers, hostile clients, reloads; promtool and a real
 * Prometheus server (the "programs" tag: skipped, visibly, without
 * them). */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define PROMTOOL "/usr/bin/promtool"
#define PROMETHEUS "/usr/bin/prometheus"

static struct superd sd;
static char page[256 * 1024];

static void
teardown(void)
{
	superd_cleanup(&sd);
}

/* Waits for superd's "metrics on http://127.0.0.1:PORT/metrics" line. */
static int
metrics_port(void)
{
	const char *line =
	    superd_wait_log(&sd, "metrics on http://127.0.0.1:", 5000, NULL);

	ck_assert_msg(line != NULL, "no metrics line: %s", sd.log);
	return atoi(line + strlen("metrics on http://127.0.0.1:"));
}

/* Sends request as it is, returns the whole answer in page. */
static const char *
http(int port, const char *request)
{
	int fd = tcp_connect("127.0.0.1", port);
	size_t n;

	ck_assert_msg(fd != -1, "connect %d: %s", port, strerror(errno));
	tcp_send(fd, request, strlen(request));
	n = tcp_read_all(fd, page, sizeof(page) - 1, 10000);
	page[n] = '\0';
	close(fd);
	return page;
}

static const char *
scrape(int port)
{
	const char *p = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");

	ck_assert_msg(strncmp(p, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", p);
	ck_assert_ptr_nonnull(strstr(p,
	    "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	return p;
}

/* The value of the sample "NAME{LABELS}" (or "NAME") in text; fails the
 * test if there is no such line. */
static double
sample(const char *text, const char *series)
{
	char want[256];
	const char *p;

	snprintf(want, sizeof(want), "\n%s ", series);
	p = strstr(text, want);
	ck_assert_msg(p != NULL, "no sample %s in:\n%s", series, text);
	return strtod(p + strlen(want), NULL);
}

#define ECHO_SCRIPT "#!/bin/sh\nread line\necho \"$line\"\n"

static int
start_metrics(const char *services)
{
	char conf[2048];

	snprintf(conf, sizeof(conf), "[supervisor]\nmetrics = 127.0.0.1:0\n%s",
	    services);
	superd_start(&sd, conf, NULL);
	return metrics_port();
}

START_TEST(a_scrape_counts_what_happened_as_the_stats_line_does)
{
	const char *fail = harness_script("fail.sh", "#!/bin/sh\nexit 3\n");
	char conf[1024], buf[64];
	int mport, ok, denied, failing, i, fd;
	const char *m;

	snprintf(conf, sizeof(conf),
	    "[ok]\nport = 0\nbind = 127.0.0.1\nexec = echo\n"
	    "[denied]\nport = 0\nbind = 127.0.0.1\nexec = echo\n"
	    "deny = 127.0.0.0/8\n"
	    "[failing]\nport = 0\nbind = 127.0.0.1\nexec = %s\n",
	    fail);
	mport = start_metrics(conf);
	ok = superd_port(&sd, "ok");
	denied = superd_port(&sd, "denied");
	failing = superd_port(&sd, "failing");
	for (i = 0; i < 5; i++) {
		tcp_exchange(ok, "x\n", buf, sizeof(buf));
		ck_assert_str_eq(buf, "x\n");
	}
	/* Refused by the access list: closed, nothing said. */
	for (i = 0; i < 2; i++) {
		fd = tcp_connect("127.0.0.1", denied);
		ck_assert_int_ne(fd, -1);
		ck_assert_uint_eq(tcp_read_all(fd, buf, sizeof(buf), 5000), 0);
		close(fd);
	}
	tcp_exchange(failing, "x\n", buf, sizeof(buf));
	/* One handler still running, to be seen as active. */
	fd = tcp_connect("127.0.0.1", ok);
	ck_assert_int_ne(fd, -1);
	ck_assert_uint_eq(superd_wait_count(&sd, "]: exited", 6, 5000), 6);
	ck_assert_uint_eq(superd_wait_count(&sd, "ok[", 11, 5000), 11);
	m = scrape(mport);
	ck_assert(
	    sample(m, "superd_connections_accepted_total{service=\"ok\"}") ==
	    6);
	ck_assert(sample(m,
	              "superd_connections_refused_total{service=\"denied\","
	              "reason=\"acl\"}") == 2);
	ck_assert(
	    sample(m,
	        "superd_connections_accepted_total{service=\"denied\"}") == 0);
	ck_assert(sample(m, "superd_handlers_active{service=\"ok\"}") == 1);
	ck_assert(
	    sample(m,
	        "superd_handler_exits_total{service=\"ok\",outcome=\"ok\"}") ==
	    5);
	ck_assert(sample(m,
	              "superd_handler_exits_total{service=\"failing\","
	              "outcome=\"error\"}") == 1);
	ck_assert(
	    sample(m,
	        "superd_handler_duration_seconds_count{service=\"ok\"}") == 5);
	ck_assert(sample(m,
	              "superd_handler_duration_seconds_bucket{service=\"ok\","
	              "le=\"+Inf\"}") == 5);
	ck_assert(sample(m, "superd_spawn_seconds_count") == 7);
	ck_assert(
	    sample(m, "superd_build_info{version=\"" SUPERD_VERSION "\"}") ==
	    1);
	ck_assert(sample(m, "process_open_fds") > 3);
	ck_assert(sample(m, "process_resident_memory_bytes") > 0);
	ck_assert(sample(m, "process_start_time_seconds") > 1.7e9);
	/* The same table as SIGUSR1's line. */
	ck_assert_int_eq(kill(sd.pid, SIGUSR1), 0);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "ok: stats active=1 accepted=6 ", 5000, NULL));
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, " exited_ok=5 ", 5000, NULL));
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "denied: stats active=0 accepted=0 refused_max=0 "
	    "refused_per_source=0 refused_rate=0 refused_acl=2 ",
	    5000, NULL));
	close(fd);
}
END_TEST

START_TEST(only_get_or_head_of_metrics_is_served)
{
	const char *p;
	int mport = start_metrics("[echo]\nport = 0\nbind = 127.0.0.1\n"
	                          "exec = echo\n");

	p = http(mport, "GET /other HTTP/1.1\r\n\r\n");
	ck_assert_msg(strncmp(p, "HTTP/1.1 404 ", 13) == 0, "%s", p);
	p = http(mport, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	ck_assert_msg(strncmp(p, "HTTP/1.1 405 ", 13) == 0, "%s", p);
	p = http(mport, "hello\r\n\r\n");
	ck_assert_msg(strncmp(p, "HTTP/1.1 400 ", 13) == 0, "%s", p);
	p = http(mport, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
	ck_assert_msg(strncmp(p, "HTTP/1.1 200 ", 13) == 0, "%s", p);
	p = http(mport, "HEAD /metrics HTTP/1.1\r\n\r\n");
	ck_assert_msg(strncmp(p, "HTTP/1.1 200 ", 13) == 0, "%s", p);
	ck_assert_msg(strstr(p, "\r\n\r\n")[4] == '\0', "a body: %s", p);
	ck_assert_ptr_nonnull(strstr(p, "Content-Length: "));
	ck_assert_int_eq(atoi(strstr(p, "Content-Length: ") + 16) > 500, 1);
}
END_TEST

/* A request head longer than the endpoint takes is answered 431 and
 * closed, whatever follows. */
static void
assert_big_request_refused(int mport)
{
	static char big[64 * 1024];
	int fd = tcp_connect("127.0.0.1", mport);
	size_t n;

	ck_assert_int_ne(fd, -1);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	/* superd may close before all is sent: the send may fail. */
	(void)send(fd, big, sizeof(big), MSG_NOSIGNAL);
	n = tcp_read_all(fd, page, sizeof(page) - 1, 10000);
	page[n] = '\0';
	ck_assert_msg(strncmp(page, "HTTP/1.1 431 ", 13) == 0, "%s", page);
	close(fd);
}

/* True if the peer closes fd within timeout_ms (EOF, or a reset). */
static bool
closed_within(int fd, int timeout_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char c;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return false;
	return read(fd, &c, 1) == 0 || errno == ECONNRESET;
}

START_TEST(silent_and_oversized_clients_never_hold_up_a_service)
{
	char buf[64];
	int mport, echo, silent[40], i;

	mport = start_metrics("[echo]\nport = 0\nbind = 127.0.0.1\n"
	                      "exec = echo\n");
	echo = superd_port(&sd, "echo");
	/* More silent clients than the endpoint has slots. */
	for (i = 0; i < 40; i++) {
		silent[i] = tcp_connect("127.0.0.1", mport);
		ck_assert_int_ne(silent[i], -1);
		tcp_send(silent[i], "GET /metr", 9);
	}
	for (i = 0; i < 20; i++) {
		tcp_exchange(echo, "through\n", buf, sizeof(buf));
		ck_assert_str_eq(buf, "through\n");
	}
	/* Each silent client is closed when its time is up, so a scrape
	 * gets through in the end (all 40: in three rounds of 16). */
	for (i = 0; i < 40; i++) {
		ck_assert_msg(closed_within(silent[i], 30000),
		    "silent client %d still open", i);
		close(silent[i]);
	}
	assert_big_request_refused(mport);
	ck_assert(
	    sample(scrape(mport),
	        "superd_connections_accepted_total{service=\"echo\"}") == 20);
}
END_TEST

/* superd.ini with the metrics endpoint on ip, port 0; its path. */
static const char *
write_config(const char *ip)
{
	char text[256], *conf;
	const char *file;

	snprintf(text, sizeof(text),
	    "[supervisor]\nmetrics = %s:0\n[defaults]\nuser = root\n"
	    "[echo]\nport = 0\nbind = 127.0.0.1\nexec = echo\n",
	    ip);
	conf = harness_as_self(text);
	file = harness_file("superd.ini", conf);
	free(conf);
	return file;
}

START_TEST(reloads_are_counted_and_the_endpoint_stays)
{
	const char *m;
	int mport;

	superd_start_file(&sd, write_config("127.0.0.1"), NULL);
	mport = metrics_port();
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	ck_assert_uint_eq(superd_wait_count(&sd, "reloaded ", 1, 5000), 1);
	harness_file("superd.ini", "[echo]\nport = 0\nbogus = 1\n");
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	ck_assert_ptr_nonnull(
	    superd_wait_log(&sd, "reload failed", 5000, NULL));
	m = scrape(mport);
	ck_assert(
	    sample(m, "superd_config_reloads_total{result=\"success\"}") == 1);
	ck_assert(
	    sample(m, "superd_config_reloads_total{result=\"failure\"}") == 1);
	/* A new address waits for a restart, and says so. */
	write_config("127.0.0.2");
	ck_assert_int_eq(kill(sd.pid, SIGHUP), 0);
	ck_assert_ptr_nonnull(superd_wait_log(&sd,
	    "a changed metrics address takes effect at restart", 5000, NULL));
	ck_assert(sample(scrape(mport),
	              "superd_config_reloads_total{result=\"success\"}") == 2);
}
END_TEST

START_TEST(a_metrics_address_taken_fails_the_start)
{
	int port = harness_free_port();
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_port = htons((unsigned short)port),
		.sin_addr.s_addr = htonl(0x7f000001) };
	char conf[256];

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	snprintf(conf, sizeof(conf),
	    "[supervisor]\nmetrics = 127.0.0.1:%d\n[echo]\nport = 0\n"
	    "bind = 127.0.0.1\nexec = echo\n",
	    port);
	superd_start(&sd, conf, NULL);
	ck_assert(superd_wait_exit(&sd, 5000));
	ck_assert(WIFEXITED(sd.status) && WEXITSTATUS(sd.status) != 0);
	ck_assert_ptr_nonnull(strstr(sd.log, "metrics: cannot listen on "));
	close(fd);
}
END_TEST

START_TEST(a_bad_metrics_value_names_the_line_and_what_is_wrong)
{
	static const struct {
		const char *value, *says;
	} bad[] = {
		{ "127.0.0.1", "is not off or ADDRESS:PORT" },
		{ "127.0.0.1:70000", "is not off or ADDRESS:PORT" },
		{ "::1:9100", "write an IPv6 address in brackets" },
		{ "example.com:9100", "is not an IPv4 or IPv6 address" },
	};
	char conf[256], out[512], err[1024];
	const char *file;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(conf, sizeof(conf),
		    "[supervisor]\nmetrics = %s\n[echo]\nport = 0\n"
		    "exec = echo\nuser = root\n",
		    bad[i].value);
		file = harness_file("bad.ini", conf);
		superd_run(out, sizeof(out), err, sizeof(err), "-t", "-c", file,
		    NULL);
		ck_assert_msg(strstr(err, "bad.ini:2: ") != NULL &&
		        strstr(err, "metrics") != NULL &&
		        strstr(err, bad[i].says) != NULL,
		    "%s: %s", bad[i].value, err);
	}
}
END_TEST

/* Runs argv with stdin from the file in (or /dev/null) and stdout and
 * stderr into page; returns the wait status. */
static int
run_program(const char *in, const char *const *argv)
{
	int p[2], status, fd;
	pid_t pid;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		fd = open(in != NULL ? in : "/dev/null", O_RDONLY);
		if (fd == -1 || dup2(fd, 0) == -1 || dup2(p[1], 1) == -1 ||
		    dup2(p[1], 2) == -1)
			_exit(126);
		harness_execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	harness_slurp(p[0], page, sizeof(page));
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

START_TEST(promtool_accepts_the_exposition)
{
	char buf[64], *body;
	const char *file;
	int mport, echo, status;

	if (access(PROMTOOL, X_OK) == -1) {
		harness_skip("no %s (Debian package prometheus)", PROMTOOL);
		return;
	}
	mport = start_metrics("[echo]\nport = 0\nbind = 127.0.0.1\n"
	                      "exec = echo\n");
	echo = superd_port(&sd, "echo");
	tcp_exchange(echo, "x\n", buf, sizeof(buf));
	body = strdup(strstr(scrape(mport), "\r\n\r\n") + 4);
	ck_assert_ptr_nonnull(body);
	file = harness_file("scrape.txt", body);
	free(body);
	status = run_program(file,
	    (const char *const[]){ PROMTOOL, "check", "metrics", NULL });
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "promtool: %s", page);
}
END_TEST

/* Starts Prometheus on 127.0.0.1:web, scraping 127.0.0.1:target every
 * second, its files beside dir's; it dies with the test. */
static pid_t
prometheus_start(int web, int target)
{
	char conf[512], dir[512], arg_conf[600], arg_data[600], arg_web[64];
	const char *file;
	pid_t pid;

	snprintf(conf, sizeof(conf),
	    "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
	    "scrape_configs:\n  - job_name: superd\n    static_configs:\n"
	    "      - targets: ['127.0.0.1:%d']\n",
	    target);
	file = harness_file("prometheus.yml", conf);
	snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(file, '/') - file),
	    file);
	snprintf(arg_conf, sizeof(arg_conf), "--config.file=%s", file);
	snprintf(arg_data, sizeof(arg_data), "--storage.tsdb.path=%s/data",
	    dir);
	snprintf(arg_web, sizeof(arg_web), "--web.listen-address=127.0.0.1:%d",
	    web);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || null == -1 ||
		    dup2(null, 1) == -1 || dup2(null, 2) == -1)
			_exit(126);
		execl(PROMETHEUS, PROMETHEUS, arg_conf, arg_data, arg_web,
		    (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The value Prometheus's HTTP API gives for query (URL-encoded), or -1
 * while it has none (not up yet, nothing scraped yet). */
static double
prometheus_query(int web, const char *query)
{
	char req[512];
	const char *v;
	int fd = tcp_connect("127.0.0.1", web);
	size_t n;

	if (fd == -1)
		return -1;
	snprintf(req, sizeof(req),
	    "GET /api/v1/query?query=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\n\r\n",
	    query);
	tcp_send(fd, req, strlen(req));
	n = tcp_read_all(fd, page, sizeof(page) - 1, 5000);
	page[n] = '\0';
	close(fd);
	v = strstr(page, "\"value\":[");
	if (v == NULL || (v = strstr(v, ",\"")) == NULL)
		return -1;
	return strtod(v + 2, NULL);
}

START_TEST(prometheus_scrapes_superd_and_sees_every_connection)
{
	char buf[64];
	int mport, echo, web, i;
	double got = -1;
	pid_t prom;

	if (access(PROMETHEUS, X_OK) == -1) {
		harness_skip("no %s (Debian package prometheus)", PROMETHEUS);
		return;
	}
	mport = start_metrics("[echo]\nport = 0\nbind = 127.0.0.1\n"
	                      "exec = echo\n");
	echo = superd_port(&sd, "echo");
	web = harness_free_port();
	prom = prometheus_start(web, mport);
	for (i = 0; i < 7; i++) {
		tcp_exchange(echo, "x\n", buf, sizeof(buf));
		ck_assert_str_eq(buf, "x\n");
	}
	/* Until Prometheus is up and has scraped since the last one. */
	for (i = 0; i < 600 && got != 7; i++) {
		harness_sleep_ms(100);
		got = prometheus_query(web,
		    "superd_connections_accepted_total%7Bservice%3D%22echo%22"
		    "%7D");
	}
	fprintf(stderr,
	    "prometheus: superd_connections_accepted_total"
	    "{service=\"echo\"} = %g after %d polls\n",
	    got, i);
	kill(prom, SIGTERM);
	waitpid(prom, NULL, 0);
	ck_assert_msg(got == 7, "Prometheus says %g: %s", got, page);
}
END_TEST

static Suite *
make_metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc,
	    a_scrape_counts_what_happened_as_the_stats_line_does);
	tcase_add_test(tc, only_get_or_head_of_metrics_is_served);
	tcase_add_test(tc,
	    silent_and_oversized_clients_never_hold_up_a_service);
	tcase_add_test(tc, reloads_are_counted_and_the_endpoint_stays);
	tcase_add_test(tc, a_metrics_address_taken_fails_the_start);
	tcase_add_test(tc,
	    a_bad_metrics_value_names_the_line_and_what_is_wrong);
	suite_add_tcase(s, tc);

	tc = tcase_create("programs");
	tcase_set_tags(tc, "programs");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, promtool_accepts_the_exposition);
	tcase_add_test(tc, prometheus_scrapes_superd_and_sees_every_connection);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(make_metrics_suite());
}
