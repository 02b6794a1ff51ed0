#!/usr/bin/env bash
# The GPU run of the trainer: CUDA tests, WAY and temporal-dropout training
# with bf16 mixed precision, the LFMC 10-fold cross-validation, and step
# times. It expects prepared inputs in .gpu/ (see docs/RESULTS.md):
#   .gpu/shards  from: portolan simulate --seed 1 --vessels 200 --days 30 | portolan prepare way
#   .gpu/lfmc    lfmc_X_float32.npy, lfmc_y_float32.npy from ../shared/data/lfmc-temporal-dropout
# and writes everything to $OUT/results.tgz (or ./gpu-results.tgz).
# SMOKE=1 runs a few steps of each job (on any device) to check the script.
set -u
PY=${PYTHON:-python3}
OUT=${OUT:-$PWD/gpu-out}
R=$(mktemp -d)
SMOKE=${SMOKE:-0}
DEV=${DEVICE:-cuda}
if [[ $SMOKE == 1 ]]; then WE=1; WS="--max-steps 2"; TE=2; CV=2; TDN=2; else WE=40; WS=""; TE=300; CV=10; TDN=300; fi
export PYTHONUNBUFFERED=1
cd "$(dirname "$0")/../training"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1; $PY -c 'import torch, numpy; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), "numpy", numpy.__version__)'; } > "$R/env.txt"

$PY -m pytest -q tests > "$R/pytest.txt" 2>&1 &

for v in "mc-td 0.1" "mc-td 0.3" "concrete 0.1" "none 0"; do
  set -- $v
  $PY -m portolan_train td --data lfmc:../.gpu/lfmc --cv $CV --kind $1 --alpha $2 --epochs $TE --patience 10 --dropout 0 \
    --batch-size 32 --device $DEV --metrics-json "$R/lfmc-$1-$2.json" > "$R/lfmc-$1-$2.log" 2>&1 &
done

$PY -m portolan_train way --shards ../.gpu/shards --config small --epochs $WE $WS --device $DEV \
  --out "$R/way-demo.portolan" --metrics-json "$R/way-small-gd.json" > "$R/way-small-gd.log" 2>&1 &
$PY -m portolan_train way --shards ../.gpu/shards --config small --epochs $WE $WS --device $DEV --no-gradient-dropout \
  --metrics-json "$R/way-small-nogd.json" > "$R/way-small-nogd.log" 2>&1 &
$PY -m portolan_train way --shards ../.gpu/shards --config default --epochs $WE $WS --device $DEV \
  --out "$R/way-default.portolan" --metrics-json "$R/way-default-gd.json" > "$R/way-default-gd.log" 2>&1 &
$PY -m portolan_train way --shards ../.gpu/shards --config default --epochs 1 --max-steps 30 --device $DEV --no-amp \
  --metrics-json "$R/way-default-fp32-steps.json" > "$R/way-default-fp32-steps.log" 2>&1 &
$PY -m portolan_train td --data synthetic --kind concrete --epochs $TDN --patience 10 --dropout 0 --batch-size 64 --device $DEV \
  --out "$R/td-demo.portolan" --metrics-json "$R/td-demo.json" > "$R/td-demo.log" 2>&1 &
wait
mkdir -p "$OUT"
tar -czf "$OUT/results.tgz" -C "$R" .
tail -n 3 "$R"/*.log "$R/pytest.txt"
for f in "$R"/*.json; do echo "== $(basename $f)"; head -c 600 "$f"; echo; done
