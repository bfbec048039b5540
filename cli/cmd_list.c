/* theater list and theater tree: every actor the server knows, as a table
 * and as the supervision tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"

static const char list_usage[] =
    "usage: theater list [--json] [--server ADDR]\n"
    "\n"
    "Prints every actor the server knows, running or stopped, one per line:\n"
    "id (its first 12 hex digits), name, status, parent (first 12 digits),\n"
    "events in its chain, uptime. --json prints the server's result, ids in\n"
    "full.\n"
    "\n"
    "  --server A   the server (HOST:PORT, unix:PATH or a socket path)\n"
    "exit status: 0 success, 3 no server\n";

static const char tree_usage[] =
    "usage: theater tree [--json] [--server ADDR]\n"
    "\n"
    "Prints the supervision tree: each actor under its supervisor, stopped\n"
    "ones marked. --json prints the server's ListActors result.\n"
    "\n"
    "  --server A   the server (HOST:PORT, unix:PATH or a socket path)\n"
    "exit status: 0 success, 3 no server\n";

#define SHORT_ID 12

/* ListActors, its actors sorted by name then id (the server's order is
 * none): *actors borrows from *res. */
static int list_actors(const cli_common *common, json_t **res, json_t ***actors, size_t *n)
{
    cli_client *c;
    int rc = cli_connect(common, &c);
    if (rc != EXIT_OK)
        return rc;
    rc = cli_client_call(c, json_pack("{s:s}", "command", "ListActors"), res);
    cli_client_close(c);
    if (rc != EXIT_OK)
        return rc;
    json_t *arr = json_object_get(*res, "actors");
    *n = json_array_size(arr);
    *actors = th_xcalloc(*n ? *n : 1, sizeof **actors);
    for (size_t i = 0; i < *n; i++)
        (*actors)[i] = json_array_get(arr, i);
    return EXIT_OK;
}

static const char *field(const json_t *actor, const char *key)
{
    const char *s = json_string_value(json_object_get(actor, key));
    return s ? s : "";
}

static int by_name_then_id(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = strcmp(field(x, "name"), field(y, "name"));
    return c ? c : strcmp(field(x, "id"), field(y, "id"));
}

/* Columns on a terminal: UTF-8 continuation bytes take none. */
static int display_width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void append_padded(th_buf *line, const char *text, int width)
{
    th_buf_append_str(line, text);
    for (int pad = width - display_width(text); pad > 0; pad--)
        th_buf_append_byte(line, ' ');
}

/* The first SHORT_ID characters of an id, escaped; "-" for none. */
static void short_id(th_buf *out, const char *id)
{
    char cut[SHORT_ID + 1];
    snprintf(cut, sizeof cut, "%s", id && *id ? id : "-");
    cli_append_escaped(out, cut);
}

/* ---- list ------------------------------------------------------------------------------------ */

static void print_table(json_t **actors, size_t n)
{
    int name_w = 4;
    th_buf cell = TH_BUF_INIT, line = TH_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        th_buf_reset(&cell);
        cli_append_escaped(&cell, field(actors[i], "name"));
        int w = display_width(th_buf_cstr(&cell));
        name_w = w > name_w ? w : name_w;
    }
    printf("%-*s  %-*s  %-7s  %-*s  %8s  %s\n", SHORT_ID, "ID", name_w, "NAME", "STATUS", SHORT_ID,
           "PARENT", "EVENTS", "UPTIME");
    for (size_t i = 0; i < n; i++) {
        const json_t *a = actors[i];
        th_buf_reset(&line);
        th_buf_reset(&cell);
        short_id(&cell, field(a, "id"));
        append_padded(&line, th_buf_cstr(&cell), SHORT_ID + 2);
        th_buf_reset(&cell);
        cli_append_escaped(&cell, field(a, "name"));
        append_padded(&line, th_buf_cstr(&cell), name_w + 2);
        cli_append_status(&line, cli_status_word(a), 9);
        th_buf_reset(&cell);
        short_id(&cell, json_string_value(json_object_get(a, "parent")));
        append_padded(&line, th_buf_cstr(&cell), SHORT_ID + 2);
        th_buf_printf(&line, "%8" JSON_INTEGER_FORMAT "  ",
                      json_integer_value(json_object_get(a, "events")));
        char up[32] = "-";
        if (strcmp(field(a, "status"), "running") == 0)
            cli_format_duration(json_integer_value(json_object_get(a, "uptime_ms")), up, sizeof up);
        th_buf_append_str(&line, up);
        puts(th_buf_cstr(&line));
    }
    th_buf_free(&cell);
    th_buf_free(&line);
}

int cmd_list(int argc, char **argv)
{
    static const char *const none[] = {NULL};
    cli_common common = {0};
    json_t *res, **actors;
    size_t n;
    int rc = cli_parse_args(argc, argv, list_usage, NULL, none, &common, NULL);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if ((rc = list_actors(&common, &res, &actors, &n)) != EXIT_OK)
        return rc;
    qsort(actors, n, sizeof *actors, by_name_then_id);
    if (common.json)
        cli_print_json(res);
    else if (n == 0)
        puts("no actors");
    else
        print_table(actors, n);
    free(actors);
    json_decref(res);
    return EXIT_OK;
}

/* ---- tree ------------------------------------------------------------------------------------ */

typedef struct node {
    const json_t *actor;
    size_t *children; /* indexes into the nodes, sorted as the actors are */
    size_t n_children;
    bool has_parent; /* its parent is among the actors listed */
    bool shown;
} node;

/* Links each actor to its parent; an actor whose parent is not listed is a
 * root. Actors are sorted, so children come out sorted too. */
static node *build_tree(json_t **actors, size_t n)
{
    node *nodes = th_xcalloc(n ? n : 1, sizeof *nodes);
    for (size_t i = 0; i < n; i++) {
        nodes[i].actor = actors[i];
        nodes[i].children = th_xcalloc(n ? n : 1, sizeof(size_t));
    }
    for (size_t i = 0; i < n; i++) {
        const char *parent = json_string_value(json_object_get(actors[i], "parent"));
        for (size_t p = 0; parent && p < n; p++) {
            if (p != i && strcmp(field(actors[p], "id"), parent) == 0) {
                nodes[p].children[nodes[p].n_children++] = i;
                nodes[i].has_parent = true;
                break;
            }
        }
    }
    return nodes;
}

static void print_node(node *nodes, size_t i, th_buf *prefix, const char *branch)
{
    node *nd = &nodes[i];
    nd->shown = true; /* before the children: a cycle of parents ends here */
    th_buf line = TH_BUF_INIT;
    th_buf_append(&line, prefix->data, prefix->len);
    th_buf_append_str(&line, branch);
    cli_append_escaped(&line, field(nd->actor, "name"));
    th_buf_append_byte(&line, ' ');
    short_id(&line, field(nd->actor, "id"));
    const char *word = cli_status_word(nd->actor);
    if (strcmp(word, "running") != 0) {
        th_buf_append_str(&line, " (");
        cli_append_status(&line, word, 0);
        th_buf_append_byte(&line, ')');
    }
    puts(th_buf_cstr(&line));
    th_buf_free(&line);

    size_t mark = prefix->len;
    if (*branch) /* the root's children hang from column 0 */
        th_buf_append_str(prefix, strcmp(branch, "└─ ") == 0 ? "   " : "│  ");
    size_t last = nd->n_children;
    while (last > 0 && nodes[nd->children[last - 1]].shown)
        last--;
    for (size_t k = 0; k < last; k++) {
        size_t child = nd->children[k];
        if (!nodes[child].shown)
            print_node(nodes, child, prefix, k + 1 == last ? "└─ " : "├─ ");
    }
    prefix->len = mark;
}

int cmd_tree(int argc, char **argv)
{
    static const char *const none[] = {NULL};
    cli_common common = {0};
    json_t *res, **actors;
    size_t n;
    int rc = cli_parse_args(argc, argv, tree_usage, NULL, none, &common, NULL);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if ((rc = list_actors(&common, &res, &actors, &n)) != EXIT_OK)
        return rc;
    qsort(actors, n, sizeof *actors, by_name_then_id);
    if (common.json) {
        cli_print_json(res);
    } else if (n == 0) {
        puts("no actors");
    } else {
        node *nodes = build_tree(actors, n);
        th_buf prefix = TH_BUF_INIT;
        for (size_t i = 0; i < n; i++)
            if (!nodes[i].has_parent)
                print_node(nodes, i, &prefix, "");
        for (size_t i = 0; i < n; i++) /* parents in a cycle: no root leads to them */
            if (!nodes[i].shown)
                print_node(nodes, i, &prefix, "");
        th_buf_free(&prefix);
        for (size_t i = 0; i < n; i++)
            free(nodes[i].children);
        free(nodes);
    }
    free(actors);
    json_decref(res);
    return EXIT_OK;
}
