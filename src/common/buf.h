/* A growable byte buffer. The buffer owns `data`; th_buf_free releases it.
 * Appends abort on out-of-memory: a runtime that cannot allocate a few bytes
 * cannot record its chain either, and must not go on half-recorded. */
#ifndef TH_COMMON_BUF_H
#define TH_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct th_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} th_buf;

#define TH_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void th_buf_reserve(th_buf *b, size_t extra);
void th_buf_append(th_buf *b, const void *data, size_t len);
void th_buf_append_byte(th_buf *b, uint8_t byte);
void th_buf_append_u32be(th_buf *b, uint32_t v);
void th_buf_append_u64be(th_buf *b, uint64_t v);
void th_buf_append_str(th_buf *b, const char *s);
void th_buf_printf(th_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a NUL that is not counted in len, so data can be used as a C string. */
const char *th_buf_cstr(th_buf *b);
/* Hands data to the caller (who frees it) and resets the buffer. */
uint8_t *th_buf_take(th_buf *b, size_t *len);
void th_buf_reset(th_buf *b);
void th_buf_free(th_buf *b);

/* Allocation helpers that abort with a message on out-of-memory. */
void *th_xmalloc(size_t n);
void *th_xcalloc(size_t n, size_t size);
void *th_xrealloc(void *p, size_t n);
char *th_xstrdup(const char *s);
char *th_xstrndup(const char *s, size_t n);
void *th_xmemdup(const void *p, size_t n);

#endif
