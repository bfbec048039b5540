/* A TOML 1.0 parser: one pass of recursive descent over the bytes.
 *
 * The text is checked for valid UTF-8 and forbidden control characters
 * before parsing, so the parser itself only ever sees well-formed text and
 * can describe any character it did not expect. The text is not
 * NUL-terminated: every read goes through peek_at(), which answers -1 past
 * the end.
 *
 * TOML's redefinition rules depend on how each table and array came to be
 * (by a [header], implicitly as the parent of one, by a dotted key, inline),
 * which the public toml_value does not say; every value is therefore
 * allocated inside a `node` that remembers it. */
#include "manifest/toml.h"

#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/hex.h"
#include "common/utf8.h"

/* Arrays, inline tables and tables nested deeper than this are refused, so
 * that hostile input cannot exhaust the stack of the recursive parser, of
 * toml_free or of whoever walks the tree. */
#define TOML_MAX_DEPTH 128
/* Keys and numbers longer than this are shortened in messages. */
#define DISPLAY_MAX 48
/* Tables with at least this many keys get a hash index. */
#define INDEX_MIN_KEYS 16
#define NO_POSITION SIZE_MAX

typedef enum origin {
    ORIGIN_SCALAR,
    ORIGIN_ROOT,
    ORIGIN_IMPLICIT,     /* created as the parent of a header; a header may still define it */
    ORIGIN_HEADER,       /* defined by [header], or an element of [[header]] */
    ORIGIN_DOTTED,       /* defined by a dotted key */
    ORIGIN_INLINE,       /* { ... }: complete and immutable once closed */
    ORIGIN_STATIC_ARRAY, /* [ ... ]: complete and immutable once closed */
    ORIGIN_TABLE_ARRAY,  /* grows by one table per [[header]] */
} node_origin;

typedef struct node {
    toml_value v; /* first, so that a toml_value * is a node * */
    node_origin origin;
    int depth;     /* containers between the root and this value */
    size_t cap;    /* allocated items of an array or table */
    size_t *index; /* open addressing: item position + 1, 0 = empty slot */
    size_t index_cap;
    uint64_t index_seed;
} node;

typedef struct tpos {
    int line, col;
} tpos;

typedef struct parser {
    const char *src;
    size_t len, pos;
    int line;
    size_t line_start; /* offset of the first byte of the current line */
    const char *filename;
    th_error *err;
    node *root;
    node *current;     /* the table that key/value lines go into */
    locale_t c_locale; /* for strtod, whatever the process's locale; created on first use */
} parser;

typedef struct key_part {
    char *name; /* NUL-terminated; NUL inside a key is refused */
    tpos at;
} key_part;

typedef struct key_path {
    key_part *parts;
    size_t len, cap;
} key_path;

/* ---- Characters ----------------------------------------------------------- */

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_bare_key_char(int c)
{
    return is_alpha(c) || is_digit(c) || c == '_' || c == '-';
}

/* Characters that can continue a number; the token is validated afterwards. */
static bool is_number_char(int c)
{
    return is_bare_key_char(c) || c == '.' || c == '+';
}

static int digit_value(int c, int radix)
{
    int v = th_hex_digit(c);
    return v >= 0 && v < radix ? v : -1;
}

static void append_utf8(th_buf *b, uint32_t cp)
{
    if (cp < 0x80) {
        th_buf_append_byte(b, (uint8_t)cp);
    } else if (cp < 0x800) {
        th_buf_append_byte(b, (uint8_t)(0xC0 | cp >> 6));
        th_buf_append_byte(b, (uint8_t)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        th_buf_append_byte(b, (uint8_t)(0xE0 | cp >> 12));
        th_buf_append_byte(b, (uint8_t)(0x80 | (cp >> 6 & 0x3F)));
        th_buf_append_byte(b, (uint8_t)(0x80 | (cp & 0x3F)));
    } else {
        th_buf_append_byte(b, (uint8_t)(0xF0 | cp >> 18));
        th_buf_append_byte(b, (uint8_t)(0x80 | (cp >> 12 & 0x3F)));
        th_buf_append_byte(b, (uint8_t)(0x80 | (cp >> 6 & 0x3F)));
        th_buf_append_byte(b, (uint8_t)(0x80 | (cp & 0x3F)));
    }
}

/* ---- Reading the input ---------------------------------------------------- */

static int peek_at(const parser *p, size_t ahead)
{
    size_t i = p->pos + ahead;
    return i < p->len ? (unsigned char)p->src[i] : -1;
}

static int peek(const parser *p)
{
    return peek_at(p, 0);
}

/* A CR is always followed by a LF: check_encoding() made sure. */
static bool at_newline(const parser *p)
{
    int c = peek(p);
    return c == '\n' || c == '\r';
}

static void consume_newline(parser *p)
{
    if (peek(p) == '\r')
        p->pos++;
    p->pos++;
    p->line++;
    p->line_start = p->pos;
}

static void skip_ws(parser *p)
{
    while (peek(p) == ' ' || peek(p) == '\t')
        p->pos++;
}

static void skip_comment(parser *p)
{
    if (peek(p) != '#')
        return;
    while (p->pos < p->len && !at_newline(p))
        p->pos++;
}

/* Whitespace, comments and newlines: what may separate array items. */
static void skip_blank(parser *p)
{
    for (;;) {
        skip_ws(p);
        skip_comment(p);
        if (!at_newline(p))
            return;
        consume_newline(p);
    }
}

static tpos here(const parser *p)
{
    return (tpos){p->line, (int)(p->pos - p->line_start + 1)};
}

/* ---- Errors --------------------------------------------------------------- */

static int fail_at(parser *p, tpos at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail_at(parser *p, tpos at, const char *fmt, ...)
{
    char what[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return th_error_set(p->err, "%s:%d:%d: %s", p->filename, at.line, at.col, what);
}

/* Names the character at p->pos the way a user would read it. */
static const char *describe_char(const parser *p, char *out, size_t size)
{
    int c = peek(p);
    if (c < 0)
        return "end of input";
    if (c == '\n' || c == '\r')
        return "end of line";
    if (c == '\t')
        return "tab";
    if (c == '\'')
        return "\"'\"";
    uint32_t cp;
    size_t n = th_utf8_sequence((const uint8_t *)p->src + p->pos, p->len - p->pos, &cp);
    snprintf(out, size, "'%.*s'", (int)(n ? n : 1), p->src + p->pos);
    return out;
}

static int fail_unexpected(parser *p, const char *expected)
{
    char found[16];
    return fail_at(p, here(p), "unexpected %s, expected %s", describe_char(p, found, sizeof found),
                   expected);
}

/* Appends a key as a user would write it: bare when it can be, quoted
 * otherwise, shortened when long. */
static void append_key_display(th_buf *b, const char *key)
{
    size_t len = strlen(key);
    bool bare = len > 0;
    for (size_t i = 0; i < len && bare; i++)
        bare = is_bare_key_char((unsigned char)key[i]);
    size_t shown = len > DISPLAY_MAX ? DISPLAY_MAX : len;
    while (shown < len && ((unsigned char)key[shown] & 0xC0) == 0x80)
        shown--; /* never cut a character in two */
    if (!bare)
        th_buf_append_byte(b, '"');
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c == '"' || c == '\\')
            th_buf_printf(b, "\\%c", c);
        else if (c < 0x20 || c == 0x7F)
            th_buf_printf(b, "\\u%04X", c);
        else
            th_buf_append_byte(b, c);
    }
    if (shown < len)
        th_buf_append_str(b, "...");
    if (!bare)
        th_buf_append_byte(b, '"');
}

/* "a.b.c" for the first n parts of a key; the caller frees b. */
static const char *key_display(th_buf *b, const key_path *k, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            th_buf_append_byte(b, '.');
        append_key_display(b, k->parts[i].name);
    }
    return th_buf_cstr(b);
}

static const char *describe_value(const node *n)
{
    switch (n->v.kind) {
    case TOML_STRING:
        return "a string";
    case TOML_INTEGER:
        return "an integer";
    case TOML_FLOAT:
        return "a float";
    case TOML_BOOL:
        return "a boolean";
    case TOML_DATETIME:
        return "a date-time";
    case TOML_ARRAY:
        return n->origin == ORIGIN_TABLE_ARRAY ? "an array of tables" : "an array";
    case TOML_TABLE:
        return n->origin == ORIGIN_INLINE ? "an inline table" : "a table";
    }
    return "a value";
}

/* ---- Encoding ------------------------------------------------------------- */

/* TOML forbids control characters other than tab everywhere (comments and
 * strings included; escapes are the way to write them), and a CR only
 * exists as part of CRLF. Checking all of it up front keeps the parser
 * simple. */
static int check_encoding(parser *p)
{
    const unsigned char *s = (const unsigned char *)p->src;
    int line = p->line;
    size_t line_start = p->line_start;
    for (size_t i = p->pos; i < p->len;) {
        unsigned char c = s[i];
        tpos at = {line, (int)(i - line_start + 1)};
        if (c == '\n') {
            line++;
            line_start = ++i;
            continue;
        }
        if (c == '\r' && (i + 1 >= p->len || s[i + 1] != '\n'))
            return fail_at(p, at, "carriage return not followed by a line feed");
        if (c == 0)
            return fail_at(p, at, "NUL byte, which TOML does not allow");
        if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7F)
            return fail_at(p, at, "control character U+%04X, which TOML does not allow unescaped",
                           c);
        uint32_t cp;
        size_t n = th_utf8_sequence(s + i, p->len - i, &cp);
        if (!n)
            return fail_at(p, at, "invalid UTF-8 (byte 0x%02X); TOML documents must be UTF-8", c);
        i += n;
    }
    return 0;
}

/* ---- Nodes ---------------------------------------------------------------- */

static node *node_new(toml_kind kind, node_origin origin, int depth, tpos at)
{
    node *n = th_xcalloc(1, sizeof *n);
    n->v.kind = kind;
    n->v.line = at.line;
    n->v.col = at.col;
    n->origin = origin;
    n->depth = depth;
    return n;
}

static node *string_node(toml_kind kind, th_buf *text, tpos at)
{
    node *n = node_new(kind, ORIGIN_SCALAR, 0, at);
    th_buf_cstr(text);
    n->v.str.ptr = (char *)th_buf_take(text, &n->v.str.len);
    return n;
}

static int check_depth(parser *p, int depth, tpos at)
{
    if (depth <= TOML_MAX_DEPTH)
        return 0;
    return fail_at(p, at, "arrays and tables nested deeper than %d levels", TOML_MAX_DEPTH);
}

static void array_push(node *arr, node *item)
{
    if (arr->v.arr.len == arr->cap) {
        arr->cap = arr->cap ? arr->cap * 2 : 4;
        arr->v.arr.items = th_xrealloc(arr->v.arr.items, arr->cap * sizeof *arr->v.arr.items);
    }
    arr->v.arr.items[arr->v.arr.len++] = &item->v;
}

/* Manifests may come from actors (a supervisor spawns children from
 * manifest text), so the index must not be floodable by keys chosen to
 * collide: each index hashes with its own unpredictable seed. */
static uint64_t new_index_seed(const node *t)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) == (ssize_t)sizeof seed)
        return seed;
    return (uint64_t)(uintptr_t)t * 0x9E3779B97F4A7C15ULL; /* ASLR still hides this */
}

/* FNV-1a from a seeded basis, then a final mix so that the low bits the
 * index uses depend on every bit of the state. */
static size_t hash_key(uint64_t seed, const char *key)
{
    uint64_t h = seed ^ 0xcbf29ce484222325ULL;
    for (const unsigned char *s = (const unsigned char *)key; *s; s++)
        h = (h ^ *s) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)h;
}

static void index_put(node *t, size_t position)
{
    size_t mask = t->index_cap - 1;
    size_t i = hash_key(t->index_seed, t->v.tab.items[position].key) & mask;
    while (t->index[i])
        i = (i + 1) & mask;
    t->index[i] = position + 1;
}

static void index_rebuild(node *t)
{
    if (!t->index)
        t->index_seed = new_index_seed(t);
    free(t->index);
    t->index_cap = 64;
    while (t->index_cap < t->v.tab.len * 2)
        t->index_cap *= 2;
    t->index = th_xcalloc(t->index_cap, sizeof *t->index);
    for (size_t i = 0; i < t->v.tab.len; i++)
        index_put(t, i);
}

static size_t table_position(const node *t, const char *key)
{
    const toml_kv *items = t->v.tab.items;
    if (!t->index) {
        for (size_t i = 0; i < t->v.tab.len; i++)
            if (strcmp(items[i].key, key) == 0)
                return i;
        return NO_POSITION;
    }
    size_t mask = t->index_cap - 1;
    for (size_t i = hash_key(t->index_seed, key) & mask; t->index[i]; i = (i + 1) & mask)
        if (strcmp(items[t->index[i] - 1].key, key) == 0)
            return t->index[i] - 1;
    return NO_POSITION;
}

static toml_kv *table_find(node *t, const char *key)
{
    size_t i = table_position(t, key);
    return i == NO_POSITION ? NULL : &t->v.tab.items[i];
}

/* Takes ownership of key and value. */
static void table_add(node *t, char *key, tpos at, node *value)
{
    if (t->v.tab.len == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4;
        t->v.tab.items = th_xrealloc(t->v.tab.items, t->cap * sizeof *t->v.tab.items);
    }
    size_t position = t->v.tab.len++;
    t->v.tab.items[position] = (toml_kv){key, at.line, at.col, &value->v};
    if (t->v.tab.len < INDEX_MIN_KEYS)
        return;
    if (!t->index || t->v.tab.len * 2 > t->index_cap)
        index_rebuild(t);
    else
        index_put(t, position);
}

/* A new table under parent, or NULL (err set) when it would nest too deep. */
static node *add_table(parser *p, node *parent, const key_part *part, node_origin origin, tpos at)
{
    if (check_depth(p, parent->depth + 1, part->at))
        return NULL;
    node *t = node_new(TOML_TABLE, origin, parent->depth + 1, at);
    table_add(parent, th_xstrdup(part->name), part->at, t);
    return t;
}

void toml_free(toml_value *v)
{
    if (!v)
        return;
    node *n = (node *)v;
    switch (v->kind) {
    case TOML_STRING:
    case TOML_DATETIME:
        free(v->str.ptr);
        break;
    case TOML_ARRAY:
        for (size_t i = 0; i < v->arr.len; i++)
            toml_free(v->arr.items[i]);
        free(v->arr.items);
        break;
    case TOML_TABLE:
        for (size_t i = 0; i < v->tab.len; i++) {
            free(v->tab.items[i].key);
            toml_free(v->tab.items[i].value);
        }
        free(v->tab.items);
        break;
    case TOML_INTEGER:
    case TOML_FLOAT:
    case TOML_BOOL:
        break;
    }
    free(n->index);
    free(n);
}

/* ---- Strings -------------------------------------------------------------- */

static int scan_unicode_escape(parser *p, th_buf *out, int digits)
{
    tpos at = here(p);
    uint32_t cp = 0;
    for (int i = 0; i < digits; i++) {
        int v = th_hex_digit(peek_at(p, 2 + (size_t)i));
        if (v < 0) {
            p->pos += 2 + (size_t)i;
            char expected[64];
            snprintf(expected, sizeof expected, "%d hexadecimal digits after '\\%c'", digits,
                     digits == 4 ? 'u' : 'U');
            return fail_unexpected(p, expected);
        }
        cp = cp << 4 | (uint32_t)v;
    }
    const char *escape = p->src + p->pos;
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return fail_at(p, at, "invalid escape '%.*s': surrogates are not Unicode scalar values",
                       digits + 2, escape);
    if (cp > 0x10FFFF)
        return fail_at(p, at, "invalid escape '%.*s': beyond U+10FFFF, the last code point",
                       digits + 2, escape);
    append_utf8(out, cp);
    p->pos += 2 + (size_t)digits;
    return 0;
}

/* p->pos is at a backslash inside a basic string. */
static int scan_escape(parser *p, th_buf *out)
{
    static const char from[] = "btnfr\"\\";
    static const char to[] = "\b\t\n\f\r\"\\";
    int c = peek_at(p, 1);
    if (c == 'u' || c == 'U')
        return scan_unicode_escape(p, out, c == 'u' ? 4 : 8);
    const char *simple = c > 0 ? strchr(from, c) : NULL;
    if (!simple) {
        p->pos++;
        return fail_unexpected(p, "an escape after '\\' (\\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX "
                                  "\\UXXXXXXXX)");
    }
    th_buf_append_byte(out, (uint8_t)to[simple - from]);
    p->pos += 2;
    return 0;
}

/* Appends the bytes from p->pos up to the first one in `stops` (or the end). */
static void append_run(parser *p, th_buf *out, const char *stops)
{
    size_t end = p->pos;
    while (end < p->len && !strchr(stops, p->src[end]))
        end++;
    th_buf_append(out, p->src + p->pos, end - p->pos);
    p->pos = end;
}

static int fail_unterminated(parser *p, tpos open, const char *delimiter)
{
    return fail_at(p, open, "unterminated string, expected %s before the end of the line",
                   delimiter);
}

/* "..." on one line; p->pos is at the opening quote. */
static int scan_basic_string(parser *p, th_buf *out)
{
    tpos open = here(p);
    p->pos++;
    for (;;) {
        append_run(p, out, "\"\\\r\n");
        int c = peek(p);
        if (c == '"') {
            p->pos++;
            return 0;
        }
        if (c != '\\')
            return fail_unterminated(p, open, "'\"'");
        if (scan_escape(p, out))
            return -1;
    }
}

/* '...' on one line; p->pos is at the opening quote. */
static int scan_literal_string(parser *p, th_buf *out)
{
    tpos open = here(p);
    p->pos++;
    append_run(p, out, "'\r\n");
    if (peek(p) != '\'')
        return fail_unterminated(p, open, "\"'\"");
    p->pos++;
    return 0;
}

/* A backslash that ends a line (spaces and tabs may follow it) in a
 * multi-line basic string swallows the newline and the whitespace after. */
static bool at_line_ending_backslash(const parser *p)
{
    size_t i = 1;
    while (peek_at(p, i) == ' ' || peek_at(p, i) == '\t')
        i++;
    return peek_at(p, i) == '\n' || peek_at(p, i) == '\r';
}

/* At a run of `quote` characters inside a multi-line string: up to two
 * quotes are content, three close the string, and up to two more quotes
 * just before the closing three belong to the content too. Returns true
 * when the string closed. */
static bool scan_quotes(parser *p, th_buf *out, int quote)
{
    size_t n = 0;
    while (peek_at(p, n) == quote)
        n++;
    bool closes = n >= 3;
    if (n > 5)
        n = 5; /* what remains is not part of this string, and will be an error */
    for (size_t i = 0; i < (closes ? n - 3 : n); i++)
        th_buf_append_byte(out, (uint8_t)quote);
    p->pos += n;
    return closes;
}

/* """...""" or '''...''' with p->pos at the first quote. Newlines are
 * stored as LF whether the file has LF or CRLF. */
static int scan_multiline_string(parser *p, th_buf *out, int quote)
{
    tpos open = here(p);
    p->pos += 3;
    if (at_newline(p))
        consume_newline(p); /* a newline right after the delimiter is not content */
    const char *stops = quote == '"' ? "\"\\\r\n" : "'\r\n";
    for (;;) {
        append_run(p, out, stops);
        int c = peek(p);
        if (c < 0)
            return fail_at(p, open,
                           "unterminated multi-line string, expected %s before the end "
                           "of the input",
                           quote == '"' ? "'\"\"\"'" : "\"'''\"");
        if (c == '\r' || c == '\n') {
            consume_newline(p);
            th_buf_append_byte(out, '\n');
        } else if (c == quote) {
            if (scan_quotes(p, out, quote))
                return 0;
        } else if (at_line_ending_backslash(p)) {
            p->pos++;
            for (;;) {
                if (at_newline(p))
                    consume_newline(p);
                else if (peek(p) == ' ' || peek(p) == '\t')
                    p->pos++;
                else
                    break;
            }
        } else if (scan_escape(p, out)) {
            return -1;
        }
    }
}

static bool at_triple_quote(const parser *p)
{
    int q = peek(p);
    return peek_at(p, 1) == q && peek_at(p, 2) == q;
}

/* ---- Keys ----------------------------------------------------------------- */

static void key_path_free(key_path *k)
{
    for (size_t i = 0; i < k->len; i++)
        free(k->parts[i].name);
    free(k->parts);
}

static int parse_simple_key(parser *p, key_part *out)
{
    tpos at = here(p);
    int c = peek(p);
    th_buf b = TH_BUF_INIT;
    if (c == '"' || c == '\'') {
        if (at_triple_quote(p))
            return fail_at(p, at, "multi-line strings cannot be keys");
        if (c == '"' ? scan_basic_string(p, &b) : scan_literal_string(p, &b)) {
            th_buf_free(&b);
            return -1;
        }
        if (b.len && memchr(b.data, 0, b.len)) {
            th_buf_free(&b);
            return fail_at(p, at, "keys cannot contain U+0000");
        }
    } else if (is_bare_key_char(c)) {
        size_t start = p->pos;
        while (is_bare_key_char(peek(p)))
            p->pos++;
        th_buf_append(&b, p->src + start, p->pos - start);
    } else {
        return fail_unexpected(p, "a key");
    }
    th_buf_cstr(&b);
    out->name = (char *)th_buf_take(&b, NULL);
    out->at = at;
    return 0;
}

/* simple-key *( ws "." ws simple-key ) */
static int parse_key(parser *p, key_path *k)
{
    for (;;) {
        if (k->len == k->cap) {
            k->cap = k->cap ? k->cap * 2 : 4;
            k->parts = th_xrealloc(k->parts, k->cap * sizeof *k->parts);
        }
        if (parse_simple_key(p, &k->parts[k->len]))
            return -1;
        k->len++;
        skip_ws(p);
        if (peek(p) != '.')
            return 0;
        p->pos++;
        skip_ws(p);
    }
}

/* ---- Numbers -------------------------------------------------------------- */

typedef struct number_token {
    const char *text;
    size_t len;
    tpos at;
} number_token;

static int fail_number(parser *p, const number_token *t, size_t offset, const char *why)
{
    tpos at = {t->at.line, t->at.col + (int)offset};
    int shown = t->len > DISPLAY_MAX ? DISPLAY_MAX : (int)t->len;
    return fail_at(p, at, "invalid number '%.*s%s': %s", shown, t->text,
                   (size_t)shown < t->len ? "..." : "", why);
}

/* Checks digits [from, to) of the token: digits of the radix, each '_'
 * between two digits, and (unless zero_ok) no leading zero. `missing`
 * says what is wrong when there are no digits at all. */
static int check_digits(parser *p, const number_token *t, size_t from, size_t to, int radix,
                        bool zero_ok, const char *missing)
{
    static const char *const radix_names[17] = {
        [2] = "a binary", [8] = "an octal", [16] = "a hexadecimal"};
    if (from == to)
        return fail_number(p, t, from, missing);
    for (size_t i = from; i < to; i++) {
        int c = (unsigned char)t->text[i];
        if (c == '_') {
            if (i == from || i + 1 == to || t->text[i + 1] == '_')
                return fail_number(p, t, i, "'_' must stand between two digits");
        } else if (digit_value(c, radix) < 0) {
            char why[64];
            if (radix != 10 && is_bare_key_char(c))
                snprintf(why, sizeof why, "'%c' is not %s digit", c, radix_names[radix]);
            else
                snprintf(why, sizeof why, "unexpected '%c'", c);
            return fail_number(p, t, i, why);
        }
    }
    if (!zero_ok && t->text[from] == '0' && to - from > 1)
        return fail_number(p, t, from, "leading zeros are not allowed");
    return 0;
}

/* Digits [from, len) were checked; accumulates them with overflow detection. */
static node *integer_node(parser *p, const number_token *t, size_t from, int radix, bool negative)
{
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (size_t i = from; i < t->len; i++) {
        int d = digit_value((unsigned char)t->text[i], radix);
        if (d < 0)
            continue; /* an underscore */
        if (v > (limit - (uint64_t)d) / (uint64_t)radix) {
            fail_number(p, t, 0, "out of range for a 64-bit signed integer");
            return NULL;
        }
        v = v * (uint64_t)radix + (uint64_t)d;
    }
    node *n = node_new(TOML_INTEGER, ORIGIN_SCALAR, 0, t->at);
    n->v.i = negative ? (int64_t)(0 - v) : (int64_t)v;
    return n;
}

static node *float_node(tpos at, double f)
{
    node *n = node_new(TOML_FLOAT, ORIGIN_SCALAR, 0, at);
    n->v.f = f;
    return n;
}

static size_t find_any(const number_token *t, size_t from, const char *chars)
{
    while (from < t->len && !strchr(chars, t->text[from]))
        from++;
    return from;
}

/* [+-] int [ "." digits ] [ (e|E) [+-] digits ], checked piece by piece
 * so that the error points at the piece that is wrong. */
static node *parse_float(parser *p, const number_token *t, size_t from)
{
    size_t dot = find_any(t, from, ".eE");
    if (check_digits(p, t, from, dot, 10, false, "expected a digit"))
        return NULL;
    size_t exp = dot;
    if (dot < t->len && t->text[dot] == '.') {
        exp = find_any(t, dot + 1, "eE");
        if (check_digits(p, t, dot + 1, exp, 10, true, "expected a digit after '.'"))
            return NULL;
    }
    if (exp < t->len) {
        size_t digits = exp + 1;
        if (digits < t->len && (t->text[digits] == '+' || t->text[digits] == '-'))
            digits++;
        if (check_digits(p, t, digits, t->len, 10, true, "expected a digit in the exponent"))
            return NULL;
    }
    if (!p->c_locale && !(p->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0))) {
        fail_at(p, t->at, "cannot create the C locale to read a float");
        return NULL;
    }
    char *plain = th_xmalloc(t->len + 1);
    size_t n = 0;
    for (size_t i = 0; i < t->len; i++)
        if (t->text[i] != '_')
            plain[n++] = t->text[i];
    plain[n] = '\0';
    double f = strtod_l(plain, NULL, p->c_locale);
    free(plain);
    if (isinf(f)) {
        fail_number(p, t, 0, "out of range for a 64-bit float");
        return NULL;
    }
    return float_node(t->at, f);
}

static node *fail_bare_word(parser *p)
{
    tpos at = here(p);
    size_t end = p->pos;
    while (end < p->len && is_bare_key_char((unsigned char)p->src[end]))
        end++;
    size_t len = end - p->pos;
    int shown = len > DISPLAY_MAX ? DISPLAY_MAX : (int)len;
    fail_at(p, at, "unexpected '%.*s%s', expected a value (strings must be quoted)", shown,
            p->src + p->pos, (size_t)shown < len ? "..." : "");
    return NULL;
}

static node *parse_number(parser *p)
{
    number_token t = {p->src + p->pos, 0, here(p)};
    while (is_number_char(peek(p)))
        p->pos++;
    t.len = (size_t)(p->src + p->pos - t.text);
    bool sign = t.text[0] == '+' || t.text[0] == '-';
    bool negative = t.text[0] == '-';
    size_t from = sign ? 1 : 0;
    const char *rest = t.text + from;
    size_t rest_len = t.len - from;
    if (rest_len == 3 && memcmp(rest, "inf", 3) == 0)
        return float_node(t.at, negative ? -INFINITY : INFINITY);
    if (rest_len == 3 && memcmp(rest, "nan", 3) == 0)
        return float_node(t.at, negative ? -NAN : NAN);
    if (!sign && is_alpha((unsigned char)t.text[0])) {
        p->pos = (size_t)(t.text - p->src);
        return fail_bare_word(p);
    }
    if (rest_len >= 2 && rest[0] == '0' && strchr("xob", rest[1])) {
        int radix = rest[1] == 'x' ? 16 : rest[1] == 'o' ? 8 : 2;
        if (sign) {
            fail_number(p, &t, 0, "hexadecimal, octal and binary integers cannot have a sign");
            return NULL;
        }
        if (check_digits(p, &t, 2, t.len, radix, true, "expected a digit after the prefix"))
            return NULL;
        return integer_node(p, &t, 2, radix, false);
    }
    if (find_any(&t, from, ".eE") < t.len)
        return parse_float(p, &t, from);
    if (check_digits(p, &t, from, t.len, 10, false, "expected a digit"))
        return NULL;
    return integer_node(p, &t, from, 10, negative);
}

/* ---- Dates and times ------------------------------------------------------ */

static int read_digits(parser *p, int count, int *value, const char *expected)
{
    int v = 0;
    for (int i = 0; i < count; i++) {
        int c = peek(p);
        if (!is_digit(c))
            return fail_unexpected(p, expected);
        v = v * 10 + (c - '0');
        p->pos++;
    }
    *value = v;
    return 0;
}

static int expect_char(parser *p, int c, const char *expected)
{
    if (peek(p) != c)
        return fail_unexpected(p, expected);
    p->pos++;
    return 0;
}

/* Reads a two-digit field and checks its range; `name` is for messages. */
static int read_field(parser *p, int max, int *value, const char *kind, const char *name,
                      const char *expected)
{
    tpos at = here(p);
    if (read_digits(p, 2, value, expected))
        return -1;
    if (*value > max)
        return fail_at(p, at, "invalid %s: %s %02d is not between 00 and %02d", kind, name, *value,
                       max);
    return 0;
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

static int parse_date(parser *p)
{
    const char *expected = "a date as YYYY-MM-DD";
    int year = 0, month = 0, day = 0;
    if (read_digits(p, 4, &year, expected) || expect_char(p, '-', expected))
        return -1;
    tpos month_at = here(p);
    if (read_digits(p, 2, &month, expected) || expect_char(p, '-', expected))
        return -1;
    tpos day_at = here(p);
    if (read_digits(p, 2, &day, expected))
        return -1;
    if (month < 1 || month > 12)
        return fail_at(p, month_at, "invalid date: month %02d is not between 01 and 12", month);
    int last = days_in_month(year, month);
    if (day < 1 || day > last)
        return fail_at(p, day_at, "invalid date: day %02d is not between 01 and %02d in %04d-%02d",
                       day, last, year, month);
    return 0;
}

/* HH:MM:SS[.fraction]; TOML 1.0 requires the seconds. 60 is allowed for
 * leap seconds, as in RFC 3339. */
static int parse_time(parser *p)
{
    const char *expected = "a time as HH:MM:SS";
    int hour = 0, minute = 0, second = 0;
    if (read_field(p, 23, &hour, "time", "hour", expected) || expect_char(p, ':', expected) ||
        read_field(p, 59, &minute, "time", "minute", expected) || expect_char(p, ':', expected) ||
        read_field(p, 60, &second, "time", "second", expected))
        return -1;
    if (peek(p) != '.')
        return 0;
    p->pos++;
    if (!is_digit(peek(p)))
        return fail_unexpected(p, "a digit after the decimal point of the seconds");
    while (is_digit(peek(p)))
        p->pos++;
    return 0;
}

static int parse_offset(parser *p)
{
    const char *expected = "an offset as +HH:MM";
    int c = peek(p), hour = 0, minute = 0;
    if (c == 'Z' || c == 'z') {
        p->pos++;
        return 0;
    }
    if (c != '+' && c != '-')
        return 0; /* a local date-time */
    p->pos++;
    if (read_field(p, 23, &hour, "offset", "hour", expected) || expect_char(p, ':', expected) ||
        read_field(p, 59, &minute, "offset", "minute", expected))
        return -1;
    return 0;
}

static bool at_date(const parser *p)
{
    for (size_t i = 0; i < 4; i++)
        if (!is_digit(peek_at(p, i)))
            return false;
    return peek_at(p, 4) == '-';
}

static bool at_time(const parser *p, size_t ahead)
{
    return is_digit(peek_at(p, ahead)) && is_digit(peek_at(p, ahead + 1)) &&
           peek_at(p, ahead + 2) == ':';
}

/* An offset date-time, local date-time, local date or local time; the
 * value keeps the text as written. */
static node *parse_datetime(parser *p)
{
    tpos at = here(p);
    size_t start = p->pos;
    if (at_date(p)) {
        if (parse_date(p))
            return NULL;
        int c = peek(p);
        if (c == 'T' || c == 't' || (c == ' ' && at_time(p, 1))) {
            p->pos++;
            if (parse_time(p) || parse_offset(p))
                return NULL;
        }
    } else if (parse_time(p)) {
        return NULL;
    }
    if (is_number_char(peek(p)) || peek(p) == ':') {
        fail_unexpected(p, "the end of the date-time");
        return NULL;
    }
    th_buf text = TH_BUF_INIT;
    th_buf_append(&text, p->src + start, p->pos - start);
    return string_node(TOML_DATETIME, &text, at);
}

/* ---- Values --------------------------------------------------------------- */

static node *parse_value(parser *p, int depth);
static int parse_keyval(parser *p, node *table);

static node *parse_string(parser *p)
{
    tpos at = here(p);
    int quote = peek(p);
    th_buf b = TH_BUF_INIT;
    int rc;
    if (at_triple_quote(p))
        rc = scan_multiline_string(p, &b, quote);
    else
        rc = quote == '"' ? scan_basic_string(p, &b) : scan_literal_string(p, &b);
    if (rc) {
        th_buf_free(&b);
        return NULL;
    }
    return string_node(TOML_STRING, &b, at);
}

static bool at_word(const parser *p, const char *word)
{
    size_t n = strlen(word);
    return p->len - p->pos >= n && memcmp(p->src + p->pos, word, n) == 0 &&
           !is_bare_key_char(peek_at(p, n));
}

static node *parse_bool(parser *p)
{
    bool value = at_word(p, "true");
    if (!value && !at_word(p, "false"))
        return fail_bare_word(p);
    node *n = node_new(TOML_BOOL, ORIGIN_SCALAR, 0, here(p));
    n->v.b = value;
    p->pos += value ? 4 : 5;
    return n;
}

static node *parse_array(parser *p, int depth)
{
    tpos open = here(p);
    if (check_depth(p, depth, open))
        return NULL;
    node *arr = node_new(TOML_ARRAY, ORIGIN_STATIC_ARRAY, depth, open);
    p->pos++;
    for (;;) {
        skip_blank(p);
        if (peek(p) == ']')
            break;
        node *item = parse_value(p, depth + 1);
        if (!item)
            goto fail;
        array_push(arr, item);
        skip_blank(p);
        if (peek(p) == ']')
            break;
        if (peek(p) != ',') {
            char expected[96];
            snprintf(expected, sizeof expected, "',' or ']' to close the array opened at %d:%d",
                     open.line, open.col);
            fail_unexpected(p, expected);
            goto fail;
        }
        p->pos++;
    }
    p->pos++;
    return arr;
fail:
    toml_free(&arr->v);
    return NULL;
}

/* { key = value, ... } on one line, without a trailing comma. */
static node *parse_inline_table(parser *p, int depth)
{
    tpos open = here(p);
    if (check_depth(p, depth, open))
        return NULL;
    node *t = node_new(TOML_TABLE, ORIGIN_INLINE, depth, open);
    p->pos++;
    skip_ws(p);
    if (peek(p) == '}') {
        p->pos++;
        return t;
    }
    for (;;) {
        if (at_newline(p)) {
            fail_unexpected(p, "a key (an inline table must be on one line)");
            goto fail;
        }
        if (parse_keyval(p, t))
            goto fail;
        skip_ws(p);
        if (peek(p) == '}') {
            p->pos++;
            return t;
        }
        if (peek(p) != ',') {
            fail_unexpected(p, at_newline(p) ? "',' or '}' (an inline table must be on one line)"
                                             : "',' or '}'");
            goto fail;
        }
        p->pos++;
        skip_ws(p);
        if (peek(p) == '}') {
            fail_unexpected(p, "a key (inline tables do not allow a trailing comma)");
            goto fail;
        }
    }
fail:
    toml_free(&t->v);
    return NULL;
}

/* `depth` is the depth an array or inline table starting here would have. */
static node *parse_value(parser *p, int depth)
{
    int c = peek(p);
    if (c == '"' || c == '\'')
        return parse_string(p);
    if (c == '[')
        return parse_array(p, depth);
    if (c == '{')
        return parse_inline_table(p, depth);
    if (c == 't' || c == 'f')
        return parse_bool(p);
    if (at_date(p) || at_time(p, 0))
        return parse_datetime(p);
    if (is_digit(c) || c == '+' || c == '-' || c == 'i' || c == 'n')
        return parse_number(p);
    if (is_bare_key_char(c))
        return fail_bare_word(p);
    fail_unexpected(p, "a value");
    return NULL;
}

/* ---- Key/value pairs and headers ------------------------------------------ */

/* Part i of key k names something that cannot hold more keys: a scalar,
 * an array (arrays of tables are walked by headers only) or an inline table. */
static int fail_not_extensible(parser *p, const key_path *k, size_t i, const toml_kv *kv)
{
    const node *n = (const node *)kv->value;
    th_buf name = TH_BUF_INIT;
    fail_at(p, k->parts[i].at, "cannot add to '%s': it is %s (defined at %d:%d)%s",
            key_display(&name, k, i + 1), describe_value(n), kv->line, kv->col,
            n->v.kind == TOML_TABLE ? ", and inline tables cannot be extended" : ", not a table");
    th_buf_free(&name);
    return -1;
}

/* Walks (creating as needed) the tables named by all but the last part of
 * a dotted key, from `table`. Returns the table the last part goes into. */
static node *walk_dotted_key(parser *p, node *table, const key_path *k)
{
    node *t = table;
    for (size_t i = 0; i + 1 < k->len; i++) {
        const key_part *part = &k->parts[i];
        toml_kv *kv = table_find(t, part->name);
        if (!kv) {
            t = add_table(p, t, part, ORIGIN_DOTTED, part->at);
            if (!t)
                return NULL;
            continue;
        }
        node *n = (node *)kv->value;
        if (n->v.kind != TOML_TABLE || n->origin == ORIGIN_INLINE) {
            fail_not_extensible(p, k, i, kv);
            return NULL;
        }
        if (n->origin == ORIGIN_HEADER) {
            th_buf name = TH_BUF_INIT;
            fail_at(p, part->at,
                    "cannot add to table '%s' with a dotted key: it is defined by its header at "
                    "%d:%d",
                    key_display(&name, k, i + 1), n->v.line, n->v.col);
            th_buf_free(&name);
            return NULL;
        }
        if (n->origin == ORIGIN_IMPLICIT) {
            /* Defined now, here: no header may define it again. */
            n->origin = ORIGIN_DOTTED;
            n->v.line = part->at.line;
            n->v.col = part->at.col;
        }
        t = n;
    }
    return t;
}

static int fail_duplicate_key(parser *p, const key_path *k, const toml_kv *first)
{
    th_buf name = TH_BUF_INIT;
    key_display(&name, k, k->len);
    fail_at(p, k->parts[k->len - 1].at, "duplicate key '%s' (first defined at %d:%d)", name.data,
            first->line, first->col);
    th_buf_free(&name);
    return -1;
}

/* key = value, into `table` (the current table, or an inline table). */
static int parse_keyval(parser *p, node *table)
{
    key_path k = {0};
    int rc = -1;
    if (parse_key(p, &k))
        goto done;
    skip_ws(p);
    if (peek(p) != '=') {
        fail_unexpected(p, "'=' after the key");
        goto done;
    }
    p->pos++;
    skip_ws(p);
    node *target = walk_dotted_key(p, table, &k);
    if (!target)
        goto done;
    key_part *last = &k.parts[k.len - 1];
    const toml_kv *existing = table_find(target, last->name);
    if (existing) {
        fail_duplicate_key(p, &k, existing);
        goto done;
    }
    node *value = parse_value(p, target->depth + 1);
    if (!value)
        goto done;
    table_add(target, last->name, last->at, value);
    last->name = NULL; /* the table owns it now */
    rc = 0;
done:
    key_path_free(&k);
    return rc;
}

/* Walks (creating implicit tables as needed) all but the last part of a
 * header's key; an array of tables stands for its last element. */
static node *walk_header_key(parser *p, const key_path *k)
{
    node *t = p->root;
    for (size_t i = 0; i + 1 < k->len; i++) {
        const key_part *part = &k->parts[i];
        toml_kv *kv = table_find(t, part->name);
        if (!kv) {
            t = add_table(p, t, part, ORIGIN_IMPLICIT, part->at);
            if (!t)
                return NULL;
            continue;
        }
        node *n = (node *)kv->value;
        if (n->v.kind == TOML_TABLE && n->origin != ORIGIN_INLINE) {
            t = n;
            continue;
        }
        if (n->origin == ORIGIN_TABLE_ARRAY) {
            t = (node *)n->v.arr.items[n->v.arr.len - 1];
            continue;
        }
        fail_not_extensible(p, k, i, kv);
        return NULL;
    }
    return t;
}

/* [a.b.c]: defines the table, which may exist only as an implicit one. */
static int open_table(parser *p, node *parent, const key_path *k, tpos open)
{
    const key_part *last = &k->parts[k->len - 1];
    toml_kv *kv = table_find(parent, last->name);
    if (!kv) {
        p->current = add_table(p, parent, last, ORIGIN_HEADER, open);
        return p->current ? 0 : -1;
    }
    node *n = (node *)kv->value;
    if (n->v.kind == TOML_TABLE && n->origin == ORIGIN_IMPLICIT) {
        n->origin = ORIGIN_HEADER;
        n->v.line = open.line;
        n->v.col = open.col;
        p->current = n;
        return 0;
    }
    if (n->v.kind != TOML_TABLE && n->origin != ORIGIN_TABLE_ARRAY)
        return fail_duplicate_key(p, k, kv);
    const char *how = n->origin == ORIGIN_HEADER   ? ""
                      : n->origin == ORIGIN_DOTTED ? " by a dotted key"
                      : n->origin == ORIGIN_INLINE ? " as an inline table"
                                                   : " as an array of tables";
    th_buf name = TH_BUF_INIT;
    key_display(&name, k, k->len);
    fail_at(p, last->at, "duplicate table [%s] (first defined%s at %d:%d)", name.data, how,
            n->v.line, n->v.col);
    th_buf_free(&name);
    return -1;
}

/* [[a.b.c]]: appends a table to the array of tables, creating it if needed. */
static int open_table_array_element(parser *p, node *parent, const key_path *k, tpos open)
{
    const key_part *last = &k->parts[k->len - 1];
    toml_kv *kv = table_find(parent, last->name);
    node *arr;
    if (!kv) {
        if (check_depth(p, parent->depth + 1, last->at))
            return -1;
        arr = node_new(TOML_ARRAY, ORIGIN_TABLE_ARRAY, parent->depth + 1, open);
        table_add(parent, th_xstrdup(last->name), last->at, arr);
    } else if (((node *)kv->value)->origin == ORIGIN_TABLE_ARRAY) {
        arr = (node *)kv->value;
    } else if (kv->value->kind == TOML_ARRAY) {
        th_buf name = TH_BUF_INIT;
        key_display(&name, k, k->len);
        fail_at(p, last->at,
                "cannot add a table to '%s': it is a static array (defined at %d:%d), not an "
                "array of tables",
                name.data, kv->line, kv->col);
        th_buf_free(&name);
        return -1;
    } else if (kv->value->kind == TOML_TABLE) {
        th_buf name = TH_BUF_INIT;
        key_display(&name, k, k->len);
        fail_at(p, last->at,
                "[[%s]] cannot be an array of tables: it is already %s (defined at %d:%d)",
                name.data, describe_value((node *)kv->value), kv->value->line, kv->value->col);
        th_buf_free(&name);
        return -1;
    } else {
        return fail_duplicate_key(p, k, kv);
    }
    if (check_depth(p, arr->depth + 1, last->at))
        return -1;
    node *element = node_new(TOML_TABLE, ORIGIN_HEADER, arr->depth + 1, open);
    array_push(arr, element);
    p->current = element;
    return 0;
}

static int parse_table_header(parser *p)
{
    tpos open = here(p);
    p->pos++;
    bool is_array = peek(p) == '[';
    if (is_array)
        p->pos++;
    key_path k = {0};
    int rc = -1;
    skip_ws(p);
    if (parse_key(p, &k))
        goto done;
    skip_ws(p);
    if (peek(p) != ']' || (is_array && peek_at(p, 1) != ']')) {
        if (is_array && peek(p) == ']')
            p->pos++;
        fail_unexpected(p, is_array ? "']]' to close the header" : "']' to close the header");
        goto done;
    }
    p->pos += is_array ? 2 : 1;
    node *parent = walk_header_key(p, &k);
    if (parent)
        rc = is_array ? open_table_array_element(p, parent, &k, open)
                      : open_table(p, parent, &k, open);
done:
    key_path_free(&k);
    return rc;
}

/* After an expression: optional whitespace and comment, then a newline or
 * the end of the input. */
static int end_line(parser *p, const char *expected)
{
    skip_ws(p);
    skip_comment(p);
    if (p->pos >= p->len)
        return 0;
    if (!at_newline(p))
        return fail_unexpected(p, expected);
    consume_newline(p);
    return 0;
}

static int parse_document(parser *p)
{
    for (;;) {
        skip_ws(p);
        int c = peek(p);
        if (c < 0)
            return 0;
        const char *expected = "a newline";
        if (c == '[') {
            if (parse_table_header(p))
                return -1;
            expected = "a newline after the table header";
        } else if (c != '#' && c != '\n' && c != '\r') {
            if (parse_keyval(p, p->current))
                return -1;
            expected = "a newline after the value";
        }
        if (end_line(p, expected))
            return -1;
    }
}

/* ---- Public API ----------------------------------------------------------- */

toml_value *toml_parse(const char *text, size_t len, const char *filename, th_error *err)
{
    parser p = {.src = text, .len = len, .line = 1, .err = err};
    p.filename = filename ? filename : "<toml>";
    if (!text && len) {
        th_error_set(err, "%s: no text to parse", p.filename);
        return NULL;
    }
    if (len > INT_MAX) {
        th_error_set(err, "%s: the document is larger than 2 GiB", p.filename);
        return NULL;
    }
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        p.pos = p.line_start = 3; /* a byte order mark: not content, not a column */
    if (check_encoding(&p))
        return NULL;
    p.root = node_new(TOML_TABLE, ORIGIN_ROOT, 0, (tpos){1, 1});
    p.current = p.root;
    int rc = parse_document(&p);
    if (p.c_locale)
        freelocale(p.c_locale);
    if (rc) {
        toml_free(&p.root->v);
        return NULL;
    }
    return &p.root->v;
}

const toml_kv *toml_table_entry(const toml_value *t, const char *key)
{
    if (!t || t->kind != TOML_TABLE || !key)
        return NULL;
    size_t i = table_position((const node *)t, key);
    return i == NO_POSITION ? NULL : &t->tab.items[i];
}

const toml_value *toml_table_get(const toml_value *t, const char *key)
{
    const toml_kv *kv = toml_table_entry(t, key);
    return kv ? kv->value : NULL;
}

const char *toml_kind_name(toml_kind kind)
{
    switch (kind) {
    case TOML_STRING:
        return "string";
    case TOML_INTEGER:
        return "integer";
    case TOML_FLOAT:
        return "float";
    case TOML_BOOL:
        return "boolean";
    case TOML_DATETIME:
        return "datetime";
    case TOML_ARRAY:
        return "array";
    case TOML_TABLE:
        return "table";
    }
    return "value";
}
