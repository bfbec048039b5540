# The runtime's examples through the real binary: ping-pong (two actors,
# request/response), supervisor (a crash, a restart, an escalation), chat
# (channels between a room and its clients) and the embedding program.
source "$(dirname "$0")/lib.bash"

# example_set DIR: a copy of every manifest in examples/DIR, each package
# pointing at this build's wasm (children are found beside their parent,
# so the set moves together); prints the copy's directory.
example_set() {
    local dir="$work/$1" f
    mkdir -p "$dir"
    for f in "$THEATER_SOURCE_DIR/examples/$1"/*.toml; do
        sed -E "s|^package = \"(.*/)?([^/\"]+)\"$|package = \"$THEATER_BINARY_DIR/examples/\\2\"|" \
            "$f" > "$dir/$(basename "$f")"
    done
    echo "$dir"
}

# id_of NAME: the id on the "actor" or "also" line that names NAME in $out.
id_of() {
    awk -v name="$1" '($1 == "actor" || $1 == "also") && $2 == name { sub(":", "", $3); print $3; exit }' <<< "$out"
}

# ---- ping-pong ----------------------------------------------------------------

pp="$(example_set ping-pong)"
data="$work/ping-data"
run_theater run "$pp/ping.toml" --data "$data" --request '{"rounds":5}' --request '{"rounds":2}'
expect_eq "ping exit" "$status" 0
expect_contains "ping answers" "$out" 'response  {"rounds":5}'
expect_contains "ping total" "$out" 'state     {"rounds":7}'
expect_contains "ping verified" "$out" "verified  yes"
expect_contains "pong also line" "$out" "also      pong "
ping_id="$(id_of ping)"
pong_id="$(id_of pong)"
expect_eq "ping id" "${#ping_id}" 32
expect_eq "pong id" "${#pong_id}" 32

run_theater state "$pong_id" --data "$data"
expect_eq "pong state" "$out" '{"pings":7,"notes":2}'
run_theater chain verify --all --data "$data"
expect_eq "ping-pong chains verify" "$status" 0
expect_contains "ping-pong verify count" "$out" "2 chains checked, 0 failed"
expect_contains "ping-pong links" "$out" "0 failed, 0 undelivered"
run_theater replay "$ping_id" --data "$data"
expect_eq "ping replays" "$status" 0
expect_contains "ping replays identically" "$out" "identical"
run_theater replay "$pong_id" --data "$data"
expect_eq "pong replays" "$status" 0
expect_contains "pong replays identically" "$out" "identical"

run_theater run "$pp/ping.toml" --request '{"rounds":-1}'
expect_eq "ping rounds -1 exit" "$status" 1
expect_contains "ping rounds -1" "$err" "'rounds' must be between 0 and 100000"
run_theater run "$pp/ping.toml" --request '{"rounds":"x"}'
expect_eq "ping rounds x exit" "$status" 1
expect_contains "ping rounds x" "$err" "'rounds' must be an integer"

# ---- supervisor ------------------------------------------------------------------

sv="$(example_set supervisor)"
run_theater run "$sv/supervisor.toml" --request '{"op":"work","n":10}' \
    --request '{"op":"work","n":4,"worker":"flaky"}' --send '{"op":"crash"}' \
    --request '{"op":"status"}' --json
expect_eq "supervisor exit" "$status" 0
expect_eq "steady worked" "$(jq -c '.responses[0]' <<< "$out")" \
    '{"worker":"steady","result":55,"jobs":1,"total":55}'
flaky="$(jq -c '.responses[2].children[] | select(.name == "flaky")' <<< "$out")"
expect_eq "flaky restarted once" "$(jq .restarts <<< "$flaky")" 1
# restart_from = "last-state": the job done before the crash is still counted.
expect_eq "flaky kept its state" "$(jq -c .state <<< "$flaky")" \
    '{"name":"flaky","flaky":true,"jobs":1,"total":10}'
expect_eq "steady not restarted" \
    "$(jq '.responses[2].children[] | select(.name == "steady") | .restarts' <<< "$out")" 0
expect_eq "supervisor heard one error" "$(jq .state.errors <<< "$out")" 1
expect_contains "supervisor heard why" "$(jq -r .state.last <<< "$out")" "flaky ("
expect_contains "supervisor heard the trap" "$(jq -r .state.last <<< "$out")" "failed: trap"

# The handler's events are in the supervisor's chain; the worker's chain
# shows its failure, the restart and its second spawn.
data="$work/sv-data"
run_theater run "$sv/supervisor.toml" --data "$data" --send '{"op":"crash"}' \
    --request '{"op":"status"}' --chain
expect_eq "supervisor chain exit" "$status" 0
expect_contains "handler event" "$out" "call   "
expect_contains "handler event" "$out" "theater:simple/supervisor-handlers#handle-child-error"
expect_contains "handler logged" "$out" "theater:simple/runtime#log"
expect_contains "crash logged" "$err" "[worker] crashing, as asked"
flaky_id="$(sed -n 's/^response  //p' <<< "$out" | jq -r '.children[] | select(.name == "flaky") | .id')"
run_theater chain verify --all --data "$data"
expect_eq "supervisor chains verify" "$status" 0
expect_contains "supervisor chains" "$out" "3 chains checked, 0 failed"
for id in $(sqlite3 "$data/theater.db" "select id from actors"); do
    run_theater replay "$id" --data "$data"
    expect_contains "supervisor set replays ($id)" "$out" "identical"
done
run_theater chain show "$flaky_id" --data "$data"
expect_contains "flaky trapped" "$out" "trap "
expect_eq "flaky spawned twice" "$(grep -c ' spawn ' <<< "$out")" 2
expect_contains "flaky respawned right after its failure" \
    "$(grep -A1 ' stop .* failed' <<< "$out" | tail -n 1)" " spawn "

# As a request, crash answers how the worker failed.
run_theater run "$sv/supervisor.toml" --request '{"op":"crash"}' --json
expect_eq "crash request exit" "$status" 0
expect_eq "crash request names the worker" "$(jq -r '.responses[0].crashed' <<< "$out")" flaky
expect_contains "crash request says why" "$(jq -r '.responses[0].error' <<< "$out")" "unreachable"

# Past the intensity (3 restarts within 10 s), the supervisor gives up:
# it stops its workers and fails. Each crash is a --send, which the CLI
# follows by waiting for the runtime to be idle: the supervisor has heard
# of the crash and the worker is back before the next one.
data="$work/esc-data"
run_theater run "$sv/supervisor.toml" --data "$data" --send '{"op":"crash"}' \
    --send '{"op":"crash"}' --send '{"op":"crash"}' --send '{"op":"crash"}' \
    --request '{"op":"status"}'
expect_eq "escalation exit" "$status" 1
expect_contains "escalation reason" "$err" "more than 3 restarts within 10 s"
expect_contains "escalated supervisor refuses" "$err" "has stopped"
expect_contains "steady stopped with it" "$out" "stopped by its supervisor"
sup_id="$(id_of supervisor)"
run_theater chain show "$sup_id" --data "$data"
expect_contains "supervisor stop escalated" "$out" "escalated"
run_theater state "$sup_id" --data "$data"
expect_eq "supervisor heard 4 errors" "$(jq .errors <<< "$out")" 4

run_theater run "$sv/supervisor.toml" --request '{"op":"dance"}'
expect_eq "supervisor unknown op exit" "$status" 1
expect_contains "supervisor unknown op" "$err" "unknown op (expected work, crash or status): dance"
run_theater run "$sv/supervisor.toml" --request '{"op":"work","n":1,"worker":"bob"}'
expect_eq "supervisor unknown worker exit" "$status" 1
expect_contains "supervisor unknown worker" "$err" "no worker named bob"
run_theater run "$sv/supervisor.toml" --request '{"op":"work","n":-3}'
expect_eq "worker bad n exit" "$status" 1
expect_contains "worker bad n" "$err" "'n' must be between 0 and 1000000"

# ---- chat ---------------------------------------------------------------------------

chat="$(example_set chat)"
data="$work/chat-data"
run_theater run "$chat/lobby.toml" --data "$data" --request '{"op":"demo"}' --json
expect_eq "chat exit" "$status" 0
expect_eq "chat verified" "$(jq .verified <<< "$out")" true
expect_eq "chat lobby state" "$(jq -c .state <<< "$out")" '{"clients":3,"lines":3}'
transcript="$(jq -c '.responses[0]' <<< "$out")"
heard() { # WHO LINE: did WHO hear LINE?
    jq --arg who "$1" --arg line "$2" '.[$who] | index($line) != null' <<< "$transcript"
}
alice='alice: hi, bob!'
bob='bob: hello alice, and welcome carol'
carol='carol: thanks, what did I miss?'
expect_eq "alice heard bob" "$(heard alice "$bob")" true
expect_eq "alice heard carol" "$(heard alice "$carol")" true
expect_eq "bob heard alice" "$(heard bob "$alice")" true
expect_eq "bob heard carol" "$(heard bob "$carol")" true
expect_eq "carol heard alice" "$(heard carol "$alice")" true
expect_eq "carol heard bob" "$(heard carol "$bob")" true
expect_eq "nobody hears themselves" "$(heard alice "$alice")$(heard bob "$bob")$(heard carol "$carol")" \
    falsefalsefalse
expect_eq "alice was welcomed" "$(jq -r '.alice[0]' <<< "$transcript")" \
    "room: welcome, alice; you are the first here"
expect_eq "carol was told who is here" "$(jq -r '.carol[0]' <<< "$transcript")" \
    "room: welcome, carol; here: alice, bob"
run_theater chain verify --all --data "$data"
expect_eq "chat chains verify" "$status" 0
expect_contains "chat chains" "$out" "5 chains checked, 0 failed"
room_id="$(sqlite3 "$data/theater.db" "select id from actors where name = 'room'")"
run_theater replay "$room_id" --data "$data"
expect_contains "room replays identically" "$out" "identical"

# One message at a time, as a user would type them.
run_theater run "$chat/lobby.toml" --request '{"join":"ann"}' --request '{"join":"ben"}' \
    --request '{"as":"ann","say":"is \"this\" on?"}' --request '{"op":"transcript"}'
expect_eq "chat step by step exit" "$status" 0
expect_contains "ben heard ann" "$out" '"ben":["room: welcome, ben; here: ann","ann: is \"this\" on?"]'
expect_eq "room and two clients" "$(grep -c '^also ' <<< "$out")" 3

run_theater run "$chat/client.toml" --request '{"say":"hi"}'
expect_eq "say before join exit" "$status" 1
expect_contains "say before join" "$err" "say before join: join a room first"
run_theater run "$chat/lobby.toml" --request '{"as":"alice","say":"hi"}'
expect_eq "lobby say before join exit" "$status" 1
expect_contains "lobby say before join" "$err" "alice has not joined"
run_theater run "$chat/lobby.toml" --request '{"join":"alice"}' --request '{"join":"alice"}'
expect_eq "join twice exit" "$status" 1
# The room refuses the channel; the lobby lets the client that could not join go.
expect_contains "join twice" "$err" "refused the channel: this name is taken in the room: alice"
expect_contains "refused client stopped" "$out" "stopped by its supervisor"
run_theater run "$chat/lobby.toml" --request '{"join":"no spaces"}'
expect_eq "bad name exit" "$status" 1
expect_contains "bad name" "$err" "'join' must be 1 to 16 letters, digits"
run_theater run "$chat/client.toml" --request '{"join":"0123456789abcdef0123456789abcdef","name":"x"}'
expect_eq "join nowhere exit" "$status" 1
expect_contains "join nowhere" "$err" "no actor with id"

# ---- embed ---------------------------------------------------------------------------

counter="$(example_manifest counter)"
embed="$THEATER_BINARY_DIR/examples/embed_example"
out="$(timeout 120 "$embed" "$counter" 2> "$work/stderr")"
status=$?
err="$(cat "$work/stderr")"
expect_eq "embed exit" "$status" 0
expect_contains "embed spawn event" "$out" "spawn  counter"
expect_contains "embed subscribed events" "$out" "call   theater:simple/message-server-client#handle-send"
expect_contains "embed log" "$out" "log   [counter] counter ready, count = 0"
expect_contains "embed response" "$out" 'response {"count":42}'
expect_contains "embed bad request" "$out" "'n' must be an integer"
expect_contains "embed stop event" "$out" "stop   stopped"
expect_contains "embed verified" "$out" "events, head "
expect_contains "embed verified" "$out" ", verified"
expect_eq "embed quiet stderr" "$err" ""
out="$(timeout 120 "$embed" "$work/missing.toml" 2> "$work/stderr")"
status=$?
expect_eq "embed missing manifest exit" "$status" 1
expect_contains "embed missing manifest" "$(cat "$work/stderr")" "missing.toml"

finish
