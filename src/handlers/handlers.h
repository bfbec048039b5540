/* Host functions, one file per capability. Each one follows th_host_fn
 * (exec/catalog.h): it gets the calling actor and the lifted params, and
 * returns the WIT result. The executor records every call in the chain. */
#ifndef TH_HANDLERS_HANDLERS_H
#define TH_HANDLERS_HANDLERS_H

#include "exec/catalog.h"

typedef struct th_cell th_cell;

/* Sets *result to err(message) — the WIT result's error case, for every
 * failure the guest is meant to see — and returns 0 (result.c). */
int th_host_err(th_arena *a, th_val **result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Per-actor services of the handlers (services.c): started when an actor in
 * a runtime starts (spawn, resume, restart; -1 with err fails the start),
 * stopped when it stops or restarts. */
int th_services_start(th_cell *cell, th_error *err);
void th_services_stop(th_cell *cell);

/* http-server (http_server.c): an HTTP daemon per actor, on its config's
 * host and port, whose requests become handle-request calls in the actor's
 * turn (TH_MSG_HTTP_REQUEST). */
int th_http_server_start(th_cell *cell, th_error *err);
void th_http_server_stop(th_cell *cell);

/* True for the handler types this version serves; a manifest that grants
 * any other is refused at spawn rather than silently left unserved. */
bool th_handler_served(th_handler_type type);

/* theater:simple/runtime (runtime.c) */
int th_host_runtime_log(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                        th_error *err);
int th_host_runtime_id(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                       th_error *err);
int th_host_runtime_shutdown(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                             th_error *err);

/* theater:simple/message-server-host (message_server.c) */
int th_host_message_send(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                         th_error *err);
int th_host_message_request(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                            th_error *err);
int th_host_message_open_channel(th_actor *actor, const th_val *params, th_arena *a,
                                 th_val **result, th_error *err);
int th_host_message_send_on_channel(th_actor *actor, const th_val *params, th_arena *a,
                                    th_val **result, th_error *err);
int th_host_message_close_channel(th_actor *actor, const th_val *params, th_arena *a,
                                  th_val **result, th_error *err);

/* theater:simple/supervisor (supervisor.c) */
int th_host_supervisor_spawn(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                             th_error *err);
int th_host_supervisor_list_children(th_actor *actor, const th_val *params, th_arena *a,
                                     th_val **result, th_error *err);
int th_host_supervisor_stop_child(th_actor *actor, const th_val *params, th_arena *a,
                                  th_val **result, th_error *err);
int th_host_supervisor_restart_child(th_actor *actor, const th_val *params, th_arena *a,
                                     th_val **result, th_error *err);
int th_host_supervisor_get_child_state(th_actor *actor, const th_val *params, th_arena *a,
                                       th_val **result, th_error *err);
int th_host_supervisor_get_child_events(th_actor *actor, const th_val *params, th_arena *a,
                                        th_val **result, th_error *err);

/* http_client.c */
int th_host_http_client_send(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                             th_error *err);

/* filesystem.c */
int th_host_fs_read_file(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                         th_error *err);
int th_host_fs_write_file(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                          th_error *err);
int th_host_fs_list_files(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                          th_error *err);
int th_host_fs_delete_file(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                           th_error *err);
int th_host_fs_create_dir(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                          th_error *err);
int th_host_fs_delete_dir(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                          th_error *err);
int th_host_fs_path_exists(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                           th_error *err);
/* Resolve paths by filesystem.c's own walk, as on kernels without openat2
 * (true), or by openat2 where the kernel has it (false, the default): for
 * tests of the walk. */
void th_fs_resolve_by_walk(bool on);

/* timing.c */
int th_host_timing_now(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                       th_error *err);
int th_host_timing_set_timer(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                             th_error *err);
int th_host_timing_cancel_timer(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                                th_error *err);

/* random.c */
int th_host_random_bytes(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                         th_error *err);
int th_host_random_u64(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                       th_error *err);

/* environment.c */
int th_host_env_get_var(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                        th_error *err);
int th_host_env_exists(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                       th_error *err);
int th_host_env_list_vars(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                          th_error *err);

/* theater:simple/store (store.c); the actor needs a database (actor->db). */
int th_host_store_store(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                        th_error *err);
int th_host_store_get(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                      th_error *err);
int th_host_store_exists(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                         th_error *err);
int th_host_store_label(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                        th_error *err);
int th_host_store_get_by_label(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                               th_error *err);
int th_host_store_store_at_label(th_actor *actor, const th_val *params, th_arena *a,
                                 th_val **result, th_error *err);
int th_host_store_replace_at_label(th_actor *actor, const th_val *params, th_arena *a,
                                   th_val **result, th_error *err);
int th_host_store_remove_label(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                               th_error *err);
int th_host_store_list_labels(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                              th_error *err);
int th_host_store_list_all_content(th_actor *actor, const th_val *params, th_arena *a,
                                   th_val **result, th_error *err);
int th_host_store_calculate_total_size(th_actor *actor, const th_val *params, th_arena *a,
                                       th_val **result, th_error *err);

#endif
