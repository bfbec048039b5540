# The http-client handler end to end: the real `theater` binary runs the
# tests/actors/cap_http actor (every call through the C SDK and the canonical
# ABI) against a real HTTP server on loopback (python3): an allowed host is
# answered; another host, another port and other schemes are refused and
# never reach the server; a slow answer times out; a large one is refused;
# redirects are not followed. Then, with the server stopped, a replay that
# is identical.
source "$(dirname "$0")/lib.bash"

data="$work/data"
server_pid=""

cleanup() {
    [[ -n "$server_pid" ]] && kill "$server_pid" 2> /dev/null && wait "$server_pid" 2> /dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# The server logs one line per request it got to $work/requests.
cat > "$work/server.py" << 'EOF'
import http.server, sys, time

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def record(self):
        with open(sys.argv[2], "a") as log:
            log.write(f"{self.command} {self.path}\n")

    def answer(self, status, body, extra=()):
        self.send_response(status)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        self.record()
        if self.path == "/hello":
            self.answer(200, b"hello over http")
        elif self.path == "/big":
            self.answer(200, b"x" * 5000)
        elif self.path == "/slow":
            time.sleep(3)
            self.answer(200, b"late")
        elif self.path == "/redirect":
            self.answer(302, b"", [("Location", "/hello")])
        else:
            self.answer(404, b"no such page")

    def do_POST(self):
        self.record()
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.answer(201, b"got " + body)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
EOF
python3 "$work/server.py" 0 "$work/requests" > "$work/port" &
server_pid=$!
for _ in $(seq 100); do
    [[ -s "$work/port" ]] && break
    sleep 0.05
done
port="$(cat "$work/port")"
other_port=$((port == 65535 ? port - 1 : port + 1))

cat > "$work/client.toml" << EOF
name = "client"
version = "0.1.0"
package = "$THEATER_BINARY_DIR/tests/actors/cap_http.wasm"

[[handlers]]
type = "message-server"

[[handlers]]
type = "http-client"
config = { allowed_hosts = ["127.0.0.1:$port"], timeout_ms = 700, max_response_bytes = 1000 }
EOF

base="http://127.0.0.1:$port"
run_theater run "$work/client.toml" --data "$data" --json \
    --request "{\"url\":\"$base/hello\"}" \
    --request "{\"url\":\"$base/hello\",\"method\":\"POST\",\"body\":\"a body\"}" \
    --request "{\"url\":\"$base/missing\"}" \
    --request "{\"url\":\"$base/redirect\"}" \
    --request "{\"url\":\"$base/big\"}" \
    --request "{\"url\":\"$base/slow\"}" \
    --request "{\"url\":\"http://localhost:$port/hello\"}" \
    --request "{\"url\":\"http://127.0.0.1:$other_port/hello\"}" \
    --request "{\"url\":\"http://127.0.0.1/hello\"}" \
    --request '{"url":"file:///etc/passwd"}' \
    --request "{\"url\":\"ftp://127.0.0.1:$port/\"}" \
    --request "{\"url\":\"$base/hello\",\"method\":\"GET /evil HTTP/1.1\"}"
expect_eq "run exit" "$status" 0
[[ $status -eq 0 ]] || echo "$err" >&2
id="$(jq -r .actor.id <<< "$out")"
r() { jq -r ".responses[$1]" <<< "$out"; }
expect_eq "allowed" "$(r 0)" "ok:200:hello over http"
expect_eq "post with a body" "$(r 1)" "ok:201:got a body"
expect_eq "a 404 is a response" "$(r 2)" "ok:404:no such page"
expect_eq "redirect not followed" "$(r 3)" "ok:302:"
expect_eq "too large" "$(r 4)" "err:send-http '$base/big': response larger than 1000 bytes"
expect_eq "too slow" "$(r 5)" "err:send-http '$base/slow': no complete response within 700 ms"
expect_eq "other host" "$(r 6)" "err:send-http 'http://localhost:$port/hello': host 'localhost:$port' is not in the http-client grant's allowed_hosts"
expect_contains "other port" "$(r 7)" "host '127.0.0.1:$other_port' is not in"
expect_contains "default port" "$(r 8)" "host '127.0.0.1:80' is not in"
expect_contains "file scheme" "$(r 9)" "scheme 'file' is refused"
expect_contains "ftp scheme" "$(r 10)" "scheme 'ftp' is refused"
expect_contains "bad method" "$(r 11)" "is not an HTTP token"

# Only the allowed requests reached the server (the redirect's target was
# never asked for on the actor's behalf).
expect_eq "what the server saw" "$(sort "$work/requests")" "GET /big
GET /hello
GET /missing
GET /redirect
GET /slow
POST /hello"

# With the server gone, replay answers from the chain.
kill "$server_pid" 2> /dev/null
wait "$server_pid" 2> /dev/null
server_pid=""
run_theater replay "$id" --data "$data"
expect_eq "replay exit" "$status" 0
expect_contains "replay identical" "$out" "events: identical"
run_theater chain verify "$id" --data "$data"
expect_eq "chain verifies" "$status" 0

finish
