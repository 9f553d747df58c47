/* tools/cmd_state.c: PLACEHOLDER until the owner of "bpass state" replaces it. */
#include <stdio.h>

#include "commands.h"

int cmd_state(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("bpass: \"state\" is not built yet\n", stderr);
	return EXIT_FAILURES;
}
