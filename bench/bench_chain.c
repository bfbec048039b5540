/* Chain throughput in memory: appends per second of a small event (a 100-
 * byte payload, a typical export name, a state hash) and verification in
 * MB/s of canonical encoding. Several runs each; every run prints a line,
 * and the best run closes. Rates are by wall clock; the CPU-time rate is
 * printed beside it because on a busy machine the two differ.
 *
 *   bench_chain [events-per-run] [runs]      (defaults: 1000000, 5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/chain.h"
#include "chain/sha256.h"

typedef struct instant {
    double wall, cpu;
} instant;

static double clock_seconds(clockid_t clock)
{
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0) {
        perror("clock_gettime");
        exit(1);
    }
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static instant now(void)
{
    return (instant){clock_seconds(CLOCK_MONOTONIC), clock_seconds(CLOCK_PROCESS_CPUTIME_ID)};
}

/* Rates of `amount` over the time since `start`. */
static instant rate_since(instant start, double amount)
{
    instant end = now();
    return (instant){amount / (end.wall - start.wall), amount / (end.cpu - start.cpu)};
}

static size_t parse_count(const char *arg, size_t fallback)
{
    if (!arg)
        return fallback;
    char *end;
    unsigned long long v = strtoull(arg, &end, 10);
    if (*end || v == 0) {
        fprintf(stderr, "bench_chain: '%s' is not a positive count\n", arg);
        exit(2);
    }
    return (size_t)v;
}

/* Fills a chain with n events and returns the appends per second. */
static instant bench_append(th_chain *chain, size_t n)
{
    uint8_t payload[100], state[TH_SHA256_SIZE];
    memset(payload, 'm', sizeof payload);
    th_sha256("{}", 2, state);
    instant start = now();
    for (size_t i = 0; i < n; i++) {
        payload[0] = (uint8_t)i; /* every event differs */
        th_chain_append(chain, TH_EV_CALL, "theater:simple/message-server-client#handle-send",
                        payload, sizeof payload, NULL, 0, state, (int64_t)i);
    }
    return rate_since(start, (double)n);
}

int main(int argc, char **argv)
{
    size_t n = parse_count(argc > 1 ? argv[1] : NULL, 1000000);
    size_t runs = parse_count(argc > 2 ? argv[2] : NULL, 5);
    double best_append = 0, best_verify = 0;
    for (size_t run = 1; run <= runs; run++) {
        th_chain *chain = th_chain_new();
        instant appends = bench_append(chain, n);

        th_verify_report report;
        instant start = now();
        bool ok = th_chain_verify(chain, &report);
        instant bytes = rate_since(start, (double)report.bytes_checked);
        if (!ok) {
            fprintf(stderr, "bench_chain: verification failed: %s\n", report.reason);
            th_chain_free(chain);
            return 1;
        }
        printf("run %zu: append %.0f events/s (cpu time: %.0f/s; %zu events, 100-byte payload, "
               "%zu-byte encoding)\n",
               run, appends.wall, appends.cpu, n, report.bytes_checked / report.events_checked);
        printf("run %zu: verify %.0f MB/s (cpu time: %.0f MB/s; %zu bytes)\n", run,
               bytes.wall / 1e6, bytes.cpu / 1e6, report.bytes_checked);
        best_append = appends.wall > best_append ? appends.wall : best_append;
        best_verify = bytes.wall > best_verify ? bytes.wall : best_verify;
        th_chain_free(chain);
    }
    printf("best of %zu: append %.0f events/s, verify %.0f MB/s\n", runs, best_append,
           best_verify / 1e6);
    return 0;
}
