#!/usr/bin/env bash
# Builds counter.js into a Component Model component for the WIT world
# theater:simple/message-actor, with componentize-js (the version pinned in
# package.json, every dependency pinned by package-lock.json).
#
#   examples/js-counter/build.sh [OUT.wasm]
#
# OUT defaults to build/examples/js-counter.wasm at the top of the tree,
# where manifest.toml points. The npm packages (about 215 MB: the
# SpiderMonkey engine, Wizer) are installed once with `npm ci` into
# ${THEATER_NPM_DIR:-${XDG_CACHE_HOME:-~/.cache}/theater/npm}, in a
# directory named after the lock file's hash, never into the work tree.
#
# Exit status: 0 built (or already up to date); 1 the build failed;
# 3 npm is missing or could not install the packages (no registry, say),
# which tests/e2e/js_actor.sh reports as a skip.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/build/examples/js-counter.wasm}"

# The StarlingMonkey engine reaches the world through WASI unless these
# features are off; with all of them off the component imports nothing but
# theater:simple, which is all Theater provides. See README.md.
disabled_features=(stdio random clocks http fetch-event)
world=message-actor

say() { echo "js-counter: $*" >&2; }

# Whether npm's log says the registry could not be reached (no network,
# no DNS, a proxy or the registry down) rather than that the lock file or a
# package is wrong, which is a failure to report, not a reason to skip.
is_unreachable() {
    grep -Eq 'npm error (code )?(E(NOTFOUND|AI_AGAIN|CONNREFUSED|CONNRESET|TIMEDOUT|NETUNREACH|HOSTUNREACH|PROXY|50[0-9])|network)' "$1"
}

# The packages for this lock file, installed at most once per machine.
# Prints the directory holding node_modules.
install_packages() {
    local base="${THEATER_NPM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/theater/npm}"
    local key
    key="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)"
    local dir="$base/js-counter-$key"
    if [[ ! -f "$dir/.installed" ]]; then
        mkdir -p "$base"
        # Two builds at once (the normal and the sanitizer test runs) must
        # not install into one directory together: take turns.
        exec 9> "$base/.lock"
        flock 9
        if [[ ! -f "$dir/.installed" ]]; then
            say "installing componentize-js with npm ci into $dir (once)"
            rm -rf "$dir" "$dir.partial"
            mkdir -p "$dir.partial"
            cp "$here/package.json" "$here/package-lock.json" "$dir.partial/"
            # No package in the lock file has an install script, so none
            # is run; a failed fetch gives up within minutes, not hours.
            local log="$dir.partial.log"
            if ! (cd "$dir.partial" &&
                npm ci --include=dev --ignore-scripts --no-audit --no-fund \
                    --fetch-retries=1 --fetch-timeout=60000) > "$log" 2>&1; then
                cat "$log" >&2
                rm -rf "$dir.partial"
                exec 9>&-
                if is_unreachable "$log"; then
                    rm -f "$log"
                    say "npm could not reach its registry to install $here/package-lock.json"
                    return 3
                fi
                rm -f "$log"
                say "npm ci failed on $here/package-lock.json (see above)"
                return 1
            fi
            cat "$log" >&2
            rm -f "$log"
            if ! mv "$dir.partial" "$dir" || ! touch "$dir/.installed"; then
                exec 9>&-
                say "cannot move the packages into $dir"
                return 1
            fi
        fi
        exec 9>&-
    fi
    echo "$dir"
}

# The wasm-tools the C build uses, when there is one: the environment's
# THEATER_WASM_TOOLS, else build/deps.cmake's, else the PATH's.
find_wasm_tools() {
    if [[ -n "${THEATER_WASM_TOOLS:-}" && -x "$THEATER_WASM_TOOLS" ]]; then
        echo "$THEATER_WASM_TOOLS"
        return
    fi
    local from_deps=""
    if [[ -f "$root/build/deps.cmake" ]]; then
        from_deps="$(sed -n 's/^set(WASM_TOOLS "\([^"]*\)".*/\1/p' "$root/build/deps.cmake")"
    fi
    if [[ -n "$from_deps" && -x "$from_deps" ]]; then
        echo "$from_deps"
    else
        command -v wasm-tools || true
    fi
}

# Refuses a component that imports anything but theater:simple (a
# componentize-js upgrade that brings a WASI import back, say): Theater
# would refuse to start it, later and further from the cause.
check_imports() {
    local wasm_tools
    wasm_tools="$(find_wasm_tools)"
    if [[ -z "$wasm_tools" ]]; then
        say "wasm-tools not found: the component's imports are not checked"
        return 0
    fi
    local wit foreign
    if ! wit="$("$wasm_tools" component wit "$1")"; then
        say "wasm-tools cannot read the component $1"
        return 1
    fi
    foreign="$(sed -n 's/^ *import \([^;]*\);.*/\1/p' <<< "$wit" | grep -v '^theater:simple/' || true)"
    if [[ -n "$foreign" ]]; then
        say "the component imports what Theater does not provide: ${foreign//$'\n'/, }"
        return 1
    fi
}

is_up_to_date() {
    [[ -f "$out" ]] || return 1
    local newer
    newer="$(find "$here/counter.js" "$here/package.json" "$here/package-lock.json" "$here/build.sh" \
        "$root/wit" -newer "$out" -print -quit)"
    [[ -z "$newer" ]]
}

main() {
    if is_up_to_date; then
        say "$out is up to date"
        return 0
    fi
    if ! command -v npm > /dev/null || ! command -v node > /dev/null; then
        say "node and npm are needed to build a JavaScript actor (apt-get install nodejs npm)"
        return 3
    fi
    # componentize-js reports a syntax error without its place; node
    # names the line and column.
    node --check "$here/counter.js" || return 1
    local dir
    dir="$(install_packages)" || return $?
    mkdir -p "$(dirname "$out")"
    # Written beside OUT, then renamed: a failed or concurrent build never
    # leaves a half-written component where a manifest points.
    partial="$out.partial.$$"
    trap 'rm -f "$partial"' EXIT
    "$dir/node_modules/.bin/componentize-js" "$here/counter.js" \
        --wit "$root/wit" --world-name "$world" \
        --disable "${disabled_features[@]}" \
        --out "$partial" >&2 || return 1
    check_imports "$partial" || return 1
    mv "$partial" "$out" || return 1
    say "built $out ($(($(stat -c %s "$out") / 1024)) KiB, world $world)"
}

main
