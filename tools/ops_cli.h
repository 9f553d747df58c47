/*
 * tools/ops_cli.h: the command line shared by the operations commands that
 * take two folders and only -q/--quiet and -h/--help (collect, anonymize).
 */
#ifndef TOOLS_OPS_CLI_H
#define TOOLS_OPS_CLI_H

#include <stdio.h>

/* Parses argv: -q/--quiet silences info messages (log_set_quiet), -h/--help
 * prints usage(stdout); anything else, or not exactly two operands, prints
 * expected (e.g. "expected SRC_DIR and DST_DIR", for the operands) or
 * getopt's message, then usage(stderr). On success dirs[0] and dirs[1] are
 * the two operands (borrowed from argv). Returns -1 when the command goes
 * on, else its exit code: EXIT_OK after --help, EXIT_USAGE on bad usage. */
int ops_cli_parse(int argc, char **argv, void (*usage)(FILE *f), const char *expected,
		  const char *dirs[2]);

#endif
