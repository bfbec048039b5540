/* theater replay ID | FILE: re-run an actor against its recorded chain. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chain/chain.h"
#include "cli/chain_file.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "chain/sha256.h"
#include "common/error.h"
#include "common/utf8.h"
#include "exec/engine.h"
#include "manifest/manifest.h"
#include "runtime/replay.h"
#include "store/db.h"

static const char replay_usage[] =
    "usage: theater replay (ID | FILE) [--to N] [--package WASM] [--data DIR] [--json]\n"
    "\n"
    "Runs the actor's package on a fresh instance against its recorded chain:\n"
    "every call is made again with its recorded arguments, and every host call\n"
    "gets its recorded output back instead of reaching a real handler (nothing\n"
    "is sent, written or delivered). Each event the replay produces is compared\n"
    "with the recorded one (all but the timestamp), and so is the state after it.\n"
    "\n"
    "ID is a stored actor (any unique id prefix; data directory: --data, else\n"
    "$THEATER_HOME, else ~/.theater); FILE is a `theater chain export`.\n"
    "  --to N          stop after the call that contains event N, and print the\n"
    "                  state there\n"
    "  --package WASM  replay another build of the actor against the recorded\n"
    "                  inputs, to find where a change of code changes behaviour\n"
    "  --json          one JSON object: identical, events, diverged_at, reason,\n"
    "                  expected, actual, state\n"
    "exit status: 0 identical, 1 diverged, 2 bad arguments or data\n";

typedef struct replay_opts {
    const char *target, *package, *data;
    uint64_t to;
    bool has_to, json;
} replay_opts;

/* Where the recorded chain and what it needs come from. */
typedef struct source {
    th_db_reader *reader; /* a stored actor, or */
    chain_file file;      /* an export */
    bool from_file;
    th_actor_info info;
    th_chain *chain; /* borrowed from file, or owned */
    uint8_t *wasm;   /* owned when from the database */
    size_t wasm_len;
} source;

static int states_from(void *ud, const uint8_t hash[TH_HASH_SIZE], uint8_t **out, size_t *len,
                       th_error *err)
{
    source *s = ud;
    if (s->from_file)
        return chain_file_state(&s->file, hash, out, len);
    return th_db_get_state(s->reader, hash, out, len, err);
}

static int open_source(const replay_opts *o, source *s, th_error *err)
{
    struct stat st;
    if (stat(o->target, &st) == 0 && S_ISREG(st.st_mode)) {
        s->from_file = true;
        int rc = chain_file_load(o->target, &s->file, err);
        if (rc)
            return -1; /* an export that does not verify is not replayed */
        s->chain = s->file.chain;
        s->info = s->file.actor;
        s->wasm_len = s->file.wasm_len;
        return 0;
    }
    s->reader = cli_open_reader(o->data, err);
    if (!s->reader || th_db_find_actor(s->reader, o->target, &s->info, err))
        return -1;
    s->chain = th_db_load_chain(s->reader, &s->info, 0, 0, err);
    if (!s->chain)
        return -1;
    th_verify_report rep;
    if (!th_chain_verify(s->chain, &rep))
        return th_error_set(err, "the chain of %s does not verify (%s); verify it first",
                            s->info.id, rep.reason);
    if (o->package)
        return 0;
    int found = th_db_get_package(s->reader, s->info.package_hash, &s->wasm, &s->wasm_len, err);
    if (found == 0)
        th_error_set(err, "the package of %s is not stored: give --package WASM", s->info.id);
    return found == 1 ? 0 : -1;
}

static void close_source(source *s)
{
    if (s->from_file) {
        chain_file_release(&s->file);
    } else {
        th_chain_free(s->chain);
        th_actor_info_clear(&s->info);
        free(s->wasm);
        th_db_reader_close(s->reader);
    }
}

static void print_result(const replay_opts *o, const th_replay_report *rep, const uint8_t *state,
                         size_t len, bool has_state)
{
    if (o->json) {
        json_t *root = json_pack("{s:b, s:I}", "identical", rep->identical, "events",
                                 (json_int_t)rep->events_replayed);
        if (!rep->identical) {
            json_object_set_new(root, "diverged_at", json_integer((json_int_t)rep->diverged_at));
            json_object_set_new(root, "reason", json_string(rep->reason));
            json_object_set_new(root, "expected", json_string(rep->expected));
            json_object_set_new(root, "actual", json_string(rep->actual));
        }
        json_object_set_new(root, "state", has_state ? bytes_to_json(state, len) : json_null());
        json_dumpf(root, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(root);
        return;
    }
    if (rep->identical)
        printf("replayed %zu events: identical\n", rep->events_replayed);
    else
        printf(
            "replayed %zu events, then diverged at event %zu: %s\n  expected: %s\n  actual:   %s\n",
            rep->events_replayed, rep->diverged_at, rep->reason, rep->expected, rep->actual);
    if (o->has_to && rep->identical) {
        th_buf shown = TH_BUF_INIT;
        if (has_state)
            th_utf8_escape(state, len, &shown);
        printf("state after event %" PRIu64 ": %s\n", o->to,
               has_state ? th_buf_cstr(&shown) : "none");
        th_buf_free(&shown);
    }
}

int replay_state_at(th_db_reader *r, const th_actor_info *info, uint64_t at, uint8_t **out,
                    size_t *len, bool *has_state, th_error *err)
{
    source s = {.reader = r, .info = *info};
    th_engine *engine = NULL;
    th_manifest *manifest = NULL;
    th_module *module = NULL;
    int rc = -1;
    s.chain = th_db_load_chain(r, info, 0, 0, err);
    if (!s.chain)
        return -1;
    th_verify_report vr;
    const th_event *target = th_chain_event(s.chain, at);
    if (!target || !th_chain_verify(s.chain, &vr)) {
        th_error_set(err, "the chain of %s %s", info->id,
                     target ? "does not verify, so it is not replayed" : "has no such event");
        th_chain_free(s.chain);
        return -1;
    }
    /* The state changes only at returns (and spawns): the state event `at`
     * records is the one after the last of those at or before it. */
    uint64_t last = at;
    while (last > 0 && th_chain_event(s.chain, last)->type != TH_EV_RETURN &&
           th_chain_event(s.chain, last)->type != TH_EV_SPAWN)
        last--;
    int found = th_db_get_package(r, info->package_hash, &s.wasm, &s.wasm_len, err);
    if (found == 0)
        th_error_set(err, "the package of %s is not stored", info->id);
    if (found == 1 && (engine = th_engine_new(NULL, err)) &&
        (manifest =
             th_manifest_parse(info->manifest, strlen(info->manifest), info->manifest_path, err)) &&
        (module = th_engine_load_module_bytes(engine, s.wasm, s.wasm_len, info->name, err))) {
        th_replay_report rep;
        rc = th_replay(engine, manifest, module, s.chain, last + 1, states_from, &s, &rep, out, len,
                       has_state, err);
        if (rc == 0 && !rep.identical)
            rc = th_error_set(err, "replaying to event %" PRIu64 " diverged at event %zu: %s", at,
                              rep.diverged_at, rep.reason);
        if (rc == 0 && *has_state) {
            if (!target->has_state || !th_sha256_matches(*out, *len, target->state_hash))
                rc = th_error_set(
                    err, "the replayed state does not match the hash event %" PRIu64 " records",
                    at);
        }
        if (rc) {
            free(*out);
            *out = NULL;
        }
    }
    th_manifest_free(manifest);
    th_engine_free(engine);
    th_chain_free(s.chain);
    free(s.wasm);
    return rc;
}

int cmd_replay(int argc, char **argv)
{
    replay_opts o = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            fputs(replay_usage, stdout);
            return EXIT_OK;
        } else if ((strcmp(a, "--data") == 0 || strcmp(a, "--package") == 0) && next) {
            *(a[2] == 'd' ? &o.data : &o.package) = argv[++i];
        } else if (strcmp(a, "--to") == 0 && next) {
            if (cli_parse_index(a, next, &o.to))
                return EXIT_USAGE;
            o.has_to = true;
            i++;
        } else if (strcmp(a, "--json") == 0) {
            o.json = true;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("replay: unknown option or missing value '%s'", a);
        } else if (!o.target) {
            o.target = a;
        } else {
            return cli_usage_error("replay: unexpected argument '%s'", a);
        }
    }
    if (!o.target)
        return cli_usage_error("replay: an actor ID or an export FILE is required");

    th_error err = {0};
    source s = {0};
    th_engine *engine = NULL;
    th_manifest *manifest = NULL;
    int status = EXIT_USAGE;
    if (open_source(&o, &s, &err) || !(engine = th_engine_new(NULL, &err)))
        goto done;
    manifest =
        th_manifest_parse(s.info.manifest, strlen(s.info.manifest), s.info.manifest_path, &err);
    if (!manifest)
        goto done;
    const uint8_t *wasm = s.from_file ? s.file.wasm : s.wasm;
    th_module *module =
        o.package ? th_engine_load_module(engine, o.package, &err)
        : wasm    ? th_engine_load_module_bytes(engine, wasm, s.wasm_len, s.info.name, &err)
                  : NULL;
    if (!module) {
        if (!o.package && !wasm)
            th_error_set(&err, "the export has no package: give --package WASM");
        goto done;
    }
    if (o.has_to && o.to >= th_chain_length(s.chain)) {
        th_error_set(&err, "the chain has %zu events; --to must be below that",
                     th_chain_length(s.chain));
        goto done;
    }
    th_replay_report rep;
    uint8_t *state = NULL;
    size_t len = 0;
    bool has_state = false;
    if (th_replay(engine, manifest, module, s.chain, o.has_to ? o.to + 1 : 0, states_from, &s, &rep,
                  &state, &len, &has_state, &err))
        goto done;
    print_result(&o, &rep, state, len, has_state);
    free(state);
    status = rep.identical ? EXIT_OK : EXIT_ACTOR_FAILED;
done:
    if (status == EXIT_USAGE)
        fprintf(stderr, "theater: %s\n", err.msg);
    th_manifest_free(manifest);
    th_engine_free(engine);
    close_source(&s);
    return status;
}
