/* The chain: appending, the canonical encoding (pinned by a fixed vector),
 * and verification against every kind of tampering. */
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "chain/sha256.h"
#include "check.h"
#include "common/hex.h"

static const char *hex_of(const uint8_t *p, size_t n, char *out)
{
    th_hex_encode(p, n, out);
    return out;
}

TEST(sha256_known_vectors)
{
    uint8_t h[TH_SHA256_SIZE];
    char hex[2 * TH_SHA256_SIZE + 1];
    th_sha256("", 0, h);
    CHECK_STR_EQ(hex_of(h, sizeof h, hex),
                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    th_sha256("abc", 3, h);
    CHECK_STR_EQ(hex_of(h, sizeof h, hex),
                 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(append_and_read_back)
{
    th_chain *c = th_chain_new();
    uint8_t zero[TH_HASH_SIZE] = {0}, head[TH_HASH_SIZE], state[TH_HASH_SIZE];
    th_chain_head(c, head);
    CHECK(memcmp(head, zero, TH_HASH_SIZE) == 0);
    CHECK_EQ_INT(th_chain_length(c), 0);
    CHECK(th_chain_event(c, 0) == NULL);

    char name[] = "theater:simple/actor#init";
    uint8_t input[] = {1, 2, 3};
    memset(state, 0xab, sizeof state);
    const th_event *e0 = th_chain_append(c, TH_EV_SPAWN, "counter", NULL, 0, NULL, 0, state, 10);
    CHECK(e0 != NULL);
    const th_event *e1 =
        th_chain_append(c, TH_EV_CALL, name, input, sizeof input, NULL, 0, NULL, -5);
    /* The chain keeps copies: changing the caller's bytes changes nothing. */
    name[0] = 'X';
    input[0] = 9;

    CHECK_EQ_INT(th_chain_length(c), 2);
    e0 = th_chain_event(c, 0);
    e1 = th_chain_event(c, 1);
    CHECK(e0 && e1);
    CHECK_EQ_INT(e0->index, 0);
    CHECK_EQ_INT(e1->index, 1);
    CHECK_EQ_INT(e0->type, TH_EV_SPAWN);
    CHECK_STR_EQ(e0->name, "counter");
    CHECK_STR_EQ(e1->name, "theater:simple/actor#init");
    CHECK_EQ_INT(e0->timestamp_ns, 10);
    CHECK_EQ_INT(e1->timestamp_ns, -5);
    CHECK(e0->input != NULL && e0->input_len == 0 && e0->output_len == 0);
    CHECK(e1->input_len == 3 && memcmp(e1->input, "\x01\x02\x03", 3) == 0);
    CHECK(e0->has_state && memcmp(e0->state_hash, state, TH_HASH_SIZE) == 0);
    CHECK(!e1->has_state && memcmp(e1->state_hash, zero, TH_HASH_SIZE) == 0);
    CHECK(memcmp(e0->parent, zero, TH_HASH_SIZE) == 0);
    CHECK(memcmp(e1->parent, e0->hash, TH_HASH_SIZE) == 0);
    uint8_t recomputed[TH_HASH_SIZE];
    th_event_compute_hash(e1, recomputed);
    CHECK(memcmp(recomputed, e1->hash, TH_HASH_SIZE) == 0);
    th_chain_head(c, head);
    CHECK(memcmp(head, e1->hash, TH_HASH_SIZE) == 0);
    CHECK(th_chain_event(c, 2) == NULL);
    CHECK(th_chain_verify(c, NULL));
    th_chain_free(c);
}

TEST(event_type_names)
{
    CHECK_STR_EQ(th_event_type_name(TH_EV_SPAWN), "spawn");
    CHECK_STR_EQ(th_event_type_name(TH_EV_CALL), "call");
    CHECK_STR_EQ(th_event_type_name(TH_EV_RETURN), "return");
    CHECK_STR_EQ(th_event_type_name(TH_EV_TRAP), "trap");
    CHECK_STR_EQ(th_event_type_name(TH_EV_HOST), "host");
    CHECK_STR_EQ(th_event_type_name(TH_EV_STOP), "stop");
    CHECK_STR_EQ(th_event_type_name((th_event_type)0), "unknown");
    CHECK_STR_EQ(th_event_type_name((th_event_type)7), "unknown");
}

/* The worked example of docs/chain.md, one field a line. If this fails,
 * the canonical encoding changed: every recorded chain would stop
 * verifying. */
static const char worked_example_encoding[] =
    "01"                                                                /* version */
    "0000000000000000"                                                  /* index 0 */
    "0000000000000000000000000000000000000000000000000000000000000000"  /* parent */
    "17979cfe362a0000"                                                  /* timestamp */
    "05"                                                                /* type: host */
    "0000001a"                                                          /* name length */
    "746865617465723a73696d706c652f72756e74696d65236c6f67"              /* name */
    "0000000c"                                                          /* input length */
    "0e000000010b000000026869"                                          /* ("hi") */
    "00000005"                                                          /* output length */
    "0e00000000"                                                        /* () */
    "01"                                                                /* has_state */
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; /* state */
static const char worked_example_hash[] =
    "5dfb9673ed7dddd112ef96408bf6377aabce5556faa488e0e30d916014c0bd0f";

static const th_event *append_worked_example(th_chain *c)
{
    static const uint8_t input[] = {0x0e, 0, 0, 0, 1, 0x0b, 0, 0, 0, 2, 'h', 'i'};
    static const uint8_t output[] = {0x0e, 0, 0, 0, 0};
    uint8_t state_hash[TH_HASH_SIZE];
    th_sha256("", 0, state_hash); /* the state is some(empty bytes) */
    return th_chain_append(c, TH_EV_HOST, "theater:simple/runtime#log", input, sizeof input, output,
                           sizeof output, state_hash, 1700000000000000000LL);
}

TEST(worked_example_is_a_fixed_vector)
{
    th_chain *c = th_chain_new();
    const th_event *ev = append_worked_example(c);
    th_buf enc = TH_BUF_INIT;
    th_event_encode(ev, &enc);
    CHECK_EQ_INT(enc.len, 138);
    CHECK_EQ_INT(th_event_encoded_size(ev), 138);

    char *got = malloc(2 * enc.len + 1);
    th_hex_encode(enc.data, enc.len, got);
    CHECK_STR_EQ(got, worked_example_encoding);
    char hash[2 * TH_HASH_SIZE + 1];
    CHECK_STR_EQ(hex_of(ev->hash, TH_HASH_SIZE, hash), worked_example_hash);
    free(got);
    th_buf_free(&enc);
    th_chain_free(c);
}

/* Events above the stack-buffer size take the heap path; both must hash
 * exactly th_event_encode's bytes. */
TEST(large_events_hash_their_encoding)
{
    th_chain *c = th_chain_new();
    size_t sizes[] = {0, 1, 2000, 2048, 5000, 100000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint8_t *payload = malloc(sizes[i] + 1);
        memset(payload, (int)i, sizes[i] + 1);
        const th_event *ev =
            th_chain_append(c, TH_EV_HOST, "x", payload, sizes[i], payload, sizes[i] / 2, NULL, 1);
        th_buf enc = TH_BUF_INIT;
        th_event_encode(ev, &enc);
        uint8_t h[TH_HASH_SIZE];
        th_sha256(enc.data, enc.len, h);
        CHECK(memcmp(h, ev->hash, TH_HASH_SIZE) == 0);
        CHECK_EQ_INT(enc.len, th_event_encoded_size(ev));
        th_buf_free(&enc);
        free(payload);
    }
    CHECK(th_chain_verify(c, NULL));
    th_chain_free(c);
}

TEST(pointers_stay_valid_as_the_chain_grows)
{
    th_chain *c = th_chain_new();
    uint8_t big[40000];
    memset(big, 0x5a, sizeof big);
    const th_event *first = th_chain_append(c, TH_EV_CALL, "first", big, 300, big, 20000, NULL, 0);
    const char *name = first->name;
    const uint8_t *input = first->input, *output = first->output;
    for (int i = 0; i < 20000; i++) {
        size_t len = (size_t)(i * 37) % (i % 100 == 0 ? sizeof big : 200);
        th_chain_append(c, TH_EV_HOST, "more", big, len, NULL, 0, NULL, i);
    }
    const th_event *again = th_chain_event(c, 0);
    CHECK(again->name == name && again->input == input && again->output == output);
    CHECK_STR_EQ(name, "first");
    CHECK(input[0] == 0x5a && input[299] == 0x5a && output[19999] == 0x5a);
    th_verify_report r;
    CHECK(th_chain_verify(c, &r));
    CHECK_EQ_INT(r.events_checked, 20001);
    th_chain_free(c);
}

TEST(empty_chain_verifies)
{
    th_chain *c = th_chain_new();
    th_verify_report r;
    memset(&r, 0xff, sizeof r);
    CHECK(th_chain_verify(c, &r));
    CHECK(r.ok);
    CHECK_EQ_INT(r.events_checked, 0);
    CHECK_EQ_INT(r.bytes_checked, 0);
    CHECK_STR_EQ(r.reason, "");
    th_chain_free(c);
}

/* ---- Tampering ------------------------------------------------------------ */

enum { N_EVENTS = 20 };

/* A chain with every type, empty and non-empty payloads, with and without
 * state. */
static th_chain *chain_of_20(void)
{
    static const char *names[] = {"counter", "theater:simple/actor#init",
                                  "theater:simple/runtime#log", "ended"};
    th_chain *c = th_chain_new();
    for (int i = 0; i < N_EVENTS; i++) {
        uint8_t input[24], output[16], state[TH_HASH_SIZE];
        for (size_t k = 0; k < sizeof input; k++)
            input[k] = (uint8_t)(i * 31 + (int)k);
        for (size_t k = 0; k < sizeof output; k++)
            output[k] = (uint8_t)(i * 17 + (int)k);
        th_sha256(input, (size_t)i, state);
        th_event_type type = (th_event_type)(1 + i % 6);
        th_chain_append(c, type, names[i % 4], input, (size_t)(i % 3 ? 24 : 0), output,
                        (size_t)(i % 4 ? 16 : 0), i % 5 ? state : NULL,
                        1700000000000000000LL + i * 1000);
    }
    return c;
}

static int tampered, caught_at_event, caught_by_link;

/* Verifies a chain with one flipped byte: it must fail at `want_bad` with a
 * reason that contains `want_reason`; with the byte flipped back it must
 * verify again. */
static void check_flip(th_chain *c, uint8_t *byte, size_t want_bad, const char *want_reason,
                       const char *what)
{
    th_verify_report r;
    *byte ^= 0xff;
    bool ok = th_chain_verify(c, &r);
    *byte ^= 0xff;
    tampered++;
    if (ok || r.first_bad != want_bad || !strstr(r.reason, want_reason)) {
        CHECK_REPORT_(0, "flipping a byte of %s: want event %zu (\"%s\"), got ok=%d event %zu: %s",
                      what, want_bad, want_reason, ok, r.first_bad, r.reason);
        return;
    }
    CHECK_REPORT_(!r.ok && r.events_checked == want_bad, "%s: report says ok or miscounts", what);
    caught_at_event++;
    CHECK_REPORT_(th_chain_verify(c, NULL), "%s: flipping back does not restore the chain", what);
}

static void flip_each_byte(th_chain *c, void *field, size_t size, size_t want_bad,
                           const char *want_reason, const char *what)
{
    for (size_t i = 0; i < size; i++)
        check_flip(c, (uint8_t *)field + i, want_bad, want_reason, what);
}

TEST(flipping_any_byte_of_any_field_is_caught_at_that_event)
{
    th_chain *c = chain_of_20();
    CHECK(th_chain_verify(c, NULL));
    const char *mismatch = "does not match its contents";
    for (size_t k = 0; k < N_EVENTS; k++) {
        th_event *ev = th_chain_event_mut(c, k);
        /* Contents: the event's own hash no longer matches. */
        flip_each_byte(c, (char *)ev->name, strlen(ev->name), k, mismatch, "name");
        flip_each_byte(c, (uint8_t *)ev->input, ev->input_len, k, mismatch, "input");
        flip_each_byte(c, (uint8_t *)ev->output, ev->output_len, k, mismatch, "output");
        flip_each_byte(c, &ev->timestamp_ns, sizeof ev->timestamp_ns, k, mismatch, "timestamp");
        if (ev->has_state)
            flip_each_byte(c, ev->state_hash, TH_HASH_SIZE, k, mismatch, "state hash");
        ev->has_state = !ev->has_state;
        CHECK(!th_chain_verify(c, NULL));
        ev->has_state = !ev->has_state;
        /* The stored hash itself: caught at this event, before the link
         * from the next one is looked at. */
        flip_each_byte(c, ev->hash, TH_HASH_SIZE, k, mismatch, "stored hash");
        /* Structure. */
        flip_each_byte(c, &ev->index, sizeof ev->index, k, "is out of place", "index");
        flip_each_byte(c, ev->parent, TH_HASH_SIZE, k, "parent hash", "parent");
        /* Flipping the type's low byte gives an unknown type; so does any
         * other byte of the enum. */
        flip_each_byte(c, &ev->type, sizeof ev->type, k, "is not a known event type", "type");
    }
    CHECK(tampered > 20 * 100);
    CHECK_EQ_INT(caught_at_event, tampered);
    th_chain_free(c);
}

/* Whoever rewrites an event and computes a fresh hash for it gets past the
 * event's own check; the next event's link catches it, and for the last
 * event the chain's head record does. */
TEST(rewritten_event_with_fresh_hash_is_caught_by_the_link)
{
    th_chain *c = chain_of_20();
    for (size_t k = 0; k < N_EVENTS; k++) {
        th_event *ev = th_chain_event_mut(c, k);
        uint8_t saved[TH_HASH_SIZE];
        memcpy(saved, ev->hash, TH_HASH_SIZE);
        ev->timestamp_ns++;
        th_event_compute_hash(ev, ev->hash);
        th_verify_report r;
        CHECK(!th_chain_verify(c, &r));
        char want[160];
        if (k + 1 < N_EVENTS) {
            CHECK_EQ_INT(r.first_bad, k + 1);
            snprintf(want, sizeof want,
                     "event %zu: parent hash does not match the hash of event %zu", k + 1, k);
        } else {
            CHECK_EQ_INT(r.first_bad, k);
            snprintf(want, sizeof want, "event %zu: hash differs from the recorded head", k);
        }
        CHECK_STR_EQ(r.reason, want);
        caught_by_link++;
        ev->timestamp_ns--;
        memcpy(ev->hash, saved, TH_HASH_SIZE);
        CHECK(th_chain_verify(c, NULL));
    }
    CHECK_EQ_INT(caught_by_link, N_EVENTS);
    th_chain_free(c);
}

TEST(reasons_name_the_problem)
{
    th_chain *c = chain_of_20();
    th_verify_report r;
    th_event *ev = th_chain_event_mut(c, 4); /* one with an input */
    CHECK(ev->input_len > 0);
    char stored[17], computed[17], want[256];
    uint8_t fresh[TH_HASH_SIZE];

    ((uint8_t *)ev->input)[0] ^= 1;
    th_event_compute_hash(ev, fresh);
    CHECK(!th_chain_verify(c, &r));
    snprintf(want, sizeof want,
             "event 4: stored hash %s\xe2\x80\xa6 does not match its contents (computed "
             "%s\xe2\x80\xa6)",
             hex_of(ev->hash, 8, stored), hex_of(fresh, 8, computed));
    CHECK_STR_EQ(r.reason, want);
    ((uint8_t *)ev->input)[0] ^= 1;

    ev->parent[0] ^= 1;
    CHECK(!th_chain_verify(c, &r));
    CHECK_STR_EQ(r.reason, "event 4: parent hash does not match the hash of event 3");
    ev->parent[0] ^= 1;

    ev = th_chain_event_mut(c, 0);
    ev->parent[31] ^= 1;
    CHECK(!th_chain_verify(c, &r));
    CHECK_STR_EQ(r.reason, "event 0: parent hash is not zero");
    ev->parent[31] ^= 1;

    ev->type = (th_event_type)9;
    CHECK(!th_chain_verify(c, &r));
    CHECK_STR_EQ(r.reason, "event 0: type 9 is not a known event type");
    ev->type = TH_EV_SPAWN;
    CHECK(th_chain_verify(c, &r));
    th_chain_free(c);
}

TEST(dropping_an_event_is_caught)
{
    size_t drops[] = {0, 5, 18};
    for (size_t i = 0; i < sizeof drops / sizeof drops[0]; i++) {
        th_chain *c = chain_of_20();
        th_chain_remove(c, drops[i]);
        CHECK_EQ_INT(th_chain_length(c), N_EVENTS - 1);
        th_verify_report r;
        CHECK(!th_chain_verify(c, &r));
        CHECK_EQ_INT(r.first_bad, drops[i]);
        char want[100];
        snprintf(want, sizeof want, "event %zu: index %zu is out of place", drops[i], drops[i] + 1);
        CHECK_STR_EQ(r.reason, want);
        th_chain_free(c);
    }
    /* Dropping the last event leaves a consistent chain, one short of what
     * the head record says. */
    th_chain *c = chain_of_20();
    th_chain_remove(c, N_EVENTS - 1);
    th_verify_report r;
    CHECK(!th_chain_verify(c, &r));
    CHECK_EQ_INT(r.first_bad, 19);
    CHECK_EQ_INT(r.events_checked, 19);
    CHECK_STR_EQ(
        r.reason,
        "chain ends after 19 events but its head record says 20 (events 19.. are missing)");
    th_chain_free(c);
}

TEST(swapping_two_events_is_caught)
{
    th_chain *c = chain_of_20();
    th_chain_swap(c, 3, 7);
    th_verify_report r;
    CHECK(!th_chain_verify(c, &r));
    CHECK_EQ_INT(r.first_bad, 3);
    CHECK_STR_EQ(r.reason, "event 3: index 7 is out of place");
    th_chain_swap(c, 3, 7);
    CHECK(th_chain_verify(c, &r));

    /* Even with their indexes swapped back into place, the links break. */
    th_chain_swap(c, 10, 11);
    th_event *a = th_chain_event_mut(c, 10), *b = th_chain_event_mut(c, 11);
    a->index = 10;
    b->index = 11;
    CHECK(!th_chain_verify(c, &r));
    CHECK_EQ_INT(r.first_bad, 10);
    CHECK_STR_EQ(r.reason, "event 10: parent hash does not match the hash of event 9");
    th_chain_free(c);
}

TEST(truncation_names_the_first_missing_event)
{
    th_chain *c = chain_of_20();
    th_chain_truncate(c, 12);
    th_verify_report r;
    CHECK(!th_chain_verify(c, &r));
    CHECK_EQ_INT(r.first_bad, 12);
    CHECK_EQ_INT(r.events_checked, 12);
    CHECK_STR_EQ(
        r.reason,
        "chain ends after 12 events but its head record says 20 (events 12.. are missing)");
    th_chain_truncate(c, 0);
    CHECK(!th_chain_verify(c, &r));
    CHECK_EQ_INT(r.first_bad, 0);
    th_chain_free(c);
}

TEST(report_counts_events_and_bytes)
{
    th_chain *c = chain_of_20();
    th_buf all = TH_BUF_INIT;
    for (size_t i = 0; i < N_EVENTS; i++)
        th_event_encode(th_chain_event(c, i), &all);
    th_verify_report r;
    CHECK(th_chain_verify(c, &r));
    CHECK(r.ok);
    CHECK_EQ_INT(r.events_checked, N_EVENTS);
    CHECK_EQ_INT(r.bytes_checked, all.len);
    CHECK_STR_EQ(r.reason, "");
    th_buf_free(&all);

    /* Appending after verification extends the record too. */
    append_worked_example(c);
    CHECK(th_chain_verify(c, &r));
    CHECK_EQ_INT(r.events_checked, N_EVENTS + 1);
    th_chain_free(c);
}

TEST(mutators_ignore_out_of_range)
{
    th_chain *c = chain_of_20();
    CHECK(th_chain_event_mut(c, N_EVENTS) == NULL);
    th_chain_remove(c, N_EVENTS);
    th_chain_swap(c, 0, N_EVENTS);
    th_chain_swap(c, 4, 4);
    th_chain_truncate(c, 100);
    CHECK_EQ_INT(th_chain_length(c), N_EVENTS);
    CHECK(th_chain_verify(c, NULL));
    th_chain_free(c);
}

TEST(empty_chain_needs_a_zero_head)
{
    th_chain *c = th_chain_new();
    uint8_t head[TH_HASH_SIZE] = {1};
    th_chain_set_record(c, head, 0);
    th_verify_report rep;
    CHECK(!th_chain_verify(c, &rep));
    CHECK_STR_EQ(rep.reason, "the chain is empty but its head record is not zero");
    memset(head, 0, sizeof head);
    th_chain_set_record(c, head, 0);
    CHECK(th_chain_verify(c, &rep));
    th_chain_free(c);
}

int main(void)
{
    RUN(empty_chain_needs_a_zero_head);
    RUN(sha256_known_vectors);
    RUN(append_and_read_back);
    RUN(event_type_names);
    RUN(worked_example_is_a_fixed_vector);
    RUN(large_events_hash_their_encoding);
    RUN(pointers_stay_valid_as_the_chain_grows);
    RUN(empty_chain_verifies);
    RUN(flipping_any_byte_of_any_field_is_caught_at_that_event);
    RUN(rewritten_event_with_fresh_hash_is_caught_by_the_link);
    RUN(reasons_name_the_problem);
    RUN(dropping_an_event_is_caught);
    RUN(swapping_two_events_is_caught);
    RUN(truncation_names_the_first_missing_event);
    RUN(report_counts_events_and_bytes);
    RUN(mutators_ignore_out_of_range);
    return check_summary();
}
