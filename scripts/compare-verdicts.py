#!/usr/bin/env python3
"""Compare two Autobahn-format reports case by case (behavior and behaviorClose).

    scripts/compare-verdicts.py WSTEST_DIR WSCONFORM_DIR [--cases '12.*,13.*']
                                [--agent NAME] [--other-agent NAME] [--markdown LABEL]

Each DIR holds an index.json as Autobahn|Testsuite writes it ({agent: {case: {...}}}),
from `wstest -m fuzzingclient` or `wsconform run -o DIR`. --agent picks the agent in the
first report (default: its only one); --other-agent the one in the second (default: the
same name, else its only one). --cases keeps cases matching any of the comma-separated
glob patterns. Prints one summary line, then each difference: case, verdicts on each
side, and the two `result` sentences from the per-case JSON files when present. With
--markdown LABEL, also prints a README table row: | LABEL | cases | same | differences |.
Exit status: 0 when every compared case has the same verdicts, 1 otherwise, 2 on usage
errors or unreadable reports.
"""

import argparse
import fnmatch
import json
import os
import sys


def load(directory, agent):
    path = os.path.join(directory, "index.json")
    try:
        with open(path) as f:
            index = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"cannot read {path}: {e}")
    if agent is None:
        if len(index) != 1:
            sys.exit(f"{path} has agents {sorted(index)}: name one")
        agent = next(iter(index))
    if agent not in index:
        return None, agent
    return index[agent], agent


def case_key(case_id):
    return [int(p) if p.isdigit() else 0 for p in case_id.split(".")]


def result_sentence(directory, entry):
    name = entry.get("reportfile")
    if not name:
        return None
    try:
        with open(os.path.join(directory, name)) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data.get("result"), data.get("resultClose")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("first")
    ap.add_argument("second")
    ap.add_argument("--cases", default="*")
    ap.add_argument("--agent")
    ap.add_argument("--other-agent")
    ap.add_argument("--markdown", metavar="LABEL")
    args = ap.parse_args()

    first, agent = load(args.first, args.agent)
    if first is None:
        sys.exit(f"no agent {agent} in {args.first}")
    other = args.other_agent or agent
    second, other = load(args.second, other)
    if second is None:
        second, other = load(args.second, None)
    patterns = [p.strip() for p in args.cases.split(",") if p.strip()]

    def wanted(case_id):
        return any(fnmatch.fnmatchcase(case_id, p) for p in patterns)

    ids = sorted((c for c in set(first) | set(second) if wanted(c)), key=case_key)
    differences = []
    for c in ids:
        a, b = first.get(c), second.get(c)
        va = (a["behavior"], a["behaviorClose"]) if a else ("missing", "missing")
        vb = (b["behavior"], b["behaviorClose"]) if b else ("missing", "missing")
        if va != vb:
            differences.append((c, va, vb, a, b))
    same = len(ids) - len(differences)
    print(
        f"{agent}: {len(ids)} cases, {same} with the same verdicts, "
        f"{len(differences)} different ({args.first} vs {args.second})"
    )
    for c, va, vb, a, b in differences:
        print(f"  {c}: {va[0]}/{va[1]}  vs  {vb[0]}/{vb[1]}")
        for label, directory, entry in (("first", args.first, a), ("second", args.second, b)):
            sentences = result_sentence(directory, entry) if entry else None
            if sentences:
                print(f"      {label}: {sentences[0]} | {sentences[1]}")
    if args.markdown:
        diff_ids = " ".join(c for c, *_ in differences) or "none"
        print(f"| {args.markdown} | {len(ids)} | {same} | {diff_ids} |")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
