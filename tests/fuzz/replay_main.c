/*
 * tests/fuzz/replay_main.c: replays a fuzz target's corpus without libFuzzer,
 * so `make check` runs every seed and every saved crash input (under the
 * sanitizers in the second pass). Prints one TAP line per input.
 * Usage: replay_NAME CORPUS_DIR
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	DIR *d = opendir(argv[1]);
	if (!d) {
		printf("not ok 1 - could not open corpus \"%s\"\n", argv[1]);
		return 1;
	}
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		fseek(f, 0, SEEK_END);
		long len = ftell(f);
		fseek(f, 0, SEEK_SET);
		uint8_t *data = malloc(len > 0 ? (size_t)len : 1);
		size_t got = fread(data, 1, (size_t)(len > 0 ? len : 0), f);
		fclose(f);
		LLVMFuzzerTestOneInput(data, got); /* a crash or sanitizer report fails the run */
		free(data);
		printf("ok %d - %s\n", ++n, e->d_name);
	}
	closedir(d);
	printf("1..%d\n", n);
	return n > 0 ? 0 : 1;
}
