# The management server end to end: the python tests of tests/server/
# against a real `theater server` (one at a time, on a free loopback port and
# a fresh data directory), then the server's life on that data: a second
# server refused, kill -9 and resume, SIGTERM, Shutdown.
source "$(dirname "$0")/lib.bash"

tests="$THEATER_SOURCE_DIR/tests/server"
data="$work/data"
server_pid=""
server_log=""
runs=0

# Whatever happens, no server outlives the script.
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill -KILL "$server_pid" 2> /dev/null
        wait "$server_pid" 2> /dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server: a server on $data and a free port; sets server_pid, port,
# server_log. Another program may take the port between free_port and the
# bind: then the server exits and another port is tried.
start_server() {
    local attempt i
    for attempt in 1 2 3 4 5; do
        runs=$((runs + 1))
        port="$(free_port)"
        server_log="$work/server.$runs.log"
        : > "$server_log" # before the server opens it: grep reads it at once
        "$THEATER" server --data "$data" --listen "127.0.0.1:$port" 2> "$server_log" &
        server_pid=$!
        for ((i = 0; i < 600; i++)); do # up to 60 s (the sanitizer build starts slowly)
            if grep -q "listening on 127.0.0.1:$port" "$server_log"; then
                export THEATER_SERVER="127.0.0.1:$port"
                return 0
            fi
            kill -0 "$server_pid" 2> /dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2> /dev/null
        wait "$server_pid" 2> /dev/null
        server_pid=""
        echo "server start $attempt failed:" >&2
        cat "$server_log" >&2
    done
    return 1
}

# wait_server: waits up to 60 s for the server to exit; sets $status to its
# exit status (137 when it had to be killed).
wait_server() {
    local i
    for ((i = 0; i < 600; i++)); do
        kill -0 "$server_pid" 2> /dev/null || break
        sleep 0.1
    done
    kill -0 "$server_pid" 2> /dev/null && echo "the server did not exit: killed" >&2
    kill -KILL "$server_pid" 2> /dev/null
    wait "$server_pid" 2> /dev/null # (no "Killed" line from bash)
    status=$?
    server_pid=""
}

# stop_server SIGNAL: sends it and waits for the exit ($status).
stop_server() {
    kill "-$1" "$server_pid"
    wait_server
}

# python_tests SCRIPT [ARGS]: runs a test script of tests/server/, counted
# as one check; its own lines say which of its checks failed.
python_tests() {
    local name="$1"
    shift
    timeout 240 python3 "$tests/$name" "$@" > "$work/py.out" 2> "$work/py.err"
    local rc=$?
    if [[ $rc -eq 0 ]]; then
        ok
    else
        bad "$name $* (exit $rc): $(tail -n 1 "$work/py.out")"
        cat "$work/py.err" >&2
    fi
    echo "  $name $*: $(tail -n 1 "$work/py.out")"
}

# protocol_tests SCRIPT: python_tests, then the server must still be up;
# if it died, that is said (with the signal), and another one is started
# so that the remaining tests still say something.
protocol_tests() {
    python_tests "$1"
    if [[ -n "$server_pid" ]] && ! kill -0 "$server_pid" 2> /dev/null; then
        wait_server
        local how="exit status $status"
        ((status > 128)) && how="killed by SIG$(kill -l $((status - 128)))"
        bad "the server died during $1 ($how); its log ends:"
        tail -n 5 "$server_log" >&2
        start_server || bad "the server does not start again"
    fi
}

# Every line the server logged is "TIMESTAMP level message".
check_log_format() {
    local odd
    odd="$(grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z (error|warn |info |debug) ' "$server_log")"
    expect_eq "server log lines are TIMESTAMP level message" "$odd" ""
}

export THEATER THEATER_SOURCE_DIR THEATER_BINARY_DIR
export THEATER_WORK="$work" THEATER_DATA="$data" THEATER_SERVER_SOCKET="$data/theater.sock"
export PYTHONDONTWRITEBYTECODE=1 # nothing written into the source tree

if ! start_server; then
    bad "the server does not start"
    finish
    exit 1
fi

# ---- The protocol, against one server ---------------------------------------
protocol_tests test_commands.py
protocol_tests test_streams.py
protocol_tests test_pipelining.py
protocol_tests test_bad_input.py
protocol_tests test_stress.py
python_tests test_lifecycle.py prepare

# ---- One server per data directory ------------------------------------------
out="$(timeout 60 "$THEATER" server --data "$data" --listen "127.0.0.1:$(free_port)" 2>&1)"
expect_eq "a second server on the same data exits 2" "$?" 2
expect_contains "a second server says why" "$out" \
    "another theater server is running on the data directory $data (pid $server_pid)"
expect_eq "the first server is still up" "$(kill -0 "$server_pid" && echo up)" up

# ---- kill -9, then a new server resumes what was running ---------------------
stop_server KILL 2> /dev/null # (bash would say "Killed")
check_log_format
start_server || bad "the server does not start after kill -9"
expect_contains "resume is logged" "$(cat "$server_log")" "resumed "
python_tests test_lifecycle.py resumed

# ---- SIGTERM: exit 0, chains flushed, every actor stopped -------------------
stop_server TERM
expect_eq "SIGTERM exit status" "$status" 0
expect_contains "SIGTERM is logged" "$(cat "$server_log")" "SIGTERM: shutting down"
check_log_format
run_theater chain verify --all --data "$data"
expect_eq "the chains verify after SIGTERM" "$status" 0
expect_contains "the chains verify after SIGTERM" "$out" " 0 failed"
python_tests test_lifecycle.py stopped

# ---- Shutdown, the command --------------------------------------------------
start_server || bad "the server does not start after SIGTERM"
python_tests test_lifecycle.py shutdown
wait_server
expect_eq "Shutdown exit status" "$status" 0
expect_contains "the server logs its stop" "$(tail -n 1 "$server_log")" "stopped"
check_log_format
expect_eq "the socket is removed" "$([[ -e "$data/theater.sock" ]] && echo left)" ""

finish
