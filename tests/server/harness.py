"""The tests' small harness: checks that count, a runner that prints
"ok NAME" / "FAIL NAME" and "N passed, N failed" (as tests/check.h does),
and the context every test gets: where the server is, where the build is,
and a witness actor that proves no message was lost.

A test is a function taking the context, registered with @test. The
environment (set by tests/e2e/server_protocol.sh) says where things are:

    THEATER_SERVER         HOST:PORT of the running server
    THEATER_SERVER_SOCKET  its unix socket
    THEATER_SOURCE_DIR     the source tree (examples' manifests)
    THEATER_BINARY_DIR     the build (examples' wasm)
    THEATER_WORK           a scratch directory
"""

import os
import re
import sys
import traceback

from theater_client import Connection, manifest_text

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


class Checks:
    """Counts checks; a failed one is reported with what was expected."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.current = ""

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print("  FAIL in %s: %s" % (self.current, what), file=sys.stderr)
        return bool(ok)

    def eq(self, got, want, what):
        return self.check(got == want, "%s: got %r, want %r" % (what, got, want))

    def contains(self, haystack, needle, what):
        ok = isinstance(haystack, str) and needle in haystack
        return self.check(ok, "%s: %r does not contain %r" % (what, haystack, needle))

    def error(self, resp, code, what, mentions=None, rid="any"):
        """resp is a failure with this code (and a message naming `mentions`)."""
        ok = isinstance(resp, dict) and resp.get("type") == "response" and resp.get("ok") is False
        err = resp.get("error") if isinstance(resp, dict) else None
        if not self.check(ok and isinstance(err, dict), "%s: not an error response: %r" % (what, resp)):
            return False
        good = self.eq(err.get("code"), code, what + " (code)")
        good &= self.check(isinstance(err.get("message"), str) and err["message"],
                           "%s: the error has no message" % what)
        if mentions is not None:
            good &= self.contains(err.get("message"), mentions, what + " (message)")
        if rid != "any":
            good &= self.eq(resp.get("id"), rid, what + " (id echoed)")
        return good

    def success(self, resp, what):
        ok = isinstance(resp, dict) and resp.get("type") == "response" and resp.get("ok") is True
        return self.check(ok and "result" in resp, "%s: not a success: %r" % (what, resp))


class Witness:
    """A counter actor that every check after a test messages through a
    fresh connection: its count must equal every inc ever sent to it, so a
    lost message, a wedged actor or a dead server all show."""

    def __init__(self, ctx):
        self.ctx = ctx
        with ctx.connect() as conn:
            self.actor = conn.call("StartActor", manifest_text=ctx.manifest("counter"))["actor"]
        self.sent = 0

    def note(self, n):
        """n incs were delivered to the witness by a test itself."""
        self.sent += n

    def verify(self, checks, after):
        with self.ctx.connect() as conn:
            for _ in range(3):
                conn.call("SendActorMessage", actor=self.actor, message={"op": "inc"})
            self.sent += 3
            got = conn.call("RequestActorMessage", actor=self.actor, message={"op": "get"})
            checks.eq(got, {"response": {"count": self.sent}},
                      "after %s: the witness counted every inc" % after)
            actors = conn.call("ListActors")["actors"]
            checks.check(any(a["id"] == self.actor for a in actors),
                         "after %s: ListActors still answers" % after)


class Context:
    def __init__(self, checks):
        self.checks = checks
        self.address = os.environ["THEATER_SERVER"]
        self.socket_path = os.environ.get("THEATER_SERVER_SOCKET", "")
        self.source_dir = os.environ["THEATER_SOURCE_DIR"]
        self.binary_dir = os.environ["THEATER_BINARY_DIR"]
        self.work = os.environ["THEATER_WORK"]
        self.witness = None

    def connect(self, address=None, timeout=30.0):
        return Connection(address or self.address, timeout)

    def manifest(self, example, toml_name="manifest.toml", extra=""):
        return manifest_text(self.binary_dir, self.source_dir, example, toml_name, extra)

    def start(self, conn, example, toml_name="manifest.toml", extra="", **fields):
        text = self.manifest(example, toml_name, extra)
        return conn.call("StartActor", manifest_text=text, **fields)["actor"]

    def start_slow_crasher(self, conn, time_ms):
        """A crasher whose {"op":"spin"} runs for time_ms (fuel will not stop it)."""
        text = self.manifest("crasher")
        slow = text.replace("fuel = 100_000_000", "fuel = 1_000_000_000_000_000")
        slow = slow.replace("time_ms = 2000", "time_ms = %d" % time_ms)
        self.checks.check(slow.count("1_000_000_000_000_000") == 1 and "= %d" % time_ms in slow,
                          "the crasher's manifest has the limits this test changes")
        return conn.call("StartActor", manifest_text=slow)["actor"]


_tests = []


def test(fn):
    _tests.append(fn)
    return fn


def run(verify_after_each=False):
    """Runs the registered tests in order; exits 0 when every check passed."""
    checks = Checks()
    ctx = Context(checks)
    ctx.witness = Witness(ctx)
    for fn in _tests:
        checks.current = fn.__name__
        before = checks.failed
        try:
            fn(ctx)
            if verify_after_each:
                ctx.witness.verify(checks, fn.__name__)
        except Exception as e:  # a test that raises has failed
            checks.check(False, "raised %s: %s" % (type(e).__name__, e))
            traceback.print_exc(file=sys.stderr)
        print("%s %s" % ("ok  " if checks.failed == before else "FAIL", fn.__name__),
              file=sys.stderr)
    checks.current = "the last check"
    try:
        ctx.witness.verify(checks, "every test")
    except Exception as e:
        checks.check(False, "the final check raised %s: %s" % (type(e).__name__, e))
    print("%d passed, %d failed" % (checks.passed, checks.failed))
    sys.exit(0 if checks.failed == 0 else 1)
