#!/usr/bin/env bash
# Installs what the JavaScript module's tests need, idempotently: Debian's
# Chromium (the browser test and the Chromium conformance target drive it
# headless through playwright-core; no browser is ever downloaded) and the
# npm packages of wasm/js (`npm ci` from the committed lock, again only when
# the lock changed). Node 20 or later must be on PATH.
#
#   scripts/setup-js.sh           install what is missing
#   scripts/setup-js.sh --check   exit 0 when everything is there, else 1 with the reason
#
# Without root or apt, or without Node, it says what is missing and exits
# 0, so the tests that need it skip with a message; under CI (CI set)
# anything missing is an error.
set -euo pipefail
cd "$(dirname "$0")/.."

js=wasm/js
chromium=${CHROMIUM:-/usr/bin/chromium}
stamp=$js/node_modules/.portolan-lock

lock_sum() { sha256sum "$js/package-lock.json" | cut -d' ' -f1; }

problems() {
  local out=()
  if ! command -v node >/dev/null; then
    out+=("node is not on PATH (Node 20 or later)")
  elif (( $(node -p 'process.versions.node.split(".")[0]') < 20 )); then
    out+=("node $(node --version) is older than 20")
  fi
  [[ -x $chromium ]] || out+=("$chromium is missing (apt-get install chromium)")
  if [[ ! -f $stamp || $(cat "$stamp") != "$(lock_sum)" ]]; then
    out+=("the npm packages of $js are not installed from its package-lock.json (npm ci)")
  fi
  ((${#out[@]})) && printf '%s\n' "${out[@]}"
  return 0
}

if [[ ${1:-} == --check ]]; then
  p=$(problems)
  [[ -z $p ]] && exit 0
  echo "$p" >&2
  exit 1
fi

fail() {
  echo "setup-js: $*; the JavaScript tests will skip" >&2
  [[ -n ${CI:-} ]] && exit 1
  exit 0
}

if [[ ! -x $chromium ]]; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "setup-js: installing chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    fail "$chromium is missing (install as root: apt-get install chromium)"
  fi
fi

command -v node >/dev/null && command -v npm >/dev/null || fail "node and npm are not on PATH (Node 20 or later)"
(( $(node -p 'process.versions.node.split(".")[0]') >= 20 )) || fail "node $(node --version) is older than 20"

if [[ ! -f $stamp || $(cat "$stamp") != "$(lock_sum)" ]]; then
  echo "setup-js: npm ci in $js"
  # esbuild's postinstall may be reported as not run: its binary comes in
  # its platform package and works without it
  (cd "$js" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in $js failed"
  lock_sum >"$stamp"
fi

p=$(problems)
[[ -z $p ]] || fail "$p"
echo "setup-js: ok"
