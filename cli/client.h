/* The CLI's side of the management protocol (docs/protocol.md): finding
 * the server, connecting, one request at a time, and the frames the server
 * pushes (subscribed events) kept aside until asked for. */
#ifndef TH_CLI_CLIENT_H
#define TH_CLI_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct cli_client cli_client;

/* The server to talk to: `flag` (--server) when given, else
 * $THEATER_SERVER, else DATA_DIR/theater.sock when that exists, else
 * 127.0.0.1:9000. malloc'd. */
char *cli_server_address(const char *flag);

/* Connects to ADDR: "HOST:PORT", "unix:PATH" or the path of a unix
 * socket. EXIT_OK with *out, or prints why not and returns EXIT_USAGE (the
 * address makes no sense) or EXIT_UNREACHABLE (nothing answers there). */
int cli_client_connect(const char *addr, cli_client **out);
void cli_client_close(cli_client *c);
const char *cli_client_address(const cli_client *c);

/* What cli_client_call returns when SIGINT or SIGTERM ended the wait
 * (only once cli_catch_interrupts was called). */
#define CLI_CALL_INTERRUPTED (-1)

/* Sends `request` (a command object; its reference is taken, its "id" set
 * here) and waits for the response. EXIT_OK with the result (a new
 * reference for the caller), or prints the server's error and returns the
 * exit status its code maps to (cli_exit_for_code), EXIT_UNREACHABLE when
 * the connection is lost. Frames pushed meanwhile are kept for
 * cli_client_next_push. */
int cli_client_call(cli_client *c, json_t *request, json_t **result);

typedef enum cli_wait {
    CLI_WAIT_FRAME = 1,        /* *frame holds a pushed frame (the caller's reference) */
    CLI_WAIT_TIMEOUT = 0,      /* nothing within the time given */
    CLI_WAIT_CLOSED = -1,      /* the server closed the connection */
    CLI_WAIT_FAILED = -2,      /* the connection broke; said on stderr */
    CLI_WAIT_INTERRUPTED = -3, /* SIGINT or SIGTERM, once cli_catch_interrupts was called */
} cli_wait;

/* The next pushed frame (an event, subscription-ended, a channel frame),
 * waiting up to timeout_ms (-1: for ever). */
cli_wait cli_client_next_push(cli_client *c, int timeout_ms, json_t **frame);

/* From now on SIGINT and SIGTERM end a wait (CLI_WAIT_INTERRUPTED,
 * CLI_CALL_INTERRUPTED) instead of killing the process, so that `--follow`
 * ends cleanly on Ctrl-C. */
void cli_catch_interrupts(void);

/* The exit status for a protocol error code: 1 for the actor's failures
 * (actor_error, timeout, busy), 2 for bad input (bad_request, invalid,
 * not_found, bad_frame), 3 when the server is going away (shutting_down). */
int cli_exit_for_code(const char *code);

/* ---- Arguments shared by the verbs that talk to a server ----------------------------- */

/* Options every such verb takes, before or after its verb. */
typedef struct cli_common {
    const char *server; /* --server ADDR, or NULL */
    bool json;          /* --json: print the result as the server sent it */
} cli_common;

/* One more option of a verb: a flag (value NULL) or one that takes a value. */
typedef struct cli_option {
    const char *name;   /* "--from" */
    const char **value; /* where its value goes; NULL for a flag */
    bool *given;        /* set when it is given; may be NULL for valued ones */
} cli_option;

/* Parses a verb's arguments (argv[0] is the verb): --server, --json,
 * --help, `options` (ended by {NULL}), then exactly as many positional
 * arguments as `arg_names` names (ended by NULL; "an actor ID"), into args.
 * 0 when parsed; -1 after printing `usage` for --help (the caller exits 0);
 * EXIT_USAGE after saying what is wrong. `--` ends the options, and an
 * argument like -5 is positional (a JSON number). */
int cli_parse_args(int argc, char **argv, const char *usage, const cli_option *options,
                   const char *const *arg_names, cli_common *common, const char **args);

/* Connects to the server that `common` names (see cli_server_address). */
int cli_connect(const cli_common *common, cli_client **out);

#endif
