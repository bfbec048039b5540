/* The CLI's client of the management server: one blocking socket, one
 * request in flight at a time, and a queue for the frames the server pushes
 * in between (subscribed events). Waits use ppoll so that, once asked,
 * Ctrl-C ends a wait instead of the process. */
#include "cli/client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/utf8.h"
#include "server/frame.h"

/* The server's frames can be large (a page of events); they are trusted
 * no more than the server, but a length past this means the peer is not a
 * theater server at all (an HTTP server answers "HTTP..." = 1.2 GB). */
#define CLIENT_MAX_FRAME (512u << 20)
#define CONNECT_TIMEOUT_MS 5000
#define DEFAULT_TCP "127.0.0.1:9000"

struct cli_client {
    int fd;
    char *addr; /* as the user gave it, for messages */
    th_frame_reader reader;
    json_t *pushed; /* frames pushed while a call waited, oldest first */
    json_int_t last_id;
};

/* ---- Interrupts ------------------------------------------------------------------------ */

static volatile sig_atomic_t interrupted;
static bool catching;
static sigset_t wait_mask; /* the mask during a wait: SIGINT and SIGTERM let through */

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

void cli_catch_interrupts(void)
{
    /* Blocked except inside ppoll: a signal that arrives between two waits
     * is held until the next one, which it then ends at once. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &block, &old) != 0)
        return; /* then the default action (death) stands: still correct */
    wait_mask = old;
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        return;
    }
    catching = true;
}

/* ---- Addresses ------------------------------------------------------------------------- */

char *cli_server_address(const char *flag)
{
    if (flag)
        return th_xstrdup(flag);
    const char *env = getenv("THEATER_SERVER");
    if (env && *env)
        return th_xstrdup(env);
    char *dir = cli_data_dir(NULL);
    if (dir) {
        th_buf path = TH_BUF_INIT;
        th_buf_printf(&path, "%s/theater.sock", dir);
        free(dir);
        struct stat st;
        if (stat(th_buf_cstr(&path), &st) == 0 && S_ISSOCK(st.st_mode))
            return (char *)th_buf_take(&path, NULL);
        th_buf_free(&path);
    }
    return th_xstrdup(DEFAULT_TCP);
}

typedef struct server_addr {
    bool is_unix;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char host[256];
    char port[8];
} server_addr;

static bool is_socket_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static bool parse_port(const char *s, char out[8])
{
    size_t n = strlen(s);
    if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
        return false;
    long v = strtol(s, NULL, 10);
    if (v < 1 || v > 65535)
        return false;
    snprintf(out, 8, "%ld", v);
    return true;
}

/* "HOST:PORT" (HOST may be [v6]), "unix:PATH", or a path (one with a
 * slash, or an existing socket). 0, or -1 when it is none of these. */
static int parse_address(const char *addr, server_addr *out)
{
    memset(out, 0, sizeof *out);
    const char *path = NULL;
    if (strncmp(addr, "unix:", 5) == 0)
        path = addr + 5;
    else if (strchr(addr, '/') || is_socket_file(addr))
        path = addr;
    if (path) {
        if (!*path || strlen(path) >= sizeof out->path)
            return -1;
        out->is_unix = true;
        memcpy(out->path, path, strlen(path) + 1);
        return 0;
    }
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || !parse_port(colon + 1, out->port))
        return -1;
    const char *host = addr;
    size_t len = (size_t)(colon - addr);
    if (host[0] == '[') { /* [::1]:9000 */
        if (len < 3 || host[len - 1] != ']')
            return -1;
        host++;
        len -= 2;
    }
    if (len >= sizeof out->host)
        return -1;
    memcpy(out->host, host, len);
    out->host[len] = '\0';
    return 0;
}

/* ---- Connecting ------------------------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* connect() that gives up after timeout_ms; 0 or an errno value. */
static int connect_within(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return errno;
    int rc = connect(fd, sa, len) == 0 ? 0 : errno;
    if (rc == EINPROGRESS) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int n;
        do {
            n = poll(&p, 1, timeout_ms);
        } while (n < 0 && errno == EINTR);
        socklen_t sl = sizeof rc;
        if (n == 0)
            rc = ETIMEDOUT;
        else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &rc, &sl) < 0)
            rc = errno;
    }
    if (rc == 0 && fcntl(fd, F_SETFL, flags) < 0)
        rc = errno;
    return rc;
}

static int connect_unix(const server_addr *a, int *fd_out)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    memcpy(sun.sun_path, a->path, strlen(a->path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    int rc = connect_within(fd, (struct sockaddr *)&sun, sizeof sun, CONNECT_TIMEOUT_MS);
    if (rc) {
        close(fd);
        return rc;
    }
    *fd_out = fd;
    return 0;
}

/* Tries every address the host resolves to; an errno value, or -1 with
 * *gai set when the name does not resolve. */
static int connect_tcp(const server_addr *a, int *fd_out, int *gai)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    *gai = getaddrinfo(a->host, a->port, &hints, &res);
    if (*gai)
        return -1;
    int rc = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            rc = errno;
            continue;
        }
        rc = connect_within(fd, ai->ai_addr, ai->ai_addrlen, CONNECT_TIMEOUT_MS);
        if (rc == 0) {
            int one = 1; /* requests are small and answered at once: no Nagle delay */
            (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            *fd_out = fd;
            break;
        }
        close(fd);
    }
    freeaddrinfo(res);
    return rc;
}

static int unreachable(const char *addr, const char *why)
{
    fprintf(stderr,
            "theater: cannot reach the theater server at %s: %s; start one with `theater "
            "server`\n",
            addr, why);
    return EXIT_UNREACHABLE;
}

int cli_client_connect(const char *addr, cli_client **out)
{
    *out = NULL;
    server_addr a;
    if (parse_address(addr, &a) != 0)
        return cli_usage_error("bad --server value '%s': give HOST:PORT, unix:PATH or the path of "
                               "a unix socket",
                               addr);
    int fd = -1, gai = 0;
    int rc = a.is_unix ? connect_unix(&a, &fd) : connect_tcp(&a, &fd, &gai);
    if (rc)
        return unreachable(addr, rc < 0 ? gai_strerror(gai) : strerror(rc));
    cli_client *c = th_xcalloc(1, sizeof *c);
    c->fd = fd;
    c->addr = th_xstrdup(addr);
    th_frame_reader_init(&c->reader, CLIENT_MAX_FRAME);
    c->pushed = json_array();
    *out = c;
    return EXIT_OK;
}

void cli_client_close(cli_client *c)
{
    if (!c)
        return;
    close(c->fd);
    th_frame_reader_free(&c->reader);
    json_decref(c->pushed);
    free(c->addr);
    free(c);
}

const char *cli_client_address(const cli_client *c)
{
    return c->addr;
}

int cli_connect(const cli_common *common, cli_client **out)
{
    char *addr = cli_server_address(common->server);
    int rc = cli_client_connect(addr, out);
    free(addr);
    return rc;
}

/* ---- Frames ----------------------------------------------------------------------------- */

static void lost(const cli_client *c, const char *why)
{
    fprintf(stderr, "theater: lost the connection to the theater server at %s: %s\n", c->addr, why);
}

static int send_frame(cli_client *c, const json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    if (!text) {
        fprintf(stderr, "theater: a request could not be encoded as JSON\n");
        return EXIT_USAGE;
    }
    th_buf frame = TH_BUF_INIT;
    th_frame_encode(&frame, text, strlen(text));
    free(text);
    size_t off = 0;
    int rc = EXIT_OK;
    while (off < frame.len) {
        /* MSG_NOSIGNAL: a server that went away is an error to report,
         * not a SIGPIPE that kills us silently */
        ssize_t n = send(c->fd, frame.data + off, frame.len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            lost(c, strerror(errno));
            rc = EXIT_UNREACHABLE;
            break;
        }
        off += (size_t)n;
    }
    th_buf_free(&frame);
    return rc;
}

/* Waits for bytes until deadline (ms, monotonic; -1: none) and feeds them
 * to the reader. */
static cli_wait fill(cli_client *c, int64_t deadline)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    for (;;) {
        if (interrupted)
            return CLI_WAIT_INTERRUPTED;
        struct timespec ts, *tp = NULL;
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();
            if (left < 0)
                left = 0;
            ts.tv_sec = left / 1000;
            ts.tv_nsec = (long)(left % 1000) * 1000000;
            tp = &ts;
        }
        int n = ppoll(&p, 1, tp, catching ? &wait_mask : NULL);
        if (n < 0 && errno == EINTR)
            continue; /* the loop's top sees `interrupted` */
        if (n < 0) {
            lost(c, strerror(errno));
            return CLI_WAIT_FAILED;
        }
        if (n == 0)
            return CLI_WAIT_TIMEOUT;
        uint8_t chunk[65536];
        ssize_t got = recv(c->fd, chunk, sizeof chunk, 0);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got < 0) {
            lost(c, strerror(errno));
            return CLI_WAIT_FAILED;
        }
        if (got == 0)
            return CLI_WAIT_CLOSED;
        th_frame_feed(&c->reader, chunk, (size_t)got);
        return CLI_WAIT_FRAME;
    }
}

/* The next frame from the server, parsed. */
static cli_wait next_frame(cli_client *c, int64_t deadline, json_t **frame)
{
    for (;;) {
        const uint8_t *payload;
        size_t len;
        uint32_t bad_len;
        th_frame_status st = th_frame_next(&c->reader, &payload, &len, &bad_len);
        if (st == TH_FRAME_BAD_LENGTH) {
            fprintf(stderr,
                    "theater: the peer at %s does not speak the theater protocol (it sent a "
                    "frame length of %u bytes)\n",
                    c->addr, bad_len);
            return CLI_WAIT_FAILED;
        }
        if (st == TH_FRAME_READY) {
            json_error_t jerr;
            *frame = json_loadb((const char *)payload, len, 0, &jerr);
            if (*frame && json_is_object(*frame))
                return CLI_WAIT_FRAME;
            json_decref(*frame);
            *frame = NULL;
            fprintf(stderr,
                    "theater: the peer at %s does not speak the theater protocol (it sent a "
                    "frame that is not a JSON object)\n",
                    c->addr);
            return CLI_WAIT_FAILED;
        }
        cli_wait w = fill(c, deadline);
        if (w != CLI_WAIT_FRAME)
            return w;
    }
}

static bool is_response(const json_t *frame)
{
    const char *type = json_string_value(json_object_get(frame, "type"));
    return type && strcmp(type, "response") == 0;
}

/* ---- Calls -------------------------------------------------------------------------------- */

int cli_exit_for_code(const char *code)
{
    static const char *const usage_codes[] = {"bad_request", "invalid", "not_found", "bad_frame"};
    for (size_t i = 0; i < sizeof usage_codes / sizeof usage_codes[0]; i++)
        if (code && strcmp(code, usage_codes[i]) == 0)
            return EXIT_USAGE;
    if (code && strcmp(code, "shutting_down") == 0)
        return EXIT_UNREACHABLE;
    return EXIT_ACTOR_FAILED; /* actor_error, timeout, busy, and the server's own faults */
}

/* Says what the server refused, escaped: messages quote actors' words. */
static int report_error(const json_t *response)
{
    json_t *error = json_object_get(response, "error");
    const char *code = json_string_value(json_object_get(error, "code"));
    const char *msg = json_string_value(json_object_get(error, "message"));
    th_buf shown = TH_BUF_INIT;
    if (msg && *msg)
        th_utf8_escape((const uint8_t *)msg, strlen(msg), &shown);
    else
        th_buf_printf(&shown, "the server refused the request (%s)", code ? code : "no code");
    fprintf(stderr, "theater: %s\n", th_buf_cstr(&shown));
    th_buf_free(&shown);
    return cli_exit_for_code(code);
}

/* Whether `response` answers request `id`; a null id answers whatever was
 * asked (the server could not read the request's id: bad_frame). */
static bool answers(const json_t *response, json_int_t id)
{
    json_t *rid = json_object_get(response, "id");
    return json_is_null(rid) || (json_is_integer(rid) && json_integer_value(rid) == id);
}

int cli_client_call(cli_client *c, json_t *request, json_t **result)
{
    *result = NULL;
    json_int_t id = ++c->last_id;
    json_object_set_new(request, "id", json_integer(id));
    const char *command = json_string_value(json_object_get(request, "command"));
    char what[64];
    snprintf(what, sizeof what, "%s", command ? command : "the request");
    int rc = send_frame(c, request);
    json_decref(request);
    if (rc)
        return rc;
    for (;;) {
        json_t *frame = NULL;
        cli_wait w = next_frame(c, -1, &frame);
        if (w == CLI_WAIT_INTERRUPTED)
            return CLI_CALL_INTERRUPTED;
        if (w == CLI_WAIT_CLOSED) {
            fprintf(stderr,
                    "theater: the theater server at %s closed the connection before "
                    "answering %s\n",
                    c->addr, what);
            return EXIT_UNREACHABLE;
        }
        if (w != CLI_WAIT_FRAME)
            return EXIT_UNREACHABLE;
        if (!is_response(frame)) {
            json_array_append_new(c->pushed, frame);
            continue;
        }
        if (!answers(frame, id)) { /* to an earlier request given up on: nobody waits */
            json_decref(frame);
            continue;
        }
        json_t *ok = json_object_get(frame, "ok");
        if (json_is_true(ok)) {
            json_t *res = json_object_get(frame, "result");
            *result = res ? json_incref(res) : json_object();
            rc = EXIT_OK;
        } else {
            rc = report_error(frame);
        }
        json_decref(frame);
        return rc;
    }
}

cli_wait cli_client_next_push(cli_client *c, int timeout_ms, json_t **frame)
{
    *frame = NULL;
    if (json_array_size(c->pushed)) {
        *frame = json_incref(json_array_get(c->pushed, 0));
        json_array_remove(c->pushed, 0);
        return CLI_WAIT_FRAME;
    }
    int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    for (;;) {
        cli_wait w = next_frame(c, deadline, frame);
        if (w != CLI_WAIT_FRAME || !is_response(*frame))
            return w;
        json_decref(*frame); /* a response nobody waits for any more */
        *frame = NULL;
    }
}

/* ---- Arguments --------------------------------------------------------------------------- */

/* "-x" and "--x" are options; "-" and "-5" (a JSON number) are not. */
static bool looks_like_option(const char *a)
{
    return a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9');
}

static const cli_option *find_option(const cli_option *options, const char *name)
{
    for (size_t i = 0; options && options[i].name; i++)
        if (strcmp(options[i].name, name) == 0)
            return &options[i];
    return NULL;
}

int cli_parse_args(int argc, char **argv, const char *usage, const cli_option *options,
                   const char *const *arg_names, cli_common *common, const char **args)
{
    const char *verb = argv[0];
    size_t want = 0, got = 0;
    while (arg_names[want])
        want++;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (options_done || !looks_like_option(a)) {
            if (got == want)
                return cli_usage_error("%s: unexpected argument '%s' (see `theater %s --help`)",
                                       verb, a, verb);
            args[got++] = a;
            continue;
        }
        const cli_option *o = find_option(options, a);
        if (strcmp(a, "--") == 0) {
            options_done = true;
        } else if (cli_is_help(a)) {
            fputs(usage, stdout);
            return -1;
        } else if (strcmp(a, "--json") == 0) {
            common->json = true;
        } else if (strcmp(a, "--server") == 0) {
            if (!next)
                return cli_usage_error("%s: --server needs an address (HOST:PORT, unix:PATH "
                                       "or a socket path)",
                                       verb);
            common->server = argv[++i];
        } else if (o && o->value) {
            if (!next)
                return cli_usage_error("%s: %s needs a value (see `theater %s --help`)", verb, a,
                                       verb);
            *o->value = argv[++i];
            if (o->given)
                *o->given = true;
        } else if (o) {
            *o->given = true;
        } else {
            return cli_usage_error("%s: unknown option '%s' (see `theater %s --help`)", verb, a,
                                   verb);
        }
    }
    if (got < want)
        return cli_usage_error("%s: %s is required (see `theater %s --help`)", verb, arg_names[got],
                               verb);
    return 0;
}
