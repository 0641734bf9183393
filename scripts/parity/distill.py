#!/usr/bin/env python3
"""Distill one wstest report into a corpus entry of the parity check.

    distill.py RAW_DIR AGENT OUT_DIR --manifest KEY=VALUE... [--name index.json]

RAW_DIR holds wstest's report (index.json plus one JSON file per case). Writes
OUT_DIR/NAME: wstest's own index.json format, {AGENT: {case: {behavior,
behaviorClose, remoteCloseCode}}}, without durations and per-case file names, which
change from run to run; OUT_DIR/wstest-results.json: wstest's result sentences for
every case that is not OK/OK (what the check prints beside a difference); and
OUT_DIR/manifest.json from the KEY=VALUE pairs plus the case count. A second
recording (--name index-2.json) adds its date to the manifest's recordings.
"""

import argparse
import json
import os
import sys

KEEP = ("behavior", "behaviorClose", "remoteCloseCode")


def case_key(case_id):
    return [int(p) for p in case_id.split(".")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("raw")
    ap.add_argument("agent")
    ap.add_argument("out")
    ap.add_argument("--manifest", nargs="*", default=[])
    ap.add_argument("--name", default="index.json")
    args = ap.parse_args()

    with open(os.path.join(args.raw, "index.json")) as f:
        index = json.load(f)
    if args.agent not in index:
        sys.exit(f"no agent {args.agent} in {args.raw}/index.json (agents: {sorted(index)})")
    cases = index[args.agent]
    os.makedirs(args.out, exist_ok=True)
    kept = {}
    results_path = os.path.join(args.out, "wstest-results.json")
    results = {}
    if args.name != "index.json" and os.path.exists(results_path):
        with open(results_path) as f:
            results = json.load(f)
    for case_id in sorted(cases, key=case_key):
        entry = cases[case_id]
        kept[case_id] = {k: entry.get(k) for k in KEEP}
        if (entry["behavior"], entry["behaviorClose"]) != ("OK", "OK"):
            per_case = os.path.join(args.raw, entry.get("reportfile", ""))
            try:
                with open(per_case) as f:
                    data = json.load(f)
                sentence = {"result": data.get("result"), "resultClose": data.get("resultClose")}
            except (OSError, ValueError):
                sentence = {}
            results.setdefault(case_id, {})[args.name] = sentence
    with open(os.path.join(args.out, args.name), "w") as f:
        json.dump({args.agent: kept}, f, indent=1, sort_keys=True)
        f.write("\n")
    with open(results_path, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
        f.write("\n")
    manifest_path = os.path.join(args.out, "manifest.json")
    manifest = {}
    if args.name != "index.json" and os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
    given = dict(kv.split("=", 1) for kv in args.manifest)
    manifest.setdefault("recordings", {})[args.name] = given.pop("date", None)
    if args.name == "index.json":
        manifest.update(given)
        manifest["cases"] = len(kept)
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{args.out}/{args.name}: {len(kept)} cases, {len(results)} not OK/OK")


if __name__ == "__main__":
    main()
