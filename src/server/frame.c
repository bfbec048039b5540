#include "server/frame.h"

#include <string.h>

void th_frame_reader_init(th_frame_reader *r, uint32_t max)
{
    memset(r, 0, sizeof *r);
    r->max = max ? max : TH_FRAME_DEFAULT_MAX;
}

void th_frame_reader_free(th_frame_reader *r)
{
    th_buf_free(&r->buf);
    r->pos = 0;
}

void th_frame_feed(th_frame_reader *r, const uint8_t *data, size_t len)
{
    if (r->pos && r->pos == r->buf.len) { /* all consumed: start over, no copy */
        th_buf_reset(&r->buf);
        r->pos = 0;
    } else if (r->pos > (1u << 16) && r->pos * 2 > r->buf.len) {
        /* Drop what was consumed once it is most of the buffer, so that a
         * long stream of small frames does not grow it without end. */
        memmove(r->buf.data, r->buf.data + r->pos, r->buf.len - r->pos);
        r->buf.len -= r->pos;
        r->pos = 0;
    }
    th_buf_append(&r->buf, data, len);
}

size_t th_frame_buffered(const th_frame_reader *r)
{
    return r->buf.len - r->pos;
}

th_frame_status th_frame_next(th_frame_reader *r, const uint8_t **payload, size_t *len,
                              uint32_t *bad_len)
{
    size_t avail = r->buf.len - r->pos;
    if (avail < 4)
        return TH_FRAME_MORE;
    const uint8_t *p = r->buf.data + r->pos;
    uint32_t n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (n == 0 || n > r->max) {
        *bad_len = n;
        return TH_FRAME_BAD_LENGTH;
    }
    if (avail - 4 < n)
        return TH_FRAME_MORE;
    *payload = p + 4;
    *len = n;
    r->pos += 4 + (size_t)n;
    return TH_FRAME_READY;
}

void th_frame_encode(th_buf *out, const void *payload, size_t len)
{
    uint8_t h[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    th_buf_append(out, h, 4);
    th_buf_append(out, payload, len);
}
