/* tools/cmd_plot.c: PLACEHOLDER until the owner of "bpass plot" replaces it. */
#include <stdio.h>

#include "commands.h"

int cmd_plot(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("bpass: \"plot\" is not built yet\n", stderr);
	return EXIT_FAILURES;
}
