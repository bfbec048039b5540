/* The database handle: finding or creating the data directory, opening
 * theater.db through the checks of schema.c, and handing the connection to
 * the writer thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/file.h"
#include "store/store_internal.h"

static const char *const durability_names[] = {"off", "batch", "always"};

const char *th_durability_name(th_durability d)
{
    if ((int)d < 0 || (size_t)d >= sizeof durability_names / sizeof durability_names[0])
        return "unknown";
    return durability_names[d];
}

int th_durability_parse(const char *s)
{
    for (size_t i = 0; s && i < sizeof durability_names / sizeof durability_names[0]; i++)
        if (strcmp(s, durability_names[i]) == 0)
            return (int)i;
    return -1;
}

/* 0700: the data directory holds manifests and states, which may hold
 * secrets. */
static int make_dirs(const char *dir, th_error *err)
{
    if (th_mkdir_p(dir, 0700) == 0)
        return 0;
    if (errno == ENOTDIR)
        return th_error_set(err, "data directory %s: it exists and is not a directory", dir);
    return th_error_set(err, "cannot create the data directory %s: %s", dir, strerror(errno));
}

char *th_store_db_path(const char *dir)
{
    th_buf b = TH_BUF_INIT;
    size_t n = strlen(dir);
    th_buf_printf(&b, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", TH_DB_FILE);
    return (char *)th_buf_take(&b, NULL);
}

static void db_free(th_db *db)
{
    free(db->dir);
    free(db->path);
    free(db);
}

th_db *th_db_open(const char *dir, th_durability durability, th_error *err)
{
    if (!dir || !*dir) {
        th_error_set(err, "no data directory given");
        return NULL;
    }
    if ((unsigned)durability > TH_DURABILITY_ALWAYS) {
        th_error_set(err, "unknown durability mode %d (off, batch or always)", (int)durability);
        return NULL;
    }
    if (make_dirs(dir, err) != 0)
        return NULL;
    th_db *db = th_xcalloc(1, sizeof *db);
    db->dir = th_xstrdup(dir);
    db->path = th_store_db_path(dir);
    db->durability = durability;

    sqlite3 *conn = th_store_connect(db->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
    if (!conn)
        goto fail;
    if (th_store_migrate(conn, db->path, err) != 0 ||
        th_store_check_file(conn, db->path, &db->schema_version, err) != 0) {
        th_store_disconnect(conn);
        goto fail;
    }
    db->writer = th_writer_start(conn, db->path, durability, err);
    if (!db->writer)
        goto fail;
    return db;
fail:
    db_free(db);
    return NULL;
}

void th_db_close(th_db *db)
{
    if (!db)
        return;
    th_writer_stop(db->writer);
    db_free(db);
}

const char *th_db_path(const th_db *db)
{
    return db->path;
}

th_durability th_db_durability(const th_db *db)
{
    return db->durability;
}

int th_db_schema_version(th_db *db)
{
    return db->schema_version;
}
