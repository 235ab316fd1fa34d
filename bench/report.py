#!/usr/bin/env python3
"""Turns bench/run.sh's wrk results into one table (stdout) and results JSON.

usage: report.py RESULTS.jsonl META.json OUT.json
Ratios compare hoody-sqlite with the peer measured in the same run at the same connection count;
the write floors (bench/floor.cpp, rows "floor_<schema>", no connections) are compared with
batch_set at every connection count. Ends with every target, met or MISSED (docs/performance.md).
"""
import json
import sys

# hoody workload → (peer workload, label): the ratio column (keys/s over keys/s, same run, same
# connection count). batch_set is also compared with every floor_* row (added in main()).
PEERS = {
    "kv_get": [("webdis_get", "webdis GET"), ("nginx", "nginx")],
    "kv_get_log": [("kv_get", "access log off")],
    "kv_put": [("webdis_set", "webdis SET")],
    "incr": [("webdis_incr", "webdis INCR")],
    "incr_watch": [("incr", "no watchers")],
    "batch_set": [("kv_put", "single PUT keys/s")],
    "sql_select": [("sqld_select", "sqld")],
    "sql_upsert": [("sqld_upsert", "sqld")],
    "query_get": [("sql_select", "sql_select"), ("sqld_select", "sqld select")],
}
KEYS_PER_REQUEST = {"batch_set": 100}
WRITES = {"kv_put", "incr", "incr_watch", "batch_set", "sql_upsert"}  # grp: requests per commit
FLOOR_CONNS = 0  # the connections field of floor rows
# (workload, connections, peer, peer's connections, minimum ratio of keys/s, where it comes from).
# Floor targets (batch_set >= 0.5x floor_<schema>) are added per floor schema in main().
TARGETS = [
    ("incr", 64, "webdis_incr", 64, 1.0, "issue 15"),
    ("kv_put", 64, "webdis_set", 64, 0.8, "issue 15"),
    ("batch_set", 1, "kv_put", 1, 25.0, "issue 15"),
    ("batch_set", 64, "kv_put", 64, 8.0, "issue 15"),
    ("kv_get_log", 64, "kv_get", 64, 0.9, "issue 15"),
    ("query_get", 64, "sql_select", 64, 0.8, "issue 15"),
    ("incr_watch", 64, "incr", 64, 0.9, "issue 20"),
    ("kv_get", 64, "webdis_get", 64, 1.5, "earlier"),
    ("kv_get", 64, "nginx", 64, 0.6, "earlier"),
    ("sql_select", 64, "sqld_select", 64, 10.0, "earlier"),
    ("sql_upsert", 64, "sqld_upsert", 64, 10.0, "earlier"),
]
FLOOR_TARGET = 0.5  # batch_set at 64 connections >= 0.5x each floor
DEFAULT_FLOORS = ["floor_today", "floor_slim"]  # issue 15's starting layout, the shipped one


def normalize(r):
    """A floor row carries the floor program's JSON instead of wrk's: give it wrk's fields."""
    if "floor" in r:
        f = r["floor"]
        r["wrk"] = {"requests": f["transactions"], "duration_us": f["duration_us"], "p50_us": 0,
                    "p99_us": 0, "socket_errors": 0, "http_errors": 0}
        r["_kps"] = f["keys_per_s"]
    return r


def keys_per_s(r):
    if "_kps" in r:
        return r["_kps"]
    w = r["wrk"]
    rps = w["requests"] / (w["duration_us"] / 1e6) if w["duration_us"] else 0.0
    return rps * KEYS_PER_REQUEST.get(r["workload"], 1)


def main():
    runs = [normalize(json.loads(l)) for l in open(sys.argv[1]) if l.strip()]
    meta = json.load(open(sys.argv[2]))
    # Several rounds: keep the median run (by throughput) of each workload and connection count.
    groups = {}
    for r in runs:
        w = r["wrk"]
        # wrk rows: req/s; floor rows: keys/s (the rounds column shows the same unit).
        r["_rps"] = r["_kps"] if "_kps" in r else (
            w["requests"] / (w["duration_us"] / 1e6) if w["duration_us"] else 0.0)
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
        r["keys_per_s"] = keys_per_s(r)
        r["p50_ms"] = w["p50_us"] / 1000
        r["p99_ms"] = w["p99_us"] / 1000
        r["errors"] = r["errors_all_rounds"]
        by[(r["workload"], r["connections"])] = r
    floors = sorted(w for (w, c) in by if c == FLOOR_CONNS and w.startswith("floor_"))
    for r in rows:
        ratios = {}
        peers = [(peer, label, r["connections"]) for peer, label in PEERS.get(r["workload"], [])]
        if r["workload"] == "batch_set":
            peers += [(f, f.replace("_", " ", 1), FLOOR_CONNS) for f in floors]
        for peer, label, conns in peers:
            p = by.get((peer, conns))
            if p and p["keys_per_s"]:
                ratios[label] = r["keys_per_s"] / p["keys_per_s"]
        ng = by.get(("nginx", r["connections"]))
        if ng and ng["p99_ms"] and r["server"] == "hoody":
            r["p99_vs_nginx"] = r["p99_ms"] / ng["p99_ms"]
        r["ratios"] = ratios

    print()
    print(f"{'workload':<12} {'server':<9} {'conns':>5} {'req/s':>9} {'keys/s':>9} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'p99/ngx':>7} {'err':>5} {'grp':>5}  ratio to peer (same run)")
    for r in rows:
        if r["server"] == "floor":
            continue
        ratio = ", ".join(f"{v:.2f}x {k}" for k, v in r["ratios"].items())
        p99n = f"{r['p99_vs_nginx']:.2f}" if "p99_vs_nginx" in r else ""
        keys = f"{r['keys_per_s']:.0f}" if r["workload"] in KEYS_PER_REQUEST else ""
        grp = r.get("group_commit_avg")
        grp = f"{grp:.1f}" if isinstance(grp, (int, float)) and r["workload"] in WRITES else ""
        print(f"{r['workload']:<12} {r['server']:<9} {r['connections']:>5} {r['rps']:>9.0f} "
              f"{keys:>9} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} {p99n:>7} {r['errors']:>5} {grp:>5}  {ratio}")

    if floors:
        print()
        print("write floors (bench/floor.cpp: the rows of a batch_set straight into SQLite, no HTTP; "
              "median of the rounds):")
        print(f"  {'schema':<16} {'checkpoints':<11} {'keys':>8} {'keys/s':>9}  keys/s of each round")
        for f in floors:
            r = by[(f, FLOOR_CONNS)]
            fl = r["floor"]
            schema = fl["schema"] + (" op-from-kv" if fl.get("op_from_kv") else "")
            print(f"  {schema:<16} {fl['checkpoint']:<11} {fl['keys']:>8} "
                  f"{r['keys_per_s']:>9.0f}  {' / '.join(str(x) for x in r['rounds_rps'])}")

    def conns_label(c):
        return "floor" if c == FLOOR_CONNS else f"@{c}"

    targets = []
    wanted = list(TARGETS)
    for f in floors or DEFAULT_FLOORS:
        wanted.append(("batch_set", 64, f, FLOOR_CONNS, FLOOR_TARGET, "issue 15"))
    for workload, conns, peer, peer_conns, minimum, origin in wanted:
        name = (f"{workload} @{conns} >= {minimum}x {peer} "
                f"{conns_label(peer_conns) if peer.startswith('floor_') else '@' + str(peer_conns)}")
        a, b = by.get((workload, conns)), by.get((peer, peer_conns))
        t = {"target": name, "origin": origin, "value": None, "met": None}
        if a and b and b["keys_per_s"]:
            v = a["keys_per_s"] / b["keys_per_s"]
            t.update(value=round(v, 2), met=v >= minimum,
                     detail=f"{a['keys_per_s']:.0f} / {b['keys_per_s']:.0f} keys/s")
        else:
            missing = [f"{w} {conns_label(c)}" for w, c, row in
                       ((workload, conns, a), (peer, peer_conns, b)) if not row]
            t["detail"] = "not measured: " + ", ".join(missing) if missing else "peer at 0"
        targets.append(t)
    worst = max((r["p99_vs_nginx"] for r in rows
                 if r["connections"] == 64 and "p99_vs_nginx" in r and r["workload"] == "kv_get"),
                default=None)
    targets.append({"target": "kv_get @64 p99 <= 2x nginx p99", "origin": "earlier",
                    "value": worst and round(worst, 2), "met": None if worst is None else worst <= 2})
    targets.append({"target": "RSS idle <= 15 MB", "origin": "earlier",
                    "value": round(meta["rss_idle_kib"] / 1024, 1),
                    "met": meta["rss_idle_kib"] <= 15 * 1024})
    targets.append({"target": "RSS with 1,000 idle connections <= 60 MB", "origin": "earlier",
                    "value": round(meta["rss_1000_conns_kib"] / 1024, 1),
                    "met": meta["rss_1000_conns_kib"] <= 60 * 1024})
    targets.append({"target": "first 200 within 50 ms", "origin": "earlier",
                    "value": meta["startup_ms"], "met": meta["startup_ms"] <= 50})

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
    for note in meta.get("notes", []):
        print("note: " + note)
    watching = sorted({r["watchers"] for r in rows if r["workload"] == "incr_watch"
                       and r.get("watchers") is not None})
    if watching:
        print(f"note: incr_watch ran with {' / '.join(str(w) for w in watching)} idle change-feed "
              f"stream(s) open (of {meta.get('watchers', '?')} asked for; GET /metrics hoody_watchers)")
    print()
    print("targets (ratios of keys/s in this run; @N = N connections):")
    print(f"  {'':<6} {'target':<44} {'value':>7}  {'':<8}  detail")
    for t in targets:
        state = "n/a" if t["met"] is None else ("met" if t["met"] else "MISSED")
        value = "" if t["value"] is None else t["value"]
        print(f"  {state:<6} {t['target']:<44} {value!s:>7}  {t['origin']:<8}  {t.get('detail', '')}")
    json.dump({"meta": meta, "results": rows, "targets": targets, "failed_rounds": failed},
              open(sys.argv[3], "w"), indent=1)
    print(f"\nwritten: {sys.argv[3]}")


if __name__ == "__main__":
    main()
