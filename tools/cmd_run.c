/* tools/cmd_run.c: PLACEHOLDER until the owner of "bpass run" replaces it. */
#include <stdio.h>

#include "commands.h"

int cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("bpass: \"run\" is not built yet\n", stderr);
	return EXIT_FAILURES;
}
