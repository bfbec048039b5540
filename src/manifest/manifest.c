/* The manifest model: reads a TOML document into a th_manifest, checking
 * every key against what docs/manifest.md documents. Unknown keys are
 * errors (with a "did you mean" hint): a misspelt limit that silently kept
 * its default would be a limit the user believes in and does not have. */
#include "manifest/manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/file.h"
#include "common/suggest.h"

#define MANIFEST_MAX_BYTES (1024 * 1024)
#define STATE_FILE_MAX_BYTES (64 * 1024 * 1024)
#define NAME_MAX_CHARS 64
/* Keys and strings longer than this are shortened in messages. */
#define DISPLAY_MAX 48

/* ---- Handler types and their config --------------------------------------- */

static const char *const handler_type_names[TH_HANDLER_COUNT + 1] = {
    [TH_HANDLER_RUNTIME] = "runtime",
    [TH_HANDLER_MESSAGE_SERVER] = "message-server",
    [TH_HANDLER_SUPERVISOR] = "supervisor",
    [TH_HANDLER_STORE] = "store",
    [TH_HANDLER_HTTP_SERVER] = "http-server",
    [TH_HANDLER_HTTP_CLIENT] = "http-client",
    [TH_HANDLER_FILESYSTEM] = "filesystem",
    [TH_HANDLER_TIMING] = "timing",
    [TH_HANDLER_RANDOM] = "random",
    [TH_HANDLER_ENVIRONMENT] = "environment",
    [TH_HANDLER_COUNT] = NULL,
};

typedef enum config_type {
    CONFIG_STRING,       /* a non-empty string, optionally one of `choices` */
    CONFIG_INTEGER,      /* an integer in [min, max] */
    CONFIG_STRING_ARRAY, /* an array of non-empty strings */
} config_type;

/* One key a handler's config may hold. Defaults are applied by the handler
 * itself (and documented in docs/manifest.md); this table only says what is
 * allowed, so that adding a key is adding a line. */
typedef struct config_key {
    const char *name;
    config_type type;
    bool required;
    int64_t min, max;           /* CONFIG_INTEGER */
    const char *const *choices; /* CONFIG_STRING: the allowed values; NULL means any */
} config_key;

/* The most keys one handler's config may have (raise it as tables grow). */
#define CONFIG_MAX_KEYS 16

static const char *const filesystem_modes[] = {"ro", "rw", NULL};

static const config_key no_config_keys[] = {{.name = NULL}};

static const config_key store_config[] = {
    {.name = "name", .type = CONFIG_STRING},
    {.name = NULL},
};

static const config_key http_server_config[] = {
    {.name = "port", .type = CONFIG_INTEGER, .required = true, .min = 1, .max = 65535},
    {.name = "host", .type = CONFIG_STRING},
    {.name = "max_header_bytes", .type = CONFIG_INTEGER, .min = 256, .max = 1 << 20},
    {.name = "max_body_bytes", .type = CONFIG_INTEGER, .min = 0, .max = 256 << 20},
    {.name = "timeout_ms", .type = CONFIG_INTEGER, .min = 1, .max = 3600000},
    {.name = NULL},
};

static const config_key http_client_config[] = {
    {.name = "allowed_hosts", .type = CONFIG_STRING_ARRAY, .required = true},
    {.name = "timeout_ms", .type = CONFIG_INTEGER, .min = 1, .max = 3600000},
    {.name = "max_response_bytes", .type = CONFIG_INTEGER, .min = 0, .max = 1 << 30},
    {.name = NULL},
};

static const config_key filesystem_config[] = {
    {.name = "path", .type = CONFIG_STRING, .required = true},
    {.name = "mode", .type = CONFIG_STRING, .choices = filesystem_modes},
    {.name = NULL},
};

static const config_key environment_config[] = {
    {.name = "allow", .type = CONFIG_STRING_ARRAY, .required = true},
    {.name = NULL},
};

static const config_key *const handler_configs[TH_HANDLER_COUNT] = {
    [TH_HANDLER_RUNTIME] = no_config_keys,         [TH_HANDLER_MESSAGE_SERVER] = no_config_keys,
    [TH_HANDLER_SUPERVISOR] = no_config_keys,      [TH_HANDLER_STORE] = store_config,
    [TH_HANDLER_HTTP_SERVER] = http_server_config, [TH_HANDLER_HTTP_CLIENT] = http_client_config,
    [TH_HANDLER_FILESYSTEM] = filesystem_config,   [TH_HANDLER_TIMING] = no_config_keys,
    [TH_HANDLER_RANDOM] = no_config_keys,          [TH_HANDLER_ENVIRONMENT] = environment_config,
};

const char *th_handler_type_name(th_handler_type type)
{
    return (unsigned)type < TH_HANDLER_COUNT ? handler_type_names[type] : "unknown";
}

/* ---- Reading context and messages ------------------------------------------- */

typedef struct reader {
    const char *file; /* for messages */
    th_error *err;
    th_manifest *m;
    const toml_kv *initial_state; /* to refuse both forms at once */
    const toml_kv *initial_state_file;
} reader;

static int fail_at(reader *r, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_at(reader *r, int line, int col, const char *fmt, ...)
{
    char what[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return th_error_set(r->err, "%s:%d:%d: %s", r->file, line, col, what);
}

/* Text from the document, made safe to quote in a one-line message:
 * control characters escaped, long text shortened. */
static const char *display(th_buf *b, const char *s, size_t len)
{
    size_t shown = len > DISPLAY_MAX ? DISPLAY_MAX : len;
    while (shown < len && ((unsigned char)s[shown] & 0xC0) == 0x80)
        shown--; /* never cut a character in two */
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F)
            th_buf_printf(b, "\\u%04X", c);
        else
            th_buf_append_byte(b, c);
    }
    if (shown < len)
        th_buf_append_str(b, "...");
    return th_buf_cstr(b);
}

/* Appends a NULL-terminated list as 'a', 'b' or 'c' (with the given quote). */
static void append_list(th_buf *b, const char *const *items, char quote)
{
    for (size_t i = 0; items[i]; i++) {
        const char *separator = i == 0 ? "" : items[i + 1] ? ", " : " or ";
        th_buf_printf(b, "%s%c%s%c", separator, quote, items[i], quote);
    }
}

/* "unknown key 'x' in WHERE (did you mean 'y'?)", or with the list of the
 * keys that are allowed when nothing is close. */
static int fail_unknown_key(reader *r, const toml_kv *kv, const char *where,
                            const char *const *known)
{
    th_buf key = TH_BUF_INIT, hint = TH_BUF_INIT;
    const char *suggestion = th_suggest(kv->key, known);
    if (suggestion) {
        th_buf_printf(&hint, " (did you mean '%s'?)", suggestion);
    } else if (known[0]) {
        th_buf_append_str(&hint, " (expected ");
        append_list(&hint, known, '\'');
        th_buf_append_byte(&hint, ')');
    }
    fail_at(r, kv->line, kv->col, "unknown key '%s' in %s%s",
            display(&key, kv->key, strlen(kv->key)), where, th_buf_cstr(&hint));
    th_buf_free(&key);
    th_buf_free(&hint);
    return -1;
}

static const char *kind_with_article(toml_kind kind)
{
    switch (kind) {
    case TOML_INTEGER:
        return "an integer";
    case TOML_ARRAY:
        return "an array";
    case TOML_STRING:
        return "a string";
    case TOML_FLOAT:
        return "a float";
    case TOML_BOOL:
        return "a boolean";
    case TOML_DATETIME:
        return "a datetime";
    case TOML_TABLE:
        return "a table";
    }
    return "a value";
}

/* "'memory_mb' must be an integer, found string" when v is not of `kind`. */
static int check_kind(reader *r, const char *key, const toml_value *v, toml_kind kind)
{
    if (v->kind == kind)
        return 0;
    return fail_at(r, v->line, v->col, "'%s' must be %s, found %s", key, kind_with_article(kind),
                   toml_kind_name(v->kind));
}

/* A string that will be used as a C string: non-empty and without NUL. */
static int check_plain_string(reader *r, const char *key, const toml_value *v)
{
    if (check_kind(r, key, v, TOML_STRING))
        return -1;
    if (v->str.len == 0)
        return fail_at(r, v->line, v->col, "'%s' must not be empty", key);
    if (strlen(v->str.ptr) != v->str.len)
        return fail_at(r, v->line, v->col, "'%s' must not contain U+0000", key);
    return 0;
}

static int check_integer_range(reader *r, const char *key, const toml_value *v, int64_t min,
                               int64_t max)
{
    if (check_kind(r, key, v, TOML_INTEGER))
        return -1;
    if (v->i < min || v->i > max)
        return fail_at(r, v->line, v->col,
                       "'%s' must be between %" PRId64 " and %" PRId64 ", found %" PRId64, key, min,
                       max, v->i);
    return 0;
}

/* The index of v's text in the NULL-terminated `choices`, or -1. Lengths
 * are compared too: "off\u0000x" is not "off". */
static int find_choice(const toml_value *v, const char *const *choices)
{
    for (int i = 0; choices[i]; i++)
        if (strlen(choices[i]) == v->str.len && strcmp(v->str.ptr, choices[i]) == 0)
            return i;
    return -1;
}

/* "'mode' must be "ro" or "rw", found "rx"". */
static int fail_choice(reader *r, const char *key, const toml_value *v, const char *const *choices)
{
    th_buf allowed = TH_BUF_INIT, shown = TH_BUF_INIT;
    append_list(&allowed, choices, '"');
    fail_at(r, v->line, v->col, "'%s' must be %s, found \"%s\"", key, th_buf_cstr(&allowed),
            display(&shown, v->str.ptr, v->str.len));
    th_buf_free(&allowed);
    th_buf_free(&shown);
    return -1;
}

/* A string that must be one of `choices`; *index says which. */
static int read_choice(reader *r, const char *key, const toml_value *v, const char *const *choices,
                       int *index)
{
    if (check_kind(r, key, v, TOML_STRING))
        return -1;
    int i = find_choice(v, choices);
    if (i < 0)
        return fail_choice(r, key, v, choices);
    *index = i;
    return 0;
}

/* ---- Paths and files -------------------------------------------------------- */

static char *directory_of(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!slash)
        return th_xstrdup(".");
    if (slash == path)
        return th_xstrdup("/");
    return th_xstrndup(path, (size_t)(slash - path));
}

/* `relative` resolved against dir; absolute paths stay as they are. */
static char *resolve_path(const char *dir, const char *relative)
{
    if (relative[0] == '/' || strcmp(dir, ".") == 0)
        return th_xstrdup(relative);
    th_buf b = TH_BUF_INIT;
    th_buf_append_str(&b, dir);
    if (dir[strlen(dir) - 1] != '/')
        th_buf_append_byte(&b, '/');
    th_buf_append_str(&b, relative);
    th_buf_cstr(&b);
    return (char *)th_buf_take(&b, NULL);
}

/* Checks that bytes are one JSON value; `what` names them in the message. */
static int check_json(reader *r, const toml_value *at, const char *what, const uint8_t *bytes,
                      size_t len)
{
    json_error_t jerr;
    const char *text = bytes ? (const char *)bytes : ""; /* an empty file has no buffer */
    json_t *json = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (json) {
        json_decref(json);
        return 0;
    }
    return fail_at(r, at->line, at->col,
                   "%s is not valid JSON: %s (line %d, column %d of the JSON)", what, jerr.text,
                   jerr.line, jerr.column);
}

/* A string holding one JSON value, copied to *out. */
static int read_json_string(reader *r, const char *key, const toml_value *v, uint8_t **out,
                            size_t *len)
{
    char what[64];
    snprintf(what, sizeof what, "'%s'", key);
    if (check_kind(r, key, v, TOML_STRING) ||
        check_json(r, v, what, (const uint8_t *)v->str.ptr, v->str.len))
        return -1;
    *out = th_xmemdup(v->str.ptr, v->str.len);
    *len = v->str.len;
    return 0;
}

/* ---- Top-level keys --------------------------------------------------------- */

static int read_name(reader *r, const toml_kv *kv)
{
    const toml_value *v = kv->value;
    if (check_plain_string(r, "name", v))
        return -1;
    if (v->str.len > NAME_MAX_CHARS)
        return fail_at(r, v->line, v->col, "'name' is %zu characters long; the limit is %d",
                       v->str.len, NAME_MAX_CHARS);
    for (size_t i = 0; i < v->str.len; i++) {
        unsigned char c = (unsigned char)v->str.ptr[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '_' || c == '-')
            continue;
        th_buf shown = TH_BUF_INIT;
        fail_at(r, v->line, v->col,
                "'name' may only contain A-Z, a-z, 0-9, '.', '_' and '-', found \"%s\"",
                display(&shown, v->str.ptr, v->str.len));
        th_buf_free(&shown);
        return -1;
    }
    r->m->name = th_xstrdup(v->str.ptr);
    return 0;
}

static int read_version(reader *r, const toml_kv *kv)
{
    if (check_plain_string(r, "version", kv->value))
        return -1;
    r->m->version = th_xstrdup(kv->value->str.ptr);
    return 0;
}

static int read_description(reader *r, const toml_kv *kv)
{
    const toml_value *v = kv->value;
    if (check_kind(r, "description", v, TOML_STRING))
        return -1;
    if (strlen(v->str.ptr) != v->str.len)
        return fail_at(r, v->line, v->col, "'description' must not contain U+0000");
    r->m->description = th_xstrdup(v->str.ptr);
    return 0;
}

static int read_package(reader *r, const toml_kv *kv)
{
    if (check_plain_string(r, "package", kv->value))
        return -1;
    r->m->package = resolve_path(r->m->dir, kv->value->str.ptr);
    return 0;
}

/* initial_state and initial_state_file are two ways to say one thing. */
static int refuse_both_initial_states(reader *r, const toml_kv *second)
{
    const toml_kv *first = r->initial_state ? r->initial_state : r->initial_state_file;
    if (!first)
        return 0;
    return fail_at(r, second->line, second->col,
                   "'initial_state' and 'initial_state_file' cannot both be set (the other is at "
                   "%d:%d)",
                   first->line, first->col);
}

static int read_initial_state(reader *r, const toml_kv *kv)
{
    const toml_value *v = kv->value;
    if (check_kind(r, "initial_state", v, TOML_STRING) || refuse_both_initial_states(r, kv))
        return -1;
    r->initial_state = kv;
    if (read_json_string(r, "initial_state", v, &r->m->initial_state, &r->m->initial_state_len))
        return -1;
    r->m->has_initial_state = true;
    return 0;
}

static int read_initial_state_file(reader *r, const toml_kv *kv)
{
    const toml_value *v = kv->value;
    if (check_plain_string(r, "initial_state_file", v) || refuse_both_initial_states(r, kv))
        return -1;
    r->initial_state_file = kv;
    char *path = resolve_path(r->m->dir, v->str.ptr);
    th_buf bytes = TH_BUF_INIT;
    th_buf what = TH_BUF_INIT;
    th_buf_printf(&what, "initial_state_file '%s'", path);
    const char *what_text = th_buf_cstr(&what);
    int rc = -1;
    if (th_read_file(path, STATE_FILE_MAX_BYTES, &bytes) != 0) {
        int error = errno;
        if (error == EFBIG)
            fail_at(r, v->line, v->col, "%s is larger than %d MiB", what_text,
                    STATE_FILE_MAX_BYTES >> 20);
        else
            fail_at(r, v->line, v->col, "cannot read %s: %s", what_text, strerror(error));
    } else if (check_json(r, v, what_text, bytes.data, bytes.len) == 0) {
        r->m->initial_state = th_buf_take(&bytes, &r->m->initial_state_len);
        r->m->has_initial_state = true;
        rc = 0;
    }
    th_buf_free(&bytes);
    th_buf_free(&what);
    free(path);
    return rc;
}

static const char *const limit_keys[] = {"memory_mb", "fuel", "time_ms", "mailbox", NULL};

static int read_limits(reader *r, const toml_kv *kv)
{
    const toml_value *t = kv->value;
    if (check_kind(r, "limits", t, TOML_TABLE))
        return -1;
    th_limits *limits = &r->m->limits;
    for (size_t i = 0; i < t->tab.len; i++) {
        const toml_kv *item = &t->tab.items[i];
        const toml_value *v = item->value;
        if (strcmp(item->key, "memory_mb") == 0) {
            if (check_integer_range(r, "memory_mb", v, 1, 4096))
                return -1;
            limits->memory_bytes = (uint64_t)v->i << 20;
        } else if (strcmp(item->key, "fuel") == 0) {
            if (check_integer_range(r, "fuel", v, 1, INT64_C(1000000000000000)))
                return -1;
            limits->fuel = (uint64_t)v->i;
        } else if (strcmp(item->key, "time_ms") == 0) {
            if (check_integer_range(r, "time_ms", v, 1, 3600000))
                return -1;
            limits->time_ms = (uint32_t)v->i;
        } else if (strcmp(item->key, "mailbox") == 0) {
            if (check_integer_range(r, "mailbox", v, 1, 1000000))
                return -1;
            limits->mailbox = (uint32_t)v->i;
        } else {
            return fail_unknown_key(r, item, "[limits]", limit_keys);
        }
    }
    return 0;
}

static const char *const runtime_keys[] = {"durability", NULL};
/* In the order messages list them; durability_values maps them to the enum. */
static const char *const durability_names[] = {"always", "batch", "off", NULL};
static const th_durability durability_values[] = {TH_DURABILITY_ALWAYS, TH_DURABILITY_BATCH,
                                                  TH_DURABILITY_OFF};

/* [runtime]: how this actor's chain is persisted (docs/storage.md). */
static int read_runtime(reader *r, const toml_kv *kv)
{
    const toml_value *t = kv->value;
    if (check_kind(r, "runtime", t, TOML_TABLE))
        return -1;
    for (size_t i = 0; i < t->tab.len; i++) {
        const toml_kv *item = &t->tab.items[i];
        const toml_value *v = item->value;
        if (strcmp(item->key, "durability") != 0)
            return fail_unknown_key(r, item, "[runtime]", runtime_keys);
        int d;
        if (read_choice(r, "durability", v, durability_names, &d))
            return -1;
        r->m->has_durability = true;
        r->m->durability = durability_values[d];
    }
    return 0;
}

/* ---- Handlers --------------------------------------------------------------- */

static int check_string_choice(reader *r, const config_key *key, const toml_value *v)
{
    if (!key->choices || find_choice(v, key->choices) >= 0)
        return 0;
    return fail_choice(r, key->name, v, key->choices);
}

static int check_string_array(reader *r, const char *key, const toml_value *v)
{
    if (v->kind != TOML_ARRAY)
        return fail_at(r, v->line, v->col, "'%s' must be an array of strings, found %s", key,
                       toml_kind_name(v->kind));
    for (size_t i = 0; i < v->arr.len; i++) {
        const toml_value *item = v->arr.items[i];
        if (item->kind != TOML_STRING)
            return fail_at(r, item->line, item->col, "'%s' must contain only strings, found %s",
                           key, toml_kind_name(item->kind));
        if (item->str.len == 0 || strlen(item->str.ptr) != item->str.len)
            return fail_at(r, item->line, item->col,
                           "'%s' must not contain empty strings or U+0000", key);
    }
    return 0;
}

static int check_config_value(reader *r, const config_key *key, const toml_value *v)
{
    switch (key->type) {
    case CONFIG_STRING:
        if (check_plain_string(r, key->name, v))
            return -1;
        return check_string_choice(r, key, v);
    case CONFIG_INTEGER:
        return check_integer_range(r, key->name, v, key->min, key->max);
    case CONFIG_STRING_ARRAY:
        return check_string_array(r, key->name, v);
    }
    return 0;
}

static const config_key *find_config_key(const config_key *keys, const char *name)
{
    for (size_t i = 0; keys[i].name; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

/* config may be NULL (absent); entry is the [[handlers]] table, for positions. */
static int check_handler_config(reader *r, th_handler_type type, const toml_value *config,
                                const toml_value *entry)
{
    const config_key *keys = handler_configs[type];
    char where[96];
    snprintf(where, sizeof where, keys[0].name ? "the %s config" : "the %s config (it takes none)",
             th_handler_type_name(type));
    for (size_t i = 0; config && i < config->tab.len; i++) {
        const toml_kv *item = &config->tab.items[i];
        const config_key *key = find_config_key(keys, item->key);
        if (!key) {
            const char *names[CONFIG_MAX_KEYS + 1] = {NULL};
            for (size_t k = 0; keys[k].name && k < CONFIG_MAX_KEYS; k++)
                names[k] = keys[k].name;
            return fail_unknown_key(r, item, where, names);
        }
        if (check_config_value(r, key, item->value))
            return -1;
    }
    for (size_t k = 0; keys[k].name; k++) {
        if (!keys[k].required || (config && toml_table_get(config, keys[k].name)))
            continue;
        const toml_value *at = config ? config : entry;
        return fail_at(r, at->line, at->col, "missing required key '%s' in %s", keys[k].name,
                       where);
    }
    return 0;
}

static int read_handler_type(reader *r, const toml_value *v, th_handler_type *type)
{
    if (check_kind(r, "type", v, TOML_STRING))
        return -1;
    for (int t = 0; t < TH_HANDLER_COUNT; t++) {
        if (strcmp(v->str.ptr, handler_type_names[t]) == 0 && strlen(v->str.ptr) == v->str.len) {
            *type = (th_handler_type)t;
            return 0;
        }
    }
    th_buf shown = TH_BUF_INIT, hint = TH_BUF_INIT;
    const char *suggestion = th_suggest(v->str.ptr, handler_type_names);
    if (suggestion) {
        th_buf_printf(&hint, "did you mean '%s'?", suggestion);
    } else {
        th_buf_append_str(&hint, "known types:");
        for (int t = 0; t < TH_HANDLER_COUNT; t++)
            th_buf_printf(&hint, "%s %s", t ? "," : "", handler_type_names[t]);
    }
    fail_at(r, v->line, v->col, "unknown handler type '%s' (%s)",
            display(&shown, v->str.ptr, v->str.len), th_buf_cstr(&hint));
    th_buf_free(&shown);
    th_buf_free(&hint);
    return -1;
}

static const char *const handler_keys[] = {"type", "config", NULL};

static int read_handler(reader *r, const toml_value *entry, th_handler_grant *grant)
{
    if (entry->kind != TOML_TABLE)
        return fail_at(r, entry->line, entry->col,
                       "each entry of 'handlers' must be a table, found %s",
                       toml_kind_name(entry->kind));
    const toml_value *type_value = NULL, *config = NULL;
    for (size_t i = 0; i < entry->tab.len; i++) {
        const toml_kv *item = &entry->tab.items[i];
        if (strcmp(item->key, "type") == 0)
            type_value = item->value;
        else if (strcmp(item->key, "config") == 0)
            config = item->value;
        else
            return fail_unknown_key(r, item, "a [[handlers]] entry", handler_keys);
    }
    if (!type_value)
        return fail_at(r, entry->line, entry->col,
                       "missing required key 'type' in a [[handlers]] entry");
    if (read_handler_type(r, type_value, &grant->type))
        return -1;
    if (config && check_kind(r, "config", config, TOML_TABLE))
        return -1;
    if (check_handler_config(r, grant->type, config, entry))
        return -1;
    grant->config = config;
    grant->line = entry->line;
    grant->col = entry->col;
    return 0;
}

static int read_handlers(reader *r, const toml_kv *kv)
{
    const toml_value *v = kv->value;
    if (v->kind != TOML_ARRAY)
        return fail_at(r, v->line, v->col,
                       "'handlers' must be an array of tables ([[handlers]]), found %s",
                       toml_kind_name(v->kind));
    th_manifest *m = r->m;
    m->handlers = th_xcalloc(v->arr.len, sizeof *m->handlers);
    for (size_t i = 0; i < v->arr.len; i++) {
        th_handler_grant *grant = &m->handlers[i];
        if (read_handler(r, v->arr.items[i], grant))
            return -1;
        const th_handler_grant *first = th_manifest_grant(m, grant->type);
        if (first)
            return fail_at(r, grant->line, grant->col,
                           "handler '%s' is listed twice (at %d:%d and %d:%d)",
                           th_handler_type_name(grant->type), first->line, first->col, grant->line,
                           grant->col);
        m->n_handlers++;
    }
    return 0;
}

/* ---- Supervision ------------------------------------------------------------ */

/* Each list is in the order of its enum in manifest.h, so an index is a value. */
static const char *const strategy_names[] = {"one-for-one", "one-for-all", "rest-for-one", NULL};
static const char *const restart_names[] = {"permanent", "transient", "temporary", NULL};
static const char *const restart_from_names[] = {"last-state", "init", NULL};

static int read_restart(reader *r, const toml_value *v, th_restart *restart)
{
    int choice;
    if (read_choice(r, "restart", v, restart_names, &choice))
        return -1;
    *restart = (th_restart)choice;
    return 0;
}

static const char *const supervisor_keys[] = {"strategy", "intensity",    "period",
                                              "restart",  "restart_from", NULL};

static int read_supervisor_key(reader *r, const toml_kv *item, th_supervisor_spec *spec)
{
    const toml_value *v = item->value;
    int choice;
    if (strcmp(item->key, "strategy") == 0) {
        if (read_choice(r, "strategy", v, strategy_names, &choice))
            return -1;
        spec->strategy = (th_strategy)choice;
    } else if (strcmp(item->key, "intensity") == 0) {
        if (check_integer_range(r, "intensity", v, 0, 1000000))
            return -1;
        spec->intensity = (uint32_t)v->i;
    } else if (strcmp(item->key, "period") == 0) {
        if (check_integer_range(r, "period", v, 1, 86400))
            return -1;
        spec->period_s = (uint32_t)v->i;
    } else if (strcmp(item->key, "restart") == 0) {
        return read_restart(r, v, &spec->restart);
    } else if (strcmp(item->key, "restart_from") == 0) {
        if (read_choice(r, "restart_from", v, restart_from_names, &choice))
            return -1;
        spec->restart_from = (th_restart_from)choice;
    } else {
        return fail_unknown_key(r, item, "[supervisor]", supervisor_keys);
    }
    return 0;
}

/* [supervisor]: the defaults are already in place (see set_defaults) except
 * `restart`, which is permanent only for an actor that asks to supervise. */
static int read_supervisor(reader *r, const toml_kv *kv)
{
    const toml_value *t = kv->value;
    if (check_kind(r, "supervisor", t, TOML_TABLE))
        return -1;
    th_supervisor_spec *spec = &r->m->supervisor;
    spec->restart = TH_RESTART_PERMANENT;
    for (size_t i = 0; i < t->tab.len; i++)
        if (read_supervisor_key(r, &t->tab.items[i], spec))
            return -1;
    r->m->has_supervisor = true;
    return 0;
}

static const char *const child_keys[] = {"manifest", "restart", "initial_state", NULL};

/* One [[children]] entry. The child's manifest is only resolved here, not
 * opened: the runtime loads it when it spawns the child. */
static int read_child(reader *r, const toml_value *entry, th_child_spec *child)
{
    if (entry->kind != TOML_TABLE)
        return fail_at(r, entry->line, entry->col,
                       "each entry of 'children' must be a table, found %s",
                       toml_kind_name(entry->kind));
    child->restart = TH_RESTART_PERMANENT;
    child->line = entry->line;
    child->col = entry->col;
    for (size_t i = 0; i < entry->tab.len; i++) {
        const toml_kv *item = &entry->tab.items[i];
        const toml_value *v = item->value;
        if (strcmp(item->key, "manifest") == 0) {
            if (check_plain_string(r, "manifest", v))
                return -1;
            child->manifest = resolve_path(r->m->dir, v->str.ptr);
        } else if (strcmp(item->key, "restart") == 0) {
            if (read_restart(r, v, &child->restart))
                return -1;
        } else if (strcmp(item->key, "initial_state") == 0) {
            if (read_json_string(r, "initial_state", v, &child->initial_state,
                                 &child->initial_state_len))
                return -1;
            child->has_initial_state = true;
        } else {
            return fail_unknown_key(r, item, "a [[children]] entry", child_keys);
        }
    }
    if (!child->manifest)
        return fail_at(r, entry->line, entry->col,
                       "missing required key 'manifest' in a [[children]] entry");
    return 0;
}

static int read_children(reader *r, const toml_kv *kv)
{
    const toml_value *v = kv->value;
    if (v->kind != TOML_ARRAY)
        return fail_at(r, v->line, v->col,
                       "'children' must be an array of tables ([[children]]), found %s",
                       toml_kind_name(v->kind));
    th_manifest *m = r->m;
    m->children = th_xcalloc(v->arr.len, sizeof *m->children);
    for (size_t i = 0; i < v->arr.len; i++) {
        /* Counted before it is read, so that th_manifest_free releases
         * what a half-read entry already owns. */
        m->n_children++;
        if (read_child(r, v->arr.items[i], &m->children[i]))
            return -1;
    }
    return 0;
}

/* ---- The manifest ----------------------------------------------------------- */

typedef struct field {
    const char *name;
    int (*read)(reader *r, const toml_kv *kv);
} field;

static const field fields[] = {
    {"name", read_name},
    {"version", read_version},
    {"description", read_description},
    {"package", read_package},
    {"initial_state", read_initial_state},
    {"initial_state_file", read_initial_state_file},
    {"limits", read_limits},
    {"runtime", read_runtime},
    {"handlers", read_handlers},
    {"supervisor", read_supervisor},
    {"children", read_children},
};
#define N_FIELDS (sizeof fields / sizeof fields[0])

/* Reads the top-level keys in document order, so that the first mistake
 * in the file is the one reported. */
static int read_fields(reader *r)
{
    const toml_value *doc = r->m->doc;
    for (size_t i = 0; i < doc->tab.len; i++) {
        const toml_kv *kv = &doc->tab.items[i];
        size_t f = 0;
        while (f < N_FIELDS && strcmp(fields[f].name, kv->key) != 0)
            f++;
        if (f == N_FIELDS) {
            const char *names[N_FIELDS + 1];
            for (size_t k = 0; k < N_FIELDS; k++)
                names[k] = fields[k].name;
            names[N_FIELDS] = NULL;
            return fail_unknown_key(r, kv, "the manifest", names);
        }
        if (fields[f].read(r, kv))
            return -1;
    }
    return 0;
}

static int check_required(reader *r)
{
    const char *missing = !r->m->name      ? "name"
                          : !r->m->version ? "version"
                          : !r->m->package ? "package"
                                           : NULL;
    if (!missing)
        return 0;
    return th_error_set(r->err, "%s: missing required key '%s'", r->file, missing);
}

/* What every optional key means when it is absent. */
static void set_defaults(th_manifest *m)
{
    m->limits.memory_bytes = (uint64_t)TH_DEFAULT_MEMORY_MB << 20;
    m->limits.fuel = TH_DEFAULT_FUEL;
    m->limits.time_ms = TH_DEFAULT_TIME_MS;
    m->limits.mailbox = TH_DEFAULT_MAILBOX;
    /* Without [supervisor] an actor is only told when a child it spawned
     * exits: such children are temporary, never restarted behind its back. */
    m->supervisor = (th_supervisor_spec){
        .strategy = TH_STRATEGY_ONE_FOR_ONE,
        .intensity = TH_DEFAULT_INTENSITY,
        .period_s = TH_DEFAULT_PERIOD_S,
        .restart = TH_RESTART_TEMPORARY,
        .restart_from = TH_RESTART_FROM_LAST_STATE,
    };
}

th_manifest *th_manifest_parse(const char *text, size_t len, const char *path, th_error *err)
{
    const char *file = path ? path : "<manifest>";
    toml_value *doc = toml_parse(text, len, file, err);
    if (!doc)
        return NULL;
    th_manifest *m = th_xcalloc(1, sizeof *m);
    m->doc = doc;
    m->text = th_xstrndup(text, len); /* toml_parse refused any NUL in it */
    m->path = path ? th_xstrdup(path) : NULL;
    m->dir = directory_of(path);
    set_defaults(m);
    reader r = {.file = file, .err = err, .m = m};
    if (read_fields(&r) || check_required(&r)) {
        th_manifest_free(m);
        return NULL;
    }
    return m;
}

th_manifest *th_manifest_load(const char *path, th_error *err)
{
    if (!path) {
        th_error_set(err, "no manifest path given");
        return NULL;
    }
    th_buf text = TH_BUF_INIT;
    if (th_read_file(path, MANIFEST_MAX_BYTES, &text) != 0) {
        if (errno == EFBIG)
            th_error_set(err, "manifest '%s' is larger than 1 MiB", path);
        else
            th_error_set(err, "cannot read manifest '%s': %s", path, strerror(errno));
        th_buf_free(&text);
        return NULL;
    }
    th_manifest *m = th_manifest_parse((const char *)text.data, text.len, path, err);
    th_buf_free(&text);
    return m;
}

void th_manifest_free(th_manifest *m)
{
    if (!m)
        return;
    free(m->text);
    free(m->path);
    free(m->dir);
    free(m->name);
    free(m->version);
    free(m->description);
    free(m->package);
    free(m->initial_state);
    free(m->handlers);
    for (size_t i = 0; i < m->n_children; i++) {
        free(m->children[i].manifest);
        free(m->children[i].initial_state);
    }
    free(m->children);
    toml_free(m->doc);
    free(m);
}

const char *th_manifest_name(const th_manifest *m)
{
    return m ? m->name : NULL;
}

const th_handler_grant *th_manifest_grant(const th_manifest *m, th_handler_type type)
{
    if (!m)
        return NULL;
    for (size_t i = 0; i < m->n_handlers; i++)
        if (m->handlers[i].type == type)
            return &m->handlers[i];
    return NULL;
}

bool th_manifest_grants(const th_manifest *m, th_handler_type type)
{
    return type == TH_HANDLER_RUNTIME || th_manifest_grant(m, type) != NULL;
}
