/* WIT types and their canonical-ABI shape (size, alignment, flattening).
 * Types are written as short strings, e.g.
 *     "result<tuple<option<list<u8>>, tuple<list<u8>>>, string>"
 * and parsed once at start-up into trees that live in an arena. Records are
 * written as tuples (their ABI is the same), enums as variants without
 * payloads: "variant<string, string, _>" has three cases, the last empty. */
#ifndef TH_EXEC_WIT_TYPE_H
#define TH_EXEC_WIT_TYPE_H

#include <stdint.h>

#include "common/arena.h"
#include "common/value.h"

/* The canonical ABI passes at most this many flat values as core params
 * (more go through memory) and at most one core result. */
#define TH_MAX_FLAT_PARAMS 16
#define TH_MAX_FLAT_RESULTS 1

/* Flat core types. Our WIT package has no floats, so i32 and i64 suffice. */
enum { TH_FLAT_I32 = 1, TH_FLAT_I64 = 2 };

typedef struct th_type th_type;
struct th_type {
    th_val_kind kind;      /* TH_VAL_BYTES is list<u8> */
    const th_type *elem;   /* LIST */
    const th_type **items; /* TUPLE fields; OPTION: [some]; RESULT: [ok, err];
                              VARIANT: cases. An item may be NULL: no payload. */
    uint32_t n_items;
    uint32_t size, align;    /* in linear memory */
    uint32_t payload_offset; /* OPTION, RESULT, VARIANT */
    uint8_t n_flat;          /* flat values; TH_MAX_FLAT_PARAMS + 1 means "too many" */
    uint8_t flat[TH_MAX_FLAT_PARAMS + 1];
};

/* Parses a type; NULL with err naming the offset on a syntax error. */
const th_type *th_type_parse(th_arena *a, const char *text, th_error *err);

/* The type of one function's params as a tuple, and its result (NULL when
 * the function returns nothing). */
typedef struct th_func_type {
    const th_type *params; /* TUPLE */
    const th_type *result; /* may be NULL */
} th_func_type;

/* The core wasm signature of a lifted (export) or lowered (import) function:
 * core param and result types as TH_FLAT_* codes. */
typedef struct th_core_sig {
    uint8_t n_params, n_results;
    uint8_t params[TH_MAX_FLAT_PARAMS + 1];
    uint8_t results[1];
} th_core_sig;

void th_core_sig_export(const th_func_type *ft, th_core_sig *out);
void th_core_sig_import(const th_func_type *ft, th_core_sig *out);
/* "(i32, i32) -> i32" */
void th_core_sig_render(const th_core_sig *sig, char *out, size_t out_size);

#endif
