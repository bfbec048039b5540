/* embed: Theater inside your own C program, through the public API
 * (include/theater/theater.h) and nothing else.
 *
 *   build/examples/embed_example [MANIFEST]
 *
 * Starts a runtime, spawns the counter actor (MANIFEST, by default the
 * source tree's examples/counter/manifest.toml), prints every event of its
 * chain as it is appended, sends it two messages, asks it for the count,
 * shows how a bad request fails, stops it, checks its chain and frees
 * everything. README.md beside this file walks through it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <theater/theater.h>

#ifndef EMBED_DEFAULT_MANIFEST
#define EMBED_DEFAULT_MANIFEST "examples/counter/manifest.toml"
#endif

static const char *event_type_name(th_event_type type)
{
    switch (type) {
    case TH_EV_SPAWN:
        return "spawn";
    case TH_EV_CALL:
        return "call";
    case TH_EV_RETURN:
        return "return";
    case TH_EV_TRAP:
        return "trap";
    case TH_EV_HOST:
        return "host";
    case TH_EV_STOP:
        return "stop";
    }
    return "?";
}

static void print_event(const th_event *ev)
{
    printf("  event %2llu  %02x%02x%02x%02x  %-6s %s\n", (unsigned long long)ev->index, ev->hash[0],
           ev->hash[1], ev->hash[2], ev->hash[3], event_type_name(ev->type),
           ev->name ? ev->name : "");
}

/* A th_event_fn: runs on the runtime's thread that runs the actor, with
 * the actor's lock held, so it only prints (stdio locks the stream). */
static void on_event(void *userdata, const char *actor_id, const th_event *ev)
{
    (void)userdata;
    (void)actor_id;
    print_event(ev);
}

/* The events appended before we could subscribe: the spawn and the init
 * call ran inside th_runtime_spawn, before we knew the actor's id. */
static void print_chain_so_far(void *userdata, const th_actor *actor)
{
    const th_chain *chain = th_actor_chain(actor);
    (void)userdata;
    for (size_t i = 0; i < th_chain_length(chain); i++)
        print_event(th_chain_event(chain, i));
}

/* A th_log_fn: where the actor's runtime.log lines go (default: stderr). */
static void on_log(void *userdata, const char *actor_id, const char *actor_name, const char *msg,
                   size_t len)
{
    (void)userdata;
    (void)actor_id;
    printf("  log   [%s] %.*s\n", actor_name, (int)len, msg);
}

typedef struct chain_check {
    size_t events;
    char head[2 * TH_HASH_SIZE + 1];
    th_verify_report report;
} chain_check;

static void check_chain(void *userdata, const th_actor *actor)
{
    chain_check *c = userdata;
    const th_chain *chain = th_actor_chain(actor);
    uint8_t head[TH_HASH_SIZE];
    c->events = th_chain_length(chain);
    th_chain_head(chain, head);
    for (size_t i = 0; i < TH_HASH_SIZE; i++)
        snprintf(c->head + 2 * i, 3, "%02x", head[i]);
    th_chain_verify(chain, &c->report);
}

/* th_runtime_send returns once the message is in the mailbox; waiting for
 * the runtime to go idle is only so that the output reads in order. */
static int send_json(th_runtime *rt, const char *id, const char *json, th_error *err)
{
    printf("send     %s\n", json);
    if (th_runtime_send(rt, id, (const uint8_t *)json, strlen(json), err))
        return -1;
    th_runtime_wait_idle(rt, 0);
    return 0;
}

/* Prints the response, or the error when the actor answered one; -1 only
 * when the request could not be made at all. */
static int request_json(th_runtime *rt, const char *id, const char *json, th_error *err)
{
    uint8_t *response;
    size_t len;
    printf("request  %s\n", json);
    int rc =
        th_runtime_request(rt, id, (const uint8_t *)json, strlen(json), 0, &response, &len, err);
    th_runtime_wait_idle(rt, 0);
    if (rc && err->kind != TH_ERROR_ACTOR)
        return -1;
    if (rc) {
        printf("error    %s\n", err->msg);
        return 0;
    }
    printf("response %.*s\n", (int)len, (const char *)response);
    free(response);
    return 0;
}

static int print_status(th_runtime *rt, const char *id, th_error *err)
{
    th_actor_status st;
    if (th_runtime_status(rt, id, &st, err))
        return -1;
    printf("status   %s: %s, %llu messages handled, %llu failed, %llu events\n", st.name,
           st.running ? "running" : st.exit_reason, (unsigned long long)st.handled,
           (unsigned long long)st.errors, (unsigned long long)st.events);
    return 0;
}

/* Everything the program does with its actor; the runtime is freed by the
 * caller whatever happens here. */
static int run_counter(th_runtime *rt, const char *manifest, th_error *err)
{
    char id[33];
    uint64_t sub;
    if (th_runtime_spawn(rt, manifest, NULL, 0, NULL, id, err))
        return -1;
    printf("spawned  %s\n", id);
    if (th_runtime_with_actor(rt, id, print_chain_so_far, NULL, err) ||
        th_runtime_subscribe(rt, id, on_event, NULL, &sub, err))
        return -1;

    if (send_json(rt, id, "{\"op\":\"inc\"}", err) ||
        send_json(rt, id, "{\"op\":\"add\",\"n\":41}", err) ||
        request_json(rt, id, "{\"op\":\"get\"}", err) ||
        request_json(rt, id, "{\"op\":\"add\",\"n\":\"x\"}", err) || print_status(rt, id, err))
        return -1;

    printf("stop\n");
    if (th_runtime_stop(rt, id, err) || th_runtime_unsubscribe(rt, id, sub, err) ||
        print_status(rt, id, err))
        return -1;

    chain_check check;
    if (th_runtime_with_actor(rt, id, check_chain, &check, err))
        return -1;
    if (!check.report.ok) {
        snprintf(err->msg, sizeof err->msg, "the chain does not verify: %s", check.report.reason);
        return -1;
    }
    printf("chain    %zu events, head %s, verified\n", check.events, check.head);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))) {
        fprintf(stderr, "usage: %s [MANIFEST]   (default: %s)\n", argv[0], EMBED_DEFAULT_MANIFEST);
        return 2;
    }
    const char *manifest = argc == 2 ? argv[1] : EMBED_DEFAULT_MANIFEST;
    printf("Theater %s\n", th_version());

    th_error err;
    th_engine_options engine_opts = {.log = on_log};
    th_engine *engine = th_engine_new(&engine_opts, &err);
    if (!engine) {
        fprintf(stderr, "embed: %s\n", err.msg);
        return 1;
    }
    th_runtime *rt = th_runtime_new(engine, NULL, &err);
    int rc = rt ? run_counter(rt, manifest, &err) : -1;
    if (rc)
        fprintf(stderr, "embed: %s\n", err.msg);
    th_runtime_free(rt); /* stops whatever still runs, frees every actor */
    th_engine_free(engine);
    return rc ? 1 : 0;
}
