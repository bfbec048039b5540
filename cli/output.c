#include "cli/output.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "chain/chain.h"
#include "common/hex.h"
#include "common/utf8.h"
#include "common/value.h"

void print_chain_text(const th_chain *chain)
{
    th_buf b = TH_BUF_INIT;
    for (size_t i = 0; i < th_chain_length(chain); i++) {
        const th_event *ev = th_chain_event(chain, i);
        char hash[17];
        th_hex_encode(ev->hash, 8, hash);
        th_buf_reset(&b);
        /* names come from storage too, where anyone may have written them */
        th_utf8_escape((const uint8_t *)ev->name, strlen(ev->name), &b);
        th_buf_append_byte(&b, ' ');
        th_event_render_io(ev, 120, &b);
        printf("  %4" PRIu64 "  %-6s %s  %s\n", ev->index, th_event_type_name(ev->type), hash,
               th_buf_cstr(&b));
    }
    th_buf_free(&b);
}

json_t *chain_json(const th_chain *chain)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < th_chain_length(chain); i++) {
        const th_event *ev = th_chain_event(chain, i);
        json_t *o = event_json(ev);
        if (!o) /* a name that is not UTF-8: only a tampered chain has one */
            o = json_pack("{s:I, s:s}", "index", (json_int_t)ev->index, "error",
                          "this event's name is not valid UTF-8");
        json_array_append_new(arr, o);
    }
    return arr;
}
