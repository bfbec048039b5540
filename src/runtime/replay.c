#include "runtime/replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "common/error.h"
#include "common/hex.h"
#include "runtime/actor.h"

/* ---- Comparing events ---------------------------------------------------------- */

static void render_event(const th_event *ev, char *out, size_t size)
{
    th_buf b = TH_BUF_INIT;
    char state[17];
    th_hex_encode(ev->state_hash, 8, state);
    th_buf_printf(&b, "%s %s ", th_event_type_name(ev->type), ev->name);
    th_event_render_io(ev, 200, &b);
    th_buf_printf(&b, " [state %s]", ev->has_state ? state : "none");
    snprintf(out, size, "%s", th_buf_cstr(&b));
    th_buf_free(&b);
}

/* Everything an event records but its timestamp, and its hashes, which
 * cover the timestamp. */
static const char *difference(const th_event *want, const th_event *got)
{
    if (want->type != got->type)
        return "a different event type";
    if (strcmp(want->name, got->name) != 0)
        return "a different name";
    if (want->input_len != got->input_len || memcmp(want->input, got->input, want->input_len))
        return "a different input";
    if (want->output_len != got->output_len || memcmp(want->output, got->output, want->output_len))
        return "a different output";
    if (want->has_state != got->has_state ||
        memcmp(want->state_hash, got->state_hash, TH_HASH_SIZE) != 0)
        return "a different state";
    return NULL;
}

typedef struct replay {
    const th_chain *recorded;
    size_t limit; /* events [0, limit) are replayed */
    th_replay_report *rep;
} replay;

/* Compares what the replay produced since `from`; false at a divergence. */
static bool compare_from(replay *r, const th_chain *produced, size_t from)
{
    size_t n = th_chain_length(produced);
    for (size_t i = from; i < n && i < r->limit; i++) { /* --to may end mid-call */
        const th_event *got = th_chain_event(produced, i);
        const th_event *want = th_chain_event(r->recorded, i);
        const char *why = want ? difference(want, got) : "an event the chain does not record";
        if (why) {
            r->rep->diverged_at = i;
            snprintf(r->rep->reason, sizeof r->rep->reason, "the replay produced %s", why);
            if (want)
                render_event(want, r->rep->expected, sizeof r->rep->expected);
            else
                snprintf(r->rep->expected, sizeof r->rep->expected, "(nothing)");
            render_event(got, r->rep->actual, sizeof r->rep->actual);
            return false;
        }
        r->rep->events_replayed = i + 1;
    }
    return true;
}

/* ---- Feeding recorded host outputs back ----------------------------------------- */

/* A host call that failed when recorded left no host event, only the trap
 * it caused ("call to NAME: why"): fail the same way, so the same trap is
 * rebuilt. */
static int recorded_failure(const th_import *imp, const th_event *trap, th_error *err)
{
    th_arena a = TH_ARENA_INIT;
    th_val *v = th_val_decode(&a, trap->output, trap->output_len, err);
    char prefix[160];
    snprintf(prefix, sizeof prefix, "call to %s: ", imp->name);
    size_t plen = strlen(prefix);
    int rc;
    if (v && v->kind == TH_VAL_VARIANT && v->var.payload && v->var.payload->kind == TH_VAL_STRING &&
        v->var.payload->bytes.len > plen && memcmp(v->var.payload->bytes.ptr, prefix, plen) == 0)
        rc = th_error_set(err, "%.*s", (int)(v->var.payload->bytes.len - plen),
                          (const char *)v->var.payload->bytes.ptr + plen);
    else
        rc = th_error_set(err,
                          "replay diverged: the actor called %s where the chain records a "
                          "trap",
                          imp->name);
    th_arena_free(&a);
    return rc;
}

static int replay_host(th_actor *actor, const th_import *imp, const th_val *params, th_arena *a,
                       th_val **result, th_error *err)
{
    const th_chain *recorded = actor->replaying;
    size_t k = th_chain_length(actor->chain); /* the event this call would be */
    const th_event *want = th_chain_event(recorded, k);
    th_buf input = TH_BUF_INIT;
    th_val_encode(params, &input);
    bool same = want && want->type == TH_EV_HOST && strcmp(want->name, imp->name) == 0 &&
                want->input_len == input.len && memcmp(want->input, input.data, input.len) == 0;
    th_buf_free(&input);
    if (!same && want && want->type == TH_EV_TRAP)
        return recorded_failure(imp, want, err);
    if (!same)
        return th_error_set(err,
                            "replay diverged at event %zu: the actor called %s, which the "
                            "chain does not record there",
                            k, imp->name);
    *result = NULL;
    if (!imp->type.result)
        return 0; /* recorded as an empty tuple */
    *result = th_val_decode(a, want->output, want->output_len, err);
    return *result ? 0 : th_error_wrap(err, "replay: the recorded output of event %zu", k);
}

/* ---- The walk --------------------------------------------------------------------- */

static int start_state(th_actor *actor, const th_event *spawn, th_state_source states, void *ud,
                       th_error *err)
{
    if (!spawn->has_state)
        return 0;
    uint8_t *bytes = NULL;
    size_t len = 0;
    int found = states ? states(ud, spawn->state_hash, &bytes, &len, err) : 0;
    if (found == 0)
        th_error_set(err, "replay needs the initial state, which is not stored (only its hash)");
    if (found != 1)
        return -1;
    th_arena_reset(&actor->call_arena);
    th_val *v = th_val_option(&actor->call_arena, th_val_bytes(&actor->call_arena, bytes, len));
    free(bytes);
    th_actor_set_state(actor, v);
    if (memcmp(actor->state_hash, spawn->state_hash, TH_HASH_SIZE) != 0)
        return th_error_set(err, "the stored initial state does not hash to its name");
    return 0;
}

static int instantiate(th_actor *actor, th_error *err)
{
    th_instance_free(actor->inst);
    actor->inst = th_instance_new(actor->engine, actor->module, &actor->manifest->limits, actor,
                                  th_actor_record_host_call, err);
    if (!actor->inst)
        return -1;
    actor->inst->replayer = replay_host;
    return 0;
}

/* Replays the call at event i; the actor's own errors and traps are part of
 * what is compared, not failures of the replay. */
static void replay_call(th_actor *actor, const th_event *ev)
{
    const th_export *e = th_catalog_find_export(ev->name);
    th_arena_reset(&actor->call_arena);
    th_error err;
    th_val *params = e ? th_val_decode(&actor->call_arena, ev->input, ev->input_len, &err) : NULL;
    if (!params) { /* not an export this version knows: record what it was asked */
        th_actor_record_stop(actor, "failed");
        return;
    }
    th_export_id id = (th_export_id)(e - th_catalog_export(0));
    if (ev->output_len) /* the causal link of a message from another actor */
        actor->call_link = th_val_decode(&actor->call_arena, ev->output, ev->output_len, &err);
    th_actor_invoke(actor, id, params, NULL, &err);
}

int th_replay(th_engine *engine, const th_manifest *manifest, th_module *module,
              const th_chain *recorded, uint64_t limit, th_state_source states, void *ud,
              th_replay_report *rep, uint8_t **state, size_t *state_len, bool *has_state,
              th_error *err)
{
    memset(rep, 0, sizeof *rep);
    size_t n = th_chain_length(recorded);
    const th_event *spawn = th_chain_event(recorded, 0);
    if (!spawn || spawn->type != TH_EV_SPAWN)
        return th_error_set(err, "the chain does not begin with a spawn event");
    replay r = {recorded, limit && limit < n ? (size_t)limit : n, rep};

    th_actor *actor = th_actor_new(engine, manifest, module, NULL);
    actor->chain = th_chain_new();
    actor->replaying = recorded;
    th_arena a = TH_ARENA_INIT;
    th_val *input = th_val_decode(&a, spawn->input, spawn->input_len, err);
    if (input && input->kind == TH_VAL_TUPLE && input->list.len >= 1 &&
        input->list.items[0].kind == TH_VAL_STRING && input->list.items[0].bytes.len == 32)
        memcpy(actor->id, input->list.items[0].bytes.ptr, 32);
    th_arena_free(&a);
    th_chain_push_stored(actor->chain, spawn); /* the spawn is an input, not an output */
    int rc = start_state(actor, spawn, states, ud, err) || instantiate(actor, err) ? -1 : 0;
    rep->events_replayed = 1;

    bool same = rc == 0;
    for (size_t i = 1; same && i < r.limit;) {
        const th_event *ev = th_chain_event(recorded, i);
        if (ev->type == TH_EV_SPAWN) { /* a resume or restart: a fresh instance */
            actor->stopped = false;    /* as th_actor_resume's fresh actor */
            actor->shutdown_requested = false;
            actor->fault_kind = NULL;
            /* A restart that re-ran init started from the initial state. */
            bool same_state =
                ev->has_state == actor->has_state &&
                (!ev->has_state || memcmp(ev->state_hash, actor->state_hash, TH_HASH_SIZE) == 0);
            if (!same_state && !ev->has_state) {
                th_arena_reset(&actor->call_arena);
                th_actor_set_state(actor, th_val_option(&actor->call_arena, NULL));
            } else if (!same_state && start_state(actor, ev, states, ud, err)) {
                rc = -1;
                break;
            }
            if (instantiate(actor, err)) {
                rc = -1;
                break;
            }
            th_chain_push_stored(actor->chain, ev);
            rep->events_replayed = ++i;
            continue;
        }
        if (ev->type == TH_EV_CALL && !actor->stopped)
            replay_call(actor, ev);
        else if (ev->type == TH_EV_STOP && !actor->stopped)
            th_actor_record_stop(actor, ev->name);
        size_t produced = th_chain_length(actor->chain);
        if (produced == i) { /* the replay cannot produce this event at all */
            rep->diverged_at = i;
            snprintf(rep->reason, sizeof rep->reason,
                     "the replay produced nothing where the chain records a %s event",
                     th_event_type_name(ev->type));
            render_event(ev, rep->expected, sizeof rep->expected);
            snprintf(rep->actual, sizeof rep->actual, "(nothing)");
            same = false;
            break;
        }
        same = compare_from(&r, actor->chain, i);
        i = produced;
    }
    rep->identical = rc == 0 && same;
    if (rc == 0 && state) {
        *has_state = actor->has_state;
        *state_len = actor->has_state ? actor->state.len : 0;
        *state = actor->has_state ? th_xmemdup(actor->state.data, actor->state.len) : NULL;
    }
    th_actor_free(actor);
    return rc;
}
