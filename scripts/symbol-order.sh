#!/bin/bash
# Writes Sources/berthd/berthd.order: the functions of berthd that its start-up and a node
# agent's steady polling execute, which the linker lays out next to each other (Package.swift,
# berthdLinkFlags). Page faults on code map 64 KiB around the faulting page, so code that runs
# together should sit together: with this layout an idle berthd holds a few MiB of its code
# resident instead of 10.
#
# It runs a release berthd under valgrind's callgrind, which records every function executed:
# start-up, then the calls a kubelet makes over and over (version, status, the pod, container,
# image and stats lists, image filesystem info). Run it after changes that move much code
# (new dependencies, a new compiler); a stale file costs memory, never correctness.
#
#   scripts/symbol-order.sh            # as root; installs valgrind if missing
set -euo pipefail
cd "$(dirname "$0")/.."
out=Sources/berthd/berthd.order

scripts/install-debs.sh valgrind
make release >/dev/null
release=$(swift build -c release --show-bin-path)

work=$(mktemp -d /tmp/berth-order.XXXXXX)
valgrind_pid=
cleanup() {
    [ -n "$valgrind_pid" ] && kill "$valgrind_pid" 2>/dev/null && wait "$valgrind_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# valgrind cannot read the DWARF 5 the compiler writes; the symbol table is all it needs.
objcopy --strip-debug "$release/berthd" "$work/berthd"
cat > "$work/berth.toml" <<TOML
root = "$work/root"
state = "$work/run"
log_level = "warning"
[api]
socket = "$work/berth.sock"
[runtime]
cgroup_root = "berth-order-$$"
TOML

valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/callgrind.out" \
    "$work/berthd" --config "$work/berth.toml" 2>"$work/valgrind.log" &
valgrind_pid=$!
for _ in $(seq 1200); do [ -S "$work/berth.sock" ] && break; sleep 0.1; done
[ -S "$work/berth.sock" ] || { tail -n 20 "$work/valgrind.log" >&2; exit 1; }

berthctl=("$release/berthctl" --socket "$work/berth.sock" --timeout 2m)
for _ in 1 2; do
    for verb in version info images pods ps imagefsinfo stats statsp; do "${berthctl[@]}" "$verb" >/dev/null; done
done
kill -TERM "$valgrind_pid"
wait "$valgrind_pid" || { tail -n 20 "$work/valgrind.log" >&2; exit 1; }
valgrind_pid=

# callgrind names each function once, `fn=(id) name`, and later by id alone; `ob=` says whose
# code it is. Keep berthd's own functions, without callgrind's recursion suffix (`'2`) and the
# unnamed ones it prints as addresses. Sorted, so a regenerated file diffs by what changed.
awk '
    /^c?ob=\(/ { id = $1; sub(/^c?ob=/, "", id); if (NF > 1) object[id] = $2; if ($1 ~ /^ob=/) current = object[id] }
    /^fn=\(/ {
        id = $1; sub(/^fn=/, "", id)
        if (NF > 1) { name = $2; sub(/'"'"'[0-9]+$/, "", name); function_name[id] = name }
        if (current ~ /\/berthd$/ && function_name[id] !~ /^0x/) print function_name[id]
    }
    /^cfn=\(/ { id = $1; sub(/^cfn=/, "", id); if (NF > 1) { name = $2; sub(/'"'"'[0-9]+$/, "", name); function_name[id] = name } }
' "$work/callgrind.out" | LC_ALL=C sort -u > "$work/order"
[ -s "$work/order" ] || { echo "symbol-order: callgrind recorded no berthd functions" >&2; exit 1; }
mv "$work/order" "$out"
echo "symbol-order: $(wc -l < "$out") functions in $out"
