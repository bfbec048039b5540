/* The verbs about one actor on a running server: stop, restart, status,
 * send, request and state; and shutdown, about the server itself. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"

#define SERVER_OPTION "  --server A   the server (HOST:PORT, unix:PATH or a socket path)\n"
#define ID_NOTE "ID may be any unique prefix of 4 hex digits or more.\n"

static const char stop_usage[] =
    "usage: theater stop ID [--json] [--server ADDR]\n"
    "\n"
    "Stops the actor after the call in progress and waits until it has\n"
    "stopped. Its supervisor hears of it and does not restart it; its chain\n"
    "ends with a stop event.\n" SERVER_OPTION "\n" ID_NOTE
    "exit status: 0 stopped, 2 bad arguments or unknown actor, 3 no server\n";

static const char restart_usage[] =
    "usage: theater restart ID [--reinit] [--json] [--server ADDR]\n"
    "\n"
    "Restarts the actor, running or stopped, from its last state; with\n"
    "--reinit, runs init again from its initial state instead.\n" SERVER_OPTION "\n" ID_NOTE
    "exit status: 0 restart ordered, 2 bad arguments or unknown actor, 3 no server\n";

static const char status_usage[] =
    "usage: theater status ID [--json] [--server ADDR]\n"
    "\n"
    "Prints the actor's status: name, running or stopped, parent, events,\n"
    "messages handled and dropped, errors, restarts, mailbox, uptime and how\n"
    "it last stopped.\n" SERVER_OPTION "\n" ID_NOTE
    "exit status: 0 success, 2 bad arguments or unknown actor, 3 no server\n";

static const char send_usage[] =
    "usage: theater send ID JSON [--json] [--server ADDR]\n"
    "\n"
    "Queues a one-way message (the actor's handle-send) and returns once it is\n"
    "in the actor's mailbox; prints nothing. JSON is any JSON value; @FILE\n"
    "reads it from FILE.\n" SERVER_OPTION "\n" ID_NOTE
    "exit status: 0 queued, 1 the mailbox stayed full, 2 bad arguments, bad JSON\n"
    "or unknown actor, 3 no server\n";

static const char request_usage[] =
    "usage: theater request ID JSON [--timeout MS] [--json] [--server ADDR]\n"
    "\n"
    "Sends a request (the actor's handle-request), waits for the response and\n"
    "prints it on one line. JSON is any JSON value; @FILE reads it from FILE.\n"
    "\n"
    "options:\n"
    "  --timeout MS how long to wait for the actor (default: the server's, 30 s)\n" SERVER_OPTION
    "\n" ID_NOTE "exit status: 0 success, 1 the actor failed, returned an error, timed out or\n"
    "was busy, 2 bad arguments, bad JSON or unknown actor, 3 no server\n";

static const char state_server_usage[] =
    "usage: theater state ID --server ADDR [--json]\n"
    "\n"
    "Prints the actor's current state as the server holds it (`none` when it\n"
    "has none). Without --server (and THEATER_SERVER), `theater state` reads\n"
    "the data directory instead: see `theater state --help`.\n"
    "\n" ID_NOTE "exit status: 0 success, 2 bad arguments or unknown actor, 3 no server\n";

static const char shutdown_usage[] =
    "usage: theater shutdown [--json] [--server ADDR]\n"
    "\n"
    "Asks the server to stop: it stops every actor (a stop event each),\n"
    "flushes the chains and exits. Waits until it has closed the connection.\n"
    "\n" SERVER_OPTION "exit status: 0 success, 3 no server\n";

static const char *const one_id[] = {"an actor ID", NULL};
static const char *const id_and_message[] = {"an actor ID", "a JSON message", NULL};

/* Connects, sends `req` (taken) and hangs up: one call, the common path
 * of these verbs. */
static int call_server(const cli_common *common, json_t *req, json_t **res)
{
    cli_client *c;
    int rc = cli_connect(common, &c);
    if (rc != EXIT_OK) {
        json_decref(req);
        return rc;
    }
    rc = cli_client_call(c, req, res);
    cli_client_close(c);
    return rc;
}

static json_t *actor_request(const char *command, const char *actor)
{
    return json_pack("{s:s, s:s}", "command", command, "actor", actor);
}

/* "NAME ID" of the actor, escaped, into out: for the lines that say what
 * was done to whom. */
static void describe(th_buf *out, const json_t *status)
{
    cli_append_escaped(out, json_string_value(json_object_get(status, "name")));
    th_buf_append_byte(out, ' ');
    cli_append_escaped(out, json_string_value(json_object_get(status, "id")));
}

/* Stop and restart: resolve the id (a prefix) and name first, then act on
 * the full id. */
static int lifecycle(const cli_common *common, json_t *req, const char *actor, const char *done)
{
    cli_client *c;
    json_t *st = NULL, *res = NULL;
    int rc = cli_connect(common, &c);
    if (rc != EXIT_OK) {
        json_decref(req);
        return rc;
    }
    rc = cli_client_call(c, actor_request("GetActorStatus", actor), &st);
    if (rc == EXIT_OK) {
        json_object_set(req, "actor", json_object_get(st, "id"));
        rc = cli_client_call(c, req, &res);
    } else {
        json_decref(req);
    }
    if (rc == EXIT_OK && common->json) {
        cli_print_json(res);
    } else if (rc == EXIT_OK) {
        th_buf line = TH_BUF_INIT;
        th_buf_printf(&line, "%s ", done);
        describe(&line, st);
        puts(th_buf_cstr(&line));
        th_buf_free(&line);
    }
    json_decref(st);
    json_decref(res);
    cli_client_close(c);
    return rc;
}

int cmd_stop(int argc, char **argv)
{
    cli_common common = {0};
    const char *args[1];
    int rc = cli_parse_args(argc, argv, stop_usage, NULL, one_id, &common, args);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    return lifecycle(&common, actor_request("StopActor", args[0]), args[0], "stopped");
}

int cmd_restart(int argc, char **argv)
{
    bool reinit = false;
    cli_option options[] = {{"--reinit", NULL, &reinit}, {NULL, NULL, NULL}};
    cli_common common = {0};
    const char *args[1];
    int rc = cli_parse_args(argc, argv, restart_usage, options, one_id, &common, args);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    json_t *req = actor_request("RestartActor", args[0]);
    if (reinit)
        json_object_set_new(req, "reinit", json_true());
    return lifecycle(&common, req, args[0], "restarted");
}

/* ---- status ------------------------------------------------------------------------------ */

static void status_line(const char *key, const char *value)
{
    th_buf line = TH_BUF_INIT;
    th_buf_printf(&line, "%-10s", key);
    cli_append_escaped(&line, value);
    puts(th_buf_cstr(&line));
    th_buf_free(&line);
}

static void status_number(const json_t *st, const char *key)
{
    json_t *v = json_object_get(st, key);
    if (json_is_integer(v))
        printf("%-10s%" JSON_INTEGER_FORMAT "\n", key, json_integer_value(v));
}

static void print_status(const json_t *st)
{
    status_line("id", json_string_value(json_object_get(st, "id")));
    status_line("name", json_string_value(json_object_get(st, "name")));
    th_buf line = TH_BUF_INIT;
    th_buf_printf(&line, "%-10s", "status");
    cli_append_status(&line, cli_status_word(st), 0);
    puts(th_buf_cstr(&line));
    th_buf_free(&line);
    status_line("parent", json_string_value(json_object_get(st, "parent")));
    static const char *const counts[] = {"events", "handled",  "dropped",
                                         "errors", "restarts", "mailbox"};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        status_number(st, counts[i]);
    const char *status = json_string_value(json_object_get(st, "status"));
    if (status && strcmp(status, "running") == 0) {
        char up[32];
        cli_format_duration(json_integer_value(json_object_get(st, "uptime_ms")), up, sizeof up);
        status_line("uptime", up);
    }
    const char *reason = json_string_value(json_object_get(st, "exit_reason"));
    if (reason && *reason)
        status_line("exit", reason);
}

int cmd_status(int argc, char **argv)
{
    cli_common common = {0};
    const char *args[1];
    json_t *st;
    int rc = cli_parse_args(argc, argv, status_usage, NULL, one_id, &common, args);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if ((rc = call_server(&common, actor_request("GetActorStatus", args[0]), &st)) != EXIT_OK)
        return rc;
    if (common.json)
        cli_print_json(st);
    else
        print_status(st);
    json_decref(st);
    return EXIT_OK;
}

/* ---- send and request ------------------------------------------------------------------------ */

/* The request carrying the message given as JSON (or @FILE). */
static int message_request(const char *command, const char *verb, const char *const *args,
                           json_t **req)
{
    json_t *msg;
    char what[64];
    snprintf(what, sizeof what, "%s: the message", verb);
    if (cli_parse_json_arg(what, args[1], &msg) != EXIT_OK)
        return EXIT_USAGE;
    *req = json_pack("{s:s, s:s, s:o}", "command", command, "actor", args[0], "message", msg);
    return EXIT_OK;
}

int cmd_send(int argc, char **argv)
{
    cli_common common = {0};
    const char *args[2];
    json_t *req, *res;
    int rc = cli_parse_args(argc, argv, send_usage, NULL, id_and_message, &common, args);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if ((rc = message_request("SendActorMessage", "send", args, &req)) != EXIT_OK)
        return rc;
    if ((rc = call_server(&common, req, &res)) != EXIT_OK)
        return rc;
    if (common.json)
        cli_print_json(res);
    json_decref(res);
    return EXIT_OK;
}

/* The response on one line: compact JSON, as the actor's bytes were. */
static void print_response(const json_t *res)
{
    const json_t *v = json_object_get(res, "response");
    if (!v) { /* bytes that are not JSON, in a server that sends them so */
        const char *b64 = json_string_value(json_object_get(res, "response_base64"));
        th_buf line = TH_BUF_INIT;
        th_buf_append_str(&line, "base64:");
        cli_append_escaped(&line, b64);
        puts(th_buf_cstr(&line));
        th_buf_free(&line);
        return;
    }
    json_dumpf(v, stdout, JSON_COMPACT | JSON_ENCODE_ANY);
    fputc('\n', stdout);
}

int cmd_request(int argc, char **argv)
{
    const char *timeout_text = NULL;
    cli_option options[] = {{"--timeout", &timeout_text, NULL}, {NULL, NULL, NULL}};
    cli_common common = {0};
    const char *args[2];
    json_t *req, *res;
    uint64_t timeout = 0;
    int rc = cli_parse_args(argc, argv, request_usage, options, id_and_message, &common, args);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if (timeout_text && cli_parse_index("--timeout", timeout_text, &timeout))
        return EXIT_USAGE;
    if (timeout_text && (timeout < 1 || timeout > 3600000))
        return cli_usage_error("request: --timeout must be from 1 to 3600000 ms");
    if ((rc = message_request("RequestActorMessage", "request", args, &req)) != EXIT_OK)
        return rc;
    if (timeout_text)
        json_object_set_new(req, "timeout_ms", json_integer((json_int_t)timeout));
    if ((rc = call_server(&common, req, &res)) != EXIT_OK)
        return rc;
    if (common.json)
        cli_print_json(res);
    else
        print_response(res);
    json_decref(res);
    return EXIT_OK;
}

/* ---- state, from the server ------------------------------------------------------------------ */

bool cli_state_wants_server(int argc, char **argv)
{
    bool data_or_at = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--server") == 0)
            return true;
        if (strcmp(argv[i], "--data") == 0 || strcmp(argv[i], "--at") == 0)
            data_or_at = true;
    }
    const char *env = getenv("THEATER_SERVER");
    return env && *env && !data_or_at;
}

int cmd_state_server(int argc, char **argv)
{
    const char *data = NULL, *at = NULL;
    cli_option options[] = {{"--data", &data, NULL}, {"--at", &at, NULL}, {NULL, NULL, NULL}};
    cli_common common = {0};
    const char *args[1];
    json_t *res;
    int rc = cli_parse_args(argc, argv, state_server_usage, options, one_id, &common, args);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if (data || at)
        return cli_usage_error("state: %s reads the data directory, --server asks the server: "
                               "give one of them",
                               data ? "--data" : "--at");
    if ((rc = call_server(&common, actor_request("GetActorState", args[0]), &res)) != EXIT_OK)
        return rc;
    json_t *state = json_object_get(res, "state");
    if (common.json) {
        cli_print_json(res);
    } else if (!state || json_is_null(state)) {
        puts("none");
    } else {
        json_dumpf(state, stdout, JSON_COMPACT | JSON_ENCODE_ANY);
        fputc('\n', stdout);
    }
    json_decref(res);
    return EXIT_OK;
}

/* ---- shutdown -------------------------------------------------------------------------------- */

/* How long `shutdown` waits for the server to close the connection, which
 * it does once every actor has stopped and the chains are flushed. */
#define SHUTDOWN_WAIT_MS 60000

int cmd_shutdown(int argc, char **argv)
{
    static const char *const none[] = {NULL};
    cli_common common = {0};
    cli_client *c;
    json_t *res;
    int rc = cli_parse_args(argc, argv, shutdown_usage, NULL, none, &common, NULL);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if ((rc = cli_connect(&common, &c)) != EXIT_OK)
        return rc;
    rc = cli_client_call(c, json_pack("{s:s}", "command", "Shutdown"), &res);
    if (rc != EXIT_OK) {
        cli_client_close(c);
        return rc;
    }
    if (common.json)
        cli_print_json(res);
    json_decref(res);
    json_t *frame = NULL;
    cli_wait w;
    while ((w = cli_client_next_push(c, SHUTDOWN_WAIT_MS, &frame)) == CLI_WAIT_FRAME)
        json_decref(frame); /* nothing is subscribed: nothing worth showing */
    if (!common.json && w == CLI_WAIT_CLOSED)
        printf("the theater server at %s has stopped\n", cli_client_address(c));
    else if (!common.json)
        printf("asked the theater server at %s to stop\n", cli_client_address(c));
    cli_client_close(c);
    return EXIT_OK;
}
