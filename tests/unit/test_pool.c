/*
 * tests/unit/test_pool.c: the worker pool (harness/pool.h) with real forked
 * workers. The child function below stands in for a worker's loop: it
 * reads PROTO_SESSION frames and acts on the session id (answer, crash,
 * exit, wait for the stop flag, send something else). Checked: results come
 * back in the order sent, with the caller's ids; a full queue is refused; a
 * worker that dies on a signal or exits is reaped and described (the
 * processor and session of its slot, the update), and the session it died
 * on is told apart from those it had not started, by key; a worker that
 * could not start exits PROTO_EXIT_INIT; SIGTERM sets the stop flag of the
 * options in the worker (and kills it when there is none); a reaped worker
 * is started again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "pool.h"
#include "proto.h"

#define CTX "d8ed5acebaa9c7d364d16687864ccc2666576188"

/* What the child does with a session, by its id. */
enum {
	SID_ANSWER = 1,     /* a PROTO_RESULT whose payload is the node id */
	SID_CRASH = 2,      /* busy in processor 1 at update 3, then SIGSEGV */
	SID_EXIT = 3,       /* exit status 7, not busy */
	SID_WAIT_STOP = 4,  /* busy, waits for the stop flag: exit status 42 (41 after 5 s) */
	SID_OTHER = 5,      /* answers with a PROTO_SESSION frame */
};

static const char *const proc_names[] = {"first", "crashy"};

/* The stop flag of the options (each worker has its own copy). */
static volatile sig_atomic_t stop;

static void mark_busy(struct worker_slot *slot, const char *node, const char *ctx, int64_t sid,
		      int32_t proc, int32_t seq)
{
	snprintf(slot->node_id, sizeof(slot->node_id), "%s", node);
	snprintf(slot->context, sizeof(slot->context), "%s", ctx);
	slot->session_id = sid;
	slot->proc = proc;
	slot->seq = seq;
	slot->busy = 1;
}

static int child(void *arg, struct worker_slot *slot, int in, int out)
{
	if (arg && !strcmp(arg, "init"))
		return PROTO_EXIT_INIT;
	struct buf frame, node, ctx;
	buf_init(&frame);
	buf_init(&node);
	buf_init(&ctx);
	struct state_reader rd;
	state_reader_init(&rd);
	int status = 0;
	uint32_t type;
	while (status == 0 && proto_recv(in, &type, &frame, NULL) == 1) {
		int64_t sid;
		if (type != PROTO_SESSION ||
		    proto_session_decode(&rd, frame.data, frame.len, &node, &ctx, &sid)) {
			status = 1;
			break;
		}
		switch (sid) {
		case SID_ANSWER:
			if (proto_send(out, PROTO_RESULT, node.data, node.len))
				status = 1;
			break;
		case SID_CRASH:
			mark_busy(slot, node.data, ctx.data, sid, 1, 3);
			setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0});  /* no core file */
			signal(SIGSEGV, SIG_DFL);   /* even under AddressSanitizer */
			raise(SIGSEGV);
			break;
		case SID_EXIT:
			status = 7;
			break;
		case SID_WAIT_STOP:
			mark_busy(slot, node.data, ctx.data, sid, -1, -1);
			for (int t = 0; t < 5000 && !stop; t++)
				usleep(1000);
			status = stop ? 42 : 41;
			break;
		case SID_OTHER:
			if (proto_send(out, PROTO_SESSION, "?", 1))
				status = 1;
			break;
		default:
			status = 1;
		}
	}
	state_reader_release(&rd);
	buf_release(&frame);
	buf_release(&node);
	buf_release(&ctx);
	return status;
}

static void start(struct pool *p, uint32_t workers, void *arg, bool with_stop)
{
	const struct pool_options o = {
		.workers = workers,
		.child = child,
		.arg = arg,
		.stop = with_stop ? &stop : NULL,
		.proc_names = proc_names,
		.n_proc_names = 2,
	};
	assert_int_equal(pool_init(p, &o), 0);
	for (uint32_t i = 0; i < workers; i++) {
		assert_int_equal(pool_spawn(p, i), 0);
		assert_true(pool_running(p, i));
		assert_int_equal(pool_queued(p, i), 0);
		assert_true(pool_result_fd(p, i) >= 0);
	}
	assert_int_equal(pool_live(p), workers);
}

static void send_to(struct pool *p, uint32_t i, uint32_t id, const struct bpass_session_key *key)
{
	assert_int_equal(pool_send_session(p, i, id, key), 0);
}

/* Waits (up to 5 s) until worker i's result pipe is readable. */
static void wait_readable(struct pool *p, uint32_t i)
{
	struct pollfd pfd = {.fd = pool_result_fd(p, i), .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 5000), 1);
}

/* Expects why to read "worker I+1 (pid PID) " + how, allowing the " (core
 * dumped)" the machine may add after a signal. */
static void expect_why(const char *why, uint32_t i, pid_t pid, const char *how)
{
	char head[64];
	snprintf(head, sizeof(head), "worker %" PRIu32 " (pid %ld) ", i + 1, (long)pid);
	size_t n = strlen(head);
	assert_memory_equal(why, head, n);
	const char *core = strstr(why + n, " (core dumped)");
	if (!core) {
		assert_string_equal(why + n, how);
		return;
	}
	struct buf without;
	buf_init(&without);
	buf_append(&without, why + n, (size_t)(core - why - n));
	buf_puts(&without, core + strlen(" (core dumped)"));
	assert_string_equal(without.data, how);
	buf_release(&without);
}

static const struct bpass_session_key k_answer = {"N10", CTX, SID_ANSWER};
static const struct bpass_session_key k_answer2 = {"N11", CTX, SID_ANSWER};
static const struct bpass_session_key k_crash = {"OW0123456789AB", CTX, SID_CRASH};

static void test_results_in_order(void **state)
{
	(void)state;
	assert_true(pool_cores() >= 1);
	struct pool p;
	start(&p, 2, NULL, true);
	send_to(&p, 0, 10, &k_answer);
	send_to(&p, 0, 11, &k_answer2);
	send_to(&p, 1, 12, &k_answer2);
	assert_int_equal(pool_queued(&p, 0), 2);
	assert_int_equal(pool_queued(&p, 1), 1);
	assert_int_equal(pool_in_flight(&p), 3);
	/* Full. */
	errno = 0;
	assert_int_equal(pool_send_session(&p, 0, 13, &k_answer), -1);
	assert_int_equal(errno, ENOBUFS);
	assert_int_equal(pool_queued(&p, 0), 2);
	struct buf payload;
	buf_init(&payload);
	uint32_t id;
	wait_readable(&p, 0);
	assert_int_equal(pool_recv_result(&p, 0, &payload, &id), 1);
	assert_int_equal(id, 10);
	assert_string_equal(payload.data, "N10");
	wait_readable(&p, 0);
	assert_int_equal(pool_recv_result(&p, 0, &payload, &id), 1);
	assert_int_equal(id, 11);
	assert_string_equal(payload.data, "N11");
	wait_readable(&p, 1);
	assert_int_equal(pool_recv_result(&p, 1, &payload, &id), 1);
	assert_int_equal(id, 12);
	assert_int_equal(pool_in_flight(&p), 0);
	/* Not ended: a non-blocking reap changes nothing. */
	struct buf why;
	buf_init(&why);
	struct pool_lost lost;
	assert_int_equal(pool_reap(&p, 1, false, &why, &lost), -1);
	assert_true(pool_running(&p, 1));
	/* The end of their input ends them; their peak memory is kept. */
	pool_release(&p, false);
	assert_int_equal(p.n, 0);
	assert_true(p.maxrss_children_kb > 0);
	buf_release(&payload);
	buf_release(&why);
}

static void test_crash(void **state)
{
	(void)state;
	struct pool p;
	start(&p, 1, NULL, true);
	send_to(&p, 0, 20, &k_crash);
	send_to(&p, 0, 21, &k_answer);
	struct buf payload, why;
	buf_init(&payload);
	buf_init(&why);
	uint32_t id = 99;
	wait_readable(&p, 0);
	assert_int_equal(pool_recv_result(&p, 0, &payload, &id), 0);
	assert_int_equal(id, 99);
	pid_t pid = p.w[0].pid;
	struct pool_lost lost;
	assert_int_equal(pool_reap(&p, 0, true, &why, &lost), 128 + SIGSEGV);
	expect_why(why.data, 0, pid,
		   "died on signal 11 while processor \"crashy\" was processing session "
		   "OW0123456789AB/" CTX "/2 (update 3)");
	assert_int_equal(lost.failed, 20);
	assert_int_equal(lost.n_resend, 1);
	assert_int_equal(lost.resend[0], 21);
	assert_false(pool_running(&p, 0));
	assert_int_equal(pool_queued(&p, 0), 0);
	assert_int_equal(pool_result_fd(&p, 0), -1);
	assert_int_equal(pool_live(&p), 0);
	/* Started again, it takes the session it had not started. */
	assert_int_equal(pool_spawn(&p, 0), 0);
	assert_int_equal(pool_spawned(&p, 0), 2);
	send_to(&p, 0, 21, &k_answer);
	wait_readable(&p, 0);
	assert_int_equal(pool_recv_result(&p, 0, &payload, &id), 1);
	assert_int_equal(id, 21);
	pool_release(&p, false);
	buf_release(&payload);
	buf_release(&why);
}

/* The worker answered its first session (unread) and died on the second:
 * the slot's key, not the queue's order, says which one failed. */
static void test_crash_second(void **state)
{
	(void)state;
	struct pool p;
	start(&p, 1, NULL, true);
	send_to(&p, 0, 30, &k_answer);
	send_to(&p, 0, 31, &k_crash);
	struct buf why;
	buf_init(&why);
	struct pool_lost lost;
	assert_int_equal(pool_reap(&p, 0, true, &why, &lost), 128 + SIGSEGV);
	assert_non_null(strstr(why.data, " session OW0123456789AB/" CTX "/2 (update 3)"));
	assert_int_equal(lost.failed, 31);
	assert_int_equal(lost.n_resend, 1);
	assert_int_equal(lost.resend[0], 30);
	pool_release(&p, false);
	buf_release(&why);
}

static void test_exit(void **state)
{
	(void)state;
	struct pool p;
	start(&p, 2, NULL, true);
	send_to(&p, 1, 40, &(struct bpass_session_key){"N", CTX, SID_EXIT});
	send_to(&p, 1, 41, &k_answer);
	struct buf why;
	buf_init(&why);
	struct pool_lost lost;
	pid_t pid = p.w[1].pid;
	assert_int_equal(pool_reap(&p, 1, true, &why, &lost), 7);
	expect_why(why.data, 1, pid, "exited with status 7");
	/* Not busy: no session failed, both go to another worker. */
	assert_int_equal(lost.failed, -1);
	assert_int_equal(lost.n_resend, 2);
	assert_int_equal(lost.resend[0], 40);
	assert_int_equal(lost.resend[1], 41);
	assert_int_equal(pool_live(&p), 1);
	/* Reaping a worker that is not running. */
	assert_int_equal(pool_reap(&p, 1, true, &why, &lost), 0);
	assert_int_equal(lost.failed, -1);
	assert_int_equal(lost.n_resend, 0);
	pool_release(&p, false);
	buf_release(&why);
}

static void test_init_failure(void **state)
{
	(void)state;
	struct pool p;
	start(&p, 1, "init", true);
	struct buf why;
	buf_init(&why);
	pid_t pid = p.w[0].pid;
	assert_int_equal(pool_reap(&p, 0, true, &why, NULL), PROTO_EXIT_INIT);
	expect_why(why.data, 0, pid, "exited with status 3");
	pool_release(&p, false);
	buf_release(&why);
}

/* Waits (up to 5 s) until worker i says it is busy. */
static void wait_busy(struct pool *p, uint32_t i)
{
	for (int t = 0; t < 5000 && !p->slots[i].busy; t++)
		usleep(1000);
	assert_true(p->slots[i].busy);
}

static void test_stop_flag(void **state)
{
	(void)state;
	const struct bpass_session_key k = {"N", CTX, SID_WAIT_STOP};
	struct buf why;
	buf_init(&why);
	/* SIGTERM sets the flag of the options in the worker, which stops. */
	struct pool p;
	start(&p, 1, NULL, true);
	send_to(&p, 0, 50, &k);
	wait_busy(&p, 0);
	kill(p.w[0].pid, SIGTERM);
	assert_int_equal(pool_reap(&p, 0, true, &why, NULL), 42);
	assert_int_equal(stop, 0);   /* the worker's copy, not ours */
	pool_release(&p, false);
	/* Without a flag, SIGTERM keeps its default action. */
	start(&p, 1, NULL, false);
	send_to(&p, 0, 51, &k);
	wait_busy(&p, 0);
	pid_t pid = p.w[0].pid;
	kill(pid, SIGTERM);
	struct pool_lost lost;
	assert_int_equal(pool_reap(&p, 0, true, &why, &lost), 128 + SIGTERM);
	expect_why(why.data, 0, pid, "died on signal 15 while processing session N/" CTX "/4");
	assert_int_equal(lost.failed, 51);
	pool_release(&p, false);
	buf_release(&why);
}

static void test_not_a_result(void **state)
{
	(void)state;
	struct pool p;
	start(&p, 1, NULL, true);
	send_to(&p, 0, 60, &(struct bpass_session_key){"N", CTX, SID_OTHER});
	struct buf payload;
	buf_init(&payload);
	uint32_t id = 99;
	wait_readable(&p, 0);
	assert_int_equal(pool_recv_result(&p, 0, &payload, &id), 0);
	assert_int_equal(id, 99);
	assert_int_equal(pool_queued(&p, 0), 1);
	/* Still running: a hard release ends it. */
	assert_true(pool_running(&p, 0));
	pool_release(&p, true);
	buf_release(&payload);
}

int main(void)
{
	log_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results_in_order),
		cmocka_unit_test(test_crash),
		cmocka_unit_test(test_crash_second),
		cmocka_unit_test(test_exit),
		cmocka_unit_test(test_init_failure),
		cmocka_unit_test(test_stop_flag),
		cmocka_unit_test(test_not_a_result),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
