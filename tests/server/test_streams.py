"""Pushed frames: subscriptions to an actor's events (every event, in chain
order, the same as GetActorEvents says afterwards) and channels."""

import time

from harness import HEX32, run, test
from shapes import check_chain_links, check_event

INCS = 300


def is_event_of(number):
    return lambda f: f["type"] == "event" and f.get("subscription") == number


def collect_events(conn, number, last_index, timeout=30.0):
    """The events pushed for subscription `number`, up to index last_index."""
    got = []
    deadline = time.monotonic() + timeout
    while not got or got[-1]["event"]["index"] < last_index:
        frame = conn.wait_pushed(is_event_of(number), deadline - time.monotonic())
        if frame is None:
            break
        got.append(frame)
    return got


def drive_counter(ctx, actor, incs):
    """incs sends, then a request: when it answers, every send was handled."""
    with ctx.connect() as conn:
        for _ in range(incs):
            conn.send({"id": conn.next_id(), "command": "SendActorMessage", "actor": actor,
                       "message": {"op": "inc"}})
        for _ in range(incs):
            conn.next_response()
        return conn.call("RequestActorMessage", actor=actor, message={"op": "get"})


@test
def a_subscriber_sees_every_event_in_chain_order(ctx):
    c = ctx.checks
    with ctx.connect() as sub, ctx.connect() as other:
        a = ctx.start(other, "counter")
        before = other.call("GetActorStatus", actor=a)["events"]
        res = sub.call("SubscribeToActor", actor=a)
        c.eq(set(res), {"subscription"}, "SubscribeToActor result keys")
        number = res["subscription"]
        c.check(isinstance(number, int) and number > 0, "a subscription number: %r" % number)
        c.eq(drive_counter(ctx, a, INCS), {"response": {"count": INCS}}, "every inc counted")
        chain = other.call("GetActorEvents", actor=a, limit=100000)
        frames = collect_events(sub, number, chain["total"] - 1)
        events = [f["event"] for f in frames]
        c.eq(len(events), chain["total"] - before, "one pushed frame per event since subscribing")
        c.check(all(f["actor"] == a for f in frames), "event frames name the actor")
        c.eq(events, chain["events"][before:], "pushed events equal GetActorEvents afterwards")
        if events:
            c.eq(events[0]["index"], before, "events from the moment of subscribing")
            check_event(c, events[0], "a pushed event")
        check_chain_links(c, events, "pushed events")


@test
def two_subscribers_see_the_same_events(ctx):
    c = ctx.checks
    with ctx.connect() as s1, ctx.connect() as s2, ctx.connect() as other:
        a = ctx.start(other, "counter")
        n1 = s1.call("SubscribeToActor", actor=a)["subscription"]
        n2 = s2.call("SubscribeToActor", actor=a[:6])["subscription"]
        c.check(n1 != n2, "each subscription has its own number")
        drive_counter(ctx, a, 20)
        other.call("StopActor", actor=a)
        total = other.call("GetActorEvents", actor=a)["total"]
        e1 = [f["event"] for f in collect_events(s1, n1, total - 1)]
        e2 = [f["event"] for f in collect_events(s2, n2, total - 1)]
        c.eq(e1, e2, "both subscribers got the same events")
        c.eq(e1 and e1[-1]["type"], "stop", "a subscriber sees the stop")


@test
def unsubscribe(ctx):
    c = ctx.checks
    with ctx.connect() as sub, ctx.connect() as other:
        a = ctx.start(other, "counter")
        number = sub.call("SubscribeToActor", actor=a)["subscription"]
        drive_counter(ctx, a, 2)
        total = other.call("GetActorEvents", actor=a)["total"]
        c.eq(len(collect_events(sub, number, total - 1)), 6, "2 sends, a request: 6 events")
        c.eq(sub.call("UnsubscribeFromActor", subscription=number), {}, "Unsubscribe answers {}")
        drive_counter(ctx, a, 3)
        # Any frame in flight was pushed before the response: drop it, then listen.
        sub.pushed.clear()
        late = sub.wait_pushed(is_event_of(number), timeout=0.5)
        c.eq(late, None, "no event after UnsubscribeFromActor")
        resp = sub.request("UnsubscribeFromActor", subscription=number)
        c.error(resp, "not_found", "unsubscribing twice")
        resp = sub.request("UnsubscribeFromActor", subscription=10 ** 9)
        c.error(resp, "not_found", "an unknown subscription")
        mine = sub.call("SubscribeToActor", actor=a)["subscription"]
        resp = other.request("UnsubscribeFromActor", subscription=mine)
        c.error(resp, "not_found", "another connection's subscription")


@test
def a_subscriber_that_does_not_read_is_cut_off(ctx):
    c = ctx.checks
    with ctx.connect() as sub, ctx.connect() as other:
        a = ctx.start(other, "counter")
        number = sub.call("SubscribeToActor", actor=a)["subscription"]
        # About 600 bytes of event frames per inc: far past the 4 MiB the
        # server holds for a subscriber that does not read, and the kernel's buffers.
        incs = 30000
        c.eq(drive_counter(ctx, a, incs), {"response": {"count": incs}}, "the actor kept counting")
        # The cut may come a while after the flood: a final request tells when
        # the server has dealt with everything before it.
        resp = sub.request("GetActorStatus", wait_s=60, actor=a)
        c.success(resp, "the slow subscriber's requests are still answered")
        ended = [f for f in sub.pushed if f["type"] == "subscription-ended"]
        if c.eq(len(ended), 1, "one subscription-ended frame"):
            c.eq(ended[0].get("subscription"), number, "it names the subscription")
            c.check(isinstance(ended[0].get("reason"), str), "it says why")
        events = [f["event"] for f in sub.pushed if f["type"] == "event"]
        c.check(0 < len(events) < 2 * incs + 1, "some events came, then none: %d" % len(events))
        check_chain_links(c, events, "the events before the cut")


@test
def channels(ctx):
    c = ctx.checks
    with ctx.connect() as conn, ctx.connect() as conn2:
        room = ctx.start(conn, "chat", "room.toml")
        res = conn.call("OpenChannel", actor=room, message={"name": "alice"})
        c.eq(set(res), {"channel"}, "OpenChannel result keys")
        alice = res["channel"]
        c.check(HEX32.match(alice), "a channel id is 32 hex digits")
        bob = conn.call("OpenChannel", actor=room, message={"name": "bob"})["channel"]
        carol = conn2.call("OpenChannel", actor=room, message={"name": "carol"})["channel"]

        def said(channel, text):
            return lambda f: (f["type"] == "channel-message" and f["channel"] == channel
                              and f["message"].get("text") == text)

        c.check(conn.wait_pushed(said(alice, "welcome, alice; you are the first here")),
                "the room's welcome comes on the channel")
        c.eq(conn.call("SendOnChannel", channel=alice, message={"text": "hi all"}), {},
             "SendOnChannel answers {}")
        frame = conn.wait_pushed(said(bob, "hi all"))
        c.eq(frame and frame["message"], {"from": "alice", "text": "hi all"},
             "bob hears alice, on his channel")
        c.check(conn2.wait_pushed(said(carol, "hi all")), "carol, on another connection, too")
        c.eq(conn.call("CloseChannel", channel=alice), {}, "CloseChannel answers {}")
        c.check(conn.wait_pushed(said(bob, "alice left")), "the room saw alice leave")
        resp = conn.request("SendOnChannel", channel=alice, message={"text": "again"})
        c.error(resp, "not_found", "a closed channel")
        resp = conn.request("CloseChannel", channel="0123456789abcdef0123456789abcdef")
        c.error(resp, "not_found", "an unknown channel")
        resp = conn.request("OpenChannel", actor=room, message={"name": "bob"})
        c.check(resp.get("ok") is False and "taken" in resp["error"]["message"],
                "a refused channel says why: %r" % resp)

        conn2.close()  # a connection's channels close with it
        c.check(conn.wait_pushed(said(bob, "carol left")), "closing a connection closes its channels")
        members = conn.call("RequestActorMessage", actor=room, message={"op": "members"})
        c.eq(members["response"]["members"], ["bob"], "only bob is left in the room")

        conn.call("StopActor", actor=room)
        closed = conn.wait_pushed(lambda f: f["type"] == "channel-closed")
        c.eq(closed, {"type": "channel-closed", "channel": bob}, "the actor's end closes bob's")


if __name__ == "__main__":
    run(verify_after_each=True)
