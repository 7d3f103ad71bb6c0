# Berth: `make run` starts berthd on its defaults, `make test` runs every test,
# `make bench` measures pulls and memory next to containerd, skopeo+umoci and tar.
# Each target installs the Debian packages it needs first.

SWIFT ?= swift
DEBS := libarchive-dev libssl-dev libcurl4-openssl-dev libseccomp-dev libcap-dev libzstd-dev \
        zlib1g-dev pkg-config curl docker-registry busybox-static skopeo umoci
BENCH_DEBS := containerd bc python3

.PHONY: all deps bench-deps build release run test bench proto clean

all: build

deps:
	@scripts/install-debs.sh $(DEBS)

bench-deps: deps
	@scripts/install-debs.sh $(BENCH_DEBS)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product berthd
	$(SWIFT) build -c release --product berthctl

## Build and start berthd in the foreground on its embedded defaults.
run: release
	exec .build/release/berthd

## Unit tests, integration tests against a real berthd and registry, and the conformance suite.
test: build
	scripts/test.sh

## Pull throughput and idle memory, side by side with containerd and the floors.
bench: bench-deps release
	$(SWIFT) build -c release --product berth-testimages
	scripts/bench.sh

## Regenerate the CRI Swift types from Sources/CRI/Proto/api.proto (needs protoc-gen-swift on PATH).
proto:
	protoc --swift_out=Sources/CRI --swift_opt=Visibility=Public -I Sources/CRI/Proto Sources/CRI/Proto/api.proto

clean:
	rm -rf .build
