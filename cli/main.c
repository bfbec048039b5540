/* theater: run WebAssembly actors with a verifiable record of everything
 * they do. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/error.h"
#include "store/db.h"
#include "theater/theater.h"

static const char usage[] =
    "usage: theater <command> [options]\n"
    "\n"
    "Run WebAssembly actors whose every interaction is recorded in a\n"
    "tamper-evident SHA-256 hash chain.\n"
    "\n"
    "commands:\n"
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
    "Stored chains live in the data directory: --data DIR, else $THEATER_HOME,\n"
    "else ~/.theater. Actor ids may be abbreviated to a unique prefix.\n"
    "\n"
    "options:\n"
    "  --version      print the version\n"
    "  --help, -h     print this help; `theater <command> --help` for a command\n"
    "\n"
    "exit status: 0 success, 1 an actor failed, 2 bad arguments or input\n";

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

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (cli_is_help(cmd) || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("theater %s\n", th_version());
        return EXIT_OK;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "chain") == 0)
        return cmd_chain(argc - 1, argv + 1);
    if (strcmp(cmd, "state") == 0)
        return cmd_state(argc - 1, argv + 1);
    if (strcmp(cmd, "replay") == 0)
        return cmd_replay(argc - 1, argv + 1);
    if (strcmp(cmd, "server") == 0)
        return cmd_server(argc - 1, argv + 1);
    return cli_usage_error("unknown command '%s' (see `theater --help`)", cmd);
}
