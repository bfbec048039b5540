/* theater chain verify | show | export | import: stored chains. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/chain.h"
#include "chain/links.h"
#include "cli/chain_file.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hex.h"
#include "common/utf8.h"
#include "store/db.h"

static const char chain_usage[] =
    "usage: theater chain verify (ID | --all) [--data DIR] [--json]\n"
    "       theater chain show ID [--from N] [--limit K | --around N] [--data DIR] [--json]\n"
    "       theater chain export ID -o FILE [--data DIR]\n"
    "       theater chain import FILE [--data DIR]\n"
    "\n"
    "verify   recomputes every event's hash and link and compares the last one\n"
    "         with the registry's record of the head; prints the events and bytes\n"
    "         checked and the time taken, or the first bad event and why; with\n"
    "         --all, also checks every causal link between the actors: each\n"
    "         message received names the sender's event that sent it, and each\n"
    "         message sent was received once (or dropped when its receiver stopped)\n"
    "show     prints events: index, type, short hash, name, summary of the payload;\n"
    "         --around N shows event N with the 5 events either side\n"
    "export   writes the actor's registry entry, chain, states and package to FILE\n"
    "         (format: docs/chain.md); `-o -` writes to stdout\n"
    "import   verifies an exported chain, then stores it in the data directory\n"
    "\n"
    "ID may be any unique prefix (4 hex digits or more) of an actor's id. The data\n"
    "directory is --data DIR, else $THEATER_HOME, else ~/.theater.\n"
    "exit status: 0 success, 1 a chain does not verify, 2 bad arguments or data\n";

typedef struct chain_opts {
    const char *verb, *id, *output, *file;
    const char *data;
    bool all, json;
    uint64_t from, limit;
} chain_opts;

static int parse_args(int argc, char **argv, chain_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            fputs(chain_usage, stdout);
            exit(EXIT_OK);
        } else if (strcmp(a, "--data") == 0) {
            if (!next)
                return cli_usage_error("--data needs a directory");
            o->data = argv[++i];
        } else if (strcmp(a, "--all") == 0) {
            o->all = true;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--around") == 0) {
            uint64_t n;
            if (cli_parse_index(a, next, &n))
                return EXIT_USAGE;
            o->from = n > 5 ? n - 5 : 0; /* the neighbourhood: 5 events either side */
            o->limit = n - o->from + 6;
            i++;
        } else if (strcmp(a, "--from") == 0 || strcmp(a, "--limit") == 0) {
            if (cli_parse_index(a, next, a[2] == 'f' ? &o->from : &o->limit))
                return EXIT_USAGE;
            i++;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (!next)
                return cli_usage_error("%s needs a file", a);
            o->output = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("chain: unknown option '%s' (see `theater chain --help`)", a);
        } else if (!o->verb) {
            o->verb = a;
        } else if (!o->id) {
            o->id = a;
        } else {
            return cli_usage_error("chain %s: unexpected argument '%s'", o->verb, a);
        }
    }
    if (!o->verb)
        return cli_usage_error("chain: a subcommand is required (see `theater chain --help`)");
    return EXIT_OK;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* An actor as --all met it, for the links report that comes after. */
typedef struct verified_actor {
    char id[33];
    char *name;
    json_t *json; /* its entry in the results (borrowed), or NULL */
} verified_actor;

typedef struct verify_run {
    th_db_reader *r;
    bool json;
    json_t *results;
    size_t bad, checked;
    th_links *links; /* with --all: the causal links, checked once all are read */
    th_buf actors;   /* verified_actor, in the order read */
    th_error err;
} verify_run;

/* Indexes the actor's links (chain NULL: it did not load) and remembers it. */
static void remember_actor(verify_run *v, const th_actor_info *info, const th_chain *chain,
                           json_t *json)
{
    verified_actor a = {.name = th_xstrdup(info->name), .json = json};
    snprintf(a.id, sizeof a.id, "%s", info->id);
    th_error err;
    if (th_links_add(v->links, info->id, chain, &err) != 0) /* not an id: the registry is bad */
        fprintf(stderr, "theater: actor %s: links not checked: %s\n", info->id, err.msg);
    th_buf_append(&v->actors, &a, sizeof a);
}

static int verify_one(void *ud, const th_actor_info *info)
{
    verify_run *v = ud;
    double t0 = now_ms();
    th_chain *chain = th_db_load_chain(v->r, info, 0, 0, &v->err);
    th_verify_report rep = {0};
    if (chain) {
        th_chain_verify(chain, &rep);
    } else { /* a row that does not even load fails this actor, not the run */
        snprintf(rep.reason, sizeof rep.reason, "%s", v->err.msg);
        th_utf8_trim_cut(rep.reason);
    }
    double ms = now_ms() - t0;
    json_t *json = NULL;
    v->checked++;
    if (!rep.ok)
        v->bad++;
    if (v->json) {
        json_t *o = json_pack("{s:s, s:s, s:b, s:I, s:I, s:f}", "id", info->id, "name", info->name,
                              "ok", rep.ok, "events", (json_int_t)rep.events_checked, "bytes",
                              (json_int_t)rep.bytes_checked, "ms", ms);
        if (o && !rep.ok) {
            json_object_set_new(o, "first_bad", json_integer((json_int_t)rep.first_bad));
            json_object_set_new(o, "reason", json_string(rep.reason));
        }
        if (o)
            json_array_append_new(v->results, o);
        json = o;
    } else if (rep.ok) {
        printf("%s %s: ok, %zu events, %zu bytes, %.1f ms\n", info->id, info->name,
               rep.events_checked, rep.bytes_checked, ms);
    } else {
        printf("%s %s: FAILED at event %zu: %s\n", info->id, info->name, rep.first_bad, rep.reason);
    }
    if (v->links)
        remember_actor(v, info, chain, json);
    th_chain_free(chain);
    return 0;
}

static void describe_failure(const th_link_failure *f, th_buf *out)
{
    if (f->receiver[0])
        th_buf_printf(out, "receiver %s", f->receiver);
    else
        th_buf_append_str(out, "receiver unknown");
    if (f->receiver_event >= 0)
        th_buf_printf(out, " event %" PRId64, f->receiver_event);
    else
        th_buf_append_str(out, " (no event)");
    th_buf_printf(out, ", sender %s", f->sender);
    if (f->sender_event >= 0)
        th_buf_printf(out, " event %" PRId64, f->sender_event);
    th_buf_printf(out, ": %s", f->reason);
}

static void print_links(const verified_actor *a, const th_link_report *rep)
{
    size_t ok = rep->in_ok + rep->out_ok;
    if (rep->failed == 0) {
        printf("%s %s: links: %zu ok", a->id, a->name, ok);
        if (rep->undelivered)
            printf(", %zu undelivered (receiver stopped)", rep->undelivered);
        putchar('\n');
        return;
    }
    th_buf why = TH_BUF_INIT;
    describe_failure(&rep->first_bad, &why);
    printf("%s %s: links FAILED: %zu bad, %zu ok; first: %s\n", a->id, a->name, rep->failed, ok,
           th_buf_cstr(&why));
    th_buf_free(&why);
}

static json_t *event_or_null(int64_t index)
{
    return index >= 0 ? json_integer((json_int_t)index) : json_null();
}

static json_t *links_json(const th_link_report *rep)
{
    json_t *o =
        json_pack("{s:I, s:I, s:I, s:I, s:I}", "ok", (json_int_t)(rep->in_ok + rep->out_ok), "in",
                  (json_int_t)rep->in_ok, "out", (json_int_t)rep->out_ok, "undelivered",
                  (json_int_t)rep->undelivered, "failed", (json_int_t)rep->failed);
    if (o && rep->failed) {
        const th_link_failure *f = &rep->first_bad;
        json_object_set_new(o, "first_bad",
                            json_pack("{s:s, s:o, s:s, s:o, s:s}", "receiver", f->receiver,
                                      "receiver_event", event_or_null(f->receiver_event), "sender",
                                      f->sender, "sender_event", event_or_null(f->sender_event),
                                      "reason", f->reason));
    }
    return o;
}

/* After every chain was read: checks the links between them and reports
 * them per actor. Returns the number of bad links; adds the totals to root. */
static size_t report_links(verify_run *v, json_t *root)
{
    size_t bad = th_links_check(v->links), ok = 0, undelivered = 0;
    const verified_actor *all = (const verified_actor *)(void *)v->actors.data;
    for (size_t i = 0; i < v->actors.len / sizeof *all; i++) {
        const th_link_report *rep = th_links_report(v->links, all[i].id);
        if (!rep)
            continue;     /* refused by th_links_add, already said */
        ok += rep->in_ok; /* each link once, from its receiver's side */
        undelivered += rep->undelivered;
        if (all[i].json)
            json_object_set_new(all[i].json, "links", links_json(rep));
        else if (!v->json)
            print_links(&all[i], rep);
    }
    if (root)
        json_object_set_new(root, "links",
                            json_pack("{s:I, s:I, s:I}", "ok", (json_int_t)ok, "failed",
                                      (json_int_t)bad, "undelivered", (json_int_t)undelivered));
    else
        printf("links: %zu ok, %zu failed, %zu undelivered (receiver stopped)\n", ok, bad,
               undelivered);
    return bad;
}

static void verify_run_free(verify_run *v)
{
    verified_actor *all = (verified_actor *)(void *)v->actors.data;
    for (size_t i = 0; i < v->actors.len / sizeof *all; i++)
        free(all[i].name);
    th_buf_free(&v->actors);
    th_links_free(v->links);
}

static int chain_verify(const chain_opts *o)
{
    if (!o->all == !o->id)
        return cli_usage_error("chain verify: give an actor ID or --all");
    verify_run v = {.json = o->json, .results = json_array()};
    v.r = cli_open_reader(o->data, &v.err);
    if (!v.r) {
        json_decref(v.results);
        return cli_usage_error("%s", v.err.msg);
    }
    int rc = 0;
    if (o->all) {
        v.links = th_links_new();
        rc = th_db_list_actors(v.r, verify_one, &v, &v.err);
    } else {
        th_actor_info info = {0};
        rc = th_db_find_actor(v.r, o->id, &info, &v.err);
        if (!rc)
            verify_one(&v, &info);
        th_actor_info_clear(&info);
    }
    th_db_reader_close(v.r);
    if (rc) {
        json_decref(v.results);
        verify_run_free(&v);
        return cli_usage_error("%s", v.err.msg);
    }
    size_t bad_links = 0;
    if (o->json) {
        json_t *root = json_pack("{s:o, s:I, s:I}", "actors", v.results, "checked",
                                 (json_int_t)v.checked, "failed", (json_int_t)v.bad);
        if (v.links)
            bad_links = report_links(&v, root);
        json_dumpf(root, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(root);
    } else {
        json_decref(v.results);
        if (o->all)
            printf("%zu chains checked, %zu failed\n", v.checked, v.bad);
        if (v.links)
            bad_links = report_links(&v, NULL);
    }
    verify_run_free(&v);
    return v.bad || bad_links ? EXIT_ACTOR_FAILED : EXIT_OK;
}

static int chain_show(const chain_opts *o)
{
    if (!o->id)
        return cli_usage_error("chain show: an actor ID is required");
    th_error err;
    th_db_reader *r = cli_open_reader(o->data, &err);
    th_actor_info info = {0};
    th_chain *chain = NULL;
    if (r && !th_db_find_actor(r, o->id, &info, &err))
        chain = th_db_load_chain(r, &info, o->from, o->limit, &err);
    if (!chain) {
        th_actor_info_clear(&info);
        th_db_reader_close(r);
        return cli_usage_error("%s", err.msg);
    }
    if (o->json) {
        json_t *root =
            json_pack("{s:s, s:s, s:I, s:o}", "id", info.id, "name", info.name, "event_count",
                      (json_int_t)info.event_count, "events", chain_json(chain));
        json_dumpf(root, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(root);
    } else {
        printf("actor %s %s, %" PRIu64 " events, status %s\n", info.id, info.name, info.event_count,
               info.status);
        print_chain_text(chain);
    }
    th_chain_free(chain);
    th_actor_info_clear(&info);
    th_db_reader_close(r);
    return EXIT_OK;
}

static int chain_export(const chain_opts *o)
{
    if (!o->id || !o->output)
        return cli_usage_error("chain export: an actor ID and -o FILE are required");
    th_error err;
    th_db_reader *r = cli_open_reader(o->data, &err);
    int rc = r ? chain_file_export(r, o->id, o->output, &err) : -1;
    th_db_reader_close(r);
    if (rc)
        return cli_usage_error("%s", err.msg);
    return EXIT_OK;
}

static int chain_import(const chain_opts *o)
{
    const char *file = o->id; /* the positional argument */
    if (!file)
        return cli_usage_error("chain import: a FILE is required");
    char *dir = cli_data_dir(o->data);
    th_error err;
    th_db *db = dir ? th_db_open(dir, TH_DURABILITY_BATCH, &err) : NULL;
    if (!dir)
        th_error_set(&err, "no data directory: give --data DIR or set THEATER_HOME");
    free(dir);
    char id[33];
    int rc = db ? chain_file_import(db, file, id, &err) : -1;
    if (db)
        th_db_close(db);
    if (rc < 0)
        return cli_usage_error("%s", err.msg);
    if (rc > 0) { /* it did not verify */
        fprintf(stderr, "theater: %s\n", err.msg);
        return EXIT_ACTOR_FAILED;
    }
    printf("imported actor %s\n", id);
    return EXIT_OK;
}

int cmd_chain(int argc, char **argv)
{
    chain_opts o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc;
    if (strcmp(o.verb, "verify") == 0)
        return chain_verify(&o);
    if (strcmp(o.verb, "show") == 0)
        return chain_show(&o);
    if (strcmp(o.verb, "export") == 0)
        return chain_export(&o);
    if (strcmp(o.verb, "import") == 0)
        return chain_import(&o);
    return cli_usage_error("chain: unknown subcommand '%s' (verify, show, export, import)", o.verb);
}
