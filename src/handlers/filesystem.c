/* theater:simple/filesystem: granted by [[handlers]] type = "filesystem"
 * with config { path = "DIR", mode = "ro" | "rw" } (docs/capabilities/
 * filesystem.md).
 *
 * Confinement is the kernel's, not ours. The root is opened once per actor
 * (O_PATH) and every path the actor gives is resolved by openat2() beneath
 * that descriptor with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: a "..", an
 * absolute path or a symbolic link that would lead out of the root fails
 * inside the one system call that also opens the file, so there is no
 * window between a check and a use for a swapped-in link to slip through.
 * Symbolic links that stay beneath the root are followed.
 *
 * The calls that have no openat2 form (unlink, mkdir, rmdir) open the
 * parent directory that way and act on the last name relative to it; those
 * calls never follow a link in that last name.
 *
 * Everything the actor can get wrong, or that the files can be, is an
 * err("OP 'PATH': REASON") answer: the actor decides what to do. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "common/utf8.h"
#include "handlers/handlers.h"
#include "runtime/actor.h"

enum {
    FS_PATH_MAX = 4095,       /* bytes in a path: the kernel's PATH_MAX with its NUL */
    FS_NAME_MAX = 255,        /* bytes in one name */
    FS_READ_MAX = 64 << 20,   /* the largest file read-file answers with */
    FS_LIST_MAX = 64 << 20,   /* bytes of names one list-files answers with */
    FS_SHOWN_MAX = 120,       /* bytes of a path quoted in a message */
    FS_RESOLVE_ATTEMPTS = 16, /* openat2 says EAGAIN when a rename races it */
    FS_IO_CHUNK = 1 << 16,
};

#define FS_RESOLVE (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)

/* One host call: what its answers need. */
typedef struct fs_call {
    th_actor *actor;
    th_arena *a;
    th_val **result;
    const char *op;   /* "read-file", for messages */
    const char *path; /* the actor's path, NUL-terminated in the arena; "." for "" */
    size_t len;
} fs_call;

/* ---- Answers -------------------------------------------------------------------------- */

/* The path for a message: control characters escaped, long paths cut (at
 * a character boundary) so that a 4,000-byte name does not fill the chain
 * twice. */
static const char *shown_path(const fs_call *c, th_buf *out)
{
    size_t n = c->len > FS_SHOWN_MAX ? FS_SHOWN_MAX : c->len;
    const uint8_t *p = (const uint8_t *)c->path;
    while (n < c->len && n > 0 && (p[n] & 0xC0) == 0x80)
        n--;
    th_utf8_escape(p, n, out);
    if (n < c->len)
        th_buf_append_str(out, "...");
    return th_buf_cstr(out);
}

/* Answers err("OP 'PATH': REASON") and returns 0: the call succeeded. */
static int __attribute__((format(printf, 2, 3))) fail(fs_call *c, const char *fmt, ...)
{
    th_buf text = TH_BUF_INIT, shown = TH_BUF_INIT;
    th_buf_printf(&text, "%s '%s': ", c->op, shown_path(c, &shown));
    va_list ap;
    va_start(ap, fmt);
    char *reason = NULL;
    int n = vasprintf(&reason, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort(); /* out of memory, as th_xmalloc would */
    th_buf_append(&text, reason, (size_t)n);
    *c->result = th_val_err(c->a, th_val_string(c->a, (const char *)text.data, text.len));
    free(reason);
    th_buf_free(&text);
    th_buf_free(&shown);
    return 0;
}

/* Answers err with the reason errno `e` gives, in the words that matter
 * here for the ones confinement produces. */
static int fail_errno(fs_call *c, int e)
{
    switch (e) {
    case EXDEV:
        return fail(c, "the path leads outside the filesystem root");
    case ELOOP:
        return fail(c, "too many symbolic links, or a link the filesystem handler does not "
                       "follow (/proc magic links)");
    case EAGAIN:
        return fail(c, "the directory tree kept changing while the path was resolved; try again");
    default: {
        char buf[128];
        return fail(c, "%s", strerror_r(e, buf, sizeof buf));
    }
    }
}

static int answer_ok(fs_call *c, th_val *payload)
{
    *c->result = th_val_ok(c->a, payload);
    return 0;
}

/* ---- The grant ------------------------------------------------------------------------ */

static const toml_value *config_value(const th_actor *actor, const char *key)
{
    const th_handler_grant *g = th_manifest_grant(actor->manifest, TH_HANDLER_FILESYSTEM);
    return g && g->config ? toml_table_get(g->config, key) : NULL;
}

/* The manifest checked mode is "ro" or "rw"; without it the grant is
 * read-only, the safer of the two. */
static bool writable(const th_actor *actor)
{
    const toml_value *mode = config_value(actor, "mode");
    return mode && mode->kind == TOML_STRING && strcmp(mode->str.ptr, "rw") == 0;
}

/* Refuses a change in a read-only grant, before anything is touched. */
static bool refuse_if_read_only(fs_call *c)
{
    if (writable(c->actor))
        return false;
    fail(c, "the filesystem is granted read-only (mode = \"ro\")");
    return true;
}

/* The root's descriptor, opened at the actor's first call: the config's
 * path, relative to the manifest's directory. -1 when it cannot be opened
 * (answered; tried again at the next call). */
static int root_fd(fs_call *c)
{
    th_actor *actor = c->actor;
    if (actor->fs_root >= 0)
        return actor->fs_root;
    const toml_value *path = config_value(actor, "path");
    if (!path || path->kind != TOML_STRING) {
        fail(c, "the filesystem grant has no path"); /* the manifest requires one */
        return -1;
    }
    th_buf full = TH_BUF_INIT;
    if (path->str.ptr[0] != '/')
        th_buf_printf(&full, "%s/", actor->manifest->dir);
    th_buf_append_str(&full, path->str.ptr);
    int fd = open(th_buf_cstr(&full), O_PATH | O_DIRECTORY | O_CLOEXEC);
    int e = errno;
    th_buf_free(&full);
    if (fd < 0) {
        char buf[128];
        /* The path as the manifest gives it: the actor need not learn
         * where the host keeps it. */
        fail(c, "the filesystem root '%s' cannot be opened: %s", path->str.ptr,
             strerror_r(e, buf, sizeof buf));
        return -1;
    }
    actor->fs_root = fd;
    return fd;
}

/* ---- Paths ---------------------------------------------------------------------------- */

/* Takes the actor's path into c, refusing what no file can be named: a
 * NUL byte, more than FS_PATH_MAX bytes, a name longer than FS_NAME_MAX,
 * an absolute path. "" is the root itself. false when refused (answered). */
static bool take_path(fs_call *c, const th_val *v)
{
    char *path = th_arena_alloc(c->a, v->bytes.len + 1); /* zeroed: the NUL is there */
    if (v->bytes.len)
        memcpy(path, v->bytes.ptr, v->bytes.len);
    c->path = path;
    c->len = v->bytes.len;
    if (memchr(path, '\0', c->len)) {
        fail(c, "a path cannot contain a NUL byte");
        return false;
    }
    if (c->len > FS_PATH_MAX) {
        fail(c, "the path is %zu bytes long, more than %d", c->len, FS_PATH_MAX);
        return false;
    }
    if (path[0] == '/') {
        fail(c, "absolute paths are refused: paths are relative to the filesystem root");
        return false;
    }
    for (const char *name = path; *name;) {
        size_t n = strcspn(name, "/");
        if (n > FS_NAME_MAX) {
            fail(c, "a name in the path is %zu bytes long, more than %d", n, FS_NAME_MAX);
            return false;
        }
        name += n + (name[n] == '/');
    }
    if (c->len == 0) {
        c->path = ".";
        c->len = 1;
    }
    return true;
}

/* ---- Resolution ----------------------------------------------------------------------- */

/* Whether the kernel resolves for us: openat2 is Linux 5.6+, and some
 * sandboxes (seccomp profiles, valgrind) refuse it. Probed once. */
enum { OPENAT2_UNKNOWN, OPENAT2_WORKS, OPENAT2_MISSING };
static atomic_int openat2_state = OPENAT2_UNKNOWN;

void th_fs_resolve_by_walk(bool on)
{
    atomic_store(&openat2_state, on ? OPENAT2_MISSING : OPENAT2_UNKNOWN);
}

static long call_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode)
{
    struct open_how how = {.flags = flags, .mode = mode, .resolve = FS_RESOLVE};
    return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

static bool have_openat2(int root)
{
    int state = atomic_load(&openat2_state);
    if (state == OPENAT2_UNKNOWN) {
        long fd = call_openat2(root, ".", O_PATH | O_CLOEXEC, 0);
        if (fd >= 0)
            close((int)fd);
        state = fd < 0 && (errno == ENOSYS || errno == EPERM) ? OPENAT2_MISSING : OPENAT2_WORKS;
        atomic_store(&openat2_state, state);
    }
    return state == OPENAT2_WORKS;
}

/* The walk: what openat2 does with RESOLVE_BENEATH, one name at a time in
 * user space, for kernels that lack it. The kernel is never asked to
 * follow a link (every open is O_NOFOLLOW): a link is read and its target
 * resolved here, from the directory holding it, so a link swapped in at
 * any moment is seen as a link. ".." never goes above the root, and must
 * lead back to the very directory (device and inode) the walk came down
 * from, else the tree changed under the walk and it fails (EAGAIN, as
 * openat2 does). A link's text is only ever read as a path beneath the
 * root, so /proc magic links lead nowhere either. */
typedef struct dir_id {
    dev_t dev;
    ino_t ino;
} dir_id;

typedef struct walk {
    int root;
    int cur;     /* the directory the walk is in: root, or opened (O_PATH) */
    dir_id *ids; /* of the directories from the root down to cur */
    size_t depth, cap;
    th_buf rest; /* what is left to resolve, NUL-terminated */
    size_t at;
    int links; /* followed so far */
} walk;

enum { WALK_MAX_LINKS = 40 }; /* the kernel's own limit */

/* The next name of the rest ("" and "." skipped) in out: 1, with *last
 * when only "." names follow it and *slash when a '/' does; 0 at the end;
 * -1 for a name longer than FS_NAME_MAX (from a link's target). */
static int next_name(walk *w, char out[FS_NAME_MAX + 1], bool *last, bool *slash)
{
    const char *start = (const char *)w->rest.data, *p = start + w->at;
    for (;;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0)
            return 0;
        if (n > FS_NAME_MAX)
            return -1;
        const char *after = p + n;
        if (n == 1 && p[0] == '.') {
            p = after;
            continue;
        }
        memcpy(out, p, n);
        out[n] = '\0';
        *slash = *after == '/';
        w->at = (size_t)(after - start);
        *last = true;
        for (const char *q = after; *q && *last;) {
            size_t m = strcspn(q, "/");
            *last = m == 0 || (m == 1 && q[0] == '.');
            q += m + (q[m] == '/');
        }
        return 1;
    }
}

/* Replaces the rest with the link's target followed by what was left. */
static int follow_link(walk *w, int link_fd)
{
    if (++w->links > WALK_MAX_LINKS)
        return ELOOP;
    char target[FS_PATH_MAX + 1];
    ssize_t n = readlinkat(link_fd, "", target, sizeof target);
    if (n < 0)
        return errno;
    if ((size_t)n >= sizeof target)
        return ENAMETOOLONG;
    if (n == 0)
        return ENOENT;
    if (target[0] == '/')
        return EXDEV; /* as RESOLVE_BENEATH: an absolute link leaves */
    th_buf rest = TH_BUF_INIT;
    th_buf_append(&rest, target, (size_t)n);
    const char *left = (const char *)w->rest.data + w->at;
    if (*left) /* "link" is the target; "link/" and "link/x" below it */
        th_buf_append_byte(&rest, '/');
    th_buf_append_str(&rest, left);
    th_buf_cstr(&rest);
    th_buf_free(&w->rest);
    w->rest = rest;
    w->at = 0;
    return 0;
}

static void walk_enter(walk *w, int fd, const struct stat *st)
{
    if (w->depth + 1 == w->cap) {
        w->cap *= 2;
        w->ids = th_xrealloc(w->ids, w->cap * sizeof *w->ids);
    }
    w->ids[++w->depth] = (dir_id){st->st_dev, st->st_ino};
    if (w->cur != w->root)
        close(w->cur);
    w->cur = fd;
}

/* "..": back to the directory the walk came down from, and no further up
 * than the root. */
static int walk_up(walk *w)
{
    if (w->depth == 0)
        return EXDEV;
    int fd = w->root;
    if (w->depth > 1) {
        fd = openat(w->cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
            return errno;
        const dir_id *want = &w->ids[w->depth - 1];
        if (fstat(fd, &st) != 0 || st.st_dev != want->dev || st.st_ino != want->ino) {
            close(fd);
            return EAGAIN;
        }
    }
    close(w->cur);
    w->cur = fd;
    w->depth--;
    return 0;
}

/* One name from the current directory: a directory on the way is entered,
 * a link followed, the final name opened with `flags` into *fd_out. 0, or
 * an errno value. */
static int walk_step(walk *w, const char *name, bool last, bool slash, int flags, mode_t mode,
                     int *fd_out)
{
    if (strcmp(name, "..") == 0) {
        int e = walk_up(w);
        if (e || !last)
            return e;
        *fd_out = openat(w->cur, ".", flags, mode);
        return *fd_out < 0 ? errno : 0;
    }
    bool creating = last && (flags & O_CREAT);
    if (creating && slash)
        return EISDIR; /* as open("file/", O_CREAT) */
    int fd = openat(w->cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && !(errno == ENOENT && creating))
        return errno;
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return e;
    }
    if (fd >= 0 && S_ISLNK(st.st_mode)) {
        int e = follow_link(w, fd);
        close(fd);
        return e;
    }
    bool want_dir = !last || slash || (flags & O_DIRECTORY);
    if (fd >= 0 && want_dir && !S_ISDIR(st.st_mode)) {
        close(fd);
        return ENOTDIR;
    }
    if (!last) {
        walk_enter(w, fd, &st);
        return 0;
    }
    if (fd >= 0 && (flags & O_PATH)) {
        *fd_out = fd;
        return 0;
    }
    if (fd >= 0)
        close(fd);
    /* Not a link a moment ago; O_NOFOLLOW refuses it if it became one
     * (ELOOP), and the walk looks at the name again. */
    *fd_out = openat(w->cur, name, flags | O_NOFOLLOW, mode);
    return *fd_out >= 0 ? 0 : errno;
}

static int walk_beneath(int root, const char *path, int flags, mode_t mode)
{
    walk w = {.root = root, .cur = root, .cap = 16};
    w.ids = th_xmalloc(w.cap * sizeof *w.ids);
    th_buf_append_str(&w.rest, path);
    th_buf_cstr(&w.rest);
    int fd = -1, e = 0;
    while (fd < 0 && e == 0) {
        char name[FS_NAME_MAX + 1];
        bool last = false, slash = false;
        size_t before = w.at;
        int got = next_name(&w, name, &last, &slash);
        if (got < 0) {
            e = ENAMETOOLONG;
        } else if (got == 0) { /* the path names the directory the walk is in */
            fd = openat(w.cur, ".", flags, mode);
            e = fd < 0 ? errno : 0;
        } else {
            e = walk_step(&w, name, last, slash, flags, mode, &fd);
            if (e == ELOOP && last && ++w.links <= WALK_MAX_LINKS) {
                w.at = before; /* swapped into a link meanwhile */
                e = 0;
            }
        }
    }
    if (w.cur != root)
        close(w.cur);
    free(w.ids);
    th_buf_free(&w.rest);
    errno = e;
    return e ? -1 : fd;
}

/* Opens path beneath dirfd, confined: by openat2 where the kernel has it,
 * else by the walk. O_CLOEXEC always, and O_NOCTTY but with O_PATH (which
 * openat2 refuses with anything but O_DIRECTORY and O_NOFOLLOW). Retries
 * the EAGAIN a concurrent rename can cause openat2, a bounded number of
 * times. */
static int open_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
    flags |= O_CLOEXEC | (flags & O_PATH ? 0 : O_NOCTTY);
    if (!have_openat2(dirfd))
        return walk_beneath(dirfd, path, flags, mode);
    for (int attempt = 1;; attempt++) {
        long fd = call_openat2(dirfd, path, (uint64_t)flags, mode);
        if (fd >= 0)
            return (int)fd;
        if (errno == EINTR || (errno == EAGAIN && attempt < FS_RESOLVE_ATTEMPTS))
            continue;
        return -1;
    }
}

/* For the calls that act on a name in a directory (unlink, mkdir, rmdir):
 * opens the parent of c->path beneath the root and gives the last name.
 * The parent is the root itself for a single name (nothing to close then:
 * *owned is false). -1 when refused or failed (answered). */
static int open_parent(fs_call *c, int root, const char **name, bool *owned)
{
    char *dir = th_arena_memdup(c->a, c->path, c->len + 1);
    size_t len = c->len;
    while (len > 1 && dir[len - 1] == '/') /* "dir/" names "dir" */
        dir[--len] = '\0';
    char *slash = strrchr(dir, '/');
    *name = slash ? slash + 1 : dir;
    if (strcmp(*name, ".") == 0 || strcmp(*name, "..") == 0) {
        fail(c, "the path must end in a name, not '.' or '..'");
        return -1;
    }
    *owned = slash != NULL;
    if (!slash)
        return root;
    *slash = '\0';
    int fd = open_beneath(root, dir, O_PATH | O_DIRECTORY, 0);
    if (fd < 0)
        fail_errno(c, errno);
    return fd;
}

/* Sets up a call on params[0] (the path): false when it was answered
 * already (a refused path, a read-only grant, no root). */
static bool begin(fs_call *c, const char *op, bool changes, th_actor *actor, const th_val *params,
                  th_arena *a, th_val **result, int *root)
{
    *c = (fs_call){.actor = actor, .a = a, .result = result, .op = op};
    if (!take_path(c, &params->list.items[0]))
        return false;
    if (changes && refuse_if_read_only(c))
        return false;
    *root = root_fd(c);
    return *root >= 0;
}

/* ---- Reading -------------------------------------------------------------------------- */

/* Reads all of fd into out, refusing more than FS_READ_MAX bytes (the file
 * may grow after fstat). 0, or an errno value; EFBIG when too large. */
static int read_all(int fd, th_buf *out)
{
    for (;;) {
        th_buf_reserve(out, FS_IO_CHUNK);
        ssize_t n = read(fd, out->data + out->len, out->cap - out->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0)
            return 0;
        out->len += (size_t)n;
        if (out->len > FS_READ_MAX)
            return EFBIG;
    }
}

/* Refuses what is not a regular file (a directory, a FIFO that would
 * block, a device); false when refused (answered). */
static bool readable_file(fs_call *c, int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        fail_errno(c, errno);
        return false;
    }
    if (S_ISDIR(st.st_mode))
        fail(c, "is a directory");
    else if (!S_ISREG(st.st_mode))
        fail(c, "is not a regular file");
    else if (st.st_size > FS_READ_MAX)
        fail(c, "the file is %lld bytes, more than the %d read-file answers with",
             (long long)st.st_size, FS_READ_MAX);
    else
        return true;
    return false;
}

int th_host_fs_read_file(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                         th_error *err)
{
    (void)err;
    fs_call c;
    int root;
    if (!begin(&c, "read-file", false, actor, params, a, result, &root))
        return 0;
    /* O_NONBLOCK: a FIFO must not hang the actor in open(). */
    int fd = open_beneath(root, c.path, O_RDONLY | O_NONBLOCK, 0);
    if (fd < 0)
        return fail_errno(&c, errno);
    if (!readable_file(&c, fd)) {
        close(fd);
        return 0;
    }
    th_buf content = TH_BUF_INIT;
    int e = read_all(fd, &content);
    close(fd);
    if (e == EFBIG)
        fail(&c, "the file is more than the %d bytes read-file answers with", FS_READ_MAX);
    else if (e)
        fail_errno(&c, e);
    else
        answer_ok(&c, th_val_bytes(a, content.data, content.len));
    th_buf_free(&content);
    return 0;
}

/* ---- Listing -------------------------------------------------------------------------- */

static int compare_names(const void *x, const void *y)
{
    const th_val *a = x, *b = y;
    size_t n = a->bytes.len < b->bytes.len ? a->bytes.len : b->bytes.len;
    int c = memcmp(a->bytes.ptr, b->bytes.ptr, n);
    if (c)
        return c;
    return (a->bytes.len > b->bytes.len) - (a->bytes.len < b->bytes.len);
}

/* The names in dir (without "." and ".."), sorted by their bytes so that
 * the answer does not depend on the filesystem's order. */
static int list_names(fs_call *c, DIR *dir)
{
    th_val *items = NULL;
    size_t len = 0, cap = 0, bytes = 0;
    for (;;) {
        errno = 0;
        struct dirent *d = readdir(dir);
        if (!d) {
            if (errno)
                return fail_errno(c, errno);
            break;
        }
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
            continue;
        size_t n = strlen(d->d_name);
        if (!th_utf8_valid((const uint8_t *)d->d_name, n))
            return fail(c, "holds a name that is not valid UTF-8, which a string cannot carry");
        bytes += n;
        if (bytes > FS_LIST_MAX)
            return fail(c, "the names are more than the %d bytes list-files answers with",
                        FS_LIST_MAX);
        if (len == cap) {
            cap = cap ? 2 * cap : 32;
            th_val *grown = th_arena_alloc(c->a, cap * sizeof *grown);
            if (len)
                memcpy(grown, items, len * sizeof *items);
            items = grown;
        }
        items[len++] = *th_val_string(c->a, d->d_name, n);
    }
    if (len)
        qsort(items, len, sizeof *items, compare_names);
    th_val *list = th_val_new(c->a, TH_VAL_LIST);
    list->list.items = items;
    list->list.len = len;
    return answer_ok(c, list);
}

int th_host_fs_list_files(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                          th_error *err)
{
    (void)err;
    fs_call c;
    int root;
    if (!begin(&c, "list-files", false, actor, params, a, result, &root))
        return 0;
    int fd = open_beneath(root, c.path, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0)
        return fail_errno(&c, errno);
    DIR *dir = fdopendir(fd);
    if (!dir) {
        int e = errno;
        close(fd);
        return fail_errno(&c, e);
    }
    list_names(&c, dir);
    closedir(dir);
    return 0;
}

int th_host_fs_path_exists(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                           th_error *err)
{
    (void)err;
    fs_call c;
    int root;
    if (!begin(&c, "path-exists", false, actor, params, a, result, &root))
        return 0;
    int fd = open_beneath(root, c.path, O_PATH, 0);
    int e = errno;
    if (fd < 0 && e != ENOENT && e != ENOTDIR)
        return fail_errno(&c, e); /* an escape is an error, not "absent" */
    if (fd >= 0)
        close(fd);
    th_val *exists = th_val_new(a, TH_VAL_BOOL);
    exists->b = fd >= 0;
    return answer_ok(&c, exists);
}

/* ---- Changing --------------------------------------------------------------------------- */

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int th_host_fs_write_file(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                          th_error *err)
{
    (void)err;
    fs_call c;
    int root;
    if (!begin(&c, "write-file", true, actor, params, a, result, &root))
        return 0;
    /* Not O_TRUNC: what is there is checked to be a regular file first, so
     * that a FIFO or a device is never written to. */
    int fd = open_beneath(root, c.path, O_WRONLY | O_CREAT | O_NONBLOCK, 0666);
    if (fd < 0)
        return fail_errno(&c, errno);
    struct stat st;
    int e = fstat(fd, &st) != 0 ? errno : 0;
    if (e)
        fail_errno(&c, e);
    else if (!S_ISREG(st.st_mode))
        fail(&c, "is not a regular file");
    else if (ftruncate(fd, 0) != 0)
        fail_errno(&c, errno);
    else if ((e = write_all(fd, params->list.items[1].bytes.ptr, params->list.items[1].bytes.len)))
        fail_errno(&c, e);
    else
        answer_ok(&c, NULL);
    /* close() reports nothing for a regular file that write() did not. */
    close(fd);
    return 0;
}

typedef enum name_op { DELETE_FILE, CREATE_DIR, DELETE_DIR } name_op;

/* The calls on a name in a directory. */
static int change_name(name_op op, const char *op_name, th_actor *actor, const th_val *params,
                       th_arena *a, th_val **result)
{
    fs_call c;
    int root;
    if (!begin(&c, op_name, true, actor, params, a, result, &root))
        return 0;
    const char *name;
    bool owned;
    int dir = open_parent(&c, root, &name, &owned);
    if (dir < 0)
        return 0;
    int rc = op == CREATE_DIR   ? mkdirat(dir, name, 0777)
             : op == DELETE_DIR ? unlinkat(dir, name, AT_REMOVEDIR)
                                : unlinkat(dir, name, 0);
    int e = errno;
    if (owned)
        close(dir);
    if (rc == 0)
        return answer_ok(&c, NULL);
    if (op == DELETE_FILE && e == EISDIR)
        return fail(&c, "is a directory (delete-dir removes directories)");
    if (op == DELETE_DIR && e == ENOTEMPTY)
        return fail(&c, "the directory is not empty (delete-dir removes empty directories only)");
    return fail_errno(&c, e);
}

int th_host_fs_delete_file(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                           th_error *err)
{
    (void)err;
    return change_name(DELETE_FILE, "delete-file", actor, params, a, result);
}

int th_host_fs_create_dir(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                          th_error *err)
{
    (void)err;
    return change_name(CREATE_DIR, "create-dir", actor, params, a, result);
}

int th_host_fs_delete_dir(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                          th_error *err)
{
    (void)err;
    return change_name(DELETE_DIR, "delete-dir", actor, params, a, result);
}
