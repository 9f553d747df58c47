/* tools/cmd_results.c: PLACEHOLDER until the owner of "bpass results" replaces it. */
#include <stdio.h>

#include "commands.h"

int cmd_results(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("bpass: \"results\" is not built yet\n", stderr);
	return EXIT_FAILURES;
}
