"""Pipelining: many requests written without waiting; every one answered,
in order, its id echoed."""

import time

from harness import run, test
from theater_client import encode_json

N = 1000


@test
def a_thousand_requests_in_one_write(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        a = ctx.start(conn, "counter")
        requests = []
        for i in range(N):
            rid = i if i % 3 else "req-%d" % i  # numbers and strings
            kind = i % 4
            if kind == 0:
                req = {"command": "RequestActorMessage", "actor": a, "message": {"op": "inc"}}
            elif kind == 1:
                req = {"command": "GetActorStatus", "actor": a}
            elif kind == 2:
                req = {"command": "SendActorMessage", "actor": a, "message": {"op": "inc"}}
            else:
                req = {"command": "GetActorStatus", "actor": "not-an-actor"}
            req["id"] = rid
            requests.append(req)
        conn.send_raw(b"".join(encode_json(r) for r in requests))
        responses = [conn.next_response() for _ in range(N)]
        c.eq([r.get("id") for r in responses], [r["id"] for r in requests],
             "responses come in request order, each with its id")
        counts = [r["result"]["response"]["count"] for r in responses[0::4] if r.get("ok")]
        # Request i (every 4th) follows i/4 requests and i/4 sends, each an inc.
        c.eq(counts, [2 * k + 1 for k in range(N // 4)], "the incs ran in the order sent")
        ok_kinds = [r.get("ok") for r in responses[:8]]
        c.eq(ok_kinds, [True, True, True, False] * 2, "each answer is its own request's")
        c.eq(responses[3].get("error", {}).get("code"), "not_found", "the bad ones: not_found")
        got = conn.call("RequestActorMessage", actor=a, message={"op": "get"})
        c.eq(got, {"response": {"count": N // 2}}, "every inc was handled once")


@test
def pipelined_on_many_connections_at_once(ctx):
    c = ctx.checks
    conns = [ctx.connect() for _ in range(8)]
    try:
        a = ctx.start(conns[0], "counter")
        per = 200
        for conn in conns:  # everything is written before anything is read
            conn.send_raw(b"".join(
                encode_json({"id": i, "command": "SendActorMessage", "actor": a,
                             "message": {"op": "inc"}}) for i in range(per)))
        for k, conn in enumerate(conns):
            ids = [conn.next_response().get("id") for _ in range(per)]
            c.eq(ids, list(range(per)), "connection %d: its responses, in order" % k)
        got = conns[0].call("RequestActorMessage", actor=a, message={"op": "get"})
        c.eq(got, {"response": {"count": per * len(conns)}}, "every inc from every connection")
    finally:
        for conn in conns:
            conn.close()


@test
def pipelined_batches_are_answered_without_delay(ctx):
    c = ctx.checks
    # Batches of 16 requests, each batch written at once and its answers
    # read before the next: about a millisecond each, unless the server's
    # small writes wait for TCP acknowledgments (Nagle's algorithm against
    # the client's delayed ACK: 40 ms a batch).
    batches, per = 40, 16
    for address in (ctx.address, ctx.socket_path):
        with ctx.connect(address) as conn:
            t0 = time.monotonic()
            for _ in range(batches):
                conn.send_raw(b"".join(encode_json({"id": i, "command": "GetActorStatus",
                                                    "actor": ctx.witness.actor})
                                       for i in range(per)))
                for _ in range(per):
                    conn.next_response()
            elapsed = time.monotonic() - t0
            c.check(elapsed < 1.0, "%d batches of %d pipelined requests over %s took %.2f s"
                    % (batches, per, address, elapsed))


@test
def a_slow_request_does_not_hold_up_other_connections(ctx):
    c = ctx.checks
    with ctx.connect() as slow, ctx.connect() as quick:
        spinner = ctx.start_slow_crasher(quick, time_ms=2000)
        rid = slow.next_id()
        slow.send({"id": rid, "command": "RequestActorMessage", "actor": spinner,
                   "message": {"op": "spin"}})
        time.sleep(0.2)  # it is running
        t0 = time.monotonic()
        for _ in range(10):
            quick.call("GetActorStatus", actor=ctx.witness.actor)
            quick.call("SendActorMessage", actor=ctx.witness.actor, message={"op": "inc"})
            ctx.witness.note(1)
        elapsed = time.monotonic() - t0
        c.check(elapsed < 1.0, "20 requests elsewhere took %.2f s during a 2 s call" % elapsed)
        resp = slow.response(rid)
        c.error(resp, "actor_error", "the spin ends at the time limit", mentions="time", rid=rid)


@test
def list_and_status_answer_while_an_actor_is_busy(ctx):
    c = ctx.checks
    with ctx.connect() as slow, ctx.connect() as quick:
        spinner = ctx.start_slow_crasher(quick, time_ms=2000)
        rid = slow.next_id()
        slow.send({"id": rid, "command": "RequestActorMessage", "actor": spinner,
                   "message": {"op": "spin"}})
        time.sleep(0.2)  # it is running
        t0 = time.monotonic()
        listed = quick.call("ListActors")["actors"]
        st = quick.call("GetActorStatus", actor=spinner)
        elapsed = time.monotonic() - t0
        c.check(elapsed < 0.5, "ListActors and the busy actor's status took %.2f s while it "
                "ran a 2 s call: management waits on the actor" % elapsed)
        c.check(any(a["id"] == spinner for a in listed), "the busy actor is listed")
        c.eq(st["status"], "running", "the busy actor runs")
        slow.response(rid)


if __name__ == "__main__":
    run(verify_after_each=True)
