#!/bin/sh
# Runs a throwaway local registry (Debian's docker-registry, distribution 2.8) for the
# conformance images: plain HTTP on 127.0.0.1 only, deletes enabled, all state under DIR.
#
#   registry.sh start|stop|status DIR [PORT]     (PORT defaults to 5000)
#
# Every command is idempotent and bounded in time; none waits for more than ~10 seconds.
set -eu

usage() {
    echo "usage: $0 start|stop|status DIR [PORT]" >&2
    exit 2
}

[ $# -ge 2 ] || usage
command=$1
dir=$2
port=${3:-5000}
case $port in '' | *[!0-9]*) echo "registry.sh: invalid port \"$port\"" >&2; exit 2 ;; esac

registry=/usr/bin/docker-registry
pidfile=$dir/registry.pid
logfile=$dir/registry.log
config=$dir/config.yml
url=http://127.0.0.1:$port/v2/

# The pid in the pid file, if that process is still a docker-registry (pids get reused).
running_pid() {
    [ -f "$pidfile" ] || return 1
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    case $pid in '' | *[!0-9]*) return 1 ;; esac
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "docker-registry serve" || return 1
    echo "$pid"
}

answers() {
    curl -fsS --max-time 1 -o /dev/null "$url" 2>/dev/null
}

write_config() {
    mkdir -p "$dir/storage"
    cat >"$config" <<YAML
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$port
  headers:
    X-Content-Type-Options: [nosniff]
YAML
}

start() {
    if pid=$(running_pid); then
        if answers; then
            echo "registry already running on 127.0.0.1:$port (pid $pid)"
            return 0
        fi
        echo "registry.sh: pid $pid is running but $url does not answer; see $logfile" >&2
        return 1
    fi
    [ -x "$registry" ] || { echo "registry.sh: $registry not found (apt-get install docker-registry)" >&2; return 1; }
    if answers; then
        echo "registry.sh: something else already answers on $url" >&2
        return 1
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    pidfile=$dir/registry.pid logfile=$dir/registry.log config=$dir/config.yml
    write_config
    # setsid: the registry must not die with the shell that started it.
    setsid "$registry" serve "$config" </dev/null >>"$logfile" 2>&1 &
    echo $! >"$pidfile"
    tries=0
    while [ $tries -lt 100 ]; do
        if answers; then
            echo "registry running on 127.0.0.1:$port (pid $(cat "$pidfile")), storage $dir/storage"
            return 0
        fi
        # Our own child, so its pid cannot have been reused yet; its cmdline may still be
        # this shell's until the exec, which running_pid would take for an exit.
        if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            echo "registry.sh: docker-registry exited during start; last log lines:" >&2
            tail -n 5 "$logfile" >&2
            rm -f "$pidfile"
            return 1
        fi
        sleep 0.1
        tries=$((tries + 1))
    done
    echo "registry.sh: $url did not answer within 10 seconds; stopping it (see $logfile)" >&2
    stop >/dev/null
    return 1
}

stop() {
    if ! pid=$(running_pid); then
        rm -f "$pidfile"
        echo "registry not running"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    tries=0
    while [ $tries -lt 50 ] && kill -0 "$pid" 2>/dev/null; do
        sleep 0.1
        tries=$((tries + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
    fi
    rm -f "$pidfile"
    echo "registry stopped (pid $pid)"
}

status() {
    if pid=$(running_pid) && answers; then
        echo "registry running on 127.0.0.1:$port (pid $pid)"
        return 0
    fi
    echo "registry not running"
    return 3
}

case $command in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) usage ;;
esac
