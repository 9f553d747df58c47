/*
 * common/log.h: the one place messages to the user are printed.
 *
 * Messages follow style.md: "bpass: " then a lower-case message with no final
 * period, the failure first, names in quotes, the reason after ": ".
 * Errors, warnings and hints are told apart by a word after the prefix, as
 * git does:
 *   bpass: error: could not open index "x": No such file or directory
 *   bpass: warning: tarball "t.tar" changed since it was indexed (...)
 *   bpass: hint: try again later or use --wait
 * so callers never write "warning:" themselves. An error is something that
 * failed (the command exits 1 because of it); a warning is reported and the
 * work goes on; a hint is advice for the user that follows an error (only
 * tools/ give hints: they know the command line, the library does not).
 * Errors, warnings and hints go to stderr and are never silenced; information
 * goes to stdout and is silenced by log_set_quiet(true); output the user
 * asked for with an option (log_result, e.g. --stats) is never silenced.
 * Each message is written with one write(2), so the lines of processes
 * sharing stderr (a run's workers) never interleave.
 *
 * log_error returns -1 so that library code can write `return log_error(...)`.
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdbool.h>

int log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Informational output (summaries); suppressed by log_set_quiet(true). */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Output asked for explicitly (e.g. --stats): on stdout, never suppressed. */
void log_result(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The text of the last log_error of this process (without "bpass: error: ",
 * cut to LOG_LAST_ERROR_SIZE - 1 bytes), "" before the first, so that a
 * caller can pass the reason on (a worker to the parent of a run). */
#define LOG_LAST_ERROR_SIZE 256
const char *log_last_error(void);
void log_set_quiet(bool quiet);
bool log_is_quiet(void);
/* Clears the current terminal line if a progress bar was drawn on stderr. */
void log_clear_progress(void);
/* Draws a one-line progress bar on stderr when it is a terminal (and not quiet). */
void log_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
