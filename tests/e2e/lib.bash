# Helpers for end-to-end tests: run the real `theater` binary and check what
# it prints and how it exits. Sourced by the tests in tests/e2e/.
set -uo pipefail

: "${THEATER:?THEATER must point at the theater binary}"
: "${THEATER_SOURCE_DIR:?}"
: "${THEATER_BINARY_DIR:?}"

passed=0
failed=0
work="$(mktemp -d /tmp/theater-e2e.XXXXXX)"
trap 'rm -rf "$work"' EXIT

ok() { passed=$((passed + 1)); }
bad() {
    failed=$((failed + 1))
    echo "FAIL: $*" >&2
}

# expect_eq WHAT GOT WANT
expect_eq() {
    if [[ "$2" == "$3" ]]; then ok; else bad "$1: got '$2', want '$3'"; fi
}

# expect_contains WHAT HAYSTACK NEEDLE
expect_contains() {
    if [[ "$2" == *"$3"* ]]; then ok; else bad "$1: '$2' does not contain '$3'"; fi
}

# A copy of an example's manifest whose package points at this build's wasm,
# so that the same test runs in the normal and the sanitizer build.
example_manifest() {
    local name="$1"
    mkdir -p "$work/$name"
    sed "s|^package = .*|package = \"$THEATER_BINARY_DIR/examples/$name.wasm\"|" \
        "$THEATER_SOURCE_DIR/examples/$name/manifest.toml" > "$work/$name/manifest.toml"
    echo "$work/$name/manifest.toml"
}

# run_theater ARGS...: sets $out, $err and $status; never hangs past 120 s.
run_theater() {
    out="$(timeout 120 "$THEATER" "$@" 2> "$work/stderr")"
    status=$?
    err="$(cat "$work/stderr")"
}

finish() {
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
}
