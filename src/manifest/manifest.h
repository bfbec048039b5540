/* The manifest model: what a manifest file says an actor is and may do.
 * th_manifest_load/parse (public API) build it from TOML and check every
 * key, type and value; the reference is docs/manifest.md. */
#ifndef TH_MANIFEST_MANIFEST_H
#define TH_MANIFEST_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manifest/toml.h"
#include "theater/theater.h"

/* Handler types, in the order docs/manifest.md lists them. */
typedef enum th_handler_type {
    TH_HANDLER_RUNTIME, /* always granted; may be listed */
    TH_HANDLER_MESSAGE_SERVER,
    TH_HANDLER_SUPERVISOR,
    TH_HANDLER_STORE,
    TH_HANDLER_HTTP_SERVER,
    TH_HANDLER_HTTP_CLIENT,
    TH_HANDLER_FILESYSTEM,
    TH_HANDLER_TIMING,
    TH_HANDLER_RANDOM,
    TH_HANDLER_ENVIRONMENT,
    TH_HANDLER_COUNT,
} th_handler_type;

/* "runtime", "message-server", ... as written in manifests. */
const char *th_handler_type_name(th_handler_type type);

typedef struct th_handler_grant {
    th_handler_type type;
    const toml_value *config; /* the config table (borrowed from the document); NULL if absent */
    int line, col;            /* where the [[handlers]] entry starts */
} th_handler_grant;

typedef struct th_limits {
    uint64_t memory_bytes; /* linear memory per actor; [limits] memory_mb, default 64 */
    uint64_t fuel;         /* per call; [limits] fuel, default 1,000,000,000 */
    uint32_t time_ms;      /* per call, wall clock; [limits] time_ms, default 10,000 */
    uint32_t mailbox;      /* messages queued at most; [limits] mailbox, default 1024 */
} th_limits;

#define TH_DEFAULT_MEMORY_MB 64
#define TH_DEFAULT_FUEL 1000000000ULL
#define TH_DEFAULT_TIME_MS 10000
#define TH_DEFAULT_MAILBOX 1024

/* What a supervisor does when a child exits (docs/supervision.md). The
 * numbering follows the order the manifest reference lists them. */
typedef enum th_restart {
    TH_RESTART_PERMANENT = 0, /* always restarted */
    TH_RESTART_TRANSIENT = 1, /* restarted only when it failed */
    TH_RESTART_TEMPORARY = 2, /* never restarted */
} th_restart;

typedef enum th_strategy {
    TH_STRATEGY_ONE_FOR_ONE = 0,  /* only the child that exited */
    TH_STRATEGY_ONE_FOR_ALL = 1,  /* every child */
    TH_STRATEGY_REST_FOR_ONE = 2, /* the child and those started after it */
} th_strategy;

typedef enum th_restart_from {
    TH_RESTART_FROM_LAST_STATE = 0, /* the state after its last good event */
    TH_RESTART_FROM_INIT = 1,       /* its initial state, then init again */
} th_restart_from;

/* [supervisor]: how this actor supervises its children. */
typedef struct th_supervisor_spec {
    th_strategy strategy;         /* strategy, default "one-for-one" */
    uint32_t intensity;           /* intensity: restarts allowed ..., default 3 */
    uint32_t period_s;            /* period: ... within this many seconds, default 5 */
    th_restart restart;           /* restart: for children spawned at run time, default permanent */
    th_restart_from restart_from; /* restart_from, default "last-state" */
} th_supervisor_spec;

#define TH_DEFAULT_INTENSITY 3
#define TH_DEFAULT_PERIOD_S 5

/* One [[children]] entry: a child the runtime starts with its parent. */
typedef struct th_child_spec {
    char *manifest;     /* required; resolved against the parent manifest's dir, owned */
    th_restart restart; /* restart, default permanent */
    bool has_initial_state;
    uint8_t *initial_state; /* initial_state (JSON text, validated), owned; overrides the child's */
    size_t initial_state_len;
    int line, col; /* where the entry starts */
} th_child_spec;

struct th_manifest {
    char *text;        /* the manifest as written (kept for the registry) */
    char *path;        /* as given */
    char *dir;         /* directory relative paths are resolved against */
    char *name;        /* required */
    char *version;     /* required */
    char *description; /* optional, NULL if absent */
    char *package;     /* required in the file; stored resolved against dir */
    bool has_initial_state;
    uint8_t *initial_state; /* the JSON bytes as written (validated), owned */
    size_t initial_state_len;
    th_handler_grant *handlers; /* owned array */
    size_t n_handlers;
    th_limits limits;
    bool has_durability; /* [runtime] durability; otherwise the data directory's */
    th_durability durability;
    /* [supervisor]; without the table the actor still gets child events,
     * and children it spawns at run time are temporary (never restarted). */
    bool has_supervisor;
    th_supervisor_spec supervisor;
    th_child_spec *children; /* [[children]], owned array, in start order */
    size_t n_children;
    toml_value *doc; /* the parsed document; owns what handler configs point to */
};

/* True when the manifest lists a handler of this type (runtime: always). */
bool th_manifest_grants(const th_manifest *m, th_handler_type type);
/* The first grant of this type, or NULL. */
const th_handler_grant *th_manifest_grant(const th_manifest *m, th_handler_type type);

#endif
