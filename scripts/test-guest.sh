#!/usr/bin/env bash
# `make test-guest`: the resource checks, which this host's cgroup v2 tree cannot support, run
# inside a QEMU guest with cgroup v2 mounted alone. The guest holds its own registry with the
# test images and its own berthd; the harness's pass / fail / skip lines come back over the
# guest's control channel. Exits non-zero when a check fails or any step misses its deadline.
set -euo pipefail
cd "$(dirname "$0")/.."

# The checks that run in the guest: one regular expression each, anchored at the name's start.
checks=(
    'containers/ContainerStats'
    'containers/ListContainerStats'
    'containers/PodSandboxStats'
    'resources/'
)
# The test images those checks pull.
images=probe,busybox

focus="^($(IFS='|'; echo "${checks[*]}"))"
bin=$(swift build --show-bin-path)
"$bin/berth-testimages" build --out .build/testimages >/dev/null

echo "== guest: ${#checks[@]} check patterns (serial console in .build/guest/serial.log)"
start=$(date +%s)
status=0
"$bin/berth-guest" run --testimages .build/testimages --images "$images" --add scripts/guest:/berth/scripts \
    --serial-log .build/guest/serial.log --boot-timeout 240 --timeout 1200 \
    -- sh /berth/scripts/conformance.sh "$focus" "$images" || status=$?
echo "== guest: exit status $status after $(( $(date +%s) - start ))s"
exit $status
