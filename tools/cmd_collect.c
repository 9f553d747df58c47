/* tools/cmd_collect.c: PLACEHOLDER until the owner of "bpass collect" replaces it. */
#include <stdio.h>

#include "commands.h"

int cmd_collect(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("bpass: \"collect\" is not built yet\n", stderr);
	return EXIT_FAILURES;
}
