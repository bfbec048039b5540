/* Error reporting: every fallible function takes a th_error * and returns
 * non-zero (or NULL) on failure after writing one human-readable sentence
 * into it. No allocation, so reporting an out-of-memory error cannot fail. */
#ifndef TH_COMMON_ERROR_H
#define TH_COMMON_ERROR_H

#include "theater/theater.h"

/* Overwrites err with a formatted message, of kind TH_ERROR_INVALID. Returns -1 so callers can
 * write `return th_error_set(err, ...);`. err may be NULL. */
int th_error_set(th_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the message already in err with a formatted context:
 * "reading x: <old message>". Returns -1. */
int th_error_wrap(th_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Marks err as the actor's failure rather than bad input. err may be NULL. */
static inline void th_error_mark_actor(th_error *err)
{
    if (err)
        err->kind = TH_ERROR_ACTOR;
}

#endif
