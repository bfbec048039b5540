/* What host functions share: the error results they answer with. */
#include <stdarg.h>
#include <stdio.h>

#include "handlers/handlers.h"

int th_host_err(th_arena *a, th_val **result, const char *fmt, ...)
{
    char msg[1100];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    *result = th_val_err(a, th_val_string(a, msg, len));
    return 0;
}
