#!/usr/bin/env bash
# The QEMU guest's boot time (the median of BENCH_GUEST_RUNS boots) to a ready berthd, next to
# the floor: the same kernel booting a trivial /init. Prints `name value unit` lines; the names
# end in the accelerator the KVM probe chose (kvm or tcg).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${BENCH_GUEST_RUNS:-3}
swift build >/dev/null
bin=$(swift build --show-bin-path)
[ -x "$bin/berth-shim" ] || install -m 0755 .build/berth-shim "$bin/berth-shim"
"$bin/berth-guest" bench --runs "$runs" --add scripts/guest:/berth/scripts
