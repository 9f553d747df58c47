/* tools/cmd_parse.c: PLACEHOLDER until the owner of "bpass parse" replaces it. */
#include <stdio.h>

#include "commands.h"

int cmd_parse(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("bpass: \"parse\" is not built yet\n", stderr);
	return EXIT_FAILURES;
}
