#!/bin/sh
# Inside the test guest: a local registry holding the test images, berthd, then the
# conformance checks matching FOCUS. Prints the harness's lines; exits with its status.
#
#   conformance.sh FOCUS IMAGES     (IMAGES: comma-separated layouts under /berth/testimages)
set -eu
focus=$1
images=$2
port=5000
work=/tmp/berth
mkdir -p "$work/registry"

# The layouts are on the read-only system disk; pushing writes next to them.
cp -a /berth/testimages "$work/images"

cat >"$work/registry/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/registry/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$work/registry/config.yml" </dev/null >"$work/registry/log" 2>&1 &
tries=0
until wget -q -O /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null; do
    tries=$((tries + 1))
    [ $tries -lt 200 ] || { echo "registry did not answer; its log:"; tail -n 20 "$work/registry/log"; exit 1; }
    sleep 0.1
done
berth-testimages push --from "$work/images" --registry "127.0.0.1:$port" --only "$images" >"$work/push.log" 2>&1 \
    || { echo "push failed:"; tail -n 20 "$work/push.log"; exit 1; }

sh /berth/scripts/start-berthd.sh "$port"
echo "controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control); hugepages: $(cat /proc/sys/vm/nr_hugepages)"

status=0
berth-conformance --socket /run/berth/berth.sock --registry "127.0.0.1:$port" --focus "$focus" || status=$?
if [ $status -ne 0 ] && [ -s "$work/berthd.log" ]; then
    echo "berthd log (last lines):"
    tail -n 30 "$work/berthd.log"
fi
kill "$(cat "$work/berthd.pid")" 2>/dev/null || true
exit $status
