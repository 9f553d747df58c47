/*
 * harness/pool.c: forking, pinning, feeding and reaping the worker
 * processes of a run (see pool.h).
 */
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <hwloc.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"

/* In a worker: the flag of its options that SIGINT and SIGTERM set. */
static volatile sig_atomic_t *child_stop;

uint32_t pool_cores(void)
{
	hwloc_topology_t t;
	uint32_t n = 1;
	if (hwloc_topology_init(&t) == 0) {
		if (hwloc_topology_load(t) == 0) {
			int c = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
			if (c > 0)
				n = (uint32_t)c;
		}
		hwloc_topology_destroy(t);
	}
	return n;
}

int pool_init(struct pool *p, const struct pool_options *o)
{
	memset(p, 0, sizeof(*p));
	uint32_t n = o->workers;
	p->n = n;
	p->opt = *o;
	state_writer_init(&p->sw);
	p->w = xcalloc(n + 1, sizeof(*p->w));
	for (uint32_t i = 0; i < n; i++) {
		p->w[i].to = p->w[i].from = -1;
		p->w[i].number = i + 1;
	}
	size_t size = (n ? n : 1) * sizeof(struct worker_slot);
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return log_error("could not map shared memory for the workers: %s", strerror(errno));
	p->slots = m;
	memset(p->slots, 0, size);
	hwloc_topology_t t;
	if (hwloc_topology_init(&t) == 0) {
		if (hwloc_topology_load(t) == 0) {
			int c = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
			p->n_cores = c > 0 ? (uint32_t)c : 0;
			p->topology = t;
		} else {
			hwloc_topology_destroy(t);
		}
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* In the child: pin to core i (modulo the cores), quietly skipped when the
 * machine does not allow it (a container, an odd topology). */
static void pin(struct pool *p, uint32_t i)
{
	if (!p->topology || !p->n_cores)
		return;
	hwloc_topology_t t = p->topology;
	hwloc_obj_t core = hwloc_get_obj_by_type(t, HWLOC_OBJ_CORE, i % p->n_cores);
	if (core && core->cpuset)
		hwloc_set_cpubind(t, core->cpuset, HWLOC_CPUBIND_PROCESS);
}

static void on_child_stop(int sig)
{
	(void)sig;
	*child_stop = 1;
}

int pool_spawn(struct pool *p, uint32_t i)
{
	struct pool_worker *w = &p->w[i];
	int cmd[2], res[2];
	if (pipe2(cmd, O_CLOEXEC) != 0)
		return log_error("could not start worker %u: %s", w->number, strerror(errno));
	if (pipe2(res, O_CLOEXEC) != 0) {
		int e = errno;
		close(cmd[0]);
		close(cmd[1]);
		return log_error("could not start worker %u: %s", w->number, strerror(e));
	}
	memset(&p->slots[i], 0, sizeof(p->slots[i]));
	p->slots[i].proc = -1;
	p->slots[i].seq = -1;
	fflush(stdout);
	fflush(stderr);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(cmd[0]);
		close(cmd[1]);
		close(res[0]);
		close(res[1]);
		return log_error("could not start worker %u: %s", w->number, strerror(e));
	}
	if (pid == 0) {
		/* The child dies with the parent, whatever it is doing (a plugin
		 * that never returns included); the parent may have died before
		 * prctl, so check. Then pin, then drop what belongs to the parent. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		pin(p, i);
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		child_stop = p->opt.stop;
		sa.sa_handler = child_stop ? on_child_stop : SIG_DFL;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sa.sa_handler = SIG_DFL;
		sigaction(SIGCHLD, &sa, NULL);
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
		for (uint32_t j = 0; j < p->n; j++) {
			close_fd(&p->w[j].to);
			close_fd(&p->w[j].from);
		}
		close(cmd[1]);
		close(res[0]);
		log_set_quiet(true);
		int status = p->opt.child(p->opt.arg, &p->slots[i], cmd[0], res[1]);
		fflush(stdout);
		fflush(stderr);
		exit(status);
	}
	close(cmd[0]);
	close(res[1]);
	w->pid = pid;
	w->to = cmd[1];
	w->from = res[0];
	w->queued = 0;
	w->spawned++;
	return 0;
}

int pool_send_session(struct pool *p, uint32_t i, uint32_t id,
		      const struct bpass_session_key *key)
{
	return pool_send_session_as(p, i, id, key, PROTO_SESSION);
}

int pool_send_session_as(struct pool *p, uint32_t i, uint32_t id,
			 const struct bpass_session_key *key, uint32_t type)
{
	struct pool_worker *w = &p->w[i];
	if (w->to < 0)
		return -1;
	if (w->queued == POOL_DEPTH) {
		errno = ENOBUFS;
		return -1;
	}
	state_writer_reset(&p->sw);
	proto_session_encode(&p->sw, key);
	if (proto_send(w->to, type, p->sw.sbuf.data, p->sw.sbuf.size))
		return -1;
	w->queue[w->queued++] = (struct pool_session){id, *key};
	return 0;
}

int pool_send_flush(struct pool *p, uint32_t i)
{
	struct pool_worker *w = &p->w[i];
	if (w->to < 0)
		return -1;
	return proto_send(w->to, PROTO_FLUSH, NULL, 0);
}

int pool_recv_result(struct pool *p, uint32_t i, struct buf *payload, uint32_t *id)
{
	struct pool_worker *w = &p->w[i];
	uint32_t type;
	if (w->from < 0 || proto_recv(w->from, &type, payload, NULL) != 1)
		return 0;
	if (type == PROTO_PARTIAL && w->queued == 0)
		return 2;
	if (type != PROTO_RESULT || w->queued == 0)
		return 0;
	/* Results come back in the order the sessions were sent. */
	*id = w->queue[0].id;
	w->queued--;
	memmove(&w->queue[0], &w->queue[1], w->queued * sizeof(w->queue[0]));
	return 1;
}

/* Empties worker i's queue into lost: the session its slot names (or, when
 * it was busy with one not found there, the oldest) failed, the others are
 * to be sent again. */
static void take_queue(struct pool *p, uint32_t i, struct pool_lost *lost)
{
	struct pool_worker *w = &p->w[i];
	const struct worker_slot *slot = &p->slots[i];
	int64_t failed = -1;
	if (slot->busy) {
		const struct bpass_session_key busy = {slot->node_id, slot->context, slot->session_id};
		for (uint32_t k = 0; k < w->queued; k++)
			if (session_key_eq(&w->queue[k].key, &busy))
				failed = k;
		if (failed < 0 && w->queued)
			failed = 0;
	}
	lost->failed = failed >= 0 ? (int64_t)w->queue[failed].id : -1;
	lost->n_resend = 0;
	for (uint32_t k = 0; k < w->queued; k++)
		if ((int64_t)k != failed)
			lost->resend[lost->n_resend++] = w->queue[k].id;
	w->queued = 0;
}

int pool_reap(struct pool *p, uint32_t i, bool block, struct buf *why, struct pool_lost *lost)
{
	struct pool_worker *w = &p->w[i];
	buf_reset(why);
	if (lost)
		*lost = (struct pool_lost){.failed = -1};
	if (!w->pid)
		return 0;
	int status;
	struct rusage ru;
	pid_t r;
	do
		r = wait4(w->pid, &status, block ? 0 : WNOHANG, &ru);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return -1;
	if (r > 0 && (uint64_t)ru.ru_maxrss > p->maxrss_children_kb)
		p->maxrss_children_kb = (uint64_t)ru.ru_maxrss;
	if (r > 0)
		p->cpu_children_s += ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
				     (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	int ret;
	buf_printf(why, "worker %u (pid %ld) ", w->number, (long)w->pid);
	if (r < 0) {
		buf_printf(why, "could not be waited for: %s", strerror(errno));
		ret = 1;
	} else if (WIFSIGNALED(status)) {
		ret = 128 + WTERMSIG(status);
		buf_printf(why, "died on signal %d%s", WTERMSIG(status),
			   WCOREDUMP(status) ? " (core dumped)" : "");
	} else {
		ret = WEXITSTATUS(status);
		if (ret == PROTO_EXIT_INIT && p->slots[i].error[0])
			buf_printf(why, "could not start: %s", p->slots[i].error);
		else
			buf_printf(why, "exited with status %d", ret);
	}
	const struct worker_slot *s = &p->slots[i];
	if (s->busy) {
		buf_puts(why, " while ");
		if (s->proc >= 0 && (uint32_t)s->proc < p->opt.n_proc_names) {
			buf_printf(why, "processor \"%s\" was processing ", p->opt.proc_names[s->proc]);
		} else {
			buf_puts(why, "processing ");
		}
		buf_puts(why, "session ");
		session_key_format(&(struct bpass_session_key){s->node_id, s->context, s->session_id},
				   why);
		if (s->seq >= 0)
			buf_printf(why, " (update %d)", (int)s->seq);
	}
	if (lost)
		take_queue(p, i, lost);
	else
		w->queued = 0;
	w->pid = 0;
	close_fd(&w->to);
	close_fd(&w->from);
	return ret;
}

/* Waits up to ms for worker i to end. Returns true when it did. */
static bool wait_for(struct pool *p, uint32_t i, int ms, struct buf *why)
{
	for (int t = 0; t < ms; t += 10) {
		if (pool_reap(p, i, false, why, NULL) >= 0)
			return true;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return pool_reap(p, i, false, why, NULL) >= 0;
}

void pool_release(struct pool *p, bool hard)
{
	struct buf why;
	buf_init(&why);
	for (uint32_t i = 0; i < p->n; i++) {
		close_fd(&p->w[i].to);
		if (hard && p->w[i].pid)
			kill(p->w[i].pid, SIGTERM);
	}
	for (uint32_t i = 0; i < p->n; i++) {
		close_fd(&p->w[i].from);
		if (!p->w[i].pid)
			continue;
		/* A worker finishes or abandons its session at the next update;
		 * one stuck in a plugin is killed after a grace period. */
		if (hard && !wait_for(p, i, 5000, &why))
			kill(p->w[i].pid, SIGKILL);
		pool_reap(p, i, true, &why, NULL);
	}
	buf_release(&why);
	state_writer_release(&p->sw);
	if (p->slots)
		munmap(p->slots, (p->n ? p->n : 1) * sizeof(struct worker_slot));
	if (p->topology)
		hwloc_topology_destroy(p->topology);
	free(p->w);
	uint64_t maxrss = p->maxrss_children_kb;
	double cpu = p->cpu_children_s;
	memset(p, 0, sizeof(*p));
	p->maxrss_children_kb = maxrss;
	p->cpu_children_s = cpu;
}

int pool_kill(struct pool *p, uint32_t i)
{
	if (!p->w[i].pid)
		return -1;
	return kill(p->w[i].pid, SIGKILL);
}

bool pool_running(const struct pool *p, uint32_t i)
{
	return p->w[i].pid != 0;
}

uint32_t pool_queued(const struct pool *p, uint32_t i)
{
	return p->w[i].queued;
}

int pool_result_fd(const struct pool *p, uint32_t i)
{
	return p->w[i].from;
}

uint32_t pool_spawned(const struct pool *p, uint32_t i)
{
	return p->w[i].spawned;
}

uint32_t pool_live(const struct pool *p)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < p->n; i++)
		n += p->w[i].pid != 0;
	return n;
}

uint32_t pool_in_flight(const struct pool *p)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < p->n; i++)
		n += p->w[i].queued;
	return n;
}
