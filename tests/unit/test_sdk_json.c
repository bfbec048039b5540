/* The C actor SDK's portable parts, compiled for the host: the JSON reader
 * and writer actors use on untrusted messages, and the memory helpers. (The
 * export glue stores 32-bit pointers and only makes sense in wasm32; the
 * example actors exercise it.) Every input is copied into a buffer of exactly
 * its length, so ASan and valgrind catch any read past `len`. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

#include "../../sdk/c/src/json.c"
#include "../../sdk/c/src/memory.c"

/* An exact-size heap copy of s, so a read past its end is an error. */
static uint8_t *exact(const char *s, size_t len)
{
    uint8_t *p = theater_xmalloc(len);
    memcpy(p, s, len);
    return p;
}

static theater_json_status get_str(const char *doc, const char *key, char *out, size_t cap)
{
    size_t len = strlen(doc), out_len;
    uint8_t *p = exact(doc, len);
    theater_json_status st = theater_json_get_string(p, len, key, out, cap, &out_len);
    free(p);
    return st;
}

static theater_json_status get_int(const char *doc, const char *key, int64_t *out)
{
    size_t len = strlen(doc);
    uint8_t *p = exact(doc, len);
    theater_json_status st = theater_json_get_int(p, len, key, out);
    free(p);
    return st;
}

static theater_json_status check_obj(const char *doc, size_t len)
{
    uint8_t *p = exact(doc, len);
    theater_json_status st = theater_json_check_object(p, len);
    free(p);
    return st;
}

TEST(finds_top_level_strings)
{
    char out[32];
    CHECK_EQ_INT(get_str("{\"op\":\"inc\"}", "op", out, sizeof out), THEATER_JSON_OK);
    CHECK_STR_EQ(out, "inc");
    CHECK_EQ_INT(get_str(" \r\n\t{ \"a\" : 1 , \"op\" : \"add\" } \n", "op", out, sizeof out),
                 THEATER_JSON_OK);
    CHECK_STR_EQ(out, "add");
    /* a key inside a nested object is not a top-level key */
    CHECK_EQ_INT(
        get_str("{\"x\":{\"op\":\"no\"},\"y\":[\"op\",{\"op\":1}]}", "op", out, sizeof out),
        THEATER_JSON_MISSING);
    CHECK_EQ_INT(get_str("{\"x\":{\"op\":\"no\"},\"op\":\"yes\"}", "op", out, sizeof out),
                 THEATER_JSON_OK);
    CHECK_STR_EQ(out, "yes");
    CHECK_EQ_INT(get_str("{}", "op", out, sizeof out), THEATER_JSON_MISSING);
    CHECK_EQ_INT(get_str("{\"op\":\"\"}", "op", out, sizeof out), THEATER_JSON_OK);
    CHECK_STR_EQ(out, "");
}

TEST(unescapes_strings)
{
    char out[32];
    CHECK_EQ_INT(get_str("{\"s\":\"a\\\"b\\\\c\\/d\\n\\t\"}", "s", out, sizeof out),
                 THEATER_JSON_OK);
    CHECK_STR_EQ(out, "a\"b\\c/d\n\t");
    CHECK_EQ_INT(get_str("{\"s\":\"\\u00e9\\u20AC\"}", "s", out, sizeof out), THEATER_JSON_OK);
    CHECK_STR_EQ(out, "\xc3\xa9\xe2\x82\xac");
    /* a surrogate pair is one 4-byte character: U+1F600 */
    CHECK_EQ_INT(get_str("{\"s\":\"\\ud83d\\ude00\"}", "s", out, sizeof out), THEATER_JSON_OK);
    CHECK_STR_EQ(out, "\xf0\x9f\x98\x80");
    /* raw UTF-8 passes through */
    CHECK_EQ_INT(get_str("{\"s\":\"h\xc3\xa9\"}", "s", out, sizeof out), THEATER_JSON_OK);
    CHECK_STR_EQ(out, "h\xc3\xa9");
    /* keys are compared unescaped */
    CHECK_EQ_INT(get_str("{\"\\u006fp\":\"x\"}", "op", out, sizeof out), THEATER_JSON_OK);
    CHECK_STR_EQ(out, "x");
}

TEST(string_buffer_bounds)
{
    char out[4];
    size_t out_len = 99;
    const char *doc = "{\"op\":\"abcd\"}";
    uint8_t *p = exact(doc, strlen(doc));

    /* 4 bytes need 5 with the NUL */
    CHECK_EQ_INT(theater_json_get_string(p, strlen(doc), "op", out, sizeof out, &out_len),
                 THEATER_JSON_TOO_LONG);
    CHECK_EQ_INT(out_len, 4);
    CHECK(memcmp(out, "abc", 3) == 0);
    CHECK_EQ_INT(theater_json_get_string(p, strlen(doc), "op", NULL, 0, &out_len),
                 THEATER_JSON_TOO_LONG);
    free(p);

    char big[8];
    /* an escaped NUL is part of the value; the length says where it ends */
    const char *nul = "{\"op\":\"a\\u0000b\"}";
    p = exact(nul, strlen(nul));
    CHECK_EQ_INT(theater_json_get_string(p, strlen(nul), "op", big, sizeof big, &out_len),
                 THEATER_JSON_OK);
    CHECK_EQ_INT(out_len, 3);
    CHECK(memcmp(big, "a\0b", 4) == 0);
    free(p);
}

TEST(reports_wrong_types_and_duplicates)
{
    char out[16];
    int64_t n;
    bool b;
    CHECK_EQ_INT(get_str("{\"op\":1}", "op", out, sizeof out), THEATER_JSON_WRONG_TYPE);
    CHECK_EQ_INT(get_str("{\"op\":null}", "op", out, sizeof out), THEATER_JSON_WRONG_TYPE);
    CHECK_EQ_INT(get_str("{\"op\":[\"a\"]}", "op", out, sizeof out), THEATER_JSON_WRONG_TYPE);
    CHECK_EQ_INT(get_int("{\"n\":\"1\"}", "n", &n), THEATER_JSON_WRONG_TYPE);
    CHECK_EQ_INT(get_int("{\"n\":1.0}", "n", &n), THEATER_JSON_WRONG_TYPE);
    CHECK_EQ_INT(get_int("{\"n\":1e3}", "n", &n), THEATER_JSON_WRONG_TYPE);
    CHECK_EQ_INT(get_int("{\"n\":true}", "n", &n), THEATER_JSON_WRONG_TYPE);
    CHECK_EQ_INT(get_str("{\"op\":\"a\",\"op\":\"b\"}", "op", out, sizeof out),
                 THEATER_JSON_DUPLICATE);
    CHECK_EQ_INT(get_str("{\"op\":\"a\",\"\\u006fp\":\"b\"}", "op", out, sizeof out),
                 THEATER_JSON_DUPLICATE);

    const char *doc = "{\"t\":true,\"f\":false,\"x\":0}";
    CHECK_EQ_INT(theater_json_get_bool(doc, strlen(doc), "t", &b), THEATER_JSON_OK);
    CHECK(b);
    CHECK_EQ_INT(theater_json_get_bool(doc, strlen(doc), "f", &b), THEATER_JSON_OK);
    CHECK(!b);
    CHECK_EQ_INT(theater_json_get_bool(doc, strlen(doc), "x", &b), THEATER_JSON_WRONG_TYPE);
}

TEST(parses_integers_to_the_limits)
{
    int64_t n = 0;
    CHECK_EQ_INT(get_int("{\"n\":42}", "n", &n), THEATER_JSON_OK);
    CHECK_EQ_INT(n, 42);
    CHECK_EQ_INT(get_int("{\"n\":-0}", "n", &n), THEATER_JSON_OK);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(get_int("{\"n\":9223372036854775807}", "n", &n), THEATER_JSON_OK);
    CHECK(n == INT64_MAX);
    CHECK_EQ_INT(get_int("{\"n\":-9223372036854775808}", "n", &n), THEATER_JSON_OK);
    CHECK(n == INT64_MIN);
    CHECK_EQ_INT(get_int("{\"n\":9223372036854775808}", "n", &n), THEATER_JSON_OUT_OF_RANGE);
    CHECK_EQ_INT(get_int("{\"n\":-9223372036854775809}", "n", &n), THEATER_JSON_OUT_OF_RANGE);
    CHECK_EQ_INT(get_int("{\"n\":99999999999999999999999}", "n", &n), THEATER_JSON_OUT_OF_RANGE);
}

TEST(rejects_malformed_documents)
{
    static const char *bad[] = {
        "",
        "   ",
        "[]",
        "\"op\"",
        "{",
        "{\"op\"",
        "{\"op\":",
        "{\"op\":\"inc\"",
        "{\"op\":\"inc\",}",
        "{\"op\":\"inc\"} x",
        "{\"op\":\"inc\"}{}",
        "{op:\"inc\"}",
        "{'op':'inc'}",
        "{\"op\":01}",
        "{\"op\":1.}",
        "{\"op\":.5}",
        "{\"op\":-}",
        "{\"op\":1e}",
        "{\"op\":+1}",
        "{\"op\":tru}",
        "{\"op\":nul}",
        "{\"op\":\"\\x\"}",
        "{\"op\":\"\\u12\"}",
        "{\"op\":\"\\u12G4\"}",
        "{\"op\":\"\\ud800\"}",        /* lone high surrogate */
        "{\"op\":\"\\udc00\"}",        /* lone low surrogate */
        "{\"op\":\"\\ud800\\u0041\"}", /* high surrogate, then not a low one */
        "{\"op\":\"a\tb\"}",           /* raw control character */
        "{\"op\":\"\xc0\x80\"}",       /* overlong NUL */
        "{\"op\":\"\xed\xa0\x80\"}",   /* UTF-8-encoded surrogate */
        "{\"op\":\"\xf5\x80\x80\x80\"}",
        "{\"op\":\"\xe2\x82\"}", /* truncated sequence */
        "{\"op\":\"\x80\"}",
        "{\"a\":[1,]}",
        "{\"a\":[1 2]}",
        "{\"a\":{\"b\"}}",
        "{\"a\":{\"b\":1,}}",
        "{\"a\":[}",
        "{\"a\":{]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        theater_json_status st = check_obj(bad[i], strlen(bad[i]));
        CHECK_REPORT_(st == THEATER_JSON_MALFORMED, "accepted malformed #%zu: %s", i, bad[i]);
    }
    CHECK_EQ_INT(theater_json_check_object(NULL, 0), THEATER_JSON_MALFORMED);
    CHECK_EQ_INT(theater_json_check_object(NULL, 5), THEATER_JSON_MALFORMED);
    /* an embedded NUL byte is not whitespace */
    CHECK_EQ_INT(check_obj("{}\0", 3), THEATER_JSON_MALFORMED);
}

TEST(accepts_well_formed_documents)
{
    static const char *good[] = {
        "{}",
        " { } ",
        "{\"a\":[]}",
        "{\"a\":[[],{},[{}]]}",
        "{\"a\":-0.5e+10,\"b\":1E-2,\"c\":0,\"d\":true,\"e\":false,\"f\":null}",
        "{\"a\":{\"b\":{\"c\":[1,\"x\",{\"d\":null}]}}}",
        "{\"\":\"empty key\"}",
        "{\"s\":\"\\ud83d\\ude00 \xf0\x9f\x98\x80 \xe2\x82\xac\"}",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        theater_json_status st = check_obj(good[i], strlen(good[i]));
        CHECK_REPORT_(st == THEATER_JSON_OK, "refused well-formed #%zu: %s", i, good[i]);
    }
}

/* Nesting is bounded without recursion: 64 levels pass, 65 and a hostile
 * million do not, and nothing overflows the (host or wasm) stack. */
static theater_json_status nested(size_t depth)
{
    size_t len = 6 + 2 * depth;
    char *doc = theater_xmalloc(len);
    memcpy(doc, "{\"a\":", 5);
    memset(doc + 5, '[', depth);
    memset(doc + 5 + depth, ']', depth);
    doc[len - 1] = '}';
    theater_json_status st = theater_json_check_object(doc, len);
    free(doc);
    return st;
}

TEST(limits_nesting)
{
    CHECK_EQ_INT(nested(63), THEATER_JSON_OK); /* 64 with the outer object */
    CHECK_EQ_INT(nested(64), THEATER_JSON_OK);
    CHECK_EQ_INT(nested(65), THEATER_JSON_MALFORMED);
    CHECK_EQ_INT(nested(1000000), THEATER_JSON_MALFORMED);
}

/* Every strict prefix of a valid document is malformed, and reading one
 * never touches the byte after it (ASan/valgrind would say). */
TEST(every_prefix_is_malformed)
{
    const char *doc = "{\"op\":\"add\",\"n\":-12,\"x\":[1,{\"y\":\"\\u00e9\\ud83d\\ude00\"}],"
                      "\"t\":true,\"z\":null,\"f\":1.5e-3}";
    size_t len = strlen(doc);
    int64_t n;
    CHECK_EQ_INT(get_int(doc, "n", &n), THEATER_JSON_OK);
    CHECK_EQ_INT(n, -12);
    for (size_t i = 0; i < len; i++) {
        uint8_t *p = exact(doc, i);
        theater_json_status st = theater_json_get_int(p, i, "n", &n);
        CHECK_REPORT_(st == THEATER_JSON_MALFORMED, "prefix of %zu bytes gave %d", i, (int)st);
        free(p);
    }
}

/* Random mutations of a valid document: any answer is fine as long as the
 * scanner stays in bounds and a found string is valid and terminated. */
TEST(survives_random_mutations)
{
    const char *seed = "{\"op\":\"add\",\"n\":7,\"s\":\"\\u00e9\\\"x\",\"a\":[{\"b\":[true]}]}";
    size_t len = strlen(seed);
    uint32_t rng = 12345;
    int found = 0;
    for (int round = 0; round < 20000; round++) {
        uint8_t *p = exact(seed, len);
        for (int k = 0; k < 3; k++) {
            rng = rng * 1103515245u + 12345u;
            p[(rng >> 8) % len] = (uint8_t)(rng >> 16);
        }
        size_t cut = len - (rng >> 24) % 4;
        char out[8];
        size_t out_len;
        int64_t n;
        if (theater_json_get_string(p, cut, "op", out, sizeof out, &out_len) == THEATER_JSON_OK) {
            found++;
            CHECK(out_len < sizeof out && out[out_len] == '\0');
        }
        (void)theater_json_get_int(p, cut, "n", &n);
        free(p);
    }
    CHECK(found > 0); /* some mutations leave "op" intact */
}

TEST(writes_objects)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "count", -9223372036854775807LL - 1);
    theater_json_add_cstr(&w, "s", "a\"b\\c\n\x01\xc3\xa9");
    theater_json_add_string(&w, "bad", "x\xff\xc3", 3);
    theater_json_add_bool(&w, "ok", true);
    theater_json_add_bool(&w, "no", false);
    theater_json_add_null(&w, "z");
    theater_json_add_raw(&w, "raw", "[1,2]", 5);
    theater_bytes out = theater_json_end(&w);
    const char *want =
        "{\"count\":-9223372036854775808,\"s\":\"a\\\"b\\\\c\\u000a\\u0001\xc3\xa9\","
        "\"bad\":\"x\\ufffd\\ufffd\",\"ok\":true,\"no\":false,\"z\":null,"
        "\"raw\":[1,2]}";
    CHECK_EQ_INT(out.len, strlen(want));
    CHECK(out.len == strlen(want) && memcmp(out.ptr, want, out.len) == 0);

    /* what the writer writes, the reader reads back */
    char s[32];
    size_t s_len;
    int64_t n;
    CHECK_EQ_INT(theater_json_check_object(out.ptr, out.len), THEATER_JSON_OK);
    CHECK_EQ_INT(theater_json_get_string(out.ptr, out.len, "s", s, sizeof s, &s_len),
                 THEATER_JSON_OK);
    CHECK_STR_EQ(s, "a\"b\\c\n\x01\xc3\xa9");
    CHECK_EQ_INT(theater_json_get_int(out.ptr, out.len, "count", &n), THEATER_JSON_OK);
    CHECK(n == INT64_MIN);
    theater_bytes_free(&out);
    CHECK(out.ptr == NULL && out.len == 0);

    theater_json_begin(&w);
    out = theater_json_end(&w);
    CHECK(out.len == 2 && memcmp(out.ptr, "{}", 2) == 0);
    theater_bytes_free(&out);

    theater_json_begin(&w);
    theater_json_add_int(&w, "x", 1);
    theater_json_abandon(&w);
    CHECK(w.buf.ptr == NULL);
}

TEST(explains_lookup_errors)
{
    theater_err e = theater_json_error("op", "a string", THEATER_JSON_MISSING);
    CHECK_STR_EQ(e.msg, "'op' is missing");
    CHECK_EQ_INT(e.len, strlen("'op' is missing"));
    theater_err_free(&e);
    CHECK(!theater_failed(e));
    e = theater_json_error("n", "an integer", THEATER_JSON_WRONG_TYPE);
    CHECK_STR_EQ(e.msg, "'n' must be an integer");
    theater_err_free(&e);
    e = theater_json_error("n", "an integer", THEATER_JSON_MALFORMED);
    CHECK_STR_EQ(e.msg, "message is not a JSON object");
    theater_err_free(&e);
    CHECK_STR_EQ(theater_json_status_text(THEATER_JSON_DUPLICATE), "appears more than once");
    CHECK_STR_EQ(theater_json_status_text((theater_json_status)99), "has an unknown problem");
}

TEST(error_detail_is_safe_text)
{
    theater_err e = theater_error_detail("unknown op: ", "ab\xff\n\"c", 6);
    CHECK_STR_EQ(e.msg, "unknown op: ab??\"c");
    CHECK_EQ_INT(e.len, strlen(e.msg));
    theater_err_free(&e);

    char long_detail[100];
    memset(long_detail, 'x', sizeof long_detail);
    e = theater_error_detail("p:", long_detail, sizeof long_detail);
    CHECK_EQ_INT(e.len, 2 + 64 + 3);
    CHECK_CONTAINS(e.msg, "x...");
    theater_err_free(&e);

    e = theater_error("plain");
    CHECK(theater_failed(e));
    CHECK_STR_EQ(e.msg, "plain");
    theater_err_free(&e);
}

TEST(memory_helpers)
{
    /* cabi_realloc gives a freeable block even for zero bytes, and grows */
    uint8_t *p = cabi_realloc(NULL, 0, 1, 0);
    CHECK(p != NULL);
    p = cabi_realloc(p, 0, 4, 100);
    CHECK(p != NULL && ((uintptr_t)p % 4) == 0);
    memset(p, 7, 100);
    free(p);

    theater_bytes a = theater_bytes_from_cstr("hello");
    CHECK(a.len == 5 && memcmp(a.ptr, "hello", 5) == 0);
    theater_bytes b = theater_bytes_take(&a);
    CHECK(a.ptr == NULL && a.len == 0 && b.len == 5);

    theater_state st = {false, {NULL, 0}};
    theater_state_set(&st, b); /* takes b */
    CHECK(st.some && st.bytes.len == 5);
    theater_state_set(&st, st.bytes); /* setting the same bytes keeps them */
    CHECK(st.some && memcmp(st.bytes.ptr, "hello", 5) == 0);
    theater_state_set(&st, theater_bytes_copy("x", 1)); /* frees "hello" */
    CHECK(st.bytes.len == 1 && st.bytes.ptr[0] == 'x');
    theater_state_clear(&st);
    CHECK(!st.some && st.bytes.ptr == NULL);

    theater_bytes empty = theater_bytes_copy(NULL, 0);
    CHECK(empty.ptr != NULL && empty.len == 0);
    theater_bytes_free(&empty);

    theater_buf buf = {0};
    theater_buf_append_i64(&buf, 0);
    theater_buf_append_byte(&buf, ' ');
    theater_buf_append_i64(&buf, INT64_MAX);
    theater_buf_append_byte(&buf, ' ');
    theater_buf_append_i64(&buf, -17);
    for (int i = 0; i < 1000; i++)
        theater_buf_append(&buf, "ab", 2);
    theater_bytes all = theater_buf_finish(&buf);
    CHECK(buf.ptr == NULL && buf.len == 0);
    CHECK_EQ_INT(all.len, strlen("0 9223372036854775807 -17") + 2000);
    CHECK(memcmp(all.ptr, "0 9223372036854775807 -17abab", 29) == 0);
    theater_bytes_free(&all);

    theater_buf none = {0};
    theater_bytes nothing = theater_buf_finish(&none);
    CHECK(nothing.ptr != NULL && nothing.len == 0);
    theater_bytes_free(&nothing);
}

int main(void)
{
    RUN(finds_top_level_strings);
    RUN(unescapes_strings);
    RUN(string_buffer_bounds);
    RUN(reports_wrong_types_and_duplicates);
    RUN(parses_integers_to_the_limits);
    RUN(rejects_malformed_documents);
    RUN(accepts_well_formed_documents);
    RUN(limits_nesting);
    RUN(every_prefix_is_malformed);
    RUN(survives_random_mutations);
    RUN(writes_objects);
    RUN(explains_lookup_errors);
    RUN(error_detail_is_safe_text);
    RUN(memory_helpers);
    return check_summary();
}
