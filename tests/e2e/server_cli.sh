# The CLI against a real server: every verb, --json, bad input, following
# events as they happen, the supervision tree, and a clean shutdown after
# which every chain verifies.
source "$(dirname "$0")/lib.bash"

data="$work/data"
server_pid=""
follow_pid=""

# Runs on every exit path: nothing of ours outlives the test.
cleanup() {
    local pid
    for pid in $follow_pid $server_pid; do
        kill -TERM "$pid" 2> /dev/null
    done
    for _ in $(seq 100); do
        kill -0 $server_pid $follow_pid 2> /dev/null || break
        sleep 0.1
    done
    for pid in $follow_pid $server_pid; do
        kill -KILL "$pid" 2> /dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT

# A copy of an example's manifests whose packages point at this build.
example_dir() {
    local name="$1" toml
    mkdir -p "$work/$name"
    for toml in "$THEATER_SOURCE_DIR/examples/$name"/*.toml; do
        sed "s|^package = \".*/\([^/]*\.wasm\)\"|package = \"$THEATER_BINARY_DIR/examples/\1\"|" \
            "$toml" > "$work/$name/$(basename "$toml")"
    done
    echo "$work/$name"
}

# wait_for_exit PID SECONDS: sets $status to PID's exit status, or 124 if
# it is still running after SECONDS.
wait_for_exit() {
    local pid="$1" tries=$(($2 * 10))
    while kill -0 "$pid" 2> /dev/null && [[ $tries -gt 0 ]]; do
        sleep 0.1
        tries=$((tries - 1))
    done
    if kill -0 "$pid" 2> /dev/null; then
        status=124
    else
        wait "$pid"
        status=$?
    fi
}

# wait_for_text FILE TEXT SECONDS: true once FILE contains TEXT.
wait_for_text() {
    local tries=$(($3 * 10))
    while [[ $tries -gt 0 ]]; do
        grep -qF -- "$2" "$1" 2> /dev/null && return 0
        sleep 0.1
        tries=$((tries - 1))
    done
    return 1
}

json_get() { # JSON on stdin, a python expression on d
    python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

counter_dir="$(example_dir counter)"
counter="$counter_dir/manifest.toml"
supervisor="$(example_dir supervisor)/supervisor.toml"
crasher="$(example_dir crasher)/manifest.toml"

# ---- Before any server: unreachable and bad addresses --------------------------------------

closed_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
run_theater list --server "127.0.0.1:$closed_port"
expect_eq "unreachable exit" "$status" 3
expect_contains "unreachable" "$err" "cannot reach the theater server at 127.0.0.1:$closed_port"
expect_contains "unreachable hint" "$err" "start one with \`theater server\`"

run_theater status abcd --server "unix:$work/nothing.sock"
expect_eq "unreachable unix exit" "$status" 3
THEATER_SERVER="127.0.0.1:$closed_port" run_theater list
expect_eq "unreachable from THEATER_SERVER" "$status" 3

for bad in nonsense 127.0.0.1:99999 127.0.0.1: :9000 "unix:"; do
    run_theater list --server "$bad"
    expect_eq "bad --server '$bad' exit" "$status" 2
    expect_contains "bad --server '$bad'" "$err" "bad --server value"
done
run_theater list --server
expect_eq "--server without a value" "$status" 2

run_theater --help
expect_contains "help lists start" "$out" "start MANIFEST"
expect_contains "help lists exit 3" "$out" "3 cannot reach the theater server"
for verb in start stop restart list tree status send request events shutdown; do
    run_theater "$verb" --help
    expect_eq "$verb --help exit" "$status" 0
    expect_contains "$verb --help" "$out" "usage: theater $verb"
done

# Arguments are checked before any connection is tried.
check_usage() { # expected-message args...
    local want="$1"
    shift
    run_theater "$@" --server "127.0.0.1:$closed_port"
    expect_eq "$* exit" "$status" 2
    expect_contains "$*" "$err" "$want"
}
check_usage "an actor ID is required" stop
check_usage "a MANIFEST is required" start
check_usage "a JSON message is required" send abcd
check_usage "unexpected argument 'x'" list x
check_usage "unknown option '--bogus'" status abcd --bogus
check_usage "the message is not valid JSON" request abcd '{"op":'
check_usage "--state is not valid JSON" start "$counter" --state '{nope'
check_usage "--limit needs a number" events abcd --limit many
check_usage "--timeout must be from 1" request abcd '{}' --timeout 0

# ---- A server ------------------------------------------------------------------------------

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
"$THEATER" server --data "$data" --listen "127.0.0.1:$port" > "$work/server.log" 2>&1 &
server_pid=$!
S=(--server "127.0.0.1:$port")
for _ in $(seq 600); do
    "$THEATER" list "${S[@]}" > /dev/null 2>&1 && break
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.1
done
if ! "$THEATER" list "${S[@]}" > /dev/null 2>&1; then
    bad "the server did not start listening on 127.0.0.1:$port"
    cat "$work/server.log" >&2
    finish
    exit 1
fi

run_theater list "${S[@]}"
expect_eq "empty list" "$out" "no actors"

# start: the id, then every verb on it (abbreviated)
run_theater start "$counter" "${S[@]}"
expect_eq "start exit" "$status" 0
id="$out"
if [[ ! "$id" =~ ^[0-9a-f]{32}$ ]]; then bad "start printed '$id', not an id"; fi
short="${id:0:8}"

run_theater send "$short" '{"op":"inc"}' "${S[@]}"
expect_eq "send exit" "$status" 0
expect_eq "send prints nothing" "$out" ""
run_theater send "$short" @/dev/null "${S[@]}"
expect_eq "send @empty file exit" "$status" 2
echo '{"op":"add","n":40}' > "$work/add.json"
run_theater send "$short" "@$work/add.json" "${S[@]}"
expect_eq "send @FILE exit" "$status" 0

run_theater request "$short" '{"op":"inc"}' "${S[@]}"
expect_eq "request exit" "$status" 0
expect_eq "request" "$out" '{"count":42}'
run_theater --json request "$short" '{"op":"get"}' "${S[@]}"
expect_eq "request --json (global) " "$(json_get 'd["response"]["count"]' <<< "$out")" 42
run_theater request "$short" '{"op":"frob"}' "${S[@]}"
expect_eq "actor error exit" "$status" 1
expect_contains "actor error" "$err" "unknown op: frob"

run_theater status "$short" "${S[@]}"
expect_eq "status exit" "$status" 0
expect_contains "status id" "$out" "id        $id"
expect_contains "status running" "$out" "status    running"
expect_contains "status handled" "$out" "handled   5"
run_theater status "$short" --json "${S[@]}"
expect_eq "status --json" "$(json_get 'd["id"], d["status"], d["errors"]' <<< "$out")" "$id running 1"

run_theater state "$short" "${S[@]}"
expect_eq "state from the server" "$out" '{"count":42}'
THEATER_SERVER="127.0.0.1:$port" run_theater state "$short" --json
expect_eq "state from THEATER_SERVER" "$(json_get 'd["state"]["count"]' <<< "$out")" 42
run_theater state "$short" --at 1 "${S[@]}"
expect_eq "state --at with --server exit" "$status" 2
run_theater state "$short" --at 3 --data "$data"
expect_eq "state from the data directory still" "$out" '{"count": 0}'

run_theater list "${S[@]}"
expect_contains "list header" "$out" "ID            NAME"
expect_contains "list row" "$out" "${id:0:12}  counter  running"
if [[ "$out" == *$'\033'* ]]; then bad "list coloured output that is not a terminal"; fi
run_theater list --json "${S[@]}"
expect_eq "list --json" "$(json_get 'd["actors"][0]["id"]' <<< "$out")" "$id"

run_theater events "$short" "${S[@]}"
expect_eq "events exit" "$status" 0
expect_contains "events spawn" "$out" "     0  spawn  "
expect_contains "events send" "$out" 'handle-send ("{\"op\":\"inc\"}")'
expect_contains "events error" "$out" 'err("unknown op: frob")'
events_total="$(wc -l <<< "$out")"
run_theater events "$short" --from 2 --limit 3 "${S[@]}"
expect_eq "events --from --limit lines" "$(wc -l <<< "$out")" 3
expect_contains "events --from" "${out%%$'\n'*}" "     2  "
run_theater events "$short" --json "${S[@]}"
expect_eq "events --json" "$(json_get 'd["total"], len(d["events"])' <<< "$out")" \
    "$events_total $events_total"
run_theater events "$short" --from 99999999999 "${S[@]}"
expect_eq "events: the server's bad_request exit" "$status" 2

# unknown ids and bad input, as the server answers them
for verb in stop restart status events state; do
    run_theater "$verb" 0000ffff "${S[@]}"
    expect_eq "$verb unknown id exit" "$status" 2
    expect_contains "$verb unknown id" "$err" "no actor"
done
run_theater send 0000ffff '{}' "${S[@]}"
expect_eq "send unknown id exit" "$status" 2
run_theater start "$work/missing.toml" "${S[@]}"
expect_eq "start missing manifest exit" "$status" 2
expect_contains "start missing manifest" "$err" "missing.toml"

# events --follow sees events as they happen, and ends on Ctrl-C
"$THEATER" events "$short" --follow "${S[@]}" > "$work/follow.out" 2> "$work/follow.err" &
follow_pid=$!
wait_for_text "$work/follow.out" 'err("unknown op: frob")' 30 || bad "follow: no backlog"
run_theater send "$short" '{"op":"add","n":7}' "${S[@]}"
run_theater request "$short" '{"op":"get"}' "${S[@]}"
expect_eq "count after follow's sends" "$out" '{"count":49}'
wait_for_text "$work/follow.out" 'handle-send ("{\"op\":\"add\",\"n\":7}")' 30 ||
    bad "follow did not show the new send: $(cat "$work/follow.out")"
wait_for_text "$work/follow.out" 'ok((("{\"count\":49}")))' 30 ||
    bad "follow did not show the new request's answer"
kill -INT "$follow_pid"
wait_for_exit "$follow_pid" 30
follow_pid=""
expect_eq "follow ends on SIGINT with" "$status" 0
expect_eq "follow printed each event once" \
    "$(grep -c 'op\\":\\"add\\",\\"n\\":7' "$work/follow.out")" 1

# start from a relative path, with an initial state from a file, and follow it
echo '{"count": 41}' > "$work/state.json"
(cd "$counter_dir" && exec "$THEATER" start manifest.toml --state "@$work/state.json" --follow \
    "${S[@]}" > "$work/start.out" 2> "$work/start.err") &
follow_pid=$!
wait_for_text "$work/start.out" "actor#init ok(())" 30 || bad "start --follow: no events"
id2="$(head -1 "$work/start.out")"
run_theater request "$id2" '{"op":"inc"}' "${S[@]}"
expect_eq "start --state @FILE" "$out" '{"count":42}'
run_theater restart "$id2" --reinit "${S[@]}"
expect_eq "restart exit" "$status" 0
expect_eq "restart" "$out" "restarted counter $id2"
run_theater request "$id2" '{"op":"get"}' "${S[@]}"
expect_eq "restart --reinit: the initial state given" "$out" '{"count":41}'
run_theater stop "${id2:0:6}" "${S[@]}"
expect_eq "stop" "$out" "stopped counter $id2"
wait_for_exit "$follow_pid" 30
follow_pid=""
expect_eq "start --follow ends when the actor stops, with" "$status" 0
expect_contains "start --follow saw the restart" "$(cat "$work/start.out")" "stop   "
expect_contains "start --follow saw the stop" "$(tail -1 "$work/start.out")" " stopped"
run_theater status "$id2" "${S[@]}"
expect_contains "stopped status" "$out" "status    stopped"
expect_contains "stopped exit reason" "$out" "exit      "
run_theater restart "$id2" "${S[@]}"
run_theater request "$id2" '{"op":"get"}' "${S[@]}"
expect_eq "restart of a stopped actor, from its last state" "$out" '{"count":41}'

# the supervision tree
run_theater start "$supervisor" --json "${S[@]}"
sup="$(json_get 'd["actor"]' <<< "$out")"
run_theater start "$crasher" --parent "${sup:0:8}" "${S[@]}"
expect_eq "start --parent exit" "$status" 0
crash="$out"
run_theater request "$crash" '{"op":"spin"}' --timeout 60000 "${S[@]}"
expect_eq "a failing request exit" "$status" 1
run_theater tree "${S[@]}"
expect_eq "tree exit" "$status" 0
expect_contains "tree root" "$out" "supervisor ${sup:0:12}"
expect_contains "tree child" "$out" "├─ crasher ${crash:0:12}"
expect_contains "tree last child" "$out" "└─ worker "
expect_contains "tree roots" "$out" "counter ${id:0:12}"
tree_workers="$(grep -c '─ worker ' <<< "$out")"
expect_eq "tree: both workers under the supervisor" "$tree_workers" 2
run_theater tree --json "${S[@]}"
expect_eq "tree --json" "$(json_get 'len(d["actors"])' <<< "$out")" 6
run_theater stop "$short" "${S[@]}"
run_theater tree "${S[@]}"
expect_contains "tree marks stopped" "$out" "counter ${id:0:12} (stopped)"

# other ways to name the server
run_theater list --server "unix:$data/theater.sock"
expect_eq "unix:PATH" "$status" 0
run_theater list --server "$data/theater.sock"
expect_eq "socket path" "$status" 0
THEATER_HOME="$data" run_theater list
expect_eq "default: the data directory's socket" "$status" 0
expect_contains "default socket list" "$out" "supervisor"
THEATER_SERVER="127.0.0.1:$port" run_theater list
expect_eq "THEATER_SERVER" "$status" 0

# shutdown: the server stops cleanly and every chain verifies
run_theater shutdown "${S[@]}"
expect_eq "shutdown exit" "$status" 0
expect_contains "shutdown" "$out" "has stopped"
wait_for_exit "$server_pid" 60
server_pid=""
expect_eq "server exit status" "$status" 0
run_theater list "${S[@]}"
expect_eq "after shutdown: unreachable" "$status" 3
run_theater chain verify --all --data "$data"
expect_eq "chains verify" "$status" 0
expect_contains "links verify" "$out" "0 failed"

if [[ $failed -ne 0 ]]; then
    echo "--- server log" >&2
    cat "$work/server.log" >&2
fi
finish
