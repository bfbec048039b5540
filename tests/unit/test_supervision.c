/* Supervision on the runtime, with real actors built with the C SDK: the
 * three strategies, the three restart types, where a restart starts from,
 * stops from outside, intensity escalating up a three-level tree, a stopping
 * supervisor taking its children with it, and the supervisor host functions
 * (tests/actors/rt_super.c calls them when asked; rt_worker.c is the child).
 *
 * rt_super logs what it hears in its state ("error ID KIND MESSAGE", "exit
 * ID DATA", "external ID") and never restarts anything itself, so whatever
 * restarts here is the runtime's policy. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "chain/chain.h"
#include "common/buf.h"
#include "rt_fixture.h"

#define INIT_EXPORT "theater:simple/actor#init"
#define CHILD_ERROR "theater:simple/supervisor-handlers#handle-child-error"
#define CHILD_EXTERNAL_STOP "theater:simple/supervisor-handlers#handle-child-external-stop"

/* ---- Requests -------------------------------------------------------------------------------- */

/* A supervisor op on a child: {"op":OP,"id":CHILD}. */
static char *ask_about(th_runtime *rt, const char *sup, const char *op, const char *child)
{
    return askf(rt, sup, "{\"op\":\"%s\",\"id\":\"%s\"}", op, child);
}

/* A child crashes; returns once its supervisor has done what it does. */
static void crash(th_runtime *rt, const char *id)
{
    tell(rt, id, "{\"op\":\"crash\"}");
    settle(rt);
}

/* ---- Chains ---------------------------------------------------------------------------------- */

/* The chain as one line per lifecycle event: "spawn", "call NAME", "trap",
 * "stop REASON" (returns and host calls left out), for order checks. */
static void lifecycle(void *ud, const th_actor *actor)
{
    th_buf *out = ud;
    const th_chain *c = th_actor_chain(actor);
    th_verify_report rep;
    if (!th_chain_verify(c, &rep))
        th_buf_printf(out, "BROKEN at %zu: %s\n", rep.first_bad, rep.reason);
    for (size_t i = 0; i < th_chain_length(c); i++) {
        const th_event *ev = th_chain_event(c, i);
        if (ev->type == TH_EV_SPAWN)
            th_buf_printf(out, "spawn\n");
        else if (ev->type == TH_EV_CALL)
            th_buf_printf(out, "call %s\n", strchr(ev->name, '#') ? strchr(ev->name, '#') + 1 : "");
        else if (ev->type == TH_EV_TRAP)
            th_buf_printf(out, "trap\n");
        else if (ev->type == TH_EV_STOP)
            th_buf_printf(out, "stop %s\n", ev->name);
    }
}

/* malloc'd; the chain is checked to verify on the way. */
static char *lifecycle_of(th_runtime *rt, const char *id)
{
    th_buf b = TH_BUF_INIT;
    CHECK(th_runtime_with_actor(rt, id, lifecycle, &b, NULL) == 0);
    th_buf_cstr(&b);
    char *s = (char *)th_buf_take(&b, NULL);
    CHECK_REPORT_(strncmp(s, "BROKEN", 6) != 0, "%s", s);
    return s;
}

static size_t count_lines(const char *text, const char *line)
{
    size_t n = 0, len = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p += len)
        if ((p == text || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0'))
            n++;
    return n;
}

static size_t count_in(th_runtime *rt, const char *id, const char *line)
{
    char *events = lifecycle_of(rt, id);
    size_t n = count_lines(events, line);
    free(events);
    return n;
}

/* How many of the supervisor's log lines begin with `prefix`. */
static size_t told(th_runtime *rt, const char *sup, const char *prefix)
{
    char *log = state_of(rt, sup);
    size_t n = 0, len = strlen(prefix);
    for (const char *p = log; (p = strstr(p, prefix)); p += len)
        n += p == log || p[-1] == '\n';
    free(log);
    return n;
}

/* ---- Strategies ------------------------------------------------------------------------------ */

/* Three children; the second crashes; `restarted` says which must restart. */
static void check_strategy(const char *strategy, const bool restarted[3])
{
    th_runtime *rt = runtime_new(NULL);
    worker_manifest("child.toml", "child", "");
    char *extra = format("[supervisor]\nstrategy = \"%s\"\nintensity = 10\n"
                         "[[children]]\nmanifest = \"child.toml\"\n"
                         "[[children]]\nmanifest = \"child.toml\"\n"
                         "[[children]]\nmanifest = \"child.toml\"\n",
                         strategy);
    tmp_path p = super_manifest("strategy.toml", "strategist", extra);
    free(extra);
    char sup[33], kids[3][33];
    if (!rt || !spawn(rt, &p, sup) || children_of(rt, sup, kids, 3) != 3) {
        CHECK(false);
        th_runtime_free(rt);
        return;
    }
    crash(rt, kids[1]);
    for (int i = 0; i < 3; i++) {
        th_actor_status st = status_of(rt, kids[i]);
        CHECK_REPORT_(st.running, "%s: child %d is not running", strategy, i);
        CHECK_REPORT_(st.restarts == (restarted[i] ? 1 : 0),
                      "%s: child %d restarted %" PRIu64 " times", strategy, i, st.restarts);
        CHECK_STR_EQ(st.parent, sup);
        char *events = lifecycle_of(rt, kids[i]);
        const char *want = i == 1 ? "spawn\ncall init\ncall handle-send\ntrap\nstop failed\nspawn\n"
                           : restarted[i] ? "spawn\ncall init\nstop restart\nspawn\n"
                                          : "spawn\ncall init\n";
        CHECK_STR_EQ(events, want);
        free(events);
    }
    char *line = format("error %s trap ", kids[1]);
    CHECK_EQ_INT(told(rt, sup, line), 1);
    CHECK_EQ_INT(told(rt, sup, "error "), 1);
    free(line);
    /* The supervisor goes on, with the same children in the same order. */
    char again[3][33];
    CHECK_EQ_INT(children_of(rt, sup, again, 3), 3);
    for (int i = 0; i < 3; i++)
        CHECK_STR_EQ(again[i], kids[i]);
    th_actor_status st = status_of(rt, sup);
    CHECK(st.running && st.restarts == 0);
    th_runtime_free(rt);
}

TEST(one_for_one_restarts_only_the_child_that_failed)
{
    check_strategy("one-for-one", (const bool[3]){false, true, false});
}

TEST(one_for_all_restarts_every_child)
{
    check_strategy("one-for-all", (const bool[3]){true, true, true});
}

TEST(rest_for_one_restarts_the_child_and_those_started_after_it)
{
    check_strategy("rest-for-one", (const bool[3]){false, true, true});
}

/* As in OTP, a temporary sibling caught in a one-for-all restart is
 * stopped and let go rather than restarted. */
TEST(one_for_all_lets_a_temporary_sibling_go)
{
    th_runtime *rt = runtime_new(NULL);
    worker_manifest("sib.toml", "sib", "");
    tmp_path p = super_manifest("all.toml", "all",
                                "[supervisor]\nstrategy = \"one-for-all\"\nintensity = 10\n"
                                "[[children]]\nmanifest = \"sib.toml\"\n"
                                "[[children]]\nmanifest = \"sib.toml\"\n"
                                "[[children]]\nmanifest = \"sib.toml\"\nrestart = \"temporary\"\n");
    char sup[33], k[3][33];
    if (rt && spawn(rt, &p, sup) && children_of(rt, sup, k, 3) == 3) {
        crash(rt, k[1]);
        CHECK(status_of(rt, k[0]).running && status_of(rt, k[0]).restarts == 1);
        CHECK(status_of(rt, k[1]).running && status_of(rt, k[1]).restarts == 1);
        th_actor_status temp = status_of(rt, k[2]);
        CHECK(!temp.running && temp.restarts == 0);
        CHECK_STR_EQ(temp.exit_reason, "stopped by its supervisor");
        char now[3][33];
        CHECK_EQ_INT(children_of(rt, sup, now, 3), 2);
        CHECK_STR_EQ(now[0], k[0]);
        CHECK_STR_EQ(now[1], k[1]);
    } else {
        CHECK(false);
    }
    th_runtime_free(rt);
}

/* ---- Restart types --------------------------------------------------------------------------- */

TEST(permanent_transient_and_temporary_children)
{
    th_runtime *rt = runtime_new(NULL);
    worker_manifest("perm.toml", "perm", "");
    worker_manifest("trans.toml", "trans", "");
    worker_manifest("temp.toml", "temp", "");
    tmp_path p =
        super_manifest("types.toml", "typed",
                       "[supervisor]\nintensity = 10\n"
                       "[[children]]\nmanifest = \"perm.toml\"\nrestart = \"permanent\"\n"
                       "[[children]]\nmanifest = \"trans.toml\"\nrestart = \"transient\"\n"
                       "[[children]]\nmanifest = \"temp.toml\"\nrestart = \"temporary\"\n");
    char sup[33], k[3][33];
    if (!rt || !spawn(rt, &p, sup) || children_of(rt, sup, k, 3) != 3) {
        CHECK(false);
        th_runtime_free(rt);
        return;
    }
    /* After a failure: permanent and transient come back, temporary not. */
    for (int i = 0; i < 3; i++)
        crash(rt, k[i]);
    CHECK(status_of(rt, k[0]).running && status_of(rt, k[0]).restarts == 1);
    CHECK(status_of(rt, k[1]).running && status_of(rt, k[1]).restarts == 1);
    CHECK(!status_of(rt, k[2]).running && status_of(rt, k[2]).restarts == 0);
    char *line = format("error %s trap ", k[2]);
    CHECK_EQ_INT(told(rt, sup, line), 1); /* told, all the same */
    free(line);
    char now[3][33];
    CHECK_EQ_INT(children_of(rt, sup, now, 3), 2);

    /* After a clean shutdown: only permanent comes back. */
    tell(rt, k[0], "{\"op\":\"shutdown\"}");
    tell(rt, k[1], "{\"op\":\"shutdown\"}");
    settle(rt);
    th_actor_status perm = status_of(rt, k[0]), trans = status_of(rt, k[1]);
    CHECK(perm.running && perm.restarts == 2);
    CHECK(!trans.running && trans.restarts == 1);
    CHECK_STR_EQ(trans.exit_reason, "shut itself down");
    for (int i = 0; i < 2; i++) {
        line = format("exit %s bye", k[i]);
        CHECK_EQ_INT(told(rt, sup, line), 1);
        free(line);
    }
    char *events = lifecycle_of(rt, k[1]);
    CHECK_CONTAINS(events, "call handle-send\nstop shutdown\n");
    CHECK(strcmp(events + strlen(events) - strlen("stop shutdown\n"), "stop shutdown\n") == 0);
    free(events);
    CHECK_EQ_INT(children_of(rt, sup, now, 3), 1);
    CHECK_STR_EQ(now[0], k[0]);
    th_runtime_free(rt);
}

/* A parent without a [supervisor] table is only told: what it spawns is
 * temporary. */
TEST(a_parent_without_a_supervisor_table_is_only_notified)
{
    th_runtime *rt = runtime_new(NULL);
    worker_manifest("plain-kid.toml", "kid", "");
    tmp_path p = super_manifest("plain.toml", "notified", "");
    char sup[33];
    if (rt && spawn(rt, &p, sup)) {
        char *resp = ask(rt, sup, "{\"op\":\"spawn\",\"manifest\":\"plain-kid.toml\"}");
        CHECK_REPORT_(strncmp(resp, "ok:", 3) == 0 && strlen(resp) == 35, "%s", resp);
        crash(rt, resp + 3);
        th_actor_status st = status_of(rt, resp + 3);
        CHECK(!st.running && st.restarts == 0);
        char *line = format("error %s trap ", resp + 3);
        CHECK_EQ_INT(told(rt, sup, line), 1);
        free(line);
        free(resp);
    }
    th_runtime_free(rt);
}

/* ---- Where a restart starts from ------------------------------------------------------------- */

static void check_restart_from(const char *from, const char *state_after, size_t inits)
{
    th_runtime *rt = runtime_new(NULL);
    worker_manifest("kept.toml", "kept", "");
    char *extra = format("[supervisor]\nrestart_from = \"%s\"\n"
                         "[[children]]\nmanifest = \"kept.toml\"\ninitial_state = '\"seed\"'\n",
                         from);
    tmp_path p = super_manifest("from.toml", "restarter", extra);
    free(extra);
    char sup[33], kid[1][33];
    if (rt && spawn(rt, &p, sup) && children_of(rt, sup, kid, 1) == 1) {
        tell(rt, kid[0], "{\"op\":\"note\",\"text\":\"hello\"}");
        crash(rt, kid[0]);
        CHECK_EQ_INT(status_of(rt, kid[0]).restarts, 1);
        char *state = state_of(rt, kid[0]);
        CHECK_STR_EQ(state, state_after);
        free(state);
        CHECK_EQ_INT(count_in(rt, kid[0], "call init"), inits);
        CHECK_EQ_INT(count_in(rt, kid[0], "spawn"), 2);
        /* It goes on from there. */
        tell(rt, kid[0], "{\"op\":\"note\",\"text\":\"again\"}");
        settle(rt);
        state = state_of(rt, kid[0]);
        char *want = format("%sagain\n", state_after);
        CHECK_STR_EQ(state, want);
        free(want);
        free(state);
    } else {
        CHECK(false);
    }
    th_runtime_free(rt);
}

TEST(restart_from_last_state_keeps_the_state_without_init)
{
    check_restart_from("last-state", "\"seed\"init\nhello\n", 1);
}

TEST(restart_from_init_resets_the_state_and_runs_init_again)
{
    check_restart_from("init", "\"seed\"init\n", 2);
}

/* ---- Stops --------------------------------------------------------------------------------- */

TEST(a_child_stopped_from_outside_is_told_and_not_restarted)
{
    th_runtime *rt = runtime_new(NULL);
    worker_manifest("stoppable.toml", "stoppable", "");
    tmp_path p = super_manifest("ext.toml", "watcher",
                                "[supervisor]\n[[children]]\nmanifest = \"stoppable.toml\"\n");
    char sup[33], kid[1][33];
    th_error err;
    if (rt && spawn(rt, &p, sup) && children_of(rt, sup, kid, 1) == 1) {
        CHECK_EQ_INT(th_runtime_stop(rt, kid[0], &err), 0);
        CHECK(!status_of(rt, kid[0]).running); /* stopped when stop returns */
        settle(rt);
        th_actor_status st = status_of(rt, kid[0]);
        CHECK(!st.running && st.restarts == 0);
        CHECK_STR_EQ(st.exit_reason, "stopped from outside the runtime");
        char *events = lifecycle_of(rt, kid[0]);
        CHECK_STR_EQ(events, "spawn\ncall init\nstop stopped\n");
        free(events);
        char *line = format("external %s", kid[0]);
        CHECK_EQ_INT(told(rt, sup, line), 1);
        free(line);
        CHECK_EQ_INT(count_in(rt, sup, "call handle-child-external-stop"), 1);
        CHECK_EQ_INT(children_of(rt, sup, kid, 1), 0);
        /* Stopping it again: it has stopped. */
        CHECK_EQ_INT(th_runtime_stop(rt, kid[0], &err), -1);
        CHECK_CONTAINS(err.msg, "has stopped");
    } else {
        CHECK(false);
    }
    th_runtime_free(rt);
}

TEST(a_stopping_supervisor_stops_its_children)
{
    th_runtime *rt = runtime_new(NULL);
    worker_manifest("led.toml", "led", "");
    tmp_path p = super_manifest("leader.toml", "leader",
                                "[supervisor]\n[[children]]\nmanifest = \"led.toml\"\n"
                                "[[children]]\nmanifest = \"led.toml\"\n");
    char sup[33], kids[2][33];
    th_error err;
    if (rt && spawn(rt, &p, sup) && children_of(rt, sup, kids, 2) == 2) {
        CHECK_EQ_INT(th_runtime_stop(rt, sup, &err), 0);
        settle(rt);
        for (int i = 0; i < 2; i++) {
            th_actor_status st = status_of(rt, kids[i]);
            CHECK(!st.running && st.restarts == 0);
            CHECK_STR_EQ(st.exit_reason, "stopped by its supervisor");
            CHECK_EQ_INT(count_in(rt, kids[i], "stop stopped"), 1);
        }
    } else {
        CHECK(false);
    }
    th_runtime_free(rt);
}

/* ---- Intensity ------------------------------------------------------------------------------- */

/* root -> mid (intensity 1 in 60 s) -> flaky worker. */
typedef struct tree {
    th_runtime *rt;
    char root[33], mid[33], worker[33];
} tree;

static bool tree_new(tree *t, unsigned root_intensity)
{
    worker_manifest("flaky.toml", "flaky", "");
    super_manifest("mid.toml", "mid",
                   "[supervisor]\nintensity = 1\nperiod = 60\n"
                   "[[children]]\nmanifest = \"flaky.toml\"\n");
    char *extra = format("[supervisor]\nintensity = %u\nperiod = 60\n"
                         "[[children]]\nmanifest = \"mid.toml\"\n",
                         root_intensity);
    tmp_path p = super_manifest("root.toml", "root", extra);
    free(extra);
    char one[1][33];
    t->rt = runtime_new(NULL);
    if (!t->rt || !spawn(t->rt, &p, t->root) || children_of(t->rt, t->root, one, 1) != 1)
        return false;
    memcpy(t->mid, one[0], 33);
    if (children_of(t->rt, t->mid, one, 1) != 1)
        return false;
    memcpy(t->worker, one[0], 33);
    return true;
}

/* Two failures within the period: the first is restarted, the second is
 * one restart too many for mid. */
static void fail_worker_twice(tree *t)
{
    crash(t->rt, t->worker);
    th_actor_status w = status_of(t->rt, t->worker), m = status_of(t->rt, t->mid);
    CHECK(w.running && w.restarts == 1);
    CHECK(m.running && m.restarts == 0);
    crash(t->rt, t->worker);
}

TEST(beyond_its_intensity_a_supervisor_escalates_to_its_own)
{
    tree t;
    if (!tree_new(&t, 5)) {
        CHECK(false);
        th_runtime_free(t.rt);
        return;
    }
    fail_worker_twice(&t);
    /* mid gave up ("escalated"); root was told and restarted it, and with
     * it the worker. */
    char *events = lifecycle_of(t.rt, t.mid);
    CHECK_CONTAINS(events, "call handle-child-error\nstop escalated\nspawn\n");
    free(events);
    char *line =
        format("error %s trap more than 1 restarts within 60 s; the last: child flaky (%s)", t.mid,
               t.worker);
    CHECK_EQ_INT(told(t.rt, t.root, line), 1);
    free(line);
    CHECK_EQ_INT(count_in(t.rt, t.root, "call handle-child-error"), 1);
    th_actor_status root = status_of(t.rt, t.root), mid = status_of(t.rt, t.mid),
                    worker = status_of(t.rt, t.worker);
    CHECK(root.running && root.restarts == 0);
    CHECK(mid.running && mid.restarts == 1);
    CHECK(worker.running && worker.restarts == 2);
    /* The worker was stopped with mid, then started again with it. */
    events = lifecycle_of(t.rt, t.worker);
    CHECK(strcmp(events + strlen(events) - strlen("trap\nstop failed\nspawn\n"),
                 "trap\nstop failed\nspawn\n") == 0);
    free(events);
    th_runtime_free(t.rt);
}

/* A restarted supervisor is a new one, as in OTP: its restart history
 * starts empty, so its worker's next failure is restarted, not escalated. */
TEST(a_restarted_supervisor_starts_with_a_fresh_intensity)
{
    tree t;
    if (!tree_new(&t, 5)) {
        CHECK(false);
        th_runtime_free(t.rt);
        return;
    }
    fail_worker_twice(&t);
    CHECK_EQ_INT(status_of(t.rt, t.mid).restarts, 1);
    crash(t.rt, t.worker);
    th_actor_status mid = status_of(t.rt, t.mid), worker = status_of(t.rt, t.worker);
    CHECK_REPORT_(mid.restarts == 1, "mid escalated again: restarted %" PRIu64 " times",
                  mid.restarts);
    CHECK_EQ_INT(count_in(t.rt, t.mid, "stop escalated"), 1);
    CHECK(mid.running && worker.running && worker.restarts == 3);
    /* ... and a second failure in the period is again one too many. */
    crash(t.rt, t.worker);
    CHECK_EQ_INT(count_in(t.rt, t.mid, "stop escalated"), 2);
    CHECK_EQ_INT(count_in(t.rt, t.root, "call handle-child-error"), 2);
    CHECK_EQ_INT(status_of(t.rt, t.mid).restarts, 2);
    th_runtime_free(t.rt);
}

TEST(a_root_of_intensity_zero_fails_too)
{
    tree t;
    if (!tree_new(&t, 0)) {
        CHECK(false);
        th_runtime_free(t.rt);
        return;
    }
    fail_worker_twice(&t);
    th_actor_status root = status_of(t.rt, t.root), mid = status_of(t.rt, t.mid),
                    worker = status_of(t.rt, t.worker);
    CHECK(!root.running && !mid.running && !worker.running);
    CHECK_CONTAINS(root.exit_reason, "more than 0 restarts within 60 s; the last: child mid");
    char *events = lifecycle_of(t.rt, t.root);
    CHECK(strcmp(events + strlen(events) - strlen("call handle-child-error\nstop escalated\n"),
                 "call handle-child-error\nstop escalated\n") == 0);
    free(events);
    events = lifecycle_of(t.rt, t.mid);
    CHECK(strcmp(events + strlen(events) - strlen("stop escalated\n"), "stop escalated\n") == 0);
    free(events);
    CHECK_EQ_INT(mid.restarts, 0);
    th_runtime_free(t.rt);
}

/* ---- The supervisor host functions ----------------------------------------------------------- */

static void mkdir_in_tmp(const char *name)
{
    char *dir = format("%s/%s", tmpdir, name);
    CHECK_REPORT_(mkdir(dir, 0700) == 0 || errno == EEXIST, "mkdir %s: %s", dir, strerror(errno));
    free(dir);
}

typedef struct host_fixture {
    th_runtime *rt;
    char sup[33], other[33];
} host_fixture;

static bool host_fixture_new(host_fixture *f)
{
    mkdir_in_tmp("kids");
    worker_manifest("kids/kid.toml", "kid", "");
    /* a child asking for a handler its supervisor lacks */
    char *text = format("name = \"greedy\"\nversion = \"1\"\npackage = \"%s\"\n"
                        "[[handlers]]\ntype = \"message-server\"\n[[handlers]]\ntype = \"store\"\n",
                        WORKER_WASM);
    write_in_tmp("kids/greedy.toml", text);
    free(text);
    tmp_path p = super_manifest("host.toml", "host", "[supervisor]\n");
    tmp_path o = worker_manifest("outsider.toml", "outsider", "");
    f->rt = runtime_new(NULL);
    return f->rt && spawn(f->rt, &p, f->sup) && spawn(f->rt, &o, f->other);
}

static char *spawn_op(host_fixture *f, const char *manifest)
{
    char *msg = format("{\"op\":\"spawn\",\"manifest\":\"%s\"}", manifest);
    char *resp = ask(f->rt, f->sup, msg);
    free(msg);
    return resp;
}

TEST(spawn_resolves_relative_paths_and_refuses_bad_ones)
{
    host_fixture f;
    if (!host_fixture_new(&f)) {
        CHECK(false);
        th_runtime_free(f.rt);
        return;
    }
    char *resp = spawn_op(&f, "kids/kid.toml");
    CHECK_REPORT_(strncmp(resp, "ok:", 3) == 0 && strlen(resp) == 35, "%s", resp);
    th_actor_status st = status_of(f.rt, resp + 3);
    CHECK(st.running);
    CHECK_STR_EQ(st.parent, f.sup);
    CHECK_STR_EQ(st.name, "kid");
    free(resp);

    resp = spawn_op(&f, "kids/missing.toml");
    char *want = format(
        "err:cannot read manifest '%s/kids/missing.toml': No such file or directory", tmpdir);
    CHECK_STR_EQ(resp, want);
    free(want);
    free(resp);

    resp = spawn_op(&f, "kids/greedy.toml");
    CHECK_CONTAINS(resp, "err:");
    CHECK_CONTAINS(resp, "grants the 'store' handler, which its supervisor host does not have");
    free(resp);

    /* With an initial state. */
    resp = ask(f.rt, f.sup,
               "{\"op\":\"spawn\",\"manifest\":\"kids/kid.toml\",\"state\":\"\\\"given\\\"\"}");
    CHECK_REPORT_(strncmp(resp, "ok:", 3) == 0, "%s", resp);
    char *given = ask_about(f.rt, f.sup, "child-state", resp + 3);
    CHECK_STR_EQ(given, "ok:some:\"given\"init\n");
    free(given);
    free(resp);
    CHECK(status_of(f.rt, f.sup).running);
    th_runtime_free(f.rt);
}

TEST(a_declared_child_that_cannot_start_fails_its_parents_spawn)
{
    host_fixture f;
    if (host_fixture_new(&f)) {
        tmp_path p = super_manifest("bad-parent.toml", "bad-parent",
                                    "[[children]]\nmanifest = \"kids/kid.toml\"\n"
                                    "[[children]]\nmanifest = \"kids/greedy.toml\"\n");
        char id[33];
        th_error err;
        CHECK_EQ_INT(th_runtime_spawn(f.rt, p.s, NULL, 0, NULL, id, &err), -1);
        CHECK_CONTAINS(err.msg, "child 2 of bad-parent");
        CHECK_CONTAINS(err.msg, "'store' handler");
        settle(f.rt);
    } else {
        CHECK(false);
    }
    th_runtime_free(f.rt);
}

TEST(list_stop_restart_and_inspect_children)
{
    host_fixture f;
    if (!host_fixture_new(&f)) {
        CHECK(false);
        th_runtime_free(f.rt);
        return;
    }
    char *a = spawn_op(&f, "kids/kid.toml"), *b = spawn_op(&f, "kids/kid.toml");
    const char *ida = a + 3, *idb = b + 3;
    char *list = ask(f.rt, f.sup, "{\"op\":\"children\"}");
    char *want = format("ok:%s,%s", ida, idb);
    CHECK_STR_EQ(list, want);
    free(want);
    free(list);

    /* get-child-state and get-child-events see what the child has. */
    tell(f.rt, ida, "{\"op\":\"note\",\"text\":\"hello\"}");
    settle(f.rt);
    char *resp = ask_about(f.rt, f.sup, "child-state", ida);
    CHECK_STR_EQ(resp, "ok:some:init\nhello\n");
    free(resp);
    resp = ask_about(f.rt, f.sup, "child-events", ida);
    /* spawn, init's call and return, the note's call and return; each
     * linked to the one before (rt_super checks the hashes) */
    want = format("ok:%" PRIu64 ":spawn,call,return,call,return", status_of(f.rt, ida).events);
    CHECK_STR_EQ(resp, want);
    free(want);
    free(resp);

    /* restart-child: in the child's own turn, from its last state. */
    resp = ask_about(f.rt, f.sup, "restart-child", ida);
    CHECK_STR_EQ(resp, "ok:");
    free(resp);
    settle(f.rt);
    th_actor_status st = status_of(f.rt, ida);
    CHECK(st.running && st.restarts == 1);
    char *events = lifecycle_of(f.rt, ida);
    CHECK_STR_EQ(events, "spawn\ncall init\ncall handle-send\nstop restart\nspawn\n");
    free(events);
    resp = ask_about(f.rt, f.sup, "child-state", ida);
    CHECK_STR_EQ(resp, "ok:some:init\nhello\n");
    free(resp);

    /* stop-child: stopped, no longer supervised, and nobody is told. */
    resp = ask_about(f.rt, f.sup, "stop-child", idb);
    CHECK_STR_EQ(resp, "ok:");
    free(resp);
    settle(f.rt);
    st = status_of(f.rt, idb);
    CHECK(!st.running && st.restarts == 0);
    CHECK_STR_EQ(st.exit_reason, "stopped by its supervisor");
    list = ask(f.rt, f.sup, "{\"op\":\"children\"}");
    want = format("ok:%s", ida);
    CHECK_STR_EQ(list, want);
    free(want);
    free(list);
    char *log = state_of(f.rt, f.sup);
    CHECK_STR_EQ(log, "");
    free(log);

    /* Ids that are not its children: a former child, a stranger, itself,
     * and no id at all. */
    const char *strangers[] = {idb, f.other, f.sup, "nonsense"};
    const char *ops[] = {"stop-child", "restart-child", "child-state", "child-events"};
    for (size_t i = 0; i < 4; i++)
        for (size_t k = 0; k < 4; k++) {
            resp = ask_about(f.rt, f.sup, ops[k], strangers[i]);
            want = format("err:'%s' is not a child of this actor", strangers[i]);
            CHECK_STR_EQ(resp, want);
            free(want);
            free(resp);
        }
    CHECK(status_of(f.rt, f.other).running && status_of(f.rt, f.other).restarts == 0);
    free(a);
    free(b);
    th_runtime_free(f.rt);
}

int main(void)
{
    if (!fixture_start("supervision", runtime_engine_options(0)))
        return 1;
    RUN(one_for_one_restarts_only_the_child_that_failed);
    RUN(one_for_all_restarts_every_child);
    RUN(rest_for_one_restarts_the_child_and_those_started_after_it);
    RUN(one_for_all_lets_a_temporary_sibling_go);
    RUN(permanent_transient_and_temporary_children);
    RUN(a_parent_without_a_supervisor_table_is_only_notified);
    RUN(restart_from_last_state_keeps_the_state_without_init);
    RUN(restart_from_init_resets_the_state_and_runs_init_again);
    RUN(a_child_stopped_from_outside_is_told_and_not_restarted);
    RUN(a_stopping_supervisor_stops_its_children);
    RUN(beyond_its_intensity_a_supervisor_escalates_to_its_own);
    RUN(a_restarted_supervisor_starts_with_a_fresh_intensity);
    RUN(a_root_of_intensity_zero_fails_too);
    RUN(spawn_resolves_relative_paths_and_refuses_bad_ones);
    RUN(a_declared_child_that_cannot_start_fails_its_parents_spawn);
    RUN(list_stop_restart_and_inspect_children);
    return fixture_end();
}
