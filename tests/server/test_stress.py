"""The server under abuse: floods of garbage, a client that trickles, many
clients at once, clients that leave mid-request. After each, the witness
checks that another client is answered and no message was lost."""

import json
import random
import threading
import time

from harness import run, test
from theater_client import Connection, encode_frame, encode_json

GARBAGE_FRAMES = 10000
CLIENTS = 500


def garbage(rng):
    """A frame payload that is never a valid request."""
    kind = rng.randrange(5)
    if kind == 0:  # random bytes
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    if kind == 1:  # JSON that is not an object
        return json.dumps(rng.choice([rng.random(), [1, 2], "text", None, True])).encode()
    if kind == 2:  # an object that is cut short
        whole = json.dumps({"id": rng.randrange(10 ** 6), "command": "ListActors"}).encode()
        return whole[: rng.randrange(1, len(whole) - 1)]
    if kind == 3:  # an object that is not a request
        return json.dumps({"idd": 1, "x": rng.random()}).encode()
    return bytes([rng.randrange(0x80, 0x100)]) * rng.randrange(1, 16)  # bad UTF-8


@test
def ten_thousand_garbage_frames_on_one_connection(ctx):
    c = ctx.checks
    rng = random.Random(5)
    frames = b"".join(encode_frame(garbage(rng)) for _ in range(GARBAGE_FRAMES))
    with ctx.connect(timeout=120) as conn:
        # Written from another thread while this one reads, so that neither
        # side waits for the other with full buffers.
        writer = threading.Thread(target=conn.send_raw, args=(frames,))
        writer.start()
        codes = {}
        answered = 0
        try:
            for _ in range(GARBAGE_FRAMES):
                resp = conn.next_response(timeout=120)
                answered += 1
                code = resp.get("error", {}).get("code") if resp.get("ok") is False else "ok!"
                codes[code] = codes.get(code, 0) + 1
        finally:
            writer.join()
        c.eq(answered, GARBAGE_FRAMES, "every garbage frame is answered")
        c.eq(set(codes) - {"bad_frame", "bad_request"}, set(),
             "each is answered bad_frame or bad_request: %r" % codes)
        resp = conn.request("ListActors")
        c.success(resp, "the connection still serves after the garbage")


@test
def a_client_sending_one_byte_per_second(ctx):
    c = ctx.checks
    with ctx.connect() as slow, ctx.connect() as other:
        a = ctx.start(other, "counter")
        frame = encode_json({"id": "slow", "command": "RequestActorMessage", "actor": a,
                             "message": {"op": "inc"}})
        worst = 0.0
        served = 0
        for b in frame[:5]:  # five seconds of trickle
            slow.send_raw(bytes([b]))
            end = time.monotonic() + 1.0
            while time.monotonic() < end:
                t0 = time.monotonic()
                other.call("SendActorMessage", actor=a, message={"op": "inc"})
                worst = max(worst, time.monotonic() - t0)
                served += 1
                time.sleep(0.05)
        c.check(worst < 0.5, "others are served meanwhile (slowest %.3f s)" % worst)
        c.check(served >= 25, "others made %d requests during the trickle" % served)
        slow.send_raw(frame[5:])
        resp = slow.response("slow")
        c.eq(resp.get("result"), {"response": {"count": served + 1}},
             "the trickled request is answered in the end, after every other inc")


def one_client(ctx, actor, barrier, results, k):
    try:
        with Connection(ctx.address, timeout=120) as conn:
            barrier.wait(timeout=120)
            results[k] = conn.request("RequestActorMessage", actor=actor,
                                      message={"op": "inc"}, wait_s=120)
    except Exception as e:  # recorded, checked below
        results[k] = e


@test
def five_hundred_clients_at_once(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        a = ctx.start(conn, "counter")
    barrier = threading.Barrier(CLIENTS)
    results = [None] * CLIENTS
    threads = [threading.Thread(target=one_client, args=(ctx, a, barrier, results, k))
               for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    failures = [r for r in results if not (isinstance(r, dict) and r.get("ok"))]
    c.eq(failures[:3], [], "all %d clients answered" % CLIENTS)
    counts = sorted(r["result"]["response"]["count"] for r in results if isinstance(r, dict)
                    and r.get("ok"))
    c.eq(counts, list(range(1, CLIENTS + 1)), "each inc counted once, every count seen once")


def poll(fn, done, seconds=30.0):
    """fn() until done(value) or the time is up; the last value."""
    deadline = time.monotonic() + seconds
    value = fn()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.05)
        value = fn()
    return value


@test
def clients_that_leave_mid_request(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        a = ctx.start(conn, "counter")
        spinner = ctx.start_slow_crasher(conn, time_ms=1000)
        room = ctx.start(conn, "chat", "room.toml")
    # A slow request (a second's spin), and the client gone while it runs.
    with ctx.connect() as leaver:
        leaver.send({"id": 1, "command": "RequestActorMessage", "actor": spinner,
                     "message": {"op": "spin"}})
        time.sleep(0.2)
    # Requests pipelined and the client gone before reading any answer: the
    # ones the server had not started yet may be dropped with the connection.
    with ctx.connect() as leaver:
        leaver.send_raw(b"".join(
            encode_json({"id": i, "command": "SendActorMessage", "actor": a,
                         "message": {"op": "inc"}}) for i in range(500)))
        leaver.send({"id": "last", "command": "RequestActorMessage", "actor": a,
                     "message": {"op": "inc"}})
    # A subscription and a channel, and the client gone.
    with ctx.connect() as leaver:
        leaver.call("SubscribeToActor", actor=a)
        leaver.call("OpenChannel", actor=room, message={"name": "ghost"})
    with ctx.connect() as conn:
        st = poll(lambda: conn.call("GetActorStatus", actor=spinner),
                  lambda st: st["status"] == "stopped")
        c.eq((st["handled"], st["status"]), (1, "stopped"),
             "the slow request ran to its end (the time limit stops it)")

        def count_and_handled():
            got = conn.call("RequestActorMessage", actor=a, message={"op": "get"})
            return got["response"]["count"], conn.call("GetActorStatus", actor=a)["handled"]

        before = count_and_handled()
        time.sleep(0.3)
        count, handled = count_and_handled()
        c.eq((count, handled), (before[0], before[1] + 1), "the counter settled (one more get)")
        c.check(0 <= count <= 501, "what ran of the departed client's requests: %d" % count)
        gets = 2  # the two count_and_handled requests
        c.eq(handled - gets, count, "every message it handled counted once")
        members = poll(lambda: conn.call("RequestActorMessage", actor=room,
                                         message={"op": "members"})["response"]["members"],
                       lambda m: m == [])
        c.eq(members, [], "the departed client's channel was closed")


if __name__ == "__main__":
    run(verify_after_each=True)
