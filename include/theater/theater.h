/* Theater: a runtime for WebAssembly actors whose every interaction is
 * recorded in a tamper-evident SHA-256 hash chain.
 *
 * This header is the public C API for embedding Theater in a program.
 * Conventions:
 *  - Every fallible function takes a th_error * (may be NULL) and returns
 *    0 on success, -1 on failure (or NULL for constructors), after writing
 *    one sentence into err->msg naming what is wrong and where.
 *  - Whoever creates an object frees it with the matching *_free function.
 *    Bytes handed out by the library are owned by the caller unless the
 *    function says they are borrowed.
 *  - An engine may be shared by threads. A th_actor on its own (th_actor_*)
 *    is used by one thread at a time; a th_runtime (th_runtime_*) runs many
 *    actors on its own threads and every th_runtime_* function may be
 *    called from any thread.
 */
#ifndef THEATER_THEATER_H
#define THEATER_THEATER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define THEATER_VERSION "0.1.0"

/* The version string of the library, e.g. "0.1.0 (wasmtime 48.0.8)". */
const char *th_version(void);

/* What kind of failure an error reports. */
typedef enum th_error_kind {
    TH_ERROR_INVALID = 0, /* bad input: arguments, manifest, package, refused import */
    TH_ERROR_ACTOR = 1,   /* the actor failed: trapped, timed out, returned an error */
} th_error_kind;

typedef struct th_error {
    th_error_kind kind;
    char msg[1024];
} th_error;

/* ---- Manifests ---------------------------------------------------------- */

typedef struct th_manifest th_manifest;

/* Reads and validates a TOML manifest. Errors name file:line:col. */
th_manifest *th_manifest_load(const char *path, th_error *err);
/* Parses a manifest from text; `path` is used in messages and to resolve
 * relative paths (its directory is the manifest's base directory). */
th_manifest *th_manifest_parse(const char *text, size_t len, const char *path, th_error *err);
void th_manifest_free(th_manifest *m);
const char *th_manifest_name(const th_manifest *m);

/* ---- Engine -------------------------------------------------------------- */

typedef struct th_engine th_engine;

#define TH_DEFAULT_POOL_SLOTS 1000

/* Where actors' runtime.log lines go. */
typedef void (*th_log_fn)(void *userdata, const char *actor_id, const char *actor_name,
                          const char *msg, size_t len);

typedef struct th_engine_options {
    /* Directory for compiled modules; NULL means $THEATER_CACHE_DIR, else
     * ${XDG_CACHE_HOME:-~/.cache}/theater/modules. "" disables the cache. */
    const char *cache_dir;
    /* Allocate each actor's memory on demand instead of from the pooling
     * allocator's pre-reserved slots. Pooling reserves about 4 GiB of
     * address space per slot up front (1000 slots), which is fast but too
     * much for tools such as valgrind; THEATER_POOLING=0 sets this too. */
    bool no_pooling;
    /* Pooling slots: how many actors may be alive at once (0: 1,000;
     * THEATER_POOL_SLOTS overrides). Each reserves address space, not
     * memory: about 4 GiB of it per slot, so 10,000 slots reserve 40 TiB of
     * the 128 TiB a process has; `theater server` asks for 10,000. */
    unsigned pool_slots;
    /* NULL: one line per log call on stderr, "[name] message". */
    th_log_fn log;
    void *log_userdata;
} th_engine_options;

/* One engine per process is typical: it owns the compiler, the module cache
 * and the epoch ticker thread that bounds every call's time. */
th_engine *th_engine_new(const th_engine_options *opts, th_error *err);
void th_engine_free(th_engine *engine);

/* ---- Chains -------------------------------------------------------------- */

typedef struct th_chain th_chain;

#define TH_HASH_SIZE 32

/* What an event records. The numbering is part of the chain's canonical
 * encoding (docs/chain.md) and never changes. */
typedef enum th_event_type {
    TH_EV_SPAWN = 1,  /* actor created: manifest name, package hash */
    TH_EV_CALL = 2,   /* an export is called: its name and arguments */
    TH_EV_RETURN = 3, /* the export returned: its result (ok or err) */
    TH_EV_TRAP = 4,   /* the call trapped, timed out or broke the ABI */
    TH_EV_HOST = 5,   /* a host function call: name, input and output */
    TH_EV_STOP = 6,   /* actor stopped: reason */
} th_event_type;

typedef struct th_event {
    uint64_t index;               /* position in the chain, from 0 */
    uint8_t parent[TH_HASH_SIZE]; /* hash of event index-1; zeros for 0 */
    uint8_t hash[TH_HASH_SIZE];   /* SHA-256 of the canonical encoding */
    int64_t timestamp_ns;         /* wall clock, ns since the Unix epoch */
    th_event_type type;
    const char *name;     /* e.g. "theater:simple/runtime#log" */
    const uint8_t *input; /* encoded value (docs/chain.md) */
    size_t input_len;
    const uint8_t *output;
    size_t output_len;
    bool has_state;                   /* false when the state is none */
    uint8_t state_hash[TH_HASH_SIZE]; /* SHA-256 of the state after the event */
} th_event;

size_t th_chain_length(const th_chain *chain);
/* Borrowed; valid until the chain changes or is freed. NULL if out of range. */
const th_event *th_chain_event(const th_chain *chain, size_t index);
/* Hash of the last event; zeros for an empty chain. */
void th_chain_head(const th_chain *chain, uint8_t out[TH_HASH_SIZE]);

typedef struct th_verify_report {
    bool ok;
    size_t events_checked;
    size_t bytes_checked;
    size_t first_bad; /* index of the first bad event when !ok */
    char reason[256]; /* why it is bad */
} th_verify_report;

/* Recomputes every hash and link. Returns true when the chain is intact. */
bool th_chain_verify(const th_chain *chain, th_verify_report *report);

/* ---- Persistence ---------------------------------------------------------- */

/* A data directory's database: the actor registry and every actor's chain
 * and states (docs/storage.md). */
typedef struct th_db th_db;

typedef enum th_durability {
    TH_DURABILITY_OFF = 0,    /* committed in batches, never fsync'd: benchmarks and tests */
    TH_DURABILITY_BATCH = 1,  /* group commit, fsync'd within a bounded delay (default) */
    TH_DURABILITY_ALWAYS = 2, /* fsync'd before any effect of an event is acknowledged */
} th_durability;

/* Opens (creating if needed) DIR/theater.db; see docs/storage.md. */
th_db *th_db_open(const char *dir, th_durability durability, th_error *err);
/* Commits everything queued, then closes. */
void th_db_close(th_db *db);

/* ---- Actors -------------------------------------------------------------- */

typedef struct th_actor th_actor;

/* Loads the manifest's package, refuses imports the manifest does not grant,
 * instantiates it, records the spawn and calls the actor's init. The
 * manifest must outlive the actor. Nothing is persisted. */
th_actor *th_actor_spawn(th_engine *engine, const th_manifest *manifest, th_error *err);

typedef struct th_spawn_options {
    /* Persist the actor (registry, chain, states) in this database; NULL:
     * keep everything in memory. The database must outlive the actor. */
    th_db *db;
    /* The supervising actor's id, recorded in the registry; NULL: none. */
    const char *parent_id;
    /* Overrides the manifest's initial_state when has_initial_state. */
    bool has_initial_state;
    const uint8_t *initial_state;
    size_t initial_state_len;
} th_spawn_options;

th_actor *th_actor_spawn_with(th_engine *engine, const th_manifest *manifest,
                              const th_spawn_options *opts, th_error *err);

/* Brings a stored actor back (id or unique prefix) from its last state: its
 * stored chain must verify; its manifest and package are the stored ones;
 * a new spawn event continues its chain; init is not called again, since
 * the state it would set up is the one restored. */
th_actor *th_actor_resume(th_engine *engine, th_db *db, const char *id, th_error *err);
/* Records a stop event ("ended") unless the actor has already stopped. */
void th_actor_stop(th_actor *actor);
/* Frees the actor and its chain (stop it first to record the stop). */
void th_actor_free(th_actor *actor);

/* The actor's id: 32 lowercase hex digits. Borrowed. */
const char *th_actor_id(const th_actor *actor);
/* The actor's name, from its manifest. Borrowed. */
const char *th_actor_name(const th_actor *actor);

/* Delivers a one-way message (handle-send). */
int th_actor_send(th_actor *actor, const uint8_t *msg, size_t len, th_error *err);
/* Delivers a request (handle-request); on success *response is malloc'd
 * and owned by the caller. */
int th_actor_request(th_actor *actor, const uint8_t *msg, size_t len, uint8_t **response,
                     size_t *response_len, th_error *err);

/* The current state: borrowed; *present is false when the state is none. */
const uint8_t *th_actor_state(const th_actor *actor, size_t *len, bool *present);
/* Borrowed; lives as long as the actor. */
const th_chain *th_actor_chain(const th_actor *actor);
/* True once the actor has failed (trap, timeout, ABI violation), asked to
 * shut down, or was stopped; it accepts no more messages. */
bool th_actor_stopped(const th_actor *actor);

/* How the last failed call failed: the case of WIT actor-error ("trap",
 * "timeout", "out-of-memory", "export-error", "abi-violation"), or NULL
 * when no call has failed. */
const char *th_actor_fault_kind(const th_actor *actor);

/* ---- Runtime: many actors, concurrently ------------------------------------
 *
 * A runtime runs actors on a pool of worker threads, each actor with a
 * bounded mailbox, one message at a time; actors talk to each other through
 * the message-server and supervise each other through the supervisor
 * interface (docs/messaging.md, docs/supervision.md). Every function below
 * is safe to call from any thread; from inside a callback (events, channel
 * messages) call only th_runtime_send and th_runtime_channel_send, which
 * never wait on an actor. Ids may be given in full or as a unique prefix of at
 * least 4 hex digits. */

typedef struct th_runtime th_runtime;

typedef struct th_runtime_options {
    /* Workers running actors; 0: one per online core. */
    unsigned threads;
    /* Persist every actor in this database; NULL: in memory. Must outlive
     * the runtime. */
    th_db *db;
    /* How long an actor's request (and a channel open) waits for the other
     * actor's answer before failing; 0: 30,000 ms. */
    uint32_t request_timeout_ms;
    /* How long th_runtime_send and th_runtime_request wait for room in a
     * full mailbox; 0: 5,000 ms. Actors never wait: they get an error. */
    uint32_t send_timeout_ms;
    /* Messages an actor handles per turn before others get the worker;
     * 0: 64. */
    uint32_t batch;
} th_runtime_options;

/* The engine must outlive the runtime. */
th_runtime *th_runtime_new(th_engine *engine, const th_runtime_options *opts, th_error *err);
/* Stops every actor still running (a stop event "ended" each) after the
 * calls in progress, and the workers. Queued messages are dropped; waiting
 * requesters get an error. The actors can still be looked at (status,
 * list, with_actor) until th_runtime_free; nothing can be sent. */
void th_runtime_shutdown(th_runtime *rt);
/* Shuts down (if not yet done) and frees every actor. */
void th_runtime_free(th_runtime *rt);

/* Spawns an actor from a manifest file: loads it, runs init on the calling
 * thread, starts the actor's declared [[children]], and writes its id (32
 * hex digits and a NUL) to id_out. parent_id: an actor of this runtime that
 * supervises it, or NULL. initial_state (len bytes) overrides the
 * manifest's when not NULL. */
int th_runtime_spawn(th_runtime *rt, const char *manifest_path, const uint8_t *initial_state,
                     size_t len, const char *parent_id, char id_out[33], th_error *err);
/* The same with a parsed manifest, which the runtime takes (frees it on
 * failure too). */
int th_runtime_spawn_manifest(th_runtime *rt, th_manifest *manifest, const uint8_t *initial_state,
                              size_t len, const char *parent_id, char id_out[33], th_error *err);
/* Brings a stored actor back into the runtime (see th_actor_resume). */
int th_runtime_resume(th_runtime *rt, const char *id, char id_out[33], th_error *err);

/* Queues a one-way message (handle-send); returns once it is in the
 * mailbox, waiting for room up to send_timeout_ms. */
int th_runtime_send(th_runtime *rt, const char *id, const uint8_t *msg, size_t len, th_error *err);
/* Sends a request (handle-request) and waits up to timeout_ms (0: the
 * runtime's request timeout) for the response, which is malloc'd and
 * owned by the caller. */
int th_runtime_request(th_runtime *rt, const char *id, const uint8_t *msg, size_t len,
                       uint32_t timeout_ms, uint8_t **response, size_t *response_len,
                       th_error *err);
/* Stops an actor after its current call and waits until it has stopped.
 * Its supervisor hears of it (handle-child-external-stop) and does not
 * restart it. */
int th_runtime_stop(th_runtime *rt, const char *id, th_error *err);
/* Restarts an actor (stopped or not) from its last state, or re-runs init
 * when `reinit`; returns once it runs again (after its call in progress),
 * or -1 with why it could not. */
int th_runtime_restart(th_runtime *rt, const char *id, bool reinit, th_error *err);

/* Called for every event an actor appends, on the thread running the
 * actor, in chain order, with the actor's lock held: copy what you need
 * and return quickly; do not call th_runtime_* for the same actor. */
typedef void (*th_event_fn)(void *userdata, const char *actor_id, const th_event *event);
/* Subscribes to an actor's events from now on; *sub_id names the
 * subscription for th_runtime_unsubscribe. */
int th_runtime_subscribe(th_runtime *rt, const char *id, th_event_fn fn, void *userdata,
                         uint64_t *sub_id, th_error *err);
int th_runtime_unsubscribe(th_runtime *rt, const char *id, uint64_t sub_id, th_error *err);

/* Calls fn with the actor, under its lock, so that th_actor_state,
 * th_actor_chain, th_actor_stopped etc. may be read: the actor and what
 * they return are valid only during fn, which must not call th_runtime_*
 * for the same actor. */
int th_runtime_with_actor(th_runtime *rt, const char *id,
                          void (*fn)(void *userdata, const th_actor *actor), void *userdata,
                          th_error *err);

typedef struct th_actor_status {
    char id[33];
    char parent[33];  /* "" for a root */
    const char *name; /* borrowed: valid while the runtime lives */
    bool running;
    uint64_t events;    /* chain length */
    uint64_t handled;   /* messages handled */
    uint64_t dropped;   /* messages dropped because the actor stopped */
    uint64_t restarts;  /* times restarted */
    uint32_t mailbox;   /* messages waiting */
    int64_t started_ns; /* when it last (re)started, ns since the Unix epoch */
    uint64_t errors;    /* calls that failed (the actor's own errors included) */
    /* The last failed call: its WIT actor-error case and message; "" when
     * none has failed. */
    char last_error_kind[16];
    char last_error[512];
    char exit_reason[512]; /* how it last stopped; "" while it never has */
    bool failed;           /* it stopped because it failed (trap, timeout, escalation...) */
} th_actor_status;

int th_runtime_status(th_runtime *rt, const char *id, th_actor_status *out, th_error *err);
/* Calls fn for every actor the runtime knows (running or stopped), in no
 * particular order; returns how many. */
size_t th_runtime_list(th_runtime *rt, void (*fn)(void *userdata, const th_actor_status *status),
                       void *userdata);
/* Waits until no actor has mail or is running, up to timeout_ms (0:
 * forever); true when the runtime is idle. */
bool th_runtime_wait_idle(th_runtime *rt, uint32_t timeout_ms);

/* A channel between the embedding program and an actor. Messages from the
 * actor arrive at on_message; on_close is called once when the actor
 * closes the channel or stops. Both run on the actor's thread. */
typedef struct th_channel_client {
    void (*on_message)(void *userdata, const char *channel_id, const uint8_t *msg, size_t len);
    void (*on_close)(void *userdata, const char *channel_id);
    void *userdata;
} th_channel_client;

/* Opens a channel to an actor with a first message and waits for it to be
 * accepted (handle-channel-open); a refusal is an error naming the actor.
 * The client must stay valid until on_close has been called or
 * th_runtime_channel_close has returned. */
int th_runtime_channel_open(th_runtime *rt, const char *id, const uint8_t *msg, size_t len,
                            const th_channel_client *client, char channel_out[33], th_error *err);
int th_runtime_channel_send(th_runtime *rt, const char *channel_id, const uint8_t *msg, size_t len,
                            th_error *err);
int th_runtime_channel_close(th_runtime *rt, const char *channel_id, th_error *err);

#ifdef __cplusplus
}
#endif

#endif
