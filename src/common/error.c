#include "common/error.h"

#include "common/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int th_error_set(th_error *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    err->kind = TH_ERROR_INVALID;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    th_utf8_trim_cut(err->msg);
    return -1;
}

int th_error_wrap(th_error *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Built by hand: the message is cut to fit, which snprintf would warn about. */
    char old[sizeof err->msg];
    memcpy(old, err->msg, sizeof old);
    size_t plen = strlen(prefix), cap = sizeof err->msg - 1;
    size_t n = plen < cap ? plen : cap;
    memcpy(err->msg, prefix, n);
    if (n + 2 <= cap) {
        memcpy(err->msg + n, ": ", 2);
        n += 2;
    }
    size_t olen = strnlen(old, sizeof old - 1);
    size_t m = olen < cap - n ? olen : cap - n;
    memcpy(err->msg + n, old, m);
    err->msg[n + m] = '\0';
    th_utf8_trim_cut(err->msg);
    return -1;
}
