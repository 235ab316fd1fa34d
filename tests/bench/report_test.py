#!/usr/bin/env python3
"""bench/report.py on a run of known figures: every target of issues 15 and 20 is printed with
met or MISSED and its value, the write floors are printed in their own table, and a target whose
rows were not measured says n/a and which row is missing.

usage: report_test.py PROJECT_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

# req/s per (workload, connections); keys/s for floors. Chosen so that each ratio is known.
FIGURES = {
    ("kv_get", 64): 100000, ("kv_get_log", 64): 95000,       # 0.95  >= 0.9  met
    ("kv_put", 1): 6000, ("kv_put", 64): 30000,              # vs webdis_set 0.5 < 0.8 MISSED
    ("incr", 64): 60000, ("incr_watch", 64): 50000,          # 1.2 >= 1.0 met; 0.83 < 0.9 MISSED
    ("batch_set", 1): 400, ("batch_set", 64): 800,           # keys/s 40k, 80k
    ("sql_select", 64): 50000, ("query_get", 64): 40000,     # 0.8 >= 0.8 met
    ("webdis_get", 64): 70000, ("webdis_set", 64): 60000, ("webdis_incr", 64): 50000,
    ("nginx", 64): 150000,
}
FLOORS = {"today": 40000, "slim": 200000}  # batch @64 80k: 2.0 met, 0.4 MISSED
EXPECTED = {  # target line prefix → (state, value)
    "incr @64 >= 1.0x webdis_incr @64": ("met", "1.2"),
    "kv_put @64 >= 0.8x webdis_set @64": ("MISSED", "0.5"),
    "batch_set @1 >= 25.0x kv_put @1": ("MISSED", "6.67"),
    "batch_set @64 >= 8.0x kv_put @64": ("MISSED", "2.67"),
    "kv_get_log @64 >= 0.9x kv_get @64": ("met", "0.95"),
    "query_get @64 >= 0.8x sql_select @64": ("met", "0.8"),
    "incr_watch @64 >= 0.9x incr @64": ("MISSED", "0.83"),
    "batch_set @64 >= 0.5x floor_today floor": ("met", "2.0"),
    "batch_set @64 >= 0.5x floor_slim floor": ("MISSED", "0.4"),
}
SECONDS = 5


def wrk_row(workload, conns, rps):
    server = workload.split("_")[0] if workload.startswith(("webdis", "nginx")) else "hoody"
    if workload == "kv_get_log":
        server = "hoody_log"
    return {"workload": workload, "server": server, "connections": conns, "round": 1,
            "group_commit_avg": None, "watchers": None,
            "wrk": {"requests": rps * SECONDS, "duration_us": SECONDS * 1000000, "p50_us": 500,
                    "p99_us": 2000, "socket_errors": 0, "http_errors": 0}}


def floor_row(schema, kps):
    return {"workload": f"floor_{schema}", "server": "floor", "connections": 0, "round": 1,
            "floor": {"schema": schema, "checkpoint": "passive", "keys": 100000,
                      "transactions": 1000, "duration_us": int(100000 / kps * 1e6),
                      "keys_per_s": kps}}


def main():
    project = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        results = os.path.join(tmp, "results.jsonl")
        with open(results, "w") as f:
            for (workload, conns), rps in FIGURES.items():
                f.write(json.dumps(wrk_row(workload, conns, rps)) + "\n")
            for schema, kps in FLOORS.items():
                f.write(json.dumps(floor_row(schema, kps)) + "\n")
        meta = os.path.join(tmp, "meta.json")
        with open(meta, "w") as f:
            json.dump({"startup_ms": 7, "rss_idle_kib": 10000, "rss_1000_conns_kib": 21000,
                       "duration_s": SECONDS, "rounds": 1, "wrk_threads": 2, "skipped": ["sqld"],
                       "nproc": 2, "cpu": "test", "load_before": "0", "notes": [],
                       "watchers": 100}, f)
        out = subprocess.run([sys.executable, os.path.join(project, "bench", "report.py"),
                              results, meta, os.path.join(tmp, "out.json")],
                             capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(out.stdout, out.stderr)
            return 1
        lines = out.stdout.splitlines()
        targets = {}
        for line in lines:
            parts = line.split()
            if parts and parts[0] in ("met", "MISSED", "n/a"):
                rest = line.strip()[len(parts[0]):].strip()
                targets[rest] = parts[0]
        for name, (state, value) in EXPECTED.items():
            found = [t for t in targets if t.startswith(name)]
            if not found:
                failures.append(f"target not printed: {name}")
                continue
            words = found[0][len(name):].split()
            if targets[found[0]] != state or not words or words[0] != value:
                failures.append(f"{name}: expected {state} {value}, got "
                                f"{targets[found[0]]} {words[:1]}")
        sqld = [t for t in targets if t.startswith("sql_select @64 >= 10.0x sqld_select @64")]
        if not sqld or targets[sqld[0]] != "n/a" or "not measured: sqld_select @64" not in sqld[0]:
            failures.append(f"an unmeasured peer is not n/a with its missing row: {sqld}")
        floor_table = [l for l in lines if l.strip().startswith(("today ", "slim "))]
        if len(floor_table) != 2 or "40000" not in " ".join(floor_table) or \
                "200000" not in " ".join(floor_table):
            failures.append(f"the write floors are not printed: {floor_table}")
    for failure in failures:
        print("FAIL:", failure)
    if failures:
        print("\n".join(lines))
        return 1
    print(f"ok: {len(EXPECTED)} targets, the n/a case and both floors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
