#!/usr/bin/env bash
# The world WAY model (make train-world; docs/RESULTS.md, "WAY on the world
# fleet"): ports chosen from the World Port Index by liner services and
# harbour, a simulated world-wide fleet on the MARNET sea lanes between
# them, shards, WAY training, and `portolan evaluate` on the test split
# with its baselines.
#
# Environment:
#   SHARED   the shared data folder (../shared/data): searoute-marnet/, wpi/
#   OUT      where everything goes (build/world)
#   RECIPE   gpu or cpu; default gpu when torch sees CUDA, else cpu:
#              cpu: 1,500 vessels × 45 days, small config, ≤ 10 epochs
#              gpu: 6,000 vessels × 60 days, default config, ≤ 60 epochs, batch 64
#   SEEDS    training seeds ("1"); each writes way-world-s<seed>.portolan and
#            evaluate-s<seed>.json (the fleet is always simulated from seed 1)
#   DEVICE   auto (CUDA with bf16 when present), cpu or cuda
#   THREADS  torch CPU threads (1)
#   OPENBLAS_DIR  a folder holding OpenBLAS's libblas.so.3 to train with (for
#            instance an unpacked libopenblas0-pthread); Debian's reference
#            BLAS makes a CPU step about 8 times slower
#   INSTALL=1  make the first seed's model the committed demo model
#            (testdata/models/way-demo.portolan) and regenerate its
#            conformance vectors
#   PYTHON, GO
# Steps whose output exists are not rerun; delete $OUT to start again.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=${PYTHON:-/usr/bin/python3}
GO=${GO:-go}
SHARED=${SHARED:-$ROOT/../shared/data}
OUT=${OUT:-build/world}
SEEDS=${SEEDS:-1}
DEVICE=${DEVICE:-auto}
THREADS=${THREADS:-1}

lanes=$SHARED/searoute-marnet/marnet_searoute.geojson
traffic=$SHARED/searoute-marnet/ports.geojson
wpi=$SHARED/wpi/UpdatedPub150.csv
for f in "$lanes" "$traffic" "$wpi"; do
  [[ -f $f ]] || { echo "train-world: $f not found (set SHARED to the shared data folder)" >&2; exit 1; }
done

if [[ -z ${RECIPE:-} ]]; then
  RECIPE=cpu
  if [[ $DEVICE != cpu ]] && "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    RECIPE=gpu
  fi
fi
case $RECIPE in
  cpu) FLEET="--vessels 1500 --days 45"; TRAIN="--config small --epochs 10 --patience 5 --batch-size 32" ;;
  gpu) FLEET="--vessels 6000 --days 60"; TRAIN="--config default --epochs 60 --patience 8 --batch-size 64" ;;
  *) echo "train-world: RECIPE=$RECIPE (want cpu or gpu)" >&2; exit 2 ;;
esac
OUT=$OUT/$RECIPE
mkdir -p "$OUT"
echo "train-world: the $RECIPE recipe into $OUT" >&2
BIN=$OUT/portolan
$GO build -o "$BIN" ./cmd/portolan

t0=$SECONDS
if [[ ! -f $OUT/fleet.nmea ]]; then
  "$BIN" simulate --seed 1 $FLEET --lanes "$lanes" --ports "$wpi" --select traffic --traffic "$traffic" \
    --max-ports 0 --distance-power 3 --ports-out "$OUT/ports.geojson" --out "$OUT/fleet.nmea.part"
  mv "$OUT/fleet.nmea.part" "$OUT/fleet.nmea"
fi
if [[ ! -f $OUT/shards/manifest.json ]]; then
  "$BIN" prepare way --ais "$OUT/fleet.nmea" --ports "$OUT/ports.geojson" --out "$OUT/shards" | tee "$OUT/prepare.txt"
fi
echo "train-world: fleet and shards in $((SECONDS - t0)) s" >&2

env=(PYTHONUNBUFFERED=1)
if [[ -n ${OPENBLAS_DIR:-} ]]; then
  [[ -f $OPENBLAS_DIR/libblas.so.3 ]] || { echo "train-world: no libblas.so.3 in OPENBLAS_DIR=$OPENBLAS_DIR" >&2; exit 1; }
  env+=(LD_LIBRARY_PATH="$OPENBLAS_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" OPENBLAS_NUM_THREADS=$THREADS)
fi
for seed in $SEEDS; do
  model=$OUT/way-world-s$seed.portolan
  if [[ ! -f $model ]]; then
    t0=$SECONDS
    (cd training && env "${env[@]}" "$PY" -m portolan_train way --shards "$ROOT/$OUT/shards" $TRAIN --bucket 50 \
      --mid-voyage 0.25 --seed "$seed" --device "$DEVICE" --threads "$THREADS" \
      --metrics-json "$ROOT/$OUT/train-s$seed.json" --out "$ROOT/$model.part") 2> >(tee "$OUT/train-s$seed.log" >&2)
    mv "$model.part" "$model"
    echo "train-world: seed $seed trained in $((SECONDS - t0)) s" >&2
  fi
  "$BIN" evaluate --model "$model" --shards "$OUT/shards" --threads 2 --format json > "$OUT/evaluate-s$seed.json"
  "$BIN" evaluate --model "$model" --shards "$OUT/shards" --threads 2 | tee "$OUT/evaluate-s$seed.txt"
done
ls -l "$OUT"/way-world-s*.portolan

if [[ ${INSTALL:-0} == 1 ]]; then
  first=${SEEDS%% *}
  cp "$OUT/way-world-s$first.portolan" testdata/models/way-demo.portolan
  (cd training && "$PY" -m portolan_train conformance --way ../testdata/models/way-demo.portolan \
    --shards "$ROOT/$OUT/shards" --out ../testdata/conformance)
  echo "train-world: testdata/models/way-demo.portolan is the seed $first model; vectors regenerated" >&2
fi
