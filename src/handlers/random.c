/* theater:simple/random: granted by [[handlers]] type = "random".
 *
 * Bytes come from the kernel's CSPRNG (getrandom(2)). They reach the actor
 * only through these calls, which the executor records, so a replay feeds
 * the actor the very same values. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "common/error.h"
#include "handlers/handlers.h"

/* The most one random-bytes call hands out: the chain records every byte,
 * so an actor asking for more is answered with an error, not a huge event. */
#define TH_RANDOM_MAX_BYTES (1024 * 1024)

/* Fills buf from the kernel, through short reads and signals. getrandom
 * without flags blocks only until the pool is first seeded at boot. */
static int fill_random(uint8_t *buf, size_t len, th_error *err)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(buf + done, len - done, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return th_error_set(err, "getrandom: %s", strerror(errno));
        done += (size_t)n;
    }
    return 0;
}

int th_host_random_bytes(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                         th_error *err)
{
    (void)actor;
    uint64_t len = params->list.items[0].u;
    if (len > TH_RANDOM_MAX_BYTES) {
        char msg[96];
        int n = snprintf(msg, sizeof msg, "at most %d random bytes per call, asked for %" PRIu64,
                         TH_RANDOM_MAX_BYTES, len);
        *result = th_val_err(a, th_val_string(a, msg, (size_t)n));
        return 0;
    }
    uint8_t *buf = th_arena_alloc(a, len ? len : 1);
    /* A kernel that cannot give randomness is a host failure: it traps. */
    if (fill_random(buf, len, err))
        return -1;
    *result = th_val_ok(a, th_val_bytes(a, buf, len));
    return 0;
}

int th_host_random_u64(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                       th_error *err)
{
    (void)actor;
    (void)params;
    uint64_t v;
    if (fill_random((uint8_t *)&v, sizeof v, err))
        return -1;
    *result = th_val_u64(a, TH_VAL_U64, v);
    return 0;
}
