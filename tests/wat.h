/* Guests written in WAT for the tests: the pieces most of them share, and
 * one way to compile one into a .wasm file. */
#ifndef THEATER_TESTS_WAT_H
#define THEATER_TESTS_WAT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasmtime.h>

#include "common/buf.h"

/* A memory and a bump allocator as cabi_realloc (it never frees). */
#define WAT_MEMORY_AND_ALLOCATOR                                                                   \
    "(memory (export \"memory\") 1)\n"                                                             \
    "(global $bump (mut i32) (i32.const 4096))\n"                                                  \
    "(func $realloc (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32) (local $p "     \
    "i32)\n"                                                                                       \
    "  (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const "      \
    "1)))\n"                                                                                       \
    "                         (i32.sub (i32.const 0) (local.get 2))))\n"                           \
    "  (global.set $bump (i32.add (local.get $p) (local.get 3)))\n"                                \
    "  (local.get $p))\n"

/* An init that keeps the state it is given. */
#define WAT_INIT_KEEPS_STATE                                                                       \
    "(func (export \"theater:simple/actor#init\") (param i32 i32 i32 i32 i32) (result i32)\n"      \
    "  (i32.store8 (i32.const 0) (i32.const 0))\n"                                                 \
    "  (i32.store8 (i32.const 4) (local.get 0))\n"                                                 \
    "  (i32.store (i32.const 8) (local.get 1))\n"                                                  \
    "  (i32.store (i32.const 12) (local.get 2))\n"                                                 \
    "  (i32.const 0))\n"

/* Compiles the WAT text to dir/name.wasm and returns that path (malloc'd);
 * NULL when the text is not valid WAT. Aborts when the file cannot be
 * written: the test could not go on. */
static inline char *wat_to_file(const char *dir, const char *name, const char *wat, size_t len)
{
    wasm_byte_vec_t wasm;
    wasmtime_error_t *error = wasmtime_wat2wasm(wat, len, &wasm);
    if (error) {
        wasm_name_t msg;
        wasmtime_error_message(error, &msg);
        fprintf(stderr, "wat2wasm %s: %.*s\n", name, (int)msg.size, msg.data);
        wasm_byte_vec_delete(&msg);
        wasmtime_error_delete(error);
        return NULL;
    }
    th_buf path = TH_BUF_INIT;
    th_buf_printf(&path, "%s/%s.wasm", dir, name);
    FILE *f = fopen(th_buf_cstr(&path), "wb");
    if (!f || fwrite(wasm.data, 1, wasm.size, f) != wasm.size || fclose(f) != 0)
        abort();
    wasm_byte_vec_delete(&wasm);
    return (char *)th_buf_take(&path, NULL);
}

#endif
