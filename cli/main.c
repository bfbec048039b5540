/* theater: run WebAssembly actors with a verifiable record of everything
 * they do. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/error.h"
#include "store/db.h"
#include "theater/theater.h"

static const char usage[] =
    "usage: theater [--server ADDR] [--json] <command> [options]\n"
    "\n"
    "Run WebAssembly actors whose every interaction is recorded in a\n"
    "tamper-evident SHA-256 hash chain.\n"
    "\n"
    "commands that run actors in this process or read stored chains:\n"
    "  run MANIFEST [--send JSON]... [--request JSON]... [--data DIR] [--json] [--chain]\n"
    "                 run one actor in this process, deliver messages in order,\n"
    "                 print the responses, final state and chain head\n"
    "  chain verify ID | --all      check stored chains, event by event\n"
    "  chain show ID [--from N] [--limit K]\n"
    "                 print a stored chain, one event per line\n"
    "  chain export ID -o FILE      write a chain (and its states and package) to a file\n"
    "  chain import FILE            verify an exported chain and store it\n"
    "  state ID [--at N]            print an actor's state (after event N)\n"
    "  replay ID|FILE [--to N] [--package WASM]\n"
    "                 re-run an actor against its chain; prove it identical or\n"
    "                 show the first divergence\n"
    "\n"
    "writing actors in C:\n"
    "  new NAME [--template basic|http|supervisor] [--dir DIR]\n"
    "                 create DIR/NAME (default ./NAME): an actor project from a template\n"
    "  build [DIR]                  compile the actor in DIR (default .) with the C SDK\n"
    "                 into DIR/build/NAME.wasm and check it as `run` would\n"
    "\n"
    "the management server, and commands that talk to it:\n"
    "  server [--listen HOST:PORT] [--socket PATH] [--data DIR]\n"
    "                 run the runtime as a service (see `theater server --help`)\n"
    "  start MANIFEST [--state JSON|@FILE] [--parent ID] [--follow]\n"
    "                 start an actor on the server; print its id\n"
    "  stop ID                      stop an actor\n"
    "  restart ID [--reinit]        restart an actor from its last state (or init)\n"
    "  list                         every actor: id, name, status, parent, events, uptime\n"
    "  tree                         the supervision tree\n"
    "  status ID                    one actor's status and counters\n"
    "  send ID JSON                 queue a one-way message\n"
    "  request ID JSON [--timeout MS]\n"
    "                 send a request and print the response\n"
    "  events ID [--from N] [--limit K] [--follow]\n"
    "                 print an actor's events; --follow prints new ones as they happen\n"
    "  state ID --server ADDR       an actor's current state, from the server\n"
    "  shutdown                     stop the server (and its actors) cleanly\n"
    "\n"
    "Stored chains live in the data directory: --data DIR, else $THEATER_HOME,\n"
    "else ~/.theater. Actor ids may be abbreviated to a unique prefix.\n"
    "\n"
    "options:\n"
    "  --server ADDR  the server: HOST:PORT, unix:PATH or the path of a unix socket\n"
    "                 (default $THEATER_SERVER, else DATA_DIR/theater.sock when it\n"
    "                 exists, else 127.0.0.1:9000); before or after the command\n"
    "  --json         print results as JSON (for the server's commands: the result\n"
    "                 as the server sent it)\n"
    "  --version      print the version\n"
    "  --help, -h     print this help; `theater <command> --help` for a command\n"
    "\n"
    "exit status: 0 success, 1 an actor failed (trapped, timed out, was busy or\n"
    "returned an error), 2 bad arguments or input (unknown actor, bad JSON, invalid\n"
    "manifest), 3 cannot reach the theater server\n";

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("theater: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_USAGE;
}

char *cli_data_dir(const char *flag)
{
    if (flag)
        return strdup(flag);
    const char *home = getenv("THEATER_HOME");
    if (home && *home)
        return strdup(home);
    const char *user = getenv("HOME");
    if (!user || !*user)
        return NULL;
    size_t n = strlen(user) + sizeof "/.theater";
    char *dir = malloc(n);
    if (dir)
        snprintf(dir, n, "%s/.theater", user);
    return dir;
}

int cli_parse_index(const char *flag, const char *text, uint64_t *out)
{
    char *end;
    if (!text || !*text || *text < '0' || *text > '9')
        return cli_usage_error("%s needs a number, not '%s'", flag, text ? text : "");
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end || errno == ERANGE)
        return cli_usage_error("%s needs a number, not '%s'", flag, text);
    *out = v;
    return 0;
}

th_db_reader *cli_open_reader(const char *flag, th_error *err)
{
    char *dir = cli_data_dir(flag);
    if (!dir) {
        th_error_set(err, "no data directory: give --data DIR or set THEATER_HOME");
        return NULL;
    }
    th_db_reader *r = th_db_reader_open_path(dir, err);
    free(dir);
    return r;
}

bool cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

typedef int (*verb_fn)(int argc, char **argv);

static const struct {
    const char *name;
    verb_fn fn;
} verbs[] = {
    {"run", cmd_run},         {"chain", cmd_chain},       {"replay", cmd_replay},
    {"server", cmd_server},   {"start", cmd_start},       {"stop", cmd_stop},
    {"restart", cmd_restart}, {"list", cmd_list},         {"tree", cmd_tree},
    {"status", cmd_status},   {"send", cmd_send},         {"request", cmd_request},
    {"events", cmd_events},   {"shutdown", cmd_shutdown}, {"new", cmd_new},
    {"build", cmd_build},
};

static int run_verb(const char *cmd, int argc, char **argv)
{
    if (strcmp(cmd, "state") == 0) /* the data directory's, or the server's */
        return cli_state_wants_server(argc, argv) ? cmd_state_server(argc, argv)
                                                  : cmd_state(argc, argv);
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(cmd, verbs[i].name) == 0)
            return verbs[i].fn(argc, argv);
    return cli_usage_error("unknown command '%s' (see `theater --help`)", cmd);
}

int main(int argc, char **argv)
{
    /* Global options come before the command; they are handed to it as if
     * given right after its name, where every verb that knows them looks. */
    int first = 1;
    while (first < argc && (strcmp(argv[first], "--json") == 0 ||
                            (strcmp(argv[first], "--server") == 0 && first + 1 < argc)))
        first += strcmp(argv[first], "--json") == 0 ? 1 : 2;
    if (first < argc && strcmp(argv[first], "--server") == 0)
        return cli_usage_error("--server needs an address (HOST:PORT, unix:PATH or a socket "
                               "path)");
    if (first >= argc) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[first];
    if (cli_is_help(cmd) || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("theater %s\n", th_version());
        return EXIT_OK;
    }
    if (cmd[0] == '-')
        return cli_usage_error("unknown option '%s' (see `theater --help`)", cmd);
    /* argv for the verb: its name, the global options, then its own. */
    char **args = th_xcalloc((size_t)argc + 1, sizeof *args);
    int n = 0;
    args[n++] = argv[first];
    for (int i = 1; i < first; i++)
        args[n++] = argv[i];
    for (int i = first + 1; i < argc; i++)
        args[n++] = argv[i];
    int rc = run_verb(cmd, n, args);
    free(args);
    return rc;
}
