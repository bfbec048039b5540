#include "common/utf8.h"

#include <string.h>

#include "common/buf.h"

bool th_is_scalar_value(uint64_t c)
{
    return c <= 0x10ffff && !(c >= 0xd800 && c <= 0xdfff);
}

/* Length of the well-formed UTF-8 sequence at p (at most n bytes), with its
 * code point in *cp; 0 when the bytes there are not well-formed (overlong
 * forms, surrogates and values past U+10FFFF included). */
size_t th_utf8_sequence(const uint8_t *p, size_t n, uint32_t *cp)
{
    uint8_t c = p[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (p[k] & 0x3f);
    }
    if (v < min || !th_is_scalar_value(v))
        return 0;
    *cp = v;
    return len;
}

/* The length of the longest well-formed prefix of [p, p+n). */
size_t th_utf8_valid_prefix(const uint8_t *p, size_t n)
{
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        size_t len = th_utf8_sequence(p + i, n - i, &cp);
        if (!len)
            return i;
        i += len;
    }
    return n;
}

bool th_utf8_valid(const uint8_t *p, size_t n)
{
    return th_utf8_valid_prefix(p, n) == n;
}

void th_utf8_trim_cut(char *s)
{
    size_t n = strlen(s), i = n;
    while (i > 0 && ((uint8_t)s[i - 1] & 0xc0) == 0x80 && n - i < 3)
        i--; /* back over continuation bytes to the sequence's start */
    if (i > 0 && (uint8_t)s[i - 1] >= 0xc0) {
        uint32_t cp;
        if (th_utf8_sequence((const uint8_t *)s + i - 1, n - i + 1, &cp) != n - i + 1)
            s[i - 1] = '\0';
    }
}

void th_utf8_escape(const uint8_t *p, size_t n, th_buf *out)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = th_utf8_sequence(p + i, n - i, &cp);
        bool control = len && ((cp < 0x20 && cp != '\t') || (cp >= 0x7f && cp < 0xa0));
        if (len && !control) {
            th_buf_append(out, p + i, len);
            i += len;
        } else {
            th_buf_printf(out, "\\x%02x", p[i]);
            i++;
        }
    }
}
