/* tools/cmd_anonymize.c: PLACEHOLDER until the owner of "bpass anonymize" replaces it. */
#include <stdio.h>

#include "commands.h"

int cmd_anonymize(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("bpass: \"anonymize\" is not built yet\n", stderr);
	return EXIT_FAILURES;
}
