/* theater run: an actor (and any children it starts) in this process, on
 * a runtime, with messages delivered in order. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hex.h"
#include "common/utf8.h"
#include "common/value.h"
#include "manifest/manifest.h"
#include "store/db.h"
#include "theater/theater.h"

static const char run_usage[] =
    "usage: theater run (MANIFEST | --resume ID) [--send JSON]... [--request JSON]...\n"
    "                   [--data DIR] [--durability always|batch|off] [--json] [--chain]\n"
    "\n"
    "Spawns the actor the manifest describes, calls its init, delivers the\n"
    "messages in the order given (--send: one-way, handle-send; --request:\n"
    "request/response, handle-request), then stops it and prints the responses,\n"
    "the final state, the number of chain events, the chain head and whether\n"
    "the chain verifies. Nothing is persisted unless --data is given or\n"
    "THEATER_HOME is set: then the actor, its chain and its states are stored in\n"
    "that data directory, for `theater chain` and `theater state`.\n"
    "\n"
    "options:\n"
    "  --send JSON      deliver a one-way message\n"
    "  --request JSON   deliver a request and print its response\n"
    "  --json           print one JSON object: actor, state, responses, events,\n"
    "                   head, verified (and error when a message failed)\n"
    "  --chain          also print every event of the chain\n"
    "  --data DIR       persist in this data directory\n"
    "  --resume ID      bring a stored actor back from its last state (in the data\n"
    "                   directory: --data, $THEATER_HOME or ~/.theater) instead of\n"
    "                   spawning one: its chain continues, init is not called again\n"
    "  --durability M   always, batch (default) or off; a manifest's [runtime]\n"
    "                   durability takes precedence for its actor\n"
    "\n"
    "exit status: 0 success, 1 the actor failed or returned an error,\n"
    "2 bad arguments, manifest or package\n";

typedef struct message {
    bool request;
    const char *json;
} message;

typedef struct run_opts {
    const char *manifest;
    message *messages;
    size_t n_messages;
    bool json, chain;
    const char *data;
    const char *resume; /* an actor id (prefix) to resume instead of a manifest */
    th_durability durability;
} run_opts;

static int parse_args(int argc, char **argv, run_opts *o)
{
    o->messages = calloc((size_t)argc, sizeof *o->messages);
    if (!o->messages)
        return cli_usage_error("out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(run_usage, stdout);
            exit(EXIT_OK);
        } else if (strcmp(a, "--send") == 0 || strcmp(a, "--request") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error("%s needs a JSON message", a);
            const char *text = argv[++i];
            json_error_t jerr;
            json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
            if (!j)
                return cli_usage_error("%s #%zu is not valid JSON: %s at column %d", a,
                                       o->n_messages + 1, jerr.text, jerr.column);
            json_decref(j);
            o->messages[o->n_messages++] = (message){a[2] == 'r', text};
        } else if (strcmp(a, "--resume") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error("--resume needs an actor id");
            o->resume = argv[++i];
        } else if (strcmp(a, "--data") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error("--data needs a directory");
            o->data = argv[++i];
        } else if (strcmp(a, "--durability") == 0) {
            int d = i + 1 < argc ? th_durability_parse(argv[i + 1]) : -1;
            if (d < 0)
                return cli_usage_error("--durability must be always, batch or off");
            o->durability = (th_durability)d;
            i++;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--chain") == 0) {
            o->chain = true;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("run: unknown option '%s' (see `theater run --help`)", a);
        } else if (!o->manifest) {
            o->manifest = a;
        } else {
            return cli_usage_error("run: one manifest at a time ('%s' is extra)", a);
        }
    }
    if (!o->manifest == !o->resume)
        return cli_usage_error("run: give a MANIFEST, or --resume ID (see `theater run --help`)");
    return EXIT_OK;
}

typedef struct outcome {
    json_t *responses; /* array */
    char error[1024];  /* empty when every message was delivered */
    char error_kind[16];
} outcome;

/* A one-way message has no answer: it failed if the actor's error count
 * moved while the runtime handled it. */
static int sent_ok(th_runtime *rt, const char *id, uint64_t errors_before, th_error *err)
{
    th_runtime_wait_idle(rt, 0);
    th_actor_status st;
    if (th_runtime_status(rt, id, &st, err))
        return -1;
    if (st.errors == errors_before)
        return 0;
    th_error_set(err, "%s", st.last_error);
    return -1;
}

static void deliver(th_runtime *rt, const char *id, const run_opts *o, outcome *out)
{
    for (size_t i = 0; i < o->n_messages; i++) {
        const message *m = &o->messages[i];
        th_error err;
        th_actor_status before;
        int rc = th_runtime_status(rt, id, &before, &err);
        if (rc == 0 && m->request) {
            uint8_t *resp;
            size_t resp_len;
            rc = th_runtime_request(rt, id, (const uint8_t *)m->json, strlen(m->json), 0, &resp,
                                    &resp_len, &err);
            if (!rc) {
                json_t *j = bytes_to_json(resp, resp_len);
                free(resp);
                /* In text, each response is printed the moment it is
                 * acknowledged (in `always` durability: once it is on disk). */
                if (!o->json) {
                    char *text = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
                    printf("response  %s\n", text ? text : "?");
                    fflush(stdout);
                    free(text);
                }
                json_array_append_new(out->responses, j);
            }
        } else if (rc == 0) {
            rc = th_runtime_send(rt, id, (const uint8_t *)m->json, strlen(m->json), &err);
            if (!rc)
                rc = sent_ok(rt, id, before.errors, &err);
        }
        if (rc) {
            snprintf(out->error, sizeof out->error, "%s #%zu %s: %s",
                     m->request ? "request" : "send", i + 1, m->json, err.msg);
            th_utf8_trim_cut(out->error);
            th_actor_status st;
            if (th_runtime_status(rt, id, &st, NULL) == 0 && st.errors != before.errors)
                snprintf(out->error_kind, sizeof out->error_kind, "%s", st.last_error_kind);
            return;
        }
    }
}

/* The summary after the responses (printed as they came). */
static void print_text(const th_actor *actor, const th_verify_report *rep, const run_opts *o)
{
    const th_chain *chain = th_actor_chain(actor);
    size_t len;
    bool present;
    const uint8_t *state = th_actor_state(actor, &len, &present);
    th_buf shown = TH_BUF_INIT;
    if (present)
        th_utf8_escape(state, len, &shown);
    else
        th_buf_append_str(&shown, "none");
    printf("state     %s\n", th_buf_cstr(&shown));
    th_buf_free(&shown);
    uint8_t head[TH_HASH_SIZE];
    char hex[65];
    th_chain_head(chain, head);
    th_hex_encode(head, TH_HASH_SIZE, hex);
    printf("events    %zu\n", th_chain_length(chain));
    printf("head      %s\n", hex);
    printf("verified  %s\n", rep->ok ? "yes" : rep->reason);
    if (o->chain) {
        printf("chain\n");
        print_chain_text(chain);
    }
}

static void print_json(const th_actor *actor, outcome *out, const th_verify_report *rep,
                       const run_opts *o)
{
    const th_chain *chain = th_actor_chain(actor);
    size_t len;
    bool present;
    const uint8_t *state = th_actor_state(actor, &len, &present);
    uint8_t head[TH_HASH_SIZE];
    char hex[65];
    th_chain_head(chain, head);
    th_hex_encode(head, TH_HASH_SIZE, hex);
    json_t *root =
        json_pack("{s:{s:s, s:s}, s:o, s:O, s:I, s:s, s:b}", "actor", "id", th_actor_id(actor),
                  "name", th_actor_name(actor), "state",
                  present ? bytes_to_json(state, len) : json_null(), "responses", out->responses,
                  "events", (json_int_t)th_chain_length(chain), "head", hex, "verified", rep->ok);
    if (root && !rep->ok)
        json_object_set_new(root, "verify_error", json_string(rep->reason));
    if (root && out->error[0])
        json_object_set_new(root, "error",
                            json_pack("{s:s, s:s}", "kind",
                                      out->error_kind[0] ? out->error_kind : "error", "message",
                                      out->error));
    if (root && o->chain)
        json_object_set_new(root, "chain", chain_json(chain));
    if (!root || json_dumpf(root, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII) < 0)
        fputs("{\"error\": {\"kind\": \"output\", \"message\": \"cannot encode the result "
              "as JSON\"}}",
              stdout);
    fputc('\n', stdout);
    json_decref(root);
}

typedef struct printing {
    const run_opts *o;
    outcome *out;
    bool verified;
} printing;

static void print_actor(void *ud, const th_actor *actor)
{
    printing *p = ud;
    th_verify_report rep;
    p->verified = th_chain_verify(th_actor_chain(actor), &rep);
    if (p->o->json)
        print_json(actor, p->out, &rep, p->o);
    else
        print_text(actor, &rep, p->o);
}

/* Other actors the run brought up (children), one line each. */
static void print_other(void *ud, const th_actor_status *st)
{
    const char *root = ud;
    if (strcmp(st->id, root) != 0)
        printf("also      %s %s: %llu events, %s\n", st->name, st->id,
               (unsigned long long)st->events, st->running ? "running" : st->exit_reason);
}

/* The manifest stored for an actor to be resumed, for its durability; NULL
 * when it cannot be read (resume then reports why). */
static th_manifest *stored_manifest(const char *dir, const char *id)
{
    th_error err;
    th_actor_info info = {0};
    th_manifest *m = NULL;
    th_db_reader *r = th_db_reader_open_path(dir, &err);
    if (r && th_db_find_actor(r, id, &info, &err) == 0)
        m = th_manifest_parse(info.manifest, strlen(info.manifest), info.manifest_path, &err);
    th_actor_info_clear(&info);
    th_db_reader_close(r);
    return m;
}

/* The data directory when one is asked for (--data, or THEATER_HOME set),
 * opened with the stronger of --durability and the manifest's: fsync is the
 * database's setting. */
static int open_data(const run_opts *o, const th_manifest *manifest, th_db **db, th_error *err)
{
    const char *home = getenv("THEATER_HOME");
    if (!o->data && !(home && *home) && !o->resume)
        return 0;
    char *dir = cli_data_dir(o->data);
    if (!dir)
        return th_error_set(err, "no data directory: give --data DIR");
    th_durability d = o->durability;
    th_manifest *stored = o->resume ? stored_manifest(dir, o->resume) : NULL;
    if (stored)
        manifest = stored;
    if (manifest && manifest->has_durability && manifest->durability > d)
        d = manifest->durability;
    th_manifest_free(stored);
    *db = th_db_open(dir, d, err);
    free(dir);
    return *db ? 0 : -1;
}

/* Delivers the messages, lets every actor finish, stops them, prints; the
 * exit status. */
static int run_actor(th_runtime *rt, const char *id, th_db *db, const run_opts *o)
{
    outcome out = {.responses = json_array()};
    if (!o->json) {
        th_actor_status st;
        if (th_runtime_status(rt, id, &st, NULL) == 0)
            printf("actor     %s %s\n", st.name, id);
        fflush(stdout);
    }
    deliver(rt, id, o, &out);
    th_runtime_wait_idle(rt, 0);
    th_actor_status st;
    if (!out.error[0] && th_runtime_status(rt, id, &st, NULL) == 0 && st.failed) {
        /* it failed on its own (a supervisor that escalated), not on a message */
        snprintf(out.error, sizeof out.error, "%s failed: %s", st.name, st.exit_reason);
        snprintf(out.error_kind, sizeof out.error_kind, "%s", "failed");
    }
    th_runtime_shutdown(rt);
    th_error err;
    if (db && th_db_sync(db, &err) && !out.error[0]) {
        snprintf(out.error, sizeof out.error, "storing the chain failed: %s", err.msg);
        snprintf(out.error_kind, sizeof out.error_kind, "storage");
    }
    printing p = {o, &out, false};
    th_runtime_with_actor(rt, id, print_actor, &p, NULL);
    if (!o->json)
        th_runtime_list(rt, print_other, (void *)id);
    if (out.error[0])
        fprintf(stderr, "theater: %s\n", out.error);
    json_decref(out.responses);
    return out.error[0] || !p.verified ? EXIT_ACTOR_FAILED : EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
    run_opts o = {.durability = TH_DURABILITY_BATCH};
    int status = parse_args(argc, argv, &o);
    if (status) {
        free(o.messages);
        return status;
    }
    th_error err;
    th_manifest *manifest = NULL;
    th_engine *engine = NULL;
    th_db *db = NULL;
    th_runtime *rt = NULL;
    char id[33];
    status = EXIT_USAGE;
    if ((o.manifest && !(manifest = th_manifest_load(o.manifest, &err))) ||
        !(engine = th_engine_new(NULL, &err)) || open_data(&o, manifest, &db, &err))
        goto fail;
    th_runtime_options ropts = {.db = db};
    if (!(rt = th_runtime_new(engine, &ropts, &err)))
        goto fail;
    int rc = o.resume ? th_runtime_resume(rt, o.resume, id, &err)
                      : th_runtime_spawn_manifest(rt, manifest, NULL, 0, NULL, id, &err);
    manifest = NULL; /* the runtime took it */
    if (rc) {
        /* A package that cannot load is bad input; an init that fails is
         * the actor's failure. */
        status = err.kind == TH_ERROR_ACTOR ? EXIT_ACTOR_FAILED : EXIT_USAGE;
        goto fail;
    }
    status = run_actor(rt, id, db, &o);
    goto done;
fail:
    fprintf(stderr, "theater: %s\n", err.msg);
done:
    th_runtime_free(rt);
    th_db_close(db);
    th_engine_free(engine);
    th_manifest_free(manifest);
    free(o.messages);
    return status;
}
