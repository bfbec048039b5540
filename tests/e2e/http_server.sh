# The http-server handler end to end: a real `theater server`, the
# examples/http-counter actor started with `theater start`, real HTTP on
# loopback (curl, or python3 where curl is missing): GET and POST, the
# limits, concurrent clients, one call and one return in the chain per
# request, a port already taken, and after the server has stopped (nothing
# listens any more) a replay that is identical and chains that verify.
source "$(dirname "$0")/lib.bash"

data="$work/data"
server_pid=""

cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill -TERM "$server_pid" 2> /dev/null
        for _ in $(seq 100); do
            kill -0 "$server_pid" 2> /dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2> /dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# http METHOD URL [BODY_FILE] [HEADER]: prints "STATUS BODY" ("000" when
# nothing answered).
if command -v curl > /dev/null 2>&1; then
    http() {
        local args=(-s -m 20 -X "$1" -o "$work/body" -w '%{http_code}')
        [[ -n "${3:-}" ]] && args+=(--data-binary "@$3")
        [[ -n "${4:-}" ]] && args+=(-H "$4")
        local code
        code="$(curl "${args[@]}" "$2" 2> /dev/null)"
        local body
        body="$(cat "$work/body" 2> /dev/null)"
        echo "${code:-000}${body:+ $body}"
        rm -f "$work/body"
    }
else
    http() {
        python3 - "$@" << 'PY'
import http.client, sys, urllib.parse
method, url = sys.argv[1], sys.argv[2]
body = open(sys.argv[3], "rb").read() if len(sys.argv) > 3 and sys.argv[3] else None
headers = {}
if len(sys.argv) > 4 and sys.argv[4]:
    k, v = sys.argv[4].split(":", 1)
    headers[k] = v.strip()
u = urllib.parse.urlsplit(url)
try:
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    c.request(method, u.path + ("?" + u.query if u.query else ""), body, headers)
    r = c.getresponse()
    body = r.read().decode(errors="replace")
    print(r.status, body) if body else print(r.status)
except OSError:
    print("000")
PY
    }
fi

# The example's manifest with this build's package and a port of our own.
http_port="$(free_port)"
manifest="$work/http-counter.toml"
sed -e "s|^package = .*|package = \"$THEATER_BINARY_DIR/examples/http-counter.wasm\"|" \
    -e "s|port = 8080|port = $http_port|" \
    "$THEATER_SOURCE_DIR/examples/http-counter/manifest.toml" > "$manifest"
grep -q "port = $http_port" "$manifest" || bad "the example manifest no longer says port = 8080"
base="http://127.0.0.1:$http_port"

# ---- A server with the counter --------------------------------------------------------------

port="$(free_port)"
"$THEATER" server --data "$data" --listen "127.0.0.1:$port" --socket "" > "$work/server.log" 2>&1 &
server_pid=$!
S=(--server "127.0.0.1:$port")
for _ in $(seq 600); do
    "$THEATER" list "${S[@]}" > /dev/null 2>&1 && break
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.1
done
run_theater start "$manifest" "${S[@]}"
expect_eq "start exit" "$status" 0
id="$out"
if [[ ! "$id" =~ ^[0-9a-f]{32}$ ]]; then
    bad "start printed '$id' ($err), not an id"
    cat "$work/server.log" >&2
    finish
    exit 1
fi

expect_eq "GET /" "$(http GET "$base/")" '200 {"count":0}'
expect_eq "POST /inc" "$(http POST "$base/inc")" '200 {"count":1}'
expect_eq "POST /inc again" "$(http POST "$base/inc")" '200 {"count":2}'
expect_eq "GET / with a query" "$(http GET "$base/?x=1")" '200 {"count":2}'
expect_contains "unknown path" "$(http GET "$base/missing")" "404 "
expect_contains "wrong method" "$(http DELETE "$base/")" "405 "
expect_contains "an unknown method is the actor's to answer" "$(http BREW "$base/")" "405 "
requests=7

# Limits (defaults: 16 KiB of headers, 1 MiB of body): refused before the
# actor sees them.
expect_contains "huge header" "$(http GET "$base/" "" "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)")" \
    "431 "
head -c $((2 * 1024 * 1024)) /dev/zero > "$work/big.bin"
expect_contains "huge body" "$(http POST "$base/inc" "$work/big.bin")" "413 "

# Concurrent clients: every POST counted once.
for c in $(seq 8); do
    (for _ in $(seq 10); do http POST "$base/inc" > /dev/null; done) &
done
wait_pids=$(jobs -p | grep -v "^$server_pid$")
for p in $wait_pids; do wait "$p"; done
requests=$((requests + 80))
expect_eq "count after 80 concurrent POSTs" "$(http GET "$base/")" '200 {"count":82}'
requests=$((requests + 1))

# The chain: one call and one return per request that reached the actor.
run_theater events "${id:0:8}" "${S[@]}"
calls="$(grep -c ' call .*http-handlers#handle-request' <<< "$out")"
returns="$(grep -c ' return .*http-handlers#handle-request' <<< "$out")"
expect_eq "calls in the chain" "$calls" "$requests"
expect_eq "returns in the chain" "$returns" "$requests"
expect_contains "the request as recorded" "$out" '("POST", "/inc", ['

# A second actor on the same port is refused, naming the address.
run_theater start "$manifest" "${S[@]}"
expect_eq "same port exit" "$status" 2
expect_contains "same port" "$err" "cannot listen on 127.0.0.1:$http_port"

# ---- After the server: nothing listens, the chain replays identically -----------------------

run_theater shutdown "${S[@]}"
expect_eq "shutdown exit" "$status" 0
for _ in $(seq 100); do
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.1
done
server_pid=""
expect_eq "nothing listens after the server stopped" "$(http GET "$base/")" "000"

run_theater replay "$id" --data "$data"
expect_eq "replay exit" "$status" 0
expect_contains "replay" "$out" "identical"
run_theater chain verify --all --data "$data"
expect_eq "verify exit" "$status" 0

# `theater run` serves while the actor is busy and stops when it is idle;
# a port taken by someone else fails the spawn with the reason.
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(30)' "$http_port" &
holder=$!
for _ in $(seq 50); do
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
        "$http_port" 2> /dev/null && break
    sleep 0.1
done
run_theater run "$manifest"
expect_eq "run on a taken port exit" "$status" 2
expect_contains "run on a taken port" "$err" "cannot listen on 127.0.0.1:$http_port"
kill "$holder" 2> /dev/null
wait "$holder" 2> /dev/null

finish
