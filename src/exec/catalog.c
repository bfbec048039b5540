#include "exec/catalog.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "handlers/handlers.h"

/* Shorthands for the WIT types that recur below. */
#define STATE "option<list<u8>>"
#define RESULT_UNIT "result<_, string>"
#define HTTP_REQUEST "tuple<string, string, list<tuple<string, string>>, option<list<u8>>>"
#define HTTP_RESPONSE "tuple<u16, list<tuple<string, string>>, option<list<u8>>>"
#define CONTENT_REF "tuple<string>"
#define CHAIN_EVENT "tuple<list<u8>, option<list<u8>>, string, list<u8>, u64>"
#define ACTOR_ERROR "variant<string, string, string, string, string>"

#define RT "theater:simple/runtime"
#define MSH "theater:simple/message-server-host"
#define SUP "theater:simple/supervisor"
#define STO "theater:simple/store"
#define HTC "theater:simple/http-client"
#define FS "theater:simple/filesystem"
#define TIM "theater:simple/timing"
#define RND "theater:simple/random"
#define ENV "theater:simple/environment"

static th_import imports[] = {
    {RT, "log", "tuple<string>", NULL, TH_HANDLER_RUNTIME, th_host_runtime_log},
    {RT, "id", "tuple<>", "string", TH_HANDLER_RUNTIME, th_host_runtime_id},
    {RT, "shutdown", "tuple<option<list<u8>>>", RESULT_UNIT, TH_HANDLER_RUNTIME,
     th_host_runtime_shutdown},

    {MSH, "send", "tuple<string, list<u8>>", RESULT_UNIT, TH_HANDLER_MESSAGE_SERVER,
     th_host_message_send},
    {MSH, "request", "tuple<string, list<u8>>", "result<list<u8>, string>",
     TH_HANDLER_MESSAGE_SERVER, th_host_message_request},
    {MSH, "open-channel", "tuple<string, list<u8>>", "result<string, string>",
     TH_HANDLER_MESSAGE_SERVER, th_host_message_open_channel},
    {MSH, "send-on-channel", "tuple<string, list<u8>>", RESULT_UNIT, TH_HANDLER_MESSAGE_SERVER,
     th_host_message_send_on_channel},
    {MSH, "close-channel", "tuple<string>", RESULT_UNIT, TH_HANDLER_MESSAGE_SERVER,
     th_host_message_close_channel},

    {SUP, "spawn", "tuple<string, option<list<u8>>>", "result<string, string>",
     TH_HANDLER_SUPERVISOR, th_host_supervisor_spawn},
    {SUP, "list-children", "tuple<>", "list<string>", TH_HANDLER_SUPERVISOR,
     th_host_supervisor_list_children},
    {SUP, "stop-child", "tuple<string>", RESULT_UNIT, TH_HANDLER_SUPERVISOR,
     th_host_supervisor_stop_child},
    {SUP, "restart-child", "tuple<string>", RESULT_UNIT, TH_HANDLER_SUPERVISOR,
     th_host_supervisor_restart_child},
    {SUP, "get-child-state", "tuple<string>", "result<option<list<u8>>, string>",
     TH_HANDLER_SUPERVISOR, th_host_supervisor_get_child_state},
    {SUP, "get-child-events", "tuple<string>", "result<list<" CHAIN_EVENT ">, string>",
     TH_HANDLER_SUPERVISOR, th_host_supervisor_get_child_events},

    {STO, "store", "tuple<list<u8>>", "result<" CONTENT_REF ", string>", TH_HANDLER_STORE,
     th_host_store_store},
    {STO, "get", "tuple<" CONTENT_REF ">", "result<list<u8>, string>", TH_HANDLER_STORE,
     th_host_store_get},
    {STO, "exists", "tuple<" CONTENT_REF ">", "result<bool, string>", TH_HANDLER_STORE,
     th_host_store_exists},
    {STO, "label", "tuple<string, " CONTENT_REF ">", RESULT_UNIT, TH_HANDLER_STORE,
     th_host_store_label},
    {STO, "get-by-label", "tuple<string>", "result<option<" CONTENT_REF ">, string>",
     TH_HANDLER_STORE, th_host_store_get_by_label},
    {STO, "store-at-label", "tuple<string, list<u8>>", "result<" CONTENT_REF ", string>",
     TH_HANDLER_STORE, th_host_store_store_at_label},
    {STO, "replace-at-label", "tuple<string, " CONTENT_REF ">", RESULT_UNIT, TH_HANDLER_STORE,
     th_host_store_replace_at_label},
    {STO, "remove-label", "tuple<string>", RESULT_UNIT, TH_HANDLER_STORE,
     th_host_store_remove_label},
    {STO, "list-labels", "tuple<>", "result<list<string>, string>", TH_HANDLER_STORE,
     th_host_store_list_labels},
    {STO, "list-all-content", "tuple<>", "result<list<" CONTENT_REF ">, string>", TH_HANDLER_STORE,
     th_host_store_list_all_content},
    {STO, "calculate-total-size", "tuple<>", "result<u64, string>", TH_HANDLER_STORE,
     th_host_store_calculate_total_size},

    {HTC, "send-http", "tuple<" HTTP_REQUEST ">", "result<" HTTP_RESPONSE ", string>",
     TH_HANDLER_HTTP_CLIENT, th_host_http_client_send},

    {FS, "read-file", "tuple<string>", "result<list<u8>, string>", TH_HANDLER_FILESYSTEM,
     th_host_fs_read_file},
    {FS, "write-file", "tuple<string, list<u8>>", RESULT_UNIT, TH_HANDLER_FILESYSTEM,
     th_host_fs_write_file},
    {FS, "list-files", "tuple<string>", "result<list<string>, string>", TH_HANDLER_FILESYSTEM,
     th_host_fs_list_files},
    {FS, "delete-file", "tuple<string>", RESULT_UNIT, TH_HANDLER_FILESYSTEM,
     th_host_fs_delete_file},
    {FS, "create-dir", "tuple<string>", RESULT_UNIT, TH_HANDLER_FILESYSTEM, th_host_fs_create_dir},
    {FS, "delete-dir", "tuple<string>", RESULT_UNIT, TH_HANDLER_FILESYSTEM, th_host_fs_delete_dir},
    {FS, "path-exists", "tuple<string>", "result<bool, string>", TH_HANDLER_FILESYSTEM,
     th_host_fs_path_exists},

    {TIM, "now", "tuple<>", "u64", TH_HANDLER_TIMING, th_host_timing_now},
    {TIM, "set-timer", "tuple<u64>", "result<u64, string>", TH_HANDLER_TIMING,
     th_host_timing_set_timer},
    {TIM, "cancel-timer", "tuple<u64>", RESULT_UNIT, TH_HANDLER_TIMING,
     th_host_timing_cancel_timer},

    {RND, "random-bytes", "tuple<u32>", "result<list<u8>, string>", TH_HANDLER_RANDOM,
     th_host_random_bytes},
    {RND, "random-u64", "tuple<>", "u64", TH_HANDLER_RANDOM, th_host_random_u64},

    {ENV, "get-var", "tuple<string>", "option<string>", TH_HANDLER_ENVIRONMENT,
     th_host_env_get_var},
    {ENV, "exists", "tuple<string>", "bool", TH_HANDLER_ENVIRONMENT, th_host_env_exists},
    {ENV, "list-vars", "tuple<>", "list<tuple<string, string>>", TH_HANDLER_ENVIRONMENT,
     th_host_env_list_vars},
};

#define MSC "theater:simple/message-server-client#"
#define SUPH "theater:simple/supervisor-handlers#"

static th_export exports[TH_EXPORT_COUNT] = {
    [TH_EXPORT_INIT] = {"theater:simple/actor#init", "tuple<string>", "tuple<>",
                        TH_HANDLER_RUNTIME},
    [TH_EXPORT_HANDLE_SEND] = {MSC "handle-send", "tuple<list<u8>>", "tuple<>",
                               TH_HANDLER_MESSAGE_SERVER},
    [TH_EXPORT_HANDLE_REQUEST] = {MSC "handle-request", "tuple<list<u8>>", "tuple<tuple<list<u8>>>",
                                  TH_HANDLER_MESSAGE_SERVER},
    [TH_EXPORT_CHANNEL_OPEN] = {MSC "handle-channel-open", "tuple<string, list<u8>>",
                                "tuple<tuple<tuple<bool, option<list<u8>>>>>",
                                TH_HANDLER_MESSAGE_SERVER},
    [TH_EXPORT_CHANNEL_MESSAGE] = {MSC "handle-channel-message", "tuple<string, list<u8>>",
                                   "tuple<>", TH_HANDLER_MESSAGE_SERVER},
    [TH_EXPORT_CHANNEL_CLOSE] = {MSC "handle-channel-close", "tuple<string>", "tuple<>",
                                 TH_HANDLER_MESSAGE_SERVER},
    [TH_EXPORT_CHILD_ERROR] = {SUPH "handle-child-error", "tuple<string, " ACTOR_ERROR ">",
                               "tuple<>", TH_HANDLER_SUPERVISOR},
    [TH_EXPORT_CHILD_EXIT] = {SUPH "handle-child-exit", "tuple<string, option<list<u8>>>",
                              "tuple<>", TH_HANDLER_SUPERVISOR},
    [TH_EXPORT_CHILD_EXTERNAL_STOP] = {SUPH "handle-child-external-stop", "tuple<string>",
                                       "tuple<>", TH_HANDLER_SUPERVISOR},
    [TH_EXPORT_HTTP_REQUEST] = {"theater:simple/http-handlers#handle-request",
                                "tuple<" HTTP_REQUEST ">", "tuple<tuple<" HTTP_RESPONSE ">>",
                                TH_HANDLER_HTTP_SERVER},
    [TH_EXPORT_TIMER] = {"theater:simple/timing-handlers#handle-timer", "tuple<u64>", "tuple<>",
                         TH_HANDLER_TIMING},
};

static const struct {
    const char *module;
    th_handler_type handler;
} interfaces[] = {
    {RT, TH_HANDLER_RUNTIME}, {MSH, TH_HANDLER_MESSAGE_SERVER}, {SUP, TH_HANDLER_SUPERVISOR},
    {STO, TH_HANDLER_STORE},  {HTC, TH_HANDLER_HTTP_CLIENT},    {FS, TH_HANDLER_FILESYSTEM},
    {TIM, TH_HANDLER_TIMING}, {RND, TH_HANDLER_RANDOM},         {ENV, TH_HANDLER_ENVIRONMENT},
};

static th_arena types_arena; /* lives for the process: the types are shared */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static th_error init_error;
static int init_status;

static const th_type *parse(const char *text)
{
    return text ? th_type_parse(&types_arena, text, &init_error) : NULL;
}

/* Builds "(state, params)" and "result<tuple<state, results...>, string>". */
static int init_export(th_export *e)
{
    char params[512], result[512];
    snprintf(params, sizeof params, "tuple<" STATE ", %s>", e->params_text);
    const char *inner = e->results_text + strlen("tuple<");
    if (strcmp(e->results_text, "tuple<>") == 0)
        snprintf(result, sizeof result, "result<tuple<" STATE ">, string>");
    else
        snprintf(result, sizeof result, "result<tuple<" STATE ", %s, string>", inner);
    e->type.params = parse(params);
    e->type.result = parse(result);
    if (!e->type.params || !e->type.result)
        return -1;
    snprintf(e->post_name, sizeof e->post_name, "cabi_post_%s", e->name);
    th_core_sig_export(&e->type, &e->sig);
    return 0;
}

static void init_all(void)
{
    init_status = -1;
    for (size_t i = 0; i < sizeof imports / sizeof imports[0]; i++) {
        th_import *im = &imports[i];
        snprintf(im->name, sizeof im->name, "%s#%s", im->module, im->field);
        im->type.params = parse(im->params_text);
        im->type.result = parse(im->result_text);
        if (!im->type.params || (im->result_text && !im->type.result))
            return;
        th_core_sig_import(&im->type, &im->sig);
    }
    for (size_t i = 0; i < TH_EXPORT_COUNT; i++)
        if (init_export(&exports[i]))
            return;
    init_status = 0;
}

int th_catalog_init(th_error *err)
{
    pthread_once(&init_once, init_all);
    if (init_status && err)
        *err = init_error;
    return init_status;
}

const th_import *th_catalog_imports(size_t *count)
{
    *count = sizeof imports / sizeof imports[0];
    return imports;
}

const th_import *th_catalog_find_import(const char *module, const char *field)
{
    for (size_t i = 0; i < sizeof imports / sizeof imports[0]; i++)
        if (strcmp(imports[i].module, module) == 0 && strcmp(imports[i].field, field) == 0)
            return &imports[i];
    return NULL;
}

const th_export *th_catalog_export(th_export_id id)
{
    return id < TH_EXPORT_COUNT ? &exports[id] : NULL;
}

const th_export *th_catalog_find_export(const char *name)
{
    for (size_t i = 0; i < TH_EXPORT_COUNT; i++)
        if (strcmp(exports[i].name, name) == 0)
            return &exports[i];
    return NULL;
}

int th_catalog_interface_handler(const char *module)
{
    for (size_t i = 0; i < sizeof interfaces / sizeof interfaces[0]; i++)
        if (strcmp(interfaces[i].module, module) == 0)
            return (int)interfaces[i].handler;
    return -1;
}
