/* theater new NAME [--template T] [--dir DIR]: a new actor project, copied
 * from one of the SDK's templates (sdk/templates/T) with its name filled in.
 *
 * A template is a directory of text files in which {{name}} stands for the
 * actor's name and {{sdk}} for the C SDK's directory; everything else is
 * copied as it is. A half-made project is never left behind: on any error
 * what was created is removed again. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/file.h"
#include "common/suggest.h"
#include "theater/theater.h"

#define NAME_MAX_LEN 64
/* Template files are small sources; anything bigger is not one. */
#define TEMPLATE_FILE_MAX (1 << 20)
/* The longest "next" hint a template has. */
#define MAX_NEXT 4

typedef struct template_info {
    const char *name;
    const char *what;
    const char *next[MAX_NEXT]; /* commands to try, {{dir}} being the project */
} template_info;

static const template_info templates[] = {
    {"basic",
     "a counter that answers messages and requests (handle-send, handle-request)",
     {"theater build {{dir}}",
      "theater run {{dir}}/manifest.toml --send '{\"op\":\"inc\"}' --request '{\"op\":\"get\"}'"}},
    {"http",
     "an HTTP server on 127.0.0.1:8080 (the http-server handler)",
     {"theater build {{dir}}", "theater server &", "theater start {{dir}}/manifest.toml",
      "curl -X POST http://127.0.0.1:8080/count"}},
    {"supervisor",
     "a supervisor and the worker it restarts when it crashes ([[children]], handle-child-*)",
     {"theater build {{dir}}",
      "theater run {{dir}}/manifest.toml --request '{\"op\":\"work\"}' --send "
      "'{\"op\":\"crash\"}' --request '{\"op\":\"work\"}' --request '{\"op\":\"status\"}'"}},
};
#define N_TEMPLATES (sizeof templates / sizeof templates[0])

static const char new_usage[] =
    "usage: theater new NAME [--template basic|http|supervisor] [--dir DIR]\n"
    "\n"
    "Creates DIR/NAME (default ./NAME), a project for an actor written in C:\n"
    "actor.c, manifest.toml (its package is build/NAME.wasm), README.md,\n"
    "CMakeLists.txt and .gitignore, from one of the templates of the C SDK.\n"
    "Then `theater build DIR/NAME` compiles it and `theater run` runs it.\n"
    "\n"
    "NAME: a lowercase letter, then up to 63 of a-z, 0-9 and '-'. An existing\n"
    "directory is used only if it is empty.\n"
    "\n"
    "templates:\n"
    "  basic        a counter that answers messages and requests (the default)\n"
    "  http         an HTTP server (the http-server handler)\n"
    "  supervisor   a supervisor and the worker it restarts when it crashes\n"
    "\n"
    "options:\n"
    "  --template T   the template (default basic)\n"
    "  --dir DIR      where to create the project (default .; created if missing)\n"
    "\n"
    "The templates are found beside the SDK: $THEATER_SDK/../templates, or\n"
    "sdk/templates of the source tree the theater executable was built in.\n"
    "\n"
    "exit status: 0 created, 2 bad arguments or the project cannot be created\n";

typedef struct new_opts {
    const char *name;
    const char *template_name;
    const char *dir;
} new_opts;

/* What the copy made, in order, so that a failure can undo it. */
typedef struct created {
    char **paths;
    bool *is_dir;
    size_t len;
} created;

static void created_add(created *c, const char *path, bool is_dir)
{
    c->paths = th_xrealloc(c->paths, (c->len + 1) * sizeof *c->paths);
    c->is_dir = th_xrealloc(c->is_dir, (c->len + 1) * sizeof *c->is_dir);
    c->paths[c->len] = th_xstrdup(path);
    c->is_dir[c->len] = is_dir;
    c->len++;
}

/* Removes what was created, newest first (files before their directory). */
static void created_undo(const created *c)
{
    for (size_t i = c->len; i-- > 0;)
        (void)(c->is_dir[i] ? rmdir(c->paths[i]) : unlink(c->paths[i]));
}

static void created_free(created *c)
{
    for (size_t i = 0; i < c->len; i++)
        free(c->paths[i]);
    free(c->paths);
    free(c->is_dir);
}

static char *path_join(const char *dir, const char *name)
{
    th_buf b = TH_BUF_INIT;
    if (strcmp(dir, ".") != 0) {
        th_buf_append_str(&b, dir);
        if (b.len && b.data[b.len - 1] != '/')
            th_buf_append_byte(&b, '/');
    }
    th_buf_append_str(&b, name);
    th_buf_cstr(&b);
    return (char *)th_buf_take(&b, NULL);
}

/* ---- Checking what was asked ------------------------------------------------------------- */

/* 0 when `name` can name an actor, its directory and its module;
 * otherwise a usage error saying what is wrong. */
static int check_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > NAME_MAX_LEN)
        return cli_usage_error("new: a name is 1 to %d characters long; '%s' has %zu", NAME_MAX_LEN,
                               name, len);
    if (name[0] < 'a' || name[0] > 'z')
        return cli_usage_error("new: a name starts with a lowercase letter (a-z): '%s'", name);
    for (size_t i = 1; i < len; i++) {
        char c = name[i];
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
            continue;
        return cli_usage_error("new: a name holds only a-z, 0-9 and '-': '%s' has '%c' at "
                               "position %zu",
                               name, c, i + 1);
    }
    return EXIT_OK;
}

static const template_info *find_template(const char *name)
{
    for (size_t i = 0; i < N_TEMPLATES; i++)
        if (strcmp(templates[i].name, name) == 0)
            return &templates[i];
    return NULL;
}

static int unknown_template(const char *name)
{
    const char *names[N_TEMPLATES + 1];
    for (size_t i = 0; i < N_TEMPLATES; i++)
        names[i] = templates[i].name;
    names[N_TEMPLATES] = NULL;
    const char *guess = th_suggest(name, names);
    if (guess)
        return cli_usage_error("new: unknown template '%s'; did you mean '%s'? (basic, http, "
                               "supervisor)",
                               name, guess);
    return cli_usage_error("new: unknown template '%s' (basic, http or supervisor)", name);
}

/* 1 when dir is an empty directory, 0 when it has entries, -1 with errno. */
static int dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    int empty = 1;
    errno = 0;
    while (empty && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = 0;
    int read_errno = errno;
    closedir(d);
    errno = read_errno;
    return empty == 1 && read_errno ? -1 : empty;
}

/* Makes the project directory: new, or an existing empty one. */
static int make_target(const char *parent, const char *target, created *made, th_error *err)
{
    struct stat st;
    if (stat(target, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return th_error_set(err, "%s exists and is not a directory", target);
        int empty = dir_is_empty(target);
        if (empty < 0)
            return th_error_set(err, "cannot read %s: %s", target, strerror(errno));
        if (!empty)
            return th_error_set(err,
                                "%s already exists and is not empty: choose another name, or "
                                "another place with --dir",
                                target);
        return 0;
    }
    if (errno != ENOENT)
        return th_error_set(err, "cannot use %s: %s", target, strerror(errno));
    if (strcmp(parent, ".") != 0 && th_mkdir_p(parent, 0755))
        return th_error_set(err, "cannot create %s: %s", parent, strerror(errno));
    if (mkdir(target, 0755))
        return th_error_set(err, "cannot create %s: %s", target, strerror(errno));
    created_add(made, target, true);
    return 0;
}

/* ---- Copying a template --------------------------------------------------------------- */

typedef struct substitution {
    const char *key; /* "{{name}}" */
    const char *value;
} substitution;

/* `text` with every key of `subs` replaced by its value. */
static void substitute(const char *text, size_t len, const substitution *subs, size_t n_subs,
                       th_buf *out)
{
    size_t i = 0;
    while (i < len) {
        size_t matched = 0;
        for (size_t s = 0; s < n_subs && !matched; s++) {
            size_t klen = strlen(subs[s].key);
            if (klen <= len - i && memcmp(text + i, subs[s].key, klen) == 0) {
                th_buf_append_str(out, subs[s].value);
                matched = klen;
            }
        }
        if (matched) {
            i += matched;
        } else {
            th_buf_append_byte(out, (uint8_t)text[i]);
            i++;
        }
    }
}

static int write_new_file(const char *path, const th_buf *content)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < content->len) {
        ssize_t n = write(fd, content->data + done, content->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int saved = n < 0 ? errno : EIO;
            close(fd);
            errno = saved;
            return -1;
        }
        done += (size_t)n;
    }
    return close(fd);
}

static int copy_file(const char *from, const char *to, const substitution *subs, size_t n_subs,
                     created *made, th_error *err)
{
    th_buf text = TH_BUF_INIT, out = TH_BUF_INIT;
    int rc = 0;
    if (th_read_file(from, TEMPLATE_FILE_MAX, &text)) {
        rc = th_error_set(err, "cannot read the template file %s: %s", from, strerror(errno));
    } else {
        substitute((const char *)text.data, text.len, subs, n_subs, &out);
        if (write_new_file(to, &out) == 0) {
            created_add(made, to, false);
        } else {
            int saved = errno;
            if (saved != EEXIST) /* O_EXCL: then the file, if any, is ours, partly written */
                unlink(to);
            rc = th_error_set(err, "cannot write %s: %s", to, strerror(saved));
        }
    }
    th_buf_free(&text);
    th_buf_free(&out);
    return rc;
}

static int copy_tree(const char *from, const char *to, const substitution *subs, size_t n_subs,
                     created *made, th_error *err);

static int copy_entry(const char *from, const char *to, const substitution *subs, size_t n_subs,
                      created *made, th_error *err)
{
    struct stat st;
    if (lstat(from, &st))
        return th_error_set(err, "cannot read the template file %s: %s", from, strerror(errno));
    if (S_ISREG(st.st_mode))
        return copy_file(from, to, subs, n_subs, made, err);
    if (!S_ISDIR(st.st_mode))
        return th_error_set(err, "the template holds %s, which is neither a file nor a directory",
                            from);
    if (mkdir(to, 0755))
        return th_error_set(err, "cannot create %s: %s", to, strerror(errno));
    created_add(made, to, true);
    return copy_tree(from, to, subs, n_subs, made, err);
}

/* Every entry of the template directory `from`, in name order. */
static int copy_tree(const char *from, const char *to, const substitution *subs, size_t n_subs,
                     created *made, th_error *err)
{
    struct dirent **entries;
    int n = scandir(from, &entries, NULL, alphasort);
    if (n < 0)
        return th_error_set(err, "cannot read the template %s: %s", from, strerror(errno));
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *name = entries[i]->d_name;
        if (!rc && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
            char *src = path_join(from, name), *dst = path_join(to, name);
            rc = copy_entry(src, dst, subs, n_subs, made, err);
            free(src);
            free(dst);
        }
        free(entries[i]);
    }
    free(entries);
    return rc;
}

/* sdk/templates/NAME, absolute; NULL with err. */
static char *template_dir(const char *name, char **sdk_out, th_error *err)
{
    char *sdk = cli_sdk_dir(err);
    if (!sdk)
        return NULL;
    th_buf path = TH_BUF_INIT;
    th_buf_printf(&path, "%s/../templates/%s", sdk, name);
    char *dir = realpath(th_buf_cstr(&path), NULL);
    if (!dir)
        th_error_set(err, "the template '%s' is not installed: %s: %s", name, th_buf_cstr(&path),
                     strerror(errno));
    th_buf_free(&path);
    if (!dir) {
        free(sdk);
        return NULL;
    }
    *sdk_out = sdk;
    return dir;
}

/* ---- Telling the user ------------------------------------------------------------------ */

static void print_created(const char *target, const template_info *t, const created *made)
{
    printf("created   %s, from the %s template: %s\n", target, t->name, t->what);
    for (size_t i = 0; i < made->len; i++)
        if (!made->is_dir[i])
            printf("          %s\n", made->paths[i]);
    substitution dir = {"{{dir}}", target};
    for (size_t i = 0; i < MAX_NEXT && t->next[i]; i++) {
        th_buf line = TH_BUF_INIT;
        substitute(t->next[i], strlen(t->next[i]), &dir, 1, &line);
        printf("%s%s\n", i ? "          " : "next      ", th_buf_cstr(&line));
        th_buf_free(&line);
    }
}

/* ---- The command ------------------------------------------------------------------------ */

static int parse_args(int argc, char **argv, new_opts *o)
{
    *o = (new_opts){.template_name = "basic", .dir = "."};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(new_usage, stdout);
            exit(EXIT_OK);
        } else if (strcmp(a, "--template") == 0 || strcmp(a, "--dir") == 0) {
            if (i + 1 >= argc || !*argv[i + 1])
                return cli_usage_error("new: %s needs a value", a);
            *(a[2] == 't' ? &o->template_name : &o->dir) = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("new: unknown option '%s' (see `theater new --help`)", a);
        } else if (o->name) {
            return cli_usage_error("new: one NAME at a time ('%s' is extra)", a);
        } else {
            o->name = a;
        }
    }
    if (!o->name)
        return cli_usage_error("new: give the actor a NAME (see `theater new --help`)");
    return EXIT_OK;
}

static int create_project(const new_opts *o, const template_info *t, th_error *err)
{
    char *sdk = NULL;
    char *from = template_dir(t->name, &sdk, err);
    if (!from)
        return -1;
    char *target = path_join(o->dir, o->name);
    created made = {0};
    const substitution subs[] = {{"{{name}}", o->name}, {"{{sdk}}", sdk}};
    int rc = make_target(o->dir, target, &made, err);
    if (!rc)
        rc = copy_tree(from, target, subs, sizeof subs / sizeof subs[0], &made, err);
    if (rc)
        created_undo(&made);
    else
        print_created(target, t, &made);
    created_free(&made);
    free(target);
    free(from);
    free(sdk);
    return rc;
}

int cmd_new(int argc, char **argv)
{
    new_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != EXIT_OK)
        return rc;
    rc = check_name(o.name);
    if (rc != EXIT_OK)
        return rc;
    const template_info *t = find_template(o.template_name);
    if (!t)
        return unknown_template(o.template_name);
    th_error err = {0};
    if (create_project(&o, t, &err))
        return cli_usage_error("new: %s", err.msg);
    return EXIT_OK;
}
