#!/usr/bin/env bash
# `make bench`: Berth next to its peers, in one run on the same disk, as times, memory and ratios.
#
# Pulls of the large test image from a local registry (best of BENCH_RUNS):
#   berth       berthctl pull against a fresh berthd (download, verify, unpack)
#   containerd  ctr pull against its own containerd on a private socket (fetch + unpack)
#   skopeo+umoci skopeo copy to an OCI layout, then umoci unpack
#   tar -xzf    the same layers extracted one after another (the single-stream floor)
#   zlib        gzip -dc of the same layers to /dev/null (decompression alone)
# Containers of the busybox test image (bench-runtime.py drives berthd's socket from one Python
# process, so no client start-up is counted):
#   start latency  create + start + wait for exit + remove of /bin/true in a running pod, median
#                  of BENCH_START_RUNS; next to `crun run` and `runc run` of the same rootfs and a
#                  `crun spec` config, and `ctr run --rm` (median of BENCH_CTR_RUNS)
#   monitor PSS    berth-shim monitoring one running `sleep`, next to containerd-shim-runc-v2
#   50 containers  berthd RSS with one pod of 50 running `sleep` containers, next to containerd's
#                  RSS with 50 `ctr run -d` containers
#   20 pods        20 × (RunPodSandbox + CreateContainer + StartContainer) in parallel threads
#   exec           round trip of /bin/true in a running container: ExecSync, and a streamed Exec
#                  (URL, WebSocket upgrade, exit status); next to `crun exec`, `runc exec` and
#                  `ctr tasks exec` into a running container of each
#   guest boot     the QEMU test guest booted to a ready berthd, next to the same kernel booting
#                  a trivial /init (scripts/bench-guest.sh, median of BENCH_GUEST_RUNS)
#   pod network    RunPodSandbox with the default bridge network (scripts/10-berth.conflist)
#                  and with host network, median of BENCH_POD_RUNS, and the share of the CNI
#                  plugins (their ADD time as berthd logs it); this berthd runs in a network
#                  namespace of the run's own, so the bridge and its rules never touch the host
# Idle RSS of berthd and containerd.
#
# crun, runc and containerd run in a private mount namespace whose /sys/fs/cgroup is only the
# cgroup2 tree (the cgroup v1 hierarchies of a hybrid host are not mounted there), and their
# cgroups go below one cgroup2 directory of this run; berthd puts its own below another.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${BENCH_RUNS:-3}
start_runs=${BENCH_START_RUNS:-30}
ctr_runs=${BENCH_CTR_RUNS:-20}
fill_count=${BENCH_CONTAINERS:-50}
pod_count=${BENCH_PODS:-20}
pod_runs=${BENCH_POD_RUNS:-20}
exec_runs=${BENCH_EXEC_RUNS:-30}
# The registry's port: BENCH_REGISTRY_PORT, else the first of 5056-5099 nothing listens on
# (other runs on the host may hold some).
port=${BENCH_REGISTRY_PORT:-}
free_port() {
    local taken
    taken=$(ss -Htln | awk '{n = split($4, a, ":"); print a[n]}')
    for candidate in $(seq "$1" 5099); do
        grep -qx "$candidate" <<<"$taken" || { echo "$candidate"; return 0; }
    done
    return 1
}
release=.build/release
work=$(mktemp -d /var/tmp/berth-bench.XXXXXX)
images=.build/testimages
runtime_py=scripts/bench-runtime.py
# Run-time state goes on a tmpfs, as on a host where /run is one (the defaults of all four:
# /run/berth, /run/containerd, /run/crun, /run/runc); images and snapshots stay on disk.
run="$work/run"
berth_sock="$run/berth/berth.sock"
ctrd_sock="$run/containerd/containerd.sock"
netns_sock="$run/berth-netns/berth.sock"
ctr=(ctr --address "$ctrd_sock" --namespace bench)
# cgroup2 directories of this run: berthd's pods, and the peers' containers.
cgroup2=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
run_tag=berth-bench-${work##*.}
peers_cgroup=$run_tag-peers
pids=()
berthd=""
ctrd=""
netns=""
netns_berthd=""

# Runs a command in a private mount namespace where /sys/fs/cgroup is the cgroup2 tree alone:
# crun, runc and containerd there never see, let alone write to, the host's v1 hierarchies.
# (unshare and sh exec the command: a background one keeps the pid $! names.)
private_cgroups=(unshare --mount --propagation private sh -c
    'umount -R -l /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec "$@"' sh)

live() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    set +e
    # Berth: pods (and so their containers and monitors) through the API, then the daemon.
    if live "$berthd" && [ -S "$berth_sock" ]; then
        timeout 120 python3 "$runtime_py" clean "$berth_sock" >/dev/null
    fi
    if live "$netns_berthd" && [ -S "$netns_sock" ]; then
        timeout 120 python3 "$runtime_py" clean "$netns_sock" >/dev/null
    fi
    # containerd: tasks and containers first, so every shim exits, then the daemon.
    if live "$ctrd" && [ -S "$ctrd_sock" ]; then
        for c in $(timeout 30 "${ctr[@]}" containers ls -q 2>/dev/null); do
            timeout 30 "${ctr[@]}" tasks kill -s KILL "$c" >/dev/null 2>&1
            timeout 30 "${ctr[@]}" tasks rm -f "$c" >/dev/null 2>&1
            timeout 30 "${ctr[@]}" containers rm "$c" >/dev/null 2>&1
        done
    fi
    # crun and runc containers a failed run may have left (`run` deletes them on success).
    if [ -d "$run/crun" ] || [ -d "$run/runc" ]; then
        "${private_cgroups[@]}" sh -c '
            for id in $(crun --root "$1/crun" list -q 2>/dev/null); do crun --root "$1/crun" delete -f "$id"; done
            for id in $(runc --root "$1/runc" list -q 2>/dev/null); do runc --root "$1/runc" delete -f "$id"; done' \
            sh "$run" >/dev/null 2>&1
    fi
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
    [ -z "$netns" ] || ip netns del "$netns" 2>/dev/null
    grep " $work" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
    conformance/registry.sh stop "$work/registry" >/dev/null 2>&1
    if [ -n "$cgroup2" ]; then
        find "$cgroup2/$run_tag" "$cgroup2/$peers_cgroup" -depth -type d -exec rmdir {} + 2>/dev/null
    fi
    rm -rf "$work"
    # What must not outlive the run: monitors, shims, mounts, cgroups.
    local left
    left=$(ps -eo pid=,stat=,args= | awk -v work="$work" '$2 !~ /^Z/ && index($0, work) && $3 ~ /(berth-shim|containerd-shim-runc-v2|containerd|berthd)$/')
    [ -z "$left" ] || printf 'bench: left running:\n%s\n' "$left" >&2
    grep -q " $work" /proc/self/mountinfo && echo "bench: mounts left under $work" >&2
    [ -n "$cgroup2" ] && ls -d "$cgroup2/$run_tag" "$cgroup2/$peers_cgroup" 2>/dev/null | sed 's/^/bench: cgroup left: /' >&2
    exit "$status"
}
trap cleanup EXIT INT TERM
mkdir -p "$run" && mount -t tmpfs -o mode=0755 berth-bench-run "$run"
load_before=$(cut -d' ' -f1 /proc/loadavg)

now() { date +%s.%N; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
pss_kib() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
# USS: the pages only this process holds (private clean + private dirty), what it really costs.
uss_kib() { awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s}' "/proc/$1/smaps_rollup"; }
# Waits (up to a minute: a loaded host starts daemons slowly) for socket $1 of the daemon logging to $2.
wait_socket() {
    for _ in $(seq 1200); do [ -S "$1" ] && return 0; sleep 0.05; done
    echo "no socket $1; last lines of $2:" >&2
    tail -n 20 "$2" >&2
    return 1
}
best() { printf '%s\n' "$@" | sort -g | head -1; }
ratio() { printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; }

if [ -n "$port" ]; then
    conformance/registry.sh start "$work/registry" "$port" >/dev/null
else
    # A port found free may be taken before the registry binds it: try a few.
    port=5055
    for _ in 1 2 3 4 5; do
        port=$(free_port $((port + 1)))
        conformance/registry.sh start "$work/registry" "$port" >/dev/null 2>&1 && break
        port_failed=$port
    done
    [ "${port_failed:-}" != "$port" ] || { echo "bench: no registry could start" >&2; exit 1; }
fi
image="127.0.0.1:$port/large:latest"
busybox="127.0.0.1:$port/busybox:latest"
"$release/berth-testimages" build --out "$images" --only large,busybox >/dev/null
"$release/berth-testimages" push --from "$images" --registry "127.0.0.1:$port" --only large,busybox >/dev/null

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
state = "$run/berth"
log_level = "warning"
[api]
socket = "$berth_sock"
[registry.hosts."127.0.0.1:$port"]
plain_http = true
[runtime]
cgroup_root = "$run_tag"
TOML
"$release/berthd" --config "$work/berth.toml" 2>"$work/berthd.log" & berthd=$!; pids+=("$berthd")
wait_socket "$berth_sock" "$work/berthd.log"
sleep 1
berth_idle=$(rss_kib "$berthd")
berth_idle_uss=$(uss_kib "$berthd")
# A long deadline: removing the unpacked large image can take more than the default 10 s on a busy disk.
berthctl=("$release/berthctl" --socket "$berth_sock" --timeout 5m)
times=()
for _ in $(seq "$runs"); do
    start=$(now)
    "${berthctl[@]}" pull "$image" >/dev/null
    times+=("$(echo "$(now) - $start" | bc)")
    "${berthctl[@]}" rmi "$image" >/dev/null
done
berth=$(best "${times[@]}")
"${berthctl[@]}" pull "$image" >/dev/null
sleep 1
berth_after=$(rss_kib "$berthd")

# --- containerd, on a private socket and root, with only what a pull and `ctr run` need
mkdir -p "$work/ctrd"
cat > "$work/ctrd/config.toml" <<TOML
version = 2
root = "$work/ctrd/root"
state = "$run/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.tracing", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$ctrd_sock"
[ttrpc]
  address = "$ctrd_sock.ttrpc"
TOML
"${private_cgroups[@]}" containerd --config "$work/ctrd/config.toml" >"$work/ctrd/log" 2>&1 & ctrd=$!; pids+=("$ctrd")
wait_socket "$ctrd_sock" "$work/ctrd/log"
sleep 1
ctrd_idle=$(rss_kib "$ctrd")
ctrd_idle_uss=$(uss_kib "$ctrd")
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

# --- containers: berth
echo "containers: berth" >&2
export BENCH_LOG_DIR="$work/pod-logs"
mkdir -p "$BENCH_LOG_DIR"
"${berthctl[@]}" pull "$busybox" >/dev/null
monitor=$(python3 "$runtime_py" monitor "$berth_sock" "$busybox")
[ "$(cat "/proc/$monitor/comm")" = berth-shim ] || { echo "pid $monitor is not a berth-shim" >&2; exit 1; }
berth_monitor_pss=$(pss_kib "$monitor")
python3 "$runtime_py" clean "$berth_sock" >/dev/null
read -r berth_start berth_create berth_start_only berth_wait berth_remove \
    < <(python3 "$runtime_py" latency "$berth_sock" "$busybox" "$start_runs")
python3 "$runtime_py" clean "$berth_sock" >/dev/null
monitors=$(python3 "$runtime_py" fill "$berth_sock" "$busybox" "$fill_count")
sleep 1
berth_full=$(rss_kib "$berthd")
berth_monitors_pss=$(for pid in $monitors; do pss_kib "$pid"; done | awk '{s+=$1} END {print s}')
python3 "$runtime_py" clean "$berth_sock" >/dev/null
read -r berth_execsync berth_exec < <(python3 "$runtime_py" exec "$berth_sock" "$busybox" "$exec_runs")
python3 "$runtime_py" clean "$berth_sock" >/dev/null
read -r berth_pods_wall berth_pods_median < <(python3 "$runtime_py" concurrent "$berth_sock" "$busybox" "$pod_count")
python3 "$runtime_py" clean "$berth_sock" >/dev/null

# --- pod network: a second berthd in a network namespace of this run, on the default conflist
echo "pod network: berth" >&2
netns=$run_tag
ip netns add "$netns"
ip netns exec "$netns" ip link set lo up
mkdir -p "$work/cni"
python3 - scripts/10-berth.conflist "$work/cni/10-berth.conflist" "$work/cni-ipam" <<'PY'
import json, sys
source, target, ipam = sys.argv[1:]
network = json.load(open(source))
network["plugins"][0]["ipam"]["dataDir"] = ipam  # never the host's /var/lib/cni
json.dump(network, open(target, "w"), indent=1)
PY
cat > "$work/berth-netns.toml" <<TOML
root = "$work/berth-netns-root"
state = "$run/berth-netns"
[api]
socket = "$netns_sock"
[network]
conf_dir = "$work/cni"
[runtime]
cgroup_root = "$run_tag/netns"
TOML
# `ip netns exec` mounts a fresh /sys, which hides the cgroup2 mount: it is mounted again.
ip netns exec "$netns" sh -c 'mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup; exec "$@"' sh \
    "$release/berthd" --config "$work/berth-netns.toml" --log-level info 2>"$work/berthd-netns.log" & netns_berthd=$!
pids+=("$netns_berthd")
wait_socket "$netns_sock" "$work/berthd-netns.log"
berth_pod_host=$(python3 "$runtime_py" pods "$netns_sock" "$pod_runs" host)
berth_pod_bridge=$(python3 "$runtime_py" pods "$netns_sock" "$pod_runs" pod)
# berthd logs each ADD's duration ("pod network attached … took=N.Nms"); the first is the warm-up.
berth_pod_cni=$(grep 'pod network attached' "$work/berthd-netns.log" | sed -n 's/.*took=\([0-9.]*\)ms.*/\1/p' | tail -n +2 |
    sort -g | awk '{v[NR] = $1} END {if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')
kill -TERM "$netns_berthd"; wait "$netns_berthd" || true
ip netns del "$netns"; netns=""

# --- containers: crun and runc, on the busybox rootfs with a `crun spec` config for /bin/true
echo "containers: crun, runc" >&2
umoci unpack --image "$images/busybox:latest" "$work/rt-bundle" >/dev/null 2>&1
(cd "$work/rt-bundle" && rm -f config.json && crun spec)
python3 - "$work/rt-bundle/config.json" "/$peers_cgroup/runc" <<'PY'
import json, sys
path, cgroup = sys.argv[1], sys.argv[2]
config = json.load(open(path))
config["process"]["terminal"] = False
config["process"]["args"] = ["/bin/true"]
config["linux"]["cgroupsPath"] = cgroup
json.dump(config, open(path, "w"), indent=1)
PY
mkdir -p "$run/crun" "$run/runc"
# crun cannot manage cgroups here (its cgroupfs manager needs to raise RLIMIT_MEMLOCK for the
# device filter), so it runs with cgroups disabled; runc creates one per container.
crun_start=$("${private_cgroups[@]}" python3 "$runtime_py" time "$start_runs" \
    crun --cgroup-manager=disabled --root "$run/crun" run --bundle "$work/rt-bundle" "crun-{i}")
runc_start=$("${private_cgroups[@]}" python3 "$runtime_py" time "$start_runs" \
    runc --root "$run/runc" run --bundle "$work/rt-bundle" "runc-{i}")
# exec into a running `sleep` of each: a second bundle on the same rootfs
mkdir -p "$work/rt-sleep"
python3 - "$work/rt-bundle/config.json" "$work/rt-sleep/config.json" "$work/rt-bundle/rootfs" "/$peers_cgroup/runc-sleep" <<'PY'
import json, sys
source, target, rootfs, cgroup = sys.argv[1:]
config = json.load(open(source))
config["process"]["args"] = ["sleep", "3600"]
config["root"]["path"] = rootfs
config["linux"]["cgroupsPath"] = cgroup
json.dump(config, open(target, "w"), indent=1)
PY
peer_exec() {  # runtime, extra run flags…: median ms of `exec sleeper /bin/true` (in one namespace)
    "${private_cgroups[@]}" sh -c '
        runtime=$1 root=$2 bundle=$3 runs=$4 py=$5; shift 5
        $runtime "$@" --root "$root" run -d --bundle "$bundle" sleeper </dev/null >/dev/null 2>&1 || exit 1
        python3 "$py" time "$runs" $runtime "$@" --root "$root" exec sleeper /bin/true; status=$?
        $runtime "$@" --root "$root" delete -f sleeper >/dev/null 2>&1
        exit $status' sh "$@"
}
crun_exec=$(peer_exec crun "$run/crun" "$work/rt-sleep" "$exec_runs" "$runtime_py" --cgroup-manager=disabled)
runc_exec=$(peer_exec runc "$run/runc" "$work/rt-sleep" "$exec_runs" "$runtime_py")

# --- containers: containerd (ctr), runc v2 shims in containerd's private mount namespace
echo "containers: containerd" >&2
# ctr's default 1024 CPU shares would need a cgroup2 cpu controller this host may not have.
ctr_run=("${ctr[@]}" run --cpu-shares 0)
"${ctr[@]}" images pull --plain-http "$busybox" >/dev/null
ctr_start=$(python3 "$runtime_py" time "$ctr_runs" \
    "${ctr_run[@]}" --rm "--cgroup=/$peers_cgroup/ctr-{i}" "$busybox" "ctr-{i}" /bin/true)
"${ctr_run[@]}" -d "--cgroup=/$peers_cgroup/exec" "$busybox" exec-0 sleep 3600 >/dev/null
ctr_exec=$(python3 "$runtime_py" time "$exec_runs" "${ctr[@]}" tasks exec --exec-id "e{i}" exec-0 /bin/true)
ctr_task_pid() { "${ctr[@]}" tasks ls | awk -v id="$1" '$1 == id {print $2}'; }
ctr_stop_all() {
    for c in $("${ctr[@]}" containers ls -q); do
        "${ctr[@]}" tasks kill -s KILL "$c" >/dev/null 2>&1 || true
    done
    for c in $("${ctr[@]}" containers ls -q); do
        for _ in $(seq 100); do "${ctr[@]}" tasks rm "$c" >/dev/null 2>&1 && break; sleep 0.05; done
        "${ctr[@]}" containers rm "$c" >/dev/null
    done
}
"${ctr_run[@]}" -d "--cgroup=/$peers_cgroup/sleep-0" "$busybox" sleep-0 sleep 3600 >/dev/null
shim=$(awk '/^PPid/ {print $2}' "/proc/$(ctr_task_pid sleep-0)/status")
[ "$(cat "/proc/$shim/comm")" = containerd-shim ] || { echo "pid $shim is not a containerd shim" >&2; exit 1; }
sleep 1
ctr_shim_pss=$(pss_kib "$shim")
ctr_stop_all
for i in $(seq "$fill_count"); do
    "${ctr_run[@]}" -d "--cgroup=/$peers_cgroup/sleep-$i" "$busybox" "sleep-$i" sleep 3600 >/dev/null
done
sleep 1
ctrd_full=$(rss_kib "$ctrd")
ctr_shims_pss=$(for c in $("${ctr[@]}" containers ls -q); do
    pss_kib "$(awk '/^PPid/ {print $2}' "/proc/$(ctr_task_pid "$c")/status")"; done | awk '{s+=$1} END {print s}')
ctr_stop_all

mb() { echo "scale=1; $1 / 1000000" | bc; }
row() { printf '%-14s %8.2f s %9.1f MB/s %8.2fx\n' "$1" "$2" "$(echo "$uncompressed / $2 / 1000000" | bc -l)" "$(echo "$2 / $berth" | bc -l)"; }
mib() { printf '%.2f' "$(echo "scale=4; $1 / 1024" | bc)"; }
echo
echo "pull of $image: $(echo "$layers" | wc -w) layers, $(mb "$compressed") MB compressed, $(mb "$uncompressed") MB uncompressed; best of $runs"
printf '%-14s %10s %14s %9s\n' "" "time" "throughput" "÷ berth"
row berth "$berth"
row containerd "$containerd_time"
row skopeo+umoci "$skopeo_time"
row "tar -xzf" "$tar_time"
row "zlib inflate" "$zlib_time"
echo
echo "idle RSS: berthd $((berth_idle / 1024)) MiB (after a pull $((berth_after / 1024)) MiB), containerd $((ctrd_idle / 1024)) MiB; berthd/containerd = $(ratio "$berth_idle" "$ctrd_idle")"
echo "idle USS (private pages): berthd $(mib "$berth_idle_uss") MiB, containerd $(mib "$ctrd_idle_uss") MiB; berthd/containerd = $(ratio "$berth_idle_uss" "$ctrd_idle_uss")"
echo
echo "container start of $busybox /bin/true (create, start, wait for exit, remove), median"
printf '%-34s %9s %13s\n' "" "ms" "berth ÷ it"
printf '%-34s %9.1f %13s\n' "berth (API, pod already running)" "$berth_start" "-"
printf '%-34s %9s\n' "" "(create $berth_create, start $berth_start_only, wait $berth_wait, remove $berth_remove)"
printf '%-34s %9.1f %12.2fx\n' "crun run" "$crun_start" "$(ratio "$berth_start" "$crun_start")"
printf '%-34s %9.1f %12.2fx\n' "runc run" "$runc_start" "$(ratio "$berth_start" "$runc_start")"
printf '%-34s %9.1f %12.2fx\n' "ctr run --rm (containerd, runc)" "$ctr_start" "$(ratio "$berth_start" "$ctr_start")"
echo "  berth and crun/runc: $start_runs runs each; ctr: $ctr_runs runs"
echo
echo "exec round trip of /bin/true in a running container, median of $exec_runs"
printf '%-34s %9s %13s\n' "" "ms" "berth ÷ it"
printf '%-34s %9.1f %13s\n' "berth ExecSync (API)" "$berth_execsync" "-"
printf '%-34s %9.1f %13s\n' "berth Exec, streamed (WebSocket)" "$berth_exec" "-"
printf '%-34s %9.1f %12.2fx\n' "crun exec" "$crun_exec" "$(ratio "$berth_execsync" "$crun_exec")"
printf '%-34s %9.1f %12.2fx\n' "runc exec" "$runc_exec" "$(ratio "$berth_execsync" "$runc_exec")"
printf '%-34s %9.1f %12.2fx\n' "ctr tasks exec (containerd, runc)" "$ctr_exec" "$(ratio "$berth_execsync" "$ctr_exec")"
echo "  ratios compare ExecSync; crun/runc/ctr are each one command run (client start included)"
echo
echo "RunPodSandbox, median of $pod_runs (pod stopped and removed between runs, untimed)"
printf '  %-30s %8.1f ms\n' "host network" "$berth_pod_host"
printf '  %-30s %8.1f ms\n' "bridge network (berth0 conflist)" "$berth_pod_bridge"
printf '  %-30s %8.1f ms (%.0f%% of the bridge figure)\n' "of which CNI ADD (plugins)" "$berth_pod_cni" \
    "$(echo "100 * $berth_pod_cni / $berth_pod_bridge" | bc -l)"
echo
echo "memory"
printf '%-52s %10s %12s %10s\n' "" "berth" "containerd" "÷"
printf '%-52s %6s MiB %8s MiB %9.2fx\n' "PSS of one container's monitor (berth-shim / shim)" \
    "$(mib "$berth_monitor_pss")" "$(mib "$ctr_shim_pss")" "$(ratio "$berth_monitor_pss" "$ctr_shim_pss")"
printf '%-52s %6s MiB %8s MiB %9.2fx\n' "daemon RSS, $fill_count sleep containers running" \
    "$(mib "$berth_full")" "$(mib "$ctrd_full")" "$(ratio "$berth_full" "$ctrd_full")"
printf '%-52s %6s MiB %8s MiB %9.2fx\n' "PSS of their $fill_count monitors / shims, summed" \
    "$(mib "$berth_monitors_pss")" "$(mib "$ctr_shims_pss")" "$(ratio "$berth_monitors_pss" "$ctr_shims_pss")"
echo "  berth: one pod holding the $fill_count containers; containerd: $fill_count \`ctr run -d\` containers"
echo
echo "$pod_count pods started at once (RunPodSandbox + CreateContainer + StartContainer of sleep each, a thread per pod):"
echo "  berth: wall $berth_pods_wall ms, per pod median $berth_pods_median ms"
echo "guest boot" >&2
guest=$(scripts/bench-guest.sh)
guest_value() { awk -v prefix="$1" 'index($1, prefix) == 1 {print $2; exit}' <<<"$guest"; }
guest_accel=$(awk '{n = split($1, a, "_"); print a[n]; exit}' <<<"$guest")
guest_ready=$(guest_value guest_boot_berthd_ready)
guest_floor=$(guest_value guest_boot_trivial_init)
echo
echo "QEMU guest boot ($guest_accel), median of ${BENCH_GUEST_RUNS:-3}"
printf '  %-40s %6.2f s\n' "to a ready berthd" "$guest_ready"
printf '  %-40s %6.2f s (ready ÷ floor = %.2fx)\n' "floor: the same kernel, trivial /init" "$guest_floor" "$(ratio "$guest_ready" "$guest_floor")"
echo
echo "load average: $load_before at the start, $(cut -d' ' -f1 /proc/loadavg) at the end, on $(nproc) CPUs (other work on the host skews every figure)"
