/* WIT values, independent of where they live. The executor lifts them out
 * of (and lowers them into) wasm memory by the canonical ABI; the chain
 * records them in a self-describing byte encoding (value_codec.c,
 * docs/chain.md). Values are allocated in an arena owned by whoever made
 * them, and freed all at once with it. */
#ifndef TH_COMMON_VALUE_H
#define TH_COMMON_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "theater/theater.h"

typedef enum th_val_kind {
    TH_VAL_BOOL = 1,
    TH_VAL_U8,
    TH_VAL_U16,
    TH_VAL_U32,
    TH_VAL_U64,
    TH_VAL_S8,
    TH_VAL_S16,
    TH_VAL_S32,
    TH_VAL_S64,
    TH_VAL_CHAR,    /* a Unicode scalar value, in u */
    TH_VAL_STRING,  /* UTF-8 bytes in bytes */
    TH_VAL_BYTES,   /* list<u8>, in bytes */
    TH_VAL_LIST,    /* any other list<T>, in items */
    TH_VAL_TUPLE,   /* tuples and records, in items */
    TH_VAL_OPTION,  /* disc 0 none, 1 some(payload) */
    TH_VAL_RESULT,  /* disc 0 ok, 1 err; payload may be NULL (result<_, E>) */
    TH_VAL_VARIANT, /* disc = case index; payload may be NULL; enums too */
    TH_VAL_FLAGS,   /* bit set in u */
} th_val_kind;

typedef struct th_val th_val;
struct th_val {
    th_val_kind kind;
    union {
        bool b;
        uint64_t u; /* unsigned kinds, char, flags */
        int64_t s;  /* signed kinds */
        struct {
            const uint8_t *ptr;
            size_t len;
        } bytes;
        struct {
            th_val *items;
            size_t len;
        } list;
        struct {
            uint32_t disc;
            th_val *payload;
        } var;
    };
};

/* Constructors; th_val_bytes and th_val_string copy into the arena. */
th_val *th_val_new(th_arena *a, th_val_kind kind);
th_val *th_val_bytes(th_arena *a, const void *p, size_t len);
th_val *th_val_string(th_arena *a, const char *s, size_t len);
th_val *th_val_tuple(th_arena *a, size_t n); /* n zeroed items to fill in */
th_val *th_val_option(th_arena *a, th_val *payload /* NULL = none */);
th_val *th_val_ok(th_arena *a, th_val *payload /* may be NULL */);
th_val *th_val_err(th_arena *a, th_val *payload /* may be NULL */);
th_val *th_val_u64(th_arena *a, th_val_kind kind, uint64_t u);

/* Deep equality. */
bool th_val_equal(const th_val *a, const th_val *b);

/* Appends the self-describing encoding of v (docs/chain.md) to out. */
void th_val_encode(const th_val *v, th_buf *out);
/* Decodes exactly one value that fills [p, p+len); values point into the
 * arena (bytes are copied). Returns NULL with err naming the offset and the
 * problem on malformed input; never reads outside the given bytes. */
th_val *th_val_decode(th_arena *a, const uint8_t *p, size_t len, th_error *err);

/* A short, readable rendering for `chain show` and messages: strings and
 * byte lists that are printable UTF-8 appear as text, others as hex; output
 * is cut at max_len bytes with "…". */
void th_val_render(const th_val *v, th_buf *out, size_t max_len);

#endif
