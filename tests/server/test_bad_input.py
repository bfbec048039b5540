"""Bad input, frame by frame and field by field. After each test the
witness checks that another client is still answered and no message was
lost (harness.Witness)."""

import struct
import time

from harness import run, test
from theater_client import encode_frame, encode_json

MAX_FRAME = 16 << 20

STRING_FIELD_WRONG = [5, True, None, [], {}, 1.5]
BOOL_FIELD_WRONG = ["yes", 1, None, [], {}]
INDEX_FIELD_WRONG = ["5", 1.5, True, None, [], {}, -1]


def still_serves(ctx, conn, what):
    """The connection answers a good request after the bad input."""
    resp = conn.request("ListActors")
    ctx.checks.success(resp, "%s: the same connection still answers" % what)


# ---- Frames --------------------------------------------------------------------------


@test
def truncated_frame_then_close(ctx):
    with ctx.connect() as conn:
        conn.send_raw(struct.pack(">I", 100) + b'{"id":1,"comm')
    with ctx.connect() as conn:
        conn.send_raw(b"\x00\x00")  # half a header
    ctx.checks.check(True, "the server is checked by the witness after this test")


def check_fatal_length(ctx, length, what):
    c = ctx.checks
    with ctx.connect() as conn:
        conn.send_raw(struct.pack(">I", length) + b"{}")
        resp = conn.next_response()
        c.error(resp, "bad_frame", what, mentions=str(length))
        c.eq(resp.get("id", "absent"), None, what + ": the id is null")
        c.check(conn.at_eof(), what + ": the connection is closed")


@test
def oversized_length(ctx):
    check_fatal_length(ctx, MAX_FRAME + 1, "a length one over the maximum")
    check_fatal_length(ctx, 0xFFFFFFFF, "a length of 4 GiB - 1")


@test
def zero_length(ctx):
    check_fatal_length(ctx, 0, "a zero length")


@test
def a_frame_at_the_maximum_is_read(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        # A request padded with spaces to exactly the maximum: it must be
        # read whole and answered (it is valid JSON).
        body = b'{"id":1,"command":"ListActors"}'
        conn.send_raw(encode_frame(body + b" " * (MAX_FRAME - len(body))))
        c.success(conn.response(1, timeout=60), "a frame of exactly --max-frame bytes")


@test
def not_json(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        cases = [
            (b"{not json", "a broken object"),
            (b"\xff\xfe\x00garbage", "bytes that are not UTF-8"),
            (b'{"id":1,"command":"\xff"}', "invalid UTF-8 inside a string"),
            (b'{"id":1,"command":"ListActors"} trailing', "trailing bytes after the object"),
            (b'{"id":1,"command":"ListActors"}{"id":2}', "two objects in one frame"),
            (b'{"id":1,"id":2,"command":"ListActors"}', "a duplicated key"),
            (b" ", "only a space"),
        ]
        for payload, what in cases:
            conn.send_raw(encode_frame(payload))
            resp = conn.next_response()
            c.error(resp, "bad_frame", what)
            c.eq(resp.get("id", "absent"), None, what + ": id null")
        still_serves(ctx, conn, "after frames that are not JSON")


@test
def json_that_is_not_an_object(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        for payload in (b"[1,2]", b'"ListActors"', b"42", b"null", b"true", b"[]"):
            conn.send_raw(encode_frame(payload))
            resp = conn.next_response()
            c.error(resp, "bad_frame", "%r" % payload)
            c.eq(resp.get("id", "absent"), None, "%r: id null" % payload)
        still_serves(ctx, conn, "after JSON that is not an object")


@test
def frames_in_pieces_and_together(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        frame = encode_json({"id": "pieces", "command": "ListActors"})
        for b in frame:  # one byte per write
            conn.send_raw(bytes([b]))
        c.success(conn.response("pieces"), "a frame written a byte at a time")
        three = b"".join(encode_json({"id": i, "command": "ListActors"}) for i in range(3))
        conn.send_raw(three + frame[:6])  # three and a bit: the bit waits
        for i in range(3):
            c.success(conn.response(i), "frame %d of three in one write" % i)
        time.sleep(0.1)
        conn.send_raw(frame[6:])
        c.success(conn.response("pieces"), "the rest of a frame, later")


# ---- Requests -------------------------------------------------------------------------------


@test
def missing_or_bad_id_and_command(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        conn.send({"command": "ListActors"})
        resp = conn.next_response()
        c.error(resp, "bad_request", "no id", mentions="'id'")
        c.eq(resp.get("id", "absent"), None, "no id: null")
        for bad_id in (True, None, [], {}, 1.5):
            conn.send({"id": bad_id, "command": "ListActors"})
            resp = conn.next_response()
            c.error(resp, "bad_request", "id %r" % (bad_id,), mentions="'id'")
            c.eq(resp.get("id", "absent"), None, "id %r: answered with id null" % (bad_id,))
        conn.send({"id": 7})
        c.error(conn.next_response(), "bad_request", "no command", mentions="'command'", rid=7)
        for bad in (5, None, ["ListActors"], {"name": "ListActors"}):
            conn.send({"id": "cmd", "command": bad})
            c.error(conn.next_response(), "bad_request", "command %r" % (bad,),
                    mentions="'command'", rid="cmd")
        still_serves(ctx, conn, "after bad ids and commands")


@test
def unknown_command(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        for name in ("Explode", "listactors", "", "ListActors "):
            resp = conn.request(name)
            c.error(resp, "bad_request", "command %r" % name, mentions="unknown command")


def valid_requests(ctx, conn):
    """One good request per command (whose fields the tests then spoil),
    with fields pointing at real things. Shutdown is among them: it must
    never run, since every spoilt request is refused first."""
    a = ctx.start(conn, "counter")
    room = ctx.start(conn, "chat", "room.toml")
    channel = conn.call("OpenChannel", actor=room, message={"name": "fieldtest"})["channel"]
    sub = conn.call("SubscribeToActor", actor=a)["subscription"]
    text = ctx.manifest("counter")
    return {
        "StartActor": {"manifest_text": text, "manifest_dir": ctx.work, "parent": a,
                       "initial_state": {"count": 1}},
        "StartActor (path)": {"manifest": ctx.work + "/x.toml"},
        "StopActor": {"actor": a},
        "RestartActor": {"actor": a, "reinit": False},
        "ListActors": {},
        "GetActorStatus": {"actor": a},
        "GetActorManifest": {"actor": a},
        "GetActorState": {"actor": a},
        "GetActorEvents": {"actor": a, "from": 0, "limit": 10},
        "GetActorMetrics": {"actor": a},
        "SendActorMessage": {"actor": a, "message": {"op": "inc"}},
        "RequestActorMessage": {"actor": a, "message": {"op": "get"}, "timeout_ms": 1000},
        "OpenChannel": {"actor": room, "message": {"name": "other"}},
        "SendOnChannel": {"channel": channel, "message": {"text": "x"}},
        "CloseChannel": {"channel": channel},
        "SubscribeToActor": {"actor": a},
        "UnsubscribeFromActor": {"subscription": sub},
        "Shutdown": {},
    }, a


def wrong_values(field):
    if field == "reinit":
        return BOOL_FIELD_WRONG
    if field == "subscription":  # any integer is a subscription number, if not ours
        return [v for v in INDEX_FIELD_WRONG if v != -1]
    if field in ("from", "limit", "timeout_ms"):
        return INDEX_FIELD_WRONG
    return STRING_FIELD_WRONG


@test
def wrong_field_types_for_every_field_of_every_command(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        valid, counter = valid_requests(ctx, conn)
        tried = 0
        for label, fields in valid.items():
            command = label.split(" ")[0]
            for field in fields:
                if field in ("message", "initial_state"):
                    continue  # any JSON value is a message
                for value in wrong_values(field):
                    req = dict(fields)
                    req[field] = value
                    resp = conn.request(command, **req)
                    c.error(resp, "bad_request", "%s with %s = %r" % (label, field, value),
                            mentions="'%s'" % field)
                    tried += 1
        c.check(tried > 100, "every field was spoilt several ways: %d" % tried)
        st = conn.call("GetActorStatus", actor=counter)
        c.eq((st["status"], st["restarts"], st["handled"]), ("running", 0, 0),
             "no spoilt request reached the actor")


@test
def out_of_range_values(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        a = ctx.start(conn, "counter")
        for fields, name in (({"limit": 100001}, "limit"), ({"from": 2 ** 40}, "from"),
                             ({"limit": 2 ** 62}, "limit")):
            resp = conn.request("GetActorEvents", actor=a, **fields)
            c.error(resp, "bad_request", "GetActorEvents %r" % fields, mentions="'%s'" % name)
        resp = conn.request("RequestActorMessage", actor=a, message={}, timeout_ms=10 ** 12)
        c.error(resp, "bad_request", "timeout_ms of 30 years", mentions="'timeout_ms'")
        c.success(conn.request("GetActorEvents", actor=a, limit=100000), "limit at its maximum")
        # message_base64: only real base64, and not together with message
        for bad in ("not base64!", "QUJD=", "QQ", "====", "QU=J"):
            resp = conn.request("SendActorMessage", actor=a, message_base64=bad)
            c.error(resp, "bad_request", "message_base64 %r" % bad, mentions="message_base64")
        resp = conn.request("SendActorMessage", actor=a, message={}, message_base64="e30=")
        c.error(resp, "bad_request", "message and message_base64 together", mentions="not both")
        resp = conn.request("SendActorMessage", actor=a)
        c.error(resp, "bad_request", "neither message nor message_base64", mentions="'message'")


@test
def unknown_fields_for_every_command(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        valid, _ = valid_requests(ctx, conn)
        for label, fields in valid.items():
            req = dict(fields)
            req["bogus_field"] = 1
            resp = conn.request(label.split(" ")[0], **req)
            c.error(resp, "bad_request", label + " with an unknown field", mentions="bogus_field")
        # The misspelt option that must not be silently ignored.
        a = valid["GetActorStatus"]["actor"]
        resp = conn.request("RequestActorMessage", actor=a, message={"op": "get"}, timeout=5000)
        c.error(resp, "bad_request", "'timeout' for 'timeout_ms'", mentions="timeout")


@test
def missing_required_fields(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        valid, _ = valid_requests(ctx, conn)
        required = {
            "StopActor": ["actor"], "RestartActor": ["actor"], "GetActorStatus": ["actor"],
            "GetActorManifest": ["actor"], "GetActorState": ["actor"],
            "GetActorEvents": ["actor"], "GetActorMetrics": ["actor"],
            "SendActorMessage": ["actor", "message"], "RequestActorMessage": ["actor", "message"],
            "OpenChannel": ["actor", "message"], "SendOnChannel": ["channel", "message"],
            "CloseChannel": ["channel"], "SubscribeToActor": ["actor"],
            "UnsubscribeFromActor": ["subscription"],
        }
        for command, fields in required.items():
            for field in fields:
                req = dict(valid[command])
                del req[field]
                resp = conn.request(command, **req)
                c.error(resp, "bad_request", "%s without %s" % (command, field),
                        mentions="'%s'" % field)
        text = valid["StartActor"]["manifest_text"]
        for fields, what in (({}, "neither manifest nor manifest_text"),
                             ({"manifest": "/x.toml", "manifest_text": text}, "both"),
                             ({"manifest": "/x.toml", "manifest_dir": "/"}, "manifest_dir alone")):
            resp = conn.request("StartActor", **fields)
            c.error(resp, "bad_request", "StartActor with " + what, mentions="manifest")


@test
def unknown_actors_and_prefixes(ctx):
    c = ctx.checks
    with ctx.connect() as conn:
        for actor in ("", "abc", "zzzz", "ffffffffffffffffffffffffffffffff", "x" * 5000):
            resp = conn.request("GetActorStatus", actor=actor)
            c.check(resp.get("ok") is False and resp["error"]["code"] in ("not_found", "bad_request"),
                    "actor %r: refused: %r" % (actor[:40], resp.get("error")))


if __name__ == "__main__":
    run(verify_after_each=True)
