/* The canonical encoding of an event, version 1 (docs/chain.md). This file
 * is its only producer: the hash of every event, here and in any other
 * verifier, is SHA-256 over exactly these bytes. All integers big-endian.
 *
 *   u8  version = 1        u64 index           32B parent
 *   u64 timestamp_ns       u8  type
 *   u32 + name bytes       u32 + input bytes   u32 + output bytes
 *   u8  has_state, then 32B state hash only when has_state = 1
 */
#include "chain/chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/sha256.h"

enum {
    ENCODING_VERSION = 1,
    /* Everything but the three variable-length fields and the state hash. */
    FIXED_SIZE = 1 + 8 + TH_HASH_SIZE + 8 + 1 + 4 + 4 + 4 + 1,
    /* Events up to this size are encoded on the stack before hashing, which
     * covers nearly every event and keeps malloc off the append path. */
    STACK_ENCODE_MAX = 2048,
};

static size_t name_length(const th_event *ev)
{
    return ev->name ? strlen(ev->name) : 0;
}

/* A length that does not fit the u32 of the encoding cannot be recorded
 * faithfully; th_chain_append refuses such events, so reaching this is a
 * bug in whoever built the event by hand. */
static uint32_t length_field(size_t len, const char *what)
{
    if (len > UINT32_MAX) {
        fprintf(stderr, "theater: event %s of %zu bytes exceeds the 4 GiB limit\n", what, len);
        abort();
    }
    return (uint32_t)len;
}

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

static uint8_t *put_u64(uint8_t *p, uint64_t v)
{
    return put_u32(put_u32(p, (uint32_t)(v >> 32)), (uint32_t)v);
}

static uint8_t *put_bytes(uint8_t *p, const void *data, size_t len)
{
    if (len)
        memcpy(p, data, len);
    return p + len;
}

static uint8_t *put_field(uint8_t *p, const void *data, size_t len)
{
    return put_bytes(put_u32(p, (uint32_t)len), data, len);
}

/* Checks the lengths first, so that the sum cannot overflow and every
 * length fits its u32 field before a single byte is written. */
static size_t encoded_size(const th_event *ev, size_t name_len)
{
    size_t variable = (size_t)length_field(name_len, "name") +
                      length_field(ev->input_len, "input") + length_field(ev->output_len, "output");
    return FIXED_SIZE + variable + (ev->has_state ? TH_HASH_SIZE : 0);
}

/* Writes the encoding into dst, which holds encoded_size() bytes (so every
 * length has been checked to fit its u32). */
static void encode_into(const th_event *ev, size_t name_len, uint8_t *dst)
{
    uint8_t *p = dst;
    *p++ = ENCODING_VERSION;
    p = put_u64(p, ev->index);
    p = put_bytes(p, ev->parent, TH_HASH_SIZE);
    p = put_u64(p, (uint64_t)ev->timestamp_ns);
    /* The type is stored as one byte; a value that does not fit is kept
     * distinct from every valid one so verification reports it. */
    *p++ = (uint8_t)((unsigned)ev->type <= 0xff ? (unsigned)ev->type : 0xff);
    p = put_field(p, ev->name, name_len);
    p = put_field(p, ev->input, ev->input_len);
    p = put_field(p, ev->output, ev->output_len);
    *p++ = ev->has_state ? 1 : 0;
    if (ev->has_state)
        p = put_bytes(p, ev->state_hash, TH_HASH_SIZE);
}

size_t th_event_encoded_size(const th_event *ev)
{
    return encoded_size(ev, name_length(ev));
}

void th_event_encode(const th_event *ev, th_buf *out)
{
    size_t name_len = name_length(ev);
    size_t size = encoded_size(ev, name_len);
    th_buf_reserve(out, size);
    encode_into(ev, name_len, out->data + out->len);
    out->len += size;
}

void th_event_compute_hash(const th_event *ev, uint8_t out[TH_HASH_SIZE])
{
    size_t name_len = name_length(ev);
    size_t size = encoded_size(ev, name_len);
    if (size <= STACK_ENCODE_MAX) {
        uint8_t stack[STACK_ENCODE_MAX];
        encode_into(ev, name_len, stack);
        th_sha256(stack, size, out);
        return;
    }
    uint8_t *heap = th_xmalloc(size);
    encode_into(ev, name_len, heap);
    th_sha256(heap, size, out);
    free(heap);
}

const char *th_event_type_name(th_event_type type)
{
    switch (type) {
    case TH_EV_SPAWN:
        return "spawn";
    case TH_EV_CALL:
        return "call";
    case TH_EV_RETURN:
        return "return";
    case TH_EV_TRAP:
        return "trap";
    case TH_EV_HOST:
        return "host";
    case TH_EV_STOP:
        return "stop";
    }
    return "unknown";
}
