/* Small file-system helpers shared by the manifest reader, the module
 * cache and the data directory. They report failures through errno, so each
 * caller writes the message that names its own file and purpose. */
#ifndef TH_COMMON_FILE_H
#define TH_COMMON_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "common/buf.h"

/* Appends the whole file to out. -1 with errno: EISDIR for a directory,
 * EFBIG when it holds more than `limit` bytes (noticed even for a file that
 * grows while being read, or one that is not regular), or open/read's. */
int th_read_file(const char *path, size_t limit, th_buf *out);

/* mkdir -p with `mode` for what it creates. -1 with errno; ENOTDIR when
 * something on the way exists and is not a directory. */
int th_mkdir_p(const char *dir, mode_t mode);

#endif
