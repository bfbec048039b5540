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
} th_limits;

#define TH_DEFAULT_MEMORY_MB 64
#define TH_DEFAULT_FUEL 1000000000ULL
#define TH_DEFAULT_TIME_MS 10000

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
    toml_value *doc; /* the parsed document; owns what handler configs point to */
};

/* True when the manifest lists a handler of this type (runtime: always). */
bool th_manifest_grants(const th_manifest *m, th_handler_type type);
/* The first grant of this type, or NULL. */
const th_handler_grant *th_manifest_grant(const th_manifest *m, th_handler_type type);

#endif
