/* Time, in the two clocks the runtime uses: the wall clock for what is
 * recorded (event timestamps, uptimes) and the monotonic clock for every
 * timeout, which must not jump when the wall clock is set. */
#ifndef TH_COMMON_CLOCK_H
#define TH_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds since the Unix epoch. */
int64_t th_now_ns(void);
/* Nanoseconds on the monotonic clock. */
int64_t th_monotonic_ns(void);
/* The monotonic time `ms` milliseconds from now, for pthread_cond_timedwait
 * on a condition variable set to CLOCK_MONOTONIC. */
struct timespec th_deadline_ms(uint32_t ms);

#endif
