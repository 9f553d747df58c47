/*
 * harness/verify.h: checking a run's incremental results against a
 * recomputation from update 0 (`bpass run --verify[=N|all]`).
 *
 * A processor that forgets part of its state between runs (a map it never
 * saves, say) gives incremental results that differ from a run over
 * everything at once, and nothing fails. After a run has published its
 * tables, --verify picks sessions the run processed to the end, recomputes
 * them from update 0 into a scratch state folder (STATE_DIR/.verify.PID)
 * through a run of their own (harness/run.c: the same processors, versions
 * and options, real workers and mergers, so a crash costs the session
 * only), and compares, per session and processor:
 *   - the saved state: the processor's part of the session's state file
 *     (state/state_file.h), byte for byte;
 *   - its figures in sessions.csv: every column the processor adds, as the
 *     run published it and as the recomputation gives it.
 * Every difference is an error naming the processor and the session:
 *   verify: processor "p" session "K": saved state differs from a
 *   recomputation from update 0 (incremental 120 bytes, recomputed 96 bytes)
 *   verify: processor "p" session "K": figure "p_flows" differs from a
 *   recomputation from update 0 (incremental 5, recomputed 7)
 * then a summary: verify: N sessions, M processors, K differences.
 *
 * Which sessions: those with update 0 and no gap in the index (the others
 * the run did not process to the end: with --verify=all each is skipped
 * with a note), ordered largest first (stored bytes, then key); a sample of
 * N takes the largest and N - 1 others spread evenly over the rest, down to
 * the smallest (verify_pick). A chosen session that failed in the run (a
 * stale row in sessions.csv), or whose index grew between the run and its
 * recomputation, is skipped with a note. A recomputation that fails is an
 * error (could not recompute session "K": why).
 *
 * Calling sequence (harness/run.c, after the run's tables are published):
 *   verify_init(&v, want)
 *   verify_consider(&v, &session)           every session the run planned
 *   verify_choose(&v)                       the sample, in key order
 *   verify_figures(&v, &run_merge, VERIFY_INCREMENTAL)
 *   verify_scratch(&v, state_root)          creates the scratch folder
 *   ... a run of verify_session(&v, i) for i < verify_count(&v), whose
 *       state folder is in the scratch folder ...
 *   verify_figures(&v, &its_merge, VERIFY_RECOMPUTED)
 *   verify_compare(&v, run_state_dir, its_state_dir, procs, n)
 *   verify_release(&v)                      removes the scratch folder
 * The published tables and the run's saved states are only read.
 */
#ifndef HARNESS_VERIFY_H
#define HARNESS_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "bpass.h"
#include "buf.h"
#include "index_db.h"
#include "merge.h"

/* --verify without a number: the sample size. */
#define VERIFY_DEFAULT 3
/* --verify=all. */
#define VERIFY_ALL UINT32_MAX

/* The two sides of a comparison. */
enum verify_side {
	VERIFY_INCREMENTAL = 0,       /* the run's own (its saved states, published figures) */
	VERIFY_RECOMPUTED = 1,        /* the recomputation's */
};

/* One figure of a session: a column of struct verify's and its value. */
struct verify_fig {
	uint32_t column;
	int64_t value;
};

/* What one side says of a session. */
struct verify_seen {
	bool merged;                  /* it has a row in sessions.csv */
	char *stale;                  /* why its row is stale (owned), NULL: it is not */
	struct verify_fig *figs;      /* its figures (owned) */
	uint32_t n_figs, cap_figs;
};

struct verify_session {
	struct index_session s;       /* as the run planned it */
	struct verify_seen side[2];   /* enum verify_side */
};

/* A sessions.csv column and the processor that adds it (both owned). */
struct verify_column {
	char *name;
	char *proc;
};

struct verify {
	uint32_t want;                /* sample size; VERIFY_ALL: every session */
	struct verify_session *s;     /* candidates; after verify_choose, the chosen
				       * ones in key order */
	uint32_t n, cap;
	struct verify_column *columns;
	uint32_t n_columns, cap_columns;
	char **dead[2];               /* per side: processors whose figures are lost (a
				       * merger that died; owned names) */
	uint32_t n_dead[2], cap_dead[2];
	char **notes;                 /* why sessions are skipped (owned) */
	uint32_t n_notes, cap_notes;
	struct buf scratch;           /* the scratch folder, "" when none */
	struct buf text;
	uint32_t n_verified;          /* sessions compared */
	uint32_t n_processors;        /* processors compared */
	uint32_t n_differences;
	uint32_t n_failed;            /* recomputations that failed */
};

/*
 * Picks want of n positions 0..n-1 (n ordered largest first): every one
 * when want >= n, else position 0 and want - 1 others spread evenly down to
 * n - 1: i * (n - 1) / (want - 1) for i < want. out gets them in increasing
 * order. Returns how many (min(want, n)).
 */
uint32_t verify_pick(uint32_t n, uint32_t want, uint32_t *out);

/* want: the sample size (VERIFY_ALL for every session; at least 1). */
void verify_init(struct verify *v, uint32_t want);
/* Frees everything and removes the scratch folder, if any. */
void verify_release(struct verify *v);

/* Offers a session of the run (copied). One without update 0 or with a gap
 * is not a candidate; with VERIFY_ALL it is noted as skipped. */
void verify_consider(struct verify *v, const struct index_session *s);
/* Chooses the sample among the candidates (verify_pick over them, largest
 * first) and orders it by key. */
void verify_choose(struct verify *v);
/* The chosen sessions not skipped so far: verify_session(v, i) for
 * i < verify_count(v). */
uint32_t verify_count(const struct verify *v);
const struct index_session *verify_session(const struct verify *v, uint32_t i);

/*
 * Takes side's view of the chosen sessions from a finished merge (after
 * merge_finish): their rows (merged, stale) and figures, and which
 * processors lost their figures. On the incremental side, a chosen session
 * without a row, or with a stale one, is skipped with a note (the run did
 * not process it to the end).
 */
void verify_figures(struct verify *v, const struct merge *m, enum verify_side side);

/*
 * Creates the scratch folder state_root/.verify.PID, after removing the
 * ones left by verifications whose process is gone (killed). Its name is
 * then in v->scratch. Returns 0, or -1 after a message.
 */
int verify_scratch(struct verify *v, const char *state_root);

/*
 * Compares every chosen session: the state files of inc_dir (the run's
 * state folder) and rec_dir (the recomputation's), part by part for procs
 * (run order), and the figures of both sides. Reports every difference,
 * every failed recomputation, the notes of skipped sessions, and the
 * summary. Returns 0 when nothing differs and nothing failed, else -1.
 */
int verify_compare(struct verify *v, const char *inc_dir, const char *rec_dir,
		   const struct bpass_processor *const *procs, uint32_t n);

#endif
