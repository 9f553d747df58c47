/* tools/cmd_sessions.c: PLACEHOLDER until the owner of "bpass sessions" replaces it. */
#include <stdio.h>

#include "commands.h"

int cmd_sessions(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("bpass: \"sessions\" is not built yet\n", stderr);
	return EXIT_FAILURES;
}
