/* chat: what the room, the clients and the lobby agree on: the limits of
 * names and lines, and reading them out of a message with a clear error. */
#ifndef CHAT_H
#define CHAT_H

#include <stdbool.h>
#include <stddef.h>

#include "theater/actor.h"

#define CHAT_ID_LEN 32    /* actor and channel ids: 32 lowercase hex digits */
#define CHAT_NAME_MAX 16  /* a member's name: letters, digits, '-' and '_' */
#define CHAT_TEXT_MAX 200 /* one line, in bytes */
#define CHAT_OP_MAX 16    /* room for the longest op, and its NUL */

/* The name at `key`: 1 to CHAT_NAME_MAX letters, digits, '-' or '_'. */
theater_err chat_read_name(const theater_bytes *msg, const char *key, char name[CHAT_NAME_MAX + 1]);

/* The line of text at `key`: at most CHAT_TEXT_MAX bytes. */
theater_err chat_read_text(const theater_bytes *msg, const char *key, char text[CHAT_TEXT_MAX + 1],
                           size_t *len);

/* True when the message (a JSON object) has `key`, whatever its value. */
bool chat_has(const theater_bytes *msg, const char *key);

/* The message's "op" into op (NUL-terminated). An op too long to be one
 * of ours is an unknown op; `expected` lists the known ones for the error,
 * e.g. "\"heard\" or \"leave\"". */
theater_err chat_read_op(const theater_bytes *msg, char op[CHAT_OP_MAX], const char *expected);

/* "unknown op: OP (expected EXPECTED)", OP shown safely: it is the sender's. */
theater_err chat_unknown_op(const char *op, size_t len, const char *expected);

#endif
