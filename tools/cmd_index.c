/* tools/cmd_index.c: PLACEHOLDER until the owner of "bpass index" replaces it. */
#include <stdio.h>

#include "commands.h"

int cmd_index(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("bpass: \"index\" is not built yet\n", stderr);
	return EXIT_FAILURES;
}
