/* libFuzzer target for the frame reader (src/server/frame.c): arbitrary
 * bytes, fed in arbitrary chunks, with an arbitrary maximum. The reader
 * sits between the network and everything else in the server, so beyond
 * "no crash" it must keep these promises:
 *
 *   - a READY frame's payload is 1 to max bytes, and is exactly the bytes
 *     of the stream after its 4-byte length (so never beyond what was fed);
 *   - MORE means the stream really holds no whole frame yet;
 *   - BAD_LENGTH reports the length found, which is zero or over max;
 *   - what stays buffered is what was fed and not yet consumed.
 *
 * Input: byte 0 picks the maximum, bytes 1-4 seed the chunk sizes, the
 * rest is the stream. Seeds are in tests/fuzz/corpus/frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER 5

/* Small maxima make over-long lengths common; 0 asks for the default. */
static uint32_t pick_max(uint8_t b)
{
    static const uint32_t big[] = {0, 256, 4096, 65536};
    return b < 0xc0 ? 1u + (b & 0x3f) : big[b & 3];
}

/* xorshift32: the chunk sizes, reproducible from the input. */
static uint32_t next_random(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

static uint32_t read_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void require(int ok)
{
    if (!ok)
        abort(); /* libFuzzer reports the input that broke a promise */
}

/* Encoding a payload gives back its own frame. */
static void check_encode(const uint8_t *payload, size_t len, const uint8_t *original)
{
    th_buf out = TH_BUF_INIT;
    th_frame_encode(&out, payload, len);
    require(out.len == len + 4 && memcmp(out.data, original, len + 4) == 0);
    th_buf_free(&out);
}

/* Takes every frame the reader holds; false once the stream is broken. */
static int drain(th_frame_reader *r, const uint8_t *stream, size_t fed, size_t *consumed)
{
    uint32_t max = r->max;
    for (;;) {
        const uint8_t *payload = NULL;
        size_t len = 0;
        uint32_t bad = 0;
        size_t avail = fed - *consumed;
        th_frame_status st = th_frame_next(r, &payload, &len, &bad);
        require(th_frame_buffered(r) <= avail);
        if (st == TH_FRAME_MORE) {
            if (avail >= 4) { /* a good length, whose payload is still coming */
                uint32_t n = read_be32(stream + *consumed);
                require(n >= 1 && n <= max && avail - 4 < n);
            }
            require(th_frame_buffered(r) == avail);
            return 1;
        }
        if (st == TH_FRAME_BAD_LENGTH) {
            require(avail >= 4 && bad == read_be32(stream + *consumed));
            require(bad == 0 || bad > max);
            return 0;
        }
        require(st == TH_FRAME_READY);
        require(len >= 1 && len <= max && 4 + len <= avail);
        require(read_be32(stream + *consumed) == len);
        require(memcmp(payload, stream + *consumed + 4, len) == 0);
        check_encode(payload, len, stream + *consumed);
        *consumed += 4 + len;
        require(th_frame_buffered(r) == fed - *consumed);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER)
        return 0;
    uint32_t seed = read_be32(data + 1);
    const uint8_t *stream = data + HEADER;
    size_t n = size - HEADER;
    uint32_t max = pick_max(data[0]);
    th_frame_reader r;
    th_frame_reader_init(&r, max);
    require(r.max == (max ? max : TH_FRAME_DEFAULT_MAX));
    size_t fed = 0, consumed = 0;
    int healthy = 1;
    /* Small chunks (0 to 16 bytes, sometimes up to 4 KiB) find the edges
     * of lengths and payloads; with the seed odd, chunks of up to 64 KiB
     * leave more than 64 KiB of consumed frames in the reader's buffer,
     * so that it compacts it. */
    int big_chunks = seed & 1;
    while (fed < n && healthy) {
        uint32_t x = next_random(&seed);
        size_t chunk = big_chunks ? x >> 16 : (x & 7) == 0 ? x >> 20 : (x >> 8) % 17;
        if (chunk > n - fed)
            chunk = n - fed;
        th_frame_feed(&r, stream + fed, chunk);
        fed += chunk;
        healthy = drain(&r, stream, fed, &consumed);
    }
    th_frame_reader_free(&r);
    return 0;
}
