/* chat: reading the fields the chat actors exchange. */
#include "chat.h"

#include "theater/json.h"

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

theater_err chat_read_name(const theater_bytes *msg, const char *key, char name[CHAT_NAME_MAX + 1])
{
    size_t len;
    theater_json_status st =
        theater_json_get_string(msg->ptr, msg->len, key, name, CHAT_NAME_MAX + 1, &len);
    bool ok = st == THEATER_JSON_OK && len > 0;
    for (size_t i = 0; ok && i < len; i++)
        ok = name_char(name[i]);
    if (ok)
        return THEATER_OK;
    if (st != THEATER_JSON_OK && st != THEATER_JSON_TOO_LONG)
        return theater_json_error(key, "a string", st);
    theater_buf text = {0};
    theater_buf_append_cstr(&text, "'");
    theater_buf_append_cstr(&text, key);
    theater_buf_append_cstr(&text, "' must be 1 to 16 letters, digits, '-' or '_'");
    theater_buf_append_byte(&text, '\0');
    theater_err e = theater_error((const char *)text.ptr);
    theater_buf_free(&text);
    return e;
}

theater_err chat_read_text(const theater_bytes *msg, const char *key, char text[CHAT_TEXT_MAX + 1],
                           size_t *len)
{
    theater_json_status st =
        theater_json_get_string(msg->ptr, msg->len, key, text, CHAT_TEXT_MAX + 1, len);
    if (st == THEATER_JSON_TOO_LONG)
        return theater_error("a line may be at most 200 bytes long");
    if (st != THEATER_JSON_OK)
        return theater_json_error(key, "a string", st);
    return THEATER_OK;
}

bool chat_has(const theater_bytes *msg, const char *key)
{
    bool unused;
    theater_json_status st = theater_json_get_bool(msg->ptr, msg->len, key, &unused);
    return st == THEATER_JSON_OK || st == THEATER_JSON_WRONG_TYPE || st == THEATER_JSON_DUPLICATE;
}

theater_err chat_unknown_op(const char *op, size_t len, const char *expected)
{
    theater_err detail = theater_error_detail("unknown op: ", op, len);
    theater_buf text = {0};
    theater_buf_append(&text, detail.msg, detail.len);
    theater_buf_append_cstr(&text, " (expected ");
    theater_buf_append_cstr(&text, expected);
    theater_buf_append_cstr(&text, ")");
    theater_buf_append_byte(&text, '\0');
    theater_err e = theater_error((const char *)text.ptr);
    theater_buf_free(&text);
    theater_err_free(&detail);
    return e;
}

theater_err chat_read_op(const theater_bytes *msg, char op[CHAT_OP_MAX], const char *expected)
{
    size_t len;
    theater_json_status st =
        theater_json_get_string(msg->ptr, msg->len, "op", op, CHAT_OP_MAX, &len);
    if (st == THEATER_JSON_TOO_LONG)
        return chat_unknown_op(op, CHAT_OP_MAX - 1, expected);
    if (st != THEATER_JSON_OK)
        return theater_json_error("op", "a string", st);
    if (strlen(op) != len) /* a NUL inside: no op of ours */
        return chat_unknown_op(op, len, expected);
    return THEATER_OK;
}
