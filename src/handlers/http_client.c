/* Placeholder until this capability is written (issue 6): every function
 * traps with a clear message. */
#include "common/error.h"
#include "handlers/handlers.h"

int th_host_http_client_send(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                             th_error *err)
{
    (void)actor;
    (void)params;
    (void)a;
    (void)result;
    return th_error_set(err, "send-http is not served by this version yet");
}
