/* tools/cmd_hourly.c: PLACEHOLDER until the owner of "bpass hourly" replaces it. */
#include <stdio.h>

#include "commands.h"

int cmd_hourly(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("bpass: \"hourly\" is not built yet\n", stderr);
	return EXIT_FAILURES;
}
