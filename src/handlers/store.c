/* theater:simple/store: granted by [[handlers]] type = "store", served from
 * the data directory's database (store/content.c).
 *
 * What an actor can get wrong (an unknown hash, a missing label, a
 * malformed content-ref) is answered with err(string): the actor decides
 * what to do. A database that fails to commit is a host failure instead
 * (the call traps), so that an actor never goes on believing a write
 * happened that did not. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/hex.h"
#include "handlers/handlers.h"
#include "runtime/actor.h"

enum { HASH_DIGITS = 2 * TH_HASH_SIZE };

/* ---- The actor's store ------------------------------------------------------- */

/* The manifest's `name`, or "default". The manifest checked it is a string. */
static const char *store_name(const th_actor *actor)
{
    const th_handler_grant *g = th_manifest_grant(actor->manifest, TH_HANDLER_STORE);
    const toml_value *name = g && g->config ? toml_table_get(g->config, "name") : NULL;
    return name && name->kind == TOML_STRING ? name->str.ptr : "default";
}

/* The actor's read connection, opened at its first read. */
static th_db_reader *reader(th_actor *actor, th_error *err)
{
    if (!actor->store_reader)
        actor->store_reader = th_db_reader_open(actor->db, err);
    return actor->store_reader;
}

/* ---- Results ------------------------------------------------------------------------ */

/* Answers err(message) and returns 0: the call itself succeeded. The
 * message is formatted straight into the call's arena. */
static int __attribute__((format(printf, 3, 4)))
answer_err(th_arena *a, th_val **result, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) { /* only for a format the compiler already checked */
        va_end(again);
        *result = th_val_err(a, th_val_string(a, fmt, strlen(fmt)));
        return 0;
    }
    char *text = th_arena_alloc(a, (size_t)n + 1);
    vsnprintf(text, (size_t)n + 1, fmt, again);
    va_end(again);
    *result = th_val_err(a, th_val_string(a, text, (size_t)n));
    return 0;
}

/* A database read failed: the actor is told why (nothing was written). */
static int answer_db_err(th_arena *a, th_val **result, const th_error *err)
{
    return answer_err(a, result, "the store cannot be read: %s", err->msg);
}

/* content-ref { hash: string } */
static th_val *content_ref(th_arena *a, const uint8_t hash[TH_HASH_SIZE])
{
    char hex[HASH_DIGITS + 1];
    th_hex_encode(hash, TH_HASH_SIZE, hex);
    th_val *ref = th_val_tuple(a, 1);
    ref->list.items[0] = *th_val_string(a, hex, HASH_DIGITS);
    return ref;
}

/* ---- Params --------------------------------------------------------------------------- */

/* A hash as a content-ref carries it: exactly 64 lowercase hex digits, the
 * one spelling store answers with (so one hash has one spelling). */
static bool parse_ref(const th_val *ref, uint8_t hash[TH_HASH_SIZE])
{
    const th_val *text = &ref->list.items[0];
    if (text->bytes.len != HASH_DIGITS)
        return false;
    const char *p = (const char *)text->bytes.ptr;
    return th_hex_is_lower(p, HASH_DIGITS) && th_hex_decode(p, TH_HASH_SIZE, hash) == 0;
}

static int bad_ref(th_arena *a, th_val **result, const th_val *ref)
{
    const th_val *text = &ref->list.items[0];
    return answer_err(
        a, result, "content-ref hash '%.*s' is not a SHA-256 in lowercase hex (64 digits)",
        (int)(text->bytes.len > 80 ? 80 : text->bytes.len), (const char *)text->bytes.ptr);
}

/* A label as a NUL-terminated string in the arena, or NULL (with an err
 * answer) when it cannot be one: empty, or holding a NUL. */
static const char *take_label(th_arena *a, const th_val *v, th_val **result)
{
    if (v->bytes.len == 0) {
        answer_err(a, result, "a label cannot be empty");
        return NULL;
    }
    if (memchr(v->bytes.ptr, 0, v->bytes.len)) {
        answer_err(a, result, "a label cannot contain a NUL character");
        return NULL;
    }
    char *label = th_arena_alloc(a, v->bytes.len + 1);
    memcpy(label, v->bytes.ptr, v->bytes.len);
    label[v->bytes.len] = '\0';
    return label;
}

static int no_content(th_arena *a, th_val **result, const uint8_t hash[TH_HASH_SIZE],
                      const char *store)
{
    char hex[HASH_DIGITS + 1];
    th_hex_encode(hash, TH_HASH_SIZE, hex);
    return answer_err(a, result, "no content %s in store '%s'", hex, store);
}

/* ---- Writes ----------------------------------------------------------------------------- */

/* Waits for the write to commit, so the actor's next read sees it. A
 * failure is the host's (-1: the call traps). */
static int settle(th_actor *actor, th_error *err)
{
    if (th_db_sync(actor->db, err) != 0) {
        th_error_wrap(err, "the store could not save a write");
        return -1;
    }
    return 0;
}

static int put(th_actor *actor, const th_val *content, uint8_t hash[TH_HASH_SIZE], th_error *err)
{
    th_db_put_content(actor->db, store_name(actor), content->bytes.ptr, content->bytes.len, hash);
    return settle(actor, err);
}

/* 1 when the actor's store holds hash; 0 (with an err answer) when not or
 * when it cannot be read. */
static int holds(th_actor *actor, th_arena *a, const uint8_t hash[TH_HASH_SIZE], th_val **result)
{
    th_error rerr = {0};
    th_db_reader *r = reader(actor, &rerr);
    int found = r ? th_db_content_exists(r, store_name(actor), hash, &rerr) : -1;
    if (found < 0)
        answer_db_err(a, result, &rerr);
    else if (found == 0)
        no_content(a, result, hash, store_name(actor));
    return found == 1;
}

/* Where the label points now: 1 found, 0 absent, -1 unreadable (answered). */
static int find_label(th_actor *actor, th_arena *a, const char *label, uint8_t hash[TH_HASH_SIZE],
                      th_val **result)
{
    th_error rerr = {0};
    th_db_reader *r = reader(actor, &rerr);
    int found = r ? th_db_get_label(r, store_name(actor), label, hash, &rerr) : -1;
    if (found < 0)
        answer_db_err(a, result, &rerr);
    return found;
}

/* ---- The host functions ------------------------------------------------------------------ */

int th_host_store_store(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                        th_error *err)
{
    uint8_t hash[TH_HASH_SIZE];
    if (put(actor, &params->list.items[0], hash, err) != 0)
        return -1;
    *result = th_val_ok(a, content_ref(a, hash));
    return 0;
}

int th_host_store_get(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                      th_error *err)
{
    (void)err;
    uint8_t hash[TH_HASH_SIZE];
    if (!parse_ref(&params->list.items[0], hash))
        return bad_ref(a, result, &params->list.items[0]);
    th_error rerr = {0};
    th_db_reader *r = reader(actor, &rerr);
    uint8_t *bytes = NULL;
    size_t len = 0;
    int found = r ? th_db_get_content(r, store_name(actor), hash, &bytes, &len, &rerr) : -1;
    if (found < 0)
        return answer_db_err(a, result, &rerr);
    if (found == 0)
        return no_content(a, result, hash, store_name(actor));
    *result = th_val_ok(a, th_val_bytes(a, bytes, len));
    free(bytes);
    return 0;
}

int th_host_store_exists(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                         th_error *err)
{
    (void)err;
    uint8_t hash[TH_HASH_SIZE];
    if (!parse_ref(&params->list.items[0], hash))
        return bad_ref(a, result, &params->list.items[0]);
    th_error rerr = {0};
    th_db_reader *r = reader(actor, &rerr);
    int found = r ? th_db_content_exists(r, store_name(actor), hash, &rerr) : -1;
    if (found < 0)
        return answer_db_err(a, result, &rerr);
    th_val *b = th_val_new(a, TH_VAL_BOOL);
    b->b = found == 1;
    *result = th_val_ok(a, b);
    return 0;
}

/* Points a label at content the store holds; must_exist: only a label
 * that is already there (replace-at-label). */
static int set_label(th_actor *actor, const th_val *params, bool must_exist, th_arena *a,
                     th_val **result, th_error *err)
{
    const char *label = take_label(a, &params->list.items[0], result);
    if (!label)
        return 0;
    uint8_t hash[TH_HASH_SIZE], old[TH_HASH_SIZE];
    if (!parse_ref(&params->list.items[1], hash))
        return bad_ref(a, result, &params->list.items[1]);
    if (!holds(actor, a, hash, result))
        return 0;
    if (must_exist) {
        int found = find_label(actor, a, label, old, result);
        if (found < 0)
            return 0;
        if (found == 0)
            return answer_err(a, result, "label '%s' not found in store '%s'", label,
                              store_name(actor));
    }
    th_db_set_label(actor->db, store_name(actor), label, hash);
    if (settle(actor, err) != 0)
        return -1;
    *result = th_val_ok(a, NULL);
    return 0;
}

int th_host_store_label(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                        th_error *err)
{
    return set_label(actor, params, false, a, result, err);
}

int th_host_store_replace_at_label(th_actor *actor, const th_val *params, th_arena *a,
                                   th_val **result, th_error *err)
{
    return set_label(actor, params, true, a, result, err);
}

int th_host_store_get_by_label(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                               th_error *err)
{
    (void)err;
    const char *label = take_label(a, &params->list.items[0], result);
    if (!label)
        return 0;
    uint8_t hash[TH_HASH_SIZE];
    int found = find_label(actor, a, label, hash, result);
    if (found < 0)
        return 0;
    *result = th_val_ok(a, th_val_option(a, found ? content_ref(a, hash) : NULL));
    return 0;
}

int th_host_store_store_at_label(th_actor *actor, const th_val *params, th_arena *a,
                                 th_val **result, th_error *err)
{
    const char *label = take_label(a, &params->list.items[0], result);
    if (!label)
        return 0;
    uint8_t hash[TH_HASH_SIZE];
    /* One sync for both. The writer applies items in order, so the label
     * is never committed without its content. */
    th_db_put_content(actor->db, store_name(actor), params->list.items[1].bytes.ptr,
                      params->list.items[1].bytes.len, hash);
    th_db_set_label(actor->db, store_name(actor), label, hash);
    if (settle(actor, err) != 0)
        return -1;
    *result = th_val_ok(a, content_ref(a, hash));
    return 0;
}

int th_host_store_remove_label(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                               th_error *err)
{
    const char *label = take_label(a, &params->list.items[0], result);
    if (!label)
        return 0;
    uint8_t hash[TH_HASH_SIZE];
    int found = find_label(actor, a, label, hash, result);
    if (found < 0)
        return 0;
    if (found == 0)
        return answer_err(a, result, "label '%s' not found in store '%s'", label,
                          store_name(actor));
    th_db_remove_label(actor->db, store_name(actor), label);
    if (settle(actor, err) != 0)
        return -1;
    *result = th_val_ok(a, NULL);
    return 0;
}

/* Collects listed items into a growable array of values in the arena. */
typedef struct collector {
    th_arena *a;
    th_val *items;
    size_t len, cap;
} collector;

static th_val *next_slot(collector *c)
{
    if (c->len == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        th_val *items = th_arena_alloc(c->a, cap * sizeof *items);
        if (c->len)
            memcpy(items, c->items, c->len * sizeof *items);
        c->items = items;
        c->cap = cap;
    }
    return &c->items[c->len++];
}

static int collect_label(void *ud, const char *label, size_t len)
{
    collector *c = ud;
    *next_slot(c) = *th_val_string(c->a, label, len);
    return 0;
}

static int collect_hash(void *ud, const uint8_t hash[TH_HASH_SIZE])
{
    collector *c = ud;
    *next_slot(c) = *content_ref(c->a, hash);
    return 0;
}

static th_val *list_of(collector *c)
{
    th_val *list = th_val_new(c->a, TH_VAL_LIST);
    list->list.items = c->items;
    list->list.len = c->len;
    return list;
}

int th_host_store_list_labels(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                              th_error *err)
{
    (void)params;
    (void)err;
    collector c = {.a = a};
    th_error rerr = {0};
    th_db_reader *r = reader(actor, &rerr);
    if (!r || th_db_list_labels(r, store_name(actor), collect_label, &c, &rerr) != 0)
        return answer_db_err(a, result, &rerr);
    *result = th_val_ok(a, list_of(&c));
    return 0;
}

int th_host_store_list_all_content(th_actor *actor, const th_val *params, th_arena *a,
                                   th_val **result, th_error *err)
{
    (void)params;
    (void)err;
    collector c = {.a = a};
    th_error rerr = {0};
    th_db_reader *r = reader(actor, &rerr);
    if (!r || th_db_list_content(r, store_name(actor), collect_hash, &c, &rerr) != 0)
        return answer_db_err(a, result, &rerr);
    *result = th_val_ok(a, list_of(&c));
    return 0;
}

int th_host_store_calculate_total_size(th_actor *actor, const th_val *params, th_arena *a,
                                       th_val **result, th_error *err)
{
    (void)params;
    (void)err;
    uint64_t total = 0;
    th_error rerr = {0};
    th_db_reader *r = reader(actor, &rerr);
    if (!r || th_db_content_size(r, store_name(actor), &total, &rerr) != 0)
        return answer_db_err(a, result, &rerr);
    *result = th_val_ok(a, th_val_u64(a, TH_VAL_U64, total));
    return 0;
}
