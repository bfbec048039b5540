#!/usr/bin/env bash
# `make bench`: every benchmark, several runs each. Figures go to stdout; the
# ones we keep are written down with this command in docs/BENCHMARKS.md.
set -euo pipefail
build="${1:-build}"
cd "$(dirname "$0")/.."
for b in "$build"/bench/bench_*; do
    [[ -x "$b" ]] || continue
    echo "== $(basename "$b")"
    "$b"
done
echo "== bench_http" && bench/bench_http.sh "$build"
