#!/usr/bin/env bash
# `make test`: a local registry with the offline test images, then unit and integration tests
# (swift test), then the conformance suite against a freshly started berthd. Everything the
# run creates lives under one temporary directory and is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(swift build --show-bin-path)
work=$(mktemp -d /tmp/berth-test.XXXXXX)
port=${BERTH_TEST_REGISTRY_PORT:-5055}
images=.build/testimages
berthd_pid=""
cgroup_root="berth-conformance-$$"

cleanup() {
    local status=$?
    if [ -n "$berthd_pid" ] && kill -0 "$berthd_pid" 2>/dev/null; then
        kill -TERM "$berthd_pid"; wait "$berthd_pid" || true
    fi
    conformance/registry.sh stop "$work/registry" >/dev/null 2>&1 || true
    cgroup2=$(awk '{for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break }}' /proc/self/mountinfo | head -1)
    [ -n "$cgroup2" ] && rmdir "$cgroup2/$cgroup_root" 2>/dev/null || true
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT INT TERM

conformance/registry.sh start "$work/registry" "$port"
"$bin/berth-testimages" build --out "$images"
"$bin/berth-testimages" push --from "$images" --registry "127.0.0.1:$port"

export BERTH_TEST_REGISTRY="127.0.0.1:$port" BERTH_BIN="$bin" BERTH_TEST_IMAGES="$PWD/$images"
# One test at a time: several suites start registries and daemons and time deadlines, and on
# two cores parallel suites starve each other into false failures.
swift test --no-parallel

echo "== conformance"
cat > "$work/config.toml" <<TOML
root = "$work/root"
state = "$work/state"
[api]
socket = "$work/state/berth.sock"
# Never the machine's own CNI network: pods get loopback only.
[network]
conf_dir = "$work/cni"
# A cgroup subtree of this run's own, removed at the end.
[runtime]
cgroup_root = "$cgroup_root"
[registry.hosts."127.0.0.1:$port"]
plain_http = true
[registry.hosts."registry.k8s.io"]
mirrors = ["http://127.0.0.1:$port"]
TOML
"$bin/berthd" --config "$work/config.toml" --log-level warning &
berthd_pid=$!
for _ in $(seq 100); do [ -S "$work/state/berth.sock" ] && break; sleep 0.1; done
"$bin/berth-conformance" --socket "$work/state/berth.sock" --registry "127.0.0.1:$port" --junit "$work/conformance.xml"
