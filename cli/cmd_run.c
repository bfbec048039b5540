/* theater run: one actor in this process, messages delivered in order. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "cli/cli.h"
#include "common/buf.h"
#include "common/hex.h"
#include "common/utf8.h"
#include "common/value.h"
#include "theater/theater.h"

static const char run_usage[] =
    "usage: theater run MANIFEST [--send JSON]... [--request JSON]... [--json] [--chain]\n"
    "\n"
    "Spawns the actor the manifest describes, calls its init, delivers the\n"
    "messages in the order given (--send: one-way, handle-send; --request:\n"
    "request/response, handle-request), then stops it and prints the responses,\n"
    "the final state, the number of chain events, the chain head and whether\n"
    "the chain verifies. Nothing is persisted.\n"
    "\n"
    "options:\n"
    "  --send JSON      deliver a one-way message\n"
    "  --request JSON   deliver a request and print its response\n"
    "  --json           print one JSON object: actor, state, responses, events,\n"
    "                   head, verified (and error when a message failed)\n"
    "  --chain          also print every event of the chain\n"
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
    if (!o->manifest)
        return cli_usage_error("run: a MANIFEST is required (see `theater run --help`)");
    return EXIT_OK;
}

/* Bytes that parse as JSON become that JSON, other UTF-8 a string, and
 * anything else {"hex": "..."}: nothing an actor returns is dropped. */
static json_t *bytes_to_json(const uint8_t *p, size_t len)
{
    json_t *j = json_loadb((const char *)p, len, JSON_DECODE_ANY, NULL);
    if (!j && th_utf8_valid(p, len))
        j = json_stringn((const char *)p, len);
    if (!j) {
        char *hex = malloc(2 * len + 1);
        if (!hex)
            return NULL;
        th_hex_encode(p, len, hex);
        j = json_pack("{s:s}", "hex", hex);
        free(hex);
    }
    return j;
}

/* The cases of WIT actor-error, as trap events record them. */
static const char *const fault_kinds[] = {"trap", "timeout", "out-of-memory", "export-error",
                                          "abi-violation"};

static void render_payload(const uint8_t *p, size_t len, th_buf *out)
{
    if (!len)
        return;
    th_arena a = TH_ARENA_INIT;
    th_error err;
    th_val *v = th_val_decode(&a, p, len, &err);
    if (v && v->kind == TH_VAL_VARIANT && v->var.disc < 5 && v->var.payload &&
        v->var.payload->kind == TH_VAL_STRING)
        th_buf_printf(out, "%s: %.*s", fault_kinds[v->var.disc], (int)v->var.payload->bytes.len,
                      (const char *)v->var.payload->bytes.ptr);
    else if (v)
        th_val_render(v, out, 120);
    else
        th_buf_printf(out, "<%zu bytes: %s>", len, err.msg);
    th_arena_free(&a);
}

static void print_chain_text(const th_chain *chain)
{
    th_buf b = TH_BUF_INIT;
    for (size_t i = 0; i < th_chain_length(chain); i++) {
        const th_event *ev = th_chain_event(chain, i);
        char hash[17];
        th_hex_encode(ev->hash, 8, hash);
        th_buf_reset(&b);
        render_payload(ev->input, ev->input_len, &b);
        if (ev->input_len && ev->output_len)
            th_buf_append_str(&b, " -> ");
        render_payload(ev->output, ev->output_len, &b);
        printf("  %4zu  %-6s %s  %s %s\n", i, th_event_type_name(ev->type), hash, ev->name,
               th_buf_cstr(&b));
    }
    th_buf_free(&b);
}

static json_t *chain_json(const th_chain *chain)
{
    json_t *arr = json_array();
    th_buf b = TH_BUF_INIT;
    for (size_t i = 0; i < th_chain_length(chain); i++) {
        const th_event *ev = th_chain_event(chain, i);
        char hash[65], state[65];
        th_hex_encode(ev->hash, TH_HASH_SIZE, hash);
        th_hex_encode(ev->state_hash, TH_HASH_SIZE, state);
        json_t *o = json_pack("{s:I, s:s, s:s, s:s}", "index", (json_int_t)i, "type",
                              th_event_type_name(ev->type), "hash", hash, "name", ev->name);
        th_buf_reset(&b);
        render_payload(ev->input, ev->input_len, &b);
        json_object_set_new(o, "input", json_stringn((const char *)b.data, b.len));
        th_buf_reset(&b);
        render_payload(ev->output, ev->output_len, &b);
        json_object_set_new(o, "output", json_stringn((const char *)b.data, b.len));
        json_object_set_new(o, "state_hash", ev->has_state ? json_string(state) : json_null());
        json_array_append_new(arr, o);
    }
    th_buf_free(&b);
    return arr;
}

typedef struct outcome {
    json_t *responses; /* array */
    char error[1024];  /* empty when every message was delivered */
    const char *error_kind;
} outcome;

static void deliver(th_actor *actor, const run_opts *o, outcome *out)
{
    for (size_t i = 0; i < o->n_messages; i++) {
        const message *m = &o->messages[i];
        th_error err;
        int rc;
        if (m->request) {
            uint8_t *resp;
            size_t resp_len;
            rc = th_actor_request(actor, (const uint8_t *)m->json, strlen(m->json), &resp,
                                  &resp_len, &err);
            if (!rc) {
                json_array_append_new(out->responses, bytes_to_json(resp, resp_len));
                free(resp);
            }
        } else {
            rc = th_actor_send(actor, (const uint8_t *)m->json, strlen(m->json), &err);
        }
        if (rc) {
            snprintf(out->error, sizeof out->error, "%s #%zu %s: %s",
                     m->request ? "request" : "send", i + 1, m->json, err.msg);
            th_utf8_trim_cut(out->error);
            out->error_kind = th_actor_fault_kind(actor);
            return;
        }
    }
}

static void print_text(th_actor *actor, const th_manifest *manifest, const outcome *out,
                       const th_verify_report *rep, const run_opts *o)
{
    const th_chain *chain = th_actor_chain(actor);
    printf("actor     %s %s\n", th_manifest_name(manifest), th_actor_id(actor));
    for (size_t i = 0; i < json_array_size(out->responses); i++) {
        char *s = json_dumps(json_array_get(out->responses, i), JSON_ENCODE_ANY | JSON_COMPACT);
        printf("response  %s\n", s ? s : "?");
        free(s);
    }
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

static void print_json(th_actor *actor, const th_manifest *manifest, outcome *out,
                       const th_verify_report *rep, const run_opts *o)
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
                  "name", th_manifest_name(manifest), "state",
                  present ? bytes_to_json(state, len) : json_null(), "responses", out->responses,
                  "events", (json_int_t)th_chain_length(chain), "head", hex, "verified", rep->ok);
    if (root && !rep->ok)
        json_object_set_new(root, "verify_error", json_string(rep->reason));
    if (root && out->error[0])
        json_object_set_new(root, "error",
                            json_pack("{s:s, s:s}", "kind",
                                      out->error_kind ? out->error_kind : "error", "message",
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

int cmd_run(int argc, char **argv)
{
    run_opts o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc) {
        free(o.messages);
        return rc;
    }
    th_error err;
    th_manifest *manifest = th_manifest_load(o.manifest, &err);
    if (!manifest) {
        free(o.messages);
        return cli_usage_error("%s", err.msg);
    }
    th_engine *engine = th_engine_new(NULL, &err);
    if (!engine) {
        th_manifest_free(manifest);
        free(o.messages);
        return cli_usage_error("%s", err.msg);
    }
    th_actor *actor = th_actor_spawn(engine, manifest, &err);
    if (!actor) {
        th_engine_free(engine);
        th_manifest_free(manifest);
        free(o.messages);
        /* A package that cannot load is bad input; an init that fails is
         * the actor's failure. */
        fprintf(stderr, "theater: %s\n", err.msg);
        return err.kind == TH_ERROR_ACTOR ? EXIT_ACTOR_FAILED : EXIT_USAGE;
    }

    outcome out = {.responses = json_array()};
    deliver(actor, &o, &out);
    th_actor_stop(actor);
    th_verify_report rep;
    th_chain_verify(th_actor_chain(actor), &rep);
    if (o.json)
        print_json(actor, manifest, &out, &rep, &o);
    else
        print_text(actor, manifest, &out, &rep, &o);
    if (out.error[0])
        fprintf(stderr, "theater: %s\n", out.error);

    json_decref(out.responses);
    th_actor_free(actor);
    th_engine_free(engine);
    th_manifest_free(manifest);
    free(o.messages);
    return out.error[0] || !rep.ok ? EXIT_ACTOR_FAILED : EXIT_OK;
}
