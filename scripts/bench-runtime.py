#!/usr/bin/env python3
"""Runtime measurements for `make bench`, driven from one Python process so that no client
process start is counted.

  bench-runtime.py latency SOCKET IMAGE N       create+start+wait-for-exit+remove of /bin/true in
                                                one running pod, N times; prints the medians in ms
                                                of the whole, create, start, wait and remove
  bench-runtime.py concurrent SOCKET IMAGE N    N pods at once, each RunPodSandbox +
                                                CreateContainer + StartContainer of `sleep` in a
                                                thread of its own; prints "WALL_MS MEDIAN_MS"
  bench-runtime.py fill SOCKET IMAGE N          one pod with N running `sleep` containers;
                                                prints the monitor pid of each
  bench-runtime.py monitor SOCKET IMAGE         one pod with one running `sleep` container;
                                                prints its monitor (berth-shim) pid
  bench-runtime.py clean SOCKET                 stops and removes every pod (and so every container)
  bench-runtime.py pods SOCKET N host|pod       RunPodSandbox N times with host or pod network (each
                                                pod stopped and removed before the next); prints
                                                the median RunPodSandbox time in ms
  bench-runtime.py exec SOCKET IMAGE N          in one running `sleep` container: ExecSync of
                                                /bin/true and a streamed Exec of /bin/true (URL,
                                                WebSocket upgrade, until the exit status arrives),
                                                N times each; prints the two medians in ms
  bench-runtime.py time N CMD ARG...            runs CMD N+1 times (the first is a warm-up) and
                                                prints the median wall time in ms; "{i}" in an
                                                argument becomes the run number
"""
import base64
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

LOG_DIR = os.environ.get("BENCH_LOG_DIR")  # pods' log directories go below it


class UnixConnection(http.client.HTTPConnection):
    """HTTP/1.1 with keep-alive over berthd's Unix socket."""

    def __init__(self, path, timeout=120):
        super().__init__("berth", timeout=timeout)
        self.socket_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


class Client:
    def __init__(self, path):
        self.connection = UnixConnection(path)

    def call(self, method, body, service="RuntimeService"):
        data = json.dumps(body).encode()
        self.connection.request("POST", f"/runtime.v1.{service}/{method}", body=data,
                                headers={"Content-Type": "application/json"})
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"{method}: HTTP {response.status}: {payload.decode(errors='replace')}")
        return json.loads(payload) if payload.strip() else {}

    def run_pod(self, name):
        config = pod_config(name)
        return self.call("RunPodSandbox", {"config": config})["podSandboxId"], config

    def create(self, pod, pod_cfg, name, image, command):
        config = {"metadata": {"name": name}, "image": {"image": image}, "command": command,
                  "logPath": f"{name}.log", "linux": {}}
        return self.call("CreateContainer", {"podSandboxId": pod, "config": config,
                                             "sandboxConfig": pod_cfg})["containerId"]

    def start(self, container):
        self.call("StartContainer", {"containerId": container})

    def state(self, container):
        return self.call("ContainerStatus", {"containerId": container})["status"]

    def monitor_pid(self, container):
        reply = self.call("ContainerStatus", {"containerId": container, "verbose": True})
        return json.loads(reply["info"]["info"])["monitorPid"]


def pod_config(name, host_network=False):
    config = {"metadata": {"name": name, "namespace": "bench", "uid": f"uid-{name}"},
              "hostname": name, "linux": {}}
    if host_network:
        config["linux"] = {"securityContext": {"namespaceOptions": {"network": "NODE"}}}
    if LOG_DIR:
        config["logDirectory"] = f"{LOG_DIR}/{name}"
    return config


def ms(seconds):
    return seconds * 1000.0


def latency(client, image, runs):
    """Median total, create, start, wait-for-exit and remove times."""
    pod, cfg = client.run_pod("latency")
    phases = []
    for i in range(runs + 1):  # run 0 warms up caches and is not counted
        t0 = time.perf_counter()
        container = client.create(pod, cfg, f"true-{i}", image, ["/bin/true"])
        t1 = time.perf_counter()
        client.start(container)
        t2 = time.perf_counter()
        while True:
            status = client.state(container)
            if status["state"] == "CONTAINER_EXITED":
                break
            time.sleep(0.0005)
        t3 = time.perf_counter()
        client.call("RemoveContainer", {"containerId": container})
        t4 = time.perf_counter()
        if status.get("exitCode", 0) != 0:
            raise RuntimeError(f"/bin/true exited with {status.get('exitCode')}: {status.get('message', '')}")
        if i > 0:
            phases.append((t4 - t0, t1 - t0, t2 - t1, t3 - t2, t4 - t3))
    return [statistics.median(column) for column in zip(*phases)]


def concurrent(path, image, count):
    barrier = threading.Barrier(count + 1)
    results = [None] * count
    errors = []

    def one(index):
        client = Client(path)
        client.call("Version", {})  # connect before the clock starts
        barrier.wait()
        try:
            started = time.perf_counter()
            pod, cfg = client.run_pod(f"par-{index}")
            container = client.create(pod, cfg, "sleep", image, ["sleep", "3600"])
            client.start(container)
            results[index] = time.perf_counter() - started
        except Exception as error:  # reported after all threads end
            errors.append(error)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return wall, statistics.median(results)


def pod_latency(client, runs, host_network):
    """Median RunPodSandbox time; each pod is stopped and removed (untimed) before the next."""
    times = []
    for i in range(runs + 1):  # run 0 warms up and is not counted
        config = pod_config(f"pod-{'host' if host_network else 'net'}-{i}", host_network)
        started = time.perf_counter()
        pod = client.call("RunPodSandbox", {"config": config})["podSandboxId"]
        elapsed = time.perf_counter() - started
        client.call("StopPodSandbox", {"podSandboxId": pod})
        client.call("RemovePodSandbox", {"podSandboxId": pod})
        if i > 0:
            times.append(elapsed)
    return statistics.median(times)


class WebSocket:
    """Just enough of a WebSocket client (RFC 6455) over berthd's Unix socket to run one
    streamed exec: the upgrade, then frames read until the status channel (3) speaks."""

    def __init__(self, socket_path, path, protocol="v5.channel.k8s.io"):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(socket_path)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: berth\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"upgrade of {path} refused: {head.decode(errors='replace')}")

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RuntimeError("stream closed before the exit status")
        self.buffer += chunk

    def take(self, count):
        while len(self.buffer) < count:
            self.fill()
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def frame(self):
        first, second = self.take(2)
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(self.take(2), "big")
        elif length == 127:
            length = int.from_bytes(self.take(8), "big")
        return first & 0x0F, self.take(length)

    def status(self):
        """Payload of the first status-channel message."""
        while True:
            opcode, payload = self.frame()
            if opcode == 0x8:
                raise RuntimeError("stream closed before the exit status")
            if opcode == 0x2 and payload[:1] == b"\x03":
                return json.loads(payload[1:])

    def close(self):
        try:  # berthd may already have closed its side after the status
            self.sock.sendall(bytes([0x88, 0x80]) + os.urandom(4))
        except OSError:
            pass
        self.sock.close()


def exec_latency(client, path, image, runs):
    """Median ExecSync and streamed Exec round trips of /bin/true in one running container."""
    pod, cfg = client.run_pod("exec")
    container = client.create(pod, cfg, "sleep", image, ["sleep", "3600"])
    client.start(container)
    sync, streamed = [], []
    for i in range(runs + 1):  # run 0 warms up and is not counted
        started = time.perf_counter()
        reply = client.call("ExecSync", {"containerId": container, "cmd": ["/bin/true"], "timeout": 10})
        elapsed = time.perf_counter() - started
        if reply.get("exitCode", 0) != 0:
            raise RuntimeError(f"ExecSync /bin/true: exit {reply.get('exitCode')}")
        if i > 0:
            sync.append(elapsed)
    for i in range(runs + 1):
        started = time.perf_counter()
        url = client.call("Exec", {"containerId": container, "cmd": ["/bin/true"],
                                   "stdout": True, "stderr": True})["url"]
        stream = WebSocket(path, "/" + url.split("://", 1)[1].split("/", 1)[1])
        status = stream.status()
        elapsed = time.perf_counter() - started
        stream.close()
        if status.get("status") != "Success":
            raise RuntimeError(f"streamed exec of /bin/true: {status}")
        if i > 0:
            streamed.append(elapsed)
    return statistics.median(sync), statistics.median(streamed)


def fill(client, image, count, name="fill"):
    pod, cfg = client.run_pod(name)
    containers = []
    for i in range(count):
        container = client.create(pod, cfg, f"sleep-{i}", image, ["sleep", "3600"])
        client.start(container)
        containers.append(container)
    return [client.monitor_pid(c) for c in containers]


def clean(client):
    pods = client.call("ListPodSandbox", {}).get("items", [])
    for pod in pods:
        client.call("StopPodSandbox", {"podSandboxId": pod["id"]})
        client.call("RemovePodSandbox", {"podSandboxId": pod["id"]})
    return len(pods)


def time_command(runs, argv):
    times = []
    for i in range(runs + 1):
        args = [a.replace("{i}", str(i)) for a in argv]
        started = time.perf_counter()
        done = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: exit {done.returncode}: {done.stderr.decode(errors='replace')}")
        if i > 0:
            times.append(elapsed)
    return statistics.median(times)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    command = argv[1]
    if command == "time":
        print(f"{ms(time_command(int(argv[2]), argv[3:])):.2f}")
        return
    path = argv[2]
    client = Client(path)
    if command == "clean":
        print(clean(client))
        return
    if command == "pods":
        print(f"{ms(pod_latency(client, int(argv[3]), argv[4] == 'host')):.2f}")
        return
    image = argv[3]
    if command == "latency":
        print(" ".join(f"{ms(t):.2f}" for t in latency(client, image, int(argv[4]))))
    elif command == "concurrent":
        wall, median = concurrent(path, image, int(argv[4]))
        print(f"{ms(wall):.1f} {ms(median):.1f}")
    elif command == "exec":
        print(" ".join(f"{ms(t):.2f}" for t in exec_latency(client, path, image, int(argv[4]))))
    elif command == "fill":
        print(" ".join(str(p) for p in fill(client, image, int(argv[4]))))
    elif command == "monitor":
        print(fill(client, image, 1, "monitor")[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
