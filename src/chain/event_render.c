/* Events as people read them: `chain show`, replay reports. */
#include <string.h>

#include "chain/chain.h"
#include "common/value.h"

static const char *const trap_kinds[] = {"trap", "timeout", "out-of-memory", "export-error",
                                         "abi-violation"};

const char *th_trap_kind_name(uint32_t kind)
{
    return kind < sizeof trap_kinds / sizeof trap_kinds[0] ? trap_kinds[kind] : "unknown";
}

/* One encoded value; a trap's actor-error as "kind: message". */
static void render_payload(const th_event *ev, const uint8_t *p, size_t len, size_t max,
                           th_buf *out)
{
    th_arena a = TH_ARENA_INIT;
    th_error err;
    th_val *v = th_val_decode(&a, p, len, &err);
    if (ev->type == TH_EV_TRAP && v && v->kind == TH_VAL_VARIANT && v->var.payload &&
        v->var.payload->kind == TH_VAL_STRING)
        th_buf_printf(out, "%s: %.*s", th_trap_kind_name(v->var.disc),
                      (int)v->var.payload->bytes.len, (const char *)v->var.payload->bytes.ptr);
    else if (v)
        th_val_render(v, out, max);
    else
        th_buf_printf(out, "<%zu bytes: %s>", len, err.msg);
    th_arena_free(&a);
}

void th_event_render_io(const th_event *ev, size_t max, th_buf *out)
{
    if (ev->input_len)
        render_payload(ev, ev->input, ev->input_len, max, out);
    if (ev->input_len && ev->output_len)
        th_buf_append_str(out, " -> ");
    if (ev->output_len)
        render_payload(ev, ev->output, ev->output_len, max, out);
}
