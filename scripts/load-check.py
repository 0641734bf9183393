#!/usr/bin/env python3
"""Do verdicts hold up under load? Sections 1-7 and 10, several runs, a busy machine.

Starts LOAD busy-loop processes, then RUNS times over: every pinned peer of the parity
check (scripts/parity/peer.sh) as a server under `wsconform run` and as a client against
`wsconform serve`. Prints, per peer and role, whether the verdicts were identical in every
run, and how they compare with wstest's recorded ones in parity/corpus/ (with the
allowed alternatives and deliberate differences of parity/deliberate-differences.tsv),
plus the wall time of each run and what confirmation (the solo reruns) cost in it.

Exit status 0 when every verdict is wstest's or a listed one, and every verdict that varied
across runs varied only between verdicts the corpus accepts for that case; 1 otherwise. Reports stay in --work. A bench, not run in CI.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "parity"))
import check  # noqa: E402  (the parity check's corpus, rules and peer starting)

SECTIONS = {"1", "2", "3", "4", "5", "6", "7", "10"}


def corpus_cases(peer, role):
    """The corpus's recorded verdicts of sections 1-7 and 10 for PEER in ROLE, or None."""
    folder = os.path.join(check.CORPUS, peer, role)
    if not os.path.isdir(folder):
        return None
    recorded, _, _ = check.load_recordings(folder)
    return {c: v for c, v in recorded.items() if c.split(".")[0] in SECTIONS}


def run_server(args, peer, cases, out, log):
    """wsconform run against PEER's server: (summary JSON or None, wall seconds)."""
    port = check.free_port()
    server = subprocess.Popen([check.PEER, "server", peer, str(port)], stdout=log,
                              stderr=log, start_new_session=True)
    try:
        if not check.wait_port(port, server):
            return None, 0.0
        cmd = [args.wsconform, "run", f"ws://127.0.0.1:{port}/", "--agent", peer,
               "--cases", ",".join(cases), "--out", out, "--format", "json"]
        if args.no_confirm:
            cmd.append("--no-confirm")
        started = time.time()
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=log, text=True,
                              timeout=check.RUN_TIMEOUT)
        wall = time.time() - started
        try:
            return json.loads(done.stdout), wall
        except ValueError:
            return None, wall
    finally:
        check.stop(server)


def run_client(args, peer, cases, out, log):
    """PEER's client driver against wsconform serve: ({} or None, wall seconds)."""
    started = time.time()
    error = check.run_client(args, peer, cases, out, log)
    return (None if error else {}), time.time() - started


def judge(peer, role, rules, recorded, runs):
    """Lines about one peer and role: stability across runs, then agreement with wstest.

    A case whose verdict varied across runs fails the check unless every verdict it got
    is one the corpus accepts (wstest itself gave both, or a listed alternative): then
    the peer's own scheduling decides it, and the line says so."""
    def accepted(c, mine):
        theirs = sorted(set(recorded[c]))
        return mine in theirs or check.rule_for(rules, peer, role, c, theirs, mine) is not None

    lines = []
    varying = {c: [r.get(c, ("-", ""))[0] for r in runs] for c in recorded}
    varying = {c: v for c, v in varying.items() if len(set(v)) > 1}
    unexplained = [c for c, v in varying.items() if not all(accepted(c, m) for m in v)]
    if varying:
        lines.append(f"  {len(varying)} case(s) varied across runs, {len(unexplained)} of them "
                     "outside what the corpus accepts:")
        for c in sorted(varying, key=check.case_key):
            note = "" if c in unexplained else "  (each accepted: wstest gives both, or listed)"
            lines.append(f"    {c}: {' / '.join(varying[c])}{note}")
    same = listed = 0
    off = []
    for c in sorted(recorded, key=check.case_key):
        theirs = sorted(set(recorded[c]))
        for n, r in enumerate(runs, 1):
            mine = r.get(c, ("-", ""))[0]
            if mine in theirs:
                same += 1
            elif accepted(c, mine):
                listed += 1
            else:
                off.append(f"    run {n} {c}: wstest {' or '.join(theirs)}, wsconform {mine}")
    lines.append(f"  against the corpus: {same} same as wstest, {listed} listed "
                 f"(alternative or deliberate), {len(off)} different (all runs together)")
    lines.extend(off)
    return lines, not unexplained and not off


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wsconform", required=True)
    ap.add_argument("--peers", default="py-websockets,py-aiohttp,py-autobahn,node-ws")
    ap.add_argument("--roles", default="server,client")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--load", type=int, default=2, help="busy-loop processes beside the runs")
    ap.add_argument("--no-confirm", action="store_true",
                    help="pass --no-confirm to wsconform run (to see what confirmation changes)")
    ap.add_argument("--work", default=os.path.join(check.ROOT, "target", "load-check"))
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rules = check.load_rules(check.DIFFS)
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(args.load)]
    all_ok = True
    try:
        for peer in args.peers.split(","):
            for role in args.roles.split(","):
                recorded = corpus_cases(peer, role)
                if not recorded:
                    print(f"FAIL {peer} {role}: no corpus in parity/corpus/{peer}/{role}")
                    all_ok = False
                    continue
                cases = sorted(recorded, key=check.case_key)
                runs, notes = [], []
                for n in range(1, args.runs + 1):
                    out = os.path.join(args.work, f"run{n}", peer, role)
                    os.makedirs(out, exist_ok=True)
                    with open(os.path.join(args.work, f"run{n}-{peer}-{role}.log"), "w") as log:
                        play = run_server if role == "server" else run_client
                        summary, wall = play(args, peer, cases, out, log)
                    if summary is None:
                        notes.append(f"run {n}: failed (log in {args.work})")
                        runs.append({})
                        continue
                    runs.append(check.our_results(out, peer) or {})
                    c = summary.get("confirmation")
                    extra = (f", confirmation {c['seconds']:.1f} s: {c['confirmedAlone']} "
                             f"confirmed alone, {c['changed']} changed" if c else "")
                    notes.append(f"run {n}: {wall:.1f} s{extra}")
                lines, ok = judge(peer, role, rules, recorded, runs)
                ok = ok and len(notes) == args.runs and all("failed" not in x for x in notes)
                all_ok &= ok
                print(f"{'ok' if ok else 'FAIL':4} {peer} {role}: {len(cases)} cases x "
                      f"{args.runs} runs beside {args.load} busy loops; " + "; ".join(notes))
                for line in lines:
                    print(line)
                sys.stdout.flush()
    finally:
        for p in busy:
            p.kill()
            p.wait()
    sys.exit(0 if all_ok else 1)


if __name__ == "__main__":
    main()
