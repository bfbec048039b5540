/* The engine remembers which package file held which module, so that a
 * spawn of the same file does not read and hash it again; a file that
 * changes in any way must be read again. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "common/file.h"
#include "exec/engine.h"
#include "exec/module.h"

static th_engine *engine;
static char dir[] = "/tmp/theater-pkgfiles-XXXXXX";
static char path[128];

static void copy_example(const char *name, const char *to)
{
    char from[512];
    snprintf(from, sizeof from, "%s/examples/%s.wasm", THEATER_BINARY_DIR, name);
    th_buf b = TH_BUF_INIT;
    if (th_read_file(from, 64 << 20, &b) != 0)
        abort();
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.new", to);
    FILE *f = fopen(tmp, "wb");
    if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0 || rename(tmp, to) != 0)
        abort();
    th_buf_free(&b);
}

TEST(the_same_file_gives_the_same_module_without_reading_it)
{
    th_error err;
    copy_example("counter", path);
    th_module *a = th_engine_load_module(engine, path, &err);
    th_module *b = th_engine_load_module(engine, path, &err);
    CHECK(a != NULL);
    CHECK(a == b);
}

TEST(a_replaced_file_is_read_again)
{
    th_error err;
    copy_example("counter", path);
    th_module *counter = th_engine_load_module(engine, path, &err);
    copy_example("echo", path); /* a new inode under the same name */
    th_module *echo = th_engine_load_module(engine, path, &err);
    CHECK(counter != NULL && echo != NULL);
    CHECK(counter != echo);
    CHECK(echo && memcmp(echo->hash, counter->hash, TH_HASH_SIZE) != 0);
    copy_example("counter", path); /* back: the bytes find the loaded module by hash */
    CHECK(th_engine_load_module(engine, path, &err) == counter);
}

TEST(a_file_rewritten_in_place_is_read_again)
{
    th_error err;
    copy_example("echo", path);
    th_module *echo = th_engine_load_module(engine, path, &err);
    char from[512];
    snprintf(from, sizeof from, "%s/examples/counter.wasm", THEATER_BINARY_DIR);
    th_buf b = TH_BUF_INIT;
    if (th_read_file(from, 64 << 20, &b) != 0)
        abort();
    FILE *f = fopen(path, "r+b"); /* same inode: size, mtime and ctime tell */
    CHECK(f && fwrite(b.data, 1, b.len, f) == b.len && ftruncate(fileno(f), (off_t)b.len) == 0);
    if (f)
        fclose(f);
    th_buf_free(&b);
    th_module *now = th_engine_load_module(engine, path, &err);
    CHECK(now != NULL && now != echo);
}

TEST(a_missing_file_is_an_error_every_time)
{
    th_error err;
    char gone[160];
    snprintf(gone, sizeof gone, "%s/gone.wasm", dir);
    CHECK(th_engine_load_module(engine, gone, &err) == NULL);
    CHECK_CONTAINS(err.msg, "gone.wasm");
}

int main(void)
{
    th_error err;
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/actor.wasm", dir);
    engine = th_engine_new(NULL, &err);
    if (!engine) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    RUN(the_same_file_gives_the_same_module_without_reading_it);
    RUN(a_replaced_file_is_read_again);
    RUN(a_file_rewritten_in_place_is_read_again);
    RUN(a_missing_file_is_an_error_every_time);
    th_engine_free(engine);
    unlink(path);
    rmdir(dir);
    return check_summary();
}
