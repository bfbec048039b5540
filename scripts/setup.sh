#!/usr/bin/env bash
# Installs what building and testing Theater needs on a fresh Debian machine,
# each piece only when it is missing, then builds Wasmtime's C API into the
# cache (scripts/build-wasmtime.sh). Prints the Wasmtime directory last.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"

# Debian packages: compilers for the host (gcc, cmake) and for actors
# (clang, lld, wasi-libc, compiler-rt for wasm32), the libraries Theater links,
# and the tools `make test` runs (valgrind, clang-format).
packages=(
    build-essential cmake pkg-config
    clang lld wasi-libc libclang-rt-14-dev libclang-rt-14-dev-wasm32
    libssl-dev libjansson-dev libsqlite3-dev libuv1-dev libmicrohttpd-dev libcurl4-openssl-dev
    valgrind clang-format jq sqlite3 python3 wrk
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >&2 || $sudo apt-get update >&2
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Rust, for building Wasmtime's C API once (crates.io).
if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: cargo not found; installing Rust with rustup" >&2
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal >&2
    export PATH="$HOME/.cargo/bin:$PATH"
fi

out="${1:?usage: setup.sh DEPS_CMAKE_FILE}"
wasmtime_dir="$("$root/scripts/build-wasmtime.sh")"
wasm_tools="$("$root/scripts/build-wasm-tools.sh")"
mkdir -p "$(dirname "$out")"
cat > "$out.new" <<CMAKE
set(WASMTIME_DIR "$wasmtime_dir" CACHE PATH "Wasmtime C API" FORCE)
set(WASM_TOOLS "$wasm_tools" CACHE FILEPATH "wasm-tools" FORCE)
CMAKE
mv "$out.new" "$out"
