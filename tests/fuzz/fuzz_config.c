/* libFuzzer harness for the config loader: any bytes, read as the ini
 * file, give a config or one line of error naming the file, never a
 * crash, a leak or a hang; the same for the privilege check of a config
 * that loaded.  config_load reads a path, so the input goes into a memfd
 * read back through /proc/self/fd. */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Shipped names (echo, time) resolve here; others through PATH. */
static const char *const fuzz_dirs[] = { "/usr/bin", NULL };

static void __attribute__((noreturn))
fuzz_fail(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_config: %s: \"%s\"\n", what, err);
	abort();
}

/* A config that loaded is whole: every service has a name, an argv, an
 * address and, if enabled, a program. */
static void
fuzz_check_config(const struct config *cfg)
{
	const struct service *svc;
	size_t i;

	if (cfg->nservices == 0 || cfg->services == NULL)
		fuzz_fail("loaded without services", "");
	for (i = 0; i < cfg->nservices; i++) {
		svc = &cfg->services[i];
		if (svc->name[0] == '\0' || svc->argv == NULL ||
		    svc->argv[0] == NULL || svc->nbinds == 0 ||
		    (svc->enabled && svc->path == NULL))
			fuzz_fail("incomplete service", svc->name);
	}
}

/* A failure is one line, naming the file, within the buffer. */
static void
fuzz_check_error(const char *path, const char *err, size_t errlen)
{
	size_t len = strnlen(err, errlen);

	if (len == 0 || len == errlen)
		fuzz_fail("empty or unterminated message", err);
	if (strchr(err, '\n') != NULL)
		fuzz_fail("message of more than one line", err);
	if (strncmp(err, path, strlen(path)) != 0)
		fuzz_fail("message does not start with the file", err);
}

static int
fuzz_memfd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("superd.ini", MFD_CLOEXEC);
	size_t off = 0;
	ssize_t n;

	if (fd == -1)
		abort();
	while (off < size) {
		n = write(fd, data + off, size - off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char path[64], *err, small[24];
	int fd = fuzz_memfd(data, size);

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* On the heap and exactly CONFIG_ERR_MAX: ASan sees any overrun. */
	if ((err = malloc(CONFIG_ERR_MAX)) == NULL)
		abort();
	memset(err, 0, CONFIG_ERR_MAX);
	if (config_load(path, fuzz_dirs, &cfg, err, CONFIG_ERR_MAX) == 0) {
		fuzz_check_config(&cfg);
		/* As root and as nobody: either passes or says why. */
		if (config_check_privileges(&cfg, 0, 0, err, CONFIG_ERR_MAX) ==
		    -1)
			fuzz_check_error(path, err, CONFIG_ERR_MAX);
		if (config_check_privileges(&cfg, 65534, 65534, err,
		        CONFIG_ERR_MAX) == -1)
			fuzz_check_error(path, err, CONFIG_ERR_MAX);
		config_free(&cfg);
	} else {
		fuzz_check_error(path, err, CONFIG_ERR_MAX);
		if (cfg.nservices != 0 || cfg.services != NULL)
			fuzz_fail("failed but left services", err);
		/* A short buffer is cut, never overrun. */
		if (config_load(path, fuzz_dirs, &cfg, small, sizeof(small)) !=
		    -1)
			fuzz_fail("second load succeeded", err);
		if (strnlen(small, sizeof(small)) == sizeof(small))
			fuzz_fail("short message unterminated", err);
	}
	free(err);
	close(fd);
	return 0;
}
