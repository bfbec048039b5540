/* Base64 (RFC 4648, with padding), for bytes that travel in JSON. */
#ifndef TH_COMMON_BASE64_H
#define TH_COMMON_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

void th_base64_encode(const uint8_t *p, size_t len, th_buf *out);
/* Appends the decoded bytes; false (out unchanged in meaning) on any
 * character outside the alphabet, bad padding or a bad length. */
bool th_base64_decode(const char *s, size_t len, th_buf *out);

#endif
