/* Placeholder until this capability is written (issue 6): every function
 * traps with a clear message. */
#include "common/error.h"
#include "handlers/handlers.h"

int th_host_env_get_var(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                        th_error *err)
{
    (void)actor;
    (void)params;
    (void)a;
    (void)result;
    return th_error_set(err, "get-var is not served by this version yet");
}

int th_host_env_exists(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                       th_error *err)
{
    (void)actor;
    (void)params;
    (void)a;
    (void)result;
    return th_error_set(err, "exists is not served by this version yet");
}

int th_host_env_list_vars(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                          th_error *err)
{
    (void)actor;
    (void)params;
    (void)a;
    (void)result;
    return th_error_set(err, "list-vars is not served by this version yet");
}
