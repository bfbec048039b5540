/* A tiny JSON helper for actors, which take JSON in and give JSON out.
 *
 * Reading: look up one top-level key of an object and get its value as a
 * string, an integer or a boolean. Each lookup checks the whole document
 * (any input is accepted without reading past `len`, nesting is limited,
 * strings must be valid UTF-8), so a truncated or broken message is reported
 * as malformed even when the key comes first. Nothing is allocated.
 *
 *   char op[16];
 *   size_t op_len;
 *   theater_json_status s = theater_json_get_string(msg->ptr, msg->len, "op",
 *                                                   op, sizeof op, &op_len);
 *   if (s != THEATER_JSON_OK)
 *       return theater_json_error("op", "a string", s);   // "'op' is missing", ...
 *
 * Writing: build an object field by field into an owned theater_bytes.
 *
 *   theater_json_writer w;
 *   theater_json_begin(&w);
 *   theater_json_add_int(&w, "count", 42);
 *   theater_bytes out = theater_json_end(&w);   // {"count":42}, yours
 */
#ifndef THEATER_SDK_JSON_H
#define THEATER_SDK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "actor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum theater_json_status {
    THEATER_JSON_OK = 0,
    THEATER_JSON_MALFORMED,    /* not one well-formed JSON object */
    THEATER_JSON_MISSING,      /* the object has no such key */
    THEATER_JSON_DUPLICATE,    /* the key appears more than once: ambiguous */
    THEATER_JSON_WRONG_TYPE,   /* the value has another type (1.5 is not an integer) */
    THEATER_JSON_OUT_OF_RANGE, /* an integer outside int64_t */
    THEATER_JSON_TOO_LONG,     /* a string longer than the caller's buffer */
} theater_json_status;

/* A short phrase for a status: "is missing", "is not a JSON object", ... */
const char *theater_json_status_text(theater_json_status status);

/* An error for a failed lookup of `key`, which should have held `expected`
 * ("a string", "an integer"): "message is not a JSON object", "'op' is
 * missing", "'n' must be an integer", ... */
theater_err theater_json_error(const char *key, const char *expected, theater_json_status status);

/* Checks that json[0..len) is one JSON object (whitespace around allowed). */
theater_json_status theater_json_check_object(const void *json, size_t len);

/* The string value of top-level `key`, unescaped, into out[0..cap): on
 * success *out_len is its length and out[*out_len] is a NUL (so cap must
 * exceed the longest value wanted; the value may itself contain NULs written
 * as \u0000). On THEATER_JSON_TOO_LONG *out_len is the length it would need. */
theater_json_status theater_json_get_string(const void *json, size_t len, const char *key,
                                            char *out, size_t cap, size_t *out_len);

/* The integer value of top-level `key` (no fraction, no exponent). */
theater_json_status theater_json_get_int(const void *json, size_t len, const char *key,
                                         int64_t *out);

/* The boolean value of top-level `key`. */
theater_json_status theater_json_get_bool(const void *json, size_t len, const char *key, bool *out);

/* Writes {"key":value,...}. Keys and string values are escaped; invalid UTF-8
 * in them is written as U+FFFD, so the output is always valid JSON. */
typedef struct theater_json_writer {
    theater_buf buf;
    size_t fields;
} theater_json_writer;

void theater_json_begin(theater_json_writer *w);
void theater_json_add_string(theater_json_writer *w, const char *key, const void *value,
                             size_t len);
void theater_json_add_cstr(theater_json_writer *w, const char *key, const char *value);
void theater_json_add_int(theater_json_writer *w, const char *key, int64_t value);
void theater_json_add_bool(theater_json_writer *w, const char *key, bool value);
void theater_json_add_null(theater_json_writer *w, const char *key);
/* A value that is already JSON, written as is: the caller vouches for it. */
void theater_json_add_raw(theater_json_writer *w, const char *key, const void *json, size_t len);
/* Closes the object and hands over its bytes (owned by the caller). */
theater_bytes theater_json_end(theater_json_writer *w);
/* Drops a half-written object. */
void theater_json_abandon(theater_json_writer *w);

#ifdef __cplusplus
}
#endif

#endif
