/*
 * tests/unit/test_proto.c: the parent-worker messages (harness/proto.h) over
 * real pipes: frames round trip (empty and 1 MiB payloads, several in a
 * row, the end of the input between frames), short reads and writes (a
 * writer process dribbling a frame byte by byte, a payload larger than the
 * pipe, writes interrupted by signals), frames cut short, oversized frames refused on both sides, a read
 * interrupted by a signal while the stop flag is set (and resumed when it is
 * not), and the PROTO_SESSION and PROTO_RESULT payloads: round trips and
 * the malformed ones refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

#define CTX "d8ed5acebaa9c7d364d16687864ccc2666576188"

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* Forks a writer that runs fn(fd) on the write end of a pipe and exits;
 * returns the read end (the parent's write end is closed). */
static int writer(void (*fn)(int fd), pid_t *pid)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		close(p[0]);
		fn(p[1]);
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

static void reap(pid_t pid)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---------------------------------------------------------------------------
 * Framing
 */

static void test_round_trip(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(proto_send(p[1], PROTO_SESSION, "hello", 5), 0);
	assert_int_equal(proto_send(p[1], PROTO_QUIT, NULL, 0), 0);
	assert_int_equal(proto_send(p[1], 0xdeadbeef, "\0x\0", 3), 0);
	close(p[1]);
	struct buf b;
	buf_init(&b);
	uint32_t type;
	assert_int_equal(proto_recv(p[0], &type, &b, NULL), 1);
	assert_int_equal(type, PROTO_SESSION);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "hello");
	assert_int_equal(proto_recv(p[0], &type, &b, NULL), 1);
	assert_int_equal(type, PROTO_QUIT);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_int_equal(proto_recv(p[0], &type, &b, NULL), 1);
	assert_int_equal(type, 0xdeadbeef);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "\0x\0", 3);
	/* The end of the input between frames. */
	assert_int_equal(proto_recv(p[0], &type, &b, NULL), 0);
	close(p[0]);
	buf_release(&b);
}

static void test_header_bytes(void **state)
{
	(void)state;
	/* The header is little-endian type, then length. */
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(proto_send(p[1], 0x04030201, "abc", 3), 0);
	close(p[1]);
	unsigned char got[16];
	assert_int_equal(read(p[0], got, sizeof(got)), 11);
	assert_memory_equal(got, "\x01\x02\x03\x04\x03\x00\x00\x00" "abc", 11);
	close(p[0]);
}

#define BIG (1u << 20)

static unsigned char *big_payload(void)
{
	unsigned char *p = malloc(BIG);
	for (uint32_t i = 0; i < BIG; i++)
		p[i] = (unsigned char)(i * 131 + (i >> 9));
	return p;
}

static void send_big(int fd)
{
	unsigned char *p = big_payload();
	int rc = proto_send(fd, PROTO_RESULT, p, BIG);
	free(p);
	if (rc)
		_exit(1);
}

static void on_tick(int sig)
{
	(void)sig;
}

/* send_big under a 1 ms timer whose signal interrupts the writes (no
 * SA_RESTART), so that writev returns short counts and EINTR. */
static void send_big_ticking(int fd)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 1000}, {0, 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	send_big(fd);
}

/* Sends a frame one byte at a time. */
static void dribble(int fd)
{
	unsigned char frame[8 + 4] = {2, 0, 0, 0, 4, 0, 0, 0, 'a', 'b', 'c', 'd'};
	for (size_t i = 0; i < sizeof(frame); i++) {
		if (write(fd, &frame[i], 1) != 1)
			_exit(1);
		sleep_ms(2);
	}
}

static void test_short_reads(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	uint32_t type;
	pid_t pid;
	/* Larger than a pipe: the writer's writev and our reads are short. */
	int fd = writer(send_big, &pid);
	assert_int_equal(proto_recv(fd, &type, &b, NULL), 1);
	assert_int_equal(type, PROTO_RESULT);
	assert_int_equal(b.len, BIG);
	unsigned char *want = big_payload();
	assert_memory_equal(b.data, want, BIG);
	free(want);
	assert_int_equal(proto_recv(fd, &type, &b, NULL), 0);
	close(fd);
	reap(pid);
	/* Writes cut short by signals, to a slow reader. */
	fd = writer(send_big_ticking, &pid);
	sleep_ms(100);
	assert_int_equal(proto_recv(fd, &type, &b, NULL), 1);
	assert_int_equal(b.len, BIG);
	want = big_payload();
	assert_memory_equal(b.data, want, BIG);
	free(want);
	close(fd);
	reap(pid);
	/* One byte at a time. */
	fd = writer(dribble, &pid);
	assert_int_equal(proto_recv(fd, &type, &b, NULL), 1);
	assert_int_equal(type, PROTO_RESULT);
	assert_int_equal(b.len, 4);
	assert_string_equal(b.data, "abcd");
	close(fd);
	reap(pid);
	buf_release(&b);
}

static void test_cut_short(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	uint32_t type;
	int p[2];
	/* A header cut short. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "\x01\x00\x00\x00\x05", 5), 5);
	close(p[1]);
	errno = 0;
	assert_int_equal(proto_recv(p[0], &type, &b, NULL), -1);
	assert_int_equal(errno, EPIPE);
	close(p[0]);
	/* A payload cut short. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "\x01\x00\x00\x00\x64\x00\x00\x00" "0123456789", 18), 18);
	close(p[1]);
	errno = 0;
	assert_int_equal(proto_recv(p[0], &type, &b, NULL), -1);
	assert_int_equal(errno, EPIPE);
	close(p[0]);
	/* A read error. */
	assert_int_equal(proto_recv(-1, &type, &b, NULL), -1);
	buf_release(&b);
}

static void test_oversized(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	/* Refused before the payload is touched, nothing written. */
	errno = 0;
	assert_int_equal(proto_send(p[1], PROTO_RESULT, "x", (size_t)PROTO_MAX_PAYLOAD + 1), -1);
	assert_int_equal(errno, EMSGSIZE);
	/* A header announcing more than the maximum: refused, nothing allocated. */
	assert_int_equal(write(p[1], "\x02\x00\x00\x00\x00\x00\x00\x80", 8), 8);
	close(p[1]);
	struct buf b;
	buf_init(&b);
	uint32_t type;
	errno = 0;
	assert_int_equal(proto_recv(p[0], &type, &b, NULL), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(b.len, 0);
	assert_true(b.cap < 1024);
	close(p[0]);
	buf_release(&b);
}

static volatile sig_atomic_t stop_flag, set_on_alarm;

static void on_alarm(int sig)
{
	(void)sig;
	if (set_on_alarm)
		stop_flag = 1;
}

/* Sends one small frame after 300 ms. */
static void send_late(int fd)
{
	sleep_ms(300);
	if (proto_send(fd, PROTO_SESSION, "late", 4))
		_exit(1);
}

static void test_interrupted(void **state)
{
	(void)state;
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;      /* no SA_RESTART: read returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	struct buf b;
	buf_init(&b);
	uint32_t type;
	pid_t pid;
	/* The flag set by the signal: the read gives up. */
	stop_flag = 0;
	set_on_alarm = 1;
	int fd = writer(send_late, &pid);
	ualarm(50000, 0);
	assert_int_equal(proto_recv(fd, &type, &b, &stop_flag), -1);
	assert_int_equal(errno, EINTR);
	assert_int_equal(stop_flag, 1);
	close(fd);
	waitpid(pid, NULL, 0);
	/* A signal that does not set it: the read goes on to the frame. */
	stop_flag = 0;
	set_on_alarm = 0;
	fd = writer(send_late, &pid);
	ualarm(50000, 0);
	assert_int_equal(proto_recv(fd, &type, &b, &stop_flag), 1);
	assert_string_equal(b.data, "late");
	close(fd);
	reap(pid);
	sigaction(SIGALRM, &old, NULL);
	buf_release(&b);
}

/* ---------------------------------------------------------------------------
 * Payloads
 */

static void test_session_payload(void **state)
{
	(void)state;
	struct state_writer sw;
	struct state_reader rd;
	state_writer_init(&sw);
	state_reader_init(&rd);
	struct buf node, ctx;
	buf_init(&node);
	buf_init(&ctx);
	int64_t sid = 0;
	const struct bpass_session_key key = {"OW0123456789AB", CTX, INT64_MIN};
	proto_session_encode(&sw, &key);
	assert_int_equal(proto_session_decode(&rd, sw.sbuf.data, sw.sbuf.size, &node, &ctx, &sid), 0);
	assert_string_equal(node.data, key.node_id);
	assert_string_equal(ctx.data, CTX);
	assert_true(sid == INT64_MIN);
	/* Refused: cut short, trailing data, a NUL in a string, a wrong shape. */
	assert_int_equal(proto_session_decode(&rd, sw.sbuf.data, sw.sbuf.size - 1, &node, &ctx,
					      &sid), -1);
	struct buf more;
	buf_init(&more);
	buf_append(&more, sw.sbuf.data, sw.sbuf.size);
	buf_putc(&more, 0);
	assert_int_equal(proto_session_decode(&rd, more.data, more.len, &node, &ctx, &sid), -1);
	state_writer_reset(&sw);
	proto_session_encode(&sw, &(struct bpass_session_key){"", "", 0});
	assert_int_equal(proto_session_decode(&rd, sw.sbuf.data, sw.sbuf.size, &node, &ctx, &sid), 0);
	assert_string_equal(node.data, "");
	state_writer_reset(&sw);
	sw.w.array(&sw.w, 3);
	sw.w.str(&sw.w, "a\0b", 3);
	sw.w.str(&sw.w, "c", 1);
	sw.w.i64(&sw.w, 1);
	assert_int_equal(proto_session_decode(&rd, sw.sbuf.data, sw.sbuf.size, &node, &ctx, &sid), -1);
	state_writer_reset(&sw);
	sw.w.array(&sw.w, 2);
	sw.w.str(&sw.w, "a", 1);
	sw.w.str(&sw.w, "c", 1);
	assert_int_equal(proto_session_decode(&rd, sw.sbuf.data, sw.sbuf.size, &node, &ctx, &sid), -1);
	buf_release(&more);
	buf_release(&node);
	buf_release(&ctx);
	state_writer_release(&sw);
	state_reader_release(&rd);
}

static const struct bpass_session_key rkey = {"OW0123456789AB", CTX, 1337104800512345};

/* Encodes a result with two ephemeral states and the given container. */
static void encode_result(struct state_writer *sw, const void *container, size_t len)
{
	struct proto_result r;
	memset(&r, 0, sizeof(r));
	r.status = PROTO_GAP;
	r.updates = 12;
	r.last_seq = 7;
	r.missing_seq = 8;
	r.recomputed = 2;
	r.saved = true;
	state_writer_reset(sw);
	proto_result_head(sw, &rkey, &r, container, len, 2);
	proto_result_eph(sw, "meta-statistics", "\x91\x01", 2);
	proto_result_eph(sw, "x", "", 0);
	assert_int_equal(state_writer_finish(sw), 0);
}

/* The writer and result of the payload tests. */
static struct state_writer pw;
static struct proto_result pr;

static int payload_setup(void **state)
{
	(void)state;
	state_writer_init(&pw);
	proto_result_init(&pr);
	encode_result(&pw, "CONTAINER", 9);
	return 0;
}

static int payload_teardown(void **state)
{
	(void)state;
	proto_result_release(&pr);
	state_writer_release(&pw);
	return 0;
}

static void test_result_payload(void **state)
{
	(void)state;
	assert_int_equal(proto_result_decode(&pr, pw.sbuf.data, pw.sbuf.size), 0);
	assert_string_equal(pr.node_id.data, rkey.node_id);
	assert_string_equal(pr.context.data, CTX);
	assert_true(pr.session_id == rkey.session_id);
	assert_int_equal(pr.status, PROTO_GAP);
	assert_int_equal(pr.updates, 12);
	assert_int_equal(pr.last_seq, 7);
	assert_int_equal(pr.missing_seq, 8);
	assert_int_equal(pr.recomputed, 2);
	assert_true(pr.saved);
	assert_int_equal(pr.state_len, 9);
	assert_memory_equal(pr.state, "CONTAINER", 9);
	assert_int_equal(pr.n_eph, 2);
	assert_int_equal(pr.eph[0].name_len, strlen("meta-statistics"));
	assert_memory_equal(pr.eph[0].name, "meta-statistics", pr.eph[0].name_len);
	assert_int_equal(pr.eph[0].len, 2);
	assert_memory_equal(pr.eph[0].data, "\x91\x01", 2);
	assert_int_equal(pr.eph[1].len, 0);
	/* Borrowed from the payload. */
	assert_true((const char *)pr.state > (const char *)pw.sbuf.data &&
		    (const char *)pr.state < (const char *)pw.sbuf.data + pw.sbuf.size);
	/* No container (nil), no ephemeral states; decoding again resets them. */
	struct proto_result empty;
	memset(&empty, 0, sizeof(empty));
	empty.status = PROTO_FAILED;
	empty.last_seq = -1;
	empty.missing_seq = -1;
	state_writer_reset(&pw);
	proto_result_head(&pw, &rkey, &empty, NULL, 0, 0);
	assert_int_equal(state_writer_finish(&pw), 0);
	assert_int_equal(proto_result_decode(&pr, pw.sbuf.data, pw.sbuf.size), 0);
	assert_int_equal(pr.status, PROTO_FAILED);
	assert_null(pr.state);
	assert_int_equal(pr.n_eph, 0);
	assert_int_equal(pr.last_seq, -1);
	assert_false(pr.saved);
	/* An empty container is not nil. */
	encode_result(&pw, "", 0);
	assert_int_equal(proto_result_decode(&pr, pw.sbuf.data, pw.sbuf.size), 0);
	assert_non_null(pr.state);
	assert_int_equal(pr.state_len, 0);
}

/* Starts a result head map of n entries with the three key entries. */
static void head_start(struct bpass_writer *w, uint32_t n)
{
	w->map(w, n);
	w->str(w, "node_id", 7);
	w->str(w, "N", 1);
	w->str(w, "context", 7);
	w->str(w, "C", 1);
	w->str(w, "session_id", 10);
	w->i64(w, 1);
}

static void test_result_refused(void **state)
{
	(void)state;
	/* Every cut of a valid payload is refused. */
	for (size_t n = 0; n < pw.sbuf.size; n++)
		assert_int_equal(proto_result_decode(&pr, pw.sbuf.data, n), -1);
	/* Trailing data. */
	struct buf more;
	buf_init(&more);
	buf_append(&more, pw.sbuf.data, pw.sbuf.size);
	buf_putc(&more, (char)0xc0);
	assert_int_equal(proto_result_decode(&pr, more.data, more.len), -1);
	/* A status out of range, a missing key, an unknown key (skipped). */
	struct bpass_writer *w = &pw.w;
	for (int variant = 0; variant < 3; variant++) {
		state_writer_reset(&pw);
		head_start(w, variant == 1 ? 3 : 5);
		if (variant != 1) {
			w->str(w, "status", 6);
			w->u64(w, variant == 0 ? PROTO_FAILED + 1 : PROTO_PROCESSED);
			w->str(w, "future", 6);
			w->u64(w, 99);
		}
		w->nil(w);
		w->array(w, 0);
		assert_int_equal(state_writer_finish(&pw), 0);
		assert_int_equal(proto_result_decode(&pr, pw.sbuf.data, pw.sbuf.size),
				 variant == 2 ? 0 : -1);
	}
	assert_string_equal(pr.node_id.data, "N");
	/* The second value must be a bin or nil. */
	state_writer_reset(&pw);
	head_start(w, 4);
	w->str(w, "status", 6);
	w->u64(w, PROTO_PROCESSED);
	w->str(w, "not a bin", 9);
	w->array(w, 0);
	assert_int_equal(state_writer_finish(&pw), 0);
	assert_int_equal(proto_result_decode(&pr, pw.sbuf.data, pw.sbuf.size), -1);
	buf_release(&more);
}

/* Value 4: the figures the worker computed, per processor. */
static void test_result_figures(void **state)
{
	(void)state;
	encode_result(&pw, "C", 1);
	size_t without = pw.sbuf.size;
	struct buf no_figs;
	buf_init(&no_figs);
	buf_append(&no_figs, pw.sbuf.data, without);
	/* encode_result again, with figures after the ephemeral states */
	struct proto_result r;
	memset(&r, 0, sizeof(r));
	r.status = PROTO_GAP;
	r.updates = 12;
	r.last_seq = 7;
	r.missing_seq = 8;
	r.recomputed = 2;
	r.saved = true;
	state_writer_reset(&pw);
	proto_result_head(&pw, &rkey, &r, "C", 1, 2);
	proto_result_eph(&pw, "meta-statistics", "\x91\x01", 2);
	proto_result_eph(&pw, "x", "", 0);
	proto_result_figs_head(&pw, 2);
	proto_result_figs(&pw, "flows", 1);
	proto_result_fig(&pw, "flows", 5, 42);
	proto_result_figs(&pw, "byte-count", 2);
	proto_result_fig(&pw, "packets", 7, -3);
	proto_result_fig(&pw, "bytes", 5, INT64_MAX);
	assert_int_equal(state_writer_finish(&pw), 0);
	assert_int_equal(proto_result_decode(&pr, pw.sbuf.data, pw.sbuf.size), 0);
	assert_int_equal(pr.n_eph, 2);
	assert_int_equal(pr.n_figs, 2);
	assert_null(proto_result_find_figs(&pr, "domains"));
	const struct proto_figs *f = proto_result_find_figs(&pr, "byte-count");
	assert_non_null(f);
	assert_int_equal(f->n, 2);
	assert_int_equal(pr.fig[f->first].column_len, 7);
	assert_memory_equal(pr.fig[f->first].column, "packets", 7);
	assert_true(pr.fig[f->first].value == -3);
	assert_true(pr.fig[f->first + 1].value == INT64_MAX);
	f = proto_result_find_figs(&pr, "flows");
	assert_non_null(f);
	assert_int_equal(f->n, 1);
	assert_true(pr.fig[f->first].value == 42);
	/* A cut inside the figures is refused; one right before them is a
	 * result without figures (as an older worker sends). */
	for (size_t n = without + 1; n < pw.sbuf.size; n++)
		assert_int_equal(proto_result_decode(&pr, pw.sbuf.data, n), -1);
	assert_int_equal(proto_result_decode(&pr, no_figs.data, no_figs.len), 0);
	assert_int_equal(pr.n_figs, 0);
	assert_null(proto_result_find_figs(&pr, "flows"));
	buf_release(&no_figs);
}

/* Value 5 (the processors merged in the worker) and "merge_error". */
static void test_result_merged(void **state)
{
	(void)state;
	struct proto_result r;
	proto_result_init(&r);
	r.status = PROTO_PROCESSED;
	r.last_seq = 3;
	r.missing_seq = -1;
	buf_puts(&r.merge_error, "processor \"b\" could not merge this session");
	state_writer_reset(&pw);
	proto_result_head(&pw, &rkey, &r, "C", 1, 0);
	proto_result_figs_head(&pw, 0);
	size_t without = pw.sbuf.size;
	static const char *const names[] = {"byte-count", "meta-statistics"};
	proto_result_merged(&pw, names, 2);
	assert_int_equal(state_writer_finish(&pw), 0);
	assert_int_equal(proto_result_decode(&pr, pw.sbuf.data, pw.sbuf.size), 0);
	assert_int_equal(pr.n_merged, 2);
	assert_true(proto_result_was_merged(&pr, "byte-count"));
	assert_true(proto_result_was_merged(&pr, "meta-statistics"));
	assert_false(proto_result_was_merged(&pr, "byte"));
	assert_false(proto_result_was_merged(&pr, "flows"));
	assert_string_equal(pr.merge_error.data, "processor \"b\" could not merge this session");
	/* A cut inside value 5 is refused; one before it merges nothing here. */
	for (size_t n = without + 1; n < pw.sbuf.size; n++)
		assert_int_equal(proto_result_decode(&pr, pw.sbuf.data, n), -1);
	assert_int_equal(proto_result_decode(&pr, pw.sbuf.data, without), 0);
	assert_int_equal(pr.n_merged, 0);
	assert_false(proto_result_was_merged(&pr, "byte-count"));
	/* Decoding again forgets the previous merge_error. */
	proto_result_release(&r);
	proto_result_init(&r);
	state_writer_reset(&pw);
	proto_result_head(&pw, &rkey, &r, NULL, 0, 0);
	assert_int_equal(state_writer_finish(&pw), 0);
	assert_int_equal(proto_result_decode(&pr, pw.sbuf.data, pw.sbuf.size), 0);
	assert_string_equal(pr.merge_error.data, "");
	proto_result_release(&r);
}

/* PROTO_PARTIAL: partials, nil for one that could not be saved. */
static void test_partial_payload(void **state)
{
	(void)state;
	struct state_reader rd;
	state_reader_init(&rd);
	state_writer_reset(&pw);
	proto_partial_head(&pw, 3);
	proto_partial_one(&pw, "byte-count", 1, "\x91\x01", 2);
	proto_partial_one(&pw, "lost", 7, NULL, 0);
	proto_partial_one(&pw, "empty", 2, "", 0);
	assert_int_equal(state_writer_finish(&pw), 0);
	struct proto_part *parts;
	uint32_t n;
	assert_int_equal(proto_partial_decode(&rd, pw.sbuf.data, pw.sbuf.size, &parts, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(parts[0].name_len, 10);
	assert_memory_equal(parts[0].name, "byte-count", 10);
	assert_int_equal(parts[0].version, 1);
	assert_int_equal(parts[0].len, 2);
	assert_memory_equal(parts[0].data, "\x91\x01", 2);
	assert_null(parts[1].data);
	assert_int_equal(parts[1].version, 7);
	assert_non_null(parts[2].data);
	assert_int_equal(parts[2].len, 0);
	free(parts);
	for (size_t k = 0; k < pw.sbuf.size; k++) {
		assert_int_equal(proto_partial_decode(&rd, pw.sbuf.data, k, &parts, &n), -1);
		assert_null(parts);
		assert_int_equal(n, 0);
	}
	/* An empty array: a worker that keeps no partial. */
	state_writer_reset(&pw);
	proto_partial_head(&pw, 0);
	assert_int_equal(state_writer_finish(&pw), 0);
	assert_int_equal(proto_partial_decode(&rd, pw.sbuf.data, pw.sbuf.size, &parts, &n), 0);
	assert_int_equal(n, 0);
	free(parts);
	state_reader_release(&rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test_setup_teardown(test_result_figures, payload_setup, payload_teardown),
		cmocka_unit_test_setup_teardown(test_result_merged, payload_setup, payload_teardown),
		cmocka_unit_test_setup_teardown(test_partial_payload, payload_setup, payload_teardown),
		cmocka_unit_test(test_header_bytes),
		cmocka_unit_test(test_short_reads),
		cmocka_unit_test(test_cut_short),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_interrupted),
		cmocka_unit_test(test_session_payload),
		cmocka_unit_test_setup_teardown(test_result_payload, payload_setup, payload_teardown),
		cmocka_unit_test_setup_teardown(test_result_refused, payload_setup, payload_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
