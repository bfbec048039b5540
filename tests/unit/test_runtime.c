/* The concurrent runtime with real actors built with the C SDK
 * (tests/actors/rt_worker.c and rt_super.c): per-sender ordering and
 * back-pressure, requests and each way they fail, containment of an actor
 * that traps, spins, eats memory or overflows its stack, 10,000 actors, a
 * stress run with crashes injected at random (in memory, then with a
 * database whose chains are verified and replayed), and subscriptions.
 *
 * rt_worker keeps a log in its state ("init", "FROM SEQ" per numbered
 * message), which is what most checks read back. Manifests are written into
 * a temporary directory with absolute package paths. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "chain/chain.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/value.h"
#include "rt_fixture.h"

#define SEND_EVENT "theater:simple/message-server-host#send"
#define HANDLE_SEND "theater:simple/message-server-client#handle-send"

/* ---- Looking into an actor (th_runtime_with_actor) ------------------------------------------- */

typedef struct event_count {
    th_event_type type;
    const char *name; /* NULL: any */
    size_t count;
} event_count;

static void count_matching(void *ud, const th_actor *actor)
{
    event_count *q = ud;
    const th_chain *c = th_actor_chain(actor);
    for (size_t i = 0; i < th_chain_length(c); i++) {
        const th_event *ev = th_chain_event(c, i);
        if (ev->type == q->type && (!q->name || strcmp(ev->name, q->name) == 0))
            q->count++;
    }
}

static size_t count_events(th_runtime *rt, const char *id, th_event_type type, const char *name)
{
    event_count q = {type, name, 0};
    th_error err;
    CHECK_REPORT_(th_runtime_with_actor(rt, id, count_matching, &q, &err) == 0, "%s", err.msg);
    return q.count;
}

typedef struct chain_check {
    th_verify_report report;
    size_t length;
    uint8_t head[TH_HASH_SIZE];
} chain_check;

static void verify_chain(void *ud, const th_actor *actor)
{
    chain_check *c = ud;
    const th_chain *chain = th_actor_chain(actor);
    th_chain_verify(chain, &c->report);
    c->length = th_chain_length(chain);
    th_chain_head(chain, c->head);
}

static chain_check check_chain(th_runtime *rt, const char *id)
{
    chain_check c;
    memset(&c, 0, sizeof c);
    th_error err;
    CHECK_REPORT_(th_runtime_with_actor(rt, id, verify_chain, &c, &err) == 0, "%s", err.msg);
    CHECK_REPORT_(c.report.ok, "the chain of %.8s does not verify at %zu: %s", id,
                  c.report.first_bad, c.report.reason);
    return c;
}

/* The last trap event ("kind: message") and the last event's name. */
typedef struct ending {
    th_buf trap;
    th_event_type last_type;
    char last_name[64];
} ending;

static void read_ending(void *ud, const th_actor *actor)
{
    ending *e = ud;
    const th_chain *c = th_actor_chain(actor);
    size_t n = th_chain_length(c);
    for (size_t i = n; i-- > 0;) {
        const th_event *ev = th_chain_event(c, i);
        if (ev->type == TH_EV_TRAP) {
            th_event_render_io(ev, 300, &e->trap);
            break;
        }
    }
    if (n) {
        e->last_type = th_chain_event(c, n - 1)->type;
        snprintf(e->last_name, sizeof e->last_name, "%s", th_chain_event(c, n - 1)->name);
    }
    th_buf_cstr(&e->trap);
}

/* ---- A worker's log: "LABEL SEQ" lines ------------------------------------------------------- */

typedef struct tally {
    char label[16];
    long count, last, disorder;
} tally;

#define MAX_LABELS 64

/* Counts each label's lines and those that did not increase; lines without
 * a number ("init", notes) are skipped. Returns how many labels it saw. */
static size_t tally_log(const char *log, tally *t)
{
    size_t n = 0;
    for (const char *line = log; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *space = memchr(line, ' ', len);
        if (space && (size_t)(space - line) < sizeof t[0].label) {
            size_t label_len = (size_t)(space - line);
            long seq = strtol(space + 1, NULL, 10);
            size_t k = 0;
            while (k < n &&
                   !(strlen(t[k].label) == label_len && memcmp(t[k].label, line, label_len) == 0))
                k++;
            if (k == n && n < MAX_LABELS) {
                memset(&t[n], 0, sizeof t[n]);
                memcpy(t[n].label, line, label_len);
                t[n].last = -1;
                n++;
            }
            if (k < n) {
                if (seq <= t[k].last)
                    t[k].disorder++;
                t[k].last = seq;
                t[k].count++;
            }
        }
        line += len + (end ? 1 : 0);
    }
    return n;
}

/* ---- Ordering -------------------------------------------------------------------------------- */

#define ORDER_SENDERS 3 /* threads outside, and as many actors */
#define ORDER_EACH 300
#define ORDER_CHUNK 50

typedef struct order_job {
    th_runtime *rt;
    const char *receiver;
    const char *actor; /* NULL: send from this thread */
    int k;
    pthread_barrier_t *go;
    int failures;
    char problem[300];
} order_job;

static void *order_sender(void *ud)
{
    order_job *j = ud;
    pthread_barrier_wait(j->go);
    for (int seq = 1; seq <= ORDER_EACH && !j->actor; seq++) {
        char msg[128];
        th_error err;
        snprintf(msg, sizeof msg, "{\"op\":\"rec\",\"from\":\"x%d\",\"seq\":%d}", j->k, seq);
        if (try_tell(j->rt, j->receiver, msg, &err) && j->failures++ == 0)
            snprintf(j->problem, sizeof j->problem, "%s", err.msg);
    }
    /* An actor sends in chunks: the order holds across its calls too. */
    for (int first = 1; first <= ORDER_EACH && j->actor; first += ORDER_CHUNK) {
        char *msg = format("{\"op\":\"send\",\"to\":\"%s\",\"from\":\"a%d\",\"first\":%d,\"n\":%d}",
                           j->receiver, j->k, first, ORDER_CHUNK);
        th_error err;
        char *resp = try_ask(j->rt, j->actor, msg, &err);
        char want[64];
        snprintf(want, sizeof want, "{\"ok\":%d,\"failed\":0}", ORDER_CHUNK);
        if ((!resp || strcmp(resp, want) != 0) && j->failures++ == 0)
            snprintf(j->problem, sizeof j->problem, "%s", resp ? resp : err.msg);
        free(resp);
        free(msg);
    }
    return NULL;
}

/* The receiver's call events for messages from `sender` carry its causal
 * link (sender id, sender's head at send time): collected in order. */
typedef struct links {
    const char *sender;
    th_buf heads;
    size_t bad;
} links;

static void collect_links(void *ud, const th_actor *actor)
{
    links *l = ud;
    const th_chain *c = th_actor_chain(actor);
    for (size_t i = 0; i < th_chain_length(c); i++) {
        const th_event *ev = th_chain_event(c, i);
        if (ev->type != TH_EV_CALL || strcmp(ev->name, HANDLE_SEND) != 0 || !ev->output_len)
            continue;
        th_arena a = TH_ARENA_INIT;
        th_error err;
        th_val *v = th_val_decode(&a, ev->output, ev->output_len, &err);
        if (!v || v->kind != TH_VAL_TUPLE || v->list.len != 2 ||
            v->list.items[0].kind != TH_VAL_STRING || v->list.items[1].kind != TH_VAL_BYTES ||
            v->list.items[1].bytes.len != TH_HASH_SIZE)
            l->bad++;
        else if (v->list.items[0].bytes.len == 32 &&
                 memcmp(v->list.items[0].bytes.ptr, l->sender, 32) == 0)
            th_buf_append(&l->heads, v->list.items[1].bytes.ptr, TH_HASH_SIZE);
        th_arena_free(&a);
    }
}

/* The parents of the sender's own send events, in order: what the links
 * must name. */
static void collect_send_parents(void *ud, const th_actor *actor)
{
    th_buf *out = ud;
    const th_chain *c = th_actor_chain(actor);
    for (size_t i = 0; i < th_chain_length(c); i++) {
        const th_event *ev = th_chain_event(c, i);
        if (ev->type == TH_EV_HOST && strcmp(ev->name, SEND_EVENT) == 0)
            th_buf_append(out, ev->parent, TH_HASH_SIZE);
    }
}

static void check_causal_links(th_runtime *rt, const char *receiver, const char *sender)
{
    links l = {sender, TH_BUF_INIT, 0};
    th_buf parents = TH_BUF_INIT;
    CHECK(th_runtime_with_actor(rt, receiver, collect_links, &l, NULL) == 0);
    CHECK(th_runtime_with_actor(rt, sender, collect_send_parents, &parents, NULL) == 0);
    CHECK_EQ_INT(l.bad, 0);
    CHECK_EQ_INT(l.heads.len / TH_HASH_SIZE, ORDER_EACH);
    CHECK(l.heads.len == parents.len && parents.len &&
          memcmp(l.heads.data, parents.data, parents.len) == 0);
    th_buf_free(&l.heads);
    th_buf_free(&parents);
}

TEST(messages_from_each_sender_arrive_in_order_once)
{
    th_runtime_options opts = {.threads = 4};
    th_runtime *rt = runtime_new(&opts);
    tmp_path rp = worker_manifest("order-r.toml", "receiver", "[limits]\nmailbox = 4096\n");
    tmp_path sp = worker_manifest("order-s.toml", "sender", "");
    char receiver[33], senders[ORDER_SENDERS][33];
    bool ok = rt && spawn(rt, &rp, receiver);
    for (int k = 0; ok && k < ORDER_SENDERS; k++)
        ok = spawn(rt, &sp, senders[k]);
    if (!ok) {
        th_runtime_free(rt);
        return;
    }
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2 * ORDER_SENDERS);
    order_job jobs[2 * ORDER_SENDERS];
    pthread_t threads[2 * ORDER_SENDERS];
    for (int i = 0; i < 2 * ORDER_SENDERS; i++) {
        bool actor = i >= ORDER_SENDERS;
        jobs[i] = (order_job){
            rt, receiver, actor ? senders[i - ORDER_SENDERS] : NULL, i % ORDER_SENDERS, &go, 0, ""};
        CHECK(pthread_create(&threads[i], NULL, order_sender, &jobs[i]) == 0);
    }
    for (int i = 0; i < 2 * ORDER_SENDERS; i++) {
        pthread_join(threads[i], NULL);
        CHECK_REPORT_(jobs[i].failures == 0, "sender %d: %d failures, first: %s", i,
                      jobs[i].failures, jobs[i].problem);
    }
    pthread_barrier_destroy(&go);
    settle(rt);

    char *log = state_of(rt, receiver);
    tally t[MAX_LABELS];
    size_t n = tally_log(log, t);
    CHECK_EQ_INT(n, 2 * ORDER_SENDERS);
    for (size_t i = 0; i < n; i++) {
        CHECK_REPORT_(t[i].disorder == 0, "%s: %ld messages out of order or duplicated", t[i].label,
                      t[i].disorder);
        CHECK_REPORT_(t[i].count == ORDER_EACH && t[i].last == ORDER_EACH,
                      "%s: %ld messages, the last %ld", t[i].label, t[i].count, t[i].last);
    }
    free(log);
    th_actor_status st = status_of(rt, receiver);
    CHECK_EQ_INT(st.handled, 2 * ORDER_SENDERS * ORDER_EACH);
    CHECK_EQ_INT(st.dropped, 0);
    CHECK_EQ_INT(st.mailbox, 0);
    for (int k = 0; k < ORDER_SENDERS; k++)
        check_causal_links(rt, receiver, senders[k]);
    check_chain(rt, receiver);
    th_runtime_free(rt);
}

/* ---- Back-pressure --------------------------------------------------------------------------- */

/* Holds an actor's lock (th_runtime_with_actor) until released: the actor
 * cannot run, so its mailbox fills, whatever the timing. */
typedef struct gate {
    th_runtime *rt;
    const char *id;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool holding, open;
} gate;

static void hold_gate(void *ud, const th_actor *actor)
{
    gate *g = ud;
    (void)actor;
    pthread_mutex_lock(&g->lock);
    g->holding = true;
    pthread_cond_broadcast(&g->cond);
    while (!g->open)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

static void *gate_thread(void *ud)
{
    gate *g = ud;
    th_runtime_with_actor(g->rt, g->id, hold_gate, g, NULL);
    return NULL;
}

static void gate_set(gate *g, bool *flag, bool wait_for_holding)
{
    pthread_mutex_lock(&g->lock);
    if (flag)
        *flag = true;
    pthread_cond_broadcast(&g->cond);
    while (wait_for_holding && !g->holding)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

TEST(a_full_mailbox_refuses_actors_at_once_and_outsiders_after_waiting)
{
    th_runtime_options opts = {.threads = 4, .send_timeout_ms = 300};
    th_runtime *rt = runtime_new(&opts);
    tmp_path rp = worker_manifest("full-r.toml", "slow", "[limits]\nmailbox = 4\n");
    tmp_path sp = worker_manifest("full-s.toml", "eager", "");
    char receiver[33], sender[33];
    if (!rt || !spawn(rt, &rp, receiver) || !spawn(rt, &sp, sender)) {
        th_runtime_free(rt);
        return;
    }
    gate g = {rt, receiver, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false};
    pthread_t holder;
    CHECK(pthread_create(&holder, NULL, gate_thread, &g) == 0);
    gate_set(&g, NULL, true);
    /* A first message takes the receiver's worker to the gate: once it is
     * out of the mailbox, nothing else leaves it until the gate opens. */
    th_error err;
    CHECK_EQ_INT(try_tell(rt, receiver, "{\"op\":\"rec\",\"from\":\"x\",\"seq\":0}", &err), 0);
    wait_mailbox(rt, receiver, 0);

    /* The actor never waits: what does not fit is refused at once. */
    char *msg =
        format("{\"op\":\"send\",\"to\":\"%s\",\"from\":\"a\",\"first\":1,\"n\":40}", receiver);
    char *resp = ask(rt, sender, msg);
    char *want = format("{\"ok\":4,\"failed\":36,\"error\":\"the mailbox of slow (%s) is full (4 "
                        "messages)\"}",
                        receiver);
    CHECK_STR_EQ(resp, want);
    free(want);
    free(resp);
    free(msg);

    /* A thread outside waits for room (send_timeout_ms), then errs. */
    int64_t t0 = th_monotonic_ns();
    CHECK_EQ_INT(try_tell(rt, receiver, "{\"op\":\"rec\",\"from\":\"x\",\"seq\":1}", &err), -1);
    double waited = ms_since(t0);
    CHECK_CONTAINS(err.msg, "is full (4 messages)");
    CHECK_REPORT_(waited >= 250, "gave up after %.0f ms, before send_timeout_ms", waited);
    t0 = th_monotonic_ns();
    CHECK(ask_within(rt, receiver, 10000, "{\"op\":\"ping\"}", &err) == NULL);
    CHECK_CONTAINS(err.msg, "is full (4 messages)");
    CHECK(ms_since(t0) >= 250);

    gate_set(&g, &g.open, false);
    pthread_join(holder, NULL);
    settle(rt);
    /* Everything accepted was handled, in order; nothing refused was. */
    char *log = state_of(rt, receiver);
    CHECK_STR_EQ(log, "init\nx 0\na 1\na 2\na 3\na 4\n");
    free(log);
    th_actor_status st = status_of(rt, receiver);
    CHECK_EQ_INT(st.handled, 5);
    CHECK_EQ_INT(st.dropped, 0);
    /* With room again, an outsider's message goes in. */
    CHECK_EQ_INT(try_tell(rt, receiver, "{\"op\":\"ping\"}", &err), 0);
    th_runtime_free(rt);
}

/* ---- Requests -------------------------------------------------------------------------------- */

typedef struct request_fixture {
    th_runtime *rt;
    char asker[33];
} request_fixture;

#define REQUEST_TIMEOUT_MS 400

static bool request_fixture_new(request_fixture *f)
{
    th_runtime_options opts = {.request_timeout_ms = REQUEST_TIMEOUT_MS};
    f->rt = runtime_new(&opts);
    tmp_path p = worker_manifest("asker.toml", "asker", "");
    return f->rt && spawn(f->rt, &p, f->asker);
}

static char *spawn_worker(th_runtime *rt, const char *file, const char *name, const char *extra,
                          char id[33])
{
    tmp_path p = worker_manifest(file, name, extra);
    return spawn(rt, &p, id) ? id : NULL;
}

/* {"op":"request","to":TO,"msg":INNER}, INNER escaped as a JSON string. */
static char *request_op(const char *to, const char *inner)
{
    char *q = quoted(inner);
    char *op = format("{\"op\":\"request\",\"to\":\"%s\",\"msg\":\"%s\"}", to, q);
    free(q);
    return op;
}

/* The asker's answer for a request it makes of `to`. */
static char *ask_via(request_fixture *f, const char *to, const char *inner)
{
    char *msg = request_op(to, inner);
    th_error err;
    /* Longer than the asker's own timeout, which is what is tested. */
    char *resp = ask_within(f->rt, f->asker, 10000, msg, &err);
    CHECK_REPORT_(resp != NULL, "request %s of the asker: %s", msg, err.msg);
    free(msg);
    return resp ? resp : th_xstrdup("");
}

TEST(a_request_goes_there_and_back)
{
    request_fixture f;
    char b[33];
    if (request_fixture_new(&f) && spawn_worker(f.rt, "rb.toml", "answerer", "", b)) {
        char *resp = ask_via(&f, b, "{\"op\":\"ping\"}");
        CHECK_STR_EQ(resp, "ok:pong");
        free(resp);
        resp = ask(f.rt, b, "{\"op\":\"ping\"}");
        CHECK_STR_EQ(resp, "pong");
        free(resp);
        CHECK_EQ_INT(status_of(f.rt, b).handled, 2);
    }
    th_runtime_free(f.rt);
}

TEST(a_receivers_error_goes_back_to_the_requester)
{
    request_fixture f;
    char b[33];
    if (request_fixture_new(&f) && spawn_worker(f.rt, "rb.toml", "refuser", "", b)) {
        char *resp = ask_via(&f, b, "{\"op\":\"fail\"}");
        CHECK_CONTAINS(resp, "err:");
        CHECK_CONTAINS(resp, "asked to fail");
        free(resp);
        th_error err;
        CHECK(try_ask(f.rt, b, "{\"op\":\"fail\"}", &err) == NULL);
        CHECK_CONTAINS(err.msg, "asked to fail");
        CHECK_EQ_INT(err.kind, TH_ERROR_ACTOR);
        /* its own error does not stop it */
        th_actor_status st = status_of(f.rt, b);
        CHECK(st.running);
        CHECK_EQ_INT(st.errors, 2);
        CHECK_STR_EQ(st.last_error_kind, "export-error");
    }
    th_runtime_free(f.rt);
}

TEST(a_receiver_that_traps_fails_the_request_not_the_requester)
{
    request_fixture f;
    char b[33], c[33];
    if (request_fixture_new(&f) && spawn_worker(f.rt, "rb.toml", "trapper", "", b) &&
        spawn_worker(f.rt, "rc.toml", "trapper2", "", c)) {
        char *resp = ask_via(&f, b, "{\"op\":\"crash\"}");
        CHECK_CONTAINS(resp, "err:actor trapper failed in");
        CHECK_CONTAINS(resp, "trap");
        free(resp);
        /* The failure is answered once the actor is marked stopped. */
        CHECK(!status_of(f.rt, b).running);
        CHECK(status_of(f.rt, f.asker).running);
        th_error err;
        CHECK(try_ask(f.rt, c, "{\"op\":\"crash\"}", &err) == NULL);
        CHECK_CONTAINS(err.msg, "actor trapper2 failed in");
        CHECK_EQ_INT(err.kind, TH_ERROR_ACTOR);
    }
    th_runtime_free(f.rt);
}

TEST(a_stopped_receiver_fails_the_request)
{
    request_fixture f;
    char b[33];
    th_error err;
    if (request_fixture_new(&f) && spawn_worker(f.rt, "rb.toml", "gone", "", b)) {
        CHECK_EQ_INT(th_runtime_stop(f.rt, b, &err), 0);
        char *resp = ask_via(&f, b, "{\"op\":\"ping\"}");
        CHECK_CONTAINS(resp, "err:");
        CHECK_CONTAINS(resp, "has stopped");
        free(resp);
        CHECK(try_ask(f.rt, b, "{\"op\":\"ping\"}", &err) == NULL);
        CHECK_CONTAINS(err.msg, "has stopped");
    }
    th_runtime_free(f.rt);
}

TEST(a_request_without_an_answer_times_out)
{
    request_fixture f;
    char b[33];
    if (request_fixture_new(&f) &&
        spawn_worker(f.rt, "rb.toml", "spinner",
                     "[limits]\ntime_ms = 1500\nfuel = 20_000_000_000\n", b)) {
        int64_t t0 = th_monotonic_ns();
        char *resp = ask_via(&f, b, "{\"op\":\"spin\"}");
        double took = ms_since(t0);
        char *want = format("err:no answer from spinner (%s) within %d ms", b, REQUEST_TIMEOUT_MS);
        CHECK_STR_EQ(resp, want);
        CHECK_REPORT_(took >= REQUEST_TIMEOUT_MS, "answered after %.0f ms", took);
        free(want);
        free(resp);
        /* From outside, with the caller's own timeout: it is still spinning. */
        th_error err;
        CHECK(ask_within(f.rt, b, 100, "{\"op\":\"ping\"}", &err) == NULL);
        want = format("no answer from spinner (%s) within 100 ms", b);
        CHECK_STR_EQ(err.msg, want);
        free(want);
        /* The asker was not held up beyond its timeout. */
        resp = ask(f.rt, f.asker, "{\"op\":\"ping\"}");
        CHECK_STR_EQ(resp, "pong");
        free(resp);
        wait_stopped(f.rt, b);
        CHECK_STR_EQ(status_of(f.rt, b).last_error_kind, "timeout");
    }
    th_runtime_free(f.rt);
}

TEST(self_requests_and_unknown_ids_are_refused)
{
    request_fixture f;
    if (request_fixture_new(&f)) {
        char *resp = ask_via(&f, f.asker, "{\"op\":\"ping\"}");
        CHECK_STR_EQ(resp, "err:an actor cannot wait on itself (it handles one message at a time)");
        free(resp);
        resp = ask_via(&f, "0123456789abcdef0123456789abcdef", "{\"op\":\"ping\"}");
        CHECK_STR_EQ(resp, "err:no actor with id '0123456789abcdef0123456789abcdef'");
        free(resp);
        resp = ask_via(&f, "not an id", "{\"op\":\"ping\"}");
        CHECK_STR_EQ(resp, "err:no actor with id 'not an id'");
        free(resp);
        th_error err;
        CHECK(try_ask(f.rt, "0123456789abcdef0123456789abcdef", "{}", &err) == NULL);
        CHECK_CONTAINS(err.msg, "no actor with id 0123456789abcdef0123456789abcdef");
        CHECK(try_ask(f.rt, "xyz", "{}", &err) == NULL);
        CHECK_CONTAINS(err.msg, "is not an actor id");
        CHECK_EQ_INT(try_tell(f.rt, "fedcba98", "{}", &err), -1);
        CHECK_CONTAINS(err.msg, "no actor with an id beginning fedcba98");
        CHECK(status_of(f.rt, f.asker).running);
    }
    th_runtime_free(f.rt);
}

TEST(two_actors_requesting_each_other_end_in_a_timeout)
{
    request_fixture f;
    char q[33];
    if (request_fixture_new(&f) && spawn_worker(f.rt, "rq.toml", "partner", "", q)) {
        /* asker -> partner -> asker: the asker is busy waiting on the partner */
        char *back = request_op(f.asker, "{\"op\":\"ping\"}");
        int64_t t0 = th_monotonic_ns();
        char *resp = ask_via(&f, q, back);
        double took = ms_since(t0);
        /* Whichever wait began first ends first: the asker's own (it
         * failed), or the partner's (which answered the asker its error). */
        char *mine = format("err:no answer from partner (%s) within %d ms", q, REQUEST_TIMEOUT_MS);
        char *its =
            format("ok:err:no answer from asker (%s) within %d ms", f.asker, REQUEST_TIMEOUT_MS);
        CHECK_REPORT_(strcmp(resp, mine) == 0 || strcmp(resp, its) == 0, "answered %s", resp);
        CHECK_REPORT_(took < 10 * REQUEST_TIMEOUT_MS, "took %.0f ms", took);
        free(mine);
        free(its);
        free(resp);
        free(back);
        settle(f.rt);
        /* Neither is stuck: both answer again. */
        resp = ask_via(&f, q, "{\"op\":\"ping\"}");
        CHECK_STR_EQ(resp, "ok:pong");
        free(resp);
        CHECK(status_of(f.rt, q).running && status_of(f.rt, f.asker).running);
    }
    th_runtime_free(f.rt);
}

/* ---- Containment ----------------------------------------------------------------------------- */

typedef struct fault_case {
    const char *name, *limits, *op, *kind, *detail;
} fault_case;

static const fault_case faults[] = {
    {"f-trap", "", "crash", "trap", "unreachable"},
    {"f-time", "[limits]\ntime_ms = 200\nfuel = 1_000_000_000_000\n", "spin", "timeout",
     "exceeded its time limit of 200 ms"},
    {"f-fuel", "[limits]\nfuel = 5_000_000\n", "spin", "timeout", "ran out of fuel"},
    {"f-memory", "[limits]\nmemory_mb = 16\n", "bomb", "out-of-memory", "16 MiB"},
    {"f-stack", "", "deep", "trap", "stack overflow"},
};
#define N_FAULTS (sizeof faults / sizeof faults[0])

TEST(a_misbehaving_actor_stops_alone_and_its_supervisor_is_told)
{
    th_runtime *rt = runtime_new(NULL);
    th_buf children = TH_BUF_INIT;
    for (size_t i = 0; i < N_FAULTS; i++) {
        char file[32];
        snprintf(file, sizeof file, "%s.toml", faults[i].name);
        worker_manifest(file, faults[i].name, faults[i].limits);
        th_buf_printf(&children, "[[children]]\nmanifest = \"%s\"\nrestart = \"temporary\"\n",
                      file);
    }
    tmp_path sp = super_manifest("contain.toml", "keeper", th_buf_cstr(&children));
    th_buf_free(&children);
    char sup[33], bystander[33], ids[N_FAULTS][33];
    if (!rt || !spawn(rt, &sp, sup) ||
        !spawn_worker(rt, "bystander.toml", "bystander", "", bystander) ||
        children_of(rt, sup, ids, N_FAULTS) != N_FAULTS) {
        CHECK(false);
        th_runtime_free(rt);
        return;
    }
    for (size_t i = 0; i < N_FAULTS; i++) {
        const fault_case *fc = &faults[i];
        char msg[64];
        th_error err;
        snprintf(msg, sizeof msg, "{\"op\":\"%s\"}", fc->op);
        CHECK_EQ_INT(try_tell(rt, ids[i], msg, &err), 0);
        /* Everyone else keeps answering, also while it spins. */
        char *resp = ask(rt, bystander, "{\"op\":\"ping\"}");
        CHECK_STR_EQ(resp, "pong");
        free(resp);
        wait_stopped(rt, ids[i]);

        th_actor_status st = status_of(rt, ids[i]);
        CHECK_STR_EQ(st.last_error_kind, fc->kind);
        CHECK_CONTAINS(st.exit_reason, fc->detail);
        ending e = {TH_BUF_INIT, 0, ""};
        CHECK(th_runtime_with_actor(rt, ids[i], read_ending, &e, NULL) == 0);
        char *want = format("%s: ", fc->kind);
        CHECK_REPORT_(strncmp((const char *)e.trap.data, want, strlen(want)) == 0,
                      "%s: trap event %s", fc->name, (const char *)e.trap.data);
        CHECK_CONTAINS((const char *)e.trap.data, fc->detail);
        CHECK_EQ_INT(e.last_type, TH_EV_STOP);
        CHECK_STR_EQ(e.last_name, "failed");
        free(want);
        th_buf_free(&e.trap);
        check_chain(rt, ids[i]);
    }
    settle(rt);
    char *log = state_of(rt, sup);
    for (size_t i = 0; i < N_FAULTS; i++) {
        char *line = format("error %s %s ", ids[i], faults[i].kind);
        CHECK_CONTAINS(log, line);
        free(line);
        CHECK_EQ_INT(status_of(rt, ids[i]).restarts, 0); /* temporary */
    }
    free(log);
    char *resp = ask(rt, sup, "{\"op\":\"children\"}");
    CHECK_STR_EQ(resp, "ok:"); /* temporary children are let go */
    free(resp);
    CHECK(status_of(rt, sup).running && status_of(rt, bystander).running);
    th_runtime_free(rt);
}

/* ---- Scale ----------------------------------------------------------------------------------- */

/* At most this many actors alive at once: THEATER_TEST_ACTORS, for a run
 * under valgrind, where each actor's memory reserves 4 GiB of address
 * space (without the pooling allocator) and only a few dozen fit. */
static size_t actor_budget(size_t wanted)
{
    const char *env = getenv("THEATER_TEST_ACTORS");
    size_t most = env && atoi(env) > 0 ? (size_t)atoi(env) : wanted;
    return most < wanted ? most : wanted;
}

typedef struct scale_sum {
    size_t running;
    uint64_t handled;
} scale_sum;

static void sum_status(void *ud, const th_actor_status *st)
{
    scale_sum *s = ud;
    s->running += st->running;
    s->handled += st->handled;
}

TEST(ten_thousand_actors_each_get_their_own_message)
{
    size_t n = actor_budget(10000); /* fast enough under ASan too */
    th_runtime *rt = runtime_new(NULL);
    tmp_path p = worker_manifest("scale.toml", "many", "");
    char(*ids)[33] = th_xcalloc(n, sizeof *ids);
    size_t started = 0;
    int64_t t0 = th_monotonic_ns();
    while (rt && started < n && spawn(rt, &p, ids[started]))
        started++;
    double spawn_ms = ms_since(t0);
    CHECK_EQ_INT(started, n);
    size_t sent = 0;
    t0 = th_monotonic_ns();
    for (size_t i = 0; i < started; i++) {
        char msg[80];
        th_error err;
        snprintf(msg, sizeof msg, "{\"op\":\"rec\",\"from\":\"scale\",\"seq\":%zu}", i);
        sent += try_tell(rt, ids[i], msg, &err) == 0;
    }
    CHECK_EQ_INT(sent, n);
    settle(rt);
    double send_ms = ms_since(t0);
    /* Each actor answers with its own state: its message and no other. */
    size_t right = 0;
    t0 = th_monotonic_ns();
    for (size_t i = 0; i < started; i++) {
        char want[64];
        th_error err;
        snprintf(want, sizeof want, "init\nscale %zu\n", i);
        char *resp = try_ask(rt, ids[i], "{\"op\":\"get\"}", &err);
        right += resp && strcmp(resp, want) == 0;
        free(resp);
    }
    CHECK_EQ_INT(right, n);
    scale_sum sum = {0, 0};
    CHECK_EQ_INT(th_runtime_list(rt, sum_status, &sum), n);
    CHECK_EQ_INT(sum.running, n);
    CHECK_EQ_INT(sum.handled, 2 * n);
    fprintf(stderr, "     %zu actors: spawned in %.0f ms, messaged in %.0f ms, asked in %.0f ms\n",
            n, spawn_ms, send_ms, ms_since(t0));
    free(ids);
    th_runtime_free(rt);
}

/* ---- Stress: messages between actors, crashes injected at random ----------------------------- */

typedef struct stress {
    th_runtime *rt;
    size_t n_workers, n_supers, rounds;
    char (*workers)[33];
    char (*supers)[33];
    _Atomic long *accepted; /* per worker: one-way messages its mailbox took */
    _Atomic long *answered; /* per worker: requests it handled */
    long *next_seq;         /* [sender * n + receiver]: owned by the sender's driver */
    _Atomic long injected;  /* crashes asked for */
} stress;

typedef struct driver {
    stress *s;
    unsigned index, of;
    uint64_t rng;
    long direct_seq;
    long problems;
    char problem[300];
} driver;

/* xorshift64*: seeded, so a failing run can be repeated. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static size_t pick(driver *d, size_t n)
{
    return (size_t)(next_random(&d->rng) % n);
}

static void note_problem(driver *d, const char *what)
{
    if (d->problems++ == 0)
        snprintf(d->problem, sizeof d->problem, "%s", what);
}

/* Whether a failed request reached the actor's code (and was counted as
 * handled): not when the actor had stopped or its mailbox was full. */
static bool request_was_handled(const char *error)
{
    return !strstr(error, "has stopped") && !strstr(error, "stopped before handling") &&
           !strstr(error, "is full");
}

static void drive_send(driver *d, size_t a)
{
    stress *s = d->s;
    size_t b = pick(d, s->n_workers - 1);
    b += b >= a; /* anyone but the sender itself */
    size_t n = 1 + pick(d, 16);
    char marks[17];
    for (size_t i = 0; i < n; i++) {
        bool crash = pick(d, 100) < 2;
        marks[i] = crash ? 'c' : '.';
        atomic_fetch_add(&s->injected, crash);
    }
    marks[n] = '\0';
    long *seq = &s->next_seq[a * s->n_workers + b];
    char *msg = format("{\"op\":\"send\",\"to\":\"%s\",\"from\":\"w%zu\",\"first\":%ld,\"n\":%zu,"
                       "\"marks\":\"%s\"}",
                       s->workers[b], a, *seq, n, marks);
    *seq += (long)n;
    th_error err;
    char *resp = try_ask(s->rt, s->workers[a], msg, &err);
    int ok = 0, failed = 0;
    if (resp && sscanf(resp, "{\"ok\":%d,\"failed\":%d", &ok, &failed) == 2 &&
        ok + failed == (int)n) {
        atomic_fetch_add(&s->accepted[b], ok);
        atomic_fetch_add(&s->answered[a], 1);
    } else if (resp) {
        note_problem(d, resp);
    } else if (request_was_handled(err.msg)) {
        note_problem(d, err.msg); /* a "send" op does not fail by itself */
    }
    free(resp);
    free(msg);
}

static void drive_crash(driver *d, size_t a)
{
    stress *s = d->s;
    th_error err;
    atomic_fetch_add(&s->injected, 1);
    char *resp = try_ask(s->rt, s->workers[a], "{\"op\":\"crash\"}", &err);
    if (resp)
        note_problem(d, "a crash request was answered");
    else if (request_was_handled(err.msg))
        atomic_fetch_add(&s->answered[a], 1);
    free(resp);
}

/* A numbered message straight from this thread, sometimes one that traps. */
static void drive_direct(driver *d)
{
    stress *s = d->s;
    size_t b = pick(d, s->n_workers);
    bool crash = pick(d, 100) < 2;
    char msg[128];
    snprintf(msg, sizeof msg, "{\"op\":\"rec\",\"from\":\"d%u\",\"seq\":%ld%s}", d->index,
             d->direct_seq++, crash ? ",\"crash\":true" : "");
    th_error err;
    if (try_tell(s->rt, s->workers[b], msg, &err) == 0) {
        atomic_fetch_add(&s->accepted[b], 1);
        atomic_fetch_add(&s->injected, crash);
    }
}

static void *drive(void *ud)
{
    driver *d = ud;
    stress *s = d->s;
    for (size_t round = 0; round < s->rounds; round++) {
        /* Each driver commands only its own senders, so what one sender
         * is told to send, it is told in order. */
        size_t a = d->index + d->of * pick(d, (s->n_workers - d->index + d->of - 1) / d->of);
        if (pick(d, 100) < 1)
            drive_crash(d, a);
        else
            drive_send(d, a);
        drive_direct(d);
    }
    return NULL;
}

static bool stress_start(stress *s, th_runtime *rt, size_t workers, size_t supers, size_t rounds)
{
    memset(s, 0, sizeof *s);
    s->rt = rt;
    s->n_workers = workers;
    s->n_supers = supers;
    s->rounds = rounds;
    s->workers = th_xcalloc(workers, sizeof *s->workers);
    s->supers = th_xcalloc(supers, sizeof *s->supers);
    s->accepted = th_xcalloc(workers, sizeof *s->accepted);
    s->answered = th_xcalloc(workers, sizeof *s->answered);
    s->next_seq = th_xcalloc(workers * workers, sizeof *s->next_seq);
    tmp_path wp = worker_manifest("stress-w.toml", "stressed", "");
    tmp_path sp = super_manifest("stress-s.toml", "stress-keeper",
                                 "[supervisor]\nintensity = 1_000_000\nperiod = 1\n");
    bool ok = rt != NULL;
    for (size_t i = 0; ok && i < supers; i++)
        ok = spawn(rt, &sp, s->supers[i]);
    for (size_t i = 0; ok && i < workers; i++)
        ok = spawn_under(rt, &wp, s->supers[i % supers], s->workers[i]);
    return ok;
}

static void stress_free(stress *s)
{
    free(s->workers);
    free(s->supers);
    free((void *)s->accepted);
    free((void *)s->answered);
    free(s->next_seq);
}

static void stress_run(stress *s, unsigned drivers, uint64_t seed)
{
    driver d[8];
    pthread_t threads[8];
    for (unsigned i = 0; i < drivers; i++) {
        d[i] = (driver){s, i, drivers, seed * (i + 1) | 1, 1, 0, ""};
        CHECK(pthread_create(&threads[i], NULL, drive, &d[i]) == 0);
    }
    for (unsigned i = 0; i < drivers; i++) {
        pthread_join(threads[i], NULL);
        CHECK_REPORT_(d[i].problems == 0, "driver %u: %ld problems, the first: %s", i,
                      d[i].problems, d[i].problem);
    }
    settle(s->rt);
}

/* Counts "error ID trap" lines in a supervisor's log. */
static long failures_told(const char *log, const char *id)
{
    char *needle = format("error %s trap ", id);
    long n = 0;
    for (const char *p = log; (p = strstr(p, needle)); p++)
        n++;
    free(needle);
    return n;
}

/* Every guarantee, per worker: order and no duplicates among what it
 * handled, counters that add up, a chain that verifies and records one
 * spawn per restart and one trap per failure, each failure told to its
 * supervisor. Returns the failures seen. */
static long stress_check(stress *s)
{
    long traps_total = 0;
    char **logs = th_xcalloc(s->n_supers, sizeof *logs);
    for (size_t k = 0; k < s->n_supers; k++) {
        logs[k] = state_of(s->rt, s->supers[k]);
        CHECK(status_of(s->rt, s->supers[k]).running);
        check_chain(s->rt, s->supers[k]);
    }
    for (size_t i = 0; i < s->n_workers; i++) {
        const char *id = s->workers[i];
        th_actor_status st = status_of(s->rt, id);
        CHECK_REPORT_(st.running, "worker %zu is not running: %s", i, st.exit_reason);
        CHECK_REPORT_((long)(st.handled + st.dropped) == s->accepted[i] + s->answered[i],
                      "worker %zu: handled %" PRIu64 " + dropped %" PRIu64
                      " != accepted %ld + requests %ld",
                      i, st.handled, st.dropped, (long)s->accepted[i], (long)s->answered[i]);
        char *log = state_of(s->rt, id);
        tally t[MAX_LABELS];
        size_t n = tally_log(log, t);
        for (size_t k = 0; k < n; k++) {
            CHECK_REPORT_(t[k].disorder == 0, "worker %zu: %ld from %s out of order", i,
                          t[k].disorder, t[k].label);
            if (t[k].label[0] == 'w') {
                size_t from = (size_t)atol(t[k].label + 1);
                CHECK(from < s->n_workers && t[k].last < s->next_seq[from * s->n_workers + i]);
            }
        }
        free(log);
        chain_check c = check_chain(s->rt, id);
        CHECK_EQ_INT(st.events, c.length);
        long spawns = (long)count_events(s->rt, id, TH_EV_SPAWN, NULL);
        long traps = (long)count_events(s->rt, id, TH_EV_TRAP, NULL);
        CHECK_EQ_INT(spawns, 1 + (long)st.restarts);
        CHECK_EQ_INT(traps, (long)st.restarts); /* every failure was restarted */
        CHECK((long)st.errors >= traps);
        CHECK_EQ_INT(failures_told(logs[i % s->n_supers], id), traps);
        traps_total += traps;
    }
    for (size_t k = 0; k < s->n_supers; k++)
        free(logs[k]);
    free(logs);
    return traps_total;
}

static uint64_t stress_seed(void)
{
    const char *env = getenv("THEATER_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : 0x5eed1234abcdULL;
    fprintf(stderr, "     seed %#" PRIx64 " (THEATER_TEST_SEED repeats a run)\n", seed);
    return seed;
}

TEST(actors_messaging_each_other_while_crashing_keep_every_guarantee)
{
    th_runtime *rt = runtime_new(NULL);
    stress s;
    if (stress_start(&s, rt, actor_budget(36) - 4, 4, 2500)) {
        int64_t t0 = th_monotonic_ns();
        stress_run(&s, 2, stress_seed());
        long traps = stress_check(&s);
        CHECK_REPORT_(traps >= 20, "only %ld failures: the stress injected too few", traps);
        fprintf(stderr, "     %ld crashes injected, %ld failures restarted, %.0f ms\n",
                (long)s.injected, traps, ms_since(t0));
    }
    stress_free(&s);
    th_runtime_free(rt);
}

/* With a database: after shutdown, every stored chain verifies and matches
 * the one in memory, and replaying actors reproduces their chains. */
typedef struct stored {
    th_db_reader *reader;
    th_runtime *rt;
} stored;
static void check_stored_chain(stored *st, const char *id, bool replay)
{
    th_actor_info info;
    th_chain *chain = load_stored_chain(st->reader, id, &info);
    chain_check live = check_chain(st->rt, id);
    if (chain) {
        th_verify_report rep;
        CHECK_REPORT_(th_chain_verify(chain, &rep), "stored chain of %.8s: %s", id, rep.reason);
        uint8_t head[TH_HASH_SIZE];
        th_chain_head(chain, head);
        CHECK_EQ_INT(th_chain_length(chain), live.length);
        CHECK(memcmp(head, live.head, TH_HASH_SIZE) == 0);
    }
    if (chain && replay) {
        uint8_t *state = NULL;
        size_t state_len = 0;
        bool has_state = false;
        th_replay_report rep;
        th_error err;
        int rc =
            replay_stored(st->reader, &info, chain, &rep, &state, &state_len, &has_state, &err);
        CHECK_REPORT_(rc == 0, "replay of %.8s: %s", id, err.msg);
        if (rc == 0) {
            CHECK_REPORT_(rep.identical, "replay of %.8s diverged at %zu: %s\n  want %s\n  got  %s",
                          id, rep.diverged_at, rep.reason, rep.expected, rep.actual);
            CHECK_EQ_INT(rep.events_replayed, live.length);
            char *now = state_of(st->rt, id);
            CHECK(has_state && state_len == strlen(now) && memcmp(state, now, state_len) == 0);
            free(now);
        }
        free(state);
    }
    th_chain_free(chain);
    th_actor_info_clear(&info);
}
/* The three workers restarted most (distinct), most first. */
static void most_restarted(stress *s, size_t most[3])
{
    uint64_t best[3] = {0, 0, 0};
    most[0] = 0, most[1] = 1, most[2] = 2;
    for (size_t i = 0; i < s->n_workers; i++) {
        uint64_t r = status_of(s->rt, s->workers[i]).restarts;
        for (size_t k = 0; k < 3; k++) {
            if (r <= best[k] && i >= 3)
                continue;
            if (i < 3 && k != i)
                continue;
            for (size_t j = 2; j > k; j--) {
                best[j] = best[j - 1];
                most[j] = most[j - 1];
            }
            best[k] = r;
            most[k] = i;
            break;
        }
    }
}

TEST(with_a_database_stored_chains_verify_and_replay_identically)
{
    char dir[700];
    snprintf(dir, sizeof dir, "%s/db", tmpdir);
    th_error err;
    th_db *db = th_db_open(dir, TH_DURABILITY_OFF, &err);
    CHECK_REPORT_(db != NULL, "th_db_open: %s", err.msg);
    if (!db)
        return;
    th_runtime_options opts = {.db = db};
    th_runtime *rt = runtime_new(&opts);
    stress s;
    if (stress_start(&s, rt, actor_budget(14) - 2, 2, 400)) {
        stress_run(&s, 2, stress_seed() ^ 0xdb);
        long traps = stress_check(&s);
        CHECK(traps > 0);
        th_runtime_shutdown(rt); /* every actor stops ("ended"); then nothing moves */
        CHECK_EQ_INT(th_db_sync(db, &err), 0);
        stored st = {th_db_reader_open(db, &err), rt};
        CHECK_REPORT_(st.reader != NULL, "%s", err.msg);
        /* Replay the workers that failed most, and a supervisor. */
        size_t most[3];
        most_restarted(&s, most);
        for (size_t i = 0; st.reader && i < s.n_workers; i++)
            check_stored_chain(&st, s.workers[i], i == most[0] || i == most[1] || i == most[2]);
        for (size_t k = 0; st.reader && k < s.n_supers; k++)
            check_stored_chain(&st, s.supers[k], k == 0);
        th_db_reader_close(st.reader);
    }
    stress_free(&s);
    th_runtime_free(rt);
    th_db_close(db);
}

/* ---- Subscriptions --------------------------------------------------------------------------- */

typedef struct seen_events {
    pthread_mutex_t lock;
    th_buf hashes; /* each event's hash, in the order seen */
    size_t count, misaddressed, gaps;
    uint64_t next_index;
    const char *id;
} seen_events;

static void on_event(void *ud, const char *actor_id, const th_event *ev)
{
    seen_events *s = ud;
    pthread_mutex_lock(&s->lock);
    if (strcmp(actor_id, s->id) != 0)
        s->misaddressed++;
    if (ev->index != s->next_index)
        s->gaps++;
    s->next_index = ev->index + 1;
    th_buf_append(&s->hashes, ev->hash, TH_HASH_SIZE);
    s->count++;
    pthread_mutex_unlock(&s->lock);
}

typedef struct chain_slice {
    size_t from;
    th_buf hashes;
} chain_slice;

static void copy_hashes(void *ud, const th_actor *actor)
{
    chain_slice *c = ud;
    const th_chain *chain = th_actor_chain(actor);
    for (size_t i = c->from; i < th_chain_length(chain); i++)
        th_buf_append(&c->hashes, th_chain_event(chain, i)->hash, TH_HASH_SIZE);
}

TEST(a_subscriber_sees_every_event_of_an_actor_in_chain_order)
{
    th_runtime *rt = runtime_new(NULL);
    char x[33], y[33], s[33];
    if (!rt || !spawn_worker(rt, "sub-x.toml", "watched", "", x) ||
        !spawn_worker(rt, "sub-y.toml", "other", "", y) ||
        !spawn_worker(rt, "sub-s.toml", "talker", "", s)) {
        th_runtime_free(rt);
        return;
    }
    seen_events seen = {PTHREAD_MUTEX_INITIALIZER, TH_BUF_INIT, 0, 0, 0, 0, x};
    seen_events other = {PTHREAD_MUTEX_INITIALIZER, TH_BUF_INIT, 0, 0, 0, 0, y};
    uint64_t sub, other_sub;
    th_error err;
    size_t from = (size_t)status_of(rt, x).events; /* idle since its spawn */
    seen.next_index = from;
    other.next_index = status_of(rt, y).events;
    CHECK_EQ_INT(th_runtime_subscribe(rt, x, on_event, &seen, &sub, &err), 0);
    CHECK_EQ_INT(th_runtime_subscribe(rt, y, on_event, &other, &other_sub, &err), 0);

    /* Messages from outside and from an actor, a request, a failure and a
     * restart: every kind of event. */
    for (int i = 0; i < 50; i++) {
        char msg[80];
        snprintf(msg, sizeof msg, "{\"op\":\"rec\",\"from\":\"x\",\"seq\":%d}", i);
        CHECK_EQ_INT(try_tell(rt, x, msg, &err), 0);
    }
    char *msg = format("{\"op\":\"send\",\"to\":\"%s\",\"from\":\"s\",\"first\":1,\"n\":20}", x);
    free(ask(rt, s, msg));
    free(msg);
    free(ask(rt, x, "{\"op\":\"ping\"}"));
    CHECK_EQ_INT(try_tell(rt, x, "{\"op\":\"crash\"}", &err), 0);
    wait_stopped(rt, x);
    CHECK_EQ_INT(th_runtime_restart(rt, x, false, &err), 0);
    wait_running(rt, x, true);
    free(ask(rt, x, "{\"op\":\"ping\"}"));
    CHECK_EQ_INT(try_tell(rt, y, "{\"op\":\"note\",\"text\":\"hi\"}", &err), 0);
    settle(rt);
    CHECK_EQ_INT(th_runtime_unsubscribe(rt, x, sub, &err), 0);

    chain_slice c = {from, TH_BUF_INIT};
    CHECK(th_runtime_with_actor(rt, x, copy_hashes, &c, NULL) == 0);
    pthread_mutex_lock(&seen.lock);
    size_t seen_then = seen.count;
    CHECK_REPORT_(seen.count * TH_HASH_SIZE == c.hashes.len && seen.count > 100,
                  "saw %zu events, the chain has %zu more", seen.count,
                  c.hashes.len / TH_HASH_SIZE);
    CHECK(seen.hashes.len == c.hashes.len && c.hashes.len &&
          memcmp(seen.hashes.data, c.hashes.data, c.hashes.len) == 0);
    CHECK_EQ_INT(seen.gaps, 0);
    CHECK_EQ_INT(seen.misaddressed, 0);
    pthread_mutex_unlock(&seen.lock);
    th_buf_free(&c.hashes);
    CHECK_EQ_INT(count_events(rt, x, TH_EV_SPAWN, NULL), 2);

    /* Unsubscribed: nothing more arrives, though the chain grows. */
    free(ask(rt, x, "{\"op\":\"ping\"}"));
    settle(rt);
    pthread_mutex_lock(&seen.lock);
    CHECK_EQ_INT(seen.count, seen_then);
    pthread_mutex_unlock(&seen.lock);
    CHECK_EQ_INT(th_runtime_unsubscribe(rt, x, sub, &err), -1);
    CHECK_CONTAINS(err.msg, "has no subscription");
    /* The other subscriber saw only its own actor: the note's call and return. */
    pthread_mutex_lock(&other.lock);
    CHECK_EQ_INT(other.count, 2);
    CHECK_EQ_INT(other.misaddressed, 0);
    pthread_mutex_unlock(&other.lock);

    th_runtime_free(rt);
    th_buf_free(&seen.hashes);
    th_buf_free(&other.hashes);
}

int main(void)
{
    /* Room for the 10,000 actors of the scale test, and a few more. */
    if (!fixture_start("runtime", runtime_engine_options(10100)))
        return 1;
    RUN(messages_from_each_sender_arrive_in_order_once);
    RUN(a_full_mailbox_refuses_actors_at_once_and_outsiders_after_waiting);
    RUN(a_request_goes_there_and_back);
    RUN(a_receivers_error_goes_back_to_the_requester);
    RUN(a_receiver_that_traps_fails_the_request_not_the_requester);
    RUN(a_stopped_receiver_fails_the_request);
    RUN(a_request_without_an_answer_times_out);
    RUN(self_requests_and_unknown_ids_are_refused);
    RUN(two_actors_requesting_each_other_end_in_a_timeout);
    RUN(a_misbehaving_actor_stops_alone_and_its_supervisor_is_told);
    RUN(ten_thousand_actors_each_get_their_own_message);
    RUN(actors_messaging_each_other_while_crashing_keep_every_guarantee);
    RUN(with_a_database_stored_chains_verify_and_replay_identically);
    RUN(a_subscriber_sees_every_event_of_an_actor_in_chain_order);
    return fixture_end();
}
