/* The `theater` command: one file per verb, sharing these helpers. */
#ifndef TH_CLI_CLI_H
#define TH_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "theater/theater.h"

/* Exit statuses, documented in the README. */
enum {
    EXIT_OK = 0,
    EXIT_ACTOR_FAILED = 1, /* an actor trapped, timed out or returned an error */
    EXIT_USAGE = 2,        /* bad arguments, manifest or package */
};

int cmd_run(int argc, char **argv);
int cmd_chain(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_server(int argc, char **argv);

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

#endif
