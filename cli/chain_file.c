/* Export and import of chains as one JSON document. Binary fields are
 * lowercase hex: the file is meant to be read by other tools and people,
 * and compresses well. */
#include "cli/chain_file.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "chain/sha256.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hex.h"

#define FORMAT_NAME "theater-chain"
#define FORMAT_VERSION 1

/* ---- Export ------------------------------------------------------------------ */

static json_t *hex_json(const uint8_t *p, size_t len)
{
    char *hex = th_xmalloc(2 * len + 1);
    th_hex_encode(p, len, hex);
    json_t *j = json_string(hex);
    free(hex);
    return j;
}

static json_t *actor_json(const th_actor_info *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(a->id));
    json_object_set_new(o, "parent", a->parent[0] ? json_string(a->parent) : json_null());
    json_object_set_new(o, "name", json_string(a->name));
    json_object_set_new(o, "manifest_path",
                        a->manifest_path ? json_string(a->manifest_path) : json_null());
    json_object_set_new(o, "manifest", json_string(a->manifest));
    json_object_set_new(o, "package_hash", hex_json(a->package_hash, TH_HASH_SIZE));
    json_object_set_new(o, "status", json_string(a->status));
    json_object_set_new(o, "head", hex_json(a->head, TH_HASH_SIZE));
    json_object_set_new(o, "event_count", json_integer((json_int_t)a->event_count));
    json_object_set_new(o, "state_hash",
                        a->has_state ? hex_json(a->state_hash, TH_HASH_SIZE) : json_null());
    json_object_set_new(o, "created_ns", json_integer(a->created_ns));
    json_object_set_new(o, "updated_ns", json_integer(a->updated_ns));
    return o;
}

static json_t *stored_event_json(const th_event *ev)
{
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer((json_int_t)ev->index));
    json_object_set_new(o, "parent", hex_json(ev->parent, TH_HASH_SIZE));
    json_object_set_new(o, "hash", hex_json(ev->hash, TH_HASH_SIZE));
    json_object_set_new(o, "timestamp_ns", json_integer(ev->timestamp_ns));
    json_object_set_new(o, "type", json_integer(ev->type));
    json_object_set_new(o, "name", json_string(ev->name));
    json_object_set_new(o, "input", hex_json(ev->input, ev->input_len));
    json_object_set_new(o, "output", hex_json(ev->output, ev->output_len));
    json_object_set_new(o, "state_hash",
                        ev->has_state ? hex_json(ev->state_hash, TH_HASH_SIZE) : json_null());
    return o;
}

/* Every distinct state the chain hashes to, when the database has it. */
static int add_states(th_db_reader *r, const th_chain *chain, json_t *states, th_error *err)
{
    for (size_t i = 0; i < th_chain_length(chain); i++) {
        const th_event *ev = th_chain_event(chain, i);
        char key[65];
        th_hex_encode(ev->state_hash, TH_HASH_SIZE, key);
        if (!ev->has_state || json_object_get(states, key))
            continue;
        uint8_t *bytes;
        size_t len;
        int found = th_db_get_state(r, ev->state_hash, &bytes, &len, err);
        if (found < 0)
            return -1;
        if (found) {
            json_object_set_new(states, key, hex_json(bytes, len));
            free(bytes);
        }
    }
    return 0;
}

int chain_file_export(th_db_reader *r, const char *id_or_prefix, const char *path, th_error *err)
{
    th_actor_info info = {0};
    if (th_db_find_actor(r, id_or_prefix, &info, err))
        return -1;
    th_chain *chain = th_db_load_chain(r, &info, 0, 0, err);
    json_t *root = NULL;
    int rc = -1;
    if (!chain)
        goto done;
    json_t *events = json_array(), *states = json_object();
    for (size_t i = 0; i < th_chain_length(chain); i++)
        json_array_append_new(events, stored_event_json(th_chain_event(chain, i)));
    root = json_pack("{s:s, s:i, s:o, s:o, s:o}", "format", FORMAT_NAME, "version", FORMAT_VERSION,
                     "actor", actor_json(&info), "events", events, "states", states);
    if (!root) {
        th_error_set(err, "cannot encode the chain of %s as JSON", info.id);
        goto done;
    }
    if (add_states(r, chain, states, err))
        goto done;
    uint8_t *wasm;
    size_t wasm_len;
    int found = th_db_get_package(r, info.package_hash, &wasm, &wasm_len, err);
    if (found < 0)
        goto done;
    if (found) {
        json_object_set_new(root, "package", hex_json(wasm, wasm_len));
        free(wasm);
    }
    int flags = JSON_INDENT(1) | JSON_ENSURE_ASCII;
    if (strcmp(path, "-") == 0 ? json_dumpf(root, stdout, flags)
                               : json_dump_file(root, path, flags))
        th_error_set(err, "cannot write %s", path);
    else
        rc = 0;
done:
    json_decref(root);
    th_chain_free(chain);
    th_actor_info_clear(&info);
    return rc;
}

/* ---- Import ------------------------------------------------------------------ */

/* Reading one field; each error names the field, e.g. "events[3].hash". */
typedef struct reader {
    const char *file;
    th_error *err;
    th_arena arena; /* decoded bytes */
} reader;

static int bad(reader *rd, const char *where, const char *what)
{
    return th_error_set(rd->err, "%s: %s: %s", rd->file, where, what);
}

static const char *get_string(reader *rd, json_t *obj, const char *key, const char *where,
                              bool nullable)
{
    char at[128];
    snprintf(at, sizeof at, "%s.%s", where, key);
    json_t *v = json_object_get(obj, key);
    if (nullable && (!v || json_is_null(v)))
        return "";
    if (!json_is_string(v)) {
        bad(rd, at, "expected a string");
        return NULL;
    }
    return json_string_value(v);
}

static int get_hex(reader *rd, json_t *obj, const char *key, const char *where, const uint8_t **out,
                   size_t *len, size_t want_len)
{
    char at[128];
    snprintf(at, sizeof at, "%s.%s", where, key);
    json_t *v = json_object_get(obj, key);
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    size_t n = s ? json_string_length(v) : 0;
    if (!s || n % 2)
        return bad(rd, at, "expected an even number of hex digits");
    if (want_len && n != 2 * want_len)
        return bad(rd, at, "expected a 64-hex-digit SHA-256");
    uint8_t *bytes = th_arena_alloc(&rd->arena, n / 2 + 1);
    if (th_hex_decode(s, n / 2, bytes))
        return bad(rd, at, "not hexadecimal");
    *out = bytes;
    *len = n / 2;
    return 0;
}

static int get_hash(reader *rd, json_t *obj, const char *key, const char *where,
                    uint8_t out[TH_HASH_SIZE], bool *present)
{
    json_t *v = json_object_get(obj, key);
    if (present) {
        *present = v && !json_is_null(v);
        if (!*present) {
            memset(out, 0, TH_HASH_SIZE);
            return 0;
        }
    }
    const uint8_t *p;
    size_t n;
    if (get_hex(rd, obj, key, where, &p, &n, TH_HASH_SIZE))
        return -1;
    memcpy(out, p, TH_HASH_SIZE);
    return 0;
}

static int get_int(reader *rd, json_t *obj, const char *key, const char *where, int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v)) {
        char at[128];
        snprintf(at, sizeof at, "%s.%s", where, key);
        return bad(rd, at, "expected an integer");
    }
    *out = json_integer_value(v);
    return 0;
}

static int read_event(reader *rd, json_t *e, size_t i, th_event *ev)
{
    char where[48];
    snprintf(where, sizeof where, "events[%zu]", i);
    if (!json_is_object(e))
        return bad(rd, where, "expected an object");
    int64_t index, ts, type;
    const uint8_t *in, *out;
    if (get_int(rd, e, "index", where, &index) || get_int(rd, e, "timestamp_ns", where, &ts) ||
        get_int(rd, e, "type", where, &type) ||
        get_hash(rd, e, "parent", where, ev->parent, NULL) ||
        get_hash(rd, e, "hash", where, ev->hash, NULL) ||
        get_hash(rd, e, "state_hash", where, ev->state_hash, &ev->has_state) ||
        get_hex(rd, e, "input", where, &in, &ev->input_len, 0) ||
        get_hex(rd, e, "output", where, &out, &ev->output_len, 0))
        return -1;
    const char *name = get_string(rd, e, "name", where, false);
    if (!name)
        return -1;
    if (index < 0 || type < 0 || type > 255)
        return bad(rd, where, "index or type out of range");
    ev->index = (uint64_t)index;
    ev->timestamp_ns = ts;
    ev->type = (th_event_type)type;
    ev->name = name;
    ev->input = in;
    ev->output = out;
    return 0;
}

/* The stored registry entry for the actor, if any. */
static int existing_actor(th_db *db, const char *id, th_actor_info *info, th_error *err)
{
    th_db_reader *r = th_db_reader_open(db, err);
    if (!r)
        return -1;
    th_error ignored;
    int found = strlen(id) == 32 && th_db_find_actor(r, id, info, &ignored) == 0;
    th_db_reader_close(r);
    return found;
}

static int store(th_db *db, const th_actor_info *a, const th_chain *chain, json_t *states,
                 const uint8_t *wasm, size_t wasm_len, th_error *err)
{
    th_actor_record rec = {
        .name = a->name,
        .manifest_path = a->manifest_path,
        .manifest = a->manifest,
        .status = a->status,
        .created_ns = a->created_ns,
    };
    memcpy(rec.id, a->id, sizeof rec.id);
    memcpy(rec.parent, a->parent, sizeof rec.parent);
    memcpy(rec.package_hash, a->package_hash, TH_HASH_SIZE);
    if (wasm)
        th_db_put_package(db, a->package_hash, wasm, wasm_len);
    th_db_put_actor(db, &rec);
    th_arena tmp = TH_ARENA_INIT;
    json_t *done = json_object(); /* states already handed over */
    for (size_t i = 0; i < th_chain_length(chain); i++) {
        const th_event *ev = th_chain_event(chain, i);
        char key[65];
        th_hex_encode(ev->state_hash, TH_HASH_SIZE, key);
        json_t *hex = ev->has_state ? json_object_get(states, key) : NULL;
        const uint8_t *bytes = NULL;
        size_t len = 0;
        if (hex && !json_object_get(done, key)) {
            len = json_string_length(hex) / 2;
            uint8_t *b = th_arena_alloc(&tmp, len + 1);
            th_hex_decode(json_string_value(hex), len, b); /* checked while reading */
            bytes = b;
            json_object_set_new(done, key, json_true());
        }
        th_db_append_event(db, a->id, ev, bytes, len);
        th_arena_reset(&tmp);
    }
    json_decref(done);
    th_arena_free(&tmp);
    return th_db_sync(db, err);
}

/* Each state must hash to its key, or the file lies about the states. */
static int check_states(reader *rd, json_t *states)
{
    if (!json_is_object(states))
        return bad(rd, "states", "expected an object");
    const char *key;
    json_t *v;
    json_object_foreach(states, key, v)
    {
        char where[96];
        snprintf(where, sizeof where, "states[\"%.64s\"]", key);
        const char *s = json_is_string(v) ? json_string_value(v) : NULL;
        size_t n = s ? json_string_length(v) : 1;
        uint8_t want[TH_HASH_SIZE];
        if (strlen(key) != 64 || !th_hex_is_lower(key, 64) ||
            th_hex_decode(key, TH_HASH_SIZE, want))
            return bad(rd, where, "the key is not a SHA-256 in lowercase hex");
        uint8_t *bytes = th_arena_alloc(&rd->arena, n / 2 + 1);
        if (!s || n % 2 || th_hex_decode(s, n / 2, bytes))
            return bad(rd, where, "expected an even number of hex digits");
        if (!th_sha256_matches(bytes, n / 2, want))
            return bad(rd, where, "the bytes do not hash to the key");
    }
    return 0;
}

int chain_file_load(const char *path, chain_file *f, th_error *err)
{
    memset(f, 0, sizeof *f);
    reader rd = {.file = path, .err = err};
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        th_error_set(err, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        return -1;
    }
    f->root = root;
    f->chain = th_chain_new();
    th_actor_info *a = &f->actor;
    int rc = -1;
    json_t *actor = json_object_get(root, "actor"), *events = json_object_get(root, "events");
    json_t *states = json_object_get(root, "states");
    const char *format = get_string(&rd, root, "format", "(top level)", false);
    int64_t version = 0, count = 0;
    if (!format || get_int(&rd, root, "version", "(top level)", &version))
        goto done;
    if (strcmp(format, FORMAT_NAME) != 0 || version != FORMAT_VERSION) {
        th_error_set(err, "%s is not a theater chain export of version %d", path, FORMAT_VERSION);
        goto done;
    }
    if (!json_is_object(actor) || !json_is_array(events)) {
        bad(&rd, "(top level)", "expected an \"actor\" object and an \"events\" array");
        goto done;
    }
    const char *id = get_string(&rd, actor, "id", "actor", false);
    const char *parent = id ? get_string(&rd, actor, "parent", "actor", true) : NULL;
    a->name = parent ? (char *)get_string(&rd, actor, "name", "actor", false) : NULL;
    a->manifest = a->name ? (char *)get_string(&rd, actor, "manifest", "actor", false) : NULL;
    a->status = a->manifest ? (char *)get_string(&rd, actor, "status", "actor", false) : NULL;
    const char *mpath = a->status ? get_string(&rd, actor, "manifest_path", "actor", true) : NULL;
    if (!mpath || get_hash(&rd, actor, "package_hash", "actor", a->package_hash, NULL) ||
        get_hash(&rd, actor, "head", "actor", a->head, NULL) ||
        get_int(&rd, actor, "event_count", "actor", &count) ||
        get_int(&rd, actor, "created_ns", "actor", &a->created_ns))
        goto done;
    if (strlen(id) != 32 || !th_hex_is_lower(id, 32)) {
        bad(&rd, "actor.id", "expected 32 lowercase hex digits");
        goto done;
    }
    if (*parent && (strlen(parent) != 32 || !th_hex_is_lower(parent, 32))) {
        bad(&rd, "actor.parent", "expected null or 32 lowercase hex digits");
        goto done;
    }
    memcpy(a->id, id, 33);
    memcpy(a->parent, parent, strlen(parent) + 1);
    a->manifest_path = *mpath ? (char *)mpath : NULL;
    a->event_count = (uint64_t)count;
    for (size_t i = 0; i < json_array_size(events); i++) {
        th_event ev = {0};
        if (read_event(&rd, json_array_get(events, i), i, &ev))
            goto done;
        th_chain_push_stored(f->chain, &ev);
    }
    th_chain_set_record(f->chain, a->head, (size_t)count);
    if (states && check_states(&rd, states))
        goto done;
    f->states = states;
    if (json_object_get(root, "package")) {
        if (get_hex(&rd, root, "package", "(top level)", &f->wasm, &f->wasm_len, 0))
            goto done;
        if (!th_sha256_matches(f->wasm, f->wasm_len, a->package_hash)) {
            bad(&rd, "package", "the bytes do not hash to actor.package_hash");
            goto done;
        }
    }
    th_verify_report rep;
    if (!th_chain_verify(f->chain, &rep)) {
        th_error_set(err, "%s: the chain of actor %s does not verify: %s", path, a->id, rep.reason);
        rc = 1;
        goto done;
    }
    rc = 0;
done:
    f->arena = rd.arena; /* owns the decoded bytes */
    return rc;
}

void chain_file_release(chain_file *f)
{
    th_chain_free(f->chain);
    th_arena_free(&f->arena);
    json_decref(f->root);
    memset(f, 0, sizeof *f);
}

int chain_file_state(chain_file *f, const uint8_t hash[TH_HASH_SIZE], uint8_t **out, size_t *len)
{
    char key[2 * TH_HASH_SIZE + 1];
    th_hex_encode(hash, TH_HASH_SIZE, key);
    json_t *hex = f->states ? json_object_get(f->states, key) : NULL;
    if (!hex)
        return 0;
    *len = json_string_length(hex) / 2;
    *out = th_xmalloc(*len + 1);
    th_hex_decode(json_string_value(hex), *len, *out); /* checked by chain_file_load */
    return 1;
}

int chain_file_import(th_db *db, const char *path, char id_out[33], th_error *err)
{
    chain_file f;
    int rc = chain_file_load(path, &f, err);
    if (rc) {
        chain_file_release(&f);
        return rc;
    }
    rc = -1;
    th_actor_info old = {0};
    const th_actor_info *a = &f.actor;
    int found = existing_actor(db, a->id, &old, err);
    if (found > 0) {
        if (old.event_count == a->event_count && memcmp(old.head, a->head, TH_HASH_SIZE) == 0)
            th_error_set(err, "actor %s is already stored with this chain", a->id);
        else
            th_error_set(err,
                         "actor %s is already stored with a different chain (%" PRIu64
                         " events); nothing was imported",
                         a->id, old.event_count);
    } else if (found == 0 && store(db, a, f.chain, f.states, f.wasm, f.wasm_len, err) == 0) {
        memcpy(id_out, a->id, 33);
        rc = 0;
    }
    th_actor_info_clear(&old);
    chain_file_release(&f);
    return rc;
}
