#!/usr/bin/env bash
# Installs wasm-tools (pinned) from crates.io into the cache directory and
# prints the path of the binary. Tests use it to prove that the actor ABI of
# the SDK and of the executor's catalogue is exactly the WIT package's.
set -euo pipefail

VERSION=1.263.0
cache_base="${XDG_CACHE_HOME:-$HOME/.cache}/theater"
out="$cache_base/wasm-tools-$VERSION"

if [[ ! -x "$out/bin/wasm-tools" ]]; then
    echo "build-wasm-tools: installing wasm-tools $VERSION into $out (once per machine)" >&2
    cargo install --quiet --locked --version "$VERSION" --root "$out" wasm-tools >&2
fi
echo "$out/bin/wasm-tools"
