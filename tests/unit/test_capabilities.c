/* The timing, random and environment handlers, in a real runtime, with a
 * real guest built with the C SDK (tests/actors/cap_misc.c):
 *
 * - timing: now is the wall clock; timers fire as handle-timer calls in the
 *   chain with the id set-timer gave; cancel-timer cancels (only the
 *   actor's own, only once); the per-actor limit; timers of a stopped actor
 *   never fire; a restarted actor never gets a timer its previous
 *   incarnation set, even when restarted right as one comes due; a
 *   thousand timers all fire, once each; an actor outside a runtime is told
 *   it has no timers.
 * - random: values differ from call to call and run to run, the size limit.
 * - environment: only the allow-list is visible, through every function.
 * - replay: a chain with now, random, environment, timers set, cancelled
 *   and fired replays identically, from the chain alone (the environment
 *   changed in between).
 *
 * cap_misc answers {"op":...} requests with JSON and logs "timer ID" in its
 * state for each timer that fires. */
#include <stdlib.h>
#include <unistd.h>

#include "chain/chain.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/value.h"
#include "runtime/actor.h"
#include "runtime/replay.h"

#define CAP_WASM THEATER_BINARY_DIR "/tests/actors/cap_misc.wasm"
#define HANDLE_TIMER "theater:simple/timing-handlers#handle-timer"
#define SET_TIMER "theater:simple/timing#set-timer"
#define SETTLE_MS 30000 /* before rt_fixture.h, whose waits it bounds */

#include "rt_fixture.h"

/* ---- Fixture ---------------------------------------------------------------------------- */

static const th_runtime_options two_threads = {.threads = 2};

/* cap_misc's manifest, granted everything it imports; `allow` is the
 * environment's allow-list as TOML array items. */
static tmp_path cap_manifest(const char *name, const char *allow)
{
    char *file = format("%s.toml", name);
    char *handlers =
        format(MESSAGE_SERVER_HANDLER
               "[[handlers]]\ntype = \"timing\"\n"
               "[[handlers]]\ntype = \"random\"\n"
               "[[handlers]]\ntype = \"environment\"\nconfig = { allow = [%s] }\n"
               "[[handlers]]\ntype = \"filesystem\"\n"
               "config = { path = \"%s\", mode = \"ro\" }\n"
               "[[handlers]]\ntype = \"http-client\"\nconfig = { allowed_hosts = [] }\n",
               allow, tmpdir);
    tmp_path p = actor_manifest(file, name, CAP_WASM, "", handlers);
    free(handlers);
    free(file);
    return p;
}

static bool spawn_cap(th_runtime *rt, const char *name, const char *allow, char id[33])
{
    tmp_path p = cap_manifest(name, allow);
    return spawn(rt, &p, id);
}

/* The integer after "key": in a JSON answer; -1 when absent. */
static long long json_int(const char *json, const char *key)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *p = strstr(json, pattern);
    return p ? strtoll(p + strlen(pattern), NULL, 10) : -1;
}

/* Sets a timer; its id (0 when refused). */
static uint64_t set_timer(th_runtime *rt, const char *id, unsigned delay_ms)
{
    char *r = askf(rt, id, "{\"op\":\"set\",\"delay\":%u}", delay_ms);
    long long timer = json_int(r, "id");
    CHECK_REPORT_(timer > 0, "set-timer answered %s", r);
    free(r);
    return timer > 0 ? (uint64_t)timer : 0;
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Polls the actor's log until it holds n "timer " lines (or the deadline);
 * returns the log (malloc'd). */
static char *wait_timers(th_runtime *rt, const char *id, size_t n)
{
    int64_t deadline = settle_deadline();
    for (;;) {
        char *log = ask(rt, id, "{\"op\":\"log\"}");
        if (count_of(log, "timer ") >= n || th_monotonic_ns() > deadline)
            return log;
        free(log);
        usleep(2000);
    }
}

/* ---- Reading the chain ------------------------------------------------------------------- */

/* What the chain says about timers, checked against the rule that each
 * handle-timer call is for a timer set since the actor's last spawn event
 * (the same incarnation) and not cancelled, and comes once. */
typedef struct timer_audit {
    th_buf fired;           /* "ID " per handle-timer call, in chain order */
    size_t calls, spawns;   /* handle-timer calls; spawn events (1 + restarts) */
    size_t stray;           /* calls for a timer not pending in that incarnation */
    uint64_t pending[2048]; /* ids set (and not yet fired) in this incarnation */
    size_t n_pending;
    size_t calls_after_stop; /* handle-timer calls after a stop event, before a spawn */
    bool stopped;
} timer_audit;

static const th_val *decode(th_arena *a, const uint8_t *p, size_t len)
{
    th_error err;
    const th_val *v = th_val_decode(a, p, len, &err);
    CHECK_REPORT_(v != NULL, "an event does not decode: %s", err.msg);
    return v;
}

static void forget_pending(timer_audit *t, uint64_t id, bool *found)
{
    *found = false;
    for (size_t i = 0; i < t->n_pending; i++) {
        if (t->pending[i] == id) {
            t->pending[i] = t->pending[--t->n_pending];
            *found = true;
            return;
        }
    }
}

static void audit_event(timer_audit *t, const th_event *ev, th_arena *a)
{
    bool found;
    if (ev->type == TH_EV_SPAWN) {
        t->spawns++;
        t->n_pending = 0; /* a new incarnation: nothing set before counts */
        t->stopped = false;
    } else if (ev->type == TH_EV_STOP) {
        t->stopped = true;
    } else if (ev->type == TH_EV_HOST && strcmp(ev->name, SET_TIMER) == 0) {
        const th_val *out = decode(a, ev->output, ev->output_len);
        if (out && out->var.disc == 0 && t->n_pending < 2048)
            t->pending[t->n_pending++] = out->var.payload->u;
    } else if (ev->type == TH_EV_CALL && strcmp(ev->name, HANDLE_TIMER) == 0) {
        const th_val *in = decode(a, ev->input, ev->input_len);
        uint64_t id = in ? in->list.items[0].u : 0;
        th_buf_printf(&t->fired, "%" PRIu64 " ", id);
        t->calls++;
        t->calls_after_stop += t->stopped;
        forget_pending(t, id, &found);
        t->stray += !found;
    }
}

static void audit_actor(void *ud, const th_actor *actor)
{
    timer_audit *t = ud;
    const th_chain *chain = th_actor_chain(actor);
    th_arena a = TH_ARENA_INIT;
    for (size_t i = 0; i < th_chain_length(chain); i++)
        audit_event(t, th_chain_event(chain, i), &a);
    th_arena_free(&a);
}

static timer_audit *audit(th_runtime *rt, const char *id)
{
    timer_audit *t = th_xcalloc(1, sizeof *t);
    t->fired = (th_buf)TH_BUF_INIT;
    th_error err;
    CHECK_REPORT_(th_runtime_with_actor(rt, id, audit_actor, t, &err) == 0, "%s", err.msg);
    th_buf_cstr(&t->fired);
    return t;
}

static void audit_free(timer_audit *t)
{
    th_buf_free(&t->fired);
    free(t);
}

/* ---- Replay ------------------------------------------------------------------------------ */

typedef struct replayed {
    th_replay_report rep;
    size_t length;
    bool state_same;
    int rc;
    char err[1024];
} replayed;

/* Replays the actor's chain on a fresh instance: every host answer comes
 * from the chain, none from the handlers. */
static void replay_actor(void *ud, const th_actor *actor)
{
    replayed *r = ud;
    const th_chain *chain = th_actor_chain(actor);
    uint8_t *state = NULL;
    size_t state_len = 0, live_len = 0;
    bool has_state = false, live_present = false;
    th_error err;
    r->length = th_chain_length(chain);
    r->rc = th_replay(engine, actor->manifest, actor->module, chain, 0, NULL, NULL, &r->rep, &state,
                      &state_len, &has_state, &err);
    if (r->rc) {
        snprintf(r->err, sizeof r->err, "%s", err.msg);
        return;
    }
    const uint8_t *live = th_actor_state(actor, &live_len, &live_present);
    r->state_same = has_state == live_present && state_len == live_len &&
                    (state_len == 0 || memcmp(state, live, state_len) == 0);
    free(state);
}

static void check_replays_identically(th_runtime *rt, const char *id)
{
    replayed r;
    memset(&r, 0, sizeof r);
    th_error err;
    CHECK_REPORT_(th_runtime_with_actor(rt, id, replay_actor, &r, &err) == 0, "%s", err.msg);
    CHECK_REPORT_(r.rc == 0, "replay could not run: %s", r.err);
    CHECK_REPORT_(r.rep.identical, "replay diverged at %zu: %s\n  want %s\n  got  %s",
                  r.rep.diverged_at, r.rep.reason, r.rep.expected, r.rep.actual);
    CHECK_EQ_INT(r.rep.events_replayed, r.length);
    CHECK(r.state_same);
}

/* ---- Timing ------------------------------------------------------------------------------ */

TEST(now_is_the_wall_clock_in_milliseconds)
{
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    if (!rt || !spawn_cap(rt, "clock", "", id))
        goto out;
    int64_t before = th_now_ns() / 1000000;
    char *r = ask(rt, id, "{\"op\":\"now\"}");
    int64_t after = th_now_ns() / 1000000;
    long long now = json_int(r, "now");
    CHECK_REPORT_(now >= before && now <= after, "now %lld is not within [%lld, %lld]", now,
                  (long long)before, (long long)after);
    free(r);
out:
    th_runtime_free(rt);
}

TEST(a_timer_fires_as_a_handle_timer_call_with_its_id)
{
    th_runtime *rt = runtime_new(&two_threads);
    char id[33], want[64];
    if (!rt || !spawn_cap(rt, "timer", "", id))
        goto out;
    int64_t t0 = th_monotonic_ns();
    uint64_t timer = set_timer(rt, id, 50);
    char *log = wait_timers(rt, id, 1);
    double waited_ms = ms_since(t0);
    snprintf(want, sizeof want, "timer %" PRIu64 "\\u000a", timer);
    CHECK_CONTAINS(log, want);
    CHECK_REPORT_(waited_ms >= 50, "the 50 ms timer fired after %.1f ms", waited_ms);
    free(log);

    timer_audit *t = audit(rt, id);
    snprintf(want, sizeof want, "%" PRIu64 " ", timer);
    CHECK_STR_EQ(th_buf_cstr(&t->fired), want);
    CHECK_EQ_INT(t->stray, 0);
    audit_free(t);
out:
    th_runtime_free(rt);
}

TEST(a_cancelled_timer_never_fires_and_cancels_once)
{
    th_runtime *rt = runtime_new(&two_threads);
    char id[33], other[33], want[64];
    if (!rt || !spawn_cap(rt, "canceller", "", id) || !spawn_cap(rt, "other", "", other))
        goto out;
    /* Long enough that a loaded machine cancels it in time; the kept one
     * comes due after it, so seeing the kept one fire proves the other
     * would have fired by then. */
    uint64_t cancelled = set_timer(rt, id, 1500);
    uint64_t kept = set_timer(rt, id, 1600);

    /* Another actor cannot cancel it: timers are per actor. */
    char *r = askf(rt, other, "{\"op\":\"cancel\",\"id\":%" PRIu64 "}", cancelled);
    CHECK_CONTAINS(r, "\"error\":\"no pending timer");
    free(r);
    r = askf(rt, id, "{\"op\":\"cancel\",\"id\":%" PRIu64 "}", cancelled);
    CHECK_STR_EQ(r, "{\"ok\":true}");
    free(r);
    r = askf(rt, id, "{\"op\":\"cancel\",\"id\":%" PRIu64 "}", cancelled);
    CHECK_CONTAINS(r, "\"error\":\"no pending timer");
    free(r);
    r = ask(rt, id, "{\"op\":\"cancel\",\"id\":987654321}");
    CHECK_CONTAINS(r, "\"error\":\"no pending timer 987654321 of this actor");
    free(r);

    char *log = wait_timers(rt, id, 1); /* the kept one fires after the cancelled one's time */
    snprintf(want, sizeof want, "timer %" PRIu64 "\\u000a", kept);
    CHECK_CONTAINS(log, want);
    snprintf(want, sizeof want, "timer %" PRIu64 "\\u000a", cancelled);
    CHECK(strstr(log, want) == NULL);
    free(log);
    timer_audit *t = audit(rt, id);
    CHECK_EQ_INT(t->calls, 1);
    audit_free(t);
out:
    th_runtime_free(rt);
}

TEST(an_actor_has_at_most_its_limit_of_pending_timers)
{
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    if (!rt || !spawn_cap(rt, "greedy", "", id))
        goto out;
    uint64_t first = set_timer(rt, id, 3600000);
    char *r = ask(rt, id, "{\"op\":\"setmany\",\"n\":1100,\"delay\":3600000}");
    CHECK_STR_EQ(r, "{\"set\":1023,\"error\":\"too many pending timers (at most 1024 per "
                    "actor)\"}");
    free(r);
    /* Cancelling one makes room for exactly one. */
    r = askf(rt, id, "{\"op\":\"cancel\",\"id\":%" PRIu64 "}", first);
    CHECK_STR_EQ(r, "{\"ok\":true}");
    free(r);
    r = ask(rt, id, "{\"op\":\"setmany\",\"n\":2,\"delay\":3600000}");
    CHECK_STR_EQ(r, "{\"set\":1,\"error\":\"too many pending timers (at most 1024 per "
                    "actor)\"}");
    free(r);
out:
    th_runtime_free(rt); /* the pending hour-long timers go with it */
}

TEST(timers_of_a_stopped_actor_never_fire_nor_after_a_restart)
{
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    th_error err;
    if (!rt || !spawn_cap(rt, "stopped", "", id))
        goto out;
    set_timer(rt, id, 40);
    set_timer(rt, id, 80);
    CHECK_REPORT_(th_runtime_stop(rt, id, &err) == 0, "%s", err.msg);
    usleep(200 * 1000);
    timer_audit *t = audit(rt, id);
    CHECK_EQ_INT(t->calls, 0);
    audit_free(t);

    /* Started again, it does not inherit them either; its own timers work. */
    CHECK_REPORT_(th_runtime_restart(rt, id, false, &err) == 0, "%s", err.msg);
    if (!wait_running(rt, id, true))
        goto out;
    uint64_t fresh = set_timer(rt, id, 150);
    char *log = wait_timers(rt, id, 1);
    char want[64];
    snprintf(want, sizeof want, "timer %" PRIu64 "\\u000a", fresh);
    CHECK_CONTAINS(log, want);
    CHECK_EQ_INT(count_of(log, "timer "), 1);
    free(log);
    t = audit(rt, id);
    CHECK_EQ_INT(t->calls, 1);
    CHECK_EQ_INT(t->stray, 0);
    audit_free(t);
out:
    th_runtime_free(rt);
}

/* Restarts right as timers come due, again and again: whatever was already
 * on its way to the mailbox, no incarnation ever handles a timer that an
 * earlier one set. */
TEST(a_restarted_actor_never_gets_its_previous_incarnations_timers)
{
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    th_error err;
    if (!rt || !spawn_cap(rt, "restarted", "", id))
        goto out;
    for (unsigned i = 0; i < 30; i++) {
        set_timer(rt, id, i % 3);
        set_timer(rt, id, 20);
        if (i % 2)
            usleep(1000 * (i % 4));
        CHECK_REPORT_(th_runtime_restart(rt, id, false, &err) == 0, "%s", err.msg);
    }
    usleep(100 * 1000);
    settle(rt);
    timer_audit *t = audit(rt, id);
    CHECK_EQ_INT(t->spawns, 31);
    CHECK_REPORT_(t->stray == 0, "%zu timer calls were for an earlier incarnation's timer (%s)",
                  t->stray, th_buf_cstr(&t->fired));
    CHECK_EQ_INT(t->calls_after_stop, 0);
    audit_free(t);
out:
    th_runtime_free(rt);
}

/* A thousand timers with spread delays: each fires exactly once, and the
 * chain replays identically. */
TEST(a_thousand_timers_each_fire_once)
{
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    if (!rt || !spawn_cap(rt, "many", "", id))
        goto out;
    for (unsigned batch = 0; batch < 10; batch++) {
        char *r = askf(rt, id, "{\"op\":\"setmany\",\"n\":100,\"delay\":%u}", (9 - batch) * 15);
        CHECK_STR_EQ(r, "{\"set\":100}");
        free(r);
    }
    char *log = wait_timers(rt, id, 1000);
    CHECK_EQ_INT(count_of(log, "timer "), 1000);
    free(log);
    timer_audit *t = audit(rt, id);
    CHECK_EQ_INT(t->calls, 1000);
    CHECK_EQ_INT(t->stray, 0); /* each set once, fired once: no id twice */
    CHECK_EQ_INT(t->n_pending, 0);
    audit_free(t);
    check_replays_identically(rt, id);
out:
    th_runtime_free(rt);
}

TEST(an_actor_outside_a_runtime_is_told_it_has_no_timers)
{
    th_error err;
    tmp_path p = cap_manifest("alone", "");
    th_manifest *m = th_manifest_load(p.s, &err);
    th_actor *actor = m ? th_actor_spawn(engine, m, &err) : NULL;
    CHECK_REPORT_(actor != NULL, "%s", err.msg);
    if (!actor) {
        th_manifest_free(m);
        return;
    }
    static const char *msgs[] = {"{\"op\":\"set\",\"delay\":1}", "{\"op\":\"cancel\",\"id\":1}",
                                 "{\"op\":\"now\"}"};
    for (size_t i = 0; i < 3; i++) {
        const char *text = ask_actor(actor, msgs[i]);
        if (i < 2)
            CHECK_STR_EQ(text, "{\"error\":\"timers need a runtime: this actor runs on its own\"}");
        else
            CHECK_CONTAINS(text, "{\"now\":");
    }
    th_actor_stop(actor);
    th_actor_free(actor);
    th_manifest_free(m);
}

/* ---- Random ------------------------------------------------------------------------------ */

static char *hex_of(th_runtime *rt, const char *id, unsigned n)
{
    return askf(rt, id, "{\"op\":\"random\",\"n\":%u}", n);
}

TEST(random_values_differ_and_are_bounded)
{
    th_runtime *rt = runtime_new(&two_threads);
    char a[33], b[33];
    if (!rt || !spawn_cap(rt, "random_a", "", a) || !spawn_cap(rt, "random_b", "", b))
        goto out;
    char *x = hex_of(rt, a, 32), *y = hex_of(rt, a, 32), *z = hex_of(rt, b, 32);
    CHECK_EQ_INT(strlen(x), strlen("{\"hex\":\"\"}") + 64);
    CHECK(strcmp(x, y) != 0 && strcmp(x, z) != 0 && strcmp(y, z) != 0);
    free(x), free(y), free(z);
    x = ask(rt, a, "{\"op\":\"u64\"}"), y = ask(rt, a, "{\"op\":\"u64\"}");
    CHECK_EQ_INT(strlen(x), strlen("{\"u64\":\"\"}") + 16);
    CHECK(strcmp(x, y) != 0);
    free(x), free(y);

    x = hex_of(rt, a, 0);
    CHECK_STR_EQ(x, "{\"hex\":\"\"}");
    free(x);
    x = hex_of(rt, a, 1048576);
    CHECK_EQ_INT(strlen(x), strlen("{\"hex\":\"\"}") + 2 * 1048576);
    free(x);
    x = hex_of(rt, a, 1048577);
    CHECK_STR_EQ(x, "{\"error\":\"at most 1048576 random bytes per call, asked for 1048577\"}");
    free(x);
    x = hex_of(rt, a, 4294967295u);
    CHECK_CONTAINS(x, "asked for 4294967295");
    free(x);
out:
    th_runtime_free(rt);
}

/* ---- Environment ------------------------------------------------------------------------- */

#define ALLOW                                                                                      \
    "\"THEATER_T_ALLOWED\", \"THEATER_T_UNSET\", \"THEATER_T_A\", \"THEATER_T_ALLOWED\", "         \
    "\"THEATER_T_BINARY\", \"THEATER_T_EMPTY\", \"THEATER_T_X=Y\""

TEST(only_the_allow_list_is_visible)
{
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    CHECK_EQ_INT(setenv("THEATER_T_ALLOWED", "yes", 1), 0);
    CHECK_EQ_INT(setenv("THEATER_T_A", "first", 1), 0);
    CHECK_EQ_INT(setenv("THEATER_T_SECRET", "hidden", 1), 0);
    CHECK_EQ_INT(setenv("THEATER_T_BINARY", "\xff\xfe", 1), 0); /* not UTF-8 */
    CHECK_EQ_INT(setenv("THEATER_T_EMPTY", "", 1), 0);
    CHECK_EQ_INT(setenv("THEATER_T_X", "Y=1", 1), 0); /* getenv("THEATER_T_X=Y") could match it */
    CHECK_EQ_INT(unsetenv("THEATER_T_UNSET"), 0);
    if (!rt || !spawn_cap(rt, "env", ALLOW, id))
        goto out;
    static const struct {
        const char *name, *answer;
    } cases[] = {
        {"THEATER_T_ALLOWED", "{\"set\":true,\"value\":\"yes\",\"exists\":true}"},
        {"THEATER_T_EMPTY", "{\"set\":true,\"value\":\"\",\"exists\":true}"},
        {"THEATER_T_SECRET", "{\"set\":false,\"value\":\"\",\"exists\":false}"},
        {"THEATER_T_UNSET", "{\"set\":false,\"value\":\"\",\"exists\":false}"},
        {"THEATER_T_BINARY", "{\"set\":false,\"value\":\"\",\"exists\":false}"},
        {"THEATER_T_X=Y", "{\"set\":false,\"value\":\"\",\"exists\":false}"},
        {"", "{\"set\":false,\"value\":\"\",\"exists\":false}"},
        {"PATH", "{\"set\":false,\"value\":\"\",\"exists\":false}"},
        {"theater_t_allowed", "{\"set\":false,\"value\":\"\",\"exists\":false}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *r = askf(rt, id, "{\"op\":\"env\",\"name\":\"%s\"}", cases[i].name);
        CHECK_REPORT_(strcmp(r, cases[i].answer) == 0, "%s: got %s, want %s", cases[i].name, r,
                      cases[i].answer);
        free(r);
    }
    /* Sorted, each once, only the allowed ones that are set and UTF-8. */
    char *r = ask(rt, id, "{\"op\":\"vars\"}");
    CHECK_STR_EQ(r, "{\"vars\":\"THEATER_T_A=first;THEATER_T_ALLOWED=yes;THEATER_T_EMPTY=;\"}");
    free(r);
out:
    th_runtime_free(rt);
}

TEST(an_empty_allow_list_shows_nothing)
{
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    if (!rt || !spawn_cap(rt, "env_none", "", id))
        goto out;
    char *r = ask(rt, id, "{\"op\":\"vars\"}");
    CHECK_STR_EQ(r, "{\"vars\":\"\"}");
    free(r);
    r = ask(rt, id, "{\"op\":\"env\",\"name\":\"PATH\"}");
    CHECK_STR_EQ(r, "{\"set\":false,\"value\":\"\",\"exists\":false}");
    free(r);
out:
    th_runtime_free(rt);
}

/* ---- Replay ------------------------------------------------------------------------------ */

/* now, random, the environment, timers set, cancelled and fired: the chain
 * replays identically even after the environment changed, since the replay
 * takes every answer from the chain. */
TEST(a_chain_with_time_randomness_environment_and_timers_replays_identically)
{
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    CHECK_EQ_INT(setenv("THEATER_T_ALLOWED", "before", 1), 0);
    if (!rt || !spawn_cap(rt, "replayed", ALLOW, id))
        goto out;
    static const char *ops[] = {
        "{\"op\":\"now\"}",
        "{\"op\":\"random\",\"n\":64}",
        "{\"op\":\"u64\"}",
        "{\"op\":\"env\",\"name\":\"THEATER_T_ALLOWED\"}",
        "{\"op\":\"vars\"}",
        "{\"op\":\"random\",\"n\":2000000}",
        "{\"op\":\"cancel\",\"id\":5}",
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        free(ask(rt, id, ops[i]));
    uint64_t cancelled = set_timer(rt, id, 500);
    set_timer(rt, id, 10);
    set_timer(rt, id, 30);
    free(askf(rt, id, "{\"op\":\"cancel\",\"id\":%" PRIu64 "}", cancelled));
    free(wait_timers(rt, id, 2));
    free(ask(rt, id, "{\"op\":\"now\"}"));

    CHECK_EQ_INT(setenv("THEATER_T_ALLOWED", "after", 1), 0);
    check_replays_identically(rt, id);
    timer_audit *t = audit(rt, id);
    CHECK_EQ_INT(t->calls, 2);
    audit_free(t);
out:
    th_runtime_free(rt);
}

int main(void)
{
    if (!fixture_start("capabilities", runtime_engine_options(0)))
        return 1;
    RUN(now_is_the_wall_clock_in_milliseconds);
    RUN(a_timer_fires_as_a_handle_timer_call_with_its_id);
    RUN(a_cancelled_timer_never_fires_and_cancels_once);
    RUN(an_actor_has_at_most_its_limit_of_pending_timers);
    RUN(timers_of_a_stopped_actor_never_fire_nor_after_a_restart);
    RUN(a_restarted_actor_never_gets_its_previous_incarnations_timers);
    RUN(a_thousand_timers_each_fire_once);
    RUN(an_actor_outside_a_runtime_is_told_it_has_no_timers);
    RUN(random_values_differ_and_are_bounded);
    RUN(only_the_allow_list_is_visible);
    RUN(an_empty_allow_list_shows_nothing);
    RUN(a_chain_with_time_randomness_environment_and_timers_replays_identically);
    return fixture_end();
}
