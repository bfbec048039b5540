/* Memory for actors: the canonical ABI allocator the runtime calls, and the
 * small owned-bytes helpers of theater/actor.h. Everything here sits on
 * wasi-libc's malloc, so every block the runtime or the SDK hands out can be
 * released with free(). */
#include <stdlib.h>
#include <string.h>

#include "../include/theater/actor.h"

void theater_oom(void)
{
    /* No stdio here: printing would import WASI. A trap ends the call and
     * the runtime records why. */
    __builtin_trap();
}

void *theater_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        theater_oom();
    return p;
}

void *theater_xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        theater_oom();
    return p;
}

/* The runtime allocates every list and string it hands us through this
 * function. Zero-sized requests still get a real block so that whoever ends
 * up owning the pointer can free() it without asking where it came from.
 * malloc's blocks are aligned for any type the canonical ABI uses (at most
 * 8); a larger alignment would be a runtime bug, and traps. */
#ifdef __wasm__
__attribute__((export_name("cabi_realloc")))
#endif
void *
cabi_realloc(void *old_ptr, size_t old_size, size_t align, size_t new_size)
{
    (void)old_size;
    if (align > _Alignof(max_align_t))
        __builtin_trap();
    return theater_xrealloc(old_ptr, new_size);
}

theater_bytes theater_bytes_copy(const void *data, size_t len)
{
    uint8_t *p = theater_xmalloc(len);
    if (len)
        memcpy(p, data, len);
    return (theater_bytes){p, len};
}

theater_bytes theater_bytes_from_cstr(const char *s)
{
    return theater_bytes_copy(s, strlen(s));
}

theater_bytes theater_bytes_take(theater_bytes *b)
{
    theater_bytes taken = *b;
    *b = (theater_bytes){NULL, 0};
    return taken;
}

void theater_bytes_free(theater_bytes *b)
{
    free(b->ptr);
    *b = (theater_bytes){NULL, 0};
}

void theater_string_free(theater_string *s)
{
    free(s->ptr);
    *s = (theater_string){NULL, 0};
}

void theater_state_set(theater_state *state, theater_bytes bytes)
{
    if (state->bytes.ptr != bytes.ptr)
        free(state->bytes.ptr);
    state->some = true;
    state->bytes = bytes;
}

void theater_state_clear(theater_state *state)
{
    theater_bytes_free(&state->bytes);
    state->some = false;
}

/* ---- Errors ------------------------------------------------------------- */

theater_err theater_error(const char *msg)
{
    size_t len = strlen(msg);
    char *copy = theater_xmalloc(len + 1);
    memcpy(copy, msg, len + 1);
    return (theater_err){copy, len};
}

/* Untrusted text goes into an error message that must be valid UTF-8 and
 * should stay readable: keep printable ASCII, mask the rest, cut it short. */
#define DETAIL_MAX 64

theater_err theater_error_detail(const char *prefix, const void *detail, size_t len)
{
    const uint8_t *d = detail;
    size_t shown = len > DETAIL_MAX ? DETAIL_MAX : len;
    theater_buf b = {0};

    theater_buf_append_cstr(&b, prefix);
    for (size_t i = 0; i < shown; i++)
        theater_buf_append_byte(&b, d[i] >= 0x20 && d[i] < 0x7f ? d[i] : '?');
    if (shown < len)
        theater_buf_append_cstr(&b, "...");
    theater_buf_append_byte(&b, '\0');
    theater_bytes bytes = theater_buf_finish(&b);
    return (theater_err){(char *)bytes.ptr, bytes.len - 1};
}

void theater_err_free(theater_err *e)
{
    free(e->msg);
    *e = THEATER_OK;
}

/* ---- Growable buffer ---------------------------------------------------- */

static void buf_reserve(theater_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len)
        theater_oom();
    size_t need = b->len + extra;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->ptr = theater_xrealloc(b->ptr, cap);
    b->cap = cap;
}

void theater_buf_append(theater_buf *b, const void *data, size_t len)
{
    if (!len)
        return;
    buf_reserve(b, len);
    memcpy(b->ptr + b->len, data, len);
    b->len += len;
}

void theater_buf_append_cstr(theater_buf *b, const char *s)
{
    theater_buf_append(b, s, strlen(s));
}

void theater_buf_append_byte(theater_buf *b, uint8_t byte)
{
    buf_reserve(b, 1);
    b->ptr[b->len++] = byte;
}

void theater_buf_append_i64(theater_buf *b, int64_t value)
{
    char digits[20];
    size_t n = 0;
    /* Work on the magnitude as unsigned so INT64_MIN does not overflow. */
    uint64_t magnitude = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;

    do {
        digits[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (value < 0)
        theater_buf_append_byte(b, '-');
    while (n)
        theater_buf_append_byte(b, (uint8_t)digits[--n]);
}

theater_bytes theater_buf_finish(theater_buf *b)
{
    theater_bytes out = {b->ptr, b->len};
    if (!out.ptr)
        out.ptr = theater_xmalloc(0);
    *b = (theater_buf){NULL, 0, 0};
    return out;
}

void theater_buf_free(theater_buf *b)
{
    free(b->ptr);
    *b = (theater_buf){NULL, 0, 0};
}
