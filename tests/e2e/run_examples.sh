# `theater run` on every example actor, through the real binary.
source "$(dirname "$0")/lib.bash"

counter="$(example_manifest counter)"
echo_m="$(example_manifest echo)"
crasher="$(example_manifest crasher)"

# The issue's own command: count 42, verified.
run_theater run "$counter" --send '{"op":"inc"}' --send '{"op":"add","n":41}' \
    --request '{"op":"get"}' --json
expect_eq "counter exit" "$status" 0
expect_eq "counter state" "$(jq -c .state <<< "$out")" '{"count":42}'
expect_eq "counter response" "$(jq -c '.responses[0]' <<< "$out")" '{"count":42}'
expect_eq "counter verified" "$(jq .verified <<< "$out")" true
expect_eq "counter id" "$(jq -r '.actor.id | length' <<< "$out")" 32
expect_eq "counter head" "$(jq -r '.head | test("^[0-9a-f]{64}$")' <<< "$out")" true
# spawn, init call + its log + return, 3 messages x (call+return), stop
expect_eq "counter events" "$(jq .events <<< "$out")" 11

# The same in text form, with the chain printed.
run_theater run "$counter" --send '{"op":"inc"}' --request '{"op":"get"}' --chain
expect_eq "counter text exit" "$status" 0
expect_contains "counter text" "$out" 'response  {"count":1}'
expect_contains "counter text" "$out" "verified  yes"
expect_contains "counter chain" "$out" "theater:simple/message-server-client#handle-send"
expect_contains "counter chain" "$out" "theater:simple/runtime#log"

# An export's own error is reported, recorded and the exit status is 1.
run_theater run "$counter" --send '{"op":"jump"}' --json
expect_eq "counter bad op exit" "$status" 1
expect_eq "counter bad op kind" "$(jq -r .error.kind <<< "$out")" export-error
expect_eq "counter bad op verified" "$(jq .verified <<< "$out")" true

# Echo answers its message.
run_theater run "$echo_m" --request '{"hello":["theater",1]}' --json
expect_eq "echo exit" "$status" 0
expect_eq "echo response" "$(jq -c '.responses[0]' <<< "$out")" '{"hello":["theater",1]}'
expect_eq "echo state" "$(jq -c .state <<< "$out")" null

# The crasher works until it misbehaves; each misbehaviour is contained.
run_theater run "$crasher" --request '{"op":"ping"}' --json
expect_eq "crasher ping exit" "$status" 0
expect_eq "crasher ping" "$(jq -c '.responses[0]' <<< "$out")" '{"ok":true}'

check_contained() { # op kind message
    run_theater run "$crasher" --request '{"op":"ping"}' --send "{\"op\":\"$1\"}" --json
    expect_eq "crasher $1 exit" "$status" 1
    expect_eq "crasher $1 kind" "$(jq -r .error.kind <<< "$out")" "$2"
    expect_contains "crasher $1 message" "$(jq -r .error.message <<< "$out")" "$3"
    expect_contains "crasher $1 stderr" "$err" "$3"
    expect_eq "crasher $1 verified" "$(jq .verified <<< "$out")" true
    expect_eq "crasher $1 ping answered first" "$(jq -c '.responses[0]' <<< "$out")" '{"ok":true}'
    run_theater run "$crasher" --send "{\"op\":\"$1\"}" --chain
    expect_contains "crasher $1 trap event" "$out" "trap "
    expect_contains "crasher $1 stop event" "$out" "stop "
}
check_contained crash trap "unreachable"
check_contained spin timeout "ran out of fuel"
check_contained bomb out-of-memory "of its 16 MiB limit"
check_contained deep trap "stack overflow"

finish
