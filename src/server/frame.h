/* Frames of the management protocol (docs/protocol.md): a 4-byte
 * big-endian length, then that many bytes of JSON. The reader is pure (no
 * I/O), so that it can be fuzzed on its own (tests/fuzz/fuzz_frame.c). */
#ifndef TH_SERVER_FRAME_H
#define TH_SERVER_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define TH_FRAME_DEFAULT_MAX (16u << 20)

typedef struct th_frame_reader {
    th_buf buf;   /* bytes received and not yet consumed */
    size_t pos;   /* where the next frame starts in buf */
    uint32_t max; /* the largest payload accepted */
} th_frame_reader;

typedef enum th_frame_status {
    TH_FRAME_MORE,       /* no complete frame yet */
    TH_FRAME_READY,      /* *payload, *len: valid until the next feed or next */
    TH_FRAME_BAD_LENGTH, /* zero or over max: the stream cannot be resynchronised */
} th_frame_status;

void th_frame_reader_init(th_frame_reader *r, uint32_t max);
void th_frame_reader_free(th_frame_reader *r);
void th_frame_feed(th_frame_reader *r, const uint8_t *data, size_t len);
/* The next frame; *bad_len is the length found when TH_FRAME_BAD_LENGTH. */
th_frame_status th_frame_next(th_frame_reader *r, const uint8_t **payload, size_t *len,
                              uint32_t *bad_len);
/* Bytes buffered: a partial frame. */
size_t th_frame_buffered(const th_frame_reader *r);

/* Appends a frame holding `len` bytes to out. */
void th_frame_encode(th_buf *out, const void *payload, size_t len);

#endif
