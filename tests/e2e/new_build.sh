# `theater new` and `theater build` end to end, through the real binary: a
# project from each template, compiled with the real clang, wasi-libc and C
# SDK (found beside the binary), then run (`theater run`, and the HTTP one
# served by a real `theater server` on loopback); then every way they
# refuse: bad names, an existing directory, an unknown template, no
# manifest, a syntax error, a WASI import, an import the manifest does not
# grant, a missing SDK or clang.
source "$(dirname "$0")/lib.bash"

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
cd "$work" || exit 1

# The wasm-tools this build was configured with, so that whether a component
# is made does not depend on the machine's PATH.
wasm_tools="$(sed -n 's/^WASM_TOOLS:FILEPATH=//p' "$THEATER_BINARY_DIR/CMakeCache.txt")"
if [[ -n "$wasm_tools" && -x "$wasm_tools" ]]; then
    export THEATER_WASM_TOOLS="$wasm_tools"
else
    wasm_tools=""
    export THEATER_WASM_TOOLS=/nonexistent/wasm-tools
fi

# expect_built WHAT DIR NAME: the last build made DIR/build/NAME.wasm (and
# its component, when wasm-tools is configured).
expect_built() {
    expect_eq "$1 exit" "$status" 0
    expect_contains "$1 output" "$out" "built     $2/build/$3.wasm"
    [[ -f "$2/build/$3.wasm" ]] && ok || bad "$1: $2/build/$3.wasm is missing ($err)"
    if [[ -n "$wasm_tools" ]]; then
        expect_contains "$1 component" "$out" "component $2/build/$3.component.wasm"
        "$wasm_tools" validate "$2/build/$3.component.wasm" 2> "$work/validate.err" && ok ||
            bad "$1: the component does not validate: $(cat "$work/validate.err")"
    else
        expect_contains "$1 no component" "$out" "component (none:"
    fi
}

# ---- basic: new -> build -> run ------------------------------------------------------------

run_theater new hello
expect_eq "new hello exit" "$status" 0
expect_contains "new hello lists actor.c" "$out" "hello/actor.c"
expect_contains "new hello says what next" "$out" "theater build hello"
for f in actor.c manifest.toml README.md CMakeLists.txt .gitignore; do
    [[ -f "hello/$f" ]] && ok || bad "new hello: hello/$f is missing"
done
left="$(grep -rl '{{' hello)"
expect_eq "every placeholder filled in" "$left" ""
expect_contains "the manifest is named" "$(cat hello/manifest.toml)" 'name = "hello"'
expect_contains "the package is the build's" "$(cat hello/manifest.toml)" \
    'package = "build/hello.wasm"'

run_theater build hello
expect_built "build hello" hello hello
expect_contains "build hello imports" "$out" "imports   runtime"
expect_contains "build hello exports" "$out" "exports   actor, message-server-client"

run_theater run hello/manifest.toml --send '{"op":"inc"}' --send '{"op":"add","n":41}' \
    --request '{"op":"get"}' --json
expect_eq "run hello exit" "$status" 0
expect_eq "run hello response" "$(jq -c '.responses[0]' <<< "$out")" '{"count":42}'
expect_eq "run hello state" "$(jq -c .state <<< "$out")" '{"count":42}'
expect_eq "run hello verified" "$(jq .verified <<< "$out")" true
expect_contains "hello logs its name" "$err" "hello ready, count = 0"

run_theater run hello/manifest.toml --request '{"op":"jump"}' --json
expect_eq "hello bad op exit" "$status" 1
expect_contains "hello bad op" "$(jq -r .error.message <<< "$out")" "unknown op"

# Built from inside the project, with the default directory.
out="$(cd hello && timeout 120 "$THEATER" build 2> "$work/stderr")"
status=$?
err="$(cat "$work/stderr")"
expect_eq "build in place exit" "$status" 0
expect_contains "build in place prints paths as typed" "$out" "built     build/hello.wasm"
[[ -z "$wasm_tools" || "$out" == *"component build/hello.component.wasm"* ]] && ok ||
    bad "build in place made no component: $out $err"

# ---- supervisor: the worker in worker/ is built first ----------------------------------------

run_theater new sup --template supervisor --dir nested/place
expect_eq "new sup exit" "$status" 0
[[ -f nested/place/sup/worker/actor.c ]] && ok || bad "new sup: the worker is missing"
run_theater build nested/place/sup
expect_built "build sup" nested/place/sup sup
expect_contains "build sup builds the worker" "$out" \
    "built     nested/place/sup/worker/build/worker.wasm"
[[ "$out" == *"worker/build/worker.wasm"*"sup/build/sup.wasm"* ]] && ok ||
    bad "build sup: the worker was not built first: $out"
expect_contains "build sup exports" "$out" "supervisor-handlers"

run_theater run nested/place/sup/manifest.toml --request '{"op":"work"}' --send '{"op":"crash"}' \
    --request '{"op":"work"}' --request '{"op":"status"}' --json
expect_eq "run sup exit" "$status" 0
expect_eq "sup work" "$(jq -c '.responses[0]' <<< "$out")" '{"jobs":1}'
expect_eq "sup work after the restart" "$(jq -c '.responses[1]' <<< "$out")" '{"jobs":2}'
expect_eq "sup status" "$(jq -c '.responses[2]' <<< "$out")" \
    '{"children":1,"failures":1,"exits":0,"stops":0}'
expect_eq "sup verified" "$(jq .verified <<< "$out")" true
expect_contains "sup heard of the crash" "$err" "failed: trap"

# ---- http: served by a real server -------------------------------------------------------

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# http METHOD URL: "STATUS BODY" ("000" when nothing answered).
http() {
    python3 - "$@" << 'PY'
import http.client, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[2])
try:
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    c.request(sys.argv[1], u.path or "/")
    r = c.getresponse()
    print(r.status, r.read().decode(errors="replace").strip())
except OSError:
    print("000")
PY
}

run_theater new web --template http
expect_eq "new web exit" "$status" 0
http_port="$(free_port)"
sed -i "s/port = 8080/port = $http_port/" web/manifest.toml
grep -q "port = $http_port" web/manifest.toml && ok || bad "the http template no longer says port = 8080"
run_theater build web
expect_built "build web" web web
expect_contains "build web exports" "$out" "exports   actor, http-handlers"

port="$(free_port)"
"$THEATER" server --data "$work/data" --listen "127.0.0.1:$port" --socket "" > "$work/server.log" 2>&1 &
server_pid=$!
S=(--server "127.0.0.1:$port")
for _ in $(seq 600); do
    "$THEATER" list "${S[@]}" > /dev/null 2>&1 && break
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.1
done
run_theater start web/manifest.toml "${S[@]}"
expect_eq "start web exit" "$status" 0
if [[ "$out" =~ ^[0-9a-f]{32}$ ]]; then
    base="http://127.0.0.1:$http_port"
    expect_eq "GET /" "$(http GET "$base/")" "200 Hello from web!"
    expect_eq "POST /count" "$(http POST "$base/count")" '200 {"count":1}'
    expect_eq "GET /count" "$(http GET "$base/count")" '200 {"count":1}'
    expect_eq "DELETE /count" "$(http DELETE "$base/count")" "405 method not allowed"
    expect_contains "unknown path" "$(http GET "$base/nowhere")" "404 not found"
else
    bad "start web printed '$out' ($err); the server said: $(cat "$work/server.log")"
fi
"$THEATER" shutdown "${S[@]}" > /dev/null 2>&1
wait "$server_pid"
expect_eq "the server stopped cleanly" "$?" 0
server_pid=""

# ---- new: refusals ---------------------------------------------------------------------------

check_bad_name() { # NAME MESSAGE
    run_theater new "$1"
    expect_eq "new '$1' exit" "$status" 2
    expect_contains "new '$1' message" "$err" "$2"
}
check_bad_name Hello "starts with a lowercase letter"
check_bad_name 1abc "starts with a lowercase letter"
check_bad_name a_b "only a-z, 0-9 and '-'"
check_bad_name "a/b" "only a-z, 0-9 and '-'"
check_bad_name "" "1 to 64 characters"
check_bad_name "$(printf 'a%.0s' $(seq 65))" "1 to 64 characters"
check_bad_name -x "unknown option"
[[ ! -e Hello && ! -e 1abc && ! -e a_b ]] && ok || bad "a refused name left a directory"
run_theater new "$(printf 'a%.0s' $(seq 64))"
expect_eq "a 64-character name" "$status" 0

before="$(sha256sum hello/actor.c)"
run_theater new hello --template http
expect_eq "new over a project exit" "$status" 2
expect_contains "new over a project" "$err" "hello already exists and is not empty"
expect_eq "the project is untouched" "$(sha256sum hello/actor.c)" "$before"

touch afile
run_theater new afile
expect_eq "new over a file exit" "$status" 2
expect_contains "new over a file" "$err" "exists and is not a directory"

mkdir emptydir
run_theater new emptydir
expect_eq "new into an empty directory" "$status" 0
[[ -f emptydir/manifest.toml ]] && ok || bad "new into an empty directory wrote nothing"

run_theater new x --template htp
expect_eq "unknown template exit" "$status" 2
expect_contains "unknown template" "$err" "unknown template 'htp'; did you mean 'http'?"
run_theater new x --template
expect_eq "template without a value" "$status" 2
[[ ! -e x ]] && ok || bad "a refused template left a directory"

# A template that cannot be copied whole leaves nothing behind.
mkdir -p fake/c/include/theater fake/c/src fake/templates/basic
touch fake/c/include/theater/actor.h
echo 'name = "{{name}}"' > fake/templates/basic/a.toml
mkfifo fake/templates/basic/b.fifo
out="$(THEATER_SDK="$work/fake/c" timeout 60 "$THEATER" new half 2> "$work/stderr")"
status=$?
err="$(cat "$work/stderr")"
expect_eq "a broken template exit" "$status" 2
expect_contains "a broken template" "$err" "neither a file nor a directory"
[[ ! -e half ]] && ok || bad "a broken template left half a project: $(ls -R half)"

# ---- build: refusals -------------------------------------------------------------------------

mkdir nomanifest
echo 'int x;' > nomanifest/x.c
run_theater build nomanifest
expect_eq "build without a manifest exit" "$status" 2
expect_contains "build without a manifest" "$err" "nomanifest has no manifest.toml"

run_theater build no/such/dir
expect_eq "build of nothing exit" "$status" 2
expect_contains "build of nothing" "$err" "is not a directory"

# A syntax error: clang's message as it is, exit 2, and no module left from
# the build before.
run_theater new bad
run_theater build bad
expect_eq "bad builds before the error" "$status" 0
line="$(($(wc -l < bad/actor.c) + 1))"
echo 'static int broken(void) { return }' >> bad/actor.c
run_theater build bad
expect_eq "syntax error exit" "$status" 2
expect_contains "syntax error: clang's own message" "$err" "bad/actor.c:$line:"
expect_contains "syntax error: clang's own message" "$err" "error: expected expression"
expect_contains "syntax error: ours" "$err" "could not compile the actor in bad"
[[ ! -e bad/build/bad.wasm ]] && ok || bad "a failed build left the previous module"

# printf needs WASI: refused, with the functions named and the way out.
run_theater new wasi
sed -i 's|#include "theater/json.h"|#include "theater/json.h"\n#include <stdio.h>|' wasi/actor.c
sed -i 's|    theater_log_n((const char \*)line.ptr, line.len);|    printf("%.*s\\n", (int)line.len, (const char *)line.ptr);|' wasi/actor.c
grep -q printf wasi/actor.c && ok || bad "the WASI test no longer calls printf"
run_theater build wasi
expect_eq "WASI exit" "$status" 2
expect_contains "WASI refused" "$err" "would import WASI"
expect_contains "WASI names the function" "$err" "fd_write"
expect_contains "WASI says what to do" "$err" "theater_log()"
[[ ! -e wasi/build/wasi.wasm ]] && ok || bad "a module importing WASI was left behind"

# An import the manifest does not grant: refused as `theater run` would.
run_theater new nogrant
sed -i 's|    (void)actor_id;|    (void)actor_id;\n    theater_string_list kids = theater_list_children();\n    theater_string_list_free(\&kids);|' nogrant/actor.c
run_theater build nogrant
expect_eq "ungranted import exit" "$status" 2
expect_contains "ungranted import" "$err" "needs the 'supervisor' handler"

# A package that is not the build's: built, with a warning.
run_theater new other
sed -i 's|^package = .*|package = "elsewhere.wasm"|' other/manifest.toml
run_theater build other --no-component
expect_eq "other package exit" "$status" 0
expect_contains "other package warned" "$err" "\`theater run\` will not load this build"
[[ ! -e other/build/other.component.wasm ]] && ok || bad "--no-component made a component"

# No SDK, no clang.
out="$(THEATER_SDK=/nonexistent timeout 60 "$THEATER" build hello 2> "$work/stderr")"
status=$?
expect_eq "bad THEATER_SDK exit" "$status" 2
expect_contains "bad THEATER_SDK" "$(cat "$work/stderr")" "is not the C SDK"
out="$(THEATER_CLANG=/nonexistent/clang timeout 60 "$THEATER" build hello 2> "$work/stderr")"
status=$?
expect_eq "no clang exit" "$status" 2
expect_contains "no clang" "$(cat "$work/stderr")" "cannot run /nonexistent/clang"

finish
