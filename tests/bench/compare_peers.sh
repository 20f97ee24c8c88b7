#!/usr/bin/env bash
# Peer benchmark, one command: strata against ONNX Runtime (npm onnxruntime-node, CPU provider) on the same
# graph and weights, timed alternately in one run; see tests/bench/compare_peers.js for the method and
# docs/performance.md for the results it produced.
#
#   bash tests/bench/compare_peers.sh [--quick] [--only MODEL] [--threads 1,2] [--no-profile]
#
# Installs what is missing (.ci/deps.sh: Debian packages, Node, onnxruntime-node pinned in tests/ort),
# builds the bench programs in $STRATA_BENCH_BUILD (default build-peers, Release), then runs the driver. The
# markdown table goes to stdout and to $STRATA_BENCH_BUILD/compare_peers/results.md. Check `uptime` first:
# other load on the machine shows in every number (the table reports the load average per row).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${STRATA_BENCH_BUILD:-$root/build-peers}"
if [ "$(id -u)" = 0 ]; then bash "$root/.ci/deps.sh"; else echo "not root: skipping .ci/deps.sh (run it once as root)"; fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build" --target compare_peers bench_forward
work="$build/compare_peers"
mkdir -p "$work"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
node "$root/tests/bench/compare_peers.js" --bin "$build/tests/bench/compare_peers" --dir "$work" --md "$work/results.md" "$@"
