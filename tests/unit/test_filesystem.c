/* The filesystem handler (theater:simple/filesystem) on spawned actors:
 * each host function called through its catalogue entry, exactly as the
 * executor calls it, against a real directory with hostile contents
 * (escaping paths and links, a link flipped during reads, long names, NUL
 * bytes, FIFOs), then a guest through the canonical ABI whose replay must
 * be identical with the directory gone. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/value.h"
#include "exec/catalog.h"
#include "handlers/handlers.h"
#include "manifest/manifest.h"
#include "runtime/actor.h"
#include "runtime/replay.h"
#include "rt_fixture.h"

#define FS_IFACE "theater:simple/filesystem"
#define SECRET "SECRET: outside the root"

static char root[128];    /* tmpdir/root: the grant */
static char outside[128]; /* tmpdir/outside: holds secret.txt */

/* ---- Fixture ------------------------------------------------------------------------- */

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
    char *config = mode ? format("config = { path = \"%s\", mode = \"%s\" }\n", path, mode)
                        : format("config = { path = \"%s\" }\n", path);
    char *text = format("name = \"fs\"\nversion = \"0.1.0\"\npackage = \"%s\"\n\n"
                        "[[handlers]]\ntype = \"filesystem\"\n%s%s",
                        pkg, config, extra);
    char *file = in_dir(tmpdir, "fs.toml");
    th_manifest *m = parse_manifest(text, file);
    free(file);
    free(text);
    free(config);
    return m;
}

static spawned spawn_at(const char *path, const char *mode)
{
    return spawn_alone(fs_manifest(package, path, mode, ""), NULL);
}

static spawned spawn_fs(const char *mode)
{
    return spawn_at("root", mode);
}

/* ---- Calls -------------------------------------------------------------------------------- */

static th_val *str_n(const char *s, size_t len)
{
    return th_val_string(&arena, s, len);
}
/* Calls a filesystem function; answers are ok or err values. */
static th_val *call(spawned *s, const char *fn, th_val *params)
{
    return host_call(s, FS_IFACE, fn, params);
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
    spawned s = spawn_fs("rw");
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
    spawned s = spawn_fs("rw");
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
    spawned s = spawn_fs("rw");
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
    spawned s = spawn_fs("rw");
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
    spawned s = spawn_fs("ro");
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
    /* 20,000 reads, and more while a loaded machine has not yet let the
     * flipper run enough for both outcomes to show. */
    for (int i = 0;
         i < 20000 || ((inside == 0 || refused == 0 || atomic_load(&f.flips) <= 10) && i < 2000000);
         i++) {
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
    spawned s = spawn_fs("rw");
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
    spawned s = spawn_fs(NULL);
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
        spawned s = spawn_fs(modes[i]);
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
    spawned s = spawn_fs("rw");
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
    spawned s = spawn_fs(NULL);
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

TEST(a_guest_writes_and_reads_and_replays_without_the_directory)
{
    fresh_dirs();
    char *pkg = write_wat(abi_guest_wat, "abi_guest");
    th_manifest *m = fs_manifest(pkg, "root", "rw", "[[handlers]]\ntype = \"message-server\"\n");
    th_actor *actor = actor_alone(m, NULL);
    if (actor) {
        CHECK_STR_EQ(ask_actor(actor, "first line"), "first line");
        CHECK_STR_EQ(ask_actor(actor, "second"), "second");
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
        check_replay_alone(actor, no_states, NULL);
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
    if (!fixture_start_alone("fs"))
        return 1;
    snprintf(root, sizeof root, "%s/root", tmpdir);
    snprintf(outside, sizeof outside, "%s/outside", tmpdir);
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
    return fixture_end();
}
