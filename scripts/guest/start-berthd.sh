#!/bin/sh
# Inside the test guest: starts berthd on a configuration like `make test`'s (loopback-only
# pods, a cgroup subtree of its own, the local registry as a plain-HTTP mirror) and returns once
# its socket answers. berthd keeps running in the background; its log is in $work/berthd.log.
#
#   start-berthd.sh [REGISTRY_PORT]
set -eu
port=${1:-5000}
work=/tmp/berth
mkdir -p "$work/cni"
cat >"$work/config.toml" <<TOML
root = "/var/lib/berth"
state = "/run/berth"
[api]
socket = "/run/berth/berth.sock"
[network]
conf_dir = "$work/cni"
[runtime]
cgroup_root = "berth-conformance"
[registry.hosts."127.0.0.1:$port"]
plain_http = true
[registry.hosts."registry.k8s.io"]
mirrors = ["http://127.0.0.1:$port"]
TOML
berthd --config "$work/config.toml" --log-level warning </dev/null >"$work/berthd.log" 2>&1 &
echo $! >"$work/berthd.pid"
tries=0
until berthctl --runtime-endpoint /run/berth/berth.sock version >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ $tries -ge 600 ] || ! kill -0 "$(cat "$work/berthd.pid")" 2>/dev/null; then
        echo "berthd did not come up; its log:"
        tail -n 20 "$work/berthd.log"
        exit 1
    fi
    sleep 0.1
done
echo "berthd ready"
