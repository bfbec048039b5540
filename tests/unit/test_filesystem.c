/* The filesystem handler (theater:simple/filesystem) on spawned actors:
 * each host function called through its catalogue entry, exactly as the
 * executor calls it, against a real directory with hostile contents
 * (escaping paths and links, a link flipped during reads, long names, NUL
 * bytes, FIFOs), then a guest through the canonical ABI whose replay must
 * be identical with the directory gone. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "wat.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/value.h"
#include "exec/catalog.h"
#include "exec/engine.h"
#include "handlers/handlers.h"
#include "manifest/manifest.h"
#include "runtime/actor.h"
#include "runtime/replay.h"

#define FS_IFACE "theater:simple/filesystem"
#define SECRET "SECRET: outside the root"

static char tmpdir[64];
static char root[128];    /* tmpdir/root: the grant */
static char outside[128]; /* tmpdir/outside: holds secret.txt */
static th_engine *engine;
static char *package; /* a guest that only has an init */
static th_arena arena = TH_ARENA_INIT;

/* ---- Fixture ------------------------------------------------------------------------- */

static const char guest_wat[] = "(module\n" WAT_MEMORY_AND_ALLOCATOR WAT_INIT_KEEPS_STATE ")\n";

static char *write_wat(const char *wat, const char *name)
{
    char *path = wat_to_file(tmpdir, name, wat, strlen(wat));
    if (!path)
        abort(); /* a test's own WAT is wrong */
    return path;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        abort();
}

static char *in_dir(const char *dir, const char *name)
{
    th_buf b = TH_BUF_INIT;
    th_buf_printf(&b, "%s/%s", dir, name);
    return (char *)th_buf_take(&b, NULL);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tree(const char *dir)
{
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        perror(dir);
}

/* A fresh, empty root and the secret beside it, for each test. */
static void fresh_dirs(void)
{
    remove_tree(root);
    remove_tree(outside);
    if (mkdir(root, 0777) != 0 || mkdir(outside, 0777) != 0)
        abort();
    char *secret = in_dir(outside, "secret.txt");
    write_text(secret, SECRET);
    free(secret);
}

/* A manifest in tmpdir granting the filesystem at `path` (relative to
 * tmpdir), in `mode` (NULL: no mode key) with `extra` handler lines. */
static th_manifest *fs_manifest(const char *pkg, const char *path, const char *mode,
                                const char *extra)
{
    th_buf text = TH_BUF_INIT, file = TH_BUF_INIT;
    th_buf_printf(&text,
                  "name = \"fs\"\nversion = \"0.1.0\"\npackage = \"%s\"\n\n"
                  "[[handlers]]\ntype = \"filesystem\"\n",
                  pkg);
    if (mode)
        th_buf_printf(&text, "config = { path = \"%s\", mode = \"%s\" }\n", path, mode);
    else
        th_buf_printf(&text, "config = { path = \"%s\" }\n", path);
    th_buf_append_str(&text, extra);
    th_buf_printf(&file, "%s/fs.toml", tmpdir);
    th_error err;
    th_manifest *m = th_manifest_parse((const char *)text.data, text.len, th_buf_cstr(&file), &err);
    if (!m) {
        fprintf(stderr, "manifest: %s\n", err.msg);
        abort();
    }
    th_buf_free(&text);
    th_buf_free(&file);
    return m;
}

typedef struct spawned {
    th_manifest *manifest;
    th_actor *actor;
} spawned;

static spawned spawn_at(const char *path, const char *mode)
{
    spawned s = {fs_manifest(package, path, mode, ""), NULL};
    th_error err;
    s.actor = th_actor_spawn_with(engine, s.manifest, NULL, &err);
    CHECK_REPORT_(s.actor != NULL, "spawn: %s", err.msg);
    if (!s.actor)
        abort(); /* nothing below can run */
    return s;
}

static spawned spawn(const char *mode)
{
    return spawn_at("root", mode);
}

static void done(spawned *s)
{
    th_actor_stop(s->actor);
    th_actor_free(s->actor);
    th_manifest_free(s->manifest);
    th_arena_reset(&arena);
}

/* ---- Calls -------------------------------------------------------------------------------- */

static th_val *str_n(const char *s, size_t len)
{
    return th_val_string(&arena, s, len);
}

static th_val *str(const char *s)
{
    return str_n(s, strlen(s));
}

static th_val *args(size_t n, th_val *a0, th_val *a1)
{
    th_val *t = th_val_tuple(&arena, n);
    t->list.items[0] = *a0;
    if (n > 1)
        t->list.items[1] = *a1;
    return t;
}

/* Calls a filesystem function through its catalogue entry; the call itself
 * must succeed (answers are ok or err values). */
static th_val *call(spawned *s, const char *fn, th_val *params)
{
    const th_import *imp = th_catalog_find_import(FS_IFACE, fn);
    CHECK_REPORT_(imp && imp->fn, "%s is not served", fn);
    if (!imp || !imp->fn)
        return NULL;
    th_val *result = NULL;
    th_error err = {0};
    int rc = imp->fn(s->actor, params, &arena, &result, &err);
    CHECK_REPORT_(rc == 0, "%s failed as a host call: %s", fn, err.msg);
    CHECK_REPORT_(result && result->kind == TH_VAL_RESULT, "%s answered no result", fn);
    return rc == 0 ? result : NULL;
}

static th_val *call1(spawned *s, const char *fn, const char *path)
{
    return call(s, fn, args(1, str(path), NULL));
}

static th_val *write_file(spawned *s, const char *path, const char *content)
{
    return call(s, "write-file",
                args(2, str(path), th_val_bytes(&arena, content, strlen(content))));
}

static bool is_ok(const th_val *result)
{
    return result && result->var.disc == 0;
}

/* The payload of ok(...), or NULL (a failed check) for err. */
static th_val *ok(th_val *result)
{
    bool good = is_ok(result);
    CHECK_REPORT_(good, "expected ok, got err(%.*s)",
                  result && result->var.payload ? (int)result->var.payload->bytes.len : 0,
                  result && result->var.payload ? (const char *)result->var.payload->bytes.ptr
                                                : "");
    return good ? result->var.payload : NULL;
}

/* The text of err(...) (strings are NUL-terminated in the arena), or "". */
static const char *err_of(th_val *result)
{
    bool is_err = result && result->var.disc == 1 && result->var.payload;
    CHECK_REPORT_(is_err, "expected err, got ok");
    return is_err ? (const char *)result->var.payload->bytes.ptr : "";
}

static bool bytes_equal(const th_val *v, const char *want)
{
    return v && v->bytes.len == strlen(want) && memcmp(v->bytes.ptr, want, v->bytes.len) == 0;
}

/* path-exists' answer: 1, 0, or -1 when it was not ok(bool). */
static int exists(spawned *s, const char *path)
{
    th_val *v = ok(call1(s, "path-exists", path));
    return v && v->kind == TH_VAL_BOOL ? v->b : -1;
}

/* list-files' names joined with ',' ("" for none, "?" for an err). */
static const char *listing(spawned *s, const char *path)
{
    th_val *v = ok(call1(s, "list-files", path));
    if (!v)
        return "?";
    th_buf b = TH_BUF_INIT;
    for (size_t i = 0; i < v->list.len; i++)
        th_buf_printf(&b, "%s%.*s", i ? "," : "", (int)v->list.items[i].bytes.len,
                      (const char *)v->list.items[i].bytes.ptr);
    const char *joined = th_arena_memdup(&arena, th_buf_cstr(&b), b.len + 1);
    th_buf_free(&b);
    return joined;
}

static bool host_exists(const char *dir, const char *name)
{
    char *path = in_dir(dir, name);
    struct stat st;
    bool there = lstat(path, &st) == 0;
    free(path);
    return there;
}

static void host_symlink(const char *target, const char *name)
{
    char *path = in_dir(root, name);
    if (symlink(target, path) != 0)
        abort();
    free(path);
}

/* ---- Tests -------------------------------------------------------------------------------- */

TEST(files_and_directories_round_trip)
{
    fresh_dirs();
    spawned s = spawn("rw");
    CHECK(is_ok(call1(&s, "create-dir", "d")));
    CHECK(is_ok(write_file(&s, "d/b.txt", "bee")));
    CHECK(is_ok(write_file(&s, "d/a.txt", "hello")));
    CHECK(bytes_equal(ok(call1(&s, "read-file", "d/a.txt")), "hello"));
    CHECK(is_ok(write_file(&s, "d/a.txt", "hi"))); /* replaced, not appended */
    CHECK(bytes_equal(ok(call1(&s, "read-file", "d/a.txt")), "hi"));
    CHECK(is_ok(write_file(&s, "empty", "")));
    th_val *empty = ok(call1(&s, "read-file", "empty"));
    CHECK(empty && empty->bytes.len == 0);
    CHECK_STR_EQ(listing(&s, "d"), "a.txt,b.txt"); /* sorted, whatever the disk's order */
    CHECK_STR_EQ(listing(&s, ""), "d,empty");
    CHECK_STR_EQ(listing(&s, "."), "d,empty");
    CHECK_STR_EQ(listing(&s, "d/"), "a.txt,b.txt");
    CHECK_EQ_INT(exists(&s, "d/a.txt"), 1);
    CHECK_EQ_INT(exists(&s, "d"), 1);
    CHECK_EQ_INT(exists(&s, "d/nope"), 0);
    CHECK_EQ_INT(exists(&s, "empty/below"), 0); /* ENOTDIR is "no" too */
    CHECK(is_ok(call1(&s, "delete-file", "d/a.txt")));
    CHECK_EQ_INT(exists(&s, "d/a.txt"), 0);
    CHECK(is_ok(call1(&s, "delete-file", "d/b.txt")));
    CHECK(is_ok(call1(&s, "delete-dir", "d/")));
    CHECK(!host_exists(root, "d"));
    /* d/../x stays beneath the root: allowed */
    CHECK(is_ok(call1(&s, "create-dir", "d")));
    CHECK(is_ok(write_file(&s, "d/../x", "x")));
    CHECK(host_exists(root, "x"));
    done(&s);
}

TEST(the_root_is_relative_to_the_manifest_and_retried_until_it_exists)
{
    remove_tree(root);
    spawned s = spawn("rw");
    CHECK_CONTAINS(err_of(call1(&s, "read-file", "a")),
                   "read-file 'a': the filesystem root 'root' cannot be opened: No such file");
    fresh_dirs();
    char *a = in_dir(root, "a");
    write_text(a, "there now");
    free(a);
    CHECK(bytes_equal(ok(call1(&s, "read-file", "a")), "there now"));
    done(&s);
    /* an absolute path works as it is */
    spawned abs = spawn_at(root, NULL);
    CHECK(bytes_equal(ok(call1(&abs, "read-file", "a")), "there now"));
    done(&abs);
}

TEST(dot_dot_and_absolute_paths_cannot_leave_the_root)
{
    fresh_dirs();
    spawned s = spawn("rw");
    CHECK(is_ok(call1(&s, "create-dir", "d")));
    CHECK_STR_EQ(err_of(call1(&s, "read-file", "../outside/secret.txt")),
                 "read-file '../outside/secret.txt': the path leads outside the filesystem root");
    CHECK_CONTAINS(err_of(call1(&s, "read-file", "d/../../outside/secret.txt")),
                   "outside the filesystem root");
    CHECK_CONTAINS(err_of(call1(&s, "list-files", "..")), "outside the filesystem root");
    CHECK_CONTAINS(err_of(call1(&s, "path-exists", "../outside")), "outside the filesystem root");
    char *secret = in_dir(outside, "secret.txt");
    CHECK_CONTAINS(err_of(call1(&s, "read-file", secret)), "absolute paths are refused");
    CHECK_CONTAINS(err_of(call1(&s, "read-file", "/etc/passwd")), "absolute paths are refused");
    CHECK_CONTAINS(err_of(write_file(&s, "../outside/planted", "x")), "outside");
    CHECK(!host_exists(outside, "planted"));
    CHECK_CONTAINS(err_of(call1(&s, "create-dir", "../outside/newdir")), "outside");
    CHECK(!host_exists(outside, "newdir"));
    CHECK_CONTAINS(err_of(call1(&s, "delete-file", "../outside/secret.txt")), "outside");
    CHECK(host_exists(outside, "secret.txt"));
    CHECK_CONTAINS(err_of(call1(&s, "delete-dir", "..")), "must end in a name");
    CHECK_CONTAINS(err_of(call1(&s, "delete-dir", "d/..")), "must end in a name");
    CHECK_CONTAINS(err_of(call1(&s, "delete-dir", "")), "must end in a name");
    CHECK(host_exists(tmpdir, "root"));
    free(secret);
    done(&s);
}

TEST(symbolic_links_are_followed_only_beneath_the_root)
{
    fresh_dirs();
    spawned s = spawn("rw");
    CHECK(is_ok(write_file(&s, "inside.txt", "inside")));
    CHECK(is_ok(call1(&s, "create-dir", "sub")));
    host_symlink("inside.txt", "in-link");
    host_symlink("../inside.txt", "sub/up-link"); /* up, but still beneath */
    host_symlink("../outside/secret.txt", "out-link");
    char *secret = in_dir(outside, "secret.txt");
    host_symlink(secret, "abs-link");
    host_symlink("../outside", "out-dir");
    host_symlink("/proc/self/root/etc/passwd", "proc-link");
    host_symlink("loop-b", "loop-a");
    host_symlink("loop-a", "loop-b");
    host_symlink("sub/../sub/../inside.txt", "winding");
    host_symlink("missing", "dangling");
    free(secret);

    CHECK(bytes_equal(ok(call1(&s, "read-file", "in-link")), "inside"));
    CHECK(bytes_equal(ok(call1(&s, "read-file", "sub/up-link")), "inside"));
    CHECK(bytes_equal(ok(call1(&s, "read-file", "winding")), "inside"));
    CHECK_CONTAINS(err_of(call1(&s, "read-file", "loop-a")), "too many symbolic links");
    CHECK_EQ_INT(exists(&s, "dangling"), 0);
    CHECK(is_ok(write_file(&s, "dangling", "made through a link"))); /* its target, inside */
    CHECK(bytes_equal(ok(call1(&s, "read-file", "missing")), "made through a link"));
    CHECK_CONTAINS(err_of(write_file(&s, "sub/", "x")), "Is a directory");
    CHECK_CONTAINS(err_of(call1(&s, "read-file", "inside.txt/")), "Not a directory");
    CHECK_CONTAINS(err_of(call1(&s, "read-file", "out-link")), "outside the filesystem root");
    CHECK_CONTAINS(err_of(call1(&s, "read-file", "abs-link")), "outside the filesystem root");
    CHECK_CONTAINS(err_of(call1(&s, "read-file", "proc-link")), "outside the filesystem root");
    CHECK_CONTAINS(err_of(call1(&s, "read-file", "out-dir/secret.txt")), "outside");
    CHECK_CONTAINS(err_of(call1(&s, "list-files", "out-dir")), "outside");
    CHECK_CONTAINS(err_of(call1(&s, "path-exists", "out-link")), "outside");
    CHECK_CONTAINS(err_of(write_file(&s, "out-link", "overwritten")), "outside");
    CHECK_CONTAINS(err_of(write_file(&s, "out-dir/planted", "x")), "outside");
    CHECK_CONTAINS(err_of(call1(&s, "create-dir", "out-dir/newdir")), "outside");
    CHECK(!host_exists(outside, "planted"));
    CHECK(!host_exists(outside, "newdir"));
    /* deleting a link removes the link, never what it points to */
    CHECK(is_ok(call1(&s, "delete-file", "out-link")));
    CHECK(host_exists(outside, "secret.txt"));
    CHECK_CONTAINS(err_of(call1(&s, "delete-dir", "out-dir")), "Not a directory");
    CHECK(host_exists(outside, "secret.txt"));
    done(&s);
}

/* ---- The race -------------------------------------------------------------------------- */

typedef struct flipper {
    atomic_bool stop;
    atomic_long flips;
} flipper;

/* Points `link` at `a`, then at `b`, and so on, each time by renaming a
 * fresh link over it (atomic), until told to stop. */
static void flip_to(const char *target, const char *name)
{
    char *tmp = in_dir(root, "flip.tmp"), *path = in_dir(root, name);
    unlink(tmp);
    if (symlink(target, tmp) != 0 || rename(tmp, path) != 0)
        abort();
    free(tmp);
    free(path);
}

static void *flip(void *ud)
{
    flipper *f = ud;
    while (!atomic_load(&f->stop)) {
        flip_to("inside.txt", "flip");
        flip_to("sub", "flip-dir");
        flip_to("../outside/secret.txt", "flip");
        flip_to("../outside", "flip-dir");
        atomic_fetch_add(&f->flips, 1);
    }
    return NULL;
}

TEST(a_link_swapped_during_reads_never_lets_a_byte_out)
{
    fresh_dirs();
    spawned s = spawn("ro");
    char *p = in_dir(root, "inside.txt");
    write_text(p, "inside");
    free(p);
    p = in_dir(root, "sub");
    if (mkdir(p, 0777) != 0)
        abort();
    free(p);
    p = in_dir(root, "sub/secret.txt"); /* the same name as outside */
    write_text(p, "inside too");
    free(p);
    flip_to("inside.txt", "flip");
    flip_to("sub", "flip-dir");

    flipper f = {0};
    pthread_t t;
    if (pthread_create(&t, NULL, flip, &f) != 0)
        abort();
    long inside = 0, refused = 0, leaked = 0;
    for (int i = 0; i < 20000; i++) {
        th_val *r = call1(&s, "read-file", i % 2 ? "flip" : "flip-dir/secret.txt");
        if (is_ok(r)) {
            inside++;
            leaked += r->var.payload->bytes.len >= 6 &&
                      memcmp(r->var.payload->bytes.ptr, "SECRET", 6) == 0;
        } else {
            refused++;
        }
        if (i % 256 == 0)
            th_arena_reset(&arena);
    }
    atomic_store(&f.stop, true);
    pthread_join(t, NULL);
    CHECK_EQ_INT(leaked, 0);
    /* the race was really run: both outcomes were seen */
    CHECK(inside > 0);
    CHECK(refused > 0);
    CHECK(atomic_load(&f.flips) > 10);
    done(&s);
}

/* ---- Hostile names ----------------------------------------------------------------------- */

TEST(long_names_and_nul_bytes_are_refused)
{
    fresh_dirs();
    spawned s = spawn("rw");
    char *huge = th_arena_alloc(&arena, 10001);
    memset(huge, 'a', 10000);
    const char *e = err_of(call1(&s, "read-file", huge));
    CHECK_CONTAINS(e, "the path is 10000 bytes long, more than 4095");
    CHECK(strlen(e) < 300); /* the message shows a cut path */
    CHECK_CONTAINS(err_of(write_file(&s, huge, "x")), "more than 4095");
    char name[300];
    memset(name, 'n', 256);
    name[256] = '\0';
    CHECK_CONTAINS(err_of(call1(&s, "create-dir", name)),
                   "a name in the path is 256 bytes long, more than 255");
    name[255] = '\0'; /* 255 is allowed */
    CHECK(is_ok(write_file(&s, name, "long name")));
    CHECK(bytes_equal(ok(call1(&s, "read-file", name)), "long name"));
    /* a path of 4095 bytes is allowed: resolved, not refused for length */
    char *deep = th_arena_alloc(&arena, 4096);
    for (size_t i = 0; i < 4095; i += 2)
        memcpy(deep + i, i + 1 < 4095 ? "d/" : "d", i + 1 < 4095 ? 2 : 1);
    CHECK_CONTAINS(err_of(call1(&s, "read-file", deep)), "No such file or directory");

    th_val *nul = args(1, str_n("secret\0/../../outside/secret.txt", 32), NULL);
    CHECK_STR_EQ(err_of(call(&s, "read-file", nul)),
                 "read-file 'secret\\x00/../../outside/secret.txt': a path cannot contain a NUL "
                 "byte");
    th_val *wnul = args(2, str_n("a\0b", 3), th_val_bytes(&arena, "x", 1));
    CHECK_CONTAINS(err_of(call(&s, "write-file", wnul)), "NUL byte");
    CHECK(!host_exists(root, "a"));
    /* control characters in a path are escaped in the message */
    CHECK_CONTAINS(err_of(call1(&s, "read-file", "\x1b[2Jx")), "read-file '\\x1b[2Jx':");
    done(&s);
}

TEST(names_that_are_not_utf8_are_reported_not_passed_on)
{
    fresh_dirs();
    char *bad = in_dir(root, "caf\xe9");
    write_text(bad, "latin-1 name");
    free(bad);
    spawned s = spawn(NULL);
    CHECK_CONTAINS(err_of(call1(&s, "list-files", "")), "not valid UTF-8");
    done(&s);
}

/* ---- Modes and kinds --------------------------------------------------------------------- */

TEST(read_only_refuses_every_change_before_touching_anything)
{
    fresh_dirs();
    char *f = in_dir(root, "kept.txt");
    write_text(f, "kept");
    free(f);
    char *d = in_dir(root, "dir");
    if (mkdir(d, 0777) != 0)
        abort();
    free(d);
    const char *modes[] = {"ro", NULL};
    for (int i = 0; i < 2; i++) { /* "ro", and no mode at all */
        spawned s = spawn(modes[i]);
        CHECK_STR_EQ(err_of(write_file(&s, "kept.txt", "changed")),
                     "write-file 'kept.txt': the filesystem is granted read-only (mode = \"ro\")");
        CHECK_CONTAINS(err_of(write_file(&s, "new.txt", "x")), "read-only");
        CHECK_CONTAINS(err_of(call1(&s, "delete-file", "kept.txt")), "read-only");
        CHECK_CONTAINS(err_of(call1(&s, "create-dir", "made")), "read-only");
        CHECK_CONTAINS(err_of(call1(&s, "delete-dir", "dir")), "read-only");
        /* refused before the root is even opened */
        CHECK_EQ_INT(s.actor->fs_root, -1);
        CHECK(bytes_equal(ok(call1(&s, "read-file", "kept.txt")), "kept"));
        CHECK_STR_EQ(listing(&s, ""), "dir,kept.txt");
        CHECK(!host_exists(root, "new.txt"));
        CHECK(!host_exists(root, "made"));
        CHECK(host_exists(root, "dir"));
        done(&s);
    }
}

TEST(each_kind_of_entry_gets_the_answer_it_deserves)
{
    fresh_dirs();
    spawned s = spawn("rw");
    CHECK(is_ok(call1(&s, "create-dir", "full")));
    CHECK(is_ok(write_file(&s, "full/f", "f")));
    CHECK_STR_EQ(err_of(call1(&s, "delete-dir", "full")),
                 "delete-dir 'full': the directory is not empty (delete-dir removes empty "
                 "directories only)");
    CHECK(host_exists(root, "full/f"));
    CHECK_CONTAINS(err_of(call1(&s, "delete-file", "full")), "is a directory");
    CHECK_CONTAINS(err_of(call1(&s, "delete-dir", "full/f")), "Not a directory");
    CHECK_CONTAINS(err_of(call1(&s, "create-dir", "full")), "File exists");
    CHECK_CONTAINS(err_of(call1(&s, "create-dir", "a/b")), "No such file or directory");
    CHECK_STR_EQ(err_of(call1(&s, "read-file", "full")), "read-file 'full': is a directory");
    CHECK_CONTAINS(err_of(call1(&s, "read-file", "missing")), "No such file or directory");
    CHECK_CONTAINS(err_of(call1(&s, "list-files", "full/f")), "Not a directory");
    CHECK_CONTAINS(err_of(call1(&s, "delete-file", "missing")), "No such file or directory");
    CHECK_CONTAINS(err_of(write_file(&s, "full", "x")), "Is a directory");
    /* a FIFO is neither read (which would block) nor written */
    char *fifo = in_dir(root, "fifo");
    CHECK_EQ_INT(mkfifo(fifo, 0666), 0);
    free(fifo);
    CHECK_STR_EQ(err_of(call1(&s, "read-file", "fifo")), "read-file 'fifo': is not a regular file");
    CHECK(!is_ok(write_file(&s, "fifo", "x")));
    CHECK_EQ_INT(exists(&s, "fifo"), 1);
    done(&s);
}

TEST(a_file_too_large_to_read_is_refused)
{
    fresh_dirs();
    char *big = in_dir(root, "big");
    int fd = open(big, O_WRONLY | O_CREAT, 0666);
    CHECK(fd >= 0 && ftruncate(fd, (64 << 20) + 1) == 0); /* sparse: no real 64 MiB */
    close(fd);
    free(big);
    spawned s = spawn(NULL);
    CHECK_CONTAINS(err_of(call1(&s, "read-file", "big")),
                   "the file is 67108865 bytes, more than the 67108864 read-file answers with");
    done(&s);
}

/* ---- Through the sandbox, and replay ------------------------------------------------------- */

/* For each request: write-file("log.txt", message), then read-file
 * ("log.txt"), and answer with what was read: the filesystem seen from
 * inside the sandbox. */
static const char abi_guest_wat[] =
    "(module\n"
    "(import \"theater:simple/filesystem\" \"write-file\" (func $write (param i32 i32 i32 i32 "
    "i32)))\n"
    "(import \"theater:simple/filesystem\" \"read-file\" (func $read (param i32 i32 i32)))\n"
    "(data (i32.const 512) \"log.txt\")\n" WAT_MEMORY_AND_ALLOCATOR WAT_INIT_KEEPS_STATE
    "(func (export \"theater:simple/message-server-client#handle-request\")\n"
    "  (param i32 i32 i32 i32 i32) (result i32)\n"
    "  (call $write (i32.const 512) (i32.const 7) (local.get 3) (local.get 4) (i32.const 100))\n"
    "  (if (i32.load8_u (i32.const 100)) (then unreachable))\n"
    "  (call $read (i32.const 512) (i32.const 7) (i32.const 200))\n"
    "  (if (i32.load8_u (i32.const 200)) (then unreachable))\n"
    "  (i32.store8 (i32.const 0) (i32.const 0)) (i32.store8 (i32.const 4) (i32.const 0))\n"
    "  (i32.store (i32.const 16) (i32.load (i32.const 204)))\n"
    "  (i32.store (i32.const 20) (i32.load (i32.const 208)))\n"
    "  (i32.const 0)))\n";

static int no_states(void *ud, const uint8_t hash[TH_HASH_SIZE], uint8_t **out, size_t *len,
                     th_error *err)
{
    (void)ud, (void)hash, (void)out, (void)len, (void)err;
    return 0;
}

static bool request_text(th_actor *actor, const char *msg)
{
    uint8_t *resp = NULL;
    size_t len = 0;
    th_error err;
    int rc = th_actor_request(actor, (const uint8_t *)msg, strlen(msg), &resp, &len, &err);
    CHECK_REPORT_(rc == 0, "request: %s", err.msg);
    bool same = rc == 0 && len == strlen(msg) && memcmp(resp, msg, len) == 0;
    free(resp);
    return same;
}

TEST(a_guest_writes_and_reads_and_replays_without_the_directory)
{
    fresh_dirs();
    char *pkg = write_wat(abi_guest_wat, "abi_guest");
    th_manifest *m = fs_manifest(pkg, "root", "rw", "[[handlers]]\ntype = \"message-server\"\n");
    th_error err;
    th_actor *actor = th_actor_spawn_with(engine, m, NULL, &err);
    CHECK_REPORT_(actor != NULL, "spawn: %s", err.msg);
    if (actor) {
        CHECK(request_text(actor, "first line"));
        CHECK(request_text(actor, "second"));
        const th_chain *c = th_actor_chain(actor);
        size_t n = th_chain_length(c);
        CHECK(n >= 3);
        if (n >= 3) {
            CHECK_STR_EQ(th_chain_event(c, n - 3)->name, "theater:simple/filesystem#write-file");
            CHECK_STR_EQ(th_chain_event(c, n - 2)->name, "theater:simple/filesystem#read-file");
        }
        th_actor_stop(actor);

        /* Replay answers from the chain: with the directory gone it is
         * still identical, and it creates nothing. */
        remove_tree(root);
        th_replay_report rr;
        CHECK_EQ_INT(
            th_replay(engine, m, actor->module, c, 0, no_states, NULL, &rr, NULL, NULL, NULL, &err),
            0);
        CHECK(rr.identical);
        if (!rr.identical)
            fprintf(stderr, "  diverged: %s\n  expected %s\n  actual   %s\n", rr.reason,
                    rr.expected, rr.actual);
        CHECK_EQ_INT(rr.events_replayed, th_chain_length(c));
        CHECK(!host_exists(tmpdir, "root"));
        th_actor_free(actor);
    }
    th_manifest_free(m);
    unlink(pkg);
    free(pkg);
}

/* Kernels without openat2 (and valgrind) get the handler's own walk: the
 * same hostile tests, the same answers. */
TEST(the_walk_confines_as_openat2_does)
{
    th_fs_resolve_by_walk(true);
    test_files_and_directories_round_trip();
    test_dot_dot_and_absolute_paths_cannot_leave_the_root();
    test_symbolic_links_are_followed_only_beneath_the_root();
    test_a_link_swapped_during_reads_never_lets_a_byte_out();
    test_long_names_and_nul_bytes_are_refused();
    test_each_kind_of_entry_gets_the_answer_it_deserves();
    th_fs_resolve_by_walk(false);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/theater-test-fs-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    snprintf(root, sizeof root, "%s/root", tmpdir);
    snprintf(outside, sizeof outside, "%s/outside", tmpdir);
    th_error err;
    th_engine_options opts = {.cache_dir = ""};
    engine = th_engine_new(&opts, &err);
    if (!engine) {
        fprintf(stderr, "engine: %s\n", err.msg);
        return 1;
    }
    package = write_wat(guest_wat, "guest");
    RUN(files_and_directories_round_trip);
    RUN(the_root_is_relative_to_the_manifest_and_retried_until_it_exists);
    RUN(dot_dot_and_absolute_paths_cannot_leave_the_root);
    RUN(symbolic_links_are_followed_only_beneath_the_root);
    RUN(a_link_swapped_during_reads_never_lets_a_byte_out);
    RUN(long_names_and_nul_bytes_are_refused);
    RUN(names_that_are_not_utf8_are_reported_not_passed_on);
    RUN(read_only_refuses_every_change_before_touching_anything);
    RUN(each_kind_of_entry_gets_the_answer_it_deserves);
    RUN(a_file_too_large_to_read_is_refused);
    RUN(a_guest_writes_and_reads_and_replays_without_the_directory);
    RUN(the_walk_confines_as_openat2_does);
    th_engine_free(engine);
    th_arena_free(&arena);
    unlink(package);
    free(package);
    remove_tree(tmpdir);
    return check_summary();
}
