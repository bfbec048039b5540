/* A minimal test harness: CHECK-style assertions that count passes and
 * failures, and a closing line "N passed, N failed" that CTest and CI read.
 *
 *   TEST(parses_integers) { CHECK_EQ_INT(parse("1"), 1); }
 *   int main(void) { RUN(parses_integers); return check_summary(); }
 */
#ifndef THEATER_TESTS_CHECK_H
#define THEATER_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;
static const char *check_current = "";

#define TEST(name) static void test_##name(void)

#define RUN(name)                                                                                  \
    do {                                                                                           \
        int failed_before_ = check_failed;                                                         \
        check_current = #name;                                                                     \
        test_##name();                                                                             \
        fprintf(stderr, "%s %s\n", check_failed == failed_before_ ? "ok  " : "FAIL", #name);       \
    } while (0)

#define CHECK_REPORT_(ok, ...)                                                                     \
    do {                                                                                           \
        if (ok) {                                                                                  \
            check_passed++;                                                                        \
        } else {                                                                                   \
            check_failed++;                                                                        \
            fprintf(stderr, "%s:%d: in %s: ", __FILE__, __LINE__, check_current);                  \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK(cond) CHECK_REPORT_((cond), "check failed: %s", #cond)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        CHECK_REPORT_(a_ == b_, "%s == %s: %lld != %lld", #a, #b, a_, b_);                         \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                                         \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        CHECK_REPORT_(a_ &&b_ &&strcmp(a_, b_) == 0, "%s == %s:\n  got:  %s\n  want: %s", #a, #b,  \
                      a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                     \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        CHECK_REPORT_(h_ &&strstr(h_, n_), "%s contains %s:\n  got: %s", #hay, #needle,            \
                      h_ ? h_ : "(null)");                                                         \
    } while (0)

static inline int check_summary(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
