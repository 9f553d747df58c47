/* tools/cmd_rejects.c: PLACEHOLDER until the owner of "bpass rejects" replaces it. */
#include <stdio.h>

#include "commands.h"

int cmd_rejects(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("bpass: \"rejects\" is not built yet\n", stderr);
	return EXIT_FAILURES;
}
