#!/usr/bin/env bash
# Writes Berth's default CNI network (scripts/10-berth.conflist: a berth0 bridge with
# host-local addresses from 10.88.0.0/16, portmap, loopback) into the CNI configuration
# directory, unless that directory already holds a network configuration.
set -euo pipefail
conf_dir="${1:-/etc/cni/net.d}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$conf_dir"
shopt -s nullglob
existing=("$conf_dir"/*.conflist "$conf_dir"/*.conf "$conf_dir"/*.json)
if [ ${#existing[@]} -gt 0 ]; then
    echo "CNI: $conf_dir already has ${existing[0]##*/}; leaving it"
    exit 0
fi
install -m 0644 "$here/10-berth.conflist" "$conf_dir/10-berth.conflist"
echo "CNI: wrote $conf_dir/10-berth.conflist"
