/* theater events ID [--from N] [--limit K] [--follow]: an actor's chain as
 * the server holds it, and with --follow its events as they happen. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/client.h"

static const char events_usage[] =
    "usage: theater events ID [--from N] [--limit K] [--follow] [--json] [--server ADDR]\n"
    "\n"
    "Prints the actor's events, one per line as `theater chain show` does:\n"
    "index, type, the first 16 hex digits of the hash, name and a summary of\n"
    "the input and output.\n"
    "\n"
    "options:\n"
    "  --from N     start at event N (default 0)\n"
    "  --limit K    print at most K events (default: all)\n"
    "  --follow     then print each new event as it happens, until the actor\n"
    "               stops for good (a supervisor's restart is followed through)\n"
    "               or Ctrl-C\n"
    "  --json       print the server's result {\"total\", \"events\"}; with\n"
    "               --follow, one event object per line\n"
    "  --server A   the server (HOST:PORT, unix:PATH or a socket path)\n"
    "\n"
    "ID may be any unique prefix of 4 hex digits or more.\n"
    "exit status: 0 success, 2 bad arguments or unknown actor, 3 no server\n";

/* Events asked for in one request: small frames, and the first lines
 * appear at once. */
#define EVENTS_PAGE 1000
/* How often the status of an actor that just stopped is asked again. */
#define STOP_POLL_MS 100
/* How long a supervised actor that failed is given to be restarted before
 * following ends. */
#define RESTART_GRACE_MS 1000

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One page of GetActorEvents; EXIT_OK with the result. */
static int events_page(cli_client *c, const char *actor, uint64_t from, uint64_t limit,
                       json_t **result)
{
    json_t *req = json_pack("{s:s, s:s, s:I, s:I}", "command", "GetActorEvents", "actor", actor,
                            "from", (json_int_t)from, "limit", (json_int_t)limit);
    int rc = cli_client_call(c, req, result);
    if (rc == EXIT_OK && !json_is_array(json_object_get(*result, "events"))) {
        fprintf(stderr, "theater: the server's GetActorEvents result has no events list\n");
        json_decref(*result);
        *result = NULL;
        rc = EXIT_ACTOR_FAILED;
    }
    return rc;
}

/* ---- theater events (no --follow) ---------------------------------------------------------- */

/* Prints (or, for --json, gathers) events [from, from+limit) (limit 0:
 * every one there is when the first page comes back, so that a busy actor
 * cannot keep it going for ever). */
static int print_events(cli_client *c, const char *actor, uint64_t from, uint64_t limit, bool json)
{
    json_t *all = json_array();
    uint64_t next = from, end = limit ? from + limit : UINT64_MAX, total = 0;
    int rc = EXIT_OK;
    do {
        uint64_t want = end - next < EVENTS_PAGE ? end - next : EVENTS_PAGE;
        json_t *page;
        if ((rc = events_page(c, actor, next, want, &page)) != EXIT_OK)
            break;
        bool first = next == from;
        total = (uint64_t)json_integer_value(json_object_get(page, "total"));
        if (first && total < end)
            end = total; /* what existed at the first page, at most */
        json_t *events = json_object_get(page, "events"), *ev;
        size_t i;
        json_array_foreach(events, i, ev)
        {
            if (json)
                json_array_append(all, ev);
            else
                cli_print_event(ev, false);
        }
        next += json_array_size(events);
        bool empty = json_array_size(events) == 0;
        json_decref(page);
        if (empty)
            break;
    } while (next < end);
    if (rc == EXIT_OK && json) {
        json_t *out = json_pack("{s:I, s:O}", "total", (json_int_t)total, "events", all);
        cli_print_json(out);
        json_decref(out);
    }
    json_decref(all);
    return rc;
}

/* ---- Following ------------------------------------------------------------------------------ */

typedef struct follower {
    cli_client *c;
    const char *actor;
    bool json;
    bool has_parent;  /* a supervisor may restart it after a failure */
    json_int_t sub;   /* the subscription's number */
    uint64_t next;    /* the index of the next event to print */
    bool stop_seen;   /* the last event printed is a stop */
    int64_t check_at; /* when to ask whether it stayed stopped; -1: no need */
} follower;

/* Prints one event unless it was printed already (the backlog and the
 * subscription overlap), and notes whether the actor may have stopped. */
static void follow_event(follower *f, const json_t *ev)
{
    json_t *index = json_object_get(ev, "index");
    if (!json_is_integer(index) || (uint64_t)json_integer_value(index) < f->next)
        return;
    cli_print_event(ev, f->json);
    f->next = (uint64_t)json_integer_value(index) + 1;
    const char *type = json_string_value(json_object_get(ev, "type"));
    const char *name = json_string_value(json_object_get(ev, "name"));
    f->stop_seen = type && strcmp(type, "stop") == 0;
    f->check_at = -1;
    if (!f->stop_seen || (name && strcmp(name, "restart") == 0))
        return; /* a restart's stop is followed by its spawn in the same turn */
    /* Stopped from outside: never restarted. Failed under a supervisor:
     * give it the time to restart the actor. */
    bool may_restart = f->has_parent && !(name && strcmp(name, "stopped") == 0);
    f->check_at = now_ms() + (may_restart ? RESTART_GRACE_MS : 0);
}

/* Subscribes, then prints what the chain holds from f->next: the
 * subscription is in place first, so no event falls between the two. */
static int follow_start(follower *f)
{
    json_t *res;
    json_t *req = json_pack("{s:s, s:s}", "command", "SubscribeToActor", "actor", f->actor);
    int rc = cli_client_call(f->c, req, &res);
    if (rc != EXIT_OK)
        return rc;
    f->sub = json_integer_value(json_object_get(res, "subscription"));
    json_decref(res);
    for (;;) {
        json_t *page;
        if ((rc = events_page(f->c, f->actor, f->next, EVENTS_PAGE, &page)) != EXIT_OK)
            return rc;
        json_t *events = json_object_get(page, "events"), *ev;
        size_t i;
        json_array_foreach(events, i, ev)
        {
            follow_event(f, ev);
        }
        bool more = json_array_size(events) == EVENTS_PAGE;
        json_decref(page);
        if (!more)
            return EXIT_OK;
    }
}

/* Asks whether the actor is still stopped; *done when it is. */
static int check_stopped(follower *f, bool *done)
{
    json_t *st;
    json_t *req = json_pack("{s:s, s:s}", "command", "GetActorStatus", "actor", f->actor);
    int rc = cli_client_call(f->c, req, &st);
    if (rc != EXIT_OK)
        return rc;
    const char *status = json_string_value(json_object_get(st, "status"));
    *done = status && strcmp(status, "running") != 0;
    json_decref(st);
    /* Running again, or not yet marked stopped: the events will tell. */
    f->check_at = *done ? -1 : now_ms() + STOP_POLL_MS;
    return EXIT_OK;
}

/* Handles one pushed frame; *resubscribe when the server ended the
 * subscription (this client read too slowly). */
static void follow_frame(follower *f, const json_t *frame, bool *resubscribe)
{
    const char *type = json_string_value(json_object_get(frame, "type"));
    json_t *sub = json_object_get(frame, "subscription");
    if (!type || !json_is_integer(sub) || json_integer_value(sub) != f->sub)
        return;
    if (strcmp(type, "event") == 0) {
        follow_event(f, json_object_get(frame, "event"));
    } else if (strcmp(type, "subscription-ended") == 0) {
        const char *why = json_string_value(json_object_get(frame, "reason"));
        fprintf(stderr, "theater: the server ended the subscription (%s); subscribing again\n",
                why ? why : "no reason given");
        *resubscribe = true;
    }
}

static int follow_loop(follower *f)
{
    for (;;) {
        int timeout = -1;
        if (f->check_at >= 0) {
            int64_t left = f->check_at - now_ms();
            timeout = left > 0 ? (int)left : 0;
        }
        json_t *frame;
        cli_wait w = cli_client_next_push(f->c, timeout, &frame);
        if (w == CLI_WAIT_INTERRUPTED)
            return EXIT_OK;
        if (w == CLI_WAIT_CLOSED) {
            if (f->stop_seen) /* the server stopped its actors and then itself */
                return EXIT_OK;
            fprintf(stderr, "theater: the theater server at %s closed the connection\n",
                    cli_client_address(f->c));
            return EXIT_UNREACHABLE;
        }
        if (w == CLI_WAIT_FAILED)
            return EXIT_UNREACHABLE;
        int rc = EXIT_OK;
        if (w == CLI_WAIT_TIMEOUT) {
            bool done = false;
            rc = check_stopped(f, &done);
            if (rc == EXIT_OK && done)
                return EXIT_OK;
        } else {
            bool resubscribe = false;
            follow_frame(f, frame, &resubscribe);
            json_decref(frame);
            if (resubscribe)
                rc = follow_start(f);
        }
        if (rc == CLI_CALL_INTERRUPTED)
            return EXIT_OK;
        if (rc != EXIT_OK)
            return rc;
    }
}

int cli_follow_events(cli_client *c, const char *actor, uint64_t from, bool json)
{
    cli_catch_interrupts();
    json_t *st;
    json_t *req = json_pack("{s:s, s:s}", "command", "GetActorStatus", "actor", actor);
    int rc = cli_client_call(c, req, &st);
    if (rc != EXIT_OK)
        return rc == CLI_CALL_INTERRUPTED ? EXIT_OK : rc;
    follower f = {.c = c, .json = json, .next = from, .check_at = -1};
    f.has_parent = json_is_string(json_object_get(st, "parent"));
    /* the full id from here on: a prefix could become ambiguous meanwhile */
    char id[33];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(st, "id")));
    json_decref(st);
    f.actor = id;
    rc = follow_start(&f);
    if (rc == EXIT_OK)
        rc = follow_loop(&f);
    return rc == CLI_CALL_INTERRUPTED ? EXIT_OK : rc;
}

/* ---- The verb ------------------------------------------------------------------------------- */

int cmd_events(int argc, char **argv)
{
    const char *from_text = NULL, *limit_text = NULL;
    bool follow = false;
    cli_option options[] = {
        {"--from", &from_text, NULL},
        {"--limit", &limit_text, NULL},
        {"--follow", NULL, &follow},
        {NULL, NULL, NULL},
    };
    static const char *const names[] = {"an actor ID", NULL};
    cli_common common = {0};
    const char *args[1];
    int rc = cli_parse_args(argc, argv, events_usage, options, names, &common, args);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    uint64_t from = 0, limit = 0;
    if (from_text && cli_parse_index("--from", from_text, &from))
        return EXIT_USAGE;
    if (limit_text && cli_parse_index("--limit", limit_text, &limit))
        return EXIT_USAGE;
    if (limit_text && limit == 0)
        return cli_usage_error("events: --limit must be at least 1");
    if (limit_text && follow)
        return cli_usage_error("events: --limit and --follow do not go together");
    cli_client *c;
    if ((rc = cli_connect(&common, &c)) != EXIT_OK)
        return rc;
    rc = follow ? cli_follow_events(c, args[0], from, common.json)
                : print_events(c, args[0], from, limit, common.json);
    cli_client_close(c);
    return rc;
}
