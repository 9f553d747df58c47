/* tools/cmd_generate.c: PLACEHOLDER until the owner of "bpass generate" replaces it. */
#include <stdio.h>

#include "commands.h"

int cmd_generate(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("bpass: \"generate\" is not built yet\n", stderr);
	return EXIT_FAILURES;
}
