#!/usr/bin/env bash
# Regenerate the tables of docs/RESULTS.md from commands: every row of each
# table once per seed, then mean ± sd tables with a within-noise verdict
# (python -m portolan_train.results) in $OUT/tables.md.
#
#   scripts/results.sh [lfmc] [way] [steps]      (default: all three)
#
# Environment: SEEDS ("1 2 3"), DEVICE (auto; cuda on a GPU machine),
# JOBS (rows run at once, 1; a GPU takes several), OUT (build/results),
# LFMC (the LFMC folder, ../shared/data/lfmc-temporal-dropout),
# PYTHON (/usr/bin/python3), QUICK=1 (tiny settings on synthetic data, to
# check the script itself in a few minutes on a CPU), ROWS (an extended
# regular expression: only the rows whose name matches run; the tables show
# every row that has runs), and the settings CV, FLEET and WAY_EPOCHS (a
# CPU campaign shortens WAY training with WAY_EPOCHS="--epochs 10"; the
# tables say what was run).
# Finished rows are kept (a seed whose JSON exists is not rerun); delete
# $OUT to start again.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
SEEDS=${SEEDS:-"1 2 3"}
DEVICE=${DEVICE:-auto}
JOBS=${JOBS:-1}
OUT=${OUT:-$ROOT/build/results}
LFMC=${LFMC:-$ROOT/../shared/data/lfmc-temporal-dropout}
QUICK=${QUICK:-0}
TABLES=${*:-lfmc way steps}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BIN=$OUT/portolan
(cd "$ROOT" && go build -o "$BIN" ./cmd/portolan)
export PYTHONUNBUFFERED=1

if [[ $QUICK == 1 ]]; then
  LFMC_DATA="synthetic:120"; CV="--cv 2 --epochs 2"; FLEET="--vessels 30 --days 10"; WAY_EPOCHS="--epochs 1 --max-steps 2"
  STEP_TD="--data synthetic:120"; STEP_WAY="--max-steps 2"
else
  LFMC_DATA="lfmc:$LFMC"; CV=${CV:-"--cv 10 --epochs 400"}; FLEET=${FLEET:-"--vessels 200 --days 30"}
  WAY_EPOCHS=${WAY_EPOCHS:-"--epochs 40"}
  STEP_TD="--data lfmc:$LFMC"; STEP_WAY="--max-steps 8"
fi

: > "$OUT/rows.tsv"
row() { # table name label run flags...
  local table=$1 name=$2 label=$3 run=$4; shift 4
  printf '%s\t%s\t%s\t%s\t%s\n' "$table" "$name" "$label" "$run" "$*" >> "$OUT/rows.tsv"
}

# run NAME-OF-LOG CMD...: in the background, at most $JOBS at once
run() {
  local log=$1; shift
  while (( $(jobs -rp | wc -l) >= JOBS )); do wait -n || true; done
  echo "run: $* > $log" >&2
  ( cd "$ROOT/training" && "$@" > "$log" 2>&1 || echo "FAILED: $* (see $log)" >&2 ) &
}

for t in $TABLES; do case $t in
lfmc)
  # run A: no other dropout, patience 10; run B: the paper's dropout 0.2, patience 15
  row lfmc none-A "deterministic (no temporal dropout)" A --kind none --dropout 0 --patience 10
  row lfmc mc-td-0.1-A "MC-TD α = 0.1" A --kind mc-td --alpha 0.1 --dropout 0 --patience 10
  row lfmc mc-td-0.3-A "MC-TD α = 0.3" A --kind mc-td --alpha 0.3 --dropout 0 --patience 10
  row lfmc concrete-A "MC-ConcTD" A --kind concrete --dropout 0 --patience 10
  row lfmc mc-dropout-A "MC-Dropout α = 0.1 (baseline)" A --kind mc-dropout --alpha 0.1 --dropout 0 --patience 10
  row lfmc none-B "deterministic (no temporal dropout)" B --kind none --dropout 0.2 --patience 15
  row lfmc mc-td-0.1-B "MC-TD α = 0.1" B --kind mc-td --alpha 0.1 --dropout 0.2 --patience 15
  row lfmc mc-td-0.1-B-lr "MC-TD α = 0.1" "B, lr 5e-4" --kind mc-td --alpha 0.1 --dropout 0.2 --patience 15 --lr 5e-4
  row lfmc concrete-B "MC-ConcTD" B --kind concrete --dropout 0.2 --patience 15
  row lfmc mc-dropout-B "MC-Dropout α = 0.1 (baseline)" B --kind mc-dropout --alpha 0.1 --dropout 0.2 --patience 15
  row lfmc concrete-B-lr "MC-ConcTD" "B, lr 5e-4" --kind concrete --dropout 0.2 --patience 15 --lr 5e-4
  ;;
way)
  row way small-gd "small, Gradient Dropout" - --config small
  row way small-nogd "small, no Gradient Dropout" - --config small --no-gradient-dropout
  row way default-gd "default, Gradient Dropout" - --config default
  ;;
steps)
  row steps way-small "WAY small, batch 32" "$DEVICE" way --config small
  row steps way-default "WAY default, batch 32" "$DEVICE" way --config default
  row steps td-lstm "TD LSTM on LFMC, batch 32" "$DEVICE" td
  ;;
*) echo "unknown table $t (want lfmc, way or steps)" >&2; exit 2 ;;
esac; done

SHARDS=$OUT/way/shards
if grep -q "^way\|^steps" "$OUT/rows.tsv" && [[ ! -f $SHARDS/manifest.json ]]; then
  mkdir -p "$OUT/way"
  "$BIN" simulate --seed 1 $FLEET --out "$OUT/way/fleet.nmea"
  "$BIN" prepare way --ais "$OUT/way/fleet.nmea" --ports builtin --out "$SHARDS"
fi

while IFS=$'\t' read -r table name label runname flags; do
  [[ -n ${ROWS:-} && ! $name =~ $ROWS ]] && continue
  dir=$OUT/$table/$name
  mkdir -p "$dir"
  for s in $SEEDS; do
    [[ -f $dir/seed$s.json ]] && continue
    case $table in
    lfmc)
      run "$dir/seed$s.log" "$PY" -m portolan_train td --data "$LFMC_DATA" $CV --batch-size 32 --seed "$s" \
        --device "$DEVICE" --metrics-json "$dir/seed$s.json" $flags ;;
    way)
      run "$dir/seed$s.log" bash -c "'$PY' -m portolan_train way --shards '$SHARDS' $WAY_EPOCHS --batch-size 32 --seed $s \
        --device '$DEVICE' --out '$dir/seed$s.portolan' --metrics-json '$dir/seed$s.json.tmp' $flags &&
        '$BIN' evaluate --model '$dir/seed$s.portolan' --shards '$SHARDS' --format json > '$dir/seed$s.eval.json' &&
        mv '$dir/seed$s.json.tmp' '$dir/seed$s.json'" ;;
    steps)
      set -- $flags
      if [[ $1 == way ]]; then
        run "$dir/seed$s.log" "$PY" -m portolan_train way --shards "$SHARDS" --epochs 1 $STEP_WAY --batch-size 32 \
          --seed "$s" --device "$DEVICE" --metrics-json "$dir/seed$s.json" "${@:2}"
      else
        run "$dir/seed$s.log" "$PY" -m portolan_train td $STEP_TD --epochs 1 --patience 0 --batch-size 32 \
          --seed "$s" --device "$DEVICE" --metrics-json "$dir/seed$s.json"
      fi ;;
    esac
  done
done < "$OUT/rows.tsv"
wait

(cd "$ROOT/training" && "$PY" -m portolan_train.results "$OUT") > "$OUT/tables.md"
echo "wrote $OUT/tables.md" >&2
