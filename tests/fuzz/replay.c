/* Replays fuzz inputs through one harness without libFuzzer: the seed
 * corpus and every saved crash (tests/fuzz/regress/), in the normal and
 * the sanitizer build.  Arguments are files or directories; a crash is
 * the harness's abort. */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	FILE *fp = fopen(path, "rbe");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (fp == NULL) {
		perror(path);
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
	} while (n > 0);
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int
replay_filter(const struct dirent *de)
{
	return de->d_name[0] != '.' && strcmp(de->d_name, "README") != 0;
}

/* Returns the number of inputs replayed, or -1. */
static int
replay_path(const char *path)
{
	struct dirent **names;
	struct stat st;
	char sub[4096];
	int n, i, done = 0;

	if (stat(path, &st) == -1) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path) == 0 ? 1 : -1;
	if ((n = scandir(path, &names, replay_filter, alphasort)) == -1) {
		perror(path);
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
		if (done >= 0 && replay_file(sub) == 0)
			done++;
		else
			done = -1;
		free(names[i]);
	}
	free(names);
	return done;
}

int
main(int argc, char *argv[])
{
	int i, n, total = 0;

	for (i = 1; i < argc; i++) {
		if ((n = replay_path(argv[i])) == -1)
			return EXIT_FAILURE;
		printf("%s: %d inputs\n", argv[i], n);
		total += n;
	}
	printf("replayed %d inputs, no crash\n", total);
	return EXIT_SUCCESS;
}
