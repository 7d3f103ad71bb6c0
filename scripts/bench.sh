#!/usr/bin/env bash
# `make bench`: pull the large test image from a local registry with Berth and with its peers,
# in one run on the same disk, and report seconds, throughput and ratios; then idle memory.
#   berth       berthctl pull against a fresh berthd (download, verify, unpack)
#   containerd  ctr pull against its own containerd on a private socket (fetch + unpack)
#   skopeo+umoci skopeo copy to an OCI layout, then umoci unpack
#   tar -xzf    the same layers extracted one after another (the single-stream floor)
#   zlib        gzip -dc of the same layers to /dev/null (decompression alone)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${BENCH_RUNS:-3}
port=${BENCH_REGISTRY_PORT:-5056}
release=.build/release
work=$(mktemp -d /var/tmp/berth-bench.XXXXXX)
images=.build/testimages
image="127.0.0.1:$port/large:latest"
pids=()

cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    grep " $work" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    conformance/registry.sh stop "$work/registry" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

now() { date +%s.%N; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
wait_socket() { for _ in $(seq 200); do [ -S "$1" ] && return 0; sleep 0.05; done; echo "no socket $1" >&2; return 1; }
best() { printf '%s\n' "$@" | sort -g | head -1; }

conformance/registry.sh start "$work/registry" "$port" >/dev/null
"$release/berth-testimages" build --out "$images" --only large >/dev/null
"$release/berth-testimages" push --from "$images" --registry "127.0.0.1:$port" --only large >/dev/null

layout="$images/large"
layers=$(python3 -c '
import json,sys
d=sys.argv[1]
idx=json.load(open(d+"/index.json"))
m=json.load(open(d+"/blobs/sha256/"+idx["manifests"][0]["digest"].split(":")[1]))
print(" ".join(d+"/blobs/sha256/"+l["digest"].split(":")[1] for l in m["layers"]))' "$layout")
compressed=$(du -cb $layers | tail -1 | cut -f1)
uncompressed=$(for l in $layers; do gzip -dc "$l" | wc -c; done | awk '{s+=$1} END {print s}')

# --- berth
cat > "$work/berth.toml" <<TOML
root = "$work/berth-root"
state = "$work/berth-state"
log_level = "warning"
[api]
socket = "$work/berth-state/berth.sock"
[registry.hosts."127.0.0.1:$port"]
plain_http = true
TOML
"$release/berthd" --config "$work/berth.toml" & berthd=$!; pids+=("$berthd")
wait_socket "$work/berth-state/berth.sock"
sleep 1
berth_idle=$(rss_kib "$berthd")
times=()
for _ in $(seq "$runs"); do
    start=$(now)
    "$release/berthctl" --socket "$work/berth-state/berth.sock" pull "$image" >/dev/null
    times+=("$(echo "$(now) - $start" | bc)")
    "$release/berthctl" --socket "$work/berth-state/berth.sock" rmi "$image" >/dev/null
done
berth=$(best "${times[@]}")
"$release/berthctl" --socket "$work/berth-state/berth.sock" pull "$image" >/dev/null
sleep 1
berth_after=$(rss_kib "$berthd")

# --- containerd, on a private socket and root, with only what a pull needs
mkdir -p "$work/ctrd"
cat > "$work/ctrd/config.toml" <<TOML
version = 2
root = "$work/ctrd/root"
state = "$work/ctrd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.tracing", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$work/ctrd/containerd.sock"
[ttrpc]
  address = "$work/ctrd/containerd.sock.ttrpc"
TOML
containerd --config "$work/ctrd/config.toml" >"$work/ctrd/log" 2>&1 & ctrd=$!; pids+=("$ctrd")
wait_socket "$work/ctrd/containerd.sock"
sleep 1
ctrd_idle=$(rss_kib "$ctrd")
ctr=(ctr --address "$work/ctrd/containerd.sock" --namespace bench)
times=()
for _ in $(seq "$runs"); do
    start=$(now)
    "${ctr[@]}" images pull --plain-http "$image" >/dev/null
    times+=("$(echo "$(now) - $start" | bc)")
    "${ctr[@]}" images rm --sync "$image" >/dev/null
    "${ctr[@]}" content ls -q | xargs -r "${ctr[@]}" content rm >/dev/null 2>&1 || true
done
containerd_time=$(best "${times[@]}")

# --- skopeo copy + umoci unpack
times=()
for i in $(seq "$runs"); do
    rm -rf "$work/oci" "$work/bundle"
    start=$(now)
    skopeo copy -q --src-tls-verify=false "docker://$image" "oci:$work/oci:large" >/dev/null
    umoci unpack --image "$work/oci:large" "$work/bundle" >/dev/null 2>&1
    times+=("$(echo "$(now) - $start" | bc)")
done
rm -rf "$work/oci" "$work/bundle"
skopeo_time=$(best "${times[@]}")

# --- floors
times=()
for _ in $(seq "$runs"); do
    rm -rf "$work/tar"; mkdir "$work/tar"
    start=$(now)
    for l in $layers; do tar --warning=no-unknown-keyword -xzf "$l" -C "$work/tar"; done
    times+=("$(echo "$(now) - $start" | bc)")
done
rm -rf "$work/tar"
tar_time=$(best "${times[@]}")
times=()
for _ in $(seq "$runs"); do
    start=$(now)
    for l in $layers; do gzip -dc "$l" >/dev/null; done
    times+=("$(echo "$(now) - $start" | bc)")
done
zlib_time=$(best "${times[@]}")

mb() { echo "scale=1; $1 / 1000000" | bc; }
row() { printf '%-14s %8.2f s %9.1f MB/s %8.2fx\n' "$1" "$2" "$(echo "$uncompressed / $2 / 1000000" | bc -l)" "$(echo "$2 / $berth" | bc -l)"; }
echo
echo "pull of $image: $(echo "$layers" | wc -w) layers, $(mb "$compressed") MB compressed, $(mb "$uncompressed") MB uncompressed; best of $runs"
printf '%-14s %10s %14s %9s\n' "" "time" "throughput" "÷ berth"
row berth "$berth"
row containerd "$containerd_time"
row skopeo+umoci "$skopeo_time"
row "tar -xzf" "$tar_time"
row "zlib inflate" "$zlib_time"
echo
echo "idle RSS: berthd $((berth_idle / 1024)) MiB (after a pull $((berth_after / 1024)) MiB), containerd $((ctrd_idle / 1024)) MiB; berthd/containerd = $(echo "scale=2; $berth_idle / $ctrd_idle" | bc)"
