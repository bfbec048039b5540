"""Every command of docs/protocol.md with good input, and the shape of
what it answers. Streams (subscriptions, channels) are in test_streams.py;
Shutdown is in test_lifecycle.py, since it ends the server."""

import base64
import os

from harness import HEX32, run, test
from shapes import METRICS_KEYS, check_chain_links, check_event, check_status


def counter_state(conn, actor):
    return conn.call("GetActorState", actor=actor)["state"]


@test
def start_from_a_manifest_path(ctx):
    c = ctx.checks
    path = os.path.join(ctx.work, "counter.toml")
    text = ctx.manifest("counter")
    with open(path, "w") as f:
        f.write(text)
    with ctx.connect() as conn:
        resp = conn.request("StartActor", manifest=path)
        if not c.success(resp, "StartActor manifest"):
            return
        actor = resp["result"]["actor"]
        c.eq(set(resp["result"]), {"actor"}, "StartActor result keys")
        c.check(HEX32.match(actor), "the actor id is 32 hex digits: %r" % actor)
        c.eq(resp["type"], "response", "a response's type")
        c.eq(counter_state(conn, actor), {"count": 0}, "its initial state, from the manifest")
        got = conn.call("GetActorManifest", actor=actor)
        c.eq(set(got), {"path", "manifest"}, "GetActorManifest keys")
        c.eq(got["manifest"], text, "GetActorManifest gives the text back")
        c.contains(got["path"], "counter.toml", "GetActorManifest gives the path")


@test
def start_from_text_with_a_manifest_dir(ctx):
    c = ctx.checks
    # A relative package, resolved against manifest_dir.
    text = ctx.manifest("counter").replace(
        'package = "%s/examples/counter.wasm"' % ctx.binary_dir, 'package = "counter.wasm"')
    c.contains(text, 'package = "counter.wasm"', "the manifest's package is relative")
    with ctx.connect() as conn:
        resp = conn.request("StartActor", manifest_text=text,
                            manifest_dir=os.path.join(ctx.binary_dir, "examples"))
        c.success(resp, "StartActor manifest_text + manifest_dir")
        resp = conn.request("StartActor", manifest_text=text, manifest_dir=ctx.work)
        c.error(resp, "invalid", "a package missing from manifest_dir", mentions="counter.wasm")


@test
def start_with_initial_state_and_parent(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        parent = ctx.start(conn, "counter")
        child = ctx.start(conn, "counter", initial_state={"count": 41}, parent=parent[:8])
        c.eq(counter_state(conn, child), {"count": 41}, "initial_state given in the request")
        got = conn.call("RequestActorMessage", actor=child, message={"op": "inc"})
        c.eq(got, {"response": {"count": 42}}, "the child counts on from its initial state")
        c.eq(conn.call("GetActorStatus", actor=child)["parent"], parent, "the child's parent")
        c.eq(conn.call("GetActorStatus", actor=parent)["parent"], None, "a root has no parent")


@test
def list_actors(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        a = ctx.start(conn, "counter")
        b = ctx.start(conn, "echo")
        result = conn.call("ListActors")
        c.eq(set(result), {"actors"}, "ListActors keys")
        by_id = {st["id"]: st for st in result["actors"]}
        c.check(a in by_id and b in by_id, "ListActors lists the actors just started")
        for st in result["actors"]:
            check_status(c, st, "ListActors")
        c.eq(by_id.get(a, {}).get("name"), "counter", "the counter's name")
        c.eq(by_id.get(b, {}).get("name"), "echo", "the echo's name")
        c.eq(by_id.get(a, {}).get("status"), "running", "the counter runs")


@test
def status_metrics_and_prefixes(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        a = ctx.start(conn, "counter")
        for _ in range(4):
            conn.call("SendActorMessage", actor=a, message={"op": "inc"})
        conn.call("RequestActorMessage", actor=a, message={"op": "get"})
        st = conn.call("GetActorStatus", actor=a)
        check_status(c, st, "GetActorStatus")
        c.eq(st["id"], a, "GetActorStatus id")
        c.eq(st["handled"], 5, "handled: 4 sends and a request")
        c.eq(st["status"], "running", "status")
        c.eq(st["exit_reason"], "", "a running actor has no exit reason")
        c.eq(conn.call("GetActorStatus", actor=a[:4])["id"], a, "a 4-digit prefix resolves")
        m = conn.call("GetActorMetrics", actor=a)
        c.eq(set(m), METRICS_KEYS, "GetActorMetrics keys")
        c.eq(m["handled"], 5, "metrics: handled")
        c.eq(m["errors"], 0, "metrics: errors")
        c.eq(m["events"], st["events"], "metrics and status agree on events")
        resp = conn.request("GetActorStatus", actor="ffffffffffffffffffffffffffffffff")
        c.error(resp, "not_found", "an unknown actor")


@test
def state_of_an_actor_without_state(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        e = ctx.start(conn, "echo")
        c.eq(conn.call("GetActorState", actor=e), {"state": None}, "echo keeps no state")


@test
def events_with_from_and_limit(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        a = ctx.start(conn, "counter")
        for _ in range(10):
            conn.call("SendActorMessage", actor=a, message={"op": "inc"})
        conn.call("RequestActorMessage", actor=a, message={"op": "get"})
        all_ = conn.call("GetActorEvents", actor=a)
        c.eq(set(all_), {"total", "events"}, "GetActorEvents keys")
        c.eq(len(all_["events"]), all_["total"], "all events by default")
        c.check(all_["total"] >= 22, "spawn, init, 11 calls and returns: %d" % all_["total"])
        for ev in all_["events"]:
            check_event(c, ev, "GetActorEvents")
        c.eq([e["index"] for e in all_["events"]], list(range(all_["total"])), "indexes from 0")
        c.eq(all_["events"][0]["type"], "spawn", "the first event is the spawn")
        c.eq(all_["events"][0]["parent"], "0" * 64, "the spawn's parent is zero")
        check_chain_links(c, all_["events"], "GetActorEvents")
        part = conn.call("GetActorEvents", actor=a, **{"from": 5, "limit": 3})
        c.eq(part["total"], all_["total"], "total is the whole chain")
        c.eq(part["events"], all_["events"][5:8], "from 5, limit 3")
        past = conn.call("GetActorEvents", actor=a, **{"from": 10 ** 6})
        c.eq(past["events"], [], "from past the end: no events")
        st = conn.call("GetActorStatus", actor=a)
        c.eq(st["events"], all_["total"], "status counts the same events")


@test
def send_and_request(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        a = ctx.start(conn, "counter")
        c.eq(conn.call("SendActorMessage", actor=a, message={"op": "add", "n": 40}), {},
             "SendActorMessage answers {}")
        got = conn.call("RequestActorMessage", actor=a, message={"op": "inc"}, timeout_ms=5000)
        c.eq(got, {"response": {"count": 41}}, "RequestActorMessage answers the response")
        resp = conn.request("RequestActorMessage", actor=a, message={"op": "fly"})
        c.error(resp, "actor_error", "the actor's own error", mentions="unknown op: fly")
        c.eq(counter_state(conn, a), {"count": 41}, "a refused message changes nothing")


@test
def messages_of_any_json_and_raw_bytes(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        e = ctx.start(conn, "echo")
        for value in ("text", 12, [1, {"a": None}], {"deep": {"er": [True, False]}}, None):
            got = conn.call("RequestActorMessage", actor=e, message=value)
            c.eq(got, {"response": value}, "echo of %r" % (value,))
        for raw in (b"\xff\x00not UTF-8", b"UTF-8 text, not JSON"):
            resp = conn.request("RequestActorMessage", actor=e,
                                message_base64=base64.b64encode(raw).decode())
            if c.success(resp, "RequestActorMessage with message_base64 (docs/protocol.md)"):
                got = resp["result"].get("response_base64")
                c.eq(got and base64.b64decode(got), raw,
                     "bytes that are not JSON come back as response_base64: %r" % resp["result"])


@test
def big_message(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        e = ctx.start(conn, "echo")
        big = "x" * (1 << 20)
        got = conn.call("RequestActorMessage", actor=e, message={"big": big})
        c.check(got == {"response": {"big": big}}, "a 1 MiB message goes there and back")


@test
def request_timeout(ctx):
    c = ctx.checks
    # The crasher spins until its time limit; the request gives up before.
    with ctx.connect() as conn:
        a = ctx.start_slow_crasher(conn, time_ms=1500)
        resp = conn.request("RequestActorMessage", actor=a, message={"op": "spin"}, timeout_ms=200)
        c.error(resp, "timeout", "a request past its timeout_ms")


@test
def stop_and_restart(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        a = ctx.start(conn, "counter")
        conn.call("SendActorMessage", actor=a, message={"op": "add", "n": 7})
        conn.call("RequestActorMessage", actor=a, message={"op": "get"})
        c.eq(conn.call("StopActor", actor=a), {}, "StopActor answers {} once stopped")
        st = conn.call("GetActorStatus", actor=a)
        c.eq(st["status"], "stopped", "stopped")
        c.check(st["exit_reason"] != "", "a stopped actor says why: %r" % st["exit_reason"])
        resp = conn.request("SendActorMessage", actor=a, message={"op": "inc"})
        c.check(resp.get("ok") is False, "a stopped actor takes no message: %r" % resp)
        events = conn.call("GetActorEvents", actor=a)["events"]
        c.eq(events[-1]["type"], "stop", "the chain ends with a stop event")

        c.eq(conn.call("RestartActor", actor=a), {}, "RestartActor answers {}")
        st = conn.call("GetActorStatus", actor=a)
        c.eq((st["status"], st["restarts"]), ("running", 1), "running again, one restart")
        c.eq(counter_state(conn, a), {"count": 7}, "a restart keeps the last state")
        c.eq(conn.call("RestartActor", actor=a, reinit=True), {}, "RestartActor reinit")
        c.eq(counter_state(conn, a), {"count": 0}, "reinit starts from the initial state")
        got = conn.call("RequestActorMessage", actor=a, message={"op": "inc"})
        c.eq(got, {"response": {"count": 1}}, "and counts again")


@test
def start_refused_with_where_and_why(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        resp = conn.request("StartActor", manifest_text='name = "x"\nversion = 1\n')
        c.error(resp, "invalid", "a manifest with a mistyped key", mentions="version")
        resp = conn.request("StartActor", manifest_text="name = \n")
        c.error(resp, "invalid", "a manifest that is not TOML", mentions=":1:")
        resp = conn.request("StartActor", manifest=os.path.join(ctx.work, "none.toml"))
        c.error(resp, "invalid", "a manifest that does not exist", mentions="none.toml")


@test
def over_the_unix_socket(ctx):
    c = ctx.checks
    if not c.check(ctx.socket_path, "THEATER_SERVER_SOCKET is set"):
        return
    with ctx.connect() as tcp, ctx.connect(ctx.socket_path) as unix:
        a = ctx.start(tcp, "counter")
        got = unix.call("RequestActorMessage", actor=a, message={"op": "inc"})
        c.eq(got, {"response": {"count": 1}}, "the same actors over the unix socket")
        ids = [st["id"] for st in unix.call("ListActors")["actors"]]
        c.check(a in ids, "ListActors over the unix socket")


if __name__ == "__main__":
    run()
