/// The shell the guest runs (busybox sh): the initramfs `/init` that brings up the root file
/// system, and the agent that answers the host on the control channel.
public enum GuestScripts {
    /// What the trivial guest prints on its serial console once its `/init` runs.
    public static let probeMarker = "BERTH-GUEST-PROBE-OK"

    /// The trivial guest's `/init`: proof that the kernel booted to user space, then power off.
    public static let probeInit = """
        #!/bin/busybox sh
        /bin/busybox echo \(probeMarker)
        /bin/busybox poweroff -f

        """

    /// Where the agent lives on the system disk.
    public static let agentPath = "/berth/agent.sh"
    /// The name of the control port, as the host's `virtserialport` device names it.
    public static let controlPortName = "berth.control"

    /// The initramfs `/init`: load the modules (listed in `/modules/order`, dependencies
    /// first), mount the read-only system disk under a tmpfs overlay and switch to it, so the
    /// root is a real mount (pivot_root refuses the initramfs) and is writable.
    public static let stageOneInit = """
        #!/bin/busybox sh
        /bin/busybox --install -s /bin
        export PATH=/bin
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        while read -r module; do
            insmod "/modules/$module" || echo "berth-guest: insmod $module failed"
        done </modules/order
        tries=0
        while [ ! -b /dev/vda ] && [ $tries -lt 200 ]; do sleep 0.05; tries=$((tries + 1)); done
        fail() { echo "berth-guest: $*"; poweroff -f; }
        [ -b /dev/vda ] || fail "no system disk /dev/vda"
        mkdir -p /system /overlay /root
        mount -t erofs -o ro /dev/vda /system || fail "mount the system disk"
        mount -t tmpfs -o mode=0755 overlay /overlay
        mkdir -p /overlay/upper /overlay/work
        mount -t overlay -o lowerdir=/system,upperdir=/overlay/upper,workdir=/overlay/work root /root || fail "mount the root overlay"
        for fs in proc sys dev; do mkdir -p "/root/$fs"; mount --move "/$fs" "/root/$fs"; done
        exec switch_root /root \(agentPath)

        """

    /// The agent: finish the system (cgroup v2 alone with every controller enabled, tmpfs
    /// scratch space, loopback), say READY on the control port, then run what the host asks.
    ///
    /// Control frames are lines, `KIND payload`: the host sends `RUN <shell command>` and
    /// `POWEROFF`; the agent answers `READY <uptime>`, then per command `OUT <line>` for each
    /// line of output (stdout and stderr together) and `EXIT <status>`.
    public static let agent = """
        #!/bin/sh
        export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
        /bin/busybox --install -s /bin 2>/dev/null
        mkdir -p /sys/fs/cgroup /tmp /run /dev/pts /dev/shm /dev/hugepages /var/lib /root
        mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
        for controller in cpu memory pids cpuset hugetlb io; do
            echo "+$controller" >/sys/fs/cgroup/cgroup.subtree_control || echo "berth-guest: cgroup controller $controller unavailable"
        done
        mount -t tmpfs -o mode=1777 tmpfs /tmp
        mount -t tmpfs -o mode=0755 tmpfs /run
        mount -t tmpfs -o mode=0755 tmpfs /var/lib
        mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
        mount -t tmpfs -o mode=1777 tmpfs /dev/shm
        mount -t hugetlbfs hugetlbfs /dev/hugepages
        [ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
        [ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
        ip link set lo up
        hostname berth-guest
        port=""
        for entry in /sys/class/virtio-ports/*; do
            [ "$(cat "$entry/name" 2>/dev/null)" = "\(controlPortName)" ] && port=/dev/${entry##*/}
        done
        [ -n "$port" ] || { echo "berth-guest: no control port \(controlPortName)"; poweroff -f; }
        exec 3<>"$port"
        run() {
            { sh -c "$1" 2>&1 </dev/null; echo "$?" >/run/berth-status; } | while IFS= read -r out || [ -n "$out" ]; do
                printf 'OUT %s\\n' "$out"
            done >&3
            echo "EXIT $(cat /run/berth-status)" >&3
        }
        echo "READY $(cut -d' ' -f1 /proc/uptime)" >&3
        while IFS= read -r line <&3; do
            case "$line" in
                "RUN "*) run "${line#RUN }" ;;
                POWEROFF) break ;;
                *) echo "berth-guest: unknown control frame: $line" ;;
            esac
        done
        sync
        poweroff -f

        """
}
