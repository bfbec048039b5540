#ifndef TH_COMMON_HEX_H
#define TH_COMMON_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes 2*n lowercase hex digits and a NUL into out (2*n+1 bytes). */
void th_hex_encode(const uint8_t *in, size_t n, char *out);
/* Parses exactly 2*n hex digits; returns 0 or -1 on a bad digit. */
int th_hex_decode(const char *in, size_t n, uint8_t *out);

/* The value of one hex digit (either case), or -1. */
int th_hex_digit(int c);
/* True when p holds exactly n bytes of lowercase hex digits (p need not be
 * NUL-terminated): the one spelling Theater writes hashes and ids in. */
bool th_hex_is_lower(const char *p, size_t n);

#endif
