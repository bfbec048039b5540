/* theater:simple/message-server-host: granted by [[handlers]] type =
 * "message-server". This process runs one actor at a time (`theater run`),
 * so there is never another actor to reach: every call answers with an
 * error naming the missing actor, recorded like any other host call. */
#include <string.h>

#include "common/buf.h"
#include "handlers/handlers.h"
#include "runtime/actor.h"

static int not_running(th_arena *a, const th_val *target, const char *what, th_val **result)
{
    th_buf msg = TH_BUF_INIT;
    th_buf_printf(&msg, "%s '%.*s' is not running in this runtime", what, (int)target->bytes.len,
                  (const char *)target->bytes.ptr);
    *result = th_val_err(a, th_val_string(a, (const char *)msg.data, msg.len));
    th_buf_free(&msg);
    return 0;
}

int th_host_message_send(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                         th_error *err)
{
    (void)actor;
    (void)err;
    return not_running(a, &params->list.items[0], "actor", result);
}

int th_host_message_request(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                            th_error *err)
{
    (void)actor;
    (void)err;
    return not_running(a, &params->list.items[0], "actor", result);
}

int th_host_message_open_channel(th_actor *actor, const th_val *params, th_arena *a,
                                 th_val **result, th_error *err)
{
    (void)actor;
    (void)err;
    return not_running(a, &params->list.items[0], "actor", result);
}

int th_host_message_send_on_channel(th_actor *actor, const th_val *params, th_arena *a,
                                    th_val **result, th_error *err)
{
    (void)actor;
    (void)err;
    return not_running(a, &params->list.items[0], "channel", result);
}

int th_host_message_close_channel(th_actor *actor, const th_val *params, th_arena *a,
                                  th_val **result, th_error *err)
{
    (void)actor;
    (void)err;
    return not_running(a, &params->list.items[0], "channel", result);
}
