#!/usr/bin/env bash
# `make test`: a local registry with the offline test images, then unit and integration tests
# (swift test), then the conformance suite against a freshly started berthd with a real CNI
# bridge network, both inside a network namespace of the run's own. Everything the run
# creates lives under one temporary directory (and that namespace) and is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(swift build --show-bin-path)
work=$(mktemp -d /tmp/berth-test.XXXXXX)
port=${BERTH_TEST_REGISTRY_PORT:-5055}
images=.build/testimages
cgroup_root="berth-conformance-$$"
netns="berth-test-$$"

cleanup() {
    local status=$?
    # berthd runs in the namespace, not as our child: its pid is in a file.
    local pid
    pid=$(cat "$work/berthd.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    conformance/registry.sh stop "$work/registry" >/dev/null 2>&1 || true
    # The bridge, veths and iptables rules of the run go with its namespace.
    ip netns del "$netns" 2>/dev/null || true
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
# berthd and the harness run in a network namespace of the run's own, with a bridge network
# of their own (portmap, loopback; the plugins from /usr/lib/cni): the bridge, veths, iptables
# rules and IP forwarding never touch the machine's network, and no packet can leave.
ip netns add "$netns"
ip -n "$netns" link set lo up
# 127.0.0.1 in the namespace is not the host's: the registry moves in, on the same storage.
conformance/registry.sh stop "$work/registry" >/dev/null
ip netns exec "$netns" conformance/registry.sh start "$work/registry" "$port"
mkdir -p "$work/cni" "$work/cni-ipam"
cat > "$work/cni/10-berth-test.conflist" <<JSON
{"cniVersion": "1.0.0", "name": "berth-test", "plugins": [
  {"type": "bridge", "bridge": "berthtest0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$work/cni-ipam", "ranges": [[{"subnet": "10.88.7.0/24"}]],
            "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}},
  {"type": "loopback"}
]}
JSON
cat > "$work/config.toml" <<TOML
root = "$work/root"
state = "$work/state"
[api]
socket = "$work/state/berth.sock"
# The run's own network, never the machine's /etc/cni/net.d.
[network]
conf_dir = "$work/cni"
bin_dirs = ["/usr/lib/cni"]
# A cgroup subtree of this run's own, removed at the end.
[runtime]
cgroup_root = "$cgroup_root"
[registry.hosts."127.0.0.1:$port"]
plain_http = true
[registry.hosts."registry.k8s.io"]
mirrors = ["http://127.0.0.1:$port"]
TOML
# One `ip netns exec` for both: it makes a mount namespace with a fresh /sys (which hides the
# cgroup2 mount, so it is mounted again), and the harness must share berthd's mounts.
status=0
ip netns exec "$netns" /bin/sh -c '
    work=$1 bin=$2 port=$3
    mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup
    "$bin/berthd" --config "$work/config.toml" --log-level warning &
    berthd=$!
    echo "$berthd" > "$work/berthd.pid"
    for _ in $(seq 100); do [ -S "$work/state/berth.sock" ] && break; sleep 0.1; done
    status=0
    "$bin/berth-conformance" --socket "$work/state/berth.sock" --registry "127.0.0.1:$port" \
        --junit "$work/conformance.xml" || status=$?
    kill -TERM "$berthd"
    wait "$berthd" || true
    exit $status
' conformance "$work" "$bin" "$port" || status=$?
# Every pod the harness ran is gone, and its veth with it.
leftover=$(ip -n "$netns" -o link show type veth | wc -l)
if [ "$leftover" -ne 0 ]; then
    echo "conformance left $leftover veth(s) behind in its network namespace:" >&2
    ip -n "$netns" -o link show type veth >&2
    status=1
fi
exit $status
