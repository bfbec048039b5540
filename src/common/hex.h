#ifndef TH_COMMON_HEX_H
#define TH_COMMON_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*n lowercase hex digits and a NUL into out (2*n+1 bytes). */
void th_hex_encode(const uint8_t *in, size_t n, char *out);
/* Parses exactly 2*n hex digits; returns 0 or -1 on a bad digit. */
int th_hex_decode(const char *in, size_t n, uint8_t *out);

#endif
