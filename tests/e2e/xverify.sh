# Cross-actor verification through the real binary: the causal links
# between ping and pong hold after a run; deleting one side from the
# database makes the other side's links fail, naming the first bad one.
source "$(dirname "$0")/lib.bash"

# ping.toml starts pong.toml as its child: copy both, pointing at this
# build's wasm, side by side.
mkdir -p "$work/pp"
for name in ping pong; do
    sed "s|^package = .*|package = \"$THEATER_BINARY_DIR/examples/$name.wasm\"|" \
        "$THEATER_SOURCE_DIR/examples/ping-pong/$name.toml" > "$work/pp/$name.toml"
done

data="$work/data"
run_theater run "$work/pp/ping.toml" --data "$data" --request '{"rounds":3}' --json
expect_eq "run exit" "$status" 0
ping="$(jq -r .actor.id <<< "$out")"
pong="$(sqlite3 "$data/theater.db" "SELECT id FROM actors WHERE name = 'pong'")"
expect_eq "pong stored" "${#pong}" 32

# 3 requests and 1 note: four links, seen from both ends.
run_theater chain verify --all --data "$data"
expect_eq "links ok: exit" "$status" 0
expect_contains "links ok: ping" "$out" "$ping ping: links: 4 ok"
expect_contains "links ok: pong" "$out" "$pong pong: links: 4 ok"
expect_contains "links ok: total" "$out" "links: 4 ok, 0 failed"
expect_contains "chains still checked" "$out" "2 chains checked, 0 failed"

run_theater chain verify --all --data "$data" --json
expect_eq "links json: exit" "$status" 0
expect_eq "links json: total" "$(jq -c .links <<< "$out")" '{"ok":4,"failed":0,"undelivered":0}'
expect_eq "links json: pong" \
    "$(jq -c '.actors[] | select(.name == "pong") | .links | [.in, .out, .failed]' <<< "$out")" \
    '[4,0,0]'
expect_eq "links json: ping" \
    "$(jq -c '.actors[] | select(.name == "ping") | .links | [.in, .out, .failed]' <<< "$out")" \
    '[0,4,0]'

# The first message pong handled is event 3 (after spawn and init's call
# and return): it came from ping's request, event 5 of ping.
first_call="$(sqlite3 "$data/theater.db" "SELECT min(idx) FROM events WHERE actor_id = '$pong'
    AND name LIKE '%message-server-client#handle-request'")"
first_request="$(sqlite3 "$data/theater.db" "SELECT min(idx) FROM events WHERE actor_id = '$ping'
    AND name LIKE '%message-server-host#request'")"

# Without ping, pong's links dangle: every one names a sender not stored.
cp -r "$data" "$work/nosender"
sqlite3 "$work/nosender/theater.db" \
    "DELETE FROM events WHERE actor_id = '$ping'; DELETE FROM actors WHERE id = '$ping'"
run_theater chain verify --all --data "$work/nosender"
expect_eq "no sender: exit" "$status" 1
expect_contains "no sender: chain itself fine" "$out" "$pong pong: ok,"
expect_contains "no sender: first bad link" "$out" \
    "$pong pong: links FAILED: 4 bad, 0 ok; first: receiver $pong event $first_call, sender $ping: sender $ping is not stored"
expect_contains "no sender: total" "$out" "links: 0 ok, 4 failed"

run_theater chain verify --all --data "$work/nosender" --json
expect_eq "no sender json: exit" "$status" 1
expect_eq "no sender json: first bad" \
    "$(jq -c '.actors[0].links.first_bad | [.receiver_event, .sender_event]' <<< "$out")" \
    "[$first_call,null]"

# Without pong's events, ping's messages have no receiver.
cp -r "$data" "$work/noreceiver"
sqlite3 "$work/noreceiver/theater.db" "DELETE FROM events WHERE actor_id = '$pong'"
run_theater chain verify --all --data "$work/noreceiver"
expect_eq "no receiver: exit" "$status" 1
expect_contains "no receiver: pong's chain is cut" "$out" "$pong pong: FAILED at event 0"
expect_contains "no receiver: first bad link" "$out" \
    "$ping ping: links FAILED: 4 bad, 0 ok; first: receiver $pong (no event), sender $ping event $first_request: no event of receiver $pong links to this #request"

# And without pong at all.
sqlite3 "$work/noreceiver/theater.db" "DELETE FROM actors WHERE id = '$pong'"
run_theater chain verify --all --data "$work/noreceiver"
expect_eq "receiver gone: exit" "$status" 1
expect_contains "receiver gone: chains fine" "$out" "1 chains checked, 0 failed"
expect_contains "receiver gone" "$out" "receiver $pong is not stored"

# One actor's verify checks that chain alone, as before.
run_theater chain verify "$pong" --data "$work/nosender"
expect_eq "single verify ignores links" "$status" 0

finish
