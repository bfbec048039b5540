/* Placeholder until this capability is written (issue 6): every function
 * traps with a clear message. */
#include "common/error.h"
#include "handlers/handlers.h"

int th_host_random_bytes(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                         th_error *err)
{
    (void)actor;
    (void)params;
    (void)a;
    (void)result;
    return th_error_set(err, "random-bytes is not served by this version yet");
}

int th_host_random_u64(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                       th_error *err)
{
    (void)actor;
    (void)params;
    (void)a;
    (void)result;
    return th_error_set(err, "random-u64 is not served by this version yet");
}
