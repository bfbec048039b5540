#include "chain/event_json.h"

#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "common/buf.h"
#include "common/hex.h"
#include "common/utf8.h"

/* Bytes that parse as JSON become that JSON, other UTF-8 a string, and
 * anything else {"hex": "..."}: nothing an actor returns is dropped. */
json_t *bytes_to_json(const uint8_t *p, size_t len)
{
    json_t *j = json_loadb((const char *)p, len, JSON_DECODE_ANY, NULL);
    if (!j && th_utf8_valid(p, len))
        j = json_stringn((const char *)p, len);
    if (!j) {
        char *hex = malloc(2 * len + 1);
        if (!hex)
            return NULL;
        th_hex_encode(p, len, hex);
        j = json_pack("{s:s}", "hex", hex);
        free(hex);
    }
    return j;
}

json_t *event_json(const th_event *ev)
{
    char hash[65], parent[65], state[65];
    th_hex_encode(ev->hash, TH_HASH_SIZE, hash);
    th_hex_encode(ev->parent, TH_HASH_SIZE, parent);
    th_hex_encode(ev->state_hash, TH_HASH_SIZE, state);
    th_buf b = TH_BUF_INIT;
    th_event_render_io(ev, 120, &b);
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:I, s:s%, s:s%, s:o}", "index",
                          (json_int_t)ev->index, "type", th_event_type_name(ev->type), "hash", hash,
                          "parent", parent, "timestamp_ns", (json_int_t)ev->timestamp_ns, "name",
                          ev->name, strlen(ev->name), "summary", b.data ? (char *)b.data : "",
                          b.len, "state_hash", ev->has_state ? json_string(state) : json_null());
    th_buf_free(&b);
    return o;
}
