/* theater:simple/environment: granted by [[handlers]] type = "environment"
 * with config `allow = ["HOME", ...]`.
 *
 * The actor sees only the variables its grant names: any other looks unset,
 * through every function, so an actor cannot even learn which variables
 * exist beyond its allow-list. What it reads is recorded by the executor,
 * so a replay sees the same values whatever the environment is then. */
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "handlers/handlers.h"
#include "manifest/toml.h"
#include "runtime/actor.h"

typedef struct env_var {
    const toml_value *name; /* the allow-list's entry: NUL-terminated */
    const char *value;
} env_var;

static const toml_value *allow_list(const th_actor *actor)
{
    const th_handler_grant *g = th_manifest_grant(actor->manifest, TH_HANDLER_ENVIRONMENT);
    const toml_value *allow = g && g->config ? toml_table_get(g->config, "allow") : NULL;
    return allow && allow->kind == TOML_ARRAY ? allow : NULL;
}

/* The allow-list's entry for this exact name, or NULL. */
static const toml_value *allowed_entry(const toml_value *allow, const void *name, size_t len)
{
    for (size_t i = 0; allow && i < allow->arr.len; i++) {
        const toml_value *v = allow->arr.items[i];
        if (v->kind == TOML_STRING && v->str.len == len && memcmp(v->str.ptr, name, len) == 0)
            return v;
    }
    return NULL;
}

/* The value of an allowed variable, or NULL. A name the C environment
 * cannot hold (empty, with '=' or NUL) is never set; neither is a variable
 * whose value is not UTF-8, which a WIT string cannot carry. */
static const char *value_of(const toml_value *entry)
{
    if (!entry || entry->str.len == 0 || memchr(entry->str.ptr, '\0', entry->str.len) ||
        memchr(entry->str.ptr, '=', entry->str.len))
        return NULL;
    const char *value = getenv(entry->str.ptr);
    if (!value || !th_utf8_valid((const uint8_t *)value, strlen(value)))
        return NULL;
    return value;
}

static const char *lookup(const th_actor *actor, const th_val *name)
{
    return value_of(allowed_entry(allow_list(actor), name->bytes.ptr, name->bytes.len));
}

int th_host_env_get_var(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                        th_error *err)
{
    (void)err;
    const char *value = lookup(actor, &params->list.items[0]);
    *result = th_val_option(a, value ? th_val_string(a, value, strlen(value)) : NULL);
    return 0;
}

int th_host_env_exists(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                       th_error *err)
{
    (void)err;
    th_val *v = th_val_new(a, TH_VAL_BOOL);
    v->b = lookup(actor, &params->list.items[0]) != NULL;
    *result = v;
    return 0;
}

static int compare_names(const void *x, const void *y)
{
    const toml_value *a = ((const env_var *)x)->name, *b = ((const env_var *)y)->name;
    size_t n = a->str.len < b->str.len ? a->str.len : b->str.len;
    int c = memcmp(a->str.ptr, b->str.ptr, n);
    return c ? c : (a->str.len > b->str.len) - (a->str.len < b->str.len);
}

/* The allowed variables that are set, sorted bytewise by name, each once
 * (an allow-list may name one twice). */
static size_t collect_vars(const toml_value *allow, env_var *out)
{
    size_t n = 0;
    for (size_t i = 0; allow && i < allow->arr.len; i++) {
        const toml_value *entry = allow->arr.items[i];
        const char *value = entry->kind == TOML_STRING ? value_of(entry) : NULL;
        if (value)
            out[n++] = (env_var){entry, value};
    }
    qsort(out, n, sizeof *out, compare_names);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++)
        if (unique == 0 || compare_names(&out[unique - 1], &out[i]) != 0)
            out[unique++] = out[i];
    return unique;
}

int th_host_env_list_vars(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                          th_error *err)
{
    (void)params;
    (void)err;
    const toml_value *allow = allow_list(actor);
    size_t cap = allow ? allow->arr.len : 0;
    env_var *vars = th_arena_alloc(a, (cap ? cap : 1) * sizeof *vars);
    size_t n = collect_vars(allow, vars);

    th_val *list = th_val_new(a, TH_VAL_LIST);
    list->list.items = th_arena_alloc(a, (n ? n : 1) * sizeof *list->list.items);
    list->list.len = n;
    for (size_t i = 0; i < n; i++) {
        th_val *pair = th_val_tuple(a, 2);
        pair->list.items[0] = *th_val_string(a, vars[i].name->str.ptr, vars[i].name->str.len);
        pair->list.items[1] = *th_val_string(a, vars[i].value, strlen(vars[i].value));
        list->list.items[i] = *pair;
    }
    *result = list;
    return 0;
}
