#!/usr/bin/env bash
# `make run`: runs the example actors and prints their chains, so that a new
# user sees Theater working within a minute of cloning it: one actor, then
# actors talking (ping-pong), supervised (supervisor) and on channels (chat);
# then starts a server with example actors and prints what to try next,
# leaving it running until Ctrl-C when run from a terminal.
set -uo pipefail
build="${1:-build}"
theater="$build/theater"
cd "$(dirname "$0")/.."

bold() { if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
# Shows a command as a person would type it: plain words bare, others in
# single quotes.
shown() {
    local out="" a
    for a in "$@"; do
        if [[ "$a" =~ ^[A-Za-z0-9_./:=@-]+$ ]]; then out+=" $a"; else out+=" '${a//\'/\'\\\'\'}'"; fi
    done
    printf '%s' "$out"
}

step() {
    echo
    bold "\$$(shown "$@")"
    "$@"
    echo "(exit status $?)"
}

bold "Theater $("$theater" --version | cut -d' ' -f2-)"
echo "Every actor below runs in a Wasmtime sandbox; every call into it and every"
echo "host call it makes is an event in a SHA-256 hash chain, printed after it."

step "$theater" run examples/counter/manifest.toml \
    --send '{"op":"inc"}' --send '{"op":"add","n":41}' --request '{"op":"get"}' --chain
step "$theater" run examples/echo/manifest.toml --request '{"hello":"theater"}' --chain
echo
bold "A misbehaving actor is stopped, its fault recorded, and the process goes on:"
step "$theater" run examples/crasher/manifest.toml --request '{"op":"ping"}' --send '{"op":"spin"}' --chain

echo
bold "Actors talk to actors. ping starts pong as its child and plays rounds of request/response:"
step "$theater" run examples/ping-pong/ping.toml --request '{"rounds":3}'
echo
bold "Let it crash: the runtime restarts a failed worker with its last state, and tells its supervisor:"
step "$theater" run examples/supervisor/supervisor.toml \
    --request '{"op":"work","n":4,"worker":"flaky"}' --send '{"op":"crash"}' --request '{"op":"status"}'
echo
bold "... but more than 3 restarts within 10 s and the supervisor gives up (and fails):"
step "$theater" run examples/supervisor/supervisor.toml --send '{"op":"crash"}' --send '{"op":"crash"}' \
    --send '{"op":"crash"}' --send '{"op":"crash"}' --request '{"op":"status"}'
echo
bold "Channels: a lobby starts a chat room and clients; every line reaches everyone else:"
step "$theater" run examples/chat/lobby.toml --request '{"join":"alice"}' --request '{"join":"bob"}' \
    --request '{"as":"alice","say":"hi bob"}' --request '{"as":"bob","say":"hello alice"}' \
    --request '{"op":"transcript"}'

echo
bold "With a data directory the chain is kept in SQLite, checked and browsed later:"
data="$(mktemp -d /tmp/theater-tour.XXXXXX)"
step "$theater" run examples/counter/manifest.toml --data "$data" --send '{"op":"add","n":7}'
step "$theater" run examples/ping-pong/ping.toml --data "$data" --request '{"rounds":2}'
# verify checks each chain, then each link between two chains (a message's
# call event names its sender's chain head).
step "$theater" chain verify --all --data "$data"
id="$(sqlite3 "$data/theater.db" "select id from actors where name = 'counter'" 2> /dev/null)"
[[ -n "$id" ]] && step "$theater" state "${id:0:8}" --data "$data" --at 3
rm -rf "$data"

echo
bold "Theater as a service: a server, managed by the same binary."
home="$(mktemp -d /tmp/theater-server.XXXXXX)"
export THEATER_HOME="$home"    # the CLI finds the server's socket there
"$theater" server --data "$home" --listen "" 2> "$home/server.log" &
server=$!
for _ in $(seq 100); do [[ -S "$home/theater.sock" ]] && break; sleep 0.1; done
if [[ ! -S "$home/theater.sock" ]]; then
    echo "the server did not start:"; cat "$home/server.log"
else
    step "$theater" start examples/http-counter/manifest.toml
    step "$theater" start examples/supervisor/supervisor.toml
    step "$theater" tree
    if command -v curl > /dev/null; then
        step curl -s -w '\n' -X POST localhost:8080/inc
    fi
    step "$theater" list
fi

echo
bold "Try next:"
cat <<TRY
  export THEATER_HOME=$home            # talk to this tour's server (its data directory)
  build/theater list                             # the actors it runs
  curl -X POST localhost:8080/inc                # the http-counter; then: curl localhost:8080/
  build/theater events ID --follow               # ID: any unique prefix of an actor id
  build/theater request ID '{"op":"status"}'     # the supervisor's status
  build/theater start examples/counter/manifest.toml --follow
  build/theater shutdown                         # stops every actor, flushes the chains
  build/theater run examples/chat/lobby.toml --request '{"op":"demo"}'
  build/theater new hello && build/theater build hello   # your first actor (README)
  cat examples/README.md                         # every example, and what it shows
  make test                                      # the tests, then again under ASan+UBSan
TRY
if [[ -n "${server:-}" ]] && kill -0 "$server" 2> /dev/null; then
    if [[ -t 0 ]]; then
        echo
        bold "The server runs until Ctrl-C here (or \`theater shutdown\` elsewhere); its log: $home/server.log"
        trap 'kill -TERM "$server" 2> /dev/null' INT
        wait "$server"
        echo "server stopped (exit status $?); its chains are in $home"
    else
        "$theater" shutdown > /dev/null
        wait "$server"
        echo "(not a terminal: the tour's server was shut down; its chains are in $home)"
    fi
fi
