# Deterministic replay through the real binary: stored actors and exports
# replay identically; another build diverges at the right event; a trap is
# reproduced; time travel with --to.
source "$(dirname "$0")/lib.bash"

counter="$(example_manifest counter)"
crasher="$(example_manifest crasher)"
data="$work/data"

run_theater run "$counter" --data "$data" --send '{"op":"inc"}' --send '{"op":"add","n":41}' \
    --request '{"op":"get"}' --send '{"op":"nope"}' --json
id="$(jq -r .actor.id <<< "$out")"

run_theater replay "$id" --data "$data"
expect_eq "replay exit" "$status" 0
expect_eq "replay identical" "$out" "replayed 13 events: identical"

run_theater replay "${id:0:8}" --data "$data" --to 5
expect_eq "replay --to exit" "$status" 0
expect_contains "replay --to state" "$out" 'state after event 5: {"count":1}'

run_theater replay "$id" --data "$data" --json
expect_eq "replay json" "$(jq -c '[.identical, .events, .state.count]' <<< "$out")" '[true,13,42]'

# An export replays on its own, with the package it carries.
run_theater chain export "$id" --data "$data" -o "$work/counter.json"
run_theater replay "$work/counter.json"
expect_eq "replay export" "$out" "replayed 13 events: identical"

# Another build against the recorded inputs: the first difference is named.
run_theater replay "$id" --data "$data" --package "$THEATER_BINARY_DIR/examples/echo.wasm"
expect_eq "other build exit" "$status" 1
expect_contains "other build" "$out" "diverged at event 2"
expect_contains "other build expected" "$out" "expected: host theater:simple/runtime#log"

# Traps are part of the record and replay like everything else.
run_theater run "$crasher" --data "$data" --request '{"op":"ping"}' --send '{"op":"crash"}' --json
crash_id="$(jq -r .actor.id <<< "$out")"
run_theater replay "$crash_id" --data "$data"
expect_eq "trap replays" "$out" "replayed 8 events: identical"

# Imported elsewhere, it still replays identically.
run_theater chain import "$work/counter.json" --data "$work/imported"
run_theater replay "$id" --data "$work/imported"
expect_eq "imported replays" "$out" "replayed 13 events: identical"

# A replay changes nothing on disk.
before="$(sha256sum < "$data/theater.db")"
run_theater replay "$id" --data "$data"
expect_eq "replay leaves the database alone" "$(sha256sum < "$data/theater.db")" "$before"

# Time travel when only a state's hash is kept: the state is computed by replay.
cp -r "$data" "$work/hashes"
sqlite3 "$work/hashes/theater.db" \
    "DELETE FROM states WHERE hash = (SELECT state_hash FROM events WHERE actor_id = '$id' AND idx = 5)"
run_theater state "$id" --data "$work/hashes" --at 5
expect_eq "state by replay" "$out" '{"count":1}'
sqlite3 "$work/hashes/theater.db" \
    "DELETE FROM states WHERE hash != (SELECT state_hash FROM events WHERE actor_id = '$id' AND idx = 0)"
run_theater state "$id" --data "$work/hashes" --at 6
expect_eq "state by replay inside a call" "$out" '{"count":1}'
run_theater chain show "$id" --data "$data" --around 5 --json
expect_eq "around" "$(jq -c '[.events[].index]' <<< "$out")" '[0,1,2,3,4,5,6,7,8,9,10]'

# A randomized workload replays identically and sums up.
args=()
sum=0
for _ in $(seq 200); do
    n=$((RANDOM % 100))
    if ((RANDOM % 2)); then args+=(--send '{"op":"inc"}'); sum=$((sum + 1));
    else args+=(--send "{\"op\":\"add\",\"n\":$n}"); sum=$((sum + n)); fi
done
run_theater run "$counter" --data "$work/random" "${args[@]}" --json
rid="$(jq -r .actor.id <<< "$out")"
expect_eq "random sum" "$(jq .state.count <<< "$out")" "$sum"
run_theater replay "$rid" --data "$work/random"
expect_eq "random replays" "$out" "replayed 405 events: identical"

# A stopped actor that was resumed replays identically, restart included.
run_theater run "$counter" --data "$work/resumed" --send '{"op":"inc"}' --json
rsid="$(jq -r .actor.id <<< "$out")"
run_theater run --resume "$rsid" --data "$work/resumed" --send '{"op":"inc"}'
run_theater replay "$rsid" --data "$work/resumed"
expect_eq "resumed replays" "$out" "replayed 11 events: identical"

# --to at the edges.
run_theater replay "$id" --data "$data" --to 0
expect_contains "--to 0" "$out" 'state after event 0: {"count": 0}'
run_theater replay "$id" --data "$data" --to 13
expect_eq "--to past the end" "$status" 2
expect_contains "--to past the end" "$err" "the chain has 13 events"

# A chain that does not verify is not replayed; bad arguments are named.
cp -r "$data" "$work/tamper"
sqlite3 "$work/tamper/theater.db" "UPDATE events SET output = X'00' WHERE idx = 5"
run_theater replay "$id" --data "$work/tamper"
expect_eq "tampered replay exit" "$status" 2
expect_contains "tampered replay" "$err" "does not verify"
run_theater replay "$id" --data "$data" --to x
expect_eq "bad --to" "$status" 2
run_theater replay
expect_eq "no target" "$status" 2

finish
