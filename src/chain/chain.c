/* The in-memory chain: an array of events plus the chunks that hold their
 * names and payloads, and the chain's own record of its head. */
#include "chain/chain.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"

enum {
    /* Payload chunks are large so that appends rarely allocate; a payload
     * larger than a quarter of a chunk gets a chunk of its own. */
    CHUNK_SIZE = 64 * 1024,
    FIRST_EVENT_CAPACITY = 8,
    /* Hashes in messages are cut to their first 8 bytes: enough to tell
     * them apart, short enough for one line. */
    SHORT_HASH_BYTES = 8,
};

typedef struct byte_chunk byte_chunk;
struct byte_chunk {
    byte_chunk *next;
    size_t used, size;
    uint8_t data[];
};

struct th_chain {
    th_event *events;
    size_t len, cap;
    /* Names and payloads; the head chunk is the one being filled. Chunks
     * never move, so th_event pointers into them stay valid. */
    byte_chunk *chunks;
    /* The head as of the last append, kept apart from the events the way
     * the registry keeps it on disk, so that a chain cut short or rewritten
     * at its end does not verify. */
    uint8_t recorded_head[TH_HASH_SIZE];
    size_t recorded_len;
};

static const uint8_t zero_hash[TH_HASH_SIZE];

th_chain *th_chain_new(void)
{
    return th_xcalloc(1, sizeof(th_chain));
}

void th_chain_free(th_chain *chain)
{
    if (!chain)
        return;
    for (byte_chunk *c = chain->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(chain->events);
    free(chain);
}

/* ---- Storage ------------------------------------------------------------ */

static byte_chunk *chunk_new(size_t size)
{
    byte_chunk *c = th_xmalloc(sizeof *c + size);
    c->next = NULL;
    c->used = 0;
    c->size = size;
    return c;
}

/* Reserves n bytes that stay where they are until the chain is freed. */
static uint8_t *reserve_bytes(th_chain *chain, size_t n)
{
    byte_chunk *head = chain->chunks;
    if (head && head->size - head->used >= n) {
        uint8_t *p = head->data + head->used;
        head->used += n;
        return p;
    }
    if (n > CHUNK_SIZE / 4) {
        /* Kept behind the current chunk, whose free space stays usable. */
        byte_chunk *big = chunk_new(n);
        big->used = n;
        if (head) {
            big->next = head->next;
            head->next = big;
        } else {
            chain->chunks = big;
        }
        return big->data;
    }
    byte_chunk *fresh = chunk_new(CHUNK_SIZE);
    fresh->next = head;
    chain->chunks = fresh;
    fresh->used = n;
    return fresh->data;
}

static const uint8_t *store_payload(th_chain *chain, const uint8_t *data, size_t len)
{
    /* Empty payloads point at a shared empty array: never NULL, so readers
     * need no special case, and no storage is spent. */
    static const uint8_t empty[1];
    if (!len)
        return empty;
    uint8_t *p = reserve_bytes(chain, len);
    memcpy(p, data, len);
    return p;
}

static const char *store_name(th_chain *chain, const char *name)
{
    size_t len = strlen(name);
    char *p = (char *)reserve_bytes(chain, len + 1);
    memcpy(p, name, len + 1);
    return p;
}

static void grow_events(th_chain *chain)
{
    if (chain->len < chain->cap)
        return;
    size_t cap = chain->cap ? chain->cap * 2 : FIRST_EVENT_CAPACITY;
    if (cap > SIZE_MAX / sizeof(th_event))
        cap = SIZE_MAX / sizeof(th_event);
    if (cap <= chain->len) {
        fprintf(stderr, "theater: chain of %zu events cannot grow\n", chain->len);
        abort();
    }
    chain->events = th_xrealloc(chain->events, cap * sizeof(th_event));
    chain->cap = cap;
}

/* ---- Appending ---------------------------------------------------------- */

/* An event that cannot be recorded faithfully is a bug in the caller; a
 * runtime must not go on with a chain that misstates what happened. */
static void refuse_event(const char *why)
{
    fprintf(stderr, "theater: cannot append to the chain: %s\n", why);
    abort();
}

static void check_append_args(th_event_type type, const uint8_t *input, size_t input_len,
                              const uint8_t *output, size_t output_len)
{
    if (type < TH_EV_SPAWN || type > TH_EV_STOP)
        refuse_event("unknown event type");
    if (input_len > UINT32_MAX || output_len > UINT32_MAX)
        refuse_event("payload larger than 4 GiB");
    if ((input_len && !input) || (output_len && !output))
        refuse_event("payload with a length but no bytes");
}

const th_event *th_chain_append(th_chain *chain, th_event_type type, const char *name,
                                const uint8_t *input, size_t input_len, const uint8_t *output,
                                size_t output_len, const uint8_t *state_hash, int64_t timestamp_ns)
{
    check_append_args(type, input, input_len, output, output_len);
    grow_events(chain);
    th_event *ev = &chain->events[chain->len];
    ev->index = chain->len;
    memcpy(ev->parent, chain->len ? chain->events[chain->len - 1].hash : zero_hash, TH_HASH_SIZE);
    ev->timestamp_ns = timestamp_ns;
    ev->type = type;
    ev->name = store_name(chain, name ? name : "");
    ev->input = store_payload(chain, input, input_len);
    ev->input_len = input_len;
    ev->output = store_payload(chain, output, output_len);
    ev->output_len = output_len;
    ev->has_state = state_hash != NULL;
    memcpy(ev->state_hash, state_hash ? state_hash : zero_hash, TH_HASH_SIZE);
    th_event_compute_hash(ev, ev->hash);

    chain->len++;
    memcpy(chain->recorded_head, ev->hash, TH_HASH_SIZE);
    chain->recorded_len = chain->len;
    return ev;
}

void th_chain_push_stored(th_chain *chain, const th_event *stored)
{
    if (stored->input_len > UINT32_MAX || stored->output_len > UINT32_MAX)
        refuse_event("payload larger than 4 GiB");
    grow_events(chain);
    th_event *ev = &chain->events[chain->len];
    *ev = *stored; /* index, parent, hash, type: as stored, even when wrong */
    ev->name = store_name(chain, stored->name ? stored->name : "");
    ev->input = store_payload(chain, stored->input, stored->input_len);
    ev->output = store_payload(chain, stored->output, stored->output_len);
    chain->len++;
    memcpy(chain->recorded_head, ev->hash, TH_HASH_SIZE);
    chain->recorded_len = chain->len;
}

void th_chain_set_record(th_chain *chain, const uint8_t head[TH_HASH_SIZE], size_t length)
{
    memcpy(chain->recorded_head, head, TH_HASH_SIZE);
    chain->recorded_len = length;
}

/* ---- Reading ------------------------------------------------------------ */

size_t th_chain_length(const th_chain *chain)
{
    return chain->len;
}

const th_event *th_chain_event(const th_chain *chain, size_t index)
{
    return index < chain->len ? &chain->events[index] : NULL;
}

void th_chain_head(const th_chain *chain, uint8_t out[TH_HASH_SIZE])
{
    memcpy(out, chain->len ? chain->events[chain->len - 1].hash : zero_hash, TH_HASH_SIZE);
}

/* ---- Verification ------------------------------------------------------- */

/* Records why verification stopped at event `index`; returns false. */
static bool __attribute__((format(printf, 3, 4)))
verify_fail(th_verify_report *r, size_t index, const char *fmt, ...)
{
    r->ok = false;
    r->first_bad = index;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
    return false;
}

static const char *short_hex(const uint8_t *hash, char out[2 * SHORT_HASH_BYTES + 1])
{
    th_hex_encode(hash, SHORT_HASH_BYTES, out);
    return out;
}

/* The checks on one event, in the order that names the most specific
 * problem: where it sits, what it links to, what it is, what it hashes to. */
static bool verify_event(const th_event *ev, size_t i, const uint8_t *expected_parent,
                         th_verify_report *r)
{
    if (ev->index != i)
        return verify_fail(r, i, "event %zu: index %" PRIu64 " is out of place", i, ev->index);
    if (memcmp(ev->parent, expected_parent, TH_HASH_SIZE) != 0) {
        if (i == 0)
            return verify_fail(r, i, "event 0: parent hash is not zero");
        return verify_fail(r, i, "event %zu: parent hash does not match the hash of event %zu", i,
                           i - 1);
    }
    if (ev->type < TH_EV_SPAWN || ev->type > TH_EV_STOP)
        return verify_fail(r, i, "event %zu: type %d is not a known event type", i, (int)ev->type);
    uint8_t computed[TH_HASH_SIZE];
    th_event_compute_hash(ev, computed);
    if (memcmp(computed, ev->hash, TH_HASH_SIZE) != 0) {
        char stored_hex[2 * SHORT_HASH_BYTES + 1], computed_hex[2 * SHORT_HASH_BYTES + 1];
        return verify_fail(r, i,
                           "event %zu: stored hash %s… does not match its contents (computed "
                           "%s…)",
                           i, short_hex(ev->hash, stored_hex), short_hex(computed, computed_hex));
    }
    return true;
}

/* The events are intact among themselves; they must also end where the
 * chain's record of its head says, or events were dropped or rewritten
 * from some point on. */
static bool verify_head_record(const th_chain *chain, th_verify_report *r)
{
    size_t n = chain->len, recorded = chain->recorded_len;
    if (n < recorded)
        return verify_fail(r, n,
                           "chain ends after %zu events but its head record says %zu (events "
                           "%zu.. are missing)",
                           n, recorded, n);
    if (n > recorded)
        return verify_fail(r, recorded,
                           "chain has %zu events but its head record says %zu (events %zu.. "
                           "were never recorded)",
                           n, recorded, recorded);
    if (n && memcmp(chain->events[n - 1].hash, chain->recorded_head, TH_HASH_SIZE) != 0)
        return verify_fail(r, n - 1, "event %zu: hash differs from the recorded head", n - 1);
    if (!n && memcmp(chain->recorded_head, zero_hash, TH_HASH_SIZE) != 0)
        return verify_fail(r, 0, "the chain is empty but its head record is not zero");
    return true;
}

bool th_chain_verify(const th_chain *chain, th_verify_report *report)
{
    th_verify_report scratch;
    th_verify_report *r = report ? report : &scratch;
    memset(r, 0, sizeof *r);

    const uint8_t *expected_parent = zero_hash;
    for (size_t i = 0; i < chain->len; i++) {
        const th_event *ev = &chain->events[i];
        if (!verify_event(ev, i, expected_parent, r))
            return false;
        r->events_checked++;
        r->bytes_checked += th_event_encoded_size(ev);
        expected_parent = ev->hash;
    }
    if (!verify_head_record(chain, r))
        return false;
    r->ok = true;
    return true;
}

/* ---- Tampering, for tests ----------------------------------------------- */

th_event *th_chain_event_mut(th_chain *chain, size_t index)
{
    return index < chain->len ? &chain->events[index] : NULL;
}

void th_chain_remove(th_chain *chain, size_t index)
{
    if (index >= chain->len)
        return;
    memmove(&chain->events[index], &chain->events[index + 1],
            (chain->len - index - 1) * sizeof(th_event));
    chain->len--;
}

void th_chain_swap(th_chain *chain, size_t a, size_t b)
{
    if (a >= chain->len || b >= chain->len || a == b)
        return;
    th_event tmp = chain->events[a];
    chain->events[a] = chain->events[b];
    chain->events[b] = tmp;
}

void th_chain_truncate(th_chain *chain, size_t n)
{
    if (n < chain->len)
        chain->len = n;
}
