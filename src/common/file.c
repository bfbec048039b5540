#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int th_read_file(const char *path, size_t limit, th_buf *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0)
        goto fail;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        goto fail;
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > limit) {
        errno = EFBIG;
        goto fail;
    }
    for (;;) {
        /* Ask for one byte past the limit, so that a growing or non-regular
         * file over the limit is noticed too. */
        th_buf_reserve(out, 64 * 1024);
        size_t room = out->cap - out->len;
        if (room > limit + 1 - out->len)
            room = limit + 1 - out->len;
        ssize_t n = read(fd, out->data + out->len, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto fail;
        if (n == 0)
            break;
        out->len += (size_t)n;
        if (out->len > limit) {
            errno = EFBIG;
            goto fail;
        }
    }
    close(fd);
    return 0;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

static int make_one(const char *path, mode_t mode)
{
    if (mkdir(path, mode) == 0)
        return 0;
    int saved = errno;
    struct stat st;
    if (saved == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    errno = saved == EEXIST ? ENOTDIR : saved;
    return -1;
}

int th_mkdir_p(const char *dir, mode_t mode)
{
    char *path = th_xstrdup(dir);
    int rc = 0;
    for (char *p = path + 1; *p && rc == 0; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        rc = make_one(path, mode);
        *p = '/';
    }
    if (rc == 0)
        rc = make_one(path, mode);
    int saved = errno;
    free(path);
    errno = saved;
    return rc;
}
