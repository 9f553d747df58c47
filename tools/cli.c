/*
 * tools/cli.c: usage errors, the same for every command (see cli.h).
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "log.h"

void cli_usage_hint(const char *cmd)
{
	if (cmd)
		log_hint("see 'bpass %s --help'", cmd);
	else
		log_hint("see 'bpass --help'");
}

void cli_bad_option(int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	/* A short option inside a cluster (-qx) is named by optopt alone. */
	bool long_opt = !strncmp(arg, "--", 2);
	if (c == ':' && long_opt)
		log_error("option \"%s\" needs a value", arg);
	else if (c == ':')
		log_error("option \"-%c\" needs a value", optopt);
	else if (long_opt || !optopt)
		log_error("unknown option \"%.*s\"", (int)strcspn(arg, "="), arg);
	else
		log_error("unknown option \"-%c\"", optopt);
}
