/* The TOML 1.0 parser: valid documents read back value by value, invalid
 * ones with their exact messages, and hostile input that must neither
 * crash nor read out of bounds. Every document is parsed from a heap copy
 * of exactly its length (no NUL after it), so AddressSanitizer catches any
 * read past the end. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/buf.h"
#include "manifest/toml.h"

static toml_value *parse_n(const char *text, size_t len, th_error *err)
{
    char *copy = malloc(len ? len : 1);
    if (!copy)
        abort();
    memcpy(copy, text, len);
    toml_value *v = toml_parse(copy, len, "t.toml", err);
    free(copy); /* the tree must not point into the text */
    return v;
}

static toml_value *parse(const char *text, th_error *err)
{
    return parse_n(text, strlen(text), err);
}

/* Parses a document that must be valid; reports the error if it is not. */
static toml_value *parse_ok(const char *text)
{
    th_error err = {0};
    toml_value *v = parse(text, &err);
    CHECK_REPORT_(v != NULL, "parse failed: %s", err.msg);
    return v;
}

/* The error message for a document that must be invalid. */
static const char *parse_error(const char *text, size_t len, th_error *err)
{
    toml_value *v = parse_n(text, len, err);
    if (v) {
        toml_free(v);
        return "(parsed without error)";
    }
    return err->msg;
}

static const toml_value *get(const toml_value *t, const char *key)
{
    const toml_value *v = toml_table_get(t, key);
    CHECK_REPORT_(v != NULL, "key '%s' is missing", key);
    return v;
}

static void check_string(const toml_value *t, const char *key, const char *want, size_t want_len)
{
    const toml_value *v = get(t, key);
    if (!v)
        return;
    CHECK_EQ_INT(v->kind, TOML_STRING);
    CHECK_EQ_INT(v->str.len, want_len);
    CHECK_REPORT_(v->str.len == want_len && memcmp(v->str.ptr, want, want_len) == 0,
                  "string '%s' is \"%s\"", key, v->str.ptr);
    CHECK_EQ_INT(v->str.ptr[v->str.len], '\0');
}

#define CHECK_STRING(t, key, lit) check_string((t), (key), (lit), sizeof(lit) - 1)

static void check_int(const toml_value *t, const char *key, int64_t want)
{
    const toml_value *v = get(t, key);
    if (!v)
        return;
    CHECK_EQ_INT(v->kind, TOML_INTEGER);
    CHECK_REPORT_(v->i == want, "integer '%s' is %lld, want %lld", key, (long long)v->i,
                  (long long)want);
}

static void check_float(const toml_value *t, const char *key, double want)
{
    const toml_value *v = get(t, key);
    if (!v)
        return;
    CHECK_EQ_INT(v->kind, TOML_FLOAT);
    CHECK_REPORT_(v->f == want && signbit(v->f) == signbit(want), "float '%s' is %.17g, want %.17g",
                  key, v->f, want);
}

static void check_datetime(const toml_value *t, const char *key, const char *text)
{
    const toml_value *v = get(t, key);
    if (!v)
        return;
    CHECK_EQ_INT(v->kind, TOML_DATETIME);
    CHECK_STR_EQ(v->str.ptr, text);
}

/* ---- Valid documents ------------------------------------------------------ */

TEST(comments_keys_and_basic_strings)
{
    toml_value *doc = parse_ok("# a comment line\n"
                               "title = \"TOML \\\"Example\\\"\"   # trailing comment\n"
                               "bare_key = \"1\"\n"
                               "bare-key = \"2\"\n"
                               "1234 = \"digits\"\n"
                               "\"quoted key\" = 'literal \\n stays'\n"
                               "'single quoted' = \"x\"\n"
                               "\"\" = \"empty key\"\n"
                               "escapes = \"\\b\\t\\n\\f\\r\\\"\\\\\\u00e9\\U0001F600\"\n"
                               "nul = \"a\\u0000b\"\n"
                               "empty = \"\"\n"
                               "utf8 = \"caf\xc3\xa9 \xe2\x82\xac\"\n"
                               "tab = \"a\tb\"\n");
    if (!doc)
        return;
    CHECK_EQ_INT(doc->kind, TOML_TABLE);
    CHECK_EQ_INT(doc->tab.len, 12);
    CHECK_STRING(doc, "title", "TOML \"Example\"");
    CHECK_STRING(doc, "bare_key", "1");
    CHECK_STRING(doc, "bare-key", "2");
    CHECK_STRING(doc, "1234", "digits");
    CHECK_STRING(doc, "quoted key", "literal \\n stays");
    CHECK_STRING(doc, "single quoted", "x");
    CHECK_STRING(doc, "", "empty key");
    CHECK_STRING(doc, "escapes", "\b\t\n\f\r\"\\\xc3\xa9\xf0\x9f\x98\x80");
    CHECK_STRING(doc, "nul", "a\0b");
    CHECK_STRING(doc, "empty", "");
    CHECK_STRING(doc, "utf8", "caf\xc3\xa9 \xe2\x82\xac");
    CHECK_STRING(doc, "tab", "a\tb");
    /* document order is kept */
    CHECK_STR_EQ(doc->tab.items[0].key, "title");
    CHECK_STR_EQ(doc->tab.items[11].key, "tab");
    toml_free(doc);
}

TEST(multiline_strings)
{
    toml_value *doc =
        parse_ok("ml = \"\"\"\nRoses are red\nViolets are blue\"\"\"\n"
                 "trimmed = \"\"\"\\\n    The quick \\\n\n    brown \\   \n  fox.\"\"\"\n"
                 "quotes = \"\"\"two \"\" quotes\"\"\"\n"
                 "end_quotes = \"\"\"ends with two\"\"\"\"\"\n"
                 "one_end = \"\"\"ends with one\"\"\"\"\n"
                 "escaped = \"\"\"a\\tb\\u0041\"\"\"\n"
                 "lit = '''\nThe first newline is\ntrimmed. \\n stays\n'''\n"
                 "lit_quotes = ''''That,' she said.''''\n"
                 "empty_ml = \"\"\"\"\"\"\n");
    if (!doc)
        return;
    CHECK_STRING(doc, "ml", "Roses are red\nViolets are blue");
    CHECK_STRING(doc, "trimmed", "The quick brown fox.");
    CHECK_STRING(doc, "quotes", "two \"\" quotes");
    CHECK_STRING(doc, "end_quotes", "ends with two\"\"");
    CHECK_STRING(doc, "one_end", "ends with one\"");
    CHECK_STRING(doc, "escaped", "a\tbA");
    CHECK_STRING(doc, "lit", "The first newline is\ntrimmed. \\n stays\n");
    CHECK_STRING(doc, "lit_quotes", "'That,' she said.'");
    CHECK_STRING(doc, "empty_ml", "");
    toml_free(doc);
}

TEST(crlf_line_endings)
{
    toml_value *doc = parse_ok("a = 1\r\n# comment\r\nml = \"\"\"\r\nx\r\ny\"\"\"\r\n"
                               "lit = '''\r\np\r\n'''\r\n[t]\r\nb = \"c\"\r\n");
    if (!doc)
        return;
    check_int(doc, "a", 1);
    CHECK_STRING(doc, "ml", "x\ny");
    CHECK_STRING(doc, "lit", "p\n");
    const toml_value *t = get(doc, "t");
    if (t) {
        CHECK_STRING(t, "b", "c");
        CHECK_EQ_INT(t->line, 9);
    }
    toml_free(doc);
}

TEST(integers)
{
    toml_value *doc = parse_ok("plus = +99\nminus = -17\nzero = 0\nplus_zero = +0\n"
                               "minus_zero = -0\nunderscores = 1_000_000\n"
                               "hex = 0xDEADBEEF\nhex_lower = 0xdead_beef\nhex_zero = 0x00ff\n"
                               "oct = 0o755\nbin = 0b1101_0110\n"
                               "max = 9223372036854775807\nmin = -9223372036854775808\n"
                               "hex_max = 0x7FFFFFFFFFFFFFFF\n");
    if (!doc)
        return;
    check_int(doc, "plus", 99);
    check_int(doc, "minus", -17);
    check_int(doc, "zero", 0);
    check_int(doc, "plus_zero", 0);
    check_int(doc, "minus_zero", 0);
    check_int(doc, "underscores", 1000000);
    check_int(doc, "hex", 0xDEADBEEF);
    check_int(doc, "hex_lower", 0xDEADBEEF);
    check_int(doc, "hex_zero", 255);
    check_int(doc, "oct", 0755);
    check_int(doc, "bin", 0xD6);
    check_int(doc, "max", INT64_MAX);
    check_int(doc, "min", INT64_MIN);
    check_int(doc, "hex_max", INT64_MAX);
    toml_free(doc);
}

TEST(floats)
{
    toml_value *doc = parse_ok("a = +1.0\nb = 3.1415\nc = -0.01\nd = 5e+22\ne = 1e06\n"
                               "f = -2E-2\ng = 6.626e-34\nh = 224_617.445_991_228\n"
                               "i = inf\nj = +inf\nk = -inf\nl = nan\nm = +nan\nn = -nan\n"
                               "o = -0.0\np = 0e0\nq = 1.7976931348623157e308\n");
    if (!doc)
        return;
    check_float(doc, "a", 1.0);
    check_float(doc, "b", 3.1415);
    check_float(doc, "c", -0.01);
    check_float(doc, "d", 5e22);
    check_float(doc, "e", 1e6);
    check_float(doc, "f", -2e-2);
    check_float(doc, "g", 6.626e-34);
    check_float(doc, "h", 224617.445991228);
    check_float(doc, "i", INFINITY);
    check_float(doc, "j", INFINITY);
    check_float(doc, "k", -INFINITY);
    for (const char *const *k = (const char *const[]){"l", "m", "n", NULL}; *k; k++) {
        const toml_value *v = get(doc, *k);
        CHECK(v && v->kind == TOML_FLOAT && isnan(v->f));
    }
    check_float(doc, "o", -0.0);
    check_float(doc, "p", 0.0);
    check_float(doc, "q", 1.7976931348623157e308);
    toml_free(doc);
}

TEST(booleans_and_datetimes)
{
    toml_value *doc = parse_ok("t = true\nf = false\n"
                               "odt1 = 1979-05-27T07:32:00Z\n"
                               "odt2 = 1979-05-27T00:32:00-07:00\n"
                               "odt3 = 1979-05-27T00:32:00.999999+07:30\n"
                               "odt4 = 1979-05-27 07:32:00z\n"
                               "odt5 = 1979-05-27t07:32:00Z\n"
                               "ldt = 1979-05-27T07:32:00\n"
                               "ldt2 = 1979-05-27T00:32:00.5\n"
                               "ld = 1979-05-27\n"
                               "lt = 07:32:00\n"
                               "lt2 = 00:32:00.999999\n"
                               "leap_day = 2024-02-29\n"
                               "leap_400 = 2000-02-29\n"
                               "leap_second = 1990-12-31T23:59:60Z\n"
                               "in_array = [1979-05-27, 07:32:00]\n");
    if (!doc)
        return;
    const toml_value *t = get(doc, "t"), *f = get(doc, "f");
    CHECK(t && t->kind == TOML_BOOL && t->b);
    CHECK(f && f->kind == TOML_BOOL && !f->b);
    check_datetime(doc, "odt1", "1979-05-27T07:32:00Z");
    check_datetime(doc, "odt2", "1979-05-27T00:32:00-07:00");
    check_datetime(doc, "odt3", "1979-05-27T00:32:00.999999+07:30");
    check_datetime(doc, "odt4", "1979-05-27 07:32:00z");
    check_datetime(doc, "odt5", "1979-05-27t07:32:00Z");
    check_datetime(doc, "ldt", "1979-05-27T07:32:00");
    check_datetime(doc, "ldt2", "1979-05-27T00:32:00.5");
    check_datetime(doc, "ld", "1979-05-27");
    check_datetime(doc, "lt", "07:32:00");
    check_datetime(doc, "lt2", "00:32:00.999999");
    check_datetime(doc, "leap_day", "2024-02-29");
    check_datetime(doc, "leap_400", "2000-02-29");
    check_datetime(doc, "leap_second", "1990-12-31T23:59:60Z");
    const toml_value *arr = get(doc, "in_array");
    if (arr && arr->kind == TOML_ARRAY && arr->arr.len == 2) {
        CHECK_STR_EQ(arr->arr.items[0]->str.ptr, "1979-05-27");
        CHECK_STR_EQ(arr->arr.items[1]->str.ptr, "07:32:00");
    } else {
        CHECK(!"in_array is an array of two");
    }
    toml_free(doc);
}

TEST(arrays)
{
    toml_value *doc = parse_ok("integers = [ 1, 2, 3 ]\n"
                               "nested = [ [ 1, 2 ], [\"a\", 'b'] ]\n"
                               "mixed = [ 0.5, \"x\", true, { k = 1 }, [] ]\n"
                               "multi = [\n  1,   # one\n\n  2, # two\n  # nothing\n]\n"
                               "trailing = [1,2,]\n"
                               "empty = []\n"
                               "empty_lines = [\n\n]\n");
    if (!doc)
        return;
    const toml_value *a = get(doc, "integers");
    CHECK(a && a->kind == TOML_ARRAY && a->arr.len == 3 && a->arr.items[2]->i == 3);
    const toml_value *n = get(doc, "nested");
    if (n && n->kind == TOML_ARRAY && n->arr.len == 2) {
        CHECK_EQ_INT(n->arr.items[0]->kind, TOML_ARRAY);
        CHECK_EQ_INT(n->arr.items[0]->arr.items[1]->i, 2);
        CHECK_STR_EQ(n->arr.items[1]->arr.items[1]->str.ptr, "b");
    } else {
        CHECK(!"nested is an array of two");
    }
    const toml_value *m = get(doc, "mixed");
    if (m && m->kind == TOML_ARRAY && m->arr.len == 5) {
        CHECK_EQ_INT(m->arr.items[0]->kind, TOML_FLOAT);
        CHECK_EQ_INT(m->arr.items[1]->kind, TOML_STRING);
        CHECK_EQ_INT(m->arr.items[2]->kind, TOML_BOOL);
        CHECK_EQ_INT(m->arr.items[3]->kind, TOML_TABLE);
        CHECK_EQ_INT(m->arr.items[4]->kind, TOML_ARRAY);
        check_int(m->arr.items[3], "k", 1);
    } else {
        CHECK(!"mixed is an array of five");
    }
    const toml_value *multi = get(doc, "multi");
    CHECK(multi && multi->arr.len == 2 && multi->arr.items[1]->i == 2);
    const toml_value *trailing = get(doc, "trailing");
    CHECK(trailing && trailing->arr.len == 2);
    const toml_value *empty = get(doc, "empty");
    CHECK(empty && empty->kind == TOML_ARRAY && empty->arr.len == 0);
    const toml_value *empty_lines = get(doc, "empty_lines");
    CHECK(empty_lines && empty_lines->arr.len == 0);
    toml_free(doc);
}

TEST(tables_and_dotted_keys)
{
    toml_value *doc = parse_ok("top.level = 1\n"
                               "point = { x = 1, y = -2 }\n"
                               "nested = { a.b = 1, a.c = { d = 'e' } }\n"
                               "empty = {}\n"
                               "[table]\n"
                               "key = \"value\"\n"
                               "[dog.\"tater.man\"]\n"
                               "type.name = \"pug\"\n"
                               "[ spaced . header ]\n"
                               "[a.b.c]\n"
                               "[a]\n"
                               "x = 1\n"
                               "[fruit]\n"
                               "apple.color = \"red\"\n"
                               "apple.taste.sweet = true\n"
                               "[fruit.apple.texture]\n"
                               "smooth = true\n"
                               "[p.q.r]\n"
                               "[p]\n"
                               "q.s = 1 # a dotted key may add to an implicit table\n");
    if (!doc)
        return;
    check_int(get(doc, "top"), "level", 1);
    const toml_value *point = get(doc, "point");
    check_int(point, "x", 1);
    check_int(point, "y", -2);
    const toml_value *nested_a = toml_table_get(get(doc, "nested"), "a");
    check_int(nested_a, "b", 1);
    CHECK_STRING(toml_table_get(nested_a, "c"), "d", "e");
    CHECK_EQ_INT(get(doc, "empty")->tab.len, 0);
    CHECK_STRING(get(doc, "table"), "key", "value");
    const toml_value *tater = toml_table_get(get(doc, "dog"), "tater.man");
    CHECK_STRING(toml_table_get(tater, "type"), "name", "pug");
    CHECK(toml_table_get(get(doc, "spaced"), "header") != NULL);
    const toml_value *a = get(doc, "a");
    check_int(a, "x", 1);
    CHECK(toml_table_get(toml_table_get(a, "b"), "c") != NULL);
    const toml_value *apple = toml_table_get(get(doc, "fruit"), "apple");
    CHECK_STRING(apple, "color", "red");
    const toml_value *sweet = toml_table_get(toml_table_get(apple, "taste"), "sweet");
    CHECK(sweet && sweet->kind == TOML_BOOL && sweet->b);
    const toml_value *smooth = toml_table_get(toml_table_get(apple, "texture"), "smooth");
    CHECK(smooth && smooth->b);
    const toml_value *q = toml_table_get(get(doc, "p"), "q");
    check_int(q, "s", 1);
    CHECK(toml_table_get(q, "r") != NULL);
    toml_free(doc);
}

TEST(arrays_of_tables)
{
    toml_value *doc = parse_ok("[[products]]\nname = \"Hammer\"\nsku = 738594937\n"
                               "[[products]]  # empty\n"
                               "[[products]]\nname = \"Nail\"\n"
                               "[[fruits]]\nname = \"apple\"\n"
                               "[fruits.physical]\ncolor = \"red\"\n"
                               "[[fruits.varieties]]\nname = \"red delicious\"\n"
                               "[[fruits.varieties]]\nname = \"granny smith\"\n"
                               "[[fruits]]\nname = \"banana\"\n"
                               "[fruits.physical]\ncolor = \"yellow\"\n"
                               "[[fruits.varieties]]\nname = \"plantain\"\n"
                               "[[x.y]]\n[x]\nz = 1\n");
    if (!doc)
        return;
    const toml_value *products = get(doc, "products");
    if (products && products->kind == TOML_ARRAY && products->arr.len == 3) {
        CHECK_STRING(products->arr.items[0], "name", "Hammer");
        check_int(products->arr.items[0], "sku", 738594937);
        CHECK_EQ_INT(products->arr.items[1]->tab.len, 0);
        CHECK_STRING(products->arr.items[2], "name", "Nail");
        CHECK_EQ_INT(products->arr.items[1]->line, 4);
        CHECK_EQ_INT(products->arr.items[1]->col, 1);
    } else {
        CHECK(!"products is an array of three tables");
    }
    const toml_value *fruits = get(doc, "fruits");
    if (fruits && fruits->kind == TOML_ARRAY && fruits->arr.len == 2) {
        const toml_value *apple = fruits->arr.items[0], *banana = fruits->arr.items[1];
        CHECK_STRING(toml_table_get(apple, "physical"), "color", "red");
        CHECK_STRING(toml_table_get(banana, "physical"), "color", "yellow");
        const toml_value *v = toml_table_get(apple, "varieties");
        CHECK(v && v->kind == TOML_ARRAY && v->arr.len == 2);
        if (v && v->arr.len == 2)
            CHECK_STRING(v->arr.items[1], "name", "granny smith");
        v = toml_table_get(banana, "varieties");
        CHECK(v && v->arr.len == 1);
    } else {
        CHECK(!"fruits is an array of two tables");
    }
    check_int(get(doc, "x"), "z", 1);
    toml_free(doc);
}

TEST(positions)
{
    toml_value *doc = parse_ok("a = 1\n"
                               "  b = \"x\"\n"
                               "\n"
                               "[t]\n"
                               "c = [1,  2]\n"
                               "d.e = { f = 3 }\n"
                               "ml = \"\"\"\none\ntwo\"\"\"\n"
                               "g = 'after'\n");
    if (!doc)
        return;
    const toml_kv *a = toml_table_entry(doc, "a");
    CHECK(a && a->line == 1 && a->col == 1 && a->value->line == 1 && a->value->col == 5);
    const toml_kv *b = toml_table_entry(doc, "b");
    CHECK(b && b->line == 2 && b->col == 3 && b->value->line == 2 && b->value->col == 7);
    const toml_value *t = get(doc, "t");
    CHECK(t && t->line == 4 && t->col == 1);
    const toml_value *c = toml_table_get(t, "c");
    CHECK(c && c->line == 5 && c->col == 5);
    CHECK(c && c->arr.len == 2 && c->arr.items[1]->line == 5 && c->arr.items[1]->col == 10);
    const toml_kv *e = toml_table_entry(toml_table_get(t, "d"), "e");
    CHECK(e && e->line == 6 && e->col == 3 && e->value->col == 7);
    const toml_kv *f = toml_table_entry(e ? e->value : NULL, "f");
    CHECK(f && f->line == 6 && f->col == 9 && f->value->col == 13);
    const toml_kv *g = toml_table_entry(t, "g");
    CHECK(g && g->line == 10 && g->col == 1 && g->value->col == 5);
    toml_free(doc);
}

TEST(lookups_and_names)
{
    toml_value *doc = parse_ok("a = 1\n[t]\nb = 2\n");
    if (!doc)
        return;
    CHECK(toml_table_get(doc, "missing") == NULL);
    CHECK(toml_table_entry(doc, "missing") == NULL);
    CHECK(toml_table_get(get(doc, "a"), "x") == NULL); /* not a table */
    CHECK(toml_table_get(NULL, "a") == NULL);
    CHECK(toml_table_get(doc, NULL) == NULL);
    const toml_kv *kv = toml_table_entry(doc, "t");
    CHECK(kv && strcmp(kv->key, "t") == 0 && kv->value->kind == TOML_TABLE);
    CHECK_STR_EQ(toml_kind_name(TOML_STRING), "string");
    CHECK_STR_EQ(toml_kind_name(TOML_INTEGER), "integer");
    CHECK_STR_EQ(toml_kind_name(TOML_FLOAT), "float");
    CHECK_STR_EQ(toml_kind_name(TOML_BOOL), "boolean");
    CHECK_STR_EQ(toml_kind_name(TOML_DATETIME), "datetime");
    CHECK_STR_EQ(toml_kind_name(TOML_ARRAY), "array");
    CHECK_STR_EQ(toml_kind_name(TOML_TABLE), "table");
    toml_free(doc);
    toml_free(NULL);
}

TEST(empty_documents_and_bom)
{
    const char *const empties[] = {"", "\n", "   \t\n\n", "# only a comment", "#\r\n", NULL};
    for (size_t i = 0; empties[i]; i++) {
        toml_value *doc = parse_ok(empties[i]);
        CHECK(doc && doc->kind == TOML_TABLE && doc->tab.len == 0);
        toml_free(doc);
    }
    th_error err;
    toml_value *doc = toml_parse(NULL, 0, "t.toml", &err);
    CHECK(doc && doc->tab.len == 0);
    toml_free(doc);
    doc = parse_ok("\xEF\xBB\xBF"
                   "a = 1\n");
    const toml_kv *a = toml_table_entry(doc, "a");
    CHECK(a && a->line == 1 && a->col == 1);
    toml_free(doc);
}

/* Enough keys for the hash index, and a duplicate it must catch. */
TEST(many_keys)
{
    th_buf text = TH_BUF_INIT;
    for (int i = 0; i < 5000; i++)
        th_buf_printf(&text, "k%d = %d\n", i, i);
    toml_value *doc = parse_ok(th_buf_cstr(&text));
    if (doc) {
        CHECK_EQ_INT(doc->tab.len, 5000);
        check_int(doc, "k0", 0);
        check_int(doc, "k4321", 4321);
        check_int(doc, "k4999", 4999);
        CHECK(toml_table_get(doc, "k5000") == NULL);
        toml_free(doc);
    }
    th_buf_append_str(&text, "k2500 = 1\n");
    th_error err;
    CHECK_STR_EQ(parse_error((const char *)text.data, text.len, &err),
                 "t.toml:5001:1: duplicate key 'k2500' (first defined at 2501:1)");
    th_buf_free(&text);
}

/* ---- Invalid documents ---------------------------------------------------- */

typedef struct bad_doc {
    const char *text;
    size_t len; /* 0: strlen(text) */
    const char *message;
} bad_doc;

static const bad_doc bad_docs[] = {
    /* keys and structure */
    {"a = 1\na = 2\n", 0, "t.toml:2:1: duplicate key 'a' (first defined at 1:1)"},
    {"a.\"\" = 1\na.\"\" = 2\n", 0, "t.toml:2:3: duplicate key 'a.\"\"' (first defined at 1:3)"},
    {"= 1\n", 0, "t.toml:1:1: unexpected '=', expected a key"},
    {"a\n", 0, "t.toml:1:2: unexpected end of line, expected '=' after the key"},
    {"a = ", 0, "t.toml:1:5: unexpected end of input, expected a value"},
    {"a = # no value\n", 0, "t.toml:1:5: unexpected '#', expected a value"},
    {"a = 1 b = 2\n", 0, "t.toml:1:7: unexpected 'b', expected a newline after the value"},
    {"a. = 1\n", 0, "t.toml:1:4: unexpected '=', expected a key"},
    {"\"\"\"k\"\"\" = 1\n", 0, "t.toml:1:1: multi-line strings cannot be keys"},
    {"\"a\\u0000b\" = 1\n", 0, "t.toml:1:1: keys cannot contain U+0000"},
    {"k\xc3\xa9 = 1\n", 0, "t.toml:1:2: unexpected '\xc3\xa9', expected '=' after the key"},
    /* strings */
    {"x = 1\nname = \"abc\n", 0,
     "t.toml:2:8: unterminated string, expected '\"' before the end of the line"},
    {"a = 'abc", 0, "t.toml:1:5: unterminated string, expected \"'\" before the end of the line"},
    {"a = \"\"\"abc\n", 0,
     "t.toml:1:5: unterminated multi-line string, expected '\"\"\"' before the end of the input"},
    {"a = '''abc''", 0,
     "t.toml:1:5: unterminated multi-line string, expected \"'''\" before the end of the input"},
    {"a = \"\\x41\"\n", 0,
     "t.toml:1:7: unexpected 'x', expected an escape after '\\' (\\b \\t \\n \\f \\r \\\" \\\\ "
     "\\uXXXX \\UXXXXXXXX)"},
    {"a = \"\\uD800\"\n", 0,
     "t.toml:1:6: invalid escape '\\uD800': surrogates are not Unicode scalar values"},
    {"a = \"\\U00110000\"\n", 0,
     "t.toml:1:6: invalid escape '\\U00110000': beyond U+10FFFF, the last code point"},
    {"a = \"\\u12\"\n", 0,
     "t.toml:1:10: unexpected '\"', expected 4 hexadecimal digits after '\\u'"},
    {"a = \"\"\"x\\ y\"\"\"\n", 0,
     "t.toml:1:10: unexpected ' ', expected an escape after '\\' (\\b \\t \\n \\f \\r \\\" \\\\ "
     "\\uXXXX \\UXXXXXXXX)"},
    {"a = '''x''''''\n", 0, "t.toml:1:14: unexpected \"'\", expected a newline after the value"},
    {"a = \"x\"\"y\"\n", 0, "t.toml:1:8: unexpected '\"', expected a newline after the value"},
    /* integers and floats */
    {"a = 01\n", 0, "t.toml:1:5: invalid number '01': leading zeros are not allowed"},
    {"a = 1__0\n", 0, "t.toml:1:6: invalid number '1__0': '_' must stand between two digits"},
    {"a = 1_\n", 0, "t.toml:1:6: invalid number '1_': '_' must stand between two digits"},
    {"a = 9223372036854775808\n", 0,
     "t.toml:1:5: invalid number '9223372036854775808': out of range for a 64-bit signed "
     "integer"},
    {"a = -9223372036854775809\n", 0,
     "t.toml:1:5: invalid number '-9223372036854775809': out of range for a 64-bit signed "
     "integer"},
    {"a = 0x8000000000000000\n", 0,
     "t.toml:1:5: invalid number '0x8000000000000000': out of range for a 64-bit signed "
     "integer"},
    {"a = 0x\n", 0, "t.toml:1:7: invalid number '0x': expected a digit after the prefix"},
    {"a = -0x1\n", 0,
     "t.toml:1:5: invalid number '-0x1': hexadecimal, octal and binary integers cannot have a "
     "sign"},
    {"a = 0o8\n", 0, "t.toml:1:7: invalid number '0o8': '8' is not an octal digit"},
    {"a = 0X1\n", 0, "t.toml:1:6: invalid number '0X1': unexpected 'X'"},
    {"a = 1.\n", 0, "t.toml:1:7: invalid number '1.': expected a digit after '.'"},
    {"a = 1e\n", 0, "t.toml:1:7: invalid number '1e': expected a digit in the exponent"},
    {"a = 1.2.3\n", 0, "t.toml:1:8: invalid number '1.2.3': unexpected '.'"},
    {"a = .5\n", 0, "t.toml:1:5: unexpected '.', expected a value"},
    {"a = 1e400\n", 0, "t.toml:1:5: invalid number '1e400': out of range for a 64-bit float"},
    {"a = -\n", 0, "t.toml:1:6: invalid number '-': expected a digit"},
    /* booleans and bare words */
    {"a = hello\n", 0, "t.toml:1:5: unexpected 'hello', expected a value (strings must be quoted)"},
    {"a = True\n", 0, "t.toml:1:5: unexpected 'True', expected a value (strings must be quoted)"},
    {"a = truex\n", 0, "t.toml:1:5: unexpected 'truex', expected a value (strings must be quoted)"},
    /* dates and times */
    {"a = 1979-13-01\n", 0, "t.toml:1:10: invalid date: month 13 is not between 01 and 12"},
    {"a = 2023-02-29\n", 0,
     "t.toml:1:13: invalid date: day 29 is not between 01 and 28 in 2023-02"},
    {"a = 1900-02-29\n", 0,
     "t.toml:1:13: invalid date: day 29 is not between 01 and 28 in 1900-02"},
    {"a = 2023-04-31\n", 0,
     "t.toml:1:13: invalid date: day 31 is not between 01 and 30 in 2023-04"},
    {"a = 24:00:00\n", 0, "t.toml:1:5: invalid time: hour 24 is not between 00 and 23"},
    {"a = 12:60:00\n", 0, "t.toml:1:8: invalid time: minute 60 is not between 00 and 59"},
    {"a = 12:00:61\n", 0, "t.toml:1:11: invalid time: second 61 is not between 00 and 60"},
    {"a = 12:00\n", 0, "t.toml:1:10: unexpected end of line, expected a time as HH:MM:SS"},
    {"a = 1979-05-27T\n", 0, "t.toml:1:16: unexpected end of line, expected a time as HH:MM:SS"},
    {"a = 1979-05-27T07:32:00+25:00\n", 0,
     "t.toml:1:25: invalid offset: hour 25 is not between 00 and 23"},
    {"a = 1979-05-27T07:32:00.Z\n", 0,
     "t.toml:1:25: unexpected 'Z', expected a digit after the decimal point of the seconds"},
    {"a = 1979-5-27\n", 0, "t.toml:1:11: unexpected '-', expected a date as YYYY-MM-DD"},
    {"a = 1979-05-27X\n", 0, "t.toml:1:15: unexpected 'X', expected the end of the date-time"},
    /* arrays and inline tables */
    {"a = [1, 2", 0,
     "t.toml:1:10: unexpected end of input, expected ',' or ']' to close the array opened at "
     "1:5"},
    {"a = [1 2]\n", 0,
     "t.toml:1:8: unexpected '2', expected ',' or ']' to close the array opened at 1:5"},
    {"a = [,]\n", 0, "t.toml:1:6: unexpected ',', expected a value"},
    {"a = [1,,2]\n", 0, "t.toml:1:8: unexpected ',', expected a value"},
    {"a = {b = 1,}\n", 0,
     "t.toml:1:12: unexpected '}', expected a key (inline tables do not allow a trailing comma)"},
    {"a = {b = 1\n}\n", 0,
     "t.toml:1:11: unexpected end of line, expected ',' or '}' (an inline table must be on one "
     "line)"},
    {"a = {\nb = 1}\n", 0,
     "t.toml:1:6: unexpected end of line, expected a key (an inline table must be on one line)"},
    {"a = {b = 1 c = 2}\n", 0, "t.toml:1:12: unexpected 'c', expected ',' or '}'"},
    {"a = {b = 1, b = 2}\n", 0, "t.toml:1:13: duplicate key 'b' (first defined at 1:6)"},
    {"a = {b = {}, b.c = 1}\n", 0,
     "t.toml:1:14: cannot add to 'b': it is an inline table (defined at 1:6), and inline tables "
     "cannot be extended"},
    /* redefinitions */
    {"a = {b = 1}\na.c = 2\n", 0,
     "t.toml:2:1: cannot add to 'a': it is an inline table (defined at 1:1), and inline tables "
     "cannot be extended"},
    {"a = {b = 1}\n[a]\n", 0,
     "t.toml:2:2: duplicate table [a] (first defined as an inline table at 1:5)"},
    {"a = {b = 1}\n[a.c]\n", 0,
     "t.toml:2:2: cannot add to 'a': it is an inline table (defined at 1:1), and inline tables "
     "cannot be extended"},
    {"[a]\nx = 1\n[a]\n", 0, "t.toml:3:2: duplicate table [a] (first defined at 1:1)"},
    {"a.b = 1\n[a]\n", 0, "t.toml:2:2: duplicate table [a] (first defined by a dotted key at 1:1)"},
    {"[t]\na.b = 1\n[t.a]\n", 0,
     "t.toml:3:4: duplicate table [t.a] (first defined by a dotted key at 2:1)"},
    {"[a.b]\n[a]\nb.c = 1\n", 0,
     "t.toml:3:1: cannot add to table 'b' with a dotted key: it is defined by its header at 1:1"},
    {"a = [1]\n[[a]]\n", 0,
     "t.toml:2:3: cannot add a table to 'a': it is a static array (defined at 1:1), not an array "
     "of tables"},
    {"[[a]]\n[a]\n", 0,
     "t.toml:2:2: duplicate table [a] (first defined as an array of tables at 1:1)"},
    {"[a]\n[[a]]\n", 0,
     "t.toml:2:3: [[a]] cannot be an array of tables: it is already a table (defined at 1:1)"},
    {"a = 1\n[[a]]\n", 0, "t.toml:2:3: duplicate key 'a' (first defined at 1:1)"},
    {"a = 1\na.b = 2\n", 0,
     "t.toml:2:1: cannot add to 'a': it is an integer (defined at 1:1), not a table"},
    {"a = 1\n[a.b]\n", 0,
     "t.toml:2:2: cannot add to 'a': it is an integer (defined at 1:1), not a table"},
    {"a = [{b = 1}]\n[a.c]\n", 0,
     "t.toml:2:2: cannot add to 'a': it is an array (defined at 1:1), not a table"},
    {"[[a.b]]\n[a]\nb.c = 1\n", 0,
     "t.toml:3:1: cannot add to 'b': it is an array of tables (defined at 1:5), not a table"},
    {"[p.q.r]\n[p]\nq.s = 1\n[p.q]\n", 0,
     "t.toml:4:4: duplicate table [p.q] (first defined by a dotted key at 3:1)"},
    {"a = 'x'\na.b = 1\n", 0,
     "t.toml:2:1: cannot add to 'a': it is a string (defined at 1:1), not a table"},
    {"a = 1.5\n[a.b]\n", 0,
     "t.toml:2:2: cannot add to 'a': it is a float (defined at 1:1), not a table"},
    {"a = true\na.b = 1\n", 0,
     "t.toml:2:1: cannot add to 'a': it is a boolean (defined at 1:1), not a table"},
    {"a = 1979-05-27\n[a.b]\n", 0,
     "t.toml:2:2: cannot add to 'a': it is a date-time (defined at 1:1), not a table"},
    {"\"a\\\"b\\u0001\" = 1\n\"a\\\"b\\u0001\" = 2\n", 0,
     "t.toml:2:1: duplicate key '\"a\\\"b\\u0001\"' (first defined at 1:1)"},
    {"\"a\\\\b\".c = 1\n\"a\\\\b\".c = 2\n", 0,
     "t.toml:2:8: duplicate key '\"a\\\\b\".c' (first defined at 1:8)"},
    {"k0123456789012345678901234567890123456789012345678901234567890123456789 = 1\n"
     "k0123456789012345678901234567890123456789012345678901234567890123456789 = 2\n",
     0,
     "t.toml:2:1: duplicate key 'k01234567890123456789012345678901234567890123456...' (first "
     "defined at 1:1)"},
    {"\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
     "\xa9\xc3\xa9\xc3\xa9\" = 1\n"
     "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
     "\xa9\xc3\xa9\xc3\xa9\" = 2\n",
     0,
     "t.toml:2:1: duplicate key "
     "'\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
     "\xa9\xc3\xa9...\"' (first defined at "
     "1:1)"},
    {"a = \"\\\t\"\n", 0,
     "t.toml:1:7: unexpected tab, expected an escape after '\\' (\\b \\t \\n \\f \\r \\\" \\\\ "
     "\\uXXXX \\UXXXXXXXX)"},
    {"[t]\nb = 2\n[t.b]\n", 0, "t.toml:3:4: duplicate key 't.b' (first defined at 2:1)"},
    {"[a.b.c]\n[a]\nb = 1\n", 0, "t.toml:3:1: duplicate key 'b' (first defined at 1:4)"},
    /* headers */
    {"[a] b = 1\n", 0, "t.toml:1:5: unexpected 'b', expected a newline after the table header"},
    {"[a\n", 0, "t.toml:1:3: unexpected end of line, expected ']' to close the header"},
    {"[[a]\n", 0, "t.toml:1:5: unexpected end of line, expected ']]' to close the header"},
    {"[[a] ]\n", 0, "t.toml:1:5: unexpected ' ', expected ']]' to close the header"},
    {"[]\n", 0, "t.toml:1:2: unexpected ']', expected a key"},
    /* encoding */
    {"a = 1\r\nb = 2\r", 0, "t.toml:2:6: carriage return not followed by a line feed"},
    {"a = \"\x01\"\n", 0,
     "t.toml:1:6: control character U+0001, which TOML does not allow unescaped"},
    {"# comment \x7f\n", 0,
     "t.toml:1:11: control character U+007F, which TOML does not allow unescaped"},
    {"a = 1\0\n", 7, "t.toml:1:6: NUL byte, which TOML does not allow"},
    {"a = \"\xff\"\n", 0, "t.toml:1:6: invalid UTF-8 (byte 0xFF); TOML documents must be UTF-8"},
    {"a = \"\xed\xa0\x80\"\n", 0,
     "t.toml:1:6: invalid UTF-8 (byte 0xED); TOML documents must be UTF-8"},
    {"a = \"\xc0\xaf\"\n", 0,
     "t.toml:1:6: invalid UTF-8 (byte 0xC0); TOML documents must be UTF-8"},
    {"\n\na = \"\xe2\x82\"\n", 0,
     "t.toml:3:6: invalid UTF-8 (byte 0xE2); TOML documents must be UTF-8"},
    {"a = \"\xf4\x90\x80\x80\"\n", 0,
     "t.toml:1:6: invalid UTF-8 (byte 0xF4); TOML documents must be UTF-8"},
};

TEST(invalid_documents)
{
    CHECK(sizeof bad_docs / sizeof bad_docs[0] >= 40);
    for (size_t i = 0; i < sizeof bad_docs / sizeof bad_docs[0]; i++) {
        const bad_doc *d = &bad_docs[i];
        th_error err = {0};
        const char *got = parse_error(d->text, d->len ? d->len : strlen(d->text), &err);
        CHECK_REPORT_(strcmp(got, d->message) == 0, "document #%zu:\n  got:  %s\n  want: %s", i,
                      got, d->message);
    }
}

/* A NULL th_error is allowed: the failure is still reported by the result. */
TEST(errors_without_err)
{
    CHECK(toml_parse("a = ", 4, "t.toml", NULL) == NULL);
    th_error err;
    CHECK(toml_parse(NULL, 5, "t.toml", &err) == NULL);
    CHECK_STR_EQ(err.msg, "t.toml: no text to parse");
    CHECK(toml_parse("a = [", 5, NULL, &err) == NULL);
    CHECK_STR_EQ(err.msg, "<toml>:1:6: unexpected end of input, expected a value");
}

/* ---- Hostile input -------------------------------------------------------- */

static void check_fails_with(const char *text, size_t len, const char *needle)
{
    th_error err = {0};
    CHECK_CONTAINS(parse_error(text, len, &err), needle);
}

static char *repeat(const char *prefix, const char *unit, size_t times, const char *suffix,
                    size_t *len)
{
    th_buf b = TH_BUF_INIT;
    th_buf_append_str(&b, prefix);
    for (size_t i = 0; i < times; i++)
        th_buf_append_str(&b, unit);
    th_buf_append_str(&b, suffix);
    th_buf_cstr(&b);
    return (char *)th_buf_take(&b, len);
}

TEST(deep_nesting_is_refused)
{
    size_t len;
    char *text = repeat("a = ", "[", 10000, "", &len);
    check_fails_with(text, len, "t.toml:1:133: arrays and tables nested deeper than 128 levels");
    free(text);
    text = repeat("a = ", "{b = ", 10000, "", &len);
    check_fails_with(text, len, "nested deeper than 128 levels");
    free(text);
    text = repeat("[a", ".a", 10000, "]\n", &len);
    check_fails_with(text, len, "nested deeper than 128 levels");
    free(text);
    text = repeat("a", ".a", 10000, " = 1\n", &len);
    check_fails_with(text, len, "nested deeper than 128 levels");
    free(text);
    /* exactly at the limit is fine */
    th_buf ok = TH_BUF_INIT;
    th_buf_append_str(&ok, "a = ");
    for (int i = 0; i < 128; i++)
        th_buf_append_byte(&ok, '[');
    for (int i = 0; i < 128; i++)
        th_buf_append_byte(&ok, ']');
    toml_value *doc = parse_ok(th_buf_cstr(&ok));
    CHECK(doc != NULL);
    toml_free(doc);
    th_buf_free(&ok);
}

TEST(megabyte_string)
{
    size_t len;
    char *text = repeat("s = \"", "x", 1 << 20, "\"\n", &len);
    toml_value *doc = parse_n(text, len, NULL);
    const toml_value *s = toml_table_get(doc, "s");
    CHECK(s && s->kind == TOML_STRING && s->str.len == 1 << 20 && s->str.ptr[12345] == 'x');
    toml_free(doc);
    check_fails_with(text, len - 2, "t.toml:1:5: unterminated string");
    free(text);
    text = repeat("s = '''", "y\n", 1 << 19, "'''", &len);
    doc = parse_n(text, len, NULL);
    s = toml_table_get(doc, "s");
    CHECK(s && s->str.len == 1 << 20);
    toml_free(doc);
    free(text);
    text = repeat("#", "z", 1 << 20, "\na = 1", &len);
    doc = parse_n(text, len, NULL);
    CHECK(toml_table_get(doc, "a") != NULL);
    toml_free(doc);
    free(text);
}

TEST(nul_bytes)
{
    static const char nul_in_string[] = "a = \"x\0y\"\n";
    check_fails_with(nul_in_string, sizeof nul_in_string - 1, "t.toml:1:7: NUL byte");
    static const char nul_in_key[] = "k\0 = 1\n";
    check_fails_with(nul_in_key, sizeof nul_in_key - 1, "t.toml:1:2: NUL byte");
    static const char nul_in_comment[] = "a = 1 # \0\n";
    check_fails_with(nul_in_comment, sizeof nul_in_comment - 1, "t.toml:1:9: NUL byte");
    static const char only_nul[] = "\0";
    check_fails_with(only_nul, 1, "t.toml:1:1: NUL byte");
}

TEST(invalid_utf8)
{
    static const char *const bad[] = {
        "\x80",
        "\xbf",
        "\xc0\x80",
        "\xc1\xbf",
        "\xc2",
        "\xc2\x41",
        "\xe0\x80\x80",
        "\xe0\x9f\xbf",
        "\xed\xbf\xbf",
        "\xef\xbf",
        "\xf0\x80\x80\x80",
        "\xf4\x90\x80\x80",
        "\xf5\x80\x80\x80",
        "\xfe",
        "\xff",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int where = 0; where < 3; where++) {
            th_buf b = TH_BUF_INIT;
            th_buf_append_str(&b, where == 0 ? "a = \"" : where == 1 ? "# " : "k");
            th_buf_append_str(&b, bad[i]);
            th_buf_append_str(&b, where == 0 ? "\"\n" : where == 1 ? "\n" : " = 1\n");
            check_fails_with((const char *)b.data, b.len, "invalid UTF-8");
            th_buf_free(&b);
        }
    }
    /* U+007F is valid UTF-8 but a control character */
    th_error err = {0};
    CHECK_STR_EQ(parse_error("a = \"\x7f\"", 7, &err),
                 "t.toml:1:6: control character U+007F, which TOML does not allow unescaped");
    /* the largest scalar values of each length are fine */
    toml_value *doc = parse_ok("a = \"\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf\"\n");
    const toml_value *a = toml_table_get(doc, "a");
    CHECK(a && a->str.len == 9);
    toml_free(doc);
}

static const char sample[] =
    "# A sample with every construct, cut at every length below.\n"
    "title = \"T\\u00e9st \\U0001F600\"\n"
    "lit = 'C:\\path'\n"
    "ml = \"\"\"\nline one \\\n  continued\"\"\"\n"
    "mll = '''\nraw\n'''\n"
    "int = -1_000\nhex = 0xff\noct = 0o17\nbin = 0b101\n"
    "flt = 6.02e+23\nnot_a_number = nan\n"
    "yes = true\nno = false\n"
    "when = 1979-05-27T07:32:00.123-07:00\nday = 1979-05-27\nclock = 07:32:00\n"
    "arr = [ 1, [2, 3], { x = \"y\" }, ]\n"
    "inline = { a.b = 1, c = [] }\n"
    "[server]\nhost = \"localhost\"\nport.number = 8080\n"
    "[[handlers]]\ntype = \"runtime\"\n"
    "[[handlers]]\ntype = \"message-server\"\nconfig = {}\n"
    "[handlers.extra]\nkey = \"value\"  # end\n";

TEST(every_prefix_of_a_sample)
{
    size_t len = sizeof sample - 1;
    toml_value *doc = parse_n(sample, len, NULL);
    CHECK(doc != NULL);
    const toml_value *h = toml_table_get(doc, "handlers");
    CHECK(h && h->kind == TOML_ARRAY && h->arr.len == 2);
    toml_free(doc);
    size_t failures = 0;
    for (size_t n = 0; n < len; n++) {
        th_error err = {0};
        doc = parse_n(sample, n, &err);
        if (doc) {
            toml_free(doc);
            continue;
        }
        failures++;
        CHECK(strncmp(err.msg, "t.toml:", 7) == 0);
    }
    /* cuts inside strings, numbers, brackets and keys must fail */
    CHECK(failures > len / 2);
}

/* Deterministic mutations of the sample: any outcome is fine but a crash
 * or an out-of-bounds read (AddressSanitizer) or a message without a
 * position. */
TEST(mutated_samples)
{
    size_t len = sizeof sample - 1;
    static const char interesting[] = "[]{}=\"'.,#\n\\ 0_+-:eTZx\x80\xff";
    char *copy = malloc(len);
    CHECK(copy != NULL);
    if (!copy)
        return;
    uint32_t seed = 12345;
    for (int round = 0; round < 3000; round++) {
        memcpy(copy, sample, len);
        for (int k = 0; k < 1 + round % 3; k++) {
            seed = seed * 1103515245 + 12345;
            size_t at = (seed >> 8) % len;
            seed = seed * 1103515245 + 12345;
            copy[at] = interesting[(seed >> 8) % (sizeof interesting - 1)];
        }
        th_error err = {0};
        toml_value *doc = parse_n(copy, len, &err);
        if (doc)
            toml_free(doc);
        else if (strncmp(err.msg, "t.toml:", 7) != 0)
            CHECK_REPORT_(false, "message without a position: %s", err.msg);
    }
    CHECK(true); /* reaching here without a crash is the point */
    free(copy);
}

int main(void)
{
    RUN(comments_keys_and_basic_strings);
    RUN(multiline_strings);
    RUN(crlf_line_endings);
    RUN(integers);
    RUN(floats);
    RUN(booleans_and_datetimes);
    RUN(arrays);
    RUN(tables_and_dotted_keys);
    RUN(arrays_of_tables);
    RUN(positions);
    RUN(lookups_and_names);
    RUN(empty_documents_and_bom);
    RUN(many_keys);
    RUN(invalid_documents);
    RUN(errors_without_err);
    RUN(deep_nesting_is_refused);
    RUN(megabyte_string);
    RUN(nul_bytes);
    RUN(invalid_utf8);
    RUN(every_prefix_of_a_sample);
    RUN(mutated_samples);
    return check_summary();
}
