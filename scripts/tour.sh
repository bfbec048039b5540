#!/usr/bin/env bash
# `make run`: runs the example actors and prints their chains, so that a new
# user sees Theater working within a minute of cloning it.
set -uo pipefail
build="${1:-build}"
theater="$build/theater"
cd "$(dirname "$0")/.."

bold() { if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
step() {
    echo
    bold "\$$(printf ' %q' "$@")"
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
bold "Try next:"
cat <<'TRY'
  build/theater run examples/counter/manifest.toml --send '{"op":"inc"}' --request '{"op":"get"}' --json
  build/theater run examples/crasher/manifest.toml --send '{"op":"bomb"}'    # memory limit
  build/theater run examples/crasher/manifest.toml --send '{"op":"deep"}'    # stack overflow
  build/theater run --help
  make test        # the whole test suite, then again under ASan+UBSan
TRY
