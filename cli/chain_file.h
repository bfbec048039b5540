/* The portable chain file of `theater chain export` and `import`
 * (docs/chain.md, "Export format"). */
#ifndef TH_CLI_CHAIN_FILE_H
#define TH_CLI_CHAIN_FILE_H

#include <jansson.h>

#include "common/arena.h"
#include "store/db.h"

/* Writes the actor's registry entry, chain, states and package to path
 * ("-": stdout). */
int chain_file_export(th_db_reader *r, const char *id_or_prefix, const char *path, th_error *err);

/* An export read into memory. */
typedef struct chain_file {
    json_t *root;        /* owns the strings of `actor` */
    th_arena arena;      /* owns the decoded bytes */
    th_actor_info actor; /* do not th_actor_info_clear it: its strings are root's */
    th_chain *chain;     /* with the registry's head and count as its record */
    json_t *states;      /* state hash (hex) -> bytes (hex), borrowed; may be NULL */
    const uint8_t *wasm; /* the package, NULL when the export has none */
    size_t wasm_len;
} chain_file;

/* Reads and checks an export (field types, state and package hashes) and
 * verifies its chain. 0 when it verifies, 1 when it is well formed but does
 * not verify, -1 otherwise. Release f in every case. */
int chain_file_load(const char *path, chain_file *f, th_error *err);
void chain_file_release(chain_file *f);
/* A state's bytes from the export: 1 found (*out malloc'd), 0 absent. */
int chain_file_state(chain_file *f, const uint8_t hash[TH_HASH_SIZE], uint8_t **out, size_t *len);

/* Reads, checks and verifies an exported chain, then stores it. Returns 0
 * when stored (id_out gets the actor's id), 1 when the file is well formed
 * but its chain does not verify, -1 on any other error. */
int chain_file_import(th_db *db, const char *path, char id_out[33], th_error *err);

#endif
