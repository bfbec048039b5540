/* Name/value pairs (HTTP headers, environment variables) and the HTTP
 * request and response structs: building them and freeing them. Every
 * string a pair list holds is a malloc() block of its own, whether the SDK
 * or the runtime (through cabi_realloc) allocated it, so one free function
 * serves lists from either side. */
#include <stdlib.h>
#include <string.h>

#include "../include/theater/actor.h"

static theater_string string_copy(const char *s, size_t len)
{
    theater_bytes b = theater_bytes_copy(s, len);
    return (theater_string){(char *)b.ptr, b.len};
}

void theater_pair_list_add_n(theater_pair_list *list, const char *name, size_t name_len,
                             const char *value, size_t value_len)
{
    /* Grown one at a time: header and variable lists are short, and an exact
     * size keeps the array a plain block the runtime can read in place. */
    if (list->len >= SIZE_MAX / sizeof *list->items - 1)
        theater_oom();
    list->items = theater_xrealloc(list->items, (list->len + 1) * sizeof *list->items);
    theater_pair *p = &list->items[list->len];
    p->name = string_copy(name, name_len);
    p->value = string_copy(value, value_len);
    list->len++;
}

void theater_pair_list_add(theater_pair_list *list, const char *name, const char *value)
{
    theater_pair_list_add_n(list, name, strlen(name), value, strlen(value));
}

void theater_pair_list_free(theater_pair_list *list)
{
    for (size_t i = 0; i < list->len; i++) {
        theater_string_free(&list->items[i].name);
        theater_string_free(&list->items[i].value);
    }
    free(list->items);
    *list = (theater_pair_list){NULL, 0};
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool name_equals(const theater_string *have, const char *want, size_t want_len)
{
    if (have->len != want_len)
        return false;
    for (size_t i = 0; i < want_len; i++)
        if (ascii_lower(have->ptr[i]) != ascii_lower(want[i]))
            return false;
    return true;
}

const theater_pair *theater_http_header_find(const theater_pair_list *headers, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < headers->len; i++)
        if (name_equals(&headers->items[i].name, name, len))
            return &headers->items[i];
    return NULL;
}

theater_http_request theater_http_request_new(const char *method, const char *uri)
{
    theater_http_request req = {string_copy(method, strlen(method)),
                                string_copy(uri, strlen(uri)),
                                {NULL, 0},
                                false,
                                {NULL, 0}};
    return req;
}

void theater_http_request_set_body(theater_http_request *req, const void *data, size_t len)
{
    theater_bytes_free(&req->body);
    req->body = theater_bytes_copy(data, len);
    req->has_body = true;
}

void theater_http_response_set_body(theater_http_response *resp, const void *data, size_t len)
{
    theater_bytes_free(&resp->body);
    resp->body = theater_bytes_copy(data, len);
    resp->has_body = true;
}

void theater_http_request_free(theater_http_request *req)
{
    theater_string_free(&req->method);
    theater_string_free(&req->uri);
    theater_pair_list_free(&req->headers);
    theater_bytes_free(&req->body);
    req->has_body = false;
}

void theater_http_response_free(theater_http_response *resp)
{
    theater_pair_list_free(&resp->headers);
    theater_bytes_free(&resp->body);
    resp->has_body = false;
    resp->status = 0;
}
