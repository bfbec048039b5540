/* theater state ID [--at N]: an actor's state, now or after event N. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "common/error.h"
#include "common/hex.h"
#include "common/utf8.h"
#include "store/db.h"

static const char state_usage[] =
    "usage: theater state ID [--at N] [--data DIR] [--json]\n"
    "\n"
    "Prints the actor's state as stored: the current one, or the one after\n"
    "event N of its chain (when only its hash is stored, it is computed by\n"
    "replaying the chain up to N). `none` when the actor has no state. ID may\n"
    "be any unique prefix of an actor's id.\n"
    "With --server ADDR (or THEATER_SERVER set, and neither --data nor --at\n"
    "given), it asks the running server for the current state instead.\n"
    "exit status: 0 success, 2 bad arguments, unknown actor or missing data,\n"
    "3 no server (with --server)\n";

int cmd_state(int argc, char **argv)
{
    const char *id = NULL, *data = NULL;
    bool json = false, at_given = false;
    uint64_t at = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(state_usage, stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--data") == 0 && i + 1 < argc) {
            data = argv[++i];
        } else if (strcmp(a, "--at") == 0 && i + 1 < argc) {
            if (cli_parse_index(a, argv[++i], &at))
                return EXIT_USAGE;
            at_given = true;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("state: unknown option or missing value '%s'", a);
        } else if (!id) {
            id = a;
        } else {
            return cli_usage_error("state: unexpected argument '%s'", a);
        }
    }
    if (!id)
        return cli_usage_error("state: an actor ID is required (see `theater state --help`)");

    th_error err = {0};
    th_db_reader *r = cli_open_reader(data, &err);
    th_actor_info info = {0};
    int rc = r ? th_db_find_actor(r, id, &info, &err) : -1;
    bool has_state = info.has_state;
    uint8_t hash[TH_HASH_SIZE];
    memcpy(hash, info.state_hash, TH_HASH_SIZE);
    if (!rc && at_given) {
        if (at >= info.event_count) {
            th_error_set(&err, "actor %s has %" PRIu64 " events; --at must be below that", info.id,
                         info.event_count);
            rc = -1;
        } else {
            th_chain *one = th_db_load_chain(r, &info, at, 1, &err);
            rc = one && th_chain_length(one) == 1 && th_chain_event(one, 0)->index == at ? 0 : -1;
            if (one && rc)
                th_error_set(&err, "event %" PRIu64 " of actor %s is not stored", at, info.id);
            if (!rc) {
                has_state = th_chain_event(one, 0)->has_state;
                memcpy(hash, th_chain_event(one, 0)->state_hash, TH_HASH_SIZE);
            }
            th_chain_free(one);
        }
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!rc && has_state) {
        int found = th_db_get_state(r, hash, &bytes, &len, &err);
        if (found == 0) { /* only its hash is kept: compute it by replay */
            uint64_t upto = at_given ? at : info.event_count - 1;
            bool replayed_has = false;
            found =
                replay_state_at(r, &info, upto, &bytes, &len, &replayed_has, &err) == 0 ? 1 : -1;
            if (found == 1 && !replayed_has) {
                th_error_set(&err, "replay reached event %" PRIu64 " with no state", upto);
                found = -1;
            }
        }
        rc = found == 1 ? 0 : -1;
    }
    if (rc) {
        th_actor_info_clear(&info);
        th_db_reader_close(r);
        return cli_usage_error("%s", err.msg);
    }
    if (json) {
        json_t *root = json_pack("{s:s, s:o}", "id", info.id, "state",
                                 has_state ? bytes_to_json(bytes, len) : json_null());
        if (root && at_given)
            json_object_set_new(root, "at", json_integer((json_int_t)at));
        json_dumpf(root, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(root);
    } else if (has_state) {
        th_buf shown = TH_BUF_INIT;
        th_utf8_escape(bytes, len, &shown);
        printf("%s\n", th_buf_cstr(&shown));
        th_buf_free(&shown);
    } else {
        printf("none\n");
    }
    free(bytes);
    th_actor_info_clear(&info);
    th_db_reader_close(r);
    return EXIT_OK;
}
