/* Placeholder until this capability is written (issue 6): every function
 * traps with a clear message. */
#include "common/error.h"
#include "handlers/handlers.h"

int th_host_fs_read_file(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                         th_error *err)
{
    (void)actor;
    (void)params;
    (void)a;
    (void)result;
    return th_error_set(err, "read-file is not served by this version yet");
}

int th_host_fs_write_file(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                          th_error *err)
{
    (void)actor;
    (void)params;
    (void)a;
    (void)result;
    return th_error_set(err, "write-file is not served by this version yet");
}

int th_host_fs_list_files(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                          th_error *err)
{
    (void)actor;
    (void)params;
    (void)a;
    (void)result;
    return th_error_set(err, "list-files is not served by this version yet");
}

int th_host_fs_delete_file(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                           th_error *err)
{
    (void)actor;
    (void)params;
    (void)a;
    (void)result;
    return th_error_set(err, "delete-file is not served by this version yet");
}

int th_host_fs_create_dir(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                          th_error *err)
{
    (void)actor;
    (void)params;
    (void)a;
    (void)result;
    return th_error_set(err, "create-dir is not served by this version yet");
}

int th_host_fs_delete_dir(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                          th_error *err)
{
    (void)actor;
    (void)params;
    (void)a;
    (void)result;
    return th_error_set(err, "delete-dir is not served by this version yet");
}

int th_host_fs_path_exists(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                           th_error *err)
{
    (void)actor;
    (void)params;
    (void)a;
    (void)result;
    return th_error_set(err, "path-exists is not served by this version yet");
}
