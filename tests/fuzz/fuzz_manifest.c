/* libFuzzer target for the manifest reader (src/manifest/): arbitrary bytes
 * as a manifest's text. A manifest is the one file a user hands Theater
 * about code they did not write, so the parser must refuse anything with a
 * message, never crash, over-read or leak (ASan and LSan watch), and free
 * whatever it accepted. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "theater/theater.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A manifest may name files (initial_state_file): with stdin at /dev/null,
 * "/dev/stdin" cannot wait for a terminal. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
        abort();
    close(fd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly `size` bytes: ASan catches any read past the text,
     * since the parser is given a length, not a terminated string. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    th_error err;
    memset(&err, 0x55, sizeof err); /* a message must be written, and terminated */
    th_manifest *m = th_manifest_parse(text, size, "/nonexistent/fuzz/manifest.toml", &err);
    if (m) {
        if (!th_manifest_name(m))
            abort();
        th_manifest_free(m);
    } else if (memchr(err.msg, '\0', sizeof err.msg) == NULL || err.msg[0] == '\0') {
        abort(); /* refused without saying why */
    }
    free(text);
    return 0;
}
