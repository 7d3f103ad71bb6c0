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
  bench-runtime.py time N CMD ARG...            runs CMD N+1 times (the first is a warm-up) and
                                                prints the median wall time in ms; "{i}" in an
                                                argument becomes the run number
"""
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


def pod_config(name):
    config = {"metadata": {"name": name, "namespace": "bench", "uid": f"uid-{name}"},
              "hostname": name, "linux": {}}
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
    image = argv[3]
    if command == "latency":
        print(" ".join(f"{ms(t):.2f}" for t in latency(client, image, int(argv[4]))))
    elif command == "concurrent":
        wall, median = concurrent(path, image, int(argv[4]))
        print(f"{ms(wall):.1f} {ms(median):.1f}")
    elif command == "fill":
        print(" ".join(str(p) for p in fill(client, image, int(argv[4]))))
    elif command == "monitor":
        print(fill(client, image, 1, "monitor")[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
