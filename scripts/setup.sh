#!/usr/bin/env bash
# Installs what the tests need, idempotently: Debian packages (Python with
# torch/numpy/msgpack/pytest for the trainer, qemu-user for arm64 tests,
# wabt's wat2wasm and binaryen's wasm-opt for the SIMD128 kernel module)
# and Go modules. Without root or apt it lists what is missing and exits 0, so
# the tests that need those tools skip with a message; under CI (CI set)
# anything missing is an error.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_pkgs=(python3-torch python3-numpy python3-msgpack python3-pytest qemu-user-static wabt binaryen)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    missing=()
  else
    echo "setup: missing Debian packages (install as root: apt-get install ${missing[*]}); tests that need them will skip" >&2
    [[ -n ${CI:-} ]] && exit 1
  fi
fi

go mod download
(cd scale/beam && go mod download)   # the Beam pipelines' module (about 1 GB, under a minute here)
bash scripts/setup-js.sh
echo "setup: ok"
