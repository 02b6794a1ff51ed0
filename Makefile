# Portolan build and test entry points. See README.md.
PYTHON ?= /usr/bin/python3
GO     ?= go
export PORTOLAN_PYTHON := $(PYTHON)

# Bounded fuzz smoke runs in `make test`; `make fuzz` runs longer. A
# target is PACKAGE:FUNCTION[:SMOKE COUNT] (default FUZZ_SMOKE); a new
# interesting input is minimised for at most FUZZ_MINIMIZE (Go's default,
# a minute, stalls a bounded run). Crashers land in the package's
# testdata/fuzz and then run in every `go test` as regression tests.
FUZZ_SMOKE    ?= 20000x
FUZZ_TIME     ?= 60s
FUZZ_MINIMIZE ?= 1s
FUZZ_TARGETS := ./export:FuzzRead ./trajectory/ais:FuzzSentence ./trajectory/ais:FuzzOpenPositions ./accel:FuzzDot ./accel:FuzzSgemm \
  ./accel:FuzzCausalAttention ./accel:FuzzRowKernels ./accel:FuzzAttention ./accel:FuzzDequant \
  ./trajectory/ais:FuzzCSVLayouts:5000x ./trajectory/ais:FuzzCSVMap:5000x ./timeseries:FuzzReadCSV:5000x ./timeseries:FuzzReadNPY:5000x \
  ./internal/mpack:FuzzDecode:5000x ./wasm/abi:FuzzRequests:5000x ./wasm/guest:FuzzHandlers:2000x ./internal/wayprep:FuzzWayShard:2000x \
  ./cmd/portolan:FuzzTDShard:2000x ./sdk:FuzzBundleConfig:300x ./sdk:FuzzStream:500x \
  ./wasm/kernels:FuzzKernels ./internal/wasmrun:FuzzNativeBounds

.PHONY: all setup generate testdata train-demo conformance-vectors test gotest gotest-noasm fuzz-smoke fuzz cross pytest vet demo bench bench-ort build clean check deadcode soak wasm conformance

all: build

setup:
	@bash scripts/setup.sh

build:
	$(GO) build -o bin/portolan ./cmd/portolan

## test: everything CI runs (installs what it needs first)
test: setup check gotest gotest-noasm fuzz-smoke cross pytest conformance jstest beamtest
	@echo "make test: all passed"

## check: the cheap static checks: gofmt and go vet (vet), go.mod and go.sum tidy (direct
## dependencies not marked indirect), and a rule for every phony target
check: vet
	@$(GO) mod tidy -diff >/dev/null 2>&1 || { $(GO) mod tidy -diff; echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	@for t in $$(sed -n 's/^\.PHONY://p' Makefile); do grep -q "^$$t:" Makefile || { echo "phony target $$t has no rule"; exit 1; }; done

## soak: a million streaming updates across 10,000 simulated vessels through the sdk stream
## manager from four goroutines; prints heap and goroutine samples and fails when the heap
## grows over the second half or passes its cap (docs/RELIABILITY.md). SOAK_FLAGS adds
## -soak.updates, -soak.vessels, -soak.workers, -soak.cap (MiB) or -soak.streams (MiB).
SOAK_FLAGS ?=
soak:
	$(GO) test -tags soak -run '^TestSoak$$' -count=1 -timeout 60m -v ./sdk -args $(SOAK_FLAGS)

## deadcode: functions that no command, example or test reaches (run through go run, not a
## module dependency); it lists, it does not fail: exported API kept on purpose shows up too
DEADCODE ?= golang.org/x/tools/cmd/deadcode@v0.52.0
deadcode:
	$(GO) run $(DEADCODE) -test ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l . ; echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

gotest:
	$(GO) test -race -count=1 ./...

gotest-noasm:
	$(GO) test -count=1 -tags noasm ./...

fuzz-smoke:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; rest=$${t#*:}; fn=$${rest%%:*}; n=$${rest#*:}; \
	  if [ "$$n" = "$$rest" ]; then n=$(FUZZ_SMOKE); fi; \
	  echo "fuzz $$fn $$n"; \
	  $(GO) test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$$n -fuzzminimizetime=$(FUZZ_MINIMIZE) $$pkg || exit 1; done

## fuzz: every fuzz target for FUZZ_TIME (default a minute each)
fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; rest=$${t#*:}; fn=$${rest%%:*}; \
	  echo "fuzz $$fn $(FUZZ_TIME)"; \
	  $(GO) test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(FUZZ_TIME) -fuzzminimizetime=10s $$pkg || exit 1; done

## cross: every package but the wazero host builds for wasip1/wasm; arm64 builds and its tests run under qemu
cross:
	GOOS=wasip1 GOARCH=wasm $(GO) build ./...
	GOARCH=arm64 $(GO) vet ./...
	@if command -v qemu-aarch64-static >/dev/null; then \
	  GOARCH=arm64 $(GO) test -count=1 -exec qemu-aarch64-static ./export/... ./trajectory/... ./accel/... ./models/... ./uncertainty/... ; \
	elif [ -n "$$CI" ]; then echo "qemu-aarch64-static missing (scripts/setup.sh installs it)"; exit 1; \
	else echo "skip: arm64 tests need qemu-aarch64-static (scripts/setup.sh installs it)"; fi

pytest:
	cd training && $(PYTHON) -m pytest -q tests

## beamtest: the Apache Beam pipelines (scale/beam, a module of its own so that Beam's dependencies
## never reach the SDK's users) on the in-process Prism runner, against the portolan command on the
## same data (docs/SCALE.md); scripts/setup.sh downloads its modules
.PHONY: beamtest
beamtest:
	cd scale/beam && $(GO) vet ./... && $(GO) test -count=1 ./...

## demo: the main job on the shipped demo models and sample data, and the world WAY model on real vessels
## of the shared data sets when they are there (SHARED, ../shared/data)
SHARED ?= ../shared/data
US_SLICE = $(SHARED)/marinecadastre-2020-01-01/AIS_2020_01_01_1200-1400.csv.zst
GREEK_NMEA = $(SHARED)/pyais-nmea/nmea_data_sample.txt
demo:
	@mkdir -p build
	@$(GO) build -o build/portolan ./cmd/portolan
	@$(GO) build -o build/realcheck ./internal/realcheck/cmd/realcheck
	@echo "== destinations and ETAs of every vessel in testdata/ais/sample.nmea (simulated on European lanes; the world WAY demo model)"
	@build/portolan predict --model testdata/models/way-demo.portolan --ais testdata/ais/sample.nmea --top 3
	@echo
	@echo "== real vessels: the demo model learned from simulated voyages only (docs/RESULTS.md says how far that carries)"
	@if [ -f $(US_SLICE) ]; then \
	  echo "-- US coasts, 2020-01-01 12:00-14:00 UTC (MarineCadastre): the leading vessel under way in each region"; \
	  build/realcheck -model testdata/models/way-demo.portolan -ais $(US_SLICE) -show 1; \
	else echo "skip: $(US_SLICE) not found"; fi
	@if [ -f $(GREEK_NMEA) ]; then \
	  echo "-- Greek waters (pyais sample, minutes of a receiver's AIVDM; no receive times, so lines are taken 0.25 s apart)"; \
	  build/realcheck -model testdata/models/way-demo.portolan -ais $(GREEK_NMEA) -stamp 250ms -show 5; \
	else echo "skip: $(GREEK_NMEA) not found"; fi
	@echo
	@echo "== forecasts with uncertainty for testdata/series/sample.csv (demo temporal-dropout model, 20 samples, seed 1)"
	@build/portolan forecast --model testdata/models/td-demo.portolan --series testdata/series/sample.csv --samples 20 --seed 1

## train-demo: retrain the demo models and their reference vectors from seed 1: WAY is the world model
## (make train-world; on a GPU when torch sees one; docs/RESULTS.md has the figures)
train-demo:
	@mkdir -p build
	$(MAKE) train-world INSTALL=1
	cd training && $(PYTHON) -m portolan_train td --data synthetic --kind concrete --epochs 300 --patience 10 --dropout 0 --batch-size 64 --seed 1 \
	  --out ../testdata/models/td-demo.portolan
	$(MAKE) conformance-vectors

## train-world: the world WAY model (scripts/train-world.sh): World Port Index ports chosen by liner services
## and harbour, a world-wide simulated fleet on the MARNET lanes, shards, training (the gpu recipe when torch
## sees CUDA, else the cpu one), portolan evaluate with baselines; into build/world/{cpu,gpu}. SEEDS="1 2 3"
## trains several; INSTALL=1 makes it the committed demo model; OPENBLAS_DIR= trains with OpenBLAS
.PHONY: train-world
train-world:
	PYTHON=$(PYTHON) GO=$(GO) bash scripts/train-world.sh

## results: regenerate each table of docs/RESULTS.md over SEEDS (default "1 2 3") into build/results/tables.md;
## DEVICE=cuda JOBS=4 on a GPU; TABLES="lfmc way steps"; QUICK=1 checks the script on tiny settings
.PHONY: results
results:
	PYTHON=$(PYTHON) scripts/results.sh $(TABLES)

## conformance-vectors: reference outputs (float64) of the committed demo models, as stored and converted
## to f16 and int8, and the small model of every td kind on both backbones, trained anew (seconds on CPU)
## into testdata/models/td-BACKBONE-KIND.portolan
conformance-vectors:
	@test -d build/shards || { mkdir -p build; $(GO) run ./cmd/portolan simulate --seed 1 --vessels 200 --days 30 --out build/fleet.nmea && \
	  $(GO) run ./cmd/portolan prepare way --ais build/fleet.nmea --ports builtin --out build/shards; }
	cd training && $(PYTHON) -m portolan_train conformance --way ../testdata/models/way-demo.portolan \
	  --td ../testdata/models/td-demo.portolan --shards ../build/shards --suite ../testdata/models --out ../testdata/conformance

## generate: regenerate the avo assembly (accel/_gen, its own module); must leave no diff
generate:
	cd accel && $(GO) generate
	@git diff --exit-code -- accel/kernels_amd64.s accel/kernels_amd64.go accel/dequant_kernels_amd64.s accel/dequant_kernels_amd64.go || { echo "generated assembly is stale: commit it"; exit 1; }

## testdata: regenerate committed generated fixtures
testdata:
	$(GO) run ./cmd/portolan simulate --seed 7 --vessels 8 --days 3 --out testdata/ais/sample.nmea
	cd training && $(PYTHON) -m portolan_train.sample_series ../testdata/series/sample.csv

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

## wasm: the WebAssembly module (docs/WASM.md) → build/wasm/portolan.wasm; checks that a rebuild
## from scratch gives the same bytes, prints the raw and gzip sizes, fails over WASM_BUDGET bytes
## (the 3 MB goal is not met yet: docs/BENCHMARKS.md)
WASM_BUDGET ?= 4718592
wasm:
	$(GO) run ./internal/wasmbuild/cmd/wasmbuild -o build/wasm/portolan.wasm -check -budget $(WASM_BUDGET)

## conformance: every vector of testdata/conformance on every target; prints the matrix (docs/CONFORMANCE.md)
conformance: wasm
	$(GO) run ./internal/conformance/cmd/conformance -wasm build/wasm/portolan.wasm $(JS_CONFORMANCE)

## JavaScript (wasm/js): the ES module, its tests in Node and Chromium, the demo page.
NODE      ?= node
DEMO_PORT ?= 8080
JS_READY   = $(shell bash scripts/setup-js.sh --check >/dev/null 2>&1 && echo yes)
# the module in Node and in Chromium as conformance targets (docs/CONFORMANCE.md); left out, with a
# message, outside CI when scripts/setup-js.sh could not install Node's packages or Chromium
JS_CONFORMANCE = $(if $(or $(CI),$(JS_READY)),-target 'node:generic=$(NODE) wasm/js/conformance/node.mjs --target node' \
	-target 'node-simd128:simd128=$(NODE) wasm/js/conformance/node.mjs --target node-simd128 --kernels simd128' \
	-target 'chromium:generic=$(NODE) wasm/js/conformance/chromium.mjs --target chromium' \
	-target 'chromium-simd128:simd128=$(NODE) wasm/js/conformance/chromium.mjs --target chromium-simd128 --kernels simd128',$(info conformance: skip node and chromium ($(shell bash scripts/setup-js.sh --check 2>&1 | tr '\n' ' '))))

.PHONY: jstest serve-demo build/wasm/portolan-test.wasm

## jstest: the JS module in Node (node --test: load, decode, predict, streams, forecasts, refusals,
## stopping a stuck call), the series CSV reader against the trainer's, the TypeScript declarations,
## and the demo page in headless Chromium against the native CLI (screenshots in build/js-test/)
jstest: wasm build/wasm/portolan-test.wasm
	@bash scripts/setup-js.sh
	@if command -v $(NODE) >/dev/null && test -f wasm/js/node_modules/.portolan-lock; then \
	  cd wasm/js && $(NODE) --test test/*.test.js; \
	elif [ -n "$$CI" ]; then echo "jstest: Node or wasm/js/node_modules missing (scripts/setup-js.sh)"; exit 1; \
	else echo "skip: jstest needs Node 20 and the npm packages of wasm/js (scripts/setup-js.sh)"; fi

# the module with the exports only tests use (a runaway loop, a panic, a bad answer)
build/wasm/portolan-test.wasm:
	GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -buildmode=c-shared \
	  -ldflags='-s -w -buildid=' -tags portolan_accel,portolan_testexports -o $@ ./wasm/guest

## serve-demo: the demo page on http://127.0.0.1:$(DEMO_PORT): pick or drop an AIS file; destinations,
## ETAs and forecasts are computed in the page by the module
serve-demo: wasm
	@bash scripts/setup-js.sh
	$(NODE) wasm/js/demo/serve.mjs --port $(DEMO_PORT)
## bench-ort: Portolan against onnxruntime-node and onnxruntime-web on the same
## models and inputs; rewrites the results in docs/BENCHMARKS.md (ROUNDS=5, THREADS=1,2)
bench-ort:
	PYTHON=$(PYTHON) GO=$(GO) bash scripts/bench-ort/run.sh

clean:
	rm -rf bin build
