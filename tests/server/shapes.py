"""What the protocol's result objects look like (docs/protocol.md): every
key present, nothing more, each of its type."""

from harness import HEX32, HEX64

STATUS_KEYS = {"id", "name", "status", "failed", "parent", "events", "handled", "dropped",
               "errors", "restarts", "mailbox", "uptime_ms", "exit_reason"}
STATUS_COUNTS = ("events", "handled", "dropped", "errors", "restarts", "mailbox", "uptime_ms")
METRICS_KEYS = {"events", "handled", "dropped", "errors", "restarts", "mailbox"}
EVENT_KEYS = {"index", "type", "name", "hash", "parent", "state_hash", "timestamp_ns", "summary"}
EVENT_TYPES = {"spawn", "call", "return", "host", "trap", "stop"}


def is_count(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def check_status(checks, st, what):
    if not checks.check(isinstance(st, dict), "%s: STATUS is not an object: %r" % (what, st)):
        return
    checks.eq(set(st), STATUS_KEYS, what + ": STATUS keys")
    checks.check(HEX32.match(str(st.get("id"))), what + ": id is 32 hex digits")
    checks.check(isinstance(st.get("name"), str) and st["name"], what + ": name")
    checks.check(st.get("status") in ("running", "stopped"), what + ": status %r" % st.get("status"))
    checks.check(isinstance(st.get("failed"), bool), what + ": failed is true or false")
    checks.check(not (st.get("failed") and st.get("status") == "running"),
                 what + ": a running actor has not failed")
    parent = st.get("parent")
    checks.check(parent is None or HEX32.match(str(parent)), what + ": parent %r" % parent)
    for k in STATUS_COUNTS:
        checks.check(is_count(st.get(k)), "%s: %s is a count: %r" % (what, k, st.get(k)))
    checks.check(isinstance(st.get("exit_reason"), str), what + ": exit_reason is a string")


def check_event(checks, ev, what):
    if not checks.check(isinstance(ev, dict), "%s: EVENT is not an object: %r" % (what, ev)):
        return
    checks.eq(set(ev), EVENT_KEYS, what + ": EVENT keys")
    checks.check(is_count(ev.get("index")), what + ": index")
    checks.check(ev.get("type") in EVENT_TYPES, what + ": type %r" % ev.get("type"))
    checks.check(isinstance(ev.get("name"), str), what + ": name")
    checks.check(HEX64.match(str(ev.get("hash"))), what + ": hash is 64 lowercase hex digits")
    checks.check(HEX64.match(str(ev.get("parent"))), what + ": parent is 64 lowercase hex digits")
    sh = ev.get("state_hash")
    checks.check(sh is None or HEX64.match(str(sh)), what + ": state_hash %r" % sh)
    checks.check(is_count(ev.get("timestamp_ns")), what + ": timestamp_ns")
    checks.check(isinstance(ev.get("summary"), str), what + ": summary is a string")


def check_chain_links(checks, events, what):
    """Consecutive indexes, each event's parent the hash before it."""
    for prev, ev in zip(events, events[1:]):
        if not checks.eq(ev.get("index"), prev.get("index", -2) + 1, what + ": consecutive"):
            return
        if not checks.eq(ev.get("parent"), prev.get("hash"), "%s: event %s links to the one before"
                         % (what, ev.get("index"))):
            return
