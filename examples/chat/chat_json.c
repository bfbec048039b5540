/* chat_json: walking JSON text that theater_json_check_object() accepted.
 * Because the text is known to be well formed, a value can be skipped by
 * counting brackets outside strings; every step still checks the end. */
#include "chat_json.h"

#include "theater/json.h"

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_space(chat_span s, size_t pos)
{
    while (pos < s.len && is_space(s.ptr[pos]))
        pos++;
    return pos;
}

/* From the opening quote to just past the closing one. */
static size_t skip_string(chat_span s, size_t pos)
{
    pos++;
    while (pos < s.len && s.ptr[pos] != '"')
        pos += s.ptr[pos] == '\\' ? 2 : 1;
    return pos < s.len ? pos + 1 : s.len;
}

/* Past one value: a string, an array or object with everything inside it,
 * or a number or literal (which ends where the next delimiter starts). */
static size_t skip_value(chat_span s, size_t pos)
{
    if (pos >= s.len)
        return s.len;
    uint8_t c = s.ptr[pos];
    if (c == '"')
        return skip_string(s, pos);
    if (c != '[' && c != '{') {
        while (pos < s.len && !is_space(s.ptr[pos]) && s.ptr[pos] != ',' && s.ptr[pos] != ']' &&
               s.ptr[pos] != '}')
            pos++;
        return pos;
    }
    size_t depth = 0;
    while (pos < s.len) {
        c = s.ptr[pos];
        if (c == '"') {
            pos = skip_string(s, pos);
            continue;
        }
        pos++;
        if (c == '[' || c == '{')
            depth++;
        else if ((c == ']' || c == '}') && --depth == 0)
            break;
    }
    return pos;
}

bool chat_json_next(chat_span container, size_t *pos, chat_span *key, chat_span *value)
{
    size_t open = skip_space(container, 0);
    if (open >= container.len || (container.ptr[open] != '{' && container.ptr[open] != '['))
        return false;
    bool object = container.ptr[open] == '{';
    size_t p = skip_space(container, *pos ? *pos : open + 1);
    if (p < container.len && container.ptr[p] == ',')
        p = skip_space(container, p + 1);
    *pos = p;
    if (p >= container.len || container.ptr[p] == ']' || container.ptr[p] == '}')
        return false;
    *key = (chat_span){NULL, 0};
    if (object) {
        if (container.ptr[p] != '"')
            return false; /* not checked text after all: stop rather than guess */
        size_t end = skip_string(container, p);
        if (end - p < 2)
            return false; /* an unterminated key */
        *key = (chat_span){container.ptr + p + 1, end - p - 2};
        p = skip_space(container, end) + 1; /* past the ':' */
        p = skip_space(container, p);
        if (p >= container.len)
            return false;
    }
    size_t end = skip_value(container, p);
    *value = (chat_span){container.ptr + p, end - p};
    *pos = end;
    return true;
}

bool chat_json_find(const void *doc, size_t len, const char *key, chat_span *value)
{
    chat_span object = {doc, len}, k;
    size_t pos = 0, key_len = strlen(key);
    while (chat_json_next(object, &pos, &k, value))
        if (k.len == key_len && memcmp(k.ptr, key, key_len) == 0)
            return true;
    return false;
}

/* The SDK's writer already knows how to escape a string, so the value is
 * written as a field of a one-field object and lifted out of it. */
theater_bytes chat_json_quote(const char *text, size_t len)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_string(&w, "s", text, len);
    theater_bytes object = theater_json_end(&w);
    chat_span value = {NULL, 0};
    chat_json_find(object.ptr, object.len, "s", &value);
    theater_bytes quoted = theater_bytes_copy(value.ptr, value.len);
    theater_bytes_free(&object);
    return quoted;
}

theater_bytes chat_json_append(chat_span list, size_t skip, const theater_bytes *item)
{
    theater_buf out = {0};
    chat_span unused, value;
    size_t pos = 0, index = 0;
    bool first = true;
    theater_buf_append_byte(&out, '[');
    while (chat_json_next(list, &pos, &unused, &value)) {
        if (index++ < skip)
            continue;
        if (!first)
            theater_buf_append_byte(&out, ',');
        theater_buf_append(&out, value.ptr, value.len);
        first = false;
    }
    if (!first)
        theater_buf_append_byte(&out, ',');
    theater_buf_append(&out, item->ptr, item->len);
    theater_buf_append_byte(&out, ']');
    return theater_buf_finish(&out);
}

size_t chat_json_count(chat_span container)
{
    chat_span key, value;
    size_t pos = 0, n = 0;
    while (chat_json_next(container, &pos, &key, &value))
        n++;
    return n;
}
