/* Channels on the runtime, with real actors built with the C SDK
 * (tests/actors/rt_worker.c): between two actors, in both directions, from
 * open to close; refusals; channels closed by an actor stopping; channels
 * with the embedding program (th_runtime_channel_*); and bad or foreign
 * channel ids.
 *
 * rt_worker accepts a channel whose first message is {"accept":true} (with
 * "reply" as its first word back) and refuses it otherwise (with "reason");
 * it logs "open CH", "msg CH TEXT" and "close CH" lines in its state. */
#include <pthread.h>
#include <stdlib.h>

#include "chain/chain.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/value.h"
#include "rt_fixture.h"

#define CHANNEL_OPEN "theater:simple/message-server-client#handle-channel-open"
#define CHANNEL_MESSAGE "theater:simple/message-server-client#handle-channel-message"

/* ---- Fixture --------------------------------------------------------------------------------- */

/* Spawns `pkg` from NAME.toml, granted the message-server (and the
 * supervisor, which rt_super imports). */
static bool spawn_named(th_runtime *rt, const char *name, const char *pkg, char id[33])
{
    char *file = format("%s.toml", name);
    bool super = strcmp(pkg, SUPER_WASM) == 0;
    tmp_path p =
        actor_manifest(file, name, pkg, "",
                       super ? MESSAGE_SERVER_HANDLER SUPERVISOR_HANDLER : MESSAGE_SERVER_HANDLER);
    free(file);
    return spawn(rt, &p, id);
}

/* `from` opens a channel to `to` with `first`: "ok:CH" or "err:WHY". */
static char *open_channel(th_runtime *rt, const char *from, const char *to, const char *first)
{
    char *q = quoted(first);
    char *resp = askf(rt, from, "{\"op\":\"open\",\"to\":\"%s\",\"msg\":\"%s\"}", to, q);
    free(q);
    return resp;
}

/* Opens a channel that must be accepted; its id into ch. */
static bool open_accepted(th_runtime *rt, const char *from, const char *to, char ch[33])
{
    char *resp = open_channel(rt, from, to, "{\"accept\":true}");
    bool ok = strncmp(resp, "ok:", 3) == 0 && strlen(resp) == 35;
    CHECK_REPORT_(ok, "open: %s", resp);
    snprintf(ch, 33, "%s", ok ? resp + 3 : "");
    free(resp);
    return ok;
}

static char *chsend(th_runtime *rt, const char *from, const char *ch, const char *text)
{
    return askf(rt, from, "{\"op\":\"chsend\",\"ch\":\"%s\",\"text\":\"%s\"}", ch, text);
}

static char *chclose(th_runtime *rt, const char *from, const char *ch)
{
    return askf(rt, from, "{\"op\":\"chclose\",\"ch\":\"%s\"}", ch);
}

static void expect(char *got, const char *want)
{
    CHECK_STR_EQ(got, want);
    free(got);
}

/* The actor's log, once everything in flight has arrived. */
static char *log_of(th_runtime *rt, const char *id)
{
    settle(rt);
    return state_of(rt, id);
}

static void expect_log(th_runtime *rt, const char *id, const char *want)
{
    expect(log_of(rt, id), want);
}

/* The sender ids recorded as the causal links of the actor's calls of
 * `export`, comma-separated ("-" for a call without one). */
typedef struct linked {
    const char *export;
    th_buf senders;
} linked;

static void collect_links(void *ud, const th_actor *actor)
{
    linked *l = ud;
    const th_chain *c = th_actor_chain(actor);
    for (size_t i = 0; i < th_chain_length(c); i++) {
        const th_event *ev = th_chain_event(c, i);
        if (ev->type != TH_EV_CALL || strcmp(ev->name, l->export) != 0)
            continue;
        if (l->senders.len)
            th_buf_append_byte(&l->senders, ',');
        th_arena a = TH_ARENA_INIT;
        th_error err;
        th_val *v = ev->output_len ? th_val_decode(&a, ev->output, ev->output_len, &err) : NULL;
        if (v && v->kind == TH_VAL_TUPLE && v->list.len == 2)
            th_buf_append(&l->senders, v->list.items[0].bytes.ptr, v->list.items[0].bytes.len);
        else
            th_buf_append_byte(&l->senders, '-');
        th_arena_free(&a);
    }
}

static char *links_of(th_runtime *rt, const char *id, const char *export)
{
    linked l = {export, TH_BUF_INIT};
    CHECK(th_runtime_with_actor(rt, id, collect_links, &l, NULL) == 0);
    th_buf_cstr(&l.senders);
    return (char *)th_buf_take(&l.senders, NULL);
}

static void stop(th_runtime *rt, const char *id)
{
    th_error err;
    CHECK_REPORT_(th_runtime_stop(rt, id, &err) == 0, "stop: %s", err.msg);
}

/* ---- Between actors -------------------------------------------------------------------------- */

TEST(two_actors_open_talk_both_ways_and_close)
{
    th_runtime *rt = runtime_new(NULL);
    char a[33], b[33], ch[33];
    if (!rt || !spawn_named(rt, "opener", WORKER_WASM, a) ||
        !spawn_named(rt, "acceptor", WORKER_WASM, b)) {
        th_runtime_free(rt);
        return;
    }
    char *resp = open_channel(rt, a, b, "{\"accept\":true,\"reply\":\"welcome\"}");
    CHECK_REPORT_(strncmp(resp, "ok:", 3) == 0 && strlen(resp) == 35, "%s", resp);
    snprintf(ch, sizeof ch, "%s", resp + 3);
    free(resp);
    /* The acceptor's first word reaches the opener as a channel message. */
    char *want = format("init\nmsg %s welcome\n", ch);
    expect_log(rt, a, want);
    free(want);

    expect(chsend(rt, a, ch, "a1"), "ok:");
    expect(chsend(rt, a, ch, "a2"), "ok:");
    expect(chsend(rt, b, ch, "b1"), "ok:");
    expect(chsend(rt, a, ch, "a3"), "ok:");
    expect(chsend(rt, b, ch, "b2"), "ok:");
    want = format("init\nmsg %s welcome\nmsg %s b1\nmsg %s b2\n", ch, ch, ch);
    expect_log(rt, a, want);
    free(want);
    want = format("init\nopen %s\nmsg %s a1\nmsg %s a2\nmsg %s a3\n", ch, ch, ch, ch);
    expect_log(rt, b, want);
    free(want);
    /* The open and each message carry the sender as their causal link. */
    expect(links_of(rt, b, CHANNEL_OPEN), a);
    want = format("%s,%s,%s", a, a, a);
    expect(links_of(rt, b, CHANNEL_MESSAGE), want);
    free(want);

    /* Closing tells the other end only; then the channel is gone for both. */
    expect(chclose(rt, a, ch), "ok:");
    want = format("init\nopen %s\nmsg %s a1\nmsg %s a2\nmsg %s a3\nclose %s\n", ch, ch, ch, ch, ch);
    expect_log(rt, b, want);
    free(want);
    want = format("err:no channel with id '%s'", ch);
    expect(chsend(rt, a, ch, "late"), want);
    expect(chsend(rt, b, ch, "late"), want);
    expect(chclose(rt, b, ch), want);
    free(want);
    want = format("init\nmsg %s welcome\nmsg %s b1\nmsg %s b2\n", ch, ch, ch);
    expect_log(rt, a, want);
    free(want);
    th_runtime_free(rt);
}

TEST(the_acceptor_may_close_and_channels_are_independent)
{
    th_runtime *rt = runtime_new(NULL);
    char a[33], b[33], one[33], two[33];
    if (rt && spawn_named(rt, "opener", WORKER_WASM, a) &&
        spawn_named(rt, "acceptor", WORKER_WASM, b) && open_accepted(rt, a, b, one) &&
        open_accepted(rt, a, b, two)) {
        CHECK(strcmp(one, two) != 0);
        expect(chclose(rt, b, one), "ok:");
        expect(chsend(rt, a, two, "still"), "ok:");
        char *want = format("init\nclose %s\n", one);
        expect_log(rt, a, want);
        free(want);
        want = format("init\nopen %s\nopen %s\nmsg %s still\n", one, two, two);
        expect_log(rt, b, want);
        free(want);
    }
    th_runtime_free(rt);
}

TEST(a_refused_channel_is_an_error_naming_the_actor)
{
    th_runtime *rt = runtime_new(NULL);
    char a[33], b[33], sup[33], gone[33];
    if (!rt || !spawn_named(rt, "asker", WORKER_WASM, a) ||
        !spawn_named(rt, "picky", WORKER_WASM, b) ||
        !spawn_named(rt, "no-channels", SUPER_WASM, sup) ||
        !spawn_named(rt, "gone", WORKER_WASM, gone)) {
        th_runtime_free(rt);
        return;
    }
    char *want = format("err:picky (%s) refused the channel: not today", b);
    expect(open_channel(rt, a, b, "{\"accept\":false,\"reason\":\"not today\"}"), want);
    free(want);
    want = format("err:picky (%s) refused the channel", b);
    expect(open_channel(rt, a, b, "{}"), want);
    free(want);
    /* The refused channel's id (from the acceptor's log) leads nowhere. */
    char *log = log_of(rt, b);
    const char *open = strstr(log, "open ");
    CHECK(open != NULL);
    if (open) {
        char ch[33];
        snprintf(ch, sizeof ch, "%.32s", open + 5);
        want = format("err:no channel with id '%s'", ch);
        expect(chsend(rt, a, ch, "hello?"), want);
        expect(chsend(rt, b, ch, "hello?"), want);
        free(want);
    }
    free(log);
    /* An actor without channel handlers, an unknown id, a stopped actor,
     * and itself. */
    char *resp = open_channel(rt, a, sup, "{\"accept\":true}");
    CHECK_CONTAINS(resp, "err:actor no-channels does not export " CHANNEL_OPEN);
    free(resp);
    expect(open_channel(rt, a, "0123456789abcdef0123456789abcdef", "{}"),
           "err:no actor with id '0123456789abcdef0123456789abcdef'");
    stop(rt, gone);
    want = format("err:actor gone (%s) has stopped", gone);
    expect(open_channel(rt, a, gone, "{\"accept\":true}"), want);
    free(want);
    expect(open_channel(rt, a, a, "{\"accept\":true}"),
           "err:an actor cannot wait on itself (it handles one message at a time)");
    th_actor_status st;
    CHECK(th_runtime_status(rt, a, &st, NULL) == 0 && st.running);
    th_runtime_free(rt);
}

/* ---- An actor that stops closes its channels ------------------------------------------------- */

TEST(an_actor_that_stops_closes_its_channels)
{
    th_runtime *rt = runtime_new(NULL);
    char a[33], b[33], c[33], d[33], ab[33], cd[33];
    if (!rt || !spawn_named(rt, "a", WORKER_WASM, a) || !spawn_named(rt, "b", WORKER_WASM, b) ||
        !spawn_named(rt, "c", WORKER_WASM, c) || !spawn_named(rt, "d", WORKER_WASM, d) ||
        !open_accepted(rt, a, b, ab) || !open_accepted(rt, c, d, cd)) {
        th_runtime_free(rt);
        return;
    }
    /* The acceptor is stopped from outside: the opener hears of it. */
    stop(rt, b);
    char *want = format("init\nclose %s\n", ab);
    expect_log(rt, a, want);
    free(want);
    want = format("err:no channel with id '%s'", ab);
    expect(chsend(rt, a, ab, "anyone?"), want);
    free(want);
    /* The opener traps: the acceptor hears of it. */
    th_error err;
    CHECK_EQ_INT(th_runtime_send(rt, c, (const uint8_t *)"{\"op\":\"crash\"}", 14, &err), 0);
    want = format("init\nopen %s\nclose %s\n", cd, cd);
    expect_log(rt, d, want);
    free(want);
    th_runtime_free(rt);
}

/* ---- With the embedding program -------------------------------------------------------------- */

typedef struct client_log {
    pthread_mutex_t lock;
    th_buf lines; /* "msg CH TEXT" and "close CH" */
} client_log;

static void client_line(client_log *l, const char *what, const char *ch, const uint8_t *msg,
                        size_t len)
{
    pthread_mutex_lock(&l->lock);
    th_buf_printf(&l->lines, "%s %s", what, ch);
    if (msg) {
        th_buf_append_byte(&l->lines, ' ');
        th_buf_append(&l->lines, msg, len);
    }
    th_buf_append_byte(&l->lines, '\n');
    pthread_mutex_unlock(&l->lock);
}

static void on_client_message(void *ud, const char *ch, const uint8_t *msg, size_t len)
{
    client_line(ud, "msg", ch, msg, len);
}

static void on_client_close(void *ud, const char *ch)
{
    client_line(ud, "close", ch, NULL, 0);
}

static void expect_client(client_log *l, const char *want)
{
    pthread_mutex_lock(&l->lock);
    CHECK_STR_EQ(th_buf_cstr(&l->lines), want);
    pthread_mutex_unlock(&l->lock);
}

static int client_open(th_runtime *rt, const char *id, const char *first, client_log *l,
                       char ch[33], th_error *err)
{
    th_channel_client client = {on_client_message, on_client_close, l};
    return th_runtime_channel_open(rt, id, (const uint8_t *)first, strlen(first), &client, ch, err);
}

static int client_send(th_runtime *rt, const char *ch, const char *text, th_error *err)
{
    return th_runtime_channel_send(rt, ch, (const uint8_t *)text, strlen(text), err);
}

TEST(the_embedding_program_opens_talks_and_closes)
{
    th_runtime *rt = runtime_new(NULL);
    client_log l = {PTHREAD_MUTEX_INITIALIZER, TH_BUF_INIT};
    char e[33], ch[33];
    th_error err;
    if (!rt || !spawn_named(rt, "served", WORKER_WASM, e)) {
        th_runtime_free(rt);
        return;
    }
    CHECK_EQ_INT(client_open(rt, e, "{\"accept\":true,\"reply\":\"hi client\"}", &l, ch, &err), 0);
    char *want = format("msg %s hi client\n", ch); /* before open returned */
    expect_client(&l, want);
    free(want);
    CHECK_EQ_INT(client_send(rt, ch, "c1", &err), 0);
    CHECK_EQ_INT(client_send(rt, ch, "c2", &err), 0);
    expect(chsend(rt, e, ch, "e1"), "ok:");
    want = format("msg %s hi client\nmsg %s e1\n", ch, ch);
    expect_client(&l, want);
    free(want);
    want = format("init\nopen %s\nmsg %s c1\nmsg %s c2\n", ch, ch, ch);
    expect_log(rt, e, want);
    free(want);
    /* From outside, the link is empty: no actor sent it. */
    expect(links_of(rt, e, CHANNEL_MESSAGE), "-,-");

    CHECK_EQ_INT(th_runtime_channel_close(rt, ch, &err), 0);
    want = format("init\nopen %s\nmsg %s c1\nmsg %s c2\nclose %s\n", ch, ch, ch, ch);
    expect_log(rt, e, want);
    free(want);
    CHECK_EQ_INT(client_send(rt, ch, "late", &err), -1);
    want = format("no channel with id '%s'", ch);
    CHECK_STR_EQ(err.msg, want);
    free(want);
    CHECK_EQ_INT(th_runtime_channel_close(rt, ch, &err), -1);
    want = format("msg %s hi client\nmsg %s e1\n", ch, ch); /* the closer is not told */
    expect_client(&l, want);
    free(want);
    th_runtime_free(rt);
    th_buf_free(&l.lines);
}

TEST(the_program_hears_when_the_actor_closes_refuses_or_stops)
{
    th_runtime *rt = runtime_new(NULL);
    client_log l = {PTHREAD_MUTEX_INITIALIZER, TH_BUF_INIT};
    char e[33], one[33], two[33], refused[33] = "";
    th_error err;
    if (!rt || !spawn_named(rt, "server", WORKER_WASM, e)) {
        th_runtime_free(rt);
        return;
    }
    CHECK_EQ_INT(client_open(rt, e, "{\"accept\":false,\"reason\":\"full\"}", &l, refused, &err),
                 -1);
    char *want = format("server (%s) refused the channel: full", e);
    CHECK_STR_EQ(err.msg, want);
    free(want);
    CHECK_EQ_INT(err.kind, TH_ERROR_ACTOR);
    CHECK_STR_EQ(refused, "");

    CHECK_EQ_INT(client_open(rt, e, "{\"accept\":true}", &l, one, &err), 0);
    CHECK_EQ_INT(client_open(rt, e, "{\"accept\":true}", &l, two, &err), 0);
    expect(chclose(rt, e, one), "ok:");
    want = format("close %s\n", one);
    expect_client(&l, want);
    free(want);
    stop(rt, e);
    want = format("close %s\nclose %s\n", one, two);
    expect_client(&l, want);
    CHECK_EQ_INT(client_send(rt, two, "anyone?", &err), -1);
    char again[33];
    CHECK_EQ_INT(client_open(rt, e, "{\"accept\":true}", &l, again, &err), -1);
    CHECK_CONTAINS(err.msg, "has stopped");
    th_runtime_free(rt);
    expect_client(&l, want); /* each close once, and none at the runtime's end */
    free(want);
    th_buf_free(&l.lines);
}

/* ---- Bad and foreign ids --------------------------------------------------------------------- */

TEST(bad_channel_ids_and_other_actors_channels_are_refused)
{
    th_runtime *rt = runtime_new(NULL);
    char a[33], b[33], c[33], ch[33];
    th_error err;
    if (!rt || !spawn_named(rt, "a", WORKER_WASM, a) || !spawn_named(rt, "b", WORKER_WASM, b) ||
        !spawn_named(rt, "c", WORKER_WASM, c) || !open_accepted(rt, a, b, ch)) {
        th_runtime_free(rt);
        return;
    }
    char *want = format("err:channel '%s' is not this actor's", ch);
    expect(chsend(rt, c, ch, "intruder"), want);
    expect(chclose(rt, c, ch), want);
    free(want);
    expect(chsend(rt, a, "zzz", "x"), "err:no channel with id 'zzz'");
    expect(chsend(rt, a, "0123456789abcdef0123456789abcdef", "x"),
           "err:no channel with id '0123456789abcdef0123456789abcdef'");
    expect(chclose(rt, a, ""), "err:no channel with id ''");
    /* The program cannot use a channel between actors, nor a bad id. */
    CHECK_EQ_INT(client_send(rt, ch, "x", &err), -1);
    want = format("channel %s is between actors, not the program's", ch);
    CHECK_STR_EQ(err.msg, want);
    free(want);
    CHECK_EQ_INT(th_runtime_channel_close(rt, ch, &err), -1);
    CHECK_EQ_INT(client_send(rt, "nonsense", "x", &err), -1);
    CHECK_STR_EQ(err.msg, "no channel with id 'nonsense'");
    /* ... and none of that disturbed the channel. */
    expect(chsend(rt, a, ch, "fine"), "ok:");
    want = format("init\nopen %s\nmsg %s fine\n", ch, ch);
    expect_log(rt, b, want);
    free(want);
    expect_log(rt, c, "init\n");
    th_runtime_free(rt);
}

int main(void)
{
    if (!fixture_start("channels", runtime_engine_options(0)))
        return 1;
    RUN(two_actors_open_talk_both_ways_and_close);
    RUN(the_acceptor_may_close_and_channels_are_independent);
    RUN(a_refused_channel_is_an_error_naming_the_actor);
    RUN(an_actor_that_stops_closes_its_channels);
    RUN(the_embedding_program_opens_talks_and_closes);
    RUN(the_program_hears_when_the_actor_closes_refuses_or_stops);
    RUN(bad_channel_ids_and_other_actors_channels_are_refused);
    return fixture_end();
}
