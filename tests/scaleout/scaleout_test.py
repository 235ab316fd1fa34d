#!/usr/bin/env python3
"""tests/scaleout/scaleout_test.py — deploy/haproxy and deploy/litestream, end to end, on loopback.

Contract (run through tests/scaleout/run.sh, which installs the tools and sets the env):
  A. sharding: 3 hoody-sqlite nodes behind HAProxy with deploy/haproxy/haproxy.cfg and a
     tenant→shard map. Every request of a tenant lands on its node (its file appears in that
     node's data dir only); an unmapped tenant, a percent-encoded `d%62=` and a repeated `db`
     are refused by HAProxy; kill -9 of one node: its tenants get 503, the others 200, and no
     database file appears on another node.
  B. replication: one node under deploy/litestream/run.sh (litestream replicate -exec, the
     server in --checkpoint-mode external), a
     writer that logs every acknowledged PUT /kv/kN with its time. kill -9 of the whole process
     group (Litestream and the server at once) at a random moment, `litestream restore` into an
     empty dir, `PRAGMA integrity_check`, a new node serves it: every lost acknowledged write was
     acknowledged within sync-interval + 0.5 s before the kill. Then a planned SIGTERM under
     write load: none lost; the time SIGTERM takes is printed. deploy/litestream/gen-config.sh
     writes a config Litestream reads, with one entry per database of a data dir. A
     --read-only replica serves `litestream restore -o tmp && mv` copies of a live primary: it
     answers writes 403 READ_ONLY_REPLICA, serves the next restore within 1.5 s of its rename
     and creates no file.
  C. failover: one etcd on loopback, deploy/etcd/supervisor.sh on "machines" a and b (each
     reaches etcd through a socat relay), a writer per node logging every 200 with its send and
     ack times. kill -9 of every process of a: b acknowledges a write within 10 s, with every
     write a acknowledged > 1.5 s before the crash; then a restarts as standby, b's relay is
     killed (partition): b stops acknowledging within 4.5 s, a takes over, and no write is
     answered 200 by both at once (b's last ack precedes a's first send). ~25 s.
Env: HOODY_BIN; SCALEOUT_ETCD, SCALEOUT_ETCDCTL, SCALEOUT_SOCAT or SCALEOUT_ETCD_SKIP;
SCALEOUT_ONLY_C=1 runs part C alone; SCALEOUT_HAPROXY or SCALEOUT_HAPROXY_SKIP; SCALEOUT_LITESTREAM or
SCALEOUT_LITESTREAM_SKIP (a *_SKIP reason prints one SKIPPED line for that part, exit 0).
Exit 0 when every part that ran passed; 1 with the failed checks listed.
"""
import http.client
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HOODY_BIN = os.environ.get("HOODY_BIN", os.path.join(REPO, "build", "hoody-sqlite"))
SYNC_INTERVAL_S = 1.0  # deploy/litestream/litestream.yml
SERVER_ARGS = ["--host", "127.0.0.1", "--port", "0", "--access-log", "false",
               "--threads", "1", "--read-threads", "2", "--write-threads", "1"]
failures = []
started_groups = []  # Litestream process groups: killed at exit whatever happened
started_procs = []  # plain nodes and HAProxy: the same


def check(cond, what):
    print(("  ok   " if cond else "  FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, target, body=None, timeout=5.0):
    """(status, body bytes, headers dict); status 0 when the connection failed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, target, body=body)
        res = conn.getresponse()
        return res.status, res.read(), {k.lower(): v for k, v in res.getheaders()}
    except OSError:
        return 0, b"", {}
    finally:
        conn.close()


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def wait_port_file(path, timeout=10.0):
    wait_for(lambda: os.path.exists(path) and open(path).read().strip() != "", timeout, path)
    return int(open(path).read().strip())


def start_node(data_dir, log_path):
    os.makedirs(data_dir, exist_ok=True)
    port_file = os.path.join(data_dir, "..", os.path.basename(data_dir) + ".port")
    proc = subprocess.Popen([HOODY_BIN, *SERVER_ARGS, "--port-file", port_file,
                             "--data-dir", data_dir],
                            stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    started_procs.append(proc)
    return proc, wait_port_file(port_file)


def admin(sock_path, command):
    """One command on HAProxy's runtime API (the stats socket); returns its answer."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sock_path)
        s.sendall(command.encode() + b"\n")
        return b"".join(iter(lambda: s.recv(4096), b"")).decode()


def db_files(data_dir):
    return sorted(f for f in os.listdir(data_dir) if f.endswith(".db"))


# ---------------------------------------------------------------------------------------------
def part_a(tmp, haproxy):
    print("scaleout A: 3 nodes behind HAProxy (deploy/haproxy/haproxy.cfg, fail-closed map)")
    nodes, ports, dirs = [], [], []
    for i in range(1, 4):
        d = os.path.join(tmp, "a", f"n{i}")
        proc, port = start_node(d, os.path.join(tmp, "a", f"n{i}.log"))
        nodes.append(proc), ports.append(port), dirs.append(d)
    tenants = {f"tenant{i}": f"shard{i % 3 + 1}" for i in range(12)}
    map_path = os.path.join(tmp, "a", "tenants.map")
    with open(map_path, "w") as f:
        f.write("".join(f"{t} {s}\n" for t, s in tenants.items()))
    proxy_port = free_port()
    env = dict(os.environ, HOODY_PROXY_BIND=f"127.0.0.1:{proxy_port}", HOODY_TENANT_MAP=map_path,
               HOODY_HAPROXY_SOCK=os.path.join(tmp, "a", "admin.sock"),
               SHARD1_ADDR=f"127.0.0.1:{ports[0]}", SHARD2_ADDR=f"127.0.0.1:{ports[1]}",
               SHARD3_ADDR=f"127.0.0.1:{ports[2]}")
    proxy = subprocess.Popen([haproxy, "-db", "-f", os.path.join(REPO, "deploy/haproxy/haproxy.cfg")],
                             env=env, stdout=open(os.path.join(tmp, "a", "haproxy.log"), "w"),
                             stderr=subprocess.STDOUT)
    started_procs.append(proxy)
    try:
        wait_for(lambda: request(proxy_port, "GET", "/api/v1/sqlite/health")[0] == 200, 10,
                 "HAProxy")
        shard_dir = {f"shard{i + 1}": dirs[i] for i in range(3)}
        api = "/api/v1/sqlite"
        # Stickiness: every request of a tenant (PUT with create, GET, SQL, path= alias, an
        # encoded value) is served by its shard, and its file exists on that node only.
        bad = 0
        for t, shard in tenants.items():
            enc = "".join(f"%{ord(c):02x}" for c in t)
            for method, target, body in [
                    ("PUT", f"{api}/kv/a?db={t}&create_db_if_missing=true", b'"1"'),
                    ("PUT", f"{api}/kv/b?path={t}", b'"2"'), ("GET", f"{api}/kv/a?db={t}", None),
                    ("GET", f"{api}/kv/b?x=1&db={enc}", None),
                    ("POST", f"{api}/db?db={t}", b'{"transaction":[{"query":"SELECT 1"}]}')]:
                status, _, hdr = request(proxy_port, method, target, body)
                if status != 200 or hdr.get("x-hoody-shard") != shard:
                    bad += 1
                    print(f"    {method} {target} -> {status} {hdr.get('x-hoody-shard')}")
        check(bad == 0, f"{len(tenants) * 5} requests of {len(tenants)} tenants: each on its shard")
        placed = all(db_files(d) == sorted(t + ".db" for t, s in tenants.items() if s == sh)
                     for sh, d in shard_dir.items())
        check(placed, "each tenant's file exists only on its own node: "
              + ", ".join(f"{sh}={len(db_files(d))}" for sh, d in shard_dir.items()))
        # Refusals: decided by HAProxy itself (no X-Hoody-Shard header: no node saw them).
        for target, want, what in [
                (f"{api}/kv/a?db=stranger&create_db_if_missing=true", 404, "unmapped tenant"),
                # the server reads db=tenant0 here, a naive proxy path=tenant1 (another shard)
                (f"{api}/kv/a?path=tenant1&d%62=tenant0&create_db_if_missing=true", 400,
                 "percent-encoded d%62= next to path="),
                (f"{api}/kv/a?d%62=tenant0", 400, "percent-encoded d%62="),
                (f"{api}/kv/a?db=tenant0&db=tenant1", 400, "repeated db"),
                (f"{api}/kv/a?path=tenant0&path=tenant1", 400, "repeated path"),
                (f"{api}/kv/a?db=tenant0;x", 400, "';' in db"),
                (f"{api}/kv/a?db=", 400, "empty db"), (f"{api}/kv/a", 400, "no db")]:
            status, body, hdr = request(proxy_port, "PUT", target, b'"x"')
            check(status == want and "x-hoody-shard" not in hdr,
                  f"{what}: {status} from HAProxy ({body[:60].decode(errors='replace')})")
        status, _, hdr = request(proxy_port, "GET", "/")
        check(status == 200 and hdr.get("x-hoody-shard") == "shard1-a",
              "UI / (db-less) → the first live node")
        # The runtime API (docs/scale-out.md, add and move a tenant): `add map` routes a new
        # tenant without a reload; `set map` to a value naming no backend stops it with 503.
        sock = env["HOODY_HAPROXY_SOCK"]
        admin(sock, f"add map {map_path} newcomer shard3")
        status, _, hdr = request(proxy_port, "PUT", f"{api}/kv/a?db=newcomer&create_db_if_missing=true",
                                 b'"1"')
        check(status == 200 and hdr.get("x-hoody-shard") == "shard3"
              and "newcomer.db" in db_files(dirs[2]), "add map: a new tenant routes to its shard")
        admin(sock, f"set map {map_path} newcomer nowhere")
        status, _, hdr = request(proxy_port, "GET", f"{api}/kv/a?db=newcomer")
        check(status == 503 and "x-hoody-shard" not in hdr,
              f"set map to no backend: {status} from HAProxy (writes stopped for a move)")
        # Kill one node: its tenants 503 (at once and after the health check noticed), the
        # others 200, and no database file appears anywhere else.
        before = {d: db_files(d) for d in dirs}
        nodes[1].kill(), nodes[1].wait()
        dead = [t for t, s in tenants.items() if s == "shard2"]
        live = [t for t, s in tenants.items() if s != "shard2"]
        t0 = time.monotonic()
        results, slowest = [], 0.0
        while time.monotonic() - t0 < 2.5:
            for t in dead:
                t1 = time.monotonic()
                results.append(("dead", request(proxy_port, "PUT",
                                f"{api}/kv/c?db={t}&create_db_if_missing=true", b'"3"')[0]))
                slowest = max(slowest, time.monotonic() - t1)
            for t in live:
                results.append(("live", request(proxy_port, "GET", f"{api}/kv/a?db={t}")[0]))
        dead_codes = {c for k, c in results if k == "dead"}
        live_codes = {c for k, c in results if k == "live"}
        check(dead_codes == {503}, f"dead node's tenants: {sorted(dead_codes)} "
              f"({sum(1 for k, _ in results if k == 'dead')} requests over 2.5 s, the slowest "
              f"{slowest:.2f} s: retries until the health check marks the node down)")
        check(live_codes == {200}, f"other tenants: {sorted(live_codes)}")
        after = {d: db_files(d) for d in dirs}
        check(after == before, "no database file appeared on another node")
        status, _, hdr = request(proxy_port, "GET", "/api/v1/sqlite/health")
        check(status == 200, "health (db-less) still 200 via the proxy")
    finally:
        for p in [proxy, *nodes]:
            if p.poll() is None:
                p.terminate()
        for p in [proxy, *nodes]:
            p.wait()


# ---------------------------------------------------------------------------------------------
class Writer(threading.Thread):
    """Sequential PUT /kv/kN?db=app at most RATE a second; (N, ack time) logged after each 200.

    Paced like the study's writer (~300/s): flat out on 2 shared cores it starves Litestream,
    whose shipping then lags past the sync interval (measured once: 1.9 s)."""
    RATE = 500

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.acks, self.stop, self.sent = port, [], False, 0

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        n, start = 0, time.monotonic()
        while not self.stop:
            n += 1
            ahead = start + n / self.RATE - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
            self.sent = n
            try:
                conn.request("PUT", f"/api/v1/sqlite/kv/k{n}?db=app&create_db_if_missing=true",
                             body=b'"v"')
                res = conn.getresponse()
                res.read()
                if res.status == 200:
                    self.acks.append((n, time.time()))
            except OSError:
                return  # the server is gone


def start_replicated(tmp, name, litestream):
    base = os.path.join(tmp, "b", name)
    data, replica = os.path.join(base, "data"), os.path.join(base, "replica")
    port_file = os.path.join(base, "port")
    os.makedirs(base)
    env = dict(os.environ, LITESTREAM=litestream, HOODY_BIN=HOODY_BIN, HOODY_DATA_DIR=data,
               HOODY_REPLICA_DIR=replica, HOODY_DB="app")
    proc = subprocess.Popen(["bash", os.path.join(REPO, "deploy/litestream/run.sh"), *SERVER_ARGS,
                             "--port-file", port_file], env=env, start_new_session=True,
                            stdout=open(os.path.join(base, "litestream.log"), "w"),
                            stderr=subprocess.STDOUT)
    started_groups.append(proc)
    return proc, wait_port_file(port_file), base, replica


def restore_and_serve(tmp, base, replica, litestream):
    """Restores into an empty dir; returns (restored keys, integrity, restore s, served ok)."""
    out = os.path.join(base, "restored")
    os.makedirs(out)
    t0 = time.monotonic()
    r = subprocess.run([litestream, "restore", "-o", os.path.join(out, "app.db"),
                        "file://" + os.path.join(replica, "app")], capture_output=True, text=True)
    restore_s = time.monotonic() - t0
    if r.returncode != 0:
        print(r.stdout + r.stderr)
        return set(), "restore failed", restore_s, False
    with sqlite3.connect(f"file:{out}/app.db?mode=ro", uri=True) as c:
        integrity = c.execute("PRAGMA integrity_check").fetchone()[0]
        keys = {int(k[1:]) for (k,) in c.execute("SELECT key FROM kv_store")}
    proc, port = start_node(out, os.path.join(base, "restored.log"))
    try:
        last = max(keys) if keys else 0
        served = request(port, "GET", f"/api/v1/sqlite/kv/k{last}?db=app")[0] == 200
        served = served and request(port, "PUT", "/api/v1/sqlite/kv/after?db=app", b'"1"')[0] == 200
    finally:
        proc.terminate(), proc.wait()
    return keys, integrity, restore_s, served


def part_b(tmp, litestream):
    print("scaleout B: hoody-sqlite under Litestream (deploy/litestream/run.sh), kill -9 and SIGTERM")
    # 1. Machine loss: kill -9 of Litestream and the server at once, at a random moment.
    proc, port, base, replica = start_replicated(tmp, "crash", litestream)
    writer = Writer(port)
    writer.start()
    time.sleep(1.0)
    status, body, _ = request(port, "POST", "/api/v1/sqlite/maintenance?db=app",
                              b'{"op":"wal_checkpoint_truncate"}')
    check(status == 409 and b"CHECKPOINT_EXTERNAL" in body,
          f"run.sh runs the server in --checkpoint-mode external (maintenance checkpoint: {status})")
    time.sleep(random.uniform(1.5, 3.5))
    kill_at = time.time()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    writer.stop = True
    writer.join()
    keys, integrity, restore_s, served = restore_and_serve(tmp, base, replica, litestream)
    acked = {n for n, _ in writer.acks}
    lost = sorted(acked - keys)
    window = SYNC_INTERVAL_S + 0.5
    ack_time = dict(writer.acks)
    oldest_lost = max((kill_at - ack_time[n] for n in lost), default=0.0)
    print(f"    {len(acked)} writes acknowledged in {kill_at - writer.acks[0][1]:.1f} s, "
          f"{len(lost)} lost, the oldest lost acknowledged {oldest_lost:.2f} s before the kill; "
          f"restore {restore_s * 1000:.0f} ms")
    check(len(acked) > 100, f"the writer got acknowledgements ({len(acked)})")
    check(oldest_lost <= window, f"lost acknowledged writes ⊆ the last {window:.1f} s before kill -9")
    check(keys <= set(range(1, writer.sent + 1)), "nothing restored that was never sent")
    check(integrity == "ok", f"PRAGMA integrity_check of the restored file: {integrity}")
    check(served, "a new node serves the restored database (GET the last key, PUT)")

    # 2. Planned stop: SIGTERM to Litestream (it forwards it to the server, then syncs) while
    #    the writer keeps writing: no acknowledged write lost.
    proc, port, base, replica = start_replicated(tmp, "planned", litestream)
    writer = Writer(port)
    writer.start()
    time.sleep(2.0)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait()
    stop_s = time.monotonic() - t0
    writer.stop = True
    writer.join()
    keys, integrity, restore_s, served = restore_and_serve(tmp, base, replica, litestream)
    acked = {n for n, _ in writer.acks}
    lost = acked - keys
    print(f"    SIGTERM → Litestream and the server exited in {stop_s:.2f} s; "
          f"{len(acked)} acknowledged, {len(lost)} lost; restore {restore_s * 1000:.0f} ms")
    # Litestream 0.3.13 may exit 1 after its final sync when its own close-time RESTART
    # checkpoint is cancelled ("error closing db ... context canceled"): known, data complete.
    log = open(os.path.join(base, "litestream.log")).read()
    known = "error closing db" in log and "context canceled" in log
    check(proc.returncode == 0 or (proc.returncode == 1 and known),
          f"Litestream exit status after SIGTERM: {proc.returncode}"
          + (" (its known close-time checkpoint error after the final sync)" if known else ""))
    check(stop_s < 10.0, f"SIGTERM stop within 10 s (docker stop's grace): {stop_s:.2f} s")
    check(len(acked) > 100 and not lost, "planned SIGTERM: no acknowledged write lost")
    check(integrity == "ok", f"PRAGMA integrity_check of the restored file: {integrity}")
    check(served, "a new node serves the restored database")


def part_b_replica(tmp, litestream):
    """A --read-only replica on files refreshed by `litestream restore -o tmp && mv`."""
    print("scaleout B: a --read-only replica serving restores of a live primary")
    proc, port, base, replica = start_replicated(tmp, "reader", litestream)
    writer = Writer(port)
    writer.start()
    served_dir = os.path.join(base, "served")
    os.makedirs(served_dir)

    def restore_into_place():
        # Into a staging dir on the same file system (Litestream leaves its own *.tmp-wal and
        # *.tmp-shm there), then one rename over the served name.
        staging = os.path.join(base, "staging")
        shutil.rmtree(staging, ignore_errors=True)
        os.makedirs(staging)
        r = subprocess.run([litestream, "restore", "-o", os.path.join(staging, "app.db"),
                            "file://" + os.path.join(replica, "app")], capture_output=True,
                           text=True)
        if r.returncode != 0:
            print(r.stdout + r.stderr)
            return False
        os.rename(os.path.join(staging, "app.db"), os.path.join(served_dir, "app.db"))
        return True

    def newest_key(port):
        status, body, _ = request(port, "POST", "/api/v1/sqlite/db?db=app",
                                  b'{"transaction":[{"query":"SELECT count(*) AS n FROM kv_store"}]}')
        if status != 200:
            return -1
        return json.loads(body)["results"][0]["resultSet"][0]["n"]

    try:
        time.sleep(1.5)
        check(restore_into_place(), "litestream restore into the replica's directory")
        node = subprocess.Popen([HOODY_BIN, *SERVER_ARGS, "--read-only", "--port-file",
                                 os.path.join(base, "served.port"), "--data-dir", served_dir],
                                stdout=open(os.path.join(base, "served.log"), "w"),
                                stderr=subprocess.STDOUT)
        started_procs.append(node)
        rport = wait_port_file(os.path.join(base, "served.port"))
        first = newest_key(rport)
        check(first > 0, f"the replica serves the restored database ({first} keys)")
        status, body, _ = request(rport, "PUT", "/api/v1/sqlite/kv/x?db=app", b'"1"')
        check(status == 403 and b"READ_ONLY_REPLICA" in body,
              f"a write to the replica: 403 READ_ONLY_REPLICA ({status})")
        status, body, _ = request(rport, "GET", "/api/v1/sqlite/readyz")
        check(status == 200 and b'"replica"' in body, f"/readyz of the replica: {status} {body!r}")
        time.sleep(1.5)
        check(restore_into_place(), "a second restore renamed over the served file")
        t0 = time.monotonic()
        wait_for(lambda: newest_key(rport) > first, 5, "the replica serves the newer restore")
        seen_s = time.monotonic() - t0
        second = newest_key(rport)
        check(second > first and seen_s < 1.5,
              f"the replica serves the renamed restore after {seen_s * 1000:.0f} ms "
              f"({first} → {second} keys)")
        leftovers = sorted(set(os.listdir(served_dir)) - {"app.db"})
        check(not leftovers, f"the replica created no file ({leftovers})")
        node.terminate()
        node.wait()
    finally:
        writer.stop = True
        writer.join()
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()


def part_b_gen_config(tmp, litestream):
    """deploy/litestream/gen-config.sh: one entry per *.db of a data dir, a config Litestream reads."""
    data = os.path.join(tmp, "b", "gen", "data")
    os.makedirs(data)
    for name in ("alpha", "beta"):
        with sqlite3.connect(os.path.join(data, name + ".db")) as c:
            c.execute("PRAGMA journal_mode=WAL")
    cfg = os.path.join(tmp, "b", "gen", "litestream.yml")
    with open(cfg, "w") as f:
        subprocess.run(["bash", os.path.join(REPO, "deploy/litestream/gen-config.sh"), data,
                        os.path.join(tmp, "b", "gen", "replica")], stdout=f, check=True)
    listed = subprocess.run([litestream, "databases", "-config", cfg], capture_output=True,
                            text=True).stdout
    check(all(os.path.join(data, n + ".db") in listed for n in ("alpha", "beta")),
          "gen-config.sh: Litestream reads an entry for each database of the data dir")


# ---------------------------------------------------------------------------------------------
class NodeWriter(threading.Thread):
    """PUT /kv/<tag>N?db=app straight to one node's port, ~RATE/s; logs (N, sent, acked) per 200."""
    RATE = 100

    def __init__(self, port, tag):
        super().__init__(daemon=True)
        self.port, self.tag, self.acks, self.stop = port, tag, [], False

    def run(self):
        n = 0
        while not self.stop:
            n += 1
            t0 = time.time()
            status = request(self.port, "PUT", f"/api/v1/sqlite/kv/{self.tag}{n}?db=app"
                             "&create_db_if_missing=true", b'"v"', timeout=2)[0]
            if status == 200:
                self.acks.append((n, t0, time.time()))
            time.sleep(max(0.0, 1.0 / self.RATE - (time.time() - t0)))


def session_kill(pid):
    """kill -9 of every process in the session of pid (one 'machine')."""
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                fields = open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()
                if int(fields[3]) == pid:
                    os.kill(int(d), signal.SIGKILL)
            except (OSError, IndexError, ValueError):
                pass


def part_c(tmp, litestream, etcd, etcdctl, socat):
    print("scaleout C: failover on an etcd lease (deploy/etcd/supervisor.sh), crash and partition")
    base = os.path.join(tmp, "c")
    os.makedirs(base)
    cport, pport = free_port(), free_port()
    ep = f"127.0.0.1:{cport}"
    e = subprocess.Popen([etcd, "--name", "c", "--data-dir", os.path.join(base, "etcd"),
                          "--listen-client-urls", f"http://{ep}", "--advertise-client-urls",
                          f"http://{ep}", "--listen-peer-urls", f"http://127.0.0.1:{pport}",
                          "--initial-advertise-peer-urls", f"http://127.0.0.1:{pport}",
                          "--initial-cluster", f"c=http://127.0.0.1:{pport}"],
                         stdout=open(os.path.join(base, "etcd.log"), "w"), stderr=subprocess.STDOUT,
                         start_new_session=True)
    started_groups.append(e)
    relays, sups, ports = {}, {}, {"a": free_port(), "b": free_port()}

    relay_ports = {}

    def relay(name):
        rp = relay_ports.setdefault(name, free_port())
        r = subprocess.Popen([socat, f"TCP-LISTEN:{rp},bind=127.0.0.1,reuseaddr,fork", f"TCP:{ep}"],
                             start_new_session=True, stderr=subprocess.DEVNULL)
        started_groups.append(r)
        relays[name] = r
        return rp

    def supervisor(name):
        env = dict(os.environ, ETCD_ENDPOINTS=f"127.0.0.1:{relay(name)}", ETCDCTL=etcdctl,
                   LITESTREAM=litestream, HOODY_BIN=HOODY_BIN, HOODY_DB="app",
                   HOODY_DATA_DIR=os.path.join(base, name, "data"),
                   HOODY_REPLICA_DIR=os.path.join(base, "replica"))
        os.makedirs(os.path.join(base, name), exist_ok=True)
        p = subprocess.Popen(["bash", os.path.join(REPO, "deploy/etcd/supervisor.sh"), name,
                              *[a for a in SERVER_ARGS if a not in ("--port", "0")],
                              "--port", str(ports[name])], env=env, start_new_session=True,
                             stdout=open(os.path.join(base, name + ".log"), "a"),
                             stderr=subprocess.STDOUT)
        started_groups.append(p)
        sups[name] = p

    wait_for(lambda: subprocess.run([etcdctl, f"--endpoints={ep}", "endpoint", "health"],
                                    capture_output=True, env=dict(os.environ, ETCDCTL_API="3"))
             .returncode == 0, 15, "etcd")
    supervisor("a")
    writers = {n: NodeWriter(ports[n], n) for n in ports}
    writers["a"].start()
    wait_for(lambda: writers["a"].acks, 15, "a primary")
    supervisor("b")
    writers["b"].start()
    time.sleep(2.0)
    check(not writers["b"].acks, "the standby b answers no write while a holds the lease")
    # 1. crash: kill -9 of every process of machine a.
    kill_at = time.time()
    session_kill(sups["a"].pid)
    wait_for(lambda: writers["b"].acks, 20, "b primary after a's crash")
    rto = writers["b"].acks[0][2] - kill_at
    print(f"    kill -9 of machine a: b acknowledged its first write {rto:.2f} s later")
    check(rto <= 10.0, f"the standby serves writes within 10 s of the crash ({rto:.2f} s)")
    a_lost = [n for n, _, t in writers["a"].acks if t < kill_at - SYNC_INTERVAL_S - 0.5]
    st, body, _ = request(ports["b"], "POST", "/api/v1/sqlite/db?db=app",
                          b'{"transaction":[{"query":"SELECT key FROM kv_store"}]}')
    have = body.decode(errors="replace")
    missing = [n for n in a_lost if f'"a{n}"' not in have]
    check(st == 200 and not missing, f"b has every write a acknowledged > 1.5 s before the crash "
          f"(missing {len(missing)} of {len(a_lost)})")
    # 2. partition: a' (restarted, standby) waits; cut b (now primary) off from etcd.
    writers["a"].stop = True
    writers["a"].join()
    supervisor("a")
    writers["a2"] = NodeWriter(ports["a"], "c")
    writers["a2"].start()
    time.sleep(1.0)
    cut_at = time.time()
    os.killpg(relays["b"].pid, signal.SIGKILL)
    wait_for(lambda: writers["a2"].acks, 25, "a primary after b's partition")
    time.sleep(1.0)
    b_last = max(t for _, _, t in writers["b"].acks)
    a_first = min(t0 for _, t0, _ in writers["a2"].acks)
    both = sum(1 for _, t0, t in writers["b"].acks if t >= a_first) + \
        sum(1 for _, t0, t in writers["a2"].acks if t0 <= b_last)
    print(f"    partition of b from etcd: b's last ack {b_last - cut_at:.2f} s after the cut, "
          f"a's first {writers['a2'].acks[0][2] - cut_at:.2f} s after; writes unavailable "
          f"{a_first - b_last:.2f} s; answered 200 by both at once: {both}")
    check(both == 0 and b_last < a_first, "never two writable primaries under partition")
    check(b_last - cut_at < 4.5, "the partitioned primary stopped acknowledging within 4.5 s")
    # 3. planned switchover: b's relay back (b waits as standby), SIGTERM to a's supervisor.
    relay("b")
    writers["b"].stop = True
    writers["b"].join()
    writers["b2"] = NodeWriter(ports["b"], "d")
    writers["b2"].start()
    time.sleep(1.5)
    term_at = time.time()
    sups["a"].send_signal(signal.SIGTERM)
    wait_for(lambda: writers["b2"].acks, 15, "b primary after a's planned stop")
    took = writers["b2"].acks[0][2] - term_at
    writers["a2"].stop = True
    writers["a2"].join()
    st, body, _ = request(ports["b"], "POST", "/api/v1/sqlite/db?db=app",
                          b'{"transaction":[{"query":"SELECT key FROM kv_store"}]}')
    have = body.decode(errors="replace")
    lost = [n for n, _, _ in writers["a2"].acks if f'"c{n}"' not in have]
    print(f"    planned switchover (SIGTERM to a's supervisor): b acknowledged its first write "
          f"{took:.2f} s later; {len(lost)} of {len(writers['a2'].acks)} writes of a lost")
    check(st == 200 and not lost and writers["a2"].acks, "planned switchover: no acknowledged write lost")
    check(sups["a"].wait(timeout=15) == 0, "a's supervisor exits 0 after SIGTERM")
    for w in writers.values():
        w.stop = True
    for p in sups.values():
        if p.poll() is None:
            session_kill(p.pid)


def main():
    started = time.monotonic()
    if not os.access(HOODY_BIN, os.X_OK):
        print(f"scaleout: no server binary at {HOODY_BIN} (build first)")
        return 1
    tmp = tempfile.mkdtemp(prefix="hoody-scaleout-")
    skip = os.environ.get("SCALEOUT_ONLY_C") and "AB" or ""
    try:
        if os.environ.get("SCALEOUT_HAPROXY") and "A" not in skip:
            part_a(tmp, os.environ["SCALEOUT_HAPROXY"])
        else:
            print("scaleout A (HAProxy sharding) SKIPPED: " + ("SCALEOUT_ONLY_C set" if skip else
                  os.environ.get("SCALEOUT_HAPROXY_SKIP", "SCALEOUT_HAPROXY not set")))
        if os.environ.get("SCALEOUT_LITESTREAM") and "B" not in skip:
            part_b(tmp, os.environ["SCALEOUT_LITESTREAM"])
            part_b_replica(tmp, os.environ["SCALEOUT_LITESTREAM"])
            part_b_gen_config(tmp, os.environ["SCALEOUT_LITESTREAM"])
        else:
            print("scaleout B (Litestream replication) SKIPPED: " + ("SCALEOUT_ONLY_C set" if skip else
                  os.environ.get("SCALEOUT_LITESTREAM_SKIP", "SCALEOUT_LITESTREAM not set")))
        etcd_tools = [os.environ.get(k) for k in ("SCALEOUT_ETCD", "SCALEOUT_ETCDCTL",
                                                  "SCALEOUT_SOCAT")]
        if all(etcd_tools) and os.environ.get("SCALEOUT_LITESTREAM") and "C" not in skip:
            part_c(tmp, os.environ["SCALEOUT_LITESTREAM"], *etcd_tools)
        else:
            print("scaleout C (etcd lease failover) SKIPPED: " + os.environ.get(
                "SCALEOUT_ETCD_SKIP", "litestream missing" if all(etcd_tools) else
                "etcd, etcdctl or socat not set"))
    except Exception as e:  # a step that timed out: report it as a failure, clean up below
        failures.append(f"{type(e).__name__}: {e}")
    finally:
        for proc in started_groups:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for proc in started_procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if failures or os.environ.get("SCALEOUT_KEEP"):
            print(f"scaleout: logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    took = time.monotonic() - started
    if failures:
        print(f"scaleout: {len(failures)} check(s) FAILED in {took:.1f} s: " + "; ".join(failures))
        return 1
    ran = bool(os.environ.get("SCALEOUT_HAPROXY") or os.environ.get("SCALEOUT_LITESTREAM"))
    print(f"scaleout: passed in {took:.1f} s" if ran else "scaleout: nothing ran (both parts skipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
