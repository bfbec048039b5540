/* The portable chain file of `theater chain export` and `import`
 * (docs/chain.md, "Export format"). */
#ifndef TH_CLI_CHAIN_FILE_H
#define TH_CLI_CHAIN_FILE_H

#include "store/db.h"

/* Writes the actor's registry entry, chain, states and package to path
 * ("-": stdout). */
int chain_file_export(th_db_reader *r, const char *id_or_prefix, const char *path, th_error *err);

/* Reads, checks and verifies an exported chain, then stores it. Returns 0
 * when stored (id_out gets the actor's id), 1 when the file is well formed
 * but its chain does not verify, -1 on any other error. */
int chain_file_import(th_db *db, const char *path, char id_out[33], th_error *err);

#endif
