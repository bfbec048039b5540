/* theater:simple/runtime: always granted. */
#include <string.h>

#include "handlers/handlers.h"
#include "runtime/actor.h"

bool th_handler_served(th_handler_type type)
{
    return (unsigned)type < TH_HANDLER_COUNT;
}

int th_host_runtime_log(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                        th_error *err)
{
    (void)a;
    (void)err;
    const th_val *msg = &params->list.items[0];
    actor->engine->log(actor->engine->log_userdata, actor->id, actor->manifest->name,
                       (const char *)msg->bytes.ptr, msg->bytes.len);
    *result = NULL;
    return 0;
}

int th_host_runtime_id(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                       th_error *err)
{
    (void)params;
    (void)err;
    *result = th_val_string(a, actor->id, strlen(actor->id));
    return 0;
}

/* Takes effect when the current call returns, so the call's own events and
 * its new state are recorded before the stop. */
int th_host_runtime_shutdown(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                             th_error *err)
{
    (void)err;
    const th_val *data = &params->list.items[0];
    actor->shutdown_requested = true;
    th_buf_reset(&actor->exit_data);
    actor->has_exit_data = data->var.disc == 1;
    if (actor->has_exit_data)
        th_buf_append(&actor->exit_data, data->var.payload->bytes.ptr,
                      data->var.payload->bytes.len);
    *result = th_val_ok(a, NULL);
    return 0;
}
