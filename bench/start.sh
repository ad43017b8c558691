#!/usr/bin/env bash
# bench/start.sh: how fast `srebot serve` becomes healthy, and what it holds idle.
#
#   bash bench/start.sh [BUILD_DIR]      (default build/release; builds srebot there)
#
# For an empty data directory (first start: migrations, policy seeding) and then
# for the same, warm directory (a restart), SREBOT_START_RUNS times (default 5)
# each: exec `srebot serve`, poll GET /healthz every millisecond until it answers
# 200 (the time from just before exec to that answer is "healthy"; with it the
# CPU time the process had used by then, from /proc/PID/task/*/schedstat, which
# the load of a shared machine does not inflate as much), let it idle
# SREBOT_IDLE_SECONDS (default 3), read /proc/PID/status (VmRSS, RssAnon,
# RssFile, Threads), stop it with SIGTERM. Reports the median of each figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${SREBOT_BENCH_BUILD:-$root/build/release}}
runs=${SREBOT_START_RUNS:-5}
idle=${SREBOT_IDLE_SECONDS:-3}
if [ -z "${SREBOT_BENCH_NOBUILD:-}" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target srebot >/dev/null
fi
work=$(mktemp -d /tmp/srebot-bench-start.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; median of $runs runs, ${idle}s idle"
python3 - "$build/srebot" "$work" "$runs" "$idle" <<'PY'
import os, signal, socket, statistics, subprocess, sys, time
binary, work, runs, idle = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def healthy(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as c:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return c.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False

def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile", "Threads"):
                out[k] = int(v.split()[0])
    return out

def cpu_ms(pid):
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total / 1e6

def one(datadir):
    port = free_port()
    env = dict(os.environ, IF_SRE_DATA_DIR=datadir, IF_SRE_LISTEN=f"127.0.0.1:{port}",
               IF_SRE_ADMIN_TOKEN="bench-token-0123456789abcdef0123456789", IF_SRE_LOG_LEVEL="warn")
    t0 = time.monotonic()
    p = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(work, "log"), "ab"))
    while not healthy(port):
        if p.poll() is not None:
            sys.exit("srebot exited: see " + os.path.join(work, "log"))
        if time.monotonic() - t0 > 10:
            sys.exit("srebot not healthy within 10 s")
        time.sleep(0.001)
    ms = (time.monotonic() - t0) * 1000
    cpu = cpu_ms(p.pid)
    time.sleep(idle)
    st = status(p.pid)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=10)
    st["cpu_ms"] = cpu
    return ms, st

def report(name, rows):
    med = lambda xs: statistics.median(xs)
    ms = [r[0] for r in rows]
    print(f"{name:<15} healthy {med(ms):6.1f} ms (min {min(ms):5.1f}, max {max(ms):6.1f}), "
          f"CPU by then {med([r[1]['cpu_ms'] for r in rows]):5.1f} ms   "
          f"idle VmRSS {med([r[1]['VmRSS'] for r in rows]) / 1024:5.1f} MB  "
          f"RssAnon {med([r[1]['RssAnon'] for r in rows]) / 1024:4.1f} MB  "
          f"RssFile {med([r[1]['RssFile'] for r in rows]) / 1024:4.1f} MB  "
          f"threads {med([r[1]['Threads'] for r in rows]):.0f}")

empty, warm = [], []
for i in range(runs):
    d = os.path.join(work, f"data-{i}")
    os.mkdir(d)
    empty.append(one(d))  # first start: migrations and seeding
    warm.append(one(d))   # a restart on the same directory
report("empty data dir", empty)
report("warm data dir", warm)
PY
