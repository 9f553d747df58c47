/*
 * common/log.c: user-facing messages (errors, warnings, hints, information)
 * and the terminal progress line (see log.h).
 *
 * Each message is formatted into one buffer and written with one write(2),
 * so that the lines of processes sharing stderr (the workers of a run)
 * never interleave: a pipe or a file opened for appending takes a write of
 * up to PIPE_BUF bytes whole.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

static bool quiet;
static bool progress_drawn;
/* The text of the last error (without "bpass: error: "). */
static char last_error[LOG_LAST_ERROR_SIZE];

void log_set_quiet(bool q)
{
	quiet = q;
}

bool log_is_quiet(void)
{
	return quiet;
}

/* Writes all of b to fd, retrying short writes and EINTR; errors are
 * dropped (there is nowhere left to report them). */
static void write_out(int fd, const struct buf *b)
{
	const char *p = b->data;
	size_t n = b->len;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* "\r\033[K" into b when a progress line is on the terminal. */
static void clear_into(struct buf *b)
{
	if (progress_drawn) {
		buf_puts(b, "\r\033[K");
		progress_drawn = false;
	}
}

void log_clear_progress(void)
{
	if (!progress_drawn)
		return;
	struct buf b;
	buf_init(&b);
	clear_into(&b);
	fflush(stderr);
	write_out(STDERR_FILENO, &b);
	buf_release(&b);
}

/* Formats fmt into b (appending). */
static void vformat(struct buf *b, const char *fmt, va_list ap)
{
	char small[512];
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n < 0) {
		va_end(again);
		return;
	}
	if ((size_t)n < sizeof(small)) {
		buf_append(b, small, (size_t)n);
	} else {
		buf_reserve(b, (size_t)n + 1);
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
		b->len += (size_t)n;
	}
	va_end(again);
}

/* "bpass: KIND: message" on stderr, as one line written at once. */
static void vlog(const char *kind, const char *fmt, va_list ap)
{
	struct buf b;
	buf_init(&b);
	clear_into(&b);
	buf_puts(&b, "bpass: ");
	buf_puts(&b, kind);
	size_t start = b.len;
	vformat(&b, fmt, ap);
	if (kind[0] == 'e')
		snprintf(last_error, sizeof(last_error), "%s", b.data + start);
	buf_putc(&b, '\n');
	fflush(stderr);
	write_out(STDERR_FILENO, &b);
	buf_release(&b);
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

const char *log_last_error(void)
{
	return last_error;
}

/* A line on stdout, written at once (after clearing the progress line). */
static void vout(const char *fmt, va_list ap)
{
	log_clear_progress();
	struct buf b;
	buf_init(&b);
	vformat(&b, fmt, ap);
	buf_putc(&b, '\n');
	fflush(stdout);
	write_out(STDOUT_FILENO, &b);
	buf_release(&b);
}

void log_info(const char *fmt, ...)
{
	if (quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vout(fmt, ap);
	va_end(ap);
}

void log_result(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vout(fmt, ap);
	va_end(ap);
}

void log_progress(const char *fmt, ...)
{
	if (quiet || !isatty(STDERR_FILENO))
		return;
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "\r\033[K");
	va_list ap;
	va_start(ap, fmt);
	vformat(&b, fmt, ap);
	va_end(ap);
	fflush(stderr);
	write_out(STDERR_FILENO, &b);
	buf_release(&b);
	progress_drawn = true;
}
