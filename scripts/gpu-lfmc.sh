#!/usr/bin/env bash
# Second GPU run: the LFMC 10-fold CV with the paper's regularisation
# (dropout 0.2 in the encoder and the dense layer) and a lower learning
# rate, for MC-TD (α 0.1) and MC-ConcTD. Inputs as scripts/gpu-check.sh.
set -u
PY=${PYTHON:-python3}
OUT=${OUT:-$PWD/gpu-out}
R=$(mktemp -d)
export PYTHONUNBUFFERED=1
cd "$(dirname "$0")/../training"
run() { # name, args...
  local n=$1; shift
  $PY -m portolan_train td --data lfmc:../.gpu/lfmc --cv 10 --epochs 400 --batch-size 32 --device ${DEVICE:-cuda} \
    --metrics-json "$R/$n.json" "$@" > "$R/$n.log" 2>&1 &
}
run lfmc2-concrete-d0.2 --kind concrete --dropout 0.2 --patience 15
run lfmc2-mc-td-0.1-d0.2 --kind mc-td --alpha 0.1 --dropout 0.2 --patience 15
run lfmc2-concrete-d0.2-lr5e-4 --kind concrete --dropout 0.2 --patience 15 --lr 5e-4
run lfmc2-mc-td-0.1-d0.2-lr5e-4 --kind mc-td --alpha 0.1 --dropout 0.2 --patience 15 --lr 5e-4
run lfmc2-none-d0.2 --kind none --dropout 0.2 --patience 15
wait
mkdir -p "$OUT"
tar -czf "$OUT/results.tgz" -C "$R" .
for f in "$R"/*.json; do $PY -c "
import json;d=json.load(open('$f'));m=d['mean'];print('$(basename $f)', ' '.join('%s=%.4g'%(k,m[k]) for k in ['r2','rmse','mae','nll','crps','mace','picp90','sharpness','epochs','step_ms']))"; done
