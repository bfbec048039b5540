/* UTF-8 checks shared by the canonical ABI (strings from guests) and the
 * value codec (strings in chains). */
#ifndef TH_COMMON_UTF8_H
#define TH_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A Unicode scalar value: at most U+10FFFF and not a surrogate. */
bool th_is_scalar_value(uint64_t c);
/* Length of the well-formed sequence at p (at most n bytes) with its code
 * point in *cp; 0 when it is not well-formed (overlong, surrogate, too big). */
size_t th_utf8_sequence(const uint8_t *p, size_t n, uint32_t *cp);
/* Length of the longest well-formed prefix of [p, p+n). */
size_t th_utf8_valid_prefix(const uint8_t *p, size_t n);
bool th_utf8_valid(const uint8_t *p, size_t n);

/* Appends [p, p+n) for a terminal: well-formed UTF-8 as it is, control
 * characters (but tab) and malformed bytes as \xNN, so that bytes from an
 * actor cannot move the cursor or change the terminal's state. */
struct th_buf;
void th_utf8_escape(const uint8_t *p, size_t n, struct th_buf *out);

/* Cuts an incomplete sequence off the end of a NUL-terminated string that
 * was truncated to fit a buffer. */
void th_utf8_trim_cut(char *s);

#endif
