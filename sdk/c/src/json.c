/* theater/json.h: top-level key lookup in a JSON object, and an object
 * writer. The reader is a validating scanner over (ptr, len): it never reads
 * at or past len, never recurses (nesting is tracked in a small fixed
 * stack), and allocates nothing, so any bytes a sender chooses are safe. */
#include <string.h>

#include "../include/theater/json.h"

/* Deeper nesting is refused: no actor message needs it, and a bound keeps
 * the scanner's memory fixed. */
#define MAX_DEPTH 64

typedef struct cursor {
    const uint8_t *p;
    size_t len;
    size_t pos;
} cursor;

static bool at_end(const cursor *c)
{
    return c->pos >= c->len;
}

static uint8_t peek(const cursor *c)
{
    return c->p[c->pos];
}

static void skip_ws(cursor *c)
{
    while (!at_end(c) && (peek(c) == ' ' || peek(c) == '\t' || peek(c) == '\n' || peek(c) == '\r'))
        c->pos++;
}

/* Consumes `ch` if it is next. */
static bool eat(cursor *c, uint8_t ch)
{
    if (at_end(c) || peek(c) != ch)
        return false;
    c->pos++;
    return true;
}

static bool eat_word(cursor *c, const char *word)
{
    size_t n = strlen(word);
    if (c->len - c->pos < n || memcmp(c->p + c->pos, word, n) != 0)
        return false;
    c->pos += n;
    return true;
}

/* ---- Strings -------------------------------------------------------------- */

/* Where the decoded bytes of a string go: into a buffer, compared with an
 * expected key, or nowhere (validation only, with a NULL sink). */
typedef struct sink {
    char *out; /* may be NULL */
    size_t cap;
    const char *expect; /* may be NULL */
    size_t expect_len;
    size_t len; /* decoded length so far, even past cap */
    bool differs;
} sink;

static void emit(sink *s, uint8_t byte)
{
    if (!s)
        return;
    if (s->expect && (s->len >= s->expect_len || (uint8_t)s->expect[s->len] != byte))
        s->differs = true;
    if (s->out && s->len + 1 < s->cap) /* keep room for the NUL */
        s->out[s->len] = (char)byte;
    s->len++;
}

/* The length of the valid UTF-8 sequence at p (at most `avail` bytes), or 0:
 * no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t utf8_sequence(const uint8_t *p, size_t avail)
{
    uint8_t b0 = p[0];
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF; /* the range allowed for the second byte */

    if (b0 < 0x80)
        return 1;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        n = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        n = 3;
        if (b0 == 0xE0)
            lo = 0xA0;
        if (b0 == 0xED)
            hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        n = 4;
        if (b0 == 0xF0)
            lo = 0x90;
        if (b0 == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (avail < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

static void emit_code_point(sink *s, uint32_t cp)
{
    if (cp < 0x80) {
        emit(s, (uint8_t)cp);
    } else if (cp < 0x800) {
        emit(s, (uint8_t)(0xC0 | cp >> 6));
        emit(s, (uint8_t)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        emit(s, (uint8_t)(0xE0 | cp >> 12));
        emit(s, (uint8_t)(0x80 | ((cp >> 6) & 0x3F)));
        emit(s, (uint8_t)(0x80 | (cp & 0x3F)));
    } else {
        emit(s, (uint8_t)(0xF0 | cp >> 18));
        emit(s, (uint8_t)(0x80 | ((cp >> 12) & 0x3F)));
        emit(s, (uint8_t)(0x80 | ((cp >> 6) & 0x3F)));
        emit(s, (uint8_t)(0x80 | (cp & 0x3F)));
    }
}

static bool read_hex4(cursor *c, uint32_t *out)
{
    uint32_t v = 0;
    if (c->len - c->pos < 4)
        return false;
    for (int i = 0; i < 4; i++) {
        uint8_t h = c->p[c->pos++];
        uint32_t digit;
        if (h >= '0' && h <= '9')
            digit = h - '0';
        else if (h >= 'a' && h <= 'f')
            digit = h - 'a' + 10;
        else if (h >= 'A' && h <= 'F')
            digit = h - 'A' + 10;
        else
            return false;
        v = v << 4 | digit;
    }
    *out = v;
    return true;
}

/* \uXXXX, after the 'u': a surrogate pair must be complete, because a lone
 * surrogate has no UTF-8 form. */
static bool read_unicode_escape(cursor *c, sink *s)
{
    uint32_t cp, low;
    if (!read_hex4(c, &cp))
        return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (!eat(c, '\\') || !eat(c, 'u') || !read_hex4(c, &low))
            return false;
        if (low < 0xDC00 || low > 0xDFFF)
            return false;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    emit_code_point(s, cp);
    return true;
}

static bool read_escape(cursor *c, sink *s)
{
    if (at_end(c))
        return false;
    uint8_t e = c->p[c->pos++];
    switch (e) {
    case '"':
    case '\\':
    case '/':
        emit(s, e);
        return true;
    case 'b':
        emit(s, '\b');
        return true;
    case 'f':
        emit(s, '\f');
        return true;
    case 'n':
        emit(s, '\n');
        return true;
    case 'r':
        emit(s, '\r');
        return true;
    case 't':
        emit(s, '\t');
        return true;
    case 'u':
        return read_unicode_escape(c, s);
    default:
        return false;
    }
}

/* A string at the cursor (which must be at its opening quote), decoded into
 * the sink. */
static bool read_string(cursor *c, sink *s)
{
    if (!eat(c, '"'))
        return false;
    while (!at_end(c)) {
        uint8_t ch = peek(c);
        if (ch == '"') {
            c->pos++;
            return true;
        }
        if (ch < 0x20)
            return false; /* control characters must be escaped */
        if (ch == '\\') {
            c->pos++;
            if (!read_escape(c, s))
                return false;
            continue;
        }
        size_t n = utf8_sequence(c->p + c->pos, c->len - c->pos);
        if (!n)
            return false;
        for (size_t i = 0; i < n; i++)
            emit(s, c->p[c->pos + i]);
        c->pos += n;
    }
    return false; /* unterminated */
}

/* ---- Numbers and other scalars -------------------------------------------- */

static bool eat_digits(cursor *c)
{
    size_t start = c->pos;
    while (!at_end(c) && peek(c) >= '0' && peek(c) <= '9')
        c->pos++;
    return c->pos > start;
}

/* A number per RFC 8259; *integer says whether it had neither a fraction
 * nor an exponent. */
static bool read_number(cursor *c, bool *integer)
{
    *integer = true;
    eat(c, '-');
    if (eat(c, '0')) {
        /* no leading zeros: "01" is not JSON */
    } else if (at_end(c) || peek(c) < '1' || peek(c) > '9' || !eat_digits(c)) {
        return false;
    }
    if (eat(c, '.')) {
        *integer = false;
        if (!eat_digits(c))
            return false;
    }
    if (eat(c, 'e') || eat(c, 'E')) {
        *integer = false;
        if (!eat(c, '+'))
            eat(c, '-');
        if (!eat_digits(c))
            return false;
    }
    return true;
}

static bool read_scalar(cursor *c)
{
    bool integer;
    if (at_end(c))
        return false;
    switch (peek(c)) {
    case '"':
        return read_string(c, NULL);
    case 't':
        return eat_word(c, "true");
    case 'f':
        return eat_word(c, "false");
    case 'n':
        return eat_word(c, "null");
    default:
        return read_number(c, &integer);
    }
}

/* ---- Values --------------------------------------------------------------- */

/* `"key" :` inside an object, with the surrounding whitespace. */
static bool read_member_key(cursor *c, sink *s)
{
    skip_ws(c);
    if (!read_string(c, s))
        return false;
    skip_ws(c);
    return eat(c, ':');
}

/* After a value inside containers: closes as many as end here, or reads the
 * separator (and key) before the next value. Sets *done when the outermost
 * container closed. */
static bool after_value(cursor *c, uint8_t *stack, size_t *depth, bool *done)
{
    for (;;) {
        if (*depth == 0) {
            *done = true;
            return true;
        }
        skip_ws(c);
        if (at_end(c))
            return false;
        uint8_t ch = c->p[c->pos++];
        uint8_t open = stack[*depth - 1];
        if (ch == ',')
            return open == '[' || read_member_key(c, NULL);
        if ((ch == '}' && open == '{') || (ch == ']' && open == '['))
            (*depth)--;
        else
            return false;
    }
}

/* Validates and skips one value of any type, iteratively. */
static bool skip_value(cursor *c)
{
    uint8_t stack[MAX_DEPTH];
    size_t depth = 0;
    bool done = false;

    while (!done) {
        skip_ws(c);
        if (at_end(c))
            return false;
        uint8_t ch = peek(c);
        if (ch == '{' || ch == '[') {
            if (depth == MAX_DEPTH)
                return false;
            c->pos++;
            stack[depth++] = ch;
            skip_ws(c);
            uint8_t close = ch == '{' ? '}' : ']';
            if (!eat(c, close)) {
                if (ch == '{' && !read_member_key(c, NULL))
                    return false;
                continue; /* the first element */
            }
            depth--; /* empty container: a complete value */
        } else if (!read_scalar(c)) {
            return false;
        }
        if (!after_value(c, stack, &depth, &done))
            return false;
    }
    return true;
}

/* ---- Lookup --------------------------------------------------------------- */

typedef struct span {
    size_t start, end;
} span;

/* Scans the whole object and finds the value of `key` at its top level. */
static theater_json_status find_key(const void *json, size_t len, const char *key, span *value)
{
    cursor c = {json, len, 0};
    bool found = false, duplicate = false;

    if (!json && len)
        return THEATER_JSON_MALFORMED;
    skip_ws(&c);
    if (!eat(&c, '{'))
        return THEATER_JSON_MALFORMED;
    skip_ws(&c);
    if (!eat(&c, '}')) {
        do {
            sink s = {NULL, 0, key, key ? strlen(key) : 0, 0, false};
            if (!read_member_key(&c, key ? &s : NULL))
                return THEATER_JSON_MALFORMED;
            skip_ws(&c);
            span v = {c.pos, 0};
            if (!skip_value(&c))
                return THEATER_JSON_MALFORMED;
            v.end = c.pos;
            if (key && !s.differs && s.len == s.expect_len) {
                duplicate = found;
                if (!found)
                    *value = v;
                found = true;
            }
            skip_ws(&c);
        } while (eat(&c, ','));
        if (!eat(&c, '}'))
            return THEATER_JSON_MALFORMED;
    }
    skip_ws(&c);
    if (!at_end(&c))
        return THEATER_JSON_MALFORMED; /* trailing bytes */
    if (duplicate)
        return THEATER_JSON_DUPLICATE;
    return found || !key ? THEATER_JSON_OK : THEATER_JSON_MISSING;
}

theater_json_status theater_json_check_object(const void *json, size_t len)
{
    span unused;
    return find_key(json, len, NULL, &unused);
}

theater_json_status theater_json_get_string(const void *json, size_t len, const char *key,
                                            char *out, size_t cap, size_t *out_len)
{
    span v;
    theater_json_status st = find_key(json, len, key, &v);
    *out_len = 0;
    if (st != THEATER_JSON_OK)
        return st;
    cursor c = {json, v.end, v.start};
    if (peek(&c) != '"')
        return THEATER_JSON_WRONG_TYPE;
    sink s = {out, cap, NULL, 0, 0, false};
    if (!read_string(&c, &s))
        return THEATER_JSON_MALFORMED; /* cannot happen: find_key validated it */
    *out_len = s.len;
    if (s.len >= cap)
        return THEATER_JSON_TOO_LONG;
    out[s.len] = '\0';
    return THEATER_JSON_OK;
}

theater_json_status theater_json_get_int(const void *json, size_t len, const char *key,
                                         int64_t *out)
{
    span v;
    theater_json_status st = find_key(json, len, key, &v);
    if (st != THEATER_JSON_OK)
        return st;
    cursor c = {json, v.end, v.start};
    bool integer;
    if (peek(&c) != '-' && (peek(&c) < '0' || peek(&c) > '9'))
        return THEATER_JSON_WRONG_TYPE;
    if (!read_number(&c, &integer))
        return THEATER_JSON_MALFORMED;
    if (!integer)
        return THEATER_JSON_WRONG_TYPE;

    const uint8_t *p = json;
    bool negative = p[v.start] == '-';
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t magnitude = 0;
    for (size_t i = v.start + negative; i < v.end; i++) {
        uint64_t digit = p[i] - '0';
        if (magnitude > (limit - digit) / 10)
            return THEATER_JSON_OUT_OF_RANGE;
        magnitude = magnitude * 10 + digit;
    }
    *out = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
    return THEATER_JSON_OK;
}

theater_json_status theater_json_get_bool(const void *json, size_t len, const char *key, bool *out)
{
    span v;
    theater_json_status st = find_key(json, len, key, &v);
    if (st != THEATER_JSON_OK)
        return st;
    const uint8_t *p = json;
    if (p[v.start] == 't' || p[v.start] == 'f') {
        *out = p[v.start] == 't';
        return THEATER_JSON_OK;
    }
    return THEATER_JSON_WRONG_TYPE;
}

const char *theater_json_status_text(theater_json_status status)
{
    switch (status) {
    case THEATER_JSON_OK:
        return "is fine";
    case THEATER_JSON_MALFORMED:
        return "is not a JSON object";
    case THEATER_JSON_MISSING:
        return "is missing";
    case THEATER_JSON_DUPLICATE:
        return "appears more than once";
    case THEATER_JSON_WRONG_TYPE:
        return "has the wrong type";
    case THEATER_JSON_OUT_OF_RANGE:
        return "is out of range";
    case THEATER_JSON_TOO_LONG:
        return "is too long";
    }
    return "has an unknown problem";
}

theater_err theater_json_error(const char *key, const char *expected, theater_json_status status)
{
    theater_buf b = {0};

    if (status == THEATER_JSON_MALFORMED) {
        theater_buf_append_cstr(&b, "message is not a JSON object");
    } else {
        theater_buf_append_byte(&b, '\'');
        theater_buf_append_cstr(&b, key);
        theater_buf_append_cstr(&b, "' ");
        if (status == THEATER_JSON_WRONG_TYPE && expected) {
            theater_buf_append_cstr(&b, "must be ");
            theater_buf_append_cstr(&b, expected);
        } else {
            theater_buf_append_cstr(&b, theater_json_status_text(status));
        }
    }
    theater_buf_append_byte(&b, '\0');
    theater_bytes msg = theater_buf_finish(&b);
    return (theater_err){(char *)msg.ptr, msg.len - 1};
}

/* ---- Writer --------------------------------------------------------------- */

static void write_escaped(theater_buf *b, const uint8_t *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";

    theater_buf_append_byte(b, '"');
    for (size_t i = 0; i < len;) {
        uint8_t ch = s[i];
        if (ch == '"' || ch == '\\') {
            theater_buf_append_byte(b, '\\');
            theater_buf_append_byte(b, ch);
            i++;
        } else if (ch < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 0xF]};
            theater_buf_append(b, esc, sizeof esc);
            i++;
        } else {
            size_t n = utf8_sequence(s + i, len - i);
            if (n) {
                theater_buf_append(b, s + i, n);
                i += n;
            } else {
                theater_buf_append_cstr(b, "\\ufffd");
                i++;
            }
        }
    }
    theater_buf_append_byte(b, '"');
}

static void write_key(theater_json_writer *w, const char *key)
{
    if (w->fields++)
        theater_buf_append_byte(&w->buf, ',');
    write_escaped(&w->buf, (const uint8_t *)key, strlen(key));
    theater_buf_append_byte(&w->buf, ':');
}

void theater_json_begin(theater_json_writer *w)
{
    w->buf = (theater_buf){NULL, 0, 0};
    w->fields = 0;
    theater_buf_append_byte(&w->buf, '{');
}

void theater_json_add_string(theater_json_writer *w, const char *key, const void *value, size_t len)
{
    write_key(w, key);
    write_escaped(&w->buf, value, len);
}

void theater_json_add_cstr(theater_json_writer *w, const char *key, const char *value)
{
    theater_json_add_string(w, key, value, strlen(value));
}

void theater_json_add_int(theater_json_writer *w, const char *key, int64_t value)
{
    write_key(w, key);
    theater_buf_append_i64(&w->buf, value);
}

void theater_json_add_bool(theater_json_writer *w, const char *key, bool value)
{
    write_key(w, key);
    theater_buf_append_cstr(&w->buf, value ? "true" : "false");
}

void theater_json_add_null(theater_json_writer *w, const char *key)
{
    write_key(w, key);
    theater_buf_append_cstr(&w->buf, "null");
}

void theater_json_add_raw(theater_json_writer *w, const char *key, const void *json, size_t len)
{
    write_key(w, key);
    theater_buf_append(&w->buf, json, len);
}

theater_bytes theater_json_end(theater_json_writer *w)
{
    theater_buf_append_byte(&w->buf, '}');
    w->fields = 0;
    return theater_buf_finish(&w->buf);
}

void theater_json_abandon(theater_json_writer *w)
{
    theater_buf_free(&w->buf);
    w->fields = 0;
}
