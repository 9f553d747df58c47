/*
 * index/session_key.h: the identity of a session (processors.md "Terms"):
 * node id, anonymization context and session id, the limits on its
 * strings, how keys are ordered and how messages name them.
 *
 * The struct and the limits are public: bpass.h includes this header and it
 * is installed next to it, so processors receive the same struct the
 * framework uses. The functions are bpass's own (plugins link nothing from
 * bpass and must not call them).
 *
 * Limits: the parser rejects an update whose node id is longer than
 * SESSION_NODE_ID_MAX characters, the indexer one whose context is longer
 * than SESSION_CONTEXT_MAX, so every key in the index fits the fixed-size
 * buffers below (SESSION_*_SIZE: the limit, its NUL and padding to 8 bytes),
 * which hold keys where a pointer cannot (shared memory, the index's session
 * rows and accumulators).
 */
#ifndef INDEX_SESSION_KEY_H
#define INDEX_SESSION_KEY_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SESSION_NODE_ID_MAX 64        /* characters of a node id */
#define SESSION_CONTEXT_MAX 40        /* characters of a context (40 hex, or UNANONYMIZED) */
#define SESSION_NODE_ID_SIZE 72       /* bytes of a buffer holding a node id */
#define SESSION_CONTEXT_SIZE 48       /* bytes of a buffer holding a context */

/* A session's key. The strings are borrowed: whoever fills the struct says
 * how long they live (for processors: during the call only). */
struct bpass_session_key {
	const char *node_id;
	const char *context;        /* anonymization context, or BPASS_UNANONYMIZED */
	int64_t session_id;
};

struct buf;

/* Orders keys by node id, then context (both bytewise, as strcmp), then
 * session id: the order of the index's listing and of every table. Returns
 * <0, 0 or >0. */
int session_key_cmp(const struct bpass_session_key *a, const struct bpass_session_key *b);

/* True when a and b name the same session. */
bool session_key_eq(const struct bpass_session_key *a, const struct bpass_session_key *b);

/* Appends "NODE/CONTEXT/SESSION_ID", as messages name a session, to out. */
void session_key_format(const struct bpass_session_key *key, struct buf *out);

#ifdef __cplusplus
}
#endif

#endif
