/*
 * tools/ops_cli.h: the command line shared by the operations commands that
 * take two folders (collect, anonymize): -q/--quiet, -h/--help, the two
 * operands, and each command's own options that take a value.
 */
#ifndef TOOLS_OPS_CLI_H
#define TOOLS_OPS_CLI_H

#include <stdio.h>

/* A long option --name VALUE of one command; *value receives VALUE
 * (borrowed from argv; the last one given wins). */
struct ops_cli_option {
	const char *name;
	const char **value;
};

/* Parses argv: -q/--quiet silences info messages (log_set_quiet), -h/--help
 * prints usage(stdout), each of extra (an array ended by a NULL name; NULL
 * for none) stores its value; anything else, or not exactly two operands,
 * prints expected (e.g. "expected SRC_DIR and DST_DIR", for the operands) or
 * getopt's message, then usage(stderr). On success dirs[0] and dirs[1] are
 * the two operands (borrowed from argv). Returns -1 when the command goes
 * on, else its exit code: EXIT_OK after --help, EXIT_USAGE on bad usage. */
int ops_cli_parse(int argc, char **argv, void (*usage)(FILE *f), const char *expected,
		  const struct ops_cli_option *extra, const char *dirs[2]);

#endif
