/* tools/cmd_show.c: PLACEHOLDER until the owner of "bpass show" replaces it. */
#include <stdio.h>

#include "commands.h"

int cmd_show(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("bpass: \"show\" is not built yet\n", stderr);
	return EXIT_FAILURES;
}
