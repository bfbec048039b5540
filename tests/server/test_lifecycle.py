"""The server's life across restarts, one phase per server run; driven by
tests/e2e/server_protocol.sh, which starts, kills and stops the servers:

  prepare   (server 1)  counters with known counts, one of them stopped
            ... kill -9 server 1, start server 2 on the same data ...
  resumed   (server 2)  the running actors are back, with their last state
            ... SIGTERM server 2 ...
  stopped   (no server) the database says every actor stopped, chains whole
            ... start server 3 ...
  shutdown  (server 3)  nothing resumed after a clean stop; Shutdown

What a phase learns for the next one is kept in THEATER_WORK/lifecycle.json.
"""

import json
import time
import os
import sqlite3
import subprocess
import sys

from harness import Checks, Context


def saved_path(ctx):
    return os.path.join(ctx.work, "lifecycle.json")


def save(ctx, facts):
    with open(saved_path(ctx), "w") as f:
        json.dump(facts, f)


def load(ctx):
    with open(saved_path(ctx)) as f:
        return json.load(f)


def prepare(ctx, c):
    with ctx.connect() as conn:
        a = ctx.start(conn, "counter")
        b = ctx.start(conn, "counter", initial_state={"count": 100})
        stopped = ctx.start(conn, "counter")
        for _ in range(5):
            conn.call("SendActorMessage", actor=a, message={"op": "inc"})
        conn.call("SendActorMessage", actor=b, message={"op": "add", "n": 12})
        conn.call("SendActorMessage", actor=stopped, message={"op": "inc"})
        # A request after the sends: each actor has handled them when it answers.
        for actor, want in ((a, 5), (b, 112), (stopped, 1)):
            got = conn.call("RequestActorMessage", actor=actor, message={"op": "get"})
            c.eq(got, {"response": {"count": want}}, "before the kill: count")
        conn.call("StopActor", actor=stopped)
        save(ctx, {"a": a, "b": b, "stopped": stopped, "counts": {a: 5, b: 112}})
        # The server runs with durability `batch`: what was acknowledged is
        # committed after a bounded delay, which grows with the writer's
        # backlog (the suites before this one left plenty, slower still under
        # ASan). Wait until the database shows what the server reports, so
        # the kill -9 that follows tests resuming, not a race with the
        # group commit.
        want = {x: conn.call("GetActorStatus", actor=x)["events"] for x in (a, b, stopped)}
    db = os.path.join(os.environ["THEATER_DATA"], "theater.db")
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            ro = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
            try:
                got = dict(ro.execute("SELECT id, event_count FROM actors").fetchall())
            finally:
                ro.close()
        except sqlite3.Error:
            got = {}
        if all(got.get(x, -1) >= n for x, n in want.items()):
            break
        time.sleep(0.05)
    c.check(all(got.get(x, -1) >= n for x, n in want.items()),
            "the database caught up with the server before the kill")


def resumed(ctx, c):
    facts = load(ctx)
    a, b, stopped = facts["a"], facts["b"], facts["stopped"]
    with ctx.connect() as conn:
        by_id = {st["id"]: st for st in conn.call("ListActors")["actors"]}
        for actor in (a, b):
            c.eq(by_id.get(actor, {}).get("status"), "running", "resumed after kill -9")
            c.eq(conn.call("GetActorState", actor=actor)["state"],
                 {"count": facts["counts"][actor]}, "resumed with its last state")
        c.check(by_id.get(stopped, {}).get("status") != "running",
                "an actor stopped before the kill stays stopped")
        # It goes on from there: the chain continues without a gap.
        got = conn.call("RequestActorMessage", actor=a, message={"op": "inc"})
        c.eq(got, {"response": {"count": 6}}, "a resumed actor counts on")
        events = conn.call("GetActorEvents", actor=a, limit=100000)["events"]
        links = all(e["parent"] == p["hash"] for p, e in zip(events, events[1:]))
        c.check(links, "the resumed chain links to the one before the kill")
        facts["counts"][a] = 6
        facts["events"] = {x: conn.call("GetActorStatus", actor=x)["events"] for x in (a, b)}
        save(ctx, facts)


def stopped(ctx, c):
    """No server runs: read the data directory as the SIGTERM left it."""
    facts = load(ctx)
    db = os.path.join(os.environ["THEATER_DATA"], "theater.db")
    conn = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        rows = dict(conn.execute("SELECT id, status FROM actors").fetchall())
        counts = dict(conn.execute("SELECT id, event_count FROM actors").fetchall())
    finally:
        conn.close()
    c.check(rows, "the database lists the actors")
    running = sorted(k for k, v in rows.items() if v == "running")
    c.eq(running, [], "after SIGTERM no actor is left running")
    for actor, n in facts["events"].items():  # and the stop at shutdown
        c.eq(counts.get(actor), n + 1, "every event of %s was flushed" % actor[:8])
    theater = os.environ["THEATER"]
    for actor, count in facts["counts"].items():
        out = subprocess.run([theater, "state", actor, "--data", os.environ["THEATER_DATA"]],
                             capture_output=True, text=True, timeout=60)
        c.eq(out.stdout.strip(), json.dumps({"count": count}, separators=(",", ":")),
             "the stored state of %s" % actor[:8])


def shutdown(ctx, c):
    facts = load(ctx)
    with ctx.connect() as conn:
        actors = conn.call("ListActors")["actors"]
        mine = [st for st in actors if st["id"] in (facts["a"], facts["b"])]
        c.eq(mine, [], "nothing is resumed after a clean stop")
        resp = conn.request("Shutdown")
        c.eq((resp.get("ok"), resp.get("result")), (True, {}), "Shutdown answers {}")
        c.check(conn.at_eof(timeout=30), "the server closes the connection as it stops")


PHASES = {"prepare": prepare, "resumed": resumed, "stopped": stopped, "shutdown": shutdown}


def main():
    phase = PHASES.get(sys.argv[1] if len(sys.argv) > 1 else "")
    if not phase:
        sys.exit("usage: test_lifecycle.py %s" % "|".join(PHASES))
    checks = Checks()
    checks.current = sys.argv[1]
    phase(Context(checks), checks)
    print("%d passed, %d failed" % (checks.passed, checks.failed))
    sys.exit(0 if checks.failed == 0 else 1)


if __name__ == "__main__":
    main()
