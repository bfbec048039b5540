/* Deterministic replay: runs an actor's package on a fresh instance against
 * its recorded chain, feeding every recorded host output back instead of
 * calling the real handler (nothing outside the actor is touched), and
 * compares every event it produces with the recorded one. */
#ifndef TH_RUNTIME_REPLAY_H
#define TH_RUNTIME_REPLAY_H

#include "exec/module.h"
#include "theater/theater.h"

typedef struct th_replay_report {
    bool identical;
    size_t events_replayed; /* events reproduced and found equal, event 0 included */
    size_t diverged_at;     /* the first differing event, when !identical */
    char reason[256];
    char expected[600]; /* the recorded event there, rendered */
    char actual[600];   /* what the replay produced there, or "(nothing)" */
} th_replay_report;

/* Where the bytes of a state named by hash come from (the database, an
 * export). 1 found (*out malloc'd), 0 absent, -1 error. */
typedef int (*th_state_source)(void *ud, const uint8_t hash[TH_HASH_SIZE], uint8_t **out,
                               size_t *len, th_error *err);

/* Replays events [1, limit) of `recorded` (limit = 0: all) with `module` (the
 * recorded package, or another build to compare against). Returns 0 when
 * the replay ran, whatever it found (see rep), and -1 with err when it could
 * not start (no spawn event, the first state missing, instantiation). The
 * replayed actor's final state is left in *state when state is not NULL
 * (malloc'd; *has_state false for none). */
int th_replay(th_engine *engine, const th_manifest *manifest, th_module *module,
              const th_chain *recorded, uint64_t limit, th_state_source states, void *ud,
              th_replay_report *rep, uint8_t **state, size_t *state_len, bool *has_state,
              th_error *err);

#endif
