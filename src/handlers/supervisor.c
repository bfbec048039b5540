/* theater:simple/supervisor: granted by [[handlers]] type = "supervisor".
 * These run in the supervisor's turn, with its lock held; a child's lock is
 * taken after it (parent first, the only order two cell locks are held in).
 * Stops and restarts are orders the child carries out in its own turn. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "common/error.h"
#include "handlers/handlers.h"
#include "runtime/runtime.h"

/* The calling supervisor's child by id, or an error result. */
static th_cell *child_of(th_actor *actor, const th_val *id, th_arena *a, th_val **result)
{
    th_cell *child =
        actor->cell ? th_cell_find_child(actor->cell, (const char *)id->bytes.ptr, id->bytes.len)
                    : NULL;
    if (!child)
        th_host_err(a, result, "'%.*s' is not a child of this actor",
                    (int)(id->bytes.len > 64 ? 64 : id->bytes.len), (const char *)id->bytes.ptr);
    return child;
}

/* A relative manifest path is resolved against the supervisor's own
 * manifest's directory, as package paths are. */
static char *resolve(const th_manifest *m, const char *path)
{
    th_buf b = TH_BUF_INIT;
    if (path[0] == '/' || !m->dir || !m->dir[0])
        th_buf_printf(&b, "%s", path);
    else
        th_buf_printf(&b, "%s/%s", m->dir, path);
    char *out = th_xstrdup(th_buf_cstr(&b));
    th_buf_free(&b);
    return out;
}

int th_host_supervisor_spawn(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                             th_error *err)
{
    (void)err;
    if (!actor->cell)
        return th_host_err(a, result, "spawning needs a runtime: this actor runs on its own");
    const th_val *path = &params->list.items[0];
    const th_val *state = &params->list.items[1];
    if (memchr(path->bytes.ptr, '\0', path->bytes.len))
        return th_host_err(a, result, "the manifest path contains a NUL byte");
    char *given = th_xmemdup(path->bytes.ptr, path->bytes.len + 1);
    given[path->bytes.len] = '\0';
    char *resolved = resolve(actor->manifest, given);
    free(given);
    th_error e;
    th_manifest *m = th_manifest_load(resolved, &e);
    free(resolved);
    if (!m)
        return th_host_err(a, result, "%s", e.msg);
    const th_val *bytes = state->var.disc == 1 ? state->var.payload : NULL;
    th_cell *parent = actor->cell;
    th_cell *child = th_runtime_spawn_cell(parent->rt, m, bytes ? bytes->bytes.ptr : NULL,
                                           bytes ? bytes->bytes.len : 0, bytes != NULL, parent,
                                           parent->manifest->supervisor.restart, &e);
    if (!child)
        return th_host_err(a, result, "%s", e.msg);
    *result = th_val_ok(a, th_val_string(a, child->id, 32));
    return 0;
}

int th_host_supervisor_list_children(th_actor *actor, const th_val *params, th_arena *a,
                                     th_val **result, th_error *err)
{
    (void)params;
    (void)err;
    th_cell *cell = actor->cell;
    size_t n = cell ? cell->n_children : 0;
    th_val *list = th_val_new(a, TH_VAL_LIST);
    list->list.items = th_arena_alloc(a, (n ? n : 1) * sizeof(th_val));
    list->list.len = n;
    for (size_t i = 0; i < n; i++)
        list->list.items[i] = *th_val_string(a, cell->children[i]->id, 32);
    *result = list;
    return 0;
}

int th_host_supervisor_stop_child(th_actor *actor, const th_val *params, th_arena *a,
                                  th_val **result, th_error *err)
{
    (void)err;
    th_cell *child = child_of(actor, &params->list.items[0], a, result);
    if (!child)
        return 0;
    th_cell_remove_child(actor->cell, child);
    th_cell_order_stop(child, TH_EXIT_PARENT, NULL);
    *result = th_val_ok(a, NULL);
    return 0;
}

int th_host_supervisor_restart_child(th_actor *actor, const th_val *params, th_arena *a,
                                     th_val **result, th_error *err)
{
    (void)err;
    th_cell *child = child_of(actor, &params->list.items[0], a, result);
    if (!child)
        return 0;
    th_cell_order_restart(child, actor->manifest->supervisor.restart_from, NULL);
    *result = th_val_ok(a, NULL);
    return 0;
}

int th_host_supervisor_get_child_state(th_actor *actor, const th_val *params, th_arena *a,
                                       th_val **result, th_error *err)
{
    (void)err;
    th_cell *child = child_of(actor, &params->list.items[0], a, result);
    if (!child)
        return 0;
    pthread_mutex_lock(&child->lock);
    size_t len;
    bool present;
    const uint8_t *state = th_actor_state(child->actor, &len, &present);
    th_val *v = th_val_option(a, present ? th_val_bytes(a, state, len) : NULL);
    pthread_mutex_unlock(&child->lock);
    *result = th_val_ok(a, v);
    return 0;
}

static void event_value(th_arena *a, const th_event *ev, th_val *out)
{
    th_val *t = th_val_tuple(a, 5);
    t->list.items[0] = *th_val_bytes(a, ev->hash, TH_HASH_SIZE);
    t->list.items[1] =
        *th_val_option(a, ev->index ? th_val_bytes(a, ev->parent, TH_HASH_SIZE) : NULL);
    const char *type = th_event_type_name(ev->type);
    t->list.items[2] = *th_val_string(a, type, strlen(type));
    uint8_t *data = th_arena_alloc(a, ev->input_len + ev->output_len + 1);
    if (ev->input_len)
        memcpy(data, ev->input, ev->input_len);
    if (ev->output_len)
        memcpy(data + ev->input_len, ev->output, ev->output_len);
    th_val *bytes = th_val_new(a, TH_VAL_BYTES);
    bytes->bytes.ptr = data;
    bytes->bytes.len = ev->input_len + ev->output_len;
    t->list.items[3] = *bytes;
    t->list.items[4] = *th_val_u64(a, TH_VAL_U64, (uint64_t)ev->timestamp_ns);
    *out = *t;
}

int th_host_supervisor_get_child_events(th_actor *actor, const th_val *params, th_arena *a,
                                        th_val **result, th_error *err)
{
    (void)err;
    th_cell *child = child_of(actor, &params->list.items[0], a, result);
    if (!child)
        return 0;
    pthread_mutex_lock(&child->lock);
    const th_chain *chain = child->actor->chain;
    size_t n = th_chain_length(chain);
    th_val *list = th_val_new(a, TH_VAL_LIST);
    list->list.items = th_arena_alloc(a, (n ? n : 1) * sizeof(th_val));
    list->list.len = n;
    for (size_t i = 0; i < n; i++)
        event_value(a, th_chain_event(chain, i), &list->list.items[i]);
    pthread_mutex_unlock(&child->lock);
    *result = th_val_ok(a, list);
    return 0;
}
