/* The manifest model: every field read back, defaults (with and without
 * [supervisor]), path resolution for package and [[children]],
 * the "did you mean" hints, and invalid manifests with their exact
 * messages. Files for th_manifest_load live in a fresh temporary
 * directory that the test removes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "common/buf.h"
#include "common/suggest.h"
#include "manifest/manifest.h"

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/theater-manifest-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(1);
    }
}

/* tmpdir/name, in a static buffer (one path at a time is enough here). */
static const char *tmp_path(const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

static void write_file(const char *name, const char *text, size_t len)
{
    FILE *f = fopen(tmp_path(name), "wb");
    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        perror(name);
        exit(1);
    }
}

static th_manifest *parse_ok(const char *text, const char *path)
{
    th_error err = {0};
    th_manifest *m = th_manifest_parse(text, strlen(text), path, &err);
    CHECK_REPORT_(m != NULL, "parse failed: %s", err.msg);
    return m;
}

static const char *parse_error(const char *text, th_error *err)
{
    th_manifest *m = th_manifest_parse(text, strlen(text), "m.toml", err);
    if (m) {
        th_manifest_free(m);
        return "(parsed without error)";
    }
    return err->msg;
}

#define HEAD "name = \"x\"\nversion = \"1\"\npackage = \"x.wasm\"\n"

/* ---- Valid manifests ------------------------------------------------------ */

static const char full_manifest[] =
    "name = \"counter\"\n"
    "version = \"0.1.0\"\n"
    "description = \"Counts.\"\n"
    "package = \"../../build/examples/counter.wasm\"\n"
    "initial_state = '{\"count\": 0}'\n"
    "\n"
    "[limits]\n"
    "memory_mb = 16\n"
    "fuel = 50_000_000\n"
    "time_ms = 1000\n"
    "\n"
    "[[handlers]]\n"
    "type = \"runtime\"\n"
    "\n"
    "[[handlers]]\n"
    "type = \"message-server\"\n"
    "config = {}\n"
    "\n"
    "[[handlers]]\n"
    "type = \"http-server\"\n"
    "config = { port = 8080, host = \"0.0.0.0\" }\n"
    "\n"
    "[[handlers]]\n"
    "type = \"http-client\"\n"
    "config = { allowed_hosts = [\"api.example.com\", \"localhost:8080\"] }\n"
    "\n"
    "[[handlers]]\n"
    "type = \"filesystem\"\n"
    "[handlers.config]\n"
    "path = \"data\"\n"
    "mode = \"rw\"\n"
    "\n"
    "[[handlers]]\n"
    "type = \"store\"\n"
    "config.name = \"main\"\n"
    "\n"
    "[[handlers]]\n"
    "type = \"environment\"\n"
    "config = { allow = [\"HOME\", \"LANG\"] }\n"
    "\n"
    "[[handlers]]\n"
    "type = \"timing\"\n"
    "[[handlers]]\n"
    "type = \"random\"\n"
    "[[handlers]]\n"
    "type = \"supervisor\"\n";

TEST(full_manifest_reads_back)
{
    th_manifest *m = parse_ok(full_manifest, "examples/counter/manifest.toml");
    if (!m)
        return;
    CHECK_STR_EQ(m->path, "examples/counter/manifest.toml");
    CHECK_STR_EQ(m->dir, "examples/counter");
    CHECK_STR_EQ(m->name, "counter");
    CHECK_STR_EQ(th_manifest_name(m), "counter");
    CHECK_STR_EQ(m->version, "0.1.0");
    CHECK_STR_EQ(m->description, "Counts.");
    CHECK_STR_EQ(m->package, "examples/counter/../../build/examples/counter.wasm");
    CHECK(m->has_initial_state);
    CHECK_EQ_INT(m->initial_state_len, 12);
    CHECK(m->initial_state && memcmp(m->initial_state, "{\"count\": 0}", 12) == 0);
    CHECK_EQ_INT(m->limits.memory_bytes, 16ULL << 20);
    CHECK_EQ_INT(m->limits.fuel, 50000000);
    CHECK_EQ_INT(m->limits.time_ms, 1000);
    CHECK_EQ_INT(m->n_handlers, 10);
    for (int t = 0; t < TH_HANDLER_COUNT; t++)
        CHECK_REPORT_(th_manifest_grants(m, (th_handler_type)t), "grants %s",
                      th_handler_type_name((th_handler_type)t));
    const th_handler_grant *http = th_manifest_grant(m, TH_HANDLER_HTTP_SERVER);
    if (http) {
        CHECK_EQ_INT(http->type, TH_HANDLER_HTTP_SERVER);
        CHECK_EQ_INT(http->line, 19);
        CHECK_EQ_INT(http->col, 1);
        const toml_value *port = toml_table_get(http->config, "port");
        CHECK(port && port->kind == TOML_INTEGER && port->i == 8080);
        const toml_value *host = toml_table_get(http->config, "host");
        CHECK(host && strcmp(host->str.ptr, "0.0.0.0") == 0);
    } else {
        CHECK(!"an http-server grant");
    }
    const th_handler_grant *fs = th_manifest_grant(m, TH_HANDLER_FILESYSTEM);
    CHECK(fs && strcmp(toml_table_get(fs->config, "mode")->str.ptr, "rw") == 0);
    const th_handler_grant *store = th_manifest_grant(m, TH_HANDLER_STORE);
    CHECK(store && strcmp(toml_table_get(store->config, "name")->str.ptr, "main") == 0);
    const th_handler_grant *timing = th_manifest_grant(m, TH_HANDLER_TIMING);
    CHECK(timing && timing->config == NULL);
    const th_handler_grant *msg = th_manifest_grant(m, TH_HANDLER_MESSAGE_SERVER);
    CHECK(msg && msg->config && msg->config->kind == TOML_TABLE && msg->config->tab.len == 0);
    CHECK_EQ_INT(m->handlers[0].type, TH_HANDLER_RUNTIME);
    CHECK_EQ_INT(m->handlers[9].type, TH_HANDLER_SUPERVISOR);
    th_manifest_free(m);
}

TEST(minimal_manifest_has_defaults)
{
    th_manifest *m = parse_ok(HEAD, "m.toml");
    if (!m)
        return;
    CHECK_STR_EQ(m->dir, ".");
    CHECK_STR_EQ(m->package, "x.wasm");
    CHECK(m->description == NULL);
    CHECK(!m->has_initial_state);
    CHECK(m->initial_state == NULL);
    CHECK_EQ_INT(m->limits.memory_bytes, (uint64_t)TH_DEFAULT_MEMORY_MB << 20);
    CHECK_EQ_INT(m->limits.fuel, TH_DEFAULT_FUEL);
    CHECK_EQ_INT(m->limits.time_ms, TH_DEFAULT_TIME_MS);
    CHECK_EQ_INT(m->n_handlers, 0);
    CHECK(th_manifest_grants(m, TH_HANDLER_RUNTIME)); /* always */
    CHECK(th_manifest_grant(m, TH_HANDLER_RUNTIME) == NULL);
    CHECK(!th_manifest_grants(m, TH_HANDLER_MESSAGE_SERVER));
    CHECK(m->doc && m->doc->kind == TOML_TABLE);
    CHECK(!m->has_durability);
    CHECK_EQ_INT(m->limits.mailbox, TH_DEFAULT_MAILBOX);
    CHECK_EQ_INT(TH_DEFAULT_MAILBOX, 1024);
    /* no [supervisor]: the actor is only notified, its run-time children
     * are temporary; everything else has the [supervisor] defaults */
    CHECK(!m->has_supervisor);
    CHECK_EQ_INT(m->supervisor.strategy, TH_STRATEGY_ONE_FOR_ONE);
    CHECK_EQ_INT(m->supervisor.intensity, TH_DEFAULT_INTENSITY);
    CHECK_EQ_INT(m->supervisor.period_s, TH_DEFAULT_PERIOD_S);
    CHECK_EQ_INT(m->supervisor.restart, TH_RESTART_TEMPORARY);
    CHECK_EQ_INT(m->supervisor.restart_from, TH_RESTART_FROM_LAST_STATE);
    CHECK_EQ_INT(m->n_children, 0);
    CHECK(m->children == NULL);
    th_manifest_free(m);
}

TEST(empty_supervisor_table_has_defaults)
{
    th_manifest *m = parse_ok(HEAD "[supervisor]\n", "m.toml");
    if (!m)
        return;
    CHECK(m->has_supervisor);
    CHECK_EQ_INT(m->supervisor.strategy, TH_STRATEGY_ONE_FOR_ONE);
    CHECK_EQ_INT(m->supervisor.intensity, 3);
    CHECK_EQ_INT(m->supervisor.period_s, 5);
    CHECK_EQ_INT(m->supervisor.restart, TH_RESTART_PERMANENT); /* unlike without the table */
    CHECK_EQ_INT(m->supervisor.restart_from, TH_RESTART_FROM_LAST_STATE);
    CHECK_EQ_INT(m->n_children, 0);
    th_manifest_free(m);
}

TEST(supervisor_every_value)
{
    static const char *const strategies[] = {"one-for-one", "one-for-all", "rest-for-one"};
    static const th_strategy strategy_values[] = {TH_STRATEGY_ONE_FOR_ONE, TH_STRATEGY_ONE_FOR_ALL,
                                                  TH_STRATEGY_REST_FOR_ONE};
    static const char *const restarts[] = {"permanent", "transient", "temporary"};
    static const th_restart restart_values[] = {TH_RESTART_PERMANENT, TH_RESTART_TRANSIENT,
                                                TH_RESTART_TEMPORARY};
    static const char *const froms[] = {"last-state", "init"};
    static const th_restart_from from_values[] = {TH_RESTART_FROM_LAST_STATE, TH_RESTART_FROM_INIT};
    /* each value of each choice at least once, with the integer bounds */
    for (int i = 0; i < 3; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 HEAD "[supervisor]\nstrategy = \"%s\"\nrestart = \"%s\"\n"
                      "restart_from = \"%s\"\nintensity = %s\nperiod = %s\n",
                 strategies[i], restarts[(i + 1) % 3], froms[i % 2], i ? "1_000_000" : "0",
                 i ? "86_400" : "1");
        th_manifest *m = parse_ok(text, "m.toml");
        if (!m)
            continue;
        CHECK(m->has_supervisor);
        CHECK_EQ_INT(m->supervisor.strategy, strategy_values[i]);
        CHECK_EQ_INT(m->supervisor.restart, restart_values[(i + 1) % 3]);
        CHECK_EQ_INT(m->supervisor.restart_from, from_values[i % 2]);
        CHECK_EQ_INT(m->supervisor.intensity, i ? 1000000 : 0);
        CHECK_EQ_INT(m->supervisor.period_s, i ? 86400 : 1);
        th_manifest_free(m);
    }
    /* the same table written inline */
    th_manifest *m =
        parse_ok(HEAD "supervisor = { restart = \"permanent\", period = 60 }\n", "m.toml");
    if (m) {
        CHECK(m->has_supervisor);
        CHECK_EQ_INT(m->supervisor.restart, TH_RESTART_PERMANENT);
        CHECK_EQ_INT(m->supervisor.period_s, 60);
        CHECK_EQ_INT(m->supervisor.intensity, TH_DEFAULT_INTENSITY);
        th_manifest_free(m);
    }
}

static const char two_workers[] = "name = \"boss\"\n"
                                  "version = \"1\"\n"
                                  "package = \"boss.wasm\"\n"
                                  "[supervisor]\n"
                                  "strategy = \"rest-for-one\"\n"
                                  "\n"
                                  "[[children]]\n"
                                  "manifest = \"workers/a.toml\"\n"
                                  "\n"
                                  "[[children]]\n"
                                  "manifest = \"/srv/b.toml\"\n"
                                  "restart = \"transient\"\n"
                                  "initial_state = '{\"jobs\": []}'\n";

TEST(children_read_back)
{
    th_manifest *m = parse_ok(two_workers, "apps/boss/manifest.toml");
    if (!m)
        return;
    CHECK(m->has_supervisor);
    CHECK_EQ_INT(m->supervisor.strategy, TH_STRATEGY_REST_FOR_ONE);
    CHECK_EQ_INT(m->n_children, 2);
    if (m->n_children == 2) {
        const th_child_spec *a = &m->children[0], *b = &m->children[1];
        CHECK_STR_EQ(a->manifest, "apps/boss/workers/a.toml");
        CHECK_EQ_INT(a->restart, TH_RESTART_PERMANENT);
        CHECK(!a->has_initial_state);
        CHECK(a->initial_state == NULL);
        CHECK_EQ_INT(a->line, 7);
        CHECK_EQ_INT(a->col, 1);
        CHECK_STR_EQ(b->manifest, "/srv/b.toml");
        CHECK_EQ_INT(b->restart, TH_RESTART_TRANSIENT);
        CHECK(b->has_initial_state);
        CHECK_EQ_INT(b->initial_state_len, 12);
        CHECK(b->initial_state && memcmp(b->initial_state, "{\"jobs\": []}", 12) == 0);
        CHECK_EQ_INT(b->line, 10);
        CHECK_EQ_INT(b->col, 1);
    }
    th_manifest_free(m);
    /* children without [supervisor]: the table's defaults, restart as given per child */
    m = parse_ok(HEAD "children = [{ manifest = \"w.toml\", restart = \"temporary\" }, "
                      "{ manifest = \"w.toml\", initial_state = \"7\" }]\n",
                 "m.toml");
    if (m) {
        CHECK(!m->has_supervisor);
        CHECK_EQ_INT(m->n_children, 2);
        if (m->n_children == 2) {
            CHECK_STR_EQ(m->children[0].manifest, "w.toml");
            CHECK_EQ_INT(m->children[0].restart, TH_RESTART_TEMPORARY);
            CHECK_EQ_INT(m->children[0].line, 4);
            CHECK_EQ_INT(m->children[0].col, 13);
            CHECK_STR_EQ(m->children[1].manifest, "w.toml");
            CHECK_EQ_INT(m->children[1].restart, TH_RESTART_PERMANENT);
            CHECK(m->children[1].has_initial_state);
            CHECK_EQ_INT(m->children[1].initial_state_len, 1);
            CHECK(m->children[1].initial_state && m->children[1].initial_state[0] == '7');
        }
        th_manifest_free(m);
    }
    m = parse_ok(HEAD "children = []\n", "m.toml");
    if (m) {
        CHECK_EQ_INT(m->n_children, 0);
        th_manifest_free(m);
    }
}

TEST(child_manifests_resolve_like_package)
{
    static const struct {
        const char *manifest, *child, *want;
    } cases[] = {
        {"m.toml", "w.toml", "w.toml"},
        {"dir/m.toml", "w.toml", "dir/w.toml"},
        {"/abs/dir/m.toml", "../workers/w.toml", "/abs/dir/../workers/w.toml"},
        {"/abs/dir/m.toml", "/elsewhere/w.toml", "/elsewhere/w.toml"},
        {"/m.toml", "w.toml", "/w.toml"},
        {"./m.toml", "sub/w.toml", "sub/w.toml"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        th_buf text = TH_BUF_INIT;
        th_buf_printf(&text, HEAD "[[children]]\nmanifest = \"%s\"\n", cases[i].child);
        th_manifest *m = parse_ok(th_buf_cstr(&text), cases[i].manifest);
        if (m && m->n_children == 1)
            CHECK_STR_EQ(m->children[0].manifest, cases[i].want);
        else
            CHECK_REPORT_(false, "case %zu: one child expected", i);
        th_manifest_free(m);
        th_buf_free(&text);
    }
    /* loaded from a file: against its directory; the child file itself does
     * not exist and is not opened (the runtime loads it at spawn) */
    write_file("boss.toml", two_workers, strlen(two_workers));
    th_error err = {0};
    th_manifest *m = th_manifest_load(tmp_path("boss.toml"), &err);
    CHECK_REPORT_(m != NULL, "load failed: %s", err.msg);
    if (m && m->n_children == 2) {
        CHECK_STR_EQ(m->children[0].manifest, tmp_path("workers/a.toml"));
        CHECK_STR_EQ(m->children[1].manifest, "/srv/b.toml");
        CHECK_STR_EQ(m->package, tmp_path("boss.wasm"));
    }
    th_manifest_free(m);
}

TEST(runtime_durability)
{
    static const char *const names[] = {"off", "batch", "always"};
    for (int d = 0; d < 3; d++) {
        char text[256];
        snprintf(text, sizeof text, HEAD "[runtime]\ndurability = \"%s\"\n", names[d]);
        th_manifest *m = parse_ok(text, "m.toml");
        if (!m)
            continue;
        CHECK(m->has_durability);
        CHECK_EQ_INT(m->durability, d);
        th_manifest_free(m);
    }
}

TEST(limits_at_their_bounds_and_other_forms)
{
    th_manifest *m = parse_ok(HEAD "limits = { memory_mb = 4096, fuel = 1_000_000_000_000_000, "
                                   "time_ms = 3_600_000, mailbox = 1_000_000 }\n"
                                   "handlers = [{ type = \"message-server\" }]\n",
                              "m.toml");
    if (m) {
        CHECK_EQ_INT(m->limits.memory_bytes, 4096ULL << 20);
        CHECK_EQ_INT(m->limits.fuel, 1000000000000000ULL);
        CHECK_EQ_INT(m->limits.time_ms, 3600000);
        CHECK_EQ_INT(m->limits.mailbox, 1000000);
        CHECK(th_manifest_grants(m, TH_HANDLER_MESSAGE_SERVER));
        th_manifest_free(m);
    }
    m = parse_ok(HEAD "limits.memory_mb = 1\nlimits.fuel = 1\nlimits.time_ms = 1\n"
                      "limits.mailbox = 1\nhandlers = []\n",
                 "m.toml");
    if (m) {
        CHECK_EQ_INT(m->limits.memory_bytes, 1ULL << 20);
        CHECK_EQ_INT(m->limits.fuel, 1);
        CHECK_EQ_INT(m->limits.time_ms, 1);
        CHECK_EQ_INT(m->limits.mailbox, 1);
        CHECK_EQ_INT(m->n_handlers, 0);
        th_manifest_free(m);
    }
}

TEST(relative_paths_resolve_against_the_manifest)
{
    static const struct {
        const char *manifest, *package, *want;
    } cases[] = {
        {"m.toml", "x.wasm", "x.wasm"},
        {"dir/m.toml", "x.wasm", "dir/x.wasm"},
        {"/abs/dir/m.toml", "../pkg/x.wasm", "/abs/dir/../pkg/x.wasm"},
        {"/abs/dir/m.toml", "/elsewhere/x.wasm", "/elsewhere/x.wasm"},
        {"/m.toml", "x.wasm", "/x.wasm"},
        {"./m.toml", "sub/x.wasm", "sub/x.wasm"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        th_buf text = TH_BUF_INIT;
        th_buf_printf(&text, "name = \"x\"\nversion = \"1\"\npackage = \"%s\"\n", cases[i].package);
        th_manifest *m = parse_ok(th_buf_cstr(&text), cases[i].manifest);
        CHECK(m != NULL);
        if (m)
            CHECK_STR_EQ(m->package, cases[i].want);
        th_manifest_free(m);
        th_buf_free(&text);
    }
    /* no path at all: messages say <manifest>, paths stay relative */
    th_manifest *m = parse_ok(HEAD, NULL);
    if (m) {
        CHECK(m->path == NULL);
        CHECK_STR_EQ(m->dir, ".");
        th_manifest_free(m);
    }
    th_error err;
    CHECK(th_manifest_parse("name = 1", 8, NULL, &err) == NULL);
    CHECK_STR_EQ(err.msg, "<manifest>:1:8: 'name' must be a string, found integer");
}

TEST(initial_state_file)
{
    write_file("state.json", "{\"count\": 41}\n", 14);
    write_file("bad.json", "{\"count\": }", 11);
    write_file("empty.json", "", 0);
    th_buf path = TH_BUF_INIT;
    th_buf_printf(&path, "%s/m.toml", tmpdir);
    th_manifest *m = parse_ok(HEAD "initial_state_file = \"state.json\"\n", th_buf_cstr(&path));
    if (m) {
        CHECK(m->has_initial_state);
        CHECK_EQ_INT(m->initial_state_len, 14);
        CHECK(memcmp(m->initial_state, "{\"count\": 41}\n", 14) == 0);
        th_manifest_free(m);
    }
    th_error err;
    m = th_manifest_parse(HEAD "initial_state_file = \"missing.json\"\n", strlen(HEAD) + 36,
                          th_buf_cstr(&path), &err);
    CHECK(m == NULL);
    th_buf want = TH_BUF_INIT;
    th_buf_printf(&want,
                  "%s/m.toml:4:22: cannot read initial_state_file '%s/missing.json': No such file "
                  "or directory",
                  tmpdir, tmpdir);
    CHECK_STR_EQ(err.msg, th_buf_cstr(&want));
    m = th_manifest_parse(HEAD "initial_state_file = \"bad.json\"\n", strlen(HEAD) + 32,
                          th_buf_cstr(&path), &err);
    CHECK(m == NULL);
    th_buf_reset(&want);
    th_buf_printf(&want,
                  "%s/m.toml:4:22: initial_state_file '%s/bad.json' is not valid JSON: "
                  "unexpected token near '}' (line 1, column 11 of the JSON)",
                  tmpdir, tmpdir);
    CHECK_STR_EQ(err.msg, th_buf_cstr(&want));
    m = th_manifest_parse(HEAD "initial_state_file = \"empty.json\"\n", strlen(HEAD) + 34,
                          th_buf_cstr(&path), &err);
    CHECK(m == NULL);
    CHECK_CONTAINS(err.msg, "empty.json' is not valid JSON");
    /* a sparse file just over the limit: refused before anything is read */
    write_file("huge.json", "", 0);
    CHECK(truncate(tmp_path("huge.json"), (64 << 20) + 1) == 0);
    m = th_manifest_parse(HEAD "initial_state_file = \"huge.json\"\n", strlen(HEAD) + 33,
                          th_buf_cstr(&path), &err);
    CHECK(m == NULL);
    th_buf_reset(&want);
    th_buf_printf(&want, "%s/m.toml:4:22: initial_state_file '%s/huge.json' is larger than 64 MiB",
                  tmpdir, tmpdir);
    CHECK_STR_EQ(err.msg, th_buf_cstr(&want));
    th_buf_free(&want);
    th_buf_free(&path);
}

TEST(load_reads_files)
{
    write_file("ok.toml", HEAD "initial_state_file = \"state.json\"\n", strlen(HEAD) + 34);
    write_file("state.json", "[1, 2]", 6);
    th_error err = {0};
    th_manifest *m = th_manifest_load(tmp_path("ok.toml"), &err);
    CHECK_REPORT_(m != NULL, "load failed: %s", err.msg);
    if (m) {
        CHECK_STR_EQ(m->path, tmp_path("ok.toml"));
        CHECK_STR_EQ(m->dir, tmpdir);
        CHECK_STR_EQ(m->package, tmp_path("x.wasm"));
        CHECK_EQ_INT(m->initial_state_len, 6);
        th_manifest_free(m);
    }
    write_file("typo.toml", "name = \"x\"\nversoin = \"1\"\n", 25);
    CHECK(th_manifest_load(tmp_path("typo.toml"), &err) == NULL);
    th_buf want = TH_BUF_INIT;
    th_buf_printf(&want, "%s:2:1: unknown key 'versoin' in the manifest (did you mean 'version'?)",
                  tmp_path("typo.toml"));
    CHECK_STR_EQ(err.msg, th_buf_cstr(&want));
    th_buf_free(&want);
}

TEST(load_refuses_missing_files_directories_and_big_files)
{
    th_error err;
    CHECK(th_manifest_load("/nonexistent/dir/m.toml", &err) == NULL);
    CHECK_STR_EQ(err.msg,
                 "cannot read manifest '/nonexistent/dir/m.toml': No such file or directory");
    CHECK(th_manifest_load(tmpdir, &err) == NULL);
    th_buf want = TH_BUF_INIT;
    th_buf_printf(&want, "cannot read manifest '%s': Is a directory", tmpdir);
    CHECK_STR_EQ(err.msg, th_buf_cstr(&want));
    th_buf_free(&want);
    size_t big = (1 << 20) + 1;
    char *text = malloc(big);
    CHECK(text != NULL);
    if (text) {
        memset(text, '\n', big);
        write_file("big.toml", text, big);
        free(text);
        CHECK(th_manifest_load(tmp_path("big.toml"), &err) == NULL);
        th_buf_printf(&want, "manifest '%s' is larger than 1 MiB", tmp_path("big.toml"));
        CHECK_STR_EQ(err.msg, th_buf_cstr(&want));
        th_buf_free(&want);
    }
    CHECK(th_manifest_load(NULL, &err) == NULL);
    CHECK_STR_EQ(err.msg, "no manifest path given");
}

TEST(handler_type_names)
{
    static const char *const names[TH_HANDLER_COUNT] = {
        "runtime",     "message-server", "supervisor", "store",  "http-server",
        "http-client", "filesystem",     "timing",     "random", "environment"};
    for (int t = 0; t < TH_HANDLER_COUNT; t++)
        CHECK_STR_EQ(th_handler_type_name((th_handler_type)t), names[t]);
    CHECK_STR_EQ(th_handler_type_name(TH_HANDLER_COUNT), "unknown");
    CHECK_STR_EQ(th_handler_type_name((th_handler_type)-1), "unknown");
    CHECK(th_manifest_name(NULL) == NULL);
    CHECK(th_manifest_grant(NULL, TH_HANDLER_STORE) == NULL);
    th_manifest_free(NULL);
}

TEST(suggestions)
{
    static const char *const words[] = {"name",           "version", "package", "memory_mb",
                                        "message-server", "port",    "host",    NULL};
    CHECK_STR_EQ(th_suggest("nmae", words), "name");
    CHECK_STR_EQ(th_suggest("versoin", words), "version");
    CHECK_STR_EQ(th_suggest("Name", words), "name");
    CHECK_STR_EQ(th_suggest("pakage", words), "package");
    CHECK_STR_EQ(th_suggest("memroy_mb", words), "memory_mb");
    CHECK_STR_EQ(th_suggest("mesage-server", words), "message-server");
    CHECK_STR_EQ(th_suggest("messageserver", words), "message-server");
    CHECK_STR_EQ(th_suggest("prot", words), "port");
    CHECK_STR_EQ(th_suggest("name", words), "name");
    /* long words tolerate a third of their length */
    static const char *const long_words[] = {"initial_state_file", NULL};
    CHECK_STR_EQ(th_suggest("initialstatefiel", long_words), "initial_state_file");
    CHECK(th_suggest("zzz", words) == NULL);
    CHECK(th_suggest("completely-different", words) == NULL);
    CHECK(th_suggest("ab", words) == NULL); /* rewriting a whole word is no typo */
    CHECK(th_suggest("", words) == NULL);
    CHECK(th_suggest("name", (const char *const[]){NULL}) == NULL);
    CHECK(th_suggest(NULL, words) == NULL);
}

/* ---- Invalid manifests ---------------------------------------------------- */

typedef struct bad_manifest {
    const char *text;
    const char *message;
} bad_manifest;

static const bad_manifest bad_manifests[] = {
    /* top level */
    {"name = \"x\"\nnmae = \"y\"\n",
     "m.toml:2:1: unknown key 'nmae' in the manifest (did you mean 'name'?)"},
    {HEAD "zzz = 1\n",
     "m.toml:4:1: unknown key 'zzz' in the manifest (expected 'name', 'version', 'description', "
     "'package', 'initial_state', 'initial_state_file', 'limits', 'runtime', 'handlers', "
     "'supervisor' or 'children')"},
    {HEAD "[handler]\ntype = \"runtime\"\n",
     "m.toml:4:2: unknown key 'handler' in the manifest (did you mean 'handlers'?)"},
    {"version = \"1\"\npackage = \"x.wasm\"\n", "m.toml: missing required key 'name'"},
    {"name = \"x\"\npackage = \"x.wasm\"\n", "m.toml: missing required key 'version'"},
    {"name = \"x\"\nversion = \"1\"\n", "m.toml: missing required key 'package'"},
    {"name = 5\n", "m.toml:1:8: 'name' must be a string, found integer"},
    {"name = \"my actor\"\n",
     "m.toml:1:8: 'name' may only contain A-Z, a-z, 0-9, '.', '_' and '-', found \"my actor\""},
    {"name = \"a\\nb\"\n",
     "m.toml:1:8: 'name' may only contain A-Z, a-z, 0-9, '.', '_' and '-', found \"a\\u000Ab\""},
    {"name = \"\"\n", "m.toml:1:8: 'name' must not be empty"},
    {"name = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n",
     "m.toml:1:8: 'name' is 65 characters long; the limit is 64"},
    {"name = \"x\"\nversion = [\"1\"]\n", "m.toml:2:11: 'version' must be a string, found array"},
    {"description = 1.5\n", "m.toml:1:15: 'description' must be a string, found float"},
    {"description = \"a\\u0000\"\n", "m.toml:1:15: 'description' must not contain U+0000"},
    {"package = \"\"\n", "m.toml:1:11: 'package' must not be empty"},
    {"package = \"a\\u0000b\"\n", "m.toml:1:11: 'package' must not contain U+0000"},
    /* initial state */
    {HEAD "initial_state = '{\"count\": }'\n",
     "m.toml:4:17: 'initial_state' is not valid JSON: unexpected token near '}' (line 1, column "
     "11 of the JSON)"},
    {HEAD "initial_state = '{\"a\": 1, \"a\": 2}'\n",
     "m.toml:4:17: 'initial_state' is not valid JSON: duplicate object key near '\"a\"' (line 1, "
     "column 12 of the JSON)"},
    {HEAD "initial_state = 0\n", "m.toml:4:17: 'initial_state' must be a string, found integer"},
    {HEAD "initial_state = '{}'\ninitial_state_file = \"s.json\"\n",
     "m.toml:5:1: 'initial_state' and 'initial_state_file' cannot both be set (the other is at "
     "4:1)"},
    /* runtime */
    {HEAD "[runtime]\ndurability = \"sometimes\"\n",
     "m.toml:5:14: 'durability' must be \"always\", \"batch\" or \"off\", found \"sometimes\""},
    {HEAD "[runtime]\ndurability = \"off\\u0000x\"\n",
     "m.toml:5:14: 'durability' must be \"always\", \"batch\" or \"off\", found \"off\\u0000x\""},
    {HEAD "[runtime]\ndurability = 1\n",
     "m.toml:5:14: 'durability' must be a string, found integer"},
    {HEAD "[runtime]\ndurabilty = \"off\"\n",
     "m.toml:5:1: unknown key 'durabilty' in [runtime] (did you mean 'durability'?)"},
    /* limits */
    {HEAD "[limits]\nmemory_mb = \"16\"\n",
     "m.toml:5:13: 'memory_mb' must be an integer, found string"},
    {HEAD "[limits]\nmemory_mb = 0\n",
     "m.toml:5:13: 'memory_mb' must be between 1 and 4096, found 0"},
    {HEAD "[limits]\nmemory_mb = 4097\n",
     "m.toml:5:13: 'memory_mb' must be between 1 and 4096, found 4097"},
    {HEAD "[limits]\nfuel = 1_000_000_000_000_001\n",
     "m.toml:5:8: 'fuel' must be between 1 and 1000000000000000, found 1000000000000001"},
    {HEAD "[limits]\nfuel = -1\n",
     "m.toml:5:8: 'fuel' must be between 1 and 1000000000000000, found -1"},
    {HEAD "[limits]\ntime_ms = 3600001\n",
     "m.toml:5:11: 'time_ms' must be between 1 and 3600000, found 3600001"},
    {HEAD "[limits]\ntime_ms = 1.5\n", "m.toml:5:11: 'time_ms' must be an integer, found float"},
    {HEAD "[limits]\nmemroy_mb = 16\n",
     "m.toml:5:1: unknown key 'memroy_mb' in [limits] (did you mean 'memory_mb'?)"},
    {HEAD "[limits]\ncpu = 1\n",
     "m.toml:5:1: unknown key 'cpu' in [limits] (expected 'memory_mb', 'fuel', 'time_ms' or "
     "'mailbox')"},
    {HEAD "[limits]\nmailbox = 0\n",
     "m.toml:5:11: 'mailbox' must be between 1 and 1000000, found 0"},
    {HEAD "[limits]\nmailbox = 1_000_001\n",
     "m.toml:5:11: 'mailbox' must be between 1 and 1000000, found 1000001"},
    {HEAD "[limits]\nmailbox = \"64\"\n",
     "m.toml:5:11: 'mailbox' must be an integer, found string"},
    {HEAD "[limits]\nmailbx = 64\n",
     "m.toml:5:1: unknown key 'mailbx' in [limits] (did you mean 'mailbox'?)"},
    {HEAD "limits = 5\n", "m.toml:4:10: 'limits' must be a table, found integer"},
    /* handlers */
    {HEAD "[handlers]\ntype = \"runtime\"\n",
     "m.toml:4:1: 'handlers' must be an array of tables ([[handlers]]), found table"},
    {HEAD "handlers = [\"runtime\"]\n",
     "m.toml:4:13: each entry of 'handlers' must be a table, found string"},
    {HEAD "[[handlers]]\ntype = \"mesage-server\"\n",
     "m.toml:5:8: unknown handler type 'mesage-server' (did you mean 'message-server'?)"},
    {HEAD "[[handlers]]\ntype = \"database\"\n",
     "m.toml:5:8: unknown handler type 'database' (known types: runtime, message-server, "
     "supervisor, store, http-server, http-client, filesystem, timing, random, environment)"},
    {HEAD "[[handlers]]\ntype = \"a-very-long-handler-type-name-that-nobody-would-ever-write\"\n",
     "m.toml:5:8: unknown handler type 'a-very-long-handler-type-name-that-nobody-would-...' "
     "(known types: runtime, message-server, supervisor, store, http-server, http-client, "
     "filesystem, timing, random, environment)"},
    {HEAD "[[handlers]]\ntype = \"runtime\\u0000\"\n",
     "m.toml:5:8: unknown handler type 'runtime\\u0000' (did you mean 'runtime'?)"},
    {HEAD "[[handlers]]\ntype = 1\n", "m.toml:5:8: 'type' must be a string, found integer"},
    {HEAD "[[handlers]]\nconfig = {}\n",
     "m.toml:4:1: missing required key 'type' in a [[handlers]] entry"},
    {HEAD "[[handlers]]\ntyp = \"runtime\"\n",
     "m.toml:5:1: unknown key 'typ' in a [[handlers]] entry (did you mean 'type'?)"},
    {HEAD "[[handlers]]\ntype = \"runtime\"\nconfig = \"none\"\n",
     "m.toml:6:10: 'config' must be a table, found string"},
    {HEAD "[[handlers]]\ntype = \"runtime\"\nconfig = { x = 1 }\n",
     "m.toml:6:12: unknown key 'x' in the runtime config (it takes none)"},
    {HEAD "[[handlers]]\ntype = \"message-server\"\n[[handlers]]\ntype = \"message-server\"\n",
     "m.toml:6:1: handler 'message-server' is listed twice (at 4:1 and 6:1)"},
    {HEAD "[[handlers]]\ntype = \"http-server\"\nconfig = { prot = 8080 }\n",
     "m.toml:6:12: unknown key 'prot' in the http-server config (did you mean 'port'?)"},
    {HEAD "[[handlers]]\ntype = \"http-server\"\n",
     "m.toml:4:1: missing required key 'port' in the http-server config"},
    {HEAD "[[handlers]]\ntype = \"http-server\"\nconfig = { host = \"::1\" }\n",
     "m.toml:6:10: missing required key 'port' in the http-server config"},
    {HEAD "[[handlers]]\ntype = \"http-server\"\nconfig = { port = 70000 }\n",
     "m.toml:6:19: 'port' must be between 1 and 65535, found 70000"},
    {HEAD "[[handlers]]\ntype = \"http-server\"\nconfig = { port = \"80\" }\n",
     "m.toml:6:19: 'port' must be an integer, found string"},
    {HEAD "[[handlers]]\ntype = \"http-server\"\nconfig = { port = 80, host = \"\" }\n",
     "m.toml:6:30: 'host' must not be empty"},
    {HEAD "[[handlers]]\ntype = \"filesystem\"\nconfig = { path = \"d\", mode = \"rx\" }\n",
     "m.toml:6:31: 'mode' must be \"ro\" or \"rw\", found \"rx\""},
    {HEAD "[[handlers]]\ntype = \"filesystem\"\nconfig = { mode = \"ro\" }\n",
     "m.toml:6:10: missing required key 'path' in the filesystem config"},
    {HEAD "[[handlers]]\ntype = \"http-client\"\nconfig = { allowed_hosts = \"x\" }\n",
     "m.toml:6:28: 'allowed_hosts' must be an array of strings, found string"},
    {HEAD "[[handlers]]\ntype = \"environment\"\nconfig = { allow = [\"HOME\", 1] }\n",
     "m.toml:6:29: 'allow' must contain only strings, found integer"},
    {HEAD "[[handlers]]\ntype = \"environment\"\nconfig = { allow = [\"\"] }\n",
     "m.toml:6:21: 'allow' must not contain empty strings or U+0000"},
    {HEAD "[[handlers]]\ntype = \"store\"\nconfig = { nmae = \"s\" }\n",
     "m.toml:6:12: unknown key 'nmae' in the store config (did you mean 'name'?)"},
    /* supervisor */
    {HEAD "supervisor = \"one-for-one\"\n",
     "m.toml:4:14: 'supervisor' must be a table, found string"},
    {HEAD "[supervisor]\nstrategy = \"one_for_one\"\n",
     "m.toml:5:12: 'strategy' must be \"one-for-one\", \"one-for-all\" or \"rest-for-one\", found "
     "\"one_for_one\""},
    {HEAD "[supervisor]\nstrategy = 1\n",
     "m.toml:5:12: 'strategy' must be a string, found integer"},
    {HEAD "[supervisor]\nstrategy = \"one-for-one\\u0000\"\n",
     "m.toml:5:12: 'strategy' must be \"one-for-one\", \"one-for-all\" or \"rest-for-one\", found "
     "\"one-for-one\\u0000\""},
    {HEAD "[supervisor]\nintensity = -1\n",
     "m.toml:5:13: 'intensity' must be between 0 and 1000000, found -1"},
    {HEAD "[supervisor]\nintensity = 1_000_001\n",
     "m.toml:5:13: 'intensity' must be between 0 and 1000000, found 1000001"},
    {HEAD "[supervisor]\nintensity = 3.0\n",
     "m.toml:5:13: 'intensity' must be an integer, found float"},
    {HEAD "[supervisor]\nperiod = 0\n",
     "m.toml:5:10: 'period' must be between 1 and 86400, found 0"},
    {HEAD "[supervisor]\nperiod = 86401\n",
     "m.toml:5:10: 'period' must be between 1 and 86400, found 86401"},
    {HEAD "[supervisor]\nperiod = \"5s\"\n",
     "m.toml:5:10: 'period' must be an integer, found string"},
    {HEAD "[supervisor]\nrestart = \"always\"\n",
     "m.toml:5:11: 'restart' must be \"permanent\", \"transient\" or \"temporary\", found "
     "\"always\""},
    {HEAD "[supervisor]\nrestart = true\n",
     "m.toml:5:11: 'restart' must be a string, found boolean"},
    {HEAD "[supervisor]\nrestart_from = \"\"\n",
     "m.toml:5:16: 'restart_from' must be \"last-state\" or \"init\", found \"\""},
    {HEAD "[supervisor]\nrestart_from = [\"init\"]\n",
     "m.toml:5:16: 'restart_from' must be a string, found array"},
    {HEAD "[supervisor]\nstrategy = \"one-for-all\"\nintensty = 3\n",
     "m.toml:6:1: unknown key 'intensty' in [supervisor] (did you mean 'intensity'?)"},
    {HEAD "[supervisor]\nmax_restarts = 3\n",
     "m.toml:5:1: unknown key 'max_restarts' in [supervisor] (expected 'strategy', 'intensity', "
     "'period', 'restart' or 'restart_from')"},
    /* children */
    {HEAD "[children]\nmanifest = \"w.toml\"\n",
     "m.toml:4:1: 'children' must be an array of tables ([[children]]), found table"},
    {HEAD "children = \"w.toml\"\n",
     "m.toml:4:12: 'children' must be an array of tables ([[children]]), found string"},
    {HEAD "children = [\"w.toml\"]\n",
     "m.toml:4:13: each entry of 'children' must be a table, found string"},
    {HEAD "[[children]]\nrestart = \"transient\"\n",
     "m.toml:4:1: missing required key 'manifest' in a [[children]] entry"},
    {HEAD "[[children]]\nmanifest = \"a.toml\"\n[[children]]\ninitial_state = '{}'\n",
     "m.toml:6:1: missing required key 'manifest' in a [[children]] entry"},
    {HEAD "[[children]]\nmanifest = 1\n",
     "m.toml:5:12: 'manifest' must be a string, found integer"},
    {HEAD "[[children]]\nmanifest = \"\"\n", "m.toml:5:12: 'manifest' must not be empty"},
    {HEAD "[[children]]\nmanifest = \"a\\u0000b\"\n",
     "m.toml:5:12: 'manifest' must not contain U+0000"},
    {HEAD "[[children]]\nmanifest = \"w.toml\"\nrestart = \"sometimes\"\n",
     "m.toml:6:11: 'restart' must be \"permanent\", \"transient\" or \"temporary\", found "
     "\"sometimes\""},
    {HEAD "[[children]]\nmanifest = \"w.toml\"\ninitial_state = '{\"count\": }'\n",
     "m.toml:6:17: 'initial_state' is not valid JSON: unexpected token near '}' (line 1, column "
     "11 of the JSON)"},
    {HEAD "[[children]]\nmanifest = \"w.toml\"\ninitial_state = { count = 0 }\n",
     "m.toml:6:17: 'initial_state' must be a string, found table"},
    {HEAD "[[children]]\nmanifest = \"w.toml\"\nmanfest = \"v.toml\"\n",
     "m.toml:6:1: unknown key 'manfest' in a [[children]] entry (did you mean 'manifest'?)"},
    {HEAD "[[children]]\nmanifest = \"w.toml\"\nname = \"w\"\n",
     "m.toml:6:1: unknown key 'name' in a [[children]] entry (expected 'manifest', 'restart' or "
     "'initial_state')"},
    {HEAD "[[children]]\nmanifest = \"w.toml\"\ninitial_state_file = \"s.json\"\n",
     "m.toml:6:1: unknown key 'initial_state_file' in a [[children]] entry (did you mean "
     "'initial_state'?)"},
    /* TOML errors come through as they are */
    {"name = \"x\n", "m.toml:1:8: unterminated string, expected '\"' before the end of the line"},
    {"name = \"x\"\nname = \"y\"\n", "m.toml:2:1: duplicate key 'name' (first defined at 1:1)"},
};

TEST(invalid_manifests)
{
    CHECK(sizeof bad_manifests / sizeof bad_manifests[0] >= 20);
    for (size_t i = 0; i < sizeof bad_manifests / sizeof bad_manifests[0]; i++) {
        th_error err = {0};
        const char *got = parse_error(bad_manifests[i].text, &err);
        CHECK_REPORT_(strcmp(got, bad_manifests[i].message) == 0,
                      "manifest #%zu:\n  got:  %s\n  want: %s", i, got, bad_manifests[i].message);
    }
}

static void remove_tmpdir(void)
{
    static const char *const files[] = {"state.json", "bad.json",  "empty.json",
                                        "ok.toml",    "typo.toml", "big.toml",
                                        "huge.json",  "boss.toml", NULL};
    for (size_t i = 0; files[i]; i++)
        if (unlink(tmp_path(files[i])) != 0 && errno != ENOENT)
            perror(files[i]);
    if (rmdir(tmpdir) != 0)
        perror(tmpdir);
}

int main(void)
{
    make_tmpdir();
    RUN(full_manifest_reads_back);
    RUN(minimal_manifest_has_defaults);
    RUN(empty_supervisor_table_has_defaults);
    RUN(supervisor_every_value);
    RUN(children_read_back);
    RUN(child_manifests_resolve_like_package);
    RUN(runtime_durability);
    RUN(limits_at_their_bounds_and_other_forms);
    RUN(relative_paths_resolve_against_the_manifest);
    RUN(initial_state_file);
    RUN(load_reads_files);
    RUN(load_refuses_missing_files_directories_and_big_files);
    RUN(handler_type_names);
    RUN(suggestions);
    RUN(invalid_manifests);
    remove_tmpdir();
    return check_summary();
}
