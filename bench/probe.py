#!/usr/bin/env python3
"""Small measurements for bench/run.sh that wrk cannot take.

  probe.py start LOG PORT CMD...   launch CMD (stdout/stderr → LOG), poll GET /api/v1/sqlite/health
                                   until 200; prints "PID MILLISECONDS" (time from exec to first 200)
  probe.py rss PID                 resident set size of PID in KiB
  probe.py conns PID PORT N        open N keep-alive connections, one GET /health each, keep them
                                   idle and print the RSS of PID in KiB while they are open
  probe.py http METHOD URL [BODY]  one request; prints status and body, exits 1 unless 2xx
"""
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HEALTH = b"GET /api/v1/sqlite/health HTTP/1.1\r\nHost: localhost\r\n\r\n"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def read_response(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(head.split(b" ")[1]), body


def start(log, port, cmd):
    out = open(log, "wb")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = t0 + 10
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode}; see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(HEALTH)
                status, _ = read_response(s)
                if status == 200:
                    print(proc.pid, f"{(time.perf_counter() - t0) * 1000:.1f}")
                    return
        except OSError:
            pass
        time.sleep(0.0005)
    sys.exit("server did not answer /health within 10 s")


def conns(pid, port, n):
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(HEALTH)
        socks.append(s)
    for s in socks:
        status, _ = read_response(s)
        if status != 200:
            sys.exit(f"health answered {status}")
    time.sleep(0.5)
    print(rss_kib(pid))
    for s in socks:
        s.close()


def http(method, url, body=None):
    req = urllib.request.Request(url, method=method, data=body.encode() if body else None,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            print(r.status, r.read().decode()[:300])
    except urllib.error.HTTPError as e:
        print(e.code, e.read().decode()[:300])
        sys.exit(1)


def main():
    cmd = sys.argv[1]
    if cmd == "start":
        start(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    elif cmd == "rss":
        print(rss_kib(int(sys.argv[2])))
    elif cmd == "conns":
        conns(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "http":
        http(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
