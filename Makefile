# Portolan build and test entry points. See README.md.
PYTHON ?= /usr/bin/python3
GO     ?= go
export PORTOLAN_PYTHON := $(PYTHON)

# Bounded fuzz smoke runs in `make test`; `make fuzz` runs longer.
FUZZ_SMOKE ?= 20000x
FUZZ_TIME  ?= 60s
FUZZ_TARGETS := ./export:FuzzRead ./trajectory/ais:FuzzSentence ./trajectory/ais:FuzzOpenPositions ./accel:FuzzDot ./accel:FuzzSgemm

.PHONY: all setup generate testdata train-demo conformance-vectors test gotest gotest-noasm fuzz-smoke fuzz cross pytest vet demo bench build clean check

all: build

setup:
	@bash scripts/setup.sh

build:
	$(GO) build -o bin/portolan ./cmd/portolan

## test: everything CI runs (installs what it needs first)
test: setup vet gotest gotest-noasm fuzz-smoke cross pytest
	@echo "make test: all passed"

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l . ; echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

gotest:
	$(GO) test -race -count=1 ./...

gotest-noasm:
	$(GO) test -count=1 -tags noasm ./...

fuzz-smoke:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$fn $(FUZZ_SMOKE)"; \
	  $(GO) test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(FUZZ_SMOKE) $$pkg || exit 1; done

fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
	  $(GO) test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(FUZZ_TIME) $$pkg || exit 1; done

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

## demo: the main job on the shipped demo model and sample data
demo:
	@mkdir -p build
	@$(GO) build -o build/portolan ./cmd/portolan
	@echo "== destinations and ETAs of every vessel in testdata/ais/sample.nmea (demo WAY model)"
	@build/portolan predict --model testdata/models/way-demo.portolan --ais testdata/ais/sample.nmea --top 3
	@echo
	@echo "== forecasts with uncertainty for testdata/series/sample.csv (demo temporal-dropout model, 20 samples, seed 1)"
	@build/portolan forecast --model testdata/models/td-demo.portolan --series testdata/series/sample.csv --samples 20 --seed 1

## train-demo: retrain the demo models and their reference vectors from seed 1
## (on a GPU when torch sees one; docs/RESULTS.md has the figures)
train-demo:
	@mkdir -p build
	$(GO) run ./cmd/portolan simulate --seed 1 --vessels 200 --days 30 --out build/fleet.nmea
	$(GO) run ./cmd/portolan prepare way --ais build/fleet.nmea --ports builtin --out build/shards
	cd training && $(PYTHON) -m portolan_train way --shards ../build/shards --config small --epochs 40 --seed 1 \
	  --out ../testdata/models/way-demo.portolan
	cd training && $(PYTHON) -m portolan_train td --data synthetic --kind concrete --epochs 300 --patience 10 --seed 1 \
	  --out ../testdata/models/td-demo.portolan
	$(MAKE) conformance-vectors

## conformance-vectors: reference outputs of the committed demo models (float64)
conformance-vectors:
	@test -d build/shards || { mkdir -p build; $(GO) run ./cmd/portolan simulate --seed 1 --vessels 200 --days 30 --out build/fleet.nmea && \
	  $(GO) run ./cmd/portolan prepare way --ais build/fleet.nmea --ports builtin --out build/shards; }
	cd training && $(PYTHON) -m portolan_train conformance --way ../testdata/models/way-demo.portolan \
	  --td ../testdata/models/td-demo.portolan --shards ../build/shards --out ../testdata/conformance

## generate: regenerate the avo assembly (accel/_gen, its own module); must leave no diff
generate:
	cd accel && $(GO) generate
	@git diff --exit-code -- accel/kernels_amd64.s accel/kernels_amd64.go || { echo "generated assembly is stale: commit it"; exit 1; }

## testdata: regenerate committed generated fixtures
testdata:
	$(GO) run ./cmd/portolan simulate --seed 7 --vessels 8 --days 3 --out testdata/ais/sample.nmea
	cd training && $(PYTHON) -m portolan_train.sample_series ../testdata/series/sample.csv

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

clean:
	rm -rf bin build
