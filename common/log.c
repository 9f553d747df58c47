/*
 * common/log.c: user-facing messages (errors, warnings, hints, information)
 * and the terminal progress line (see log.h).
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static bool quiet;
static bool progress_drawn;

void log_set_quiet(bool q)
{
	quiet = q;
}

bool log_is_quiet(void)
{
	return quiet;
}

void log_clear_progress(void)
{
	if (progress_drawn) {
		fputs("\r\033[K", stderr);
		progress_drawn = false;
	}
}

/* "bpass: KIND: message" on stderr, as one line. */
static void vlog(const char *kind, const char *fmt, va_list ap)
{
	log_clear_progress();
	fputs("bpass: ", stderr);
	fputs(kind, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
}

int log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("error: ", fmt, ap);
	va_end(ap);
	return -1;
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void log_hint(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("hint: ", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	if (quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_clear_progress();
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

void log_progress(const char *fmt, ...)
{
	if (quiet || !isatty(STDERR_FILENO))
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("\r\033[K", stderr);
	vfprintf(stderr, fmt, ap);
	fflush(stderr);
	va_end(ap);
	progress_drawn = true;
}
