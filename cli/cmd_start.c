/* theater start MANIFEST [--state JSON|@FILE] [--parent ID] [--follow]:
 * an actor started on a running server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"

static const char start_usage[] =
    "usage: theater start MANIFEST [--state JSON|@FILE] [--parent ID] [--follow]\n"
    "                     [--json] [--server ADDR]\n"
    "\n"
    "Starts an actor (and the children its manifest declares) on the theater\n"
    "server and prints its id. The manifest's path is made absolute here and\n"
    "read by the server.\n"
    "\n"
    "options:\n"
    "  --state JSON   the initial state instead of the manifest's (@FILE: read\n"
    "                 the JSON from FILE)\n"
    "  --parent ID    a running actor that supervises it\n"
    "  --follow       then print its events as they happen, until it stops\n"
    "                 for good or Ctrl-C (as `theater events --follow`)\n"
    "  --json         print the server's result {\"actor\": ID}\n"
    "  --server A     the server (HOST:PORT, unix:PATH or a socket path)\n"
    "\n"
    "exit status: 0 started, 1 its init failed, 2 bad arguments, manifest or\n"
    "package, 3 no server\n";

/* The path as the server must see it: its working directory is not ours. */
static char *absolute_path(const char *path)
{
    if (path[0] == '/')
        return th_xstrdup(path);
    char *cwd = getcwd(NULL, 0);
    if (!cwd)
        return NULL;
    th_buf b = TH_BUF_INIT;
    th_buf_printf(&b, "%s/%s", cwd, path);
    free(cwd);
    th_buf_cstr(&b);
    return (char *)th_buf_take(&b, NULL);
}

/* The StartActor request; EXIT_OK with it, or EXIT_USAGE. */
static int start_request(const char *manifest, const char *state, const char *parent, json_t **out)
{
    json_t *initial = NULL;
    if (state && cli_parse_json_arg("start: --state", state, &initial) != EXIT_OK)
        return EXIT_USAGE;
    char *path = absolute_path(manifest);
    if (!path) {
        json_decref(initial);
        return cli_usage_error("start: cannot tell the working directory to make '%s' absolute",
                               manifest);
    }
    json_t *req = json_pack("{s:s, s:s}", "command", "StartActor", "manifest", path);
    free(path);
    if (initial)
        json_object_set_new(req, "initial_state", initial);
    if (parent)
        json_object_set_new(req, "parent", json_string(parent));
    *out = req;
    return EXIT_OK;
}

int cmd_start(int argc, char **argv)
{
    const char *state = NULL, *parent = NULL;
    bool follow = false;
    cli_option options[] = {
        {"--state", &state, NULL},
        {"--parent", &parent, NULL},
        {"--follow", NULL, &follow},
        {NULL, NULL, NULL},
    };
    static const char *const names[] = {"a MANIFEST", NULL};
    cli_common common = {0};
    const char *args[1];
    int rc = cli_parse_args(argc, argv, start_usage, options, names, &common, args);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    json_t *req = NULL, *res = NULL;
    if ((rc = start_request(args[0], state, parent, &req)) != EXIT_OK)
        return rc;
    cli_client *c;
    if ((rc = cli_connect(&common, &c)) != EXIT_OK) {
        json_decref(req);
        return rc;
    }
    rc = cli_client_call(c, req, &res);
    if (rc == EXIT_OK) {
        const char *id = json_string_value(json_object_get(res, "actor"));
        if (common.json && follow) { /* one JSON object per line from here on */
            json_dumpf(res, stdout, JSON_COMPACT);
            fputc('\n', stdout);
        } else if (common.json) {
            cli_print_json(res);
        } else {
            printf("%s\n", id ? id : "?");
        }
        fflush(stdout);
        if (follow && id)
            rc = cli_follow_events(c, id, 0, common.json);
        json_decref(res);
    }
    cli_client_close(c);
    return rc;
}
