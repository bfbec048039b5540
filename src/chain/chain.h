/* The in-memory chain of one actor: an append-only array of events, each
 * linked to its parent by hash. The canonical encoding that the hash covers
 * is written down in docs/chain.md; chain_encode.c is its only producer.
 *
 * Ownership: the chain owns every event and every byte the events point to
 * (names and payloads live in chunks that never move, so th_event pointers
 * into them stay valid while the event array grows). */
#ifndef TH_CHAIN_CHAIN_H
#define TH_CHAIN_CHAIN_H

#include "common/buf.h"
#include "theater/theater.h"

th_chain *th_chain_new(void);
void th_chain_free(th_chain *chain);

/* Appends one event after the current head and returns it (borrowed).
 * name, input and output are copied. state_hash is NULL when the state is
 * none. timestamp_ns is wall-clock time, recorded as given. */
const th_event *th_chain_append(th_chain *chain, th_event_type type, const char *name,
                                const uint8_t *input, size_t input_len, const uint8_t *output,
                                size_t output_len, const uint8_t *state_hash, int64_t timestamp_ns);

/* Appends an event exactly as given (index, parent, hash and type too) for
 * chains read back from storage or an export: nothing is recomputed, so
 * th_chain_verify checks what was stored. Bytes are copied. */
void th_chain_push_stored(th_chain *chain, const th_event *ev);
/* Sets the chain's record of its head and length, as kept apart from the
 * events (the registry's head and event count). push_stored moves it to the
 * last event pushed; call this after loading. */
void th_chain_set_record(th_chain *chain, const uint8_t head[TH_HASH_SIZE], size_t length);

/* Appends the canonical encoding of ev (everything but ev->hash) to out. */
void th_event_encode(const th_event *ev, th_buf *out);
/* The number of bytes th_event_encode appends for ev. */
size_t th_event_encoded_size(const th_event *ev);
/* SHA-256 of th_event_encode(ev). */
void th_event_compute_hash(const th_event *ev, uint8_t out[TH_HASH_SIZE]);

/* The cases of WIT actor-error that trap events record (docs/chain.md):
 * "trap", "timeout", "out-of-memory", "export-error", "abi-violation". */
const char *th_trap_kind_name(uint32_t kind);

/* Appends "input -> output" of an event, each value rendered (at most max
 * bytes each), a trap's as "kind: message". */
void th_event_render_io(const th_event *ev, size_t max, th_buf *out);

/* "spawn", "call", ... ; "unknown" for a value outside the enum. */
const char *th_event_type_name(th_event_type type);

/* The chain remembers its head hash and length apart from the event array,
 * as the registry does on disk; th_chain_verify checks the events against
 * them, so a chain cut short is caught, not just a broken link. The test
 * helpers below change the events but never this record. */

/* Mutable access for tests that tamper with a chain. NULL if out of range. */
th_event *th_chain_event_mut(th_chain *chain, size_t index);
/* Removes event `index` (tests only: dropping an event must break verify). */
void th_chain_remove(th_chain *chain, size_t index);
/* Swaps two events in place (tests only). */
void th_chain_swap(th_chain *chain, size_t a, size_t b);
/* Keeps the first n events (tests only). */
void th_chain_truncate(th_chain *chain, size_t n);

#endif
