/* The `theater` command: one file per verb, sharing these helpers. */
#ifndef TH_CLI_CLI_H
#define TH_CLI_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "theater/theater.h"

/* Exit statuses, documented in the README and `theater --help`. */
enum {
    EXIT_OK = 0,
    EXIT_ACTOR_FAILED = 1, /* an actor trapped, timed out or returned an error */
    EXIT_USAGE = 2,        /* bad arguments, manifest or package */
    EXIT_UNREACHABLE = 3,  /* no theater server answers (or it went away) */
};

int cmd_run(int argc, char **argv);
int cmd_chain(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_server(int argc, char **argv);

/* Writing actors: `theater new` (a project from a template) and `theater
 * build` (its C sources into a module, with the C SDK). */
int cmd_new(int argc, char **argv);
int cmd_build(int argc, char **argv);
/* The C SDK's directory (sdk/c), absolute and malloc'd: $THEATER_SDK, else
 * ../sdk/c or ../../sdk/c from the running executable. NULL with err. */
char *cli_sdk_dir(th_error *err);

/* The verbs that talk to a running server (cli/client.h). */
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_tree(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_request(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
/* `theater state ID` asked of the server (GetActorState). */
int cmd_state_server(int argc, char **argv);
/* Whether `theater state` should ask the server: --server is among its
 * arguments, or THEATER_SERVER is set and neither --data nor --at is. */
bool cli_state_wants_server(int argc, char **argv);

/* Prints the actor's events from index `from` as `theater events` does, then
 * each new one as it happens, until the actor stops for good, Ctrl-C, or
 * the server goes away. `actor` is a full id. An exit status. */
typedef struct cli_client cli_client;
int cli_follow_events(cli_client *c, const char *actor, uint64_t from, bool json);

/* The state after event `at`, computed by replaying the actor's chain up to
 * it (for when only the state's hash is stored). */
struct th_db_reader;
struct th_actor_info;
int replay_state_at(struct th_db_reader *r, const struct th_actor_info *info, uint64_t at,
                    uint8_t **out, size_t *len, bool *has_state, th_error *err);

/* Parses a non-negative decimal for option `flag`; EXIT_USAGE with a
 * message when it is not one. */
int cli_parse_index(const char *flag, const char *text, uint64_t *out);

/* A read connection to the data directory `flag` (--data) or its default;
 * NULL with err. */
struct th_db_reader *cli_open_reader(const char *flag, th_error *err);

/* The data directory: `flag` (--data) when given, else $THEATER_HOME, else
 * ~/.theater. malloc'd; NULL only when none of them is known. */
char *cli_data_dir(const char *flag);

/* Prints "theater: <message>" on stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool cli_is_help(const char *arg);

/* ---- Presenting what a server answers (cli/present.c) ---------------------------------- */

/* The JSON value on stdout, indented, and a newline. */
void cli_print_json(const json_t *v);
/* `text` as one JSON value, or with a leading '@' the file it names; EXIT_OK
 * with *out, or EXIT_USAGE after a message that names `what` and where the
 * JSON goes wrong. */
int cli_parse_json_arg(const char *what, const char *text, json_t **out);
/* Appends s for a terminal (control characters escaped); NULL appends "-". */
void cli_append_escaped(th_buf *out, const char *s);
/* "450ms", "3s", "2m", "1h", "4d": the largest whole unit. */
void cli_format_duration(int64_t ms, char *out, size_t n);
/* True when stdout is a terminal and NO_COLOR is not set. */
bool cli_use_colour(void);
/* Appends a status word ("running", "stopped", "failed") padded to
 * `width`, coloured when cli_use_colour() (the padding stays outside the
 * colour, so columns line up). */
void cli_append_status(th_buf *out, const char *status, int width);
/* An actor's status word from a STATUS object: "failed" when it says so. */
const char *cli_status_word(const json_t *status);
/* One event line as `theater chain show` prints it (or the event's
 * compact JSON with json); flushed, since followers read it at once. */
void cli_print_event(const json_t *event, bool json);

#endif
