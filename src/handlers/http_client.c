/* theater:simple/http-client: granted by [[handlers]] type = "http-client"
 * with config { allowed_hosts = ["host", "host:port", ...], timeout_ms,
 * max_response_bytes } (docs/capabilities/http-client.md).
 *
 * The URL is parsed once, by libcurl's own URL parser, and that parsed
 * handle is what the transfer uses (CURLOPT_CURLU): the host and port the
 * grant is checked against are the ones curl connects to, with no second
 * reading of the text that could disagree. A URL whose scheme is not http
 * or https, or whose host and port the grant does not list, is refused
 * before any name is resolved or connection made. Redirects are never
 * followed: the actor sees the 3xx and may ask again, checked again.
 *
 * A request blocks the calling thread until it completes, fails or times
 * out. In a runtime the actor's lock is released meanwhile and the
 * scheduler may start a spare worker (th_cell_wait_begin), so one slow
 * server does not stall other actors. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/utf8.h"
#include "handlers/handlers.h"
#include "runtime/actor.h"
#include "runtime/runtime.h"

enum {
    HTTP_DEFAULT_TIMEOUT_MS = 10000,
    HTTP_DEFAULT_MAX_RESPONSE = 8 << 20,
    HTTP_MAX_HEADER_BYTES = 256 << 10, /* all the response's header lines together */
    HTTP_MAX_URL = 64 << 10,
    HTTP_MAX_METHOD = 64,
    HTTP_SHOWN_MAX = 200, /* bytes of a URL quoted in a message */
};

/* ---- One request ---------------------------------------------------------------------- */

typedef struct http_call {
    th_arena *a;
    th_val **result;
    const char *url; /* NUL-terminated in the arena, for messages */
    size_t url_len;
    /* The response as it arrives. */
    th_buf body;
    th_buf head; /* the final response's header lines, as received */
    size_t max_body;
    bool body_too_large, head_too_large;
} http_call;

/* Answers err("send-http 'URL': REASON") and returns 0: the call itself
 * succeeded. The URL is escaped and cut for the message. */
static int __attribute__((format(printf, 2, 3))) fail(http_call *c, const char *fmt, ...)
{
    th_buf text = TH_BUF_INIT;
    th_buf_append_str(&text, "send-http '");
    size_t n = c->url_len > HTTP_SHOWN_MAX ? HTTP_SHOWN_MAX : c->url_len;
    while (n < c->url_len && n > 0 && ((unsigned char)c->url[n] & 0xC0) == 0x80)
        n--;
    th_utf8_escape((const uint8_t *)c->url, n, &text);
    th_buf_append_str(&text, n < c->url_len ? "...': " : "': ");
    va_list ap;
    va_start(ap, fmt);
    char *reason = NULL;
    int len = vasprintf(&reason, fmt, ap);
    va_end(ap);
    if (len < 0)
        abort(); /* out of memory, as th_xmalloc would */
    th_buf_append(&text, reason, (size_t)len);
    *c->result = th_val_err(c->a, th_val_string(c->a, (const char *)text.data, text.len));
    free(reason);
    th_buf_free(&text);
    return 0;
}

/* ---- The grant ------------------------------------------------------------------------ */

static const toml_value *config_value(const th_actor *actor, const char *key)
{
    const th_handler_grant *g = th_manifest_grant(actor->manifest, TH_HANDLER_HTTP_CLIENT);
    return g && g->config ? toml_table_get(g->config, key) : NULL;
}

/* An integer key the manifest checked the range of, or its default. */
static long long config_integer(const th_actor *actor, const char *key, long long fallback)
{
    const toml_value *v = config_value(actor, key);
    return v && v->kind == TOML_INTEGER ? v->i : fallback;
}

/* An allowed_hosts entry: "host" or "host:port", the host an IPv6
 * address in brackets or a name or IPv4 address. */
typedef struct host_entry {
    const char *host;
    size_t host_len;
    long port; /* 0: the scheme's default port only */
} host_entry;

static bool parse_port(const char *s, long *port)
{
    if (!*s || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
        return false;
    *port = strtol(s, NULL, 10);
    return *port >= 1 && *port <= 65535;
}

static bool parse_entry(const char *s, host_entry *e)
{
    const char *colon;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close == s + 1)
            return false;
        colon = close[1] == ':' ? close + 1 : NULL;
        if (!colon && close[1])
            return false;
    } else {
        colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':'))
            return false; /* an IPv6 address must be in brackets */
    }
    e->host = s;
    e->host_len = colon ? (size_t)(colon - s) : strlen(s);
    e->port = 0;
    /* a URL or a path is not a host: say so rather than never match */
    if (strcspn(s, "/@?# \t") < e->host_len)
        return false;
    return e->host_len > 0 && (!colon || parse_port(colon + 1, &e->port));
}

/* Whether the grant lists host:port for this scheme. An entry without a
 * port allows the scheme's default port only: "example.com" is
 * http://example.com and https://example.com, not example.com:8080. Host
 * names compare without regard to ASCII case. A malformed entry is
 * reported rather than skipped, so a typo never passes unnoticed. */
static bool host_allowed(http_call *c, const th_actor *actor, const char *scheme, const char *host,
                         long port)
{
    const toml_value *list = config_value(actor, "allowed_hosts");
    long default_port = strcmp(scheme, "https") == 0 ? 443 : 80;
    size_t n = list && list->kind == TOML_ARRAY ? list->arr.len : 0;
    for (size_t i = 0; i < n; i++) {
        const toml_value *v = list->arr.items[i];
        host_entry e;
        if (v->kind != TOML_STRING || !parse_entry(v->str.ptr, &e)) {
            fail(c, "allowed_hosts entry '%s' is not HOST or HOST:PORT",
                 v->kind == TOML_STRING ? v->str.ptr : "?");
            return false;
        }
        bool same_host = strlen(host) == e.host_len && strncasecmp(host, e.host, e.host_len) == 0;
        if (same_host && port == (e.port ? e.port : default_port))
            return true;
    }
    fail(c, "host '%s:%ld' is not in the http-client grant's allowed_hosts", host, port);
    return false;
}

/* ---- The request ---------------------------------------------------------------------- */

/* RFC 9110 tchar: what a method and a header name are made of. */
static bool is_token(const uint8_t *p, size_t len)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        uint8_t ch = p[i];
        bool alnum =
            (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
        if (!alnum && (ch == 0 || !strchr(extra, ch)))
            return false;
    }
    return true;
}

/* A header value may hold no CR, LF or NUL: they would end the header and
 * start another the grant never saw. */
static bool is_header_value(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] == '\r' || p[i] == '\n' || p[i] == 0)
            return false;
    return true;
}

/* Headers the handler sets itself: the connection is the grant's, and
 * framing the actor could get wrong would desynchronise it. */
static bool is_reserved(const uint8_t *name, size_t len)
{
    static const char *const reserved[] = {"host", "content-length", "transfer-encoding",
                                           "connection", NULL};
    for (size_t i = 0; reserved[i]; i++)
        if (strlen(reserved[i]) == len && strncasecmp((const char *)name, reserved[i], len) == 0)
            return true;
    return false;
}

/* The actor's headers as curl takes them; false when one is refused
 * (answered). curl reads "Name:" as "remove Name", so an empty value is
 * written "Name;", its spelling for an empty header. */
static bool build_headers(http_call *c, const th_val *headers, struct curl_slist **out)
{
    bool has_expect = false;
    for (size_t i = 0; i < headers->list.len; i++) {
        const th_val *name = &headers->list.items[i].list.items[0];
        const th_val *value = &headers->list.items[i].list.items[1];
        if (!is_token(name->bytes.ptr, name->bytes.len)) {
            fail(c, "header name '%.*s' is not an HTTP token",
                 (int)(name->bytes.len > 64 ? 64 : name->bytes.len), (const char *)name->bytes.ptr);
            return false;
        }
        if (is_reserved(name->bytes.ptr, name->bytes.len)) {
            fail(c, "header '%.*s' is set by the http-client handler, not by the actor",
                 (int)name->bytes.len, (const char *)name->bytes.ptr);
            return false;
        }
        if (!is_header_value(value->bytes.ptr, value->bytes.len)) {
            fail(c, "the value of header '%.*s' holds CR, LF or NUL", (int)name->bytes.len,
                 (const char *)name->bytes.ptr);
            return false;
        }
        has_expect |=
            name->bytes.len == 6 && strncasecmp((const char *)name->bytes.ptr, "expect", 6) == 0;
        th_buf line = TH_BUF_INIT;
        th_buf_append(&line, name->bytes.ptr, name->bytes.len);
        if (value->bytes.len) {
            th_buf_append_str(&line, ": ");
            th_buf_append(&line, value->bytes.ptr, value->bytes.len);
        } else {
            th_buf_append_byte(&line, ';');
        }
        struct curl_slist *grown = curl_slist_append(*out, th_buf_cstr(&line));
        th_buf_free(&line);
        if (!grown)
            abort(); /* out of memory */
        *out = grown;
    }
    /* No "Expect: 100-continue" pause before a large body unless asked. */
    if (!has_expect) {
        struct curl_slist *grown = curl_slist_append(*out, "Expect:");
        if (!grown)
            abort();
        *out = grown;
    }
    return true;
}

/* ---- Receiving ------------------------------------------------------------------------ */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    http_call *c = ud;
    size_t len = size * n;
    if (len > c->max_body - c->body.len) {
        c->body_too_large = true;
        return 0; /* anything but len aborts the transfer */
    }
    th_buf_append(&c->body, p, len);
    return len;
}

/* Keeps the final response's header lines: a status line (after a 100
 * Continue, or a proxy's CONNECT answer) starts over. */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    http_call *c = ud;
    size_t len = size * n;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        th_buf_reset(&c->head);
        return len;
    }
    if (len > HTTP_MAX_HEADER_BYTES - c->head.len) {
        c->head_too_large = true;
        return 0;
    }
    th_buf_append(&c->head, p, len);
    return len;
}

/* A header's text as a string: UTF-8 as it is; anything else read as
 * ISO-8859-1, which every byte is (RFC 9110's obs-text), so that no byte
 * is lost and the string is always valid. */
static th_val *header_string(th_arena *a, const char *p, size_t len)
{
    if (th_utf8_valid((const uint8_t *)p, len))
        return th_val_string(a, p, len);
    th_buf text = TH_BUF_INIT;
    for (size_t i = 0; i < len; i++) {
        uint8_t ch = (uint8_t)p[i];
        if (ch < 0x80) {
            th_buf_append_byte(&text, ch);
        } else {
            th_buf_append_byte(&text, (uint8_t)(0xC0 | ch >> 6));
            th_buf_append_byte(&text, (uint8_t)(0x80 | (ch & 0x3F)));
        }
    }
    th_val *v = th_val_string(a, (const char *)text.data, text.len);
    th_buf_free(&text);
    return v;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* The header block with one header per line ('\n' between them), each
 * without surrounding whitespace, and obsolete line folding undone: a line
 * that starts with whitespace continues the one before it, joined with a
 * space (RFC 9110, 5.5). Blank lines are left out. */
static void unfold(const th_buf *head, th_buf *out)
{
    const char *p = (const char *)head->data, *end = p + head->len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *next = eol ? eol + 1 : end, *stop = eol ? eol : end;
        bool folded = *p == ' ' || *p == '\t';
        while (p < stop && is_space(*p))
            p++;
        while (stop > p && is_space(stop[-1]))
            stop--;
        if (stop > p) {
            if (out->len)
                th_buf_append_byte(out, folded ? ' ' : '\n');
            th_buf_append(out, p, (size_t)(stop - p));
        }
        p = next;
    }
}

/* The received header lines as list<tuple<string, string>> in the arena,
 * in the order received. A line without a colon is not a header and is
 * left out. */
static th_val *parse_headers(th_arena *a, const th_buf *head)
{
    th_buf lines = TH_BUF_INIT;
    unfold(head, &lines);
    size_t count = 0;
    for (size_t i = 0; i < lines.len; i++)
        count += lines.data[i] == '\n';
    th_val *list = th_val_new(a, TH_VAL_LIST);
    list->list.items = th_arena_alloc(a, (count + 1) * sizeof(th_val));
    const char *p = (const char *)lines.data, *end = p + lines.len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *stop = eol ? eol : end;
        const char *colon = memchr(p, ':', (size_t)(stop - p));
        if (colon) {
            const char *value = colon + 1;
            while (value < stop && is_space(*value))
                value++;
            th_val *pair = &list->list.items[list->list.len++];
            pair->kind = TH_VAL_TUPLE;
            pair->list.items = th_arena_alloc(a, 2 * sizeof(th_val));
            pair->list.len = 2;
            pair->list.items[0] = *header_string(a, p, (size_t)(colon - p));
            pair->list.items[1] = *header_string(a, value, (size_t)(stop - value));
        }
        p = eol ? eol + 1 : end;
    }
    th_buf_free(&lines);
    return list;
}

/* ---- The call ------------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;

static void init_curl(void)
{
    curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Takes a string param as a C string in the arena; false when it holds a
 * NUL or is longer than max (answered). */
static const char *take_string(http_call *c, const th_val *v, size_t max, const char *what)
{
    if (v->bytes.len > max) {
        fail(c, "the %s is %zu bytes long, more than %zu", what, v->bytes.len, max);
        return NULL;
    }
    char *s = th_arena_alloc(c->a, v->bytes.len + 1); /* zeroed: the NUL is there */
    if (v->bytes.len)
        memcpy(s, v->bytes.ptr, v->bytes.len);
    if (strlen(s) != v->bytes.len) {
        fail(c, "the %s holds a NUL byte", what);
        return NULL;
    }
    return s;
}

/* Parses the URL and checks it against the grant: the parsed handle, or
 * NULL when refused (answered) before anything reached the network. */
static CURLU *checked_url(http_call *c, const th_actor *actor)
{
    CURLU *u = curl_url();
    if (!u)
        abort(); /* out of memory */
    char *scheme = NULL, *host = NULL, *port = NULL, *zone = NULL;
    bool allowed = false;
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, c->url, CURLU_NON_SUPPORT_SCHEME);
    if (rc != CURLUE_OK)
        fail(c, "not a URL: %s", curl_url_strerror(rc));
    else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
             (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
        fail(c, "scheme '%s' is refused: only http and https are served", scheme ? scheme : "");
    else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        fail(c, "the URL names no host");
    else if (curl_url_get(u, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK)
        fail(c, "IPv6 zone ids are refused");
    else if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
        fail(c, "the URL names no port");
    else
        allowed = host_allowed(c, actor, scheme, host, strtol(port, NULL, 10));
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(zone);
    if (allowed)
        return u;
    curl_url_cleanup(u);
    return NULL;
}

/* Sets the method and body. HEAD is asked with NOBODY, since a custom
 * "HEAD" would make curl wait for a body that never comes. */
static void set_method(CURL *e, const char *method, const th_val *body)
{
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        return;
    }
    if (body->var.disc == 1) {
        const th_val *bytes = body->var.payload;
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bytes->bytes.len);
        /* Never NULL: curl would read the body from stdin. */
        const void *data = bytes->bytes.len ? (const void *)bytes->bytes.ptr : "";
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, data);
    }
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
}

/* Runs the transfer with the actor's lock released, in a runtime, so the
 * scheduler can give other actors a spare worker meanwhile. Nothing of the
 * actor is touched until it is taken back. */
static CURLcode perform(th_actor *actor, CURL *e)
{
    struct th_cell *cell = actor->cell;
    if (cell)
        th_cell_wait_begin(cell);
    CURLcode rc = curl_easy_perform(e);
    if (cell)
        th_cell_wait_end(cell);
    return rc;
}

/* http-response { status, headers, body }: body none when empty. */
static th_val *response(http_call *c, long status)
{
    th_val *r = th_val_tuple(c->a, 3);
    r->list.items[0] = *th_val_u64(c->a, TH_VAL_U16, (uint64_t)status);
    r->list.items[1] = *parse_headers(c->a, &c->head);
    r->list.items[2] =
        *th_val_option(c->a, c->body.len ? th_val_bytes(c->a, c->body.data, c->body.len) : NULL);
    return r;
}

static void answer(http_call *c, CURL *e, CURLcode rc, long timeout_ms, const char *errbuf)
{
    long status = 0;
    if (c->body_too_large || rc == CURLE_FILESIZE_EXCEEDED)
        fail(c, "response larger than %zu bytes", c->max_body);
    else if (c->head_too_large)
        fail(c, "response headers larger than %d bytes", HTTP_MAX_HEADER_BYTES);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        fail(c, "no complete response within %ld ms", timeout_ms);
    else if (rc != CURLE_OK)
        fail(c, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    else if (curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status < 100 ||
             status > 999)
        fail(c, "the server's answer has no valid status code");
    else
        *c->result = th_val_ok(c->a, response(c, status));
}

/* Sets up and runs a request whose URL passed the grant. */
static void exchange(http_call *c, th_actor *actor, CURLU *url, const char *method,
                     struct curl_slist *headers, const th_val *body)
{
    CURL *e = curl_easy_init();
    if (!e)
        abort(); /* out of memory: curl_global_init succeeded */
    long timeout_ms = (long)config_integer(actor, "timeout_ms", HTTP_DEFAULT_TIMEOUT_MS);
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(e, CURLOPT_CURLU, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (c->max_body > 0) /* 0 would mean "no limit" to curl; on_body refuses any byte */
        curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    set_method(e, method, body);
    CURLcode rc = perform(actor, e);
    answer(c, e, rc, timeout_ms, errbuf);
    curl_easy_cleanup(e);
}

int th_host_http_client_send(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                             th_error *err)
{
    pthread_once(&curl_once, init_curl);
    if (curl_init_code != CURLE_OK)
        return th_error_set(err, "libcurl cannot be initialised: %s",
                            curl_easy_strerror(curl_init_code));
    const th_val *req = &params->list.items[0];
    const th_val *method_v = &req->list.items[0], *uri = &req->list.items[1];
    http_call c = {.a = a, .result = result, .url = "", .url_len = 0};
    c.max_body = (size_t)config_integer(actor, "max_response_bytes", HTTP_DEFAULT_MAX_RESPONSE);
    const char *url = take_string(&c, uri, HTTP_MAX_URL, "URL");
    if (!url)
        return 0;
    c.url = url;
    c.url_len = uri->bytes.len;
    const char *method = take_string(&c, method_v, HTTP_MAX_METHOD, "method");
    if (!method)
        return 0;
    if (!is_token((const uint8_t *)method, method_v->bytes.len))
        return fail(&c, "method '%s' is not an HTTP token", method);
    CURLU *u = checked_url(&c, actor);
    if (!u)
        return 0;
    struct curl_slist *headers = NULL;
    if (build_headers(&c, &req->list.items[2], &headers))
        exchange(&c, actor, u, method, headers, &req->list.items[3]);
    curl_slist_free_all(headers);
    curl_url_cleanup(u);
    th_buf_free(&c.body);
    th_buf_free(&c.head);
    return 0;
}
