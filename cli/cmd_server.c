/* theater server: run the runtime as a service (src/server/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "server/server.h"
#include "store/db.h"

static const char server_usage[] =
    "usage: theater server [--listen HOST:PORT] [--socket PATH] [--data DIR]\n"
    "                      [--log-level error|warn|info|debug] [--max-frame BYTES]\n"
    "                      [--threads N] [--durability always|batch|off]\n"
    "\n"
    "Runs Theater as a long-lived service managed over the protocol of\n"
    "docs/protocol.md, on loopback TCP and a unix socket. Actors that were\n"
    "running when the last server on this data directory stopped are resumed\n"
    "from their last state. SIGINT or SIGTERM (or a Shutdown command) stops every\n"
    "actor cleanly, flushes the chains and exits 0. One server per data\n"
    "directory: a second one is refused.\n"
    "\n"
    "options:\n"
    "  --listen HOST:PORT  TCP address (default 127.0.0.1:9000; \"\" for none)\n"
    "  --socket PATH       unix socket (default DATA/theater.sock; \"\" for none)\n"
    "  --data DIR          data directory (default $THEATER_HOME, else ~/.theater)\n"
    "  --log-level L       what goes to stderr (default info)\n"
    "  --max-frame BYTES   the largest frame accepted (default 16777216)\n"
    "  --threads N         worker threads running actors (default: one per core)\n"
    "  --durability M      always, batch (default) or off\n"
    "\n"
    "exit status: 0 after a clean stop, 2 when it cannot start\n";

static int parse_args(int argc, char **argv, th_server_options *o, const char **data)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (cli_is_help(a)) {
            fputs(server_usage, stdout);
            return -1;
        }
        bool takes_value = strcmp(a, "--listen") == 0 || strcmp(a, "--socket") == 0 ||
                           strcmp(a, "--data") == 0 || strcmp(a, "--log-level") == 0 ||
                           strcmp(a, "--max-frame") == 0 || strcmp(a, "--threads") == 0 ||
                           strcmp(a, "--durability") == 0;
        if (!takes_value)
            return cli_usage_error("server: unknown argument '%s' (see `theater server --help`)",
                                   a);
        if (!v)
            return cli_usage_error("server: %s needs a value", a);
        i++;
        if (strcmp(a, "--listen") == 0) {
            o->listen = v;
        } else if (strcmp(a, "--socket") == 0) {
            o->socket_path = v;
        } else if (strcmp(a, "--data") == 0) {
            *data = v;
        } else if (strcmp(a, "--log-level") == 0) {
            int l = th_log_level_parse(v);
            if (l < 0)
                return cli_usage_error("server: --log-level must be error, warn, info or debug, "
                                       "not '%s'",
                                       v);
            o->log_level = (th_log_level)l;
        } else if (strcmp(a, "--max-frame") == 0) {
            if (cli_parse_index(a, v, &n))
                return EXIT_USAGE;
            if (n < 64 || n > (1u << 30))
                return cli_usage_error("server: --max-frame must be from 64 to 1073741824");
            o->max_frame = (uint32_t)n;
        } else if (strcmp(a, "--threads") == 0) {
            if (cli_parse_index(a, v, &n))
                return EXIT_USAGE;
            if (n < 1 || n > 1024)
                return cli_usage_error("server: --threads must be from 1 to 1024");
            o->threads = (unsigned)n;
        } else {
            int d = th_durability_parse(v);
            if (d < 0)
                return cli_usage_error("server: --durability must be always, batch or off, not "
                                       "'%s'",
                                       v);
            o->durability = (th_durability)d;
        }
    }
    return 0;
}

int cmd_server(int argc, char **argv)
{
    th_server_options o = {.log_level = TH_LOG_INFO, .durability = TH_DURABILITY_BATCH};
    const char *data = NULL;
    int rc = parse_args(argc, argv, &o, &data);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    char *dir = cli_data_dir(data);
    if (!dir)
        return cli_usage_error("server: no data directory: give --data DIR or set THEATER_HOME");
    o.data_dir = dir;
    th_error err;
    rc = th_server_run(&o, &err);
    free(dir);
    if (rc) {
        fprintf(stderr, "theater: %s\n", err.msg);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}
