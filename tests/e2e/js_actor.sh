# An actor in JavaScript, end to end: examples/js-counter built into a
# Component Model component by componentize-js (examples/js-counter/build.sh,
# which installs the pinned npm packages once per machine), then run by the
# real binary: it imports only theater:simple, counts, answers bad input with
# an error rather than a trap, keeps its chain in SQLite, verifies, replays
# identically and resumes from its stored state.
#
# The one reason to skip: npm is missing or cannot reach its registry (build.sh
# exits 3). Then this prints SKIP and exits 0, so that `make test` passes on a
# machine without the network; any other build failure fails the test.
source "$(dirname "$0")/lib.bash"

wasm="$THEATER_BINARY_DIR/examples/js-counter.wasm"

# The wasm-tools this build was configured with, for build.sh's import
# check and ours.
wasm_tools=""
[[ -f "$THEATER_BINARY_DIR/CMakeCache.txt" ]] &&
    wasm_tools="$(sed -n 's/^WASM_TOOLS:FILEPATH=//p' "$THEATER_BINARY_DIR/CMakeCache.txt")"
if [[ -n "$wasm_tools" && -x "$wasm_tools" ]]; then
    export THEATER_WASM_TOOLS="$wasm_tools"
else
    wasm_tools=""
fi

timeout 280 bash "$THEATER_SOURCE_DIR/examples/js-counter/build.sh" "$wasm" 2> "$work/build.log"
build_status=$?
if [[ $build_status -eq 3 ]]; then
    tail -n 5 "$work/build.log"
    echo "SKIP: npm could not install componentize-js, so the JavaScript actor was not built"
    exit 0
fi
if [[ $build_status -ne 0 ]]; then
    cat "$work/build.log" >&2
    bad "examples/js-counter/build.sh exited with $build_status"
    finish
    exit
fi
ok

# A component, importing nothing but theater:simple: the engine's WASI
# features are all disabled (build.sh checks this too; a build.sh that stops
# checking must not make this test pass).
expect_eq "component header" "$(head -c 8 "$wasm" | od -An -tx1 | tr -d ' \n')" "0061736d0d000100"
if [[ -n "$wasm_tools" ]]; then
    imports="$("$wasm_tools" component wit "$wasm" | sed -n 's/^ *import \([^;]*\);.*/\1/p' | sort | tr '\n' ' ')"
    expect_eq "imports" "$imports" \
        "theater:simple/message-server-host theater:simple/runtime theater:simple/types "
fi

counter="$(example_manifest js-counter)"
data="$work/data"

# Send inc and add, request get; then a message that is not an object, which
# must come back as the export's error and leave the state alone.
run_theater run "$counter" --data "$data" --send '{"op":"inc"}' --send '{"op":"add","n":41}' \
    --request '{"op":"get"}' --request '[1,2]' --json
expect_eq "run exit (the last request fails)" "$status" 1
expect_eq "run summary" "$(jq -c '[.responses, .state, .events, .verified, .error.kind]' <<< "$out")" \
    '[[{"count":42}],{"count":42},13,true,"export-error"]'
expect_contains "bad message" "$(jq -r .error.message <<< "$out")" \
    "returned an error from theater:simple/message-server-client#handle-request: the message must be a JSON object"
expect_contains "init log" "$err" "[js-counter] js counter ready, count = 0"
id="$(jq -r .actor.id <<< "$out")"

# The chain: the log line is a host call; the bad message an err, not a trap.
run_theater chain show "$id" --data "$data" --json
expect_eq "chain" "$(jq -c '[.events[] | .type]' <<< "$out")" \
    '["spawn","call","host","return","call","return","call","return","call","return","call","return","stop"]'
expect_eq "log event" "$(jq -r '.events[2].name' <<< "$out")" "theater:simple/runtime#log"
expect_contains "err event" "$(jq -r '.events[11].summary' <<< "$out")" 'err("the message must be a JSON object")'

run_theater chain verify --all --data "$data"
expect_eq "verify exit" "$status" 0
expect_contains "verify" "$out" "$id js-counter: ok, 13 events"

run_theater replay "$id" --data "$data"
expect_eq "replay exit" "$status" 0
expect_eq "replay" "$out" "replayed 13 events: identical"

# Errors the counter names, each leaving the count as it was.
run_theater run "$counter" --send '{"op":"get"}'
expect_eq "get as a send exit" "$status" 1
expect_contains "get as a send" "$err" "'get' answers with the count: send it as a request"
run_theater run "$counter" --request '{"op":"add","n":1.5}'
expect_contains "non-integer n" "$err" "'n' must be an integer"
run_theater run "$counter" --send '{"op":"add","n":9007199254740991}' --request '{"op":"inc"}'
expect_contains "overflow" "$err" "the count would leave the integers JavaScript holds exactly"
run_theater run "$counter" --request '{"op":"dec"}'
expect_contains "unknown op" "$err" "unknown op: dec"

# A new instance picks the count up from the stored state.
run_theater run --resume "${id:0:8}" --data "$data" --request '{"op":"inc"}' --json
expect_eq "resume exit" "$status" 0
expect_eq "resumed count" "$(jq -c '.responses[0]' <<< "$out")" '{"count":43}'
run_theater replay "$id" --data "$data"
expect_eq "replay after resume" "$out" "replayed 17 events: identical"

finish
