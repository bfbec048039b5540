# Durable chains through the real binary: run with --data, then verify, show,
# state, export and import; tampering with the database file is caught; a
# process killed in the middle of a write load leaves chains that verify.
source "$(dirname "$0")/lib.bash"

counter="$(example_manifest counter)"
data="$work/data"

run_theater run "$counter" --data "$data" --send '{"op":"inc"}' --send '{"op":"add","n":41}' \
    --request '{"op":"get"}' --json
expect_eq "persisted run exit" "$status" 0
id="$(jq -r .actor.id <<< "$out")"
expect_eq "persisted run count" "$(jq -c .state <<< "$out")" '{"count":42}'
expect_eq "database file" "$([[ -f $data/theater.db ]] && echo yes)" yes

run_theater chain verify "$id" --data "$data"
expect_eq "verify exit" "$status" 0
expect_contains "verify" "$out" "ok, 11 events"

run_theater chain verify "${id:0:6}" --data "$data" --json
expect_eq "verify by prefix" "$(jq '.actors[0].ok' <<< "$out")" true

THEATER_HOME="$data" run_theater chain verify --all
expect_eq "verify --all via THEATER_HOME" "$status" 0
expect_contains "verify --all" "$out" "1 chains checked, 0 failed"

run_theater chain show "$id" --data "$data"
expect_eq "show exit" "$status" 0
expect_contains "show" "$out" "theater:simple/message-server-client#handle-request"
expect_eq "show lines" "$(grep -c '^ ' <<< "$out")" 11

run_theater chain show "$id" --data "$data" --from 4 --limit 2 --json
expect_eq "show window" "$(jq -c '[.events[].index]' <<< "$out")" '[4,5]'

run_theater state "$id" --data "$data"
expect_eq "state now" "$out" '{"count":42}'
run_theater state "$id" --data "$data" --at 3
expect_eq "state after init" "$out" '{"count": 0}'
run_theater state "$id" --data "$data" --at 99
expect_eq "state --at too far" "$status" 2
expect_contains "state --at too far" "$err" "has 11 events"

run_theater state ffff --data "$data"
expect_eq "unknown actor" "$status" 2
expect_contains "unknown actor" "$err" "no actor matches 'ffff'"

# Export, import elsewhere: the same chain, verified, with its states.
run_theater chain export "$id" --data "$data" -o "$work/chain.json"
expect_eq "export exit" "$status" 0
expect_eq "export format" "$(jq -r .format "$work/chain.json")" theater-chain
run_theater chain import "$work/chain.json" --data "$work/other"
expect_eq "import exit" "$status" 0
run_theater chain verify "$id" --data "$work/other"
expect_contains "imported verifies" "$out" "ok, 11 events"
run_theater state "$id" --data "$work/other"
expect_eq "imported state" "$out" '{"count":42}'
run_theater chain import "$work/chain.json" --data "$work/other"
expect_eq "import twice" "$status" 2
expect_contains "import twice" "$err" "already stored"

# A tampered export is refused before anything is stored. (Edited as text:
# jq would round the nanosecond timestamps through doubles.)
awk '/"input":/ { if (++n == 5) sub(/"input": "/, "\"input\": \"00") } { print }' \
    "$work/chain.json" > "$work/tampered.json"
run_theater chain import "$work/tampered.json" --data "$work/third"
expect_eq "tampered import exit" "$status" 1
expect_contains "tampered import" "$err" "does not verify: event 4"
printf '{"format": "theater-chain",' > "$work/broken.json"
run_theater chain import "$work/broken.json" --data "$work/third"
expect_eq "broken import exit" "$status" 2
expect_contains "broken import" "$err" "broken.json:1:"

# Tampering with the database file itself.
cp -r "$data" "$work/tamper"
sqlite3 "$work/tamper/theater.db" "UPDATE events SET input = X'00' WHERE idx = 4"
run_theater chain verify "$id" --data "$work/tamper"
expect_eq "tampered db exit" "$status" 1
expect_contains "tampered db" "$out" "FAILED at event 4"
cp -r "$data" "$work/cut"
sqlite3 "$work/cut/theater.db" "DELETE FROM events WHERE idx >= 9"
run_theater chain verify --all --data "$work/cut"
expect_eq "truncated db exit" "$status" 1
expect_contains "truncated db" "$out" "FAILED at event 9"

# A file that is not a database is refused, clearly.
mkdir -p "$work/junk" && echo "not a database" > "$work/junk/theater.db"
run_theater chain verify --all --data "$work/junk"
expect_eq "junk db exit" "$status" 2
expect_contains "junk db" "$err" "theater.db"

# Crash test: kill -9 in the middle of a write load, in `always` mode; every
# acknowledged request's effect must be stored, and every chain verify.
args=()
for _ in $(seq 3000); do args+=(--request '{"op":"inc"}'); done
"$THEATER" run "$counter" --data "$work/crash" --durability always "${args[@]}" \
    > "$work/crash.out" 2> /dev/null &
pid=$!
for _ in $(seq 600); do # up to 30 s: the sanitizer build is slower
    [[ $(grep -c '^response' "$work/crash.out" 2> /dev/null) -ge 50 ]] && break
    sleep 0.05
done
kill -9 "$pid" 2> /dev/null
wait "$pid" 2> /dev/null
acked="$(grep '^response' "$work/crash.out" | tail -1 | sed 's/.*"count":\([0-9]*\).*/\1/')"
crash_id="$(awk '/^actor/ {print $3}' "$work/crash.out")"
expect_eq "crash: some requests acknowledged" "$([[ ${acked:-0} -ge 50 ]] && echo yes)" yes
run_theater chain verify --all --data "$work/crash"
expect_eq "crash: chains verify" "$status" 0
run_theater state "$crash_id" --data "$work/crash" --json
stored="$(jq .state.count <<< "$out")"
expect_eq "crash: acknowledged effects stored" "$([[ ${stored:-0} -ge ${acked:-1} ]] && echo yes)" yes

# Resume: the actor that was killed comes back from its last stored state,
# and its chain goes on from where the crash cut it.
run_theater run --resume "$crash_id" --data "$work/crash" --request '{"op":"get"}' --json
expect_eq "resume exit" "$status" 0
expect_eq "resume state" "$(jq .state.count <<< "$out")" "$stored"
run_theater chain verify "$crash_id" --data "$work/crash"
expect_eq "resumed chain verifies" "$status" 0
run_theater chain show "$crash_id" --data "$work/crash" --json
expect_eq "resume recorded" "$(jq '[.events[] | select(.type == "spawn")] | length' <<< "$out")" 2

# A stored chain that does not verify is not resumed.
run_theater run --resume "$id" --data "$work/tamper"
expect_eq "tampered resume exit" "$status" 2
expect_contains "tampered resume" "$err" "does not verify"
run_theater run "$counter" --resume "$id" --data "$data"
expect_eq "manifest and resume" "$status" 2

# What the chain names by hash must be what is stored: a swapped state or
# package is refused, never run under a chain that verifies.
cp -r "$data" "$work/swapstate"
sqlite3 "$work/swapstate/theater.db" \
    "UPDATE states SET bytes = CAST('{\"count\":999}' AS BLOB) WHERE hash = (SELECT state_hash FROM actors)"
run_theater run --resume "$id" --data "$work/swapstate" --request '{"op":"get"}'
expect_eq "swapped state exit" "$status" 2
expect_contains "swapped state" "$err" "stored state does not hash to its name"
cp -r "$data" "$work/swappkg"
sqlite3 "$work/swappkg/theater.db" \
    "UPDATE packages SET wasm = readfile('$THEATER_BINARY_DIR/examples/crasher.wasm')"
run_theater run --resume "$id" --data "$work/swappkg"
expect_eq "swapped package exit" "$status" 2
expect_contains "swapped package" "$err" "stored package does not hash to its name"

# An event the registry counts but the database lost is named, not garbled.
cp -r "$data" "$work/lost"
sqlite3 "$work/lost/theater.db" "DELETE FROM events WHERE idx = 8"
run_theater state "$id" --data "$work/lost" --at 8
expect_eq "lost event exit" "$status" 2
expect_contains "lost event" "$err" "event 8 of actor $id is not stored"

finish
