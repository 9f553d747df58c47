/*
 * tools/commands.h: the bpass subcommands. Each takes the arguments after the
 * command name (argv[0] is the command name) and returns the exit status:
 * 0 ok, 1 failures reported, 2 usage error. Each lives in tools/cmd_NAME.c.
 */
#ifndef TOOLS_COMMANDS_H
#define TOOLS_COMMANDS_H

int cmd_index(int argc, char **argv);
int cmd_sessions(int argc, char **argv);
int cmd_rejects(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_parse(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_processors(int argc, char **argv);
int cmd_results(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_anonymize(int argc, char **argv);
int cmd_hourly(int argc, char **argv);

/* Exit statuses. */
enum { EXIT_OK = 0, EXIT_FAILURES = 1, EXIT_USAGE = 2 };

#endif
