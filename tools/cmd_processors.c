/* tools/cmd_processors.c: PLACEHOLDER until the owner of "bpass processors" replaces it. */
#include <stdio.h>

#include "commands.h"

int cmd_processors(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("bpass: \"processors\" is not built yet\n", stderr);
	return EXIT_FAILURES;
}
