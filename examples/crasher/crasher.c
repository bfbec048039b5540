/* crasher: an actor that misbehaves on demand, to show (and test) that the
 * runtime stops a bad actor, records why, and keeps serving everyone else.
 * Every op works as a send or a request:
 *
 *   {"op":"ping"}   answers {"ok":true} (a request; a send just succeeds)
 *   {"op":"crash"}  traps at once (wasm `unreachable`)
 *   {"op":"spin"}   loops forever: stopped by the fuel or time limit
 *   {"op":"bomb"}   allocates and touches memory until malloc fails, then
 *                   traps: stopped at the memory limit
 *   {"op":"deep"}   recurses without end: stopped by the wasm stack limit
 *
 * Each misbehaviour is written so that clang cannot optimise it away: the
 * loop and the recursion touch volatile memory, and the allocations stay
 * reachable from a volatile pointer. */
#include <stdlib.h>

#include "theater/actor.h"
#include "theater/json.h"

#define OP_MAX 16
#define BOMB_BLOCK (1024 * 1024)
#define PAGE 4096

static volatile uint64_t spins;
static void *volatile bomb_head;
/* Never reached; a base case keeps the recursion well-formed C. */
static volatile uint32_t deep_limit = UINT32_MAX;

static void spin(void)
{
    for (;;)
        spins++;
}

static void bomb(void)
{
    for (;;) {
        void **block = malloc(BOMB_BLOCK);
        if (!block)
            __builtin_trap();
        volatile uint8_t *bytes = (volatile uint8_t *)block;
        for (size_t i = sizeof(void *); i < BOMB_BLOCK; i += PAGE)
            bytes[i] = 1; /* touch every page, so the memory is really used */
        *block = bomb_head;
        bomb_head = block;
    }
}

/* The volatile frame lives on the stack and is read after the recursive
 * call, so the call is neither a tail call nor foldable into a loop. */
__attribute__((noinline)) static uint32_t deep(uint32_t depth)
{
    volatile uint8_t frame[16];
    frame[depth % sizeof frame] = (uint8_t)depth;
    if (depth == deep_limit)
        return 0;
    return deep(depth + 1) + frame[depth % sizeof frame];
}

static bool is_op(const char *op, size_t op_len, const char *name)
{
    return op_len == strlen(name) && memcmp(op, name, op_len) == 0;
}

/* Runs the op; only "ping" comes back, with *pinged set. */
static theater_err run_op(const theater_bytes *msg, bool *pinged)
{
    char op[OP_MAX];
    size_t op_len;
    theater_json_status st =
        theater_json_get_string(msg->ptr, msg->len, "op", op, sizeof op, &op_len);

    *pinged = false;
    if (st == THEATER_JSON_TOO_LONG)
        return theater_error_detail("unknown op: ", op, sizeof op - 1);
    if (st != THEATER_JSON_OK)
        return theater_json_error("op", "a string", st);
    if (is_op(op, op_len, "ping")) {
        *pinged = true;
        return THEATER_OK;
    }
    if (is_op(op, op_len, "crash"))
        __builtin_trap();
    if (is_op(op, op_len, "spin"))
        spin();
    if (is_op(op, op_len, "bomb"))
        bomb();
    if (is_op(op, op_len, "deep")) {
        deep(0);
        __builtin_trap(); /* unreachable: the stack runs out first */
    }
    return theater_error_detail("unknown op (try ping, crash, spin, bomb, deep): ", op, op_len);
}

static theater_err crasher_init(theater_state *state, theater_string actor_id)
{
    (void)state; /* kept as given */
    (void)actor_id;
    return THEATER_OK;
}

static theater_err crasher_send(theater_state *state, theater_bytes *msg)
{
    bool pinged;
    (void)state;
    return run_op(msg, &pinged);
}

static theater_err crasher_request(theater_state *state, theater_bytes *msg,
                                   theater_bytes *response)
{
    bool pinged;
    (void)state;
    theater_err e = run_op(msg, &pinged);
    if (theater_failed(e))
        return e;
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_bool(&w, "ok", pinged);
    *response = theater_json_end(&w);
    return THEATER_OK;
}

THEATER_EXPORT_INIT(crasher_init)
THEATER_EXPORT_HANDLE_SEND(crasher_send)
THEATER_EXPORT_HANDLE_REQUEST(crasher_request)
THEATER_EXPORT_NO_CHANNELS()
