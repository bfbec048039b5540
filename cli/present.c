/* How the verbs that talk to a server present what it answers: JSON,
 * durations, statuses in colour, event lines. Everything an actor or a
 * manifest wrote (names, summaries, messages) is escaped before it reaches
 * a terminal. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/hex.h"
#include "common/utf8.h"

void cli_print_json(const json_t *v)
{
    json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
    fputc('\n', stdout);
}

int cli_parse_json_arg(const char *what, const char *text, json_t **out)
{
    json_error_t jerr;
    if (text[0] == '@') {
        *out = json_load_file(text + 1, JSON_DECODE_ANY, &jerr);
        if (!*out)
            return cli_usage_error("%s: %s:%d:%d: %s", what, text + 1, jerr.line, jerr.column,
                                   jerr.text);
        return EXIT_OK;
    }
    *out = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!*out)
        return cli_usage_error("%s is not valid JSON: %s (at character %d); quote it for the "
                               "shell, e.g. '{\"op\":\"get\"}'",
                               what, jerr.text, jerr.position);
    return EXIT_OK;
}

void cli_append_escaped(th_buf *out, const char *s)
{
    if (!s) {
        th_buf_append_byte(out, '-');
        return;
    }
    th_utf8_escape((const uint8_t *)s, strlen(s), out);
}

void cli_format_duration(int64_t ms, char *out, size_t n)
{
    static const struct {
        int64_t ms;
        char unit;
    } units[] = {{86400000, 'd'}, {3600000, 'h'}, {60000, 'm'}, {1000, 's'}};
    if (ms < 0)
        ms = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ms >= units[i].ms) {
            snprintf(out, n, "%" PRId64 "%c", ms / units[i].ms, units[i].unit);
            return;
        }
    }
    snprintf(out, n, "%" PRId64 "ms", ms);
}

bool cli_use_colour(void)
{
    const char *no = getenv("NO_COLOR"); /* no-color.org: set and not empty */
    return isatty(STDOUT_FILENO) && !(no && *no);
}

void cli_append_status(th_buf *out, const char *status, int width)
{
    const char *colour = NULL;
    if (cli_use_colour()) {
        if (strcmp(status, "running") == 0)
            colour = "\033[32m"; /* green */
        else if (strcmp(status, "failed") == 0)
            colour = "\033[1;31m"; /* bold red */
        else if (strcmp(status, "stopped") == 0)
            colour = "\033[31m"; /* red */
    }
    if (colour)
        th_buf_append_str(out, colour);
    cli_append_escaped(out, status);
    if (colour)
        th_buf_append_str(out, "\033[0m");
    for (int pad = width - (int)strlen(status); pad > 0; pad--)
        th_buf_append_byte(out, ' ');
}

const char *cli_status_word(const json_t *status)
{
    const char *word = json_string_value(json_object_get(status, "status"));
    /* STATUS says running or stopped; a server that also tells a failure
     * apart ("failed": true) gets it shown */
    if (word && strcmp(word, "stopped") == 0 && json_is_true(json_object_get(status, "failed")))
        return "failed";
    return word ? word : "unknown";
}

void cli_print_event(const json_t *event, bool json)
{
    if (json) {
        json_dumpf(event, stdout, JSON_COMPACT);
        fputc('\n', stdout);
        fflush(stdout);
        return;
    }
    const char *hash = json_string_value(json_object_get(event, "hash"));
    th_buf line = TH_BUF_INIT;
    th_buf_printf(&line, "  %4" JSON_INTEGER_FORMAT "  ",
                  json_integer_value(json_object_get(event, "index")));
    th_buf text = TH_BUF_INIT;
    cli_append_escaped(&text, json_string_value(json_object_get(event, "type")));
    th_buf_printf(&line, "%-6s ", th_buf_cstr(&text));
    bool hex = hash && strlen(hash) >= 16 && th_hex_is_lower(hash, 16);
    th_buf_printf(&line, "%.16s  ", hex ? hash : "????????????????");
    cli_append_escaped(&line, json_string_value(json_object_get(event, "name")));
    const char *summary = json_string_value(json_object_get(event, "summary"));
    if (summary && *summary) {
        th_buf_append_byte(&line, ' ');
        cli_append_escaped(&line, summary);
    }
    puts(th_buf_cstr(&line));
    fflush(stdout);
    th_buf_free(&text);
    th_buf_free(&line);
}
