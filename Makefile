# Berth: `make run` starts berthd on its defaults, `make test` runs every test,
# `make bench` measures pulls and memory next to containerd, skopeo+umoci and tar.
# Each target installs the Debian packages it needs first.

SWIFT ?= swift
DEBS := libarchive-dev libssl-dev libseccomp-dev libcap-dev libzstd-dev \
        zlib1g-dev pkg-config curl docker-registry busybox-static skopeo umoci \
        containernetworking-plugins iptables iproute2
## What the QEMU guest needs (the guest tests inside `swift test`, make test-guest, the bench).
GUEST_DEBS := qemu-system-x86 erofs-utils cpio
BENCH_DEBS := containerd runc crun bc python3

.PHONY: all deps guest-deps bench-deps build release install run test test-guest bench proto clean shim

all: build

deps:
	@scripts/install-debs.sh $(DEBS)

guest-deps: deps
	@scripts/install-debs.sh $(GUEST_DEBS)

bench-deps: guest-deps
	@scripts/install-debs.sh $(BENCH_DEBS)

build: deps shim
	$(SWIFT) build
	install -m 0755 .build/berth-shim "$$($(SWIFT) build --show-bin-path)/berth-shim"

## berth-shim is plain C built with cc: SwiftPM links every executable against
## libswiftCore (swiftrt.o, -lswiftCore), which a tiny per-container monitor must not carry.
## It is linked statically: every container start and exec runs it, and a static program
## starts without the dynamic loader's work (it uses no NSS, so static glibc is safe).
SHIM_SOURCES := $(wildcard Shims/berth-shim/*.c)
SHIM_HEADERS := $(wildcard Shims/berth-shim/*.h)
SHIM_CFLAGS ?= -std=c11 -O2 -g -Wall -Wextra

shim: .build/berth-shim

.build/berth-shim: $(SHIM_SOURCES) $(SHIM_HEADERS) Makefile
	@mkdir -p .build
	$(CC) $(SHIM_CFLAGS) -static -o $@ $(SHIM_SOURCES) -lcap

# Static Swift runtime: a smaller, faster-starting berthd with less resident memory.
RELEASE := -c release --static-swift-stdlib

release: deps shim
	$(SWIFT) build $(RELEASE) --product berthd
	$(SWIFT) build $(RELEASE) --product berthctl
	install -m 0755 .build/berth-shim .build/release/berth-shim

## Install berthd and berthctl to $(PREFIX)/bin.
PREFIX ?= /usr/local
install: release
	install -m 0755 .build/release/berthd .build/release/berthctl .build/berth-shim $(PREFIX)/bin/

## Build, install and start berthd in the foreground on its embedded defaults, with the
## default CNI network (scripts/10-berth.conflist) when /etc/cni/net.d has none.
run: install
	scripts/install-cni.sh /etc/cni/net.d
	exec $(PREFIX)/bin/berthd

## Unit tests, integration tests against a real berthd and registry, and the conformance suite;
## then the resource checks inside a QEMU guest with cgroup v2 alone.
test: build guest-deps
	scripts/test.sh
	$(MAKE) test-guest

## The resource checks (limits, OOM, stats) inside a QEMU guest whose cgroup v2 tree has every
## controller; the kernel comes from Debian's linux-image-cloud-amd64, cached under .build/guest.
test-guest: build guest-deps
	scripts/test-guest.sh

## Pull throughput and idle memory, side by side with containerd and the floors.
bench: bench-deps release
	$(SWIFT) build $(RELEASE) --product berth-testimages
	scripts/bench.sh

## Regenerate the CRI Swift types from Sources/CRI/Proto/api.proto (needs protoc-gen-swift on PATH).
proto:
	protoc --swift_out=Sources/CRI --swift_opt=Visibility=Public -I Sources/CRI/Proto Sources/CRI/Proto/api.proto

clean:
	rm -rf .build
