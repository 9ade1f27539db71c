/* superd: command line, start-up order and exit codes.  Only main exits. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "listen.h"
#include "log.h"
#include "sig.h"
#include "supervisor.h"

/* Exit codes, documented in superd(8) and README.md. */
#define EXIT_OK 0
#define EXIT_CONFIG 1
#define EXIT_USAGE 2
#define EXIT_RUNTIME 3

#define HANDLER_DIRS 3

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: superd [-c FILE] [-t] [-v] [-h] [-V]\n"
	    "  -c FILE  configuration file (default %s)\n"
	    "  -t       check the configuration, print the services, exit\n"
	    "  -v       log more (debug)\n"
	    "  -h       this help\n"
	    "  -V       print the version\n",
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

/* Shipped handlers live in <superd's dir>/handlers in the build tree and
 * in ../libexec/superd relative to an installed superd; the configured
 * install path is the last resort. */
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
		snprintf(dirs[k], PATH_MAX, "%s/handlers", exe);
		ptrs[k] = dirs[k];
		k++;
		snprintf(dirs[k], PATH_MAX, "%s/%s", exe, SUPERD_HANDLER_REL);
		ptrs[k] = dirs[k];
		k++;
	}
	snprintf(dirs[k], PATH_MAX, "%s", SUPERD_HANDLER_DIR);
	ptrs[k] = dirs[k];
	ptrs[k + 1] = NULL;
}

/* -t: one line per service on stdout. */
static void
main_print(const struct config *cfg)
{
	const struct service *svc;
	char addr[INET6_ADDRSTRLEN + 8];
	size_t i, j;

	for (i = 0; i < cfg->nservices; i++) {
		svc = &cfg->services[i];
		printf("%s", svc->name);
		for (j = 0; j < svc->nbinds; j++) {
			config_format_bind(&svc->binds[j], svc->port, addr,
			    sizeof(addr));
			printf("%s%s", j ? "," : " ", addr);
		}
		if (!svc->enabled) {
			printf(" disabled\n");
			continue;
		}
		printf(" %s", svc->path);
		for (j = 1; svc->argv[j] != NULL; j++)
			printf(" %s", svc->argv[j]);
		printf("\n");
	}
}

static int
main_serve(const struct config *cfg, int sigfd)
{
	struct listener *ls;
	size_t nls;
	char err[CONFIG_ERR_MAX];

	if (listen_open_all(cfg, &ls, &nls, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return EXIT_RUNTIME;
	}
	return supervisor_run(cfg, ls, nls, sigfd) == 0 ? EXIT_OK
	                                                : EXIT_RUNTIME;
}

int
main(int argc, char *argv[])
{
	const char *file = SUPERD_CONFIG_FILE, *dirptrs[HANDLER_DIRS + 1];
	char dirs[HANDLER_DIRS][PATH_MAX], err[CONFIG_ERR_MAX];
	int ch, test = 0, verbose = 0, sigfd, rc;
	struct config cfg;

	while ((ch = getopt(argc, argv, "c:tvhV")) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("superd %s\n", SUPERD_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "superd: unexpected argument: %s\n",
		    argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	log_init(verbose);
	if (main_stdio_open() == -1)
		return EXIT_RUNTIME;
	/* Signals are blocked before the first socket or fork. */
	if ((sigfd = sig_init()) == -1) {
		log_warn("signal set-up");
		return EXIT_RUNTIME;
	}
	main_handler_dirs(dirs, dirptrs);
	if (config_load(file, dirptrs, &cfg, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return EXIT_CONFIG;
	}
	if (test) {
		main_print(&cfg);
		log_info("%s: configuration OK", file);
		config_free(&cfg);
		return EXIT_OK;
	}
	rc = main_serve(&cfg, sigfd);
	config_free(&cfg);
	return rc;
}
