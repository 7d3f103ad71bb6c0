#!/usr/bin/env bash
# The QEMU guest's boot time (the median of BENCH_GUEST_RUNS boots) to a ready berthd, next to
# the floor: the same kernel booting a trivial /init. Prints `name value unit` lines; the names
# end in the accelerator the KVM probe chose (kvm or tcg).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${BENCH_GUEST_RUNS:-3}
# The guest boots the release programs, as a node would run them; berth-guest itself (which
# only builds the disk and drives QEMU) is the debug build.
release_flags=(-c release --static-swift-stdlib)
for product in berthd berthctl berth-conformance berth-testimages; do
    swift build "${release_flags[@]}" --product "$product" >/dev/null
done
release=$(swift build "${release_flags[@]}" --show-bin-path)
install -m 0755 .build/berth-shim "$release/berth-shim"
swift build --product berth-guest >/dev/null
"$(swift build --show-bin-path)/berth-guest" bench --bin "$release" --runs "$runs" --add scripts/guest:/berth/scripts
