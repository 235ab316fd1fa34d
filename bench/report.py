#!/usr/bin/env python3
"""Turns bench/run.sh's wrk results into one table (stdout) and results JSON.

usage: report.py RESULTS.jsonl META.json OUT.json
Ratios compare hoody-sqlite with the peer measured in the same run at the same connection count.
"""
import json
import sys

# hoody workload → (peer workload, label, keys per request)
PEERS = {
    "kv_get": [("webdis_get", "webdis GET"), ("nginx", "nginx")],
    "kv_put": [("webdis_set", "webdis SET")],
    "incr": [("webdis_incr", "webdis INCR")],
    "batch_set": [("kv_put", "single PUT keys/s")],
    "sql_select": [("sqld_select", "sqld")],
    "sql_upsert": [("sqld_upsert", "sqld")],
    "query_get": [("sqld_select", "sqld select")],
}
KEYS_PER_REQUEST = {"batch_set": 100}
WRITES = {"kv_put", "incr", "batch_set", "sql_upsert"}  # grp: write requests per group commit
# (workload, peer, minimum ratio) at 64 connections
TARGETS = [
    ("kv_get", "webdis_get", 1.5), ("kv_get", "nginx", 0.6), ("incr", "webdis_incr", 1.0),
    ("sql_select", "sqld_select", 10.0), ("sql_upsert", "sqld_upsert", 10.0),
    ("batch_set", "kv_put", 30.0),
]


def main():
    runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    meta = json.load(open(sys.argv[2]))
    # Several rounds: keep the median run (by throughput) of each workload and connection count.
    groups = {}
    for r in runs:
        w = r["wrk"]
        r["_rps"] = w["requests"] / (w["duration_us"] / 1e6) if w["duration_us"] else 0.0
        groups.setdefault((r["workload"], r["connections"]), []).append(r)
    rows = []
    failed = []
    for key, group in groups.items():
        group.sort(key=lambda r: r["_rps"])
        # A round that completed no request failed (the server stalled or died): it is reported,
        # and the median is taken over the rounds that worked.
        ok = [g for g in group if g["wrk"]["requests"] > 0]
        if len(ok) < len(group):
            failed.append(f"{key[0]} @ {key[1]}: {len(group) - len(ok)} of {len(group)} round(s)")
        pick = ok or group
        median = dict(pick[len(pick) // 2])
        median["rounds_rps"] = [round(g["_rps"]) for g in group]
        median["failed_rounds"] = len(group) - len(ok)
        median["errors_all_rounds"] = sum(g["wrk"]["socket_errors"] + g["wrk"]["http_errors"]
                                          for g in group)
        rows.append(median)
    by = {}
    for r in rows:
        w = r["wrk"]
        secs = w["duration_us"] / 1e6
        r["rps"] = w["requests"] / secs if secs else 0.0
        r["keys_per_s"] = r["rps"] * KEYS_PER_REQUEST.get(r["workload"], 1)
        r["p50_ms"] = w["p50_us"] / 1000
        r["p99_ms"] = w["p99_us"] / 1000
        r["errors"] = r["errors_all_rounds"]
        by[(r["workload"], r["connections"])] = r
    for r in rows:
        ratios = {}
        for peer, label in PEERS.get(r["workload"], []):
            p = by.get((peer, r["connections"]))
            if p and p["keys_per_s"]:
                ratios[label] = r["keys_per_s"] / p["keys_per_s"]
        ng = by.get(("nginx", r["connections"]))
        if ng and ng["p99_ms"] and r["server"] == "hoody":
            r["p99_vs_nginx"] = r["p99_ms"] / ng["p99_ms"]
        r["ratios"] = ratios

    print()
    print(f"{'workload':<12} {'server':<7} {'conns':>5} {'req/s':>9} {'keys/s':>9} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'p99/ngx':>7} {'err':>5} {'grp':>5}  ratio to peer (same run)")
    for r in rows:
        ratio = ", ".join(f"{v:.2f}x {k}" for k, v in r["ratios"].items())
        p99n = f"{r['p99_vs_nginx']:.2f}" if "p99_vs_nginx" in r else ""
        keys = f"{r['keys_per_s']:.0f}" if r["workload"] in KEYS_PER_REQUEST else ""
        grp = r.get("group_commit_avg")
        grp = f"{grp:.1f}" if isinstance(grp, (int, float)) and r["workload"] in WRITES else ""
        print(f"{r['workload']:<12} {r['server']:<7} {r['connections']:>5} {r['rps']:>9.0f} "
              f"{keys:>9} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} {p99n:>7} {r['errors']:>5} {grp:>5}  {ratio}")

    targets = []
    for workload, peer, minimum in TARGETS:
        a, b = by.get((workload, 64)), by.get((peer, 64))
        if a and b and b["keys_per_s"]:
            v = a["keys_per_s"] / b["keys_per_s"]
            targets.append({"target": f"{workload} >= {minimum}x {peer}", "value": round(v, 2),
                            "met": v >= minimum})
        else:
            targets.append({"target": f"{workload} >= {minimum}x {peer}", "value": None, "met": None})
    worst = max((r["p99_vs_nginx"] for r in rows
                 if r["connections"] == 64 and "p99_vs_nginx" in r and r["workload"] == "kv_get"),
                default=None)
    targets.append({"target": "kv_get p99 <= 2x nginx p99", "value": worst and round(worst, 2),
                    "met": None if worst is None else worst <= 2})
    targets.append({"target": "RSS idle <= 15 MB", "value": round(meta["rss_idle_kib"] / 1024, 1),
                    "met": meta["rss_idle_kib"] <= 15 * 1024})
    targets.append({"target": "RSS with 1,000 idle connections <= 60 MB",
                    "value": round(meta["rss_1000_conns_kib"] / 1024, 1),
                    "met": meta["rss_1000_conns_kib"] <= 60 * 1024})
    targets.append({"target": "first 200 within 50 ms", "value": meta["startup_ms"],
                    "met": meta["startup_ms"] <= 50})

    print()
    print(f"start to first 200: {meta['startup_ms']} ms; RSS idle {meta['rss_idle_kib'] / 1024:.1f} MB; "
          f"with 1,000 idle keep-alive connections {meta['rss_1000_conns_kib'] / 1024:.1f} MB")
    print(f"machine: {meta['nproc']} x {meta['cpu']}; load before run {meta['load_before']}; "
          f"wrk {meta['wrk_threads']} threads, {meta['duration_s']} s per run, "
          f"{meta.get('rounds', 1)} round(s), median shown")
    if meta["skipped"]:
        print("skipped peers: " + ", ".join(meta["skipped"]))
    if failed:
        print("FAILED rounds (no request completed; see bench/results/logs/): " + "; ".join(failed))
    print()
    print("targets (64 connections):")
    for t in targets:
        state = "n/a" if t["met"] is None else ("met" if t["met"] else "MISSED")
        print(f"  {state:<6} {t['target']}: {t['value']}")
    json.dump({"meta": meta, "results": rows, "targets": targets, "failed_rounds": failed},
              open(sys.argv[3], "w"), indent=1)
    print(f"\nwritten: {sys.argv[3]}")


if __name__ == "__main__":
    main()
