/* cap_fs: the filesystem handler's end-to-end actor (tests/e2e/filesystem.sh).
 * Each request is one filesystem call, {"op":OP,"path":PATH[,"data":TEXT]},
 * answered in plain text so that a shell can check it:
 *
 *   read          "ok:CONTENT"
 *   write         "ok"              (data is the new content)
 *   list          "ok:NAME,NAME"    (in the order the handler gives)
 *   exists        "ok:true" / "ok:false"
 *   delete mkdir rmdir   "ok"
 *
 * and "err:WHY" for every call the handler refused. Its state counts the
 * calls made, so that a replay checks states as well as answers. */
#include <stdlib.h>

#include "theater/actor.h"
#include "theater/json.h"

#define OP_MAX 16
#define PATH_MAX_BYTES 16384
#define DATA_MAX 65536

static theater_err fs_init(theater_state *state, theater_string actor_id)
{
    (void)actor_id;
    theater_state_clear(state);
    return THEATER_OK;
}

/* The state: the number of calls so far, in decimal. */
static void count_call(theater_state *state)
{
    int64_t calls = 0;
    for (size_t i = 0; state->some && i < state->bytes.len; i++)
        calls = calls * 10 + (state->bytes.ptr[i] - '0');
    theater_buf b = {0};
    theater_buf_append_i64(&b, calls + 1);
    theater_state_set(state, theater_buf_finish(&b));
}

/* "ok" + (":" + detail when given), or "err:" + the error's text (freed). */
static theater_bytes answer(theater_err e, const void *detail, size_t len, bool has_detail)
{
    theater_buf b = {0};
    if (e.msg) {
        theater_buf_append_cstr(&b, "err:");
        theater_buf_append(&b, e.msg, e.len);
        theater_err_free(&e);
    } else {
        theater_buf_append_cstr(&b, "ok");
        if (has_detail) {
            theater_buf_append_byte(&b, ':');
            theater_buf_append(&b, detail, len);
        }
    }
    return theater_buf_finish(&b);
}

static theater_bytes list_answer(const char *path, size_t len)
{
    theater_string_list names = {0};
    theater_err e = theater_list_files(path, len, &names);
    theater_buf joined = {0};
    for (size_t i = 0; i < names.len; i++) {
        if (i)
            theater_buf_append_byte(&joined, ',');
        theater_buf_append(&joined, names.items[i].ptr, names.items[i].len);
    }
    theater_string_list_free(&names);
    theater_bytes out = answer(e, joined.ptr, joined.len, true);
    theater_buf_free(&joined);
    return out;
}

static theater_bytes read_answer(const char *path, size_t len)
{
    theater_bytes content = {0};
    theater_err e = theater_read_file(path, len, &content);
    theater_bytes out = answer(e, content.ptr, content.len, true);
    theater_bytes_free(&content);
    return out;
}

static theater_bytes exists_answer(const char *path, size_t len)
{
    bool exists = false;
    theater_err e = theater_path_exists(path, len, &exists);
    const char *word = exists ? "true" : "false";
    return answer(e, word, strlen(word), true);
}

static theater_err fs_request(theater_state *state, theater_bytes *msg, theater_bytes *response)
{
    char op[OP_MAX];
    size_t op_len, path_len, data_len = 0;
    theater_json_status s =
        theater_json_get_string(msg->ptr, msg->len, "op", op, sizeof op, &op_len);
    if (s != THEATER_JSON_OK)
        return theater_json_error("op", "a string", s);
    char *path = malloc(PATH_MAX_BYTES), *data = malloc(DATA_MAX);
    if (!path || !data)
        __builtin_trap();
    theater_err failure = THEATER_OK;
    s = theater_json_get_string(msg->ptr, msg->len, "path", path, PATH_MAX_BYTES, &path_len);
    if (s != THEATER_JSON_OK)
        failure = theater_json_error("path", "a string", s);
    else if (strcmp(op, "read") == 0)
        *response = read_answer(path, path_len);
    else if (strcmp(op, "list") == 0)
        *response = list_answer(path, path_len);
    else if (strcmp(op, "exists") == 0)
        *response = exists_answer(path, path_len);
    else if (strcmp(op, "delete") == 0)
        *response = answer(theater_delete_file(path, path_len), NULL, 0, false);
    else if (strcmp(op, "mkdir") == 0)
        *response = answer(theater_create_dir(path, path_len), NULL, 0, false);
    else if (strcmp(op, "rmdir") == 0)
        *response = answer(theater_delete_dir(path, path_len), NULL, 0, false);
    else if (strcmp(op, "write") != 0)
        failure = theater_error("unknown op");
    else if ((s = theater_json_get_string(msg->ptr, msg->len, "data", data, DATA_MAX, &data_len)) !=
             THEATER_JSON_OK)
        failure = theater_json_error("data", "a string", s);
    else
        *response = answer(theater_write_file(path, path_len, data, data_len), NULL, 0, false);
    free(path);
    free(data);
    if (!failure.msg)
        count_call(state);
    return failure;
}

THEATER_EXPORT_INIT(fs_init)
THEATER_EXPORT_HANDLE_REQUEST(fs_request)
THEATER_EXPORT_NO_CHANNELS()
