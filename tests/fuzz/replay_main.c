/*
 * tests/fuzz/replay_main.c: replays a fuzz target's inputs without libFuzzer,
 * so `make check` runs every seed and every saved crash input (under the
 * sanitizers in the second pass). Prints one TAP line per input.
 * Usage: replay_NAME INPUT...   (an INPUT is a file, or a folder whose files,
 * dot files excepted, are inputs: the target's corpus, and for the parser
 * the fixtures of tests/fixtures/, which are kept in one place only)
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int n;

/* Runs the target on the file at path; returns 0, or -1 when unreadable. */
static int replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *data = malloc(len > 0 ? (size_t)len : 1);
	size_t got = fread(data, 1, (size_t)(len > 0 ? len : 0), f);
	fclose(f);
	LLVMFuzzerTestOneInput(data, got); /* a crash or sanitizer report fails the run */
	free(data);
	printf("ok %d - %s\n", ++n, path);
	return 0;
}

static int replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		replay(path);
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s INPUT...\n", argv[0]);
		return 2;
	}
	int failed = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int rc = stat(argv[i], &st) ? -1 : S_ISDIR(st.st_mode) ? replay_dir(argv[i])
								    : replay(argv[i]);
		if (rc) {
			printf("not ok %d - could not read \"%s\"\n", ++n, argv[i]);
			failed = 1;
		}
	}
	printf("1..%d\n", n);
	return failed || n == 0;
}
