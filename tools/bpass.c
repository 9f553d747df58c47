/*
 * tools/bpass.c: the bpass command: dispatches to a subcommand through a table.
 */
#include <stdio.h>
#include <string.h>

#include "bpass.h"
#include "cli.h"
#include "commands.h"
#include "log.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"index", cmd_index, "index new tarballs of updates into an SQLite index"},
	{"sessions", cmd_sessions, "list the sessions of an index"},
	{"rejects", cmd_rejects, "list rejected tarballs and members of an index"},
	{"show", cmd_show, "print one indexed update as text or JSON"},
	{"parse", cmd_parse, "parse update files and print them as JSON"},
	{"generate", cmd_generate, "write synthetic tarballs of updates"},
	{"run", cmd_run, "run processors over the indexed sessions"},
	{"processors", cmd_processors, "list the available processors"},
	{"results", cmd_results, "write result tables from a cached global result"},
	{"state", cmd_state, "print one session's saved state"},
	{"plot", cmd_plot, "draw per-node plots and an HTML report from results"},
	{"collect", cmd_collect, "collect uploaded updates into tarballs"},
	{"anonymize", cmd_anonymize, "write anonymized copies of tarballs"},
	{"hourly", cmd_hourly, "collect, index, run and plot, for cron"},
};

static void usage(FILE *f)
{
	fputs("usage: bpass COMMAND [ARGS...]\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'bpass COMMAND --help' for the options of a command;\n"
	      "'bpass --version' prints the version and the processor ABI.\n", f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		log_error("missing COMMAND");
		cli_usage_hint(NULL);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("bpass %s (processor ABI %d)\n", BPASS_VERSION_STRING, BPASS_ABI_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	log_error("unknown command \"%s\"", argv[1]);
	cli_usage_hint(NULL);
	return EXIT_USAGE;
}
