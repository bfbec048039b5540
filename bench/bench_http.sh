#!/usr/bin/env bash
# The http-server handler under load: wrk on loopback against
# examples/http-counter (GET /, which answers {"count":N}), served by a real
# `theater server`, every request a recorded call and return in the chain.
#
#   bench/bench_http.sh [BUILD_DIR]     (default build; run by `make bench`)
#
# Two data directories: one on disk with the default durability (batch:
# group commit, fsync'd within 10 ms), and one in /dev/shm with durability
# off (the chain still goes through SQLite, but never waits on a disk): the
# CLI has no server without a data directory, so that is the closest to
# "in memory" it offers. Three runs of `wrk -t2 -c64 -d10s` each, after a
# 2 s warm-up; then the chain is verified, so every request counted was
# recorded.
set -euo pipefail
build="${1:-build}"
cd "$(dirname "$0")/.."
[[ -d "$build" ]] || { echo "bench_http: no build directory '$build': run make build" >&2; exit 1; }
build="$(cd "$build" && pwd)"
theater="$build/theater"
wasm="$build/examples/http-counter.wasm"

if ! command -v wrk > /dev/null 2>&1; then
    echo "bench_http: wrk is not installed (Debian: apt-get install wrk); skipped"
    exit 0
fi
for f in "$theater" "$wasm"; do
    [[ -e "$f" ]] || { echo "bench_http: $f is missing: build first" >&2; exit 1; }
done

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

server_pid=""
dirs=()
cleanup() {
    [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2> /dev/null && wait "$server_pid" || true
    for d in "${dirs[@]}"; do rm -rf "$d"; done
}
trap cleanup EXIT

# bench MODE DURABILITY PARENT_DIR
bench() {
    local mode="$1" durability="$2" data
    data="$(mktemp -d "$3/theater-bench-http.XXXXXX")"
    dirs+=("$data")
    local port
    port="$(free_port)"
    sed -e "s|^package = .*|package = \"$wasm\"|" -e "s|port = 8080|port = $port|" \
        examples/http-counter/manifest.toml > "$data/http-counter.toml"
    "$theater" server --data "$data" --listen "" --durability "$durability" \
        --log-level warn > "$data/server.log" 2>&1 &
    server_pid=$!
    local S=(--server "unix:$data/theater.sock")
    for _ in $(seq 100); do
        "$theater" list "${S[@]}" > /dev/null 2>&1 && break
        sleep 0.1
    done
    local id
    id="$("$theater" start "$data/http-counter.toml" "${S[@]}")"
    local url="http://127.0.0.1:$port/"
    wrk -t2 -c64 -d2s "$url" > /dev/null
    local rates=()
    for run in 1 2 3; do
        local out rate p50 p99
        out="$(wrk -t2 -c64 -d10s --latency "$url")"
        rate="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<< "$out")"
        p50="$(awk '$1 == "50%" {print $2}' <<< "$out")"
        p99="$(awk '$1 == "99%" {print $2}' <<< "$out")"
        if grep -q "Non-2xx" <<< "$out"; then
            echo "bench_http: $mode run $run: some answers were not 2xx:" >&2
            echo "$out" >&2
        fi
        printf '  %-34s run %d: %7s req/s  p50 %-8s p99 %s\n' "$mode" "$run" "$rate" "$p50" "$p99"
        rates+=("$rate")
    done
    local median
    median="$(printf '%s\n' "${rates[@]}" | sort -n | sed -n 2p)"
    "$theater" shutdown "${S[@]}" > /dev/null
    wait "$server_pid" || true
    server_pid=""
    local verify
    verify="$("$theater" chain verify "$id" --data "$data" | head -1)"
    printf '  %-34s median %s req/s; %s\n' "$mode" "$median" "${verify#* }"
}

echo "wrk -t2 -c64 -d10s GET / on examples/http-counter (3 runs each)"
bench "chain persisted (batch, on disk)" batch "${TMPDIR:-/tmp}"
shm=/dev/shm
[[ -d "$shm" && -w "$shm" ]] || shm="${TMPDIR:-/tmp}"
bench "chain in $shm (durability off)" off "$shm"
