/*
 * tools/cli.h: what every subcommand prints on a usage error: its one-line
 * message ("bpass: error: ..."), then where to get help, not the whole help
 * text:
 *   bpass: error: unknown option "--nope"
 *   bpass: hint: see 'bpass run --help'
 * Each command's usage(FILE *f) prints the hint instead of the help when f
 * is stderr; getopt's own messages are turned off (opterr = 0) and
 * cli_bad_option says what was wrong in bpass's words.
 */
#ifndef TOOLS_CLI_H
#define TOOLS_CLI_H

/* "bpass: hint: see 'bpass CMD --help'" ("bpass --help" when cmd is NULL). */
void cli_usage_hint(const char *cmd);
/* After getopt_long returned '?' or ':' (opterr = 0): an error naming the
 * option, from optopt or argv[optind - 1]. */
void cli_bad_option(int c, char **argv);

#endif
