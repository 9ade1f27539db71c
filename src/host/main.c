/* superd: command line, start-up order and exit codes.  Only main exits. */
#include <sys/prctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activate.h"
#include "config.h"
#include "events.h"
#include "generation.h"
#include "log.h"
#include "logout.h"
#include "notify.h"
#include "sig.h"
#include "supervisor.h"

/* Exit codes, documented in superd(8) and README.md. */
#define EXIT_OK 0
#define EXIT_CONFIG 1
#define EXIT_USAGE 2
#define EXIT_RUNTIME 3

#define HANDLER_DIRS 2
/* How long the last lines may wait for a stuck stderr at exit. */
#define LOG_FINISH_MS 2000

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: superd [-c FILE] [-t] [-v] [-h] [-V]\n"
	    "  -c FILE        configuration file (default %s)\n"
	    "  -t             check the configuration, print the services, "
	    "exit\n"
	    "  -v             log more (debug)\n"
	    "  -h, --help     this help\n"
	    "  -V, --version  print the version\n",
	    SUPERD_CONFIG_FILE);
}

/* A closed fd 0, 1 or 2 would be handed out to the first socket, which
 * would then double as our stdout or stderr. */
static int
main_stdio_open(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* Deliberately inheritable: it stands in for stdio. */
		if (open("/dev/null", O_RDWR) != fd)
			return -1;
	}
	return 0;
}

/* "/usr/sbin/../libexec/superd" reads better as "/usr/libexec/superd"
 * in -t output and logs; a directory that does not exist stays as it is. */
static void
main_tidy_path(char path[PATH_MAX])
{
	char real[PATH_MAX];

	if (realpath(path, real) != NULL)
		memcpy(path, real, PATH_MAX);
}

/* Shipped handlers: the build tree's handlers/ directory when this is the
 * superd built there (the README's run command), else ../libexec/superd
 * relative to superd (so a DESTDIR or relocated install works), then the
 * configured install path.  An installed superd never looks in a build
 * tree, and no other directory is searched. */
static void
main_handler_dirs(char dirs[HANDLER_DIRS][PATH_MAX], const char *ptrs[])
{
	char exe[PATH_MAX - 64], *slash; /* room for the suffixes */
	ssize_t n;
	size_t k = 0;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		if (strcmp(exe, SUPERD_BUILD_DIR) == 0)
			snprintf(dirs[k], PATH_MAX, "%s/handlers", exe);
		else
			snprintf(dirs[k], PATH_MAX, "%s/%s", exe,
			    SUPERD_HANDLER_REL);
		main_tidy_path(dirs[k]);
		ptrs[k] = dirs[k];
		k++;
	}
	snprintf(dirs[k], PATH_MAX, "%s", SUPERD_HANDLER_DIR);
	ptrs[k] = dirs[k];
	ptrs[k + 1] = NULL;
}

/* Prints " word", single-quoted when it holds anything but plain
 * characters, so what -t shows can be pasted back into exec. */
static void
main_print_word(const char *w)
{
	const char *p;

	if (*w != '\0' &&
	    strspn(w,
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	        "nopqrstuvwxyz0123456789/._-+=:,@%") == strlen(w)) {
		printf(" %s", w);
		return;
	}
	printf(" '");
	for (p = w; *p != '\0'; p++) {
		if (*p == '\'')
			printf("'\\''");
		else
			putchar(*p);
	}
	printf("'");
}

/* -t: a TLS service's second line: its certificates (the first the
 * default), whether clients need one, the lowest version. */
static void
main_print_tls(const struct service *svc)
{
	size_t i;

	if (svc->ntls_certs == 0)
		return;
	printf("  tls:");
	for (i = 0; i < svc->ntls_certs; i++)
		printf(" %s", svc->tls_certs[i]);
	printf(" min_version=1.%d client_ca=%s\n", svc->tls_min_version,
	    svc->tls_client_ca != NULL ? svc->tls_client_ca : "none");
}

/* -t: a websocket service's relay and its options, the words before
 * "--" in its command line. */
static void
main_print_relay(const struct service *svc)
{
	size_t j;

	if (svc->relay_argv == NULL)
		return;
	printf("  websocket:");
	main_print_word(svc->relay_path);
	for (j = 1; strcmp(svc->relay_argv[j], "--") != 0; j++)
		main_print_word(svc->relay_argv[j]);
	printf("\n");
}

/* -t: one line per service on stdout. */
static void
main_print(const struct config *cfg)
{
	const struct service *svc;
	struct sockaddr_storage ss;
	char addr[ADDR_TEXT_MAX], confined[768];
	size_t i, j;

	for (i = 0; i < cfg->nservices; i++) {
		svc = &cfg->services[i];
		printf("%s", svc->name);
		for (j = 0; j < svc->nbinds; j++) {
			ss = svc->binds[j].ss;
			addr_set_port(&ss, svc->port);
			addr_label((struct sockaddr *)&ss, svc->sock_type, addr,
			    sizeof(addr));
			printf("%s%s", j ? "," : " ", addr);
		}
		if (!svc->enabled) {
			printf(" disabled\n");
			continue;
		}
		main_print_word(svc->path);
		for (j = 1; svc->argv[j] != NULL; j++)
			main_print_word(svc->argv[j]);
		printf("\n");
		confine_describe(svc, confined, sizeof(confined));
		if (confined[0] != '\0')
			printf("  confine: %s\n", confined);
		main_print_tls(svc);
		main_print_relay(svc);
	}
}

/* -t: one line on stderr for each config_lint finding; the file is still
 * valid. */
static void
main_warn(void *arg, const char *line)
{
	(void)arg;
	log_warnx("%s", line);
}

/* -v: where each service's program resolved, before anything starts. */
static void
main_log_services(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nservices; i++)
		log_debug("%s: exec %s (%s)", cfg->services[i].name,
		    cfg->services[i].enabled ? cfg->services[i].path
		                             : "disabled",
		    cfg->services[i].exec);
}

/* A file that does not load is reported before its log_format is known,
 * so in text; a privilege rule broken by a loaded one, in its format. */
static void
main_config_error(const char *err)
{
	event_config_error(err);
}

static int
main_serve(struct config *cfg, const char *file, const char *const *dirs,
    struct activation *act, int sigfd)
{
	struct supervisor_args args = { NULL, file, dirs, act, sigfd };
	char err[CONFIG_ERR_MAX];
	int rc;

	if (notify_init() == -1)
		log_warn("NOTIFY_SOCKET ignored");
	/* What handlers leave behind becomes superd's to reap and, at
	 * shutdown, to stop, instead of init's to forget. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("PR_SET_CHILD_SUBREAPER");
	/* The first generation, made the way a reload makes the next. */
	if ((args.gen = generation_make(cfg, sig_stop_pending, act, NULL, err,
	         sizeof(err))) == NULL) {
		if (sig_stop_pending()) {
			event_stopped(true);
			return EXIT_OK;
		}
		event_listen_failed(err);
		return EXIT_RUNTIME;
	}
	activate_release(act);
	rc = supervisor_run(&args) == 0 ? EXIT_OK : EXIT_RUNTIME;
	notify_close();
	return rc;
}

/* The message for an option getopt_long refused: a long one is named
 * whole ("--config", "--help=x"), a short one by its letter. */
static void
main_bad_option(const char *arg)
{
	if (strncmp(arg, "--", 2) == 0)
		fprintf(stderr, "superd: unknown option %s\n", arg);
	else
		fprintf(stderr, "superd: unknown option -%c\n", optopt);
}

/* The command line. */
struct main_opts {
	const char *file;
	int test, verbose;
};

/* Parses the options into o.  Returns -1 to go on, or the exit status
 * (-h, -V, a usage error). */
static int
main_options(int argc, char *argv[], struct main_opts *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	opterr = 0; /* our own message, with our own prefix */
	while (
	    (ch = getopt_long(argc, argv, ":c:tvhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->file = optarg;
			break;
		case 't':
			o->test = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("superd %s\n", SUPERD_VERSION);
			return EXIT_OK;
		case ':':
			fprintf(stderr, "superd: option -%c needs a value\n",
			    optopt);
			usage(stderr);
			return EXIT_USAGE;
		default:
			main_bad_option(argv[optind - 1]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind == argc)
		return -1;
	fprintf(stderr, "superd: unexpected argument: %s\n", argv[optind]);
	usage(stderr);
	return EXIT_USAGE;
}

/* Loads and judges the file.  Returns -1 to go on, or the exit status. */
static int
main_load(const char *file, const char *const *dirs, struct config *cfg)
{
	char err[CONFIG_ERR_MAX];

	if (config_load_until(file, dirs, sig_stop_pending, cfg, err,
	        sizeof(err)) == -1) {
		/* Asked to stop before there was anything to stop. */
		if (sig_stop_pending()) {
			event_stopped(true);
			return EXIT_OK;
		}
		main_config_error(err);
		return EXIT_CONFIG;
	}
	/* From here on in the file's own format, listeners included. */
	log_set_format(cfg->log_format);
	if (config_check_privileges(cfg, geteuid(), getegid(), err,
	        sizeof(err)) == -1 ||
	    confine_check(cfg, err, sizeof(err)) == -1 ||
	    tlsctx_check(cfg, err, sizeof(err)) == -1) {
		main_config_error(err);
		config_free(cfg);
		return EXIT_CONFIG;
	}
	main_log_services(cfg);
	return -1;
}

/* -t: the services, any warnings, and the verdict. */
static int
main_test(const struct config *cfg, const char *file)
{
	config_lint(cfg, main_warn, NULL);
	main_print(cfg);
	event_config_ok(file);
	return EXIT_OK;
}

int
main(int argc, char *argv[])
{
	struct main_opts o = { SUPERD_CONFIG_FILE, 0, 0 };
	const char *dirptrs[HANDLER_DIRS + 1];
	char dirs[HANDLER_DIRS][PATH_MAX], err[CONFIG_ERR_MAX];
	struct activation act;
	struct config cfg;
	int sigfd, rc;

	if ((rc = main_options(argc, argv, &o)) != -1)
		return rc;
	log_init(o.verbose);
	if (main_stdio_open() == -1)
		return EXIT_RUNTIME;
	logout_open();
	/* Sockets from a service manager sit at fds 3 and up: take them
	 * before anything else is opened or forked. */
	if (activate_take(&act, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return EXIT_RUNTIME;
	}
	/* Signals are blocked before the first socket or fork. */
	if ((sigfd = sig_init()) == -1) {
		log_warn("signal set-up");
		return EXIT_RUNTIME;
	}
	main_handler_dirs(dirs, dirptrs);
	if ((rc = main_load(o.file, dirptrs, &cfg)) != -1)
		return rc;
	rc = o.test ? main_test(&cfg, o.file)
	            : main_serve(&cfg, o.file, dirptrs, &act, sigfd);
	activate_free(&act);
	config_free(&cfg);
	/* The final counters, if stderr takes them soon. */
	logout_finish(LOG_FINISH_MS);
	return rc;
}
