/* A TOML 1.0 parser. It builds a tree of values; every value and key keeps
 * the line and column where it was written so that later checks (the
 * manifest model) can point at the exact spot. Errors read
 * "FILE:LINE:COL: what was expected". Lines and columns count from 1;
 * columns count bytes. */
#ifndef TH_MANIFEST_TOML_H
#define TH_MANIFEST_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "theater/theater.h"

typedef enum toml_kind {
    TOML_STRING,
    TOML_INTEGER,
    TOML_FLOAT,
    TOML_BOOL,
    TOML_DATETIME, /* offset date-time, local date-time, local date or local time */
    TOML_ARRAY,
    TOML_TABLE,
} toml_kind;

typedef struct toml_value toml_value;

typedef struct toml_kv {
    char *key; /* NUL-terminated; a key containing NUL is rejected */
    int line, col;
    toml_value *value;
} toml_kv;

struct toml_value {
    toml_kind kind;
    int line, col;
    union {
        struct {
            char *ptr; /* NUL-terminated; len excludes the NUL (may hold \u0000) */
            size_t len;
        } str;     /* TOML_STRING; TOML_DATETIME keeps its text here too */
        int64_t i; /* TOML_INTEGER */
        double f;  /* TOML_FLOAT */
        bool b;    /* TOML_BOOL */
        struct {
            toml_value **items;
            size_t len;
        } arr; /* TOML_ARRAY */
        struct {
            toml_kv *items; /* in document order */
            size_t len;
        } tab; /* TOML_TABLE */
    };
};

/* Parses a whole document; returns the root table, or NULL with err set.
 * `filename` is only used in messages. */
toml_value *toml_parse(const char *text, size_t len, const char *filename, th_error *err);
void toml_free(toml_value *v);

/* Looks a key up in a table; NULL when absent or when t is not a table. */
const toml_value *toml_table_get(const toml_value *t, const char *key);
/* The key entry itself (for its position); NULL when absent. */
const toml_kv *toml_table_entry(const toml_value *t, const char *key);

/* "string", "integer", "float", "boolean", "datetime", "array", "table". */
const char *toml_kind_name(toml_kind kind);

#endif
