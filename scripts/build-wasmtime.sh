#!/usr/bin/env bash
# Builds Wasmtime's C API (pinned in deps/wasmtime/Cargo.toml) into a cache
# directory outside the work tree and prints that directory. The cache is
# keyed by version and features, so a second run only checks a stamp file.
set -euo pipefail

VERSION=48.0.8
FEATURES="cranelift,component-model,async,pooling-allocator,parallel-compilation,wat"

root="$(cd "$(dirname "$0")/.." && pwd)"
cache_base="${XDG_CACHE_HOME:-$HOME/.cache}/theater"
key="wasmtime-${VERSION}-$(printf '%s' "$FEATURES" | sha256sum | cut -c1-12)"
out="$cache_base/$key"

if [[ -f "$out/stamp" ]]; then
    echo "$out"
    exit 0
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "build-wasmtime: cargo is required (install Rust with rustup)" >&2
    exit 1
fi

mkdir -p "$out"
echo "build-wasmtime: building Wasmtime C API $VERSION ($FEATURES) into $out" >&2
echo "build-wasmtime: this happens once per machine and takes several minutes" >&2
CARGO_TARGET_DIR="$out/target" cargo build --release --locked \
    --manifest-path "$root/deps/wasmtime/Cargo.toml" >&2

# The C API crate's build script installs the headers (with a generated
# wasmtime/conf.h matching the enabled features) under its OUT_DIR.
conf="$(ls -t "$out"/target/release/build/wasmtime-c-api-impl-*/out/include/wasmtime/conf.h | head -n1)"
rm -rf "$out/include" "$out/lib"
mkdir -p "$out/lib"
cp -r "$(dirname "$(dirname "$conf")")" "$out/include"
cp "$out/target/release/libtheater_wasmtime.a" "$out/lib/"
# Keep only what Theater links against; the target dir is large.
rm -rf "$out/target/release/deps" "$out/target/release/build" "$out/target/release/.fingerprint"
touch "$out/stamp"
echo "$out"
