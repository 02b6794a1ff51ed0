#!/usr/bin/env bash
# make bench-ort: Portolan against ONNX Runtime (docs/BENCHMARKS.md, "Against
# ONNX Runtime"). Installs onnxruntime-node and onnxruntime-web into
# build/bench-ort (git-ignored), exports the models to ONNX with the trainer,
# builds Portolan's runner natively, with -tags noasm and for WebAssembly
# (GOOS=wasip1, the portolan_accel tag: run in Node, in Chromium and in
# wazero, with and without kernels), runs every runner on every case round
# by round and rewrites the results section of docs/BENCHMARKS.md and
# docs/bench-ort.svg. The Chromium columns need scripts/setup-js.sh's
# packages and Chromium; without them they are left out.
#
#   ROUNDS=5 THREADS=1,2 scripts/bench-ort/run.sh [extra benchort compare flags]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=build/bench-ort
PYTHON=${PYTHON:-/usr/bin/python3}
GO=${GO:-go}
ORT_VERSION=${ORT_VERSION:-1.30.0}

command -v node >/dev/null || { echo "bench-ort needs node (Debian: apt-get install nodejs npm)"; exit 1; }
mkdir -p "$OUT"
if [ ! -d "$OUT/node_modules/onnxruntime-node" ] || [ ! -d "$OUT/node_modules/onnxruntime-web" ]; then
  echo '{"private": true}' > "$OUT/package.json"
  # the native binaries ship in the package; the install script would fetch more from nuget
  (cd "$OUT" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --loglevel=error \
    "onnxruntime-node@$ORT_VERSION" "onnxruntime-web@$ORT_VERSION")
fi
# python3-onnx lets export.py check the exported graphs (optional)
if ! "$PYTHON" -c 'import onnx' 2>/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-onnx >/dev/null || true
fi
OPENBLAS_NUM_THREADS=1 "$PYTHON" scripts/bench-ort/export.py "$OUT" 2> "$OUT/export.log" || { cat "$OUT/export.log"; exit 1; }
"$GO" build -o "$OUT/portolan-native" ./internal/benchort
"$GO" build -tags noasm -o "$OUT/portolan-noasm" ./internal/benchort
GOOS=wasip1 GOARCH=wasm "$GO" build -tags portolan_accel -o "$OUT/portolan.wasm" ./internal/benchort
chromium=true
bash scripts/setup-js.sh --check >/dev/null 2>&1 || { chromium=false; echo "bench-ort: no Chromium columns (scripts/setup-js.sh --check)"; }
"$OUT/portolan-native" compare --dir "$OUT" --rounds "${ROUNDS:-5}" --threads "${THREADS:-1,2}" \
  --doc docs/BENCHMARKS.md --svg docs/bench-ort.svg --json "$OUT/results.json" --chromium="$chromium" \
  --command "make bench-ort (ROUNDS=${ROUNDS:-5} THREADS=${THREADS:-1,2})" "$@"
