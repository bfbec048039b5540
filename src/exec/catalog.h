/* The catalogue of every function in the WIT package theater:simple that
 * crosses the sandbox: what actors may import (host functions) and what
 * they may export (entry points the runtime calls). It mirrors the files in wit/;
 * tests/unit/test_catalog.c checks the two agree. */
#ifndef TH_EXEC_CATALOG_H
#define TH_EXEC_CATALOG_H

#include "common/value.h"
#include "exec/wit_type.h"
#include "manifest/manifest.h"

/* A host function: takes the lifted params (a tuple), returns the result to
 * lower (NULL when the function returns nothing). Returning -1 traps the
 * actor with err's message: only for host failures, never for an error the
 * WIT result type can express. */
typedef int (*th_host_fn)(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                          th_error *err);

typedef struct th_import {
    const char *module;      /* "theater:simple/runtime" */
    const char *field;       /* "log" */
    const char *params_text; /* "tuple<string>" */
    const char *result_text; /* NULL when none */
    th_handler_type handler; /* the grant it needs */
    th_host_fn fn;           /* NULL: not served by this version */
    /* filled in by th_catalog_init */
    char name[96]; /* "theater:simple/runtime#log" */
    th_func_type type;
    th_core_sig sig;
} th_import;

typedef enum th_export_id {
    TH_EXPORT_INIT,
    TH_EXPORT_HANDLE_SEND,
    TH_EXPORT_HANDLE_REQUEST,
    TH_EXPORT_CHANNEL_OPEN,
    TH_EXPORT_CHANNEL_MESSAGE,
    TH_EXPORT_CHANNEL_CLOSE,
    TH_EXPORT_CHILD_ERROR,
    TH_EXPORT_CHILD_EXIT,
    TH_EXPORT_CHILD_EXTERNAL_STOP,
    TH_EXPORT_HTTP_REQUEST,
    TH_EXPORT_TIMER,
    TH_EXPORT_COUNT,
} th_export_id;

/* Every export takes (state, params) and returns
 * result<tuple<state, results...>, string>. */
typedef struct th_export {
    const char *name;         /* "theater:simple/message-server-client#handle-send" */
    const char *params_text;  /* the `params` tuple, after the state */
    const char *results_text; /* what follows the state in the ok tuple, as a tuple */
    th_handler_type handler;  /* the grant it serves; RUNTIME for init */
    /* filled in by th_catalog_init */
    char post_name[128]; /* "cabi_post_" + name */
    th_func_type type;   /* the whole function */
    th_core_sig sig;
} th_export;

/* Parses every type once; call before anything else in this header.
 * Thread-safe and idempotent. Returns -1 only on a bug in the tables. */
int th_catalog_init(th_error *err);

const th_import *th_catalog_imports(size_t *count);
const th_import *th_catalog_find_import(const char *module, const char *field);
const th_export *th_catalog_export(th_export_id id);
const th_export *th_catalog_find_export(const char *name);
/* Interfaces by module name: the handler that grants them, or -1. */
int th_catalog_interface_handler(const char *module);

#endif
