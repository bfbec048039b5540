#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t n)
{
    fprintf(stderr, "theater: out of memory allocating %zu bytes\n", n);
    abort();
}

void *th_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

void *th_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory(n * size);
    return p;
}

void *th_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    return q;
}

char *th_xstrdup(const char *s)
{
    return th_xstrndup(s, strlen(s));
}

char *th_xstrndup(const char *s, size_t n)
{
    char *p = th_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void *th_xmemdup(const void *p, size_t n)
{
    void *q = th_xmalloc(n);
    if (n)
        memcpy(q, p, n);
    return q;
}

void th_buf_reserve(th_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return;
    size_t need = b->len + extra;
    if (need < b->len)
        out_of_memory(SIZE_MAX);
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap * 2 > cap ? cap * 2 : need;
    b->data = th_xrealloc(b->data, cap);
    b->cap = cap;
}

void th_buf_append(th_buf *b, const void *data, size_t len)
{
    if (!len)
        return;
    th_buf_reserve(b, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

void th_buf_append_byte(th_buf *b, uint8_t byte)
{
    th_buf_reserve(b, 1);
    b->data[b->len++] = byte;
}

void th_buf_append_u32be(th_buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    th_buf_append(b, x, 4);
}

void th_buf_append_u64be(th_buf *b, uint64_t v)
{
    th_buf_append_u32be(b, (uint32_t)(v >> 32));
    th_buf_append_u32be(b, (uint32_t)v);
}

void th_buf_append_str(th_buf *b, const char *s)
{
    th_buf_append(b, s, strlen(s));
}

/* Formats into the free space first; only output longer than that is
 * formatted twice. */
void th_buf_printf(th_buf *b, const char *fmt, ...)
{
    th_buf_reserve(b, 64);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf((char *)b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= b->cap - b->len) {
        th_buf_reserve(b, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

const char *th_buf_cstr(th_buf *b)
{
    th_buf_reserve(b, 1);
    b->data[b->len] = '\0';
    return (const char *)b->data;
}

uint8_t *th_buf_take(th_buf *b, size_t *len)
{
    uint8_t *d = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

void th_buf_reset(th_buf *b)
{
    b->len = 0;
}

void th_buf_free(th_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
