/* chat_json: the little the chat actors need beyond theater/json.h, which
 * reads only top-level strings, integers and booleans. The chat keeps lists
 * in its state (who is in the room, what a client heard), so it needs a
 * value's raw text, a walk over an object's members or an array's items,
 * and a string value written with its escapes.
 *
 * Every function here takes text that theater_json_check_object() has
 * accepted (or a span taken from such text): the walk trusts its structure
 * and only guards against running past the end. */
#ifndef CHAT_JSON_H
#define CHAT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "theater/actor.h"

/* A value's text, as written, inside a document someone else owns. */
typedef struct chat_span {
    const uint8_t *ptr;
    size_t len;
} chat_span;

/* The value of top-level `key` in a checked object; false when it has no
 * such key. Keys are compared as written (no escapes in ours). */
bool chat_json_find(const void *doc, size_t len, const char *key, chat_span *value);

/* Steps through an object's members or an array's items: start with
 * *pos = 0; each call fills *value (and, for an object, *key: the key's
 * text without its quotes, escapes as written) and returns false once there
 * is nothing left. */
bool chat_json_next(chat_span container, size_t *pos, chat_span *key, chat_span *value);

/* `text` as a JSON string value, quotes and escapes included (owned). */
theater_bytes chat_json_quote(const char *text, size_t len);

/* An array of the items of `list` (a checked array) after the first `skip`
 * ones, with `item` (JSON text) appended: a bounded log grows this way. */
theater_bytes chat_json_append(chat_span list, size_t skip, const theater_bytes *item);

/* How many items or members `container` holds. */
size_t chat_json_count(chat_span container);

#endif
