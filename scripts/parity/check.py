#!/usr/bin/env python3
"""The parity check: wsconform's verdicts against wstest's, case by case, on real peers.

    check.py --wsconform BIN [--peers a,b] [--roles server,client] [--work DIR]
    check.py --reports DIR [--corpus DIR] [--differences FILE] ...   (compare only)

For every recording in parity/corpus/PEER/ROLE/ (index.json, plus index-2.json ... where
wstest was run again), starts the peer (scripts/parity/peer.sh) on a free loopback
port and runs wsconform on exactly the corpus's cases: `wsconform run` against a
server, `wsconform serve` for a client's driver. Then compares behavior and
behaviorClose of every case with wstest's:
- the same as one of wstest's recordings: agrees;
- listed in parity/deliberate-differences.tsv (peer, role, case, wstest's verdict,
  ours): a deliberate difference or an allowed alternative, with its reason;
- anything else is a difference: printed with the case, peer, both verdicts, wstest's
  sentence and wsconform's reason.
A `deliberate` row of that file that matched no case of the peers checked is stale,
and reported: the file must stay true. Exit status 1 on any difference, stale row,
missing case or peer that did not run; 2 on usage errors.

--reports DIR compares wsconform reports already in DIR/PEER/ROLE/ instead of running
the peers (scripts/parity/test_check.py uses it to show the check can fail);
--corpus and --differences name another corpus and list.
"""

import argparse
import csv
import fnmatch
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(ROOT, "parity", "corpus")
DIFFS = os.path.join(ROOT, "parity", "deliberate-differences.tsv")
PEER = os.path.join(HERE, "peer.sh")
RUN_TIMEOUT = 1200  # seconds for one peer; a hang fails the check instead of CI's clock


def case_key(case_id):
    return [int(p) for p in case_id.split(".")]


def verdict(entry):
    return f"{entry['behavior']}/{entry['behaviorClose']}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_recordings(folder):
    """{case: [verdict of each recording]} and the recordings' file names."""
    names = sorted(n for n in os.listdir(folder) if n.startswith("index") and n.endswith(".json"))
    cases = {}
    for name in names:
        with open(os.path.join(folder, name)) as f:
            index = json.load(f)
        (agent_cases,) = index.values()
        for case_id, entry in agent_cases.items():
            cases.setdefault(case_id, []).append(verdict(entry))
    sentences = {}
    path = os.path.join(folder, "wstest-results.json")
    if os.path.exists(path):
        with open(path) as f:
            sentences = json.load(f)
    return cases, names, sentences


def load_rules(path):
    """Rows of deliberate-differences.tsv: kind, peer, role, case, wstest, wsconform, reason."""
    rules = []
    with open(path) as f:
        rows = (line for line in f if line.strip() and not line.startswith("#"))
        for n, row in enumerate(csv.reader(rows, delimiter="\t"), 1):
            if len(row) != 7 or row[0] not in ("deliberate", "alternative"):
                sys.exit(f"{path}: row {n} needs 7 tab-separated fields, kind deliberate or alternative: {row}")
            kind, peer, role, case, wstest, ours, reason = row
            rules.append(dict(kind=kind, peer=peer, role=role, case=case, wstest=wstest,
                              ours=ours, reason=reason, used=0, checked=False))
    return rules


def rule_for(rules, peer, role, case_id, theirs, ours):
    for rule in rules:
        if (fnmatch.fnmatchcase(peer, rule["peer"]) and fnmatch.fnmatchcase(role, rule["role"])
                and any(fnmatch.fnmatchcase(case_id, c) for c in rule["case"].split(","))
                and any(fnmatch.fnmatchcase(t, rule["wstest"]) for t in theirs)
                and fnmatch.fnmatchcase(ours, rule["ours"])):
            return rule
    return None


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_port(port, proc, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def run_server(args, peer, cases, out, log):
    """wsconform run against PEER's echo server; returns an error sentence or None."""
    port = free_port()
    server = subprocess.Popen([PEER, "server", peer, str(port)], stdout=log, stderr=log,
                              start_new_session=True)
    try:
        if not wait_port(port, server):
            return f"{peer}'s server did not listen on 127.0.0.1:{port} (log: {log.name})"
        cmd = [args.wsconform, "run", f"ws://127.0.0.1:{port}/", "--agent", peer,
               "--cases", ",".join(cases), "--out", out, "--format", "json"]
        log.write(f"$ {shlex.join(cmd[:5])} --cases <{len(cases)} corpus cases> --out {out}\n")
        log.flush()
        done = subprocess.run(cmd, stdout=log, stderr=log, timeout=RUN_TIMEOUT)
        if done.returncode not in (0, 1):
            return f"wsconform run exited with {done.returncode} (log: {log.name})"
    except subprocess.TimeoutExpired:
        return f"wsconform run did not finish within {RUN_TIMEOUT} s (log: {log.name})"
    finally:
        stop(server)
    return None


def run_client(args, peer, cases, out, log):
    """PEER's client driver against wsconform serve; returns an error sentence or None."""
    port = free_port()
    cmd = [args.wsconform, "serve", "--listen", f"127.0.0.1:{port}", "--cases", ",".join(cases),
           "--out", out, "-q"]
    log.write(f"$ {shlex.join(cmd[:4])} --cases <{len(cases)} corpus cases> --out {out} -q\n")
    log.flush()
    serve = subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True)
    try:
        if not wait_port(port, serve):
            return f"wsconform serve did not listen on 127.0.0.1:{port} (log: {log.name})"
        done = subprocess.run([PEER, "client", peer, f"ws://127.0.0.1:{port}", peer],
                              stdout=log, stderr=log, timeout=RUN_TIMEOUT)
        if done.returncode != 0:
            return f"{peer}'s client driver exited with {done.returncode} (log: {log.name})"
    except subprocess.TimeoutExpired:
        return f"{peer}'s client driver did not finish within {RUN_TIMEOUT} s (log: {log.name})"
    finally:
        stop(serve)
    return None


def our_results(out, peer):
    """{case: (verdict, reason)} from wsconform's report in out."""
    path = os.path.join(out, "index.json")
    try:
        with open(path) as f:
            index = json.load(f)
    except (OSError, ValueError):
        return None
    results = {}
    for case_id, entry in index.get(peer, {}).items():
        reason = ""
        try:
            with open(os.path.join(out, entry["reportfile"])) as f:
                data = json.load(f)
            reason = data.get("reason") or data.get("result") or ""
            if data.get("resultClose") and entry["behaviorClose"] != "OK":
                reason += f" | close: {data['resultClose']}"
        except (OSError, ValueError, KeyError):
            pass
        results[case_id] = (verdict(entry), reason)
    return results


def wstest_sentence(sentences, case_id):
    for sentence in sentences.get(case_id, {}).values():
        text = " | close: ".join(s for s in (sentence.get("result"), sentence.get("resultClose")) if s)
        if text:
            return text
    return ""


def check_one(args, rules, peer, role, folder, totals):
    recorded, names, sentences = load_recordings(folder)
    cases = sorted(recorded, key=case_key)
    out = os.path.join(args.work, peer, role)
    started = time.time()
    error = None
    if args.reports:
        out = os.path.join(args.reports, peer, role)
    else:
        with open(os.path.join(args.work, f"{peer}-{role}.log"), "w") as log:
            os.makedirs(out, exist_ok=True)
            error = (run_server if role == "server" else run_client)(args, peer, cases, out, log)
    seconds = time.time() - started
    ours = our_results(out, peer)
    if error or ours is None:
        print(f"FAIL {peer} {role}: {error or 'wsconform wrote no report'}")
        totals["failures"] += 1
        return
    for rule in rules:
        if fnmatch.fnmatchcase(peer, rule["peer"]) and fnmatch.fnmatchcase(role, rule["role"]):
            rule["checked"] = True
    same = deliberate = alternative = unstable = 0
    lines = []
    for case_id in cases:
        theirs = sorted(set(recorded[case_id]))
        if len(theirs) > 1:
            unstable += 1
        if case_id not in ours:
            lines.append(f"  {case_id}: wstest {' or '.join(theirs)}, wsconform has no verdict (case not run)")
            continue
        mine, reason = ours[case_id]
        if mine in theirs:
            same += 1
            continue
        rule = rule_for(rules, peer, role, case_id, theirs, mine)
        if rule:
            rule["used"] += 1
            if rule["kind"] == "deliberate":
                deliberate += 1
            else:
                alternative += 1
            continue
        said = wstest_sentence(sentences, case_id)
        lines.append(f"  {case_id}: wstest {' or '.join(theirs)}, wsconform {mine}\n"
                     f"      wsconform: {reason}" + (f"\n      wstest: {said}" if said else ""))
    status = "FAIL" if lines else "ok"
    extra = "".join(
        f", {n} {what}" for n, what in ((deliberate, "deliberate"), (alternative, "allowed alternative"),
                                        (unstable, "unstable in wstest (either accepted)")) if n)
    print(f"{status:4} {peer} {role}: {len(cases)} cases, {same} same as wstest{extra}, "
          f"{len(lines)} differences ({seconds:.0f} s; {len(names)} recording(s))")
    for line in lines:
        print(line)
    totals["cases"] += len(cases)
    totals["differences"] += len(lines)
    totals["seconds"] += seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wsconform")
    ap.add_argument("--reports", help="compare the wsconform reports in DIR/PEER/ROLE, run nothing")
    ap.add_argument("--corpus", default=CORPUS)
    ap.add_argument("--differences", default=DIFFS)
    ap.add_argument("--peers", default="*", help="comma-separated peer patterns")
    ap.add_argument("--roles", default="server,client")
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "parity"))
    args = ap.parse_args()
    if not args.wsconform and not args.reports:
        ap.error("--wsconform BIN (or --reports DIR) is required")
    os.makedirs(args.work, exist_ok=True)
    rules = load_rules(args.differences)
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    totals = dict(cases=0, differences=0, failures=0, seconds=0.0)
    for peer in sorted(os.listdir(args.corpus)):
        if not any(fnmatch.fnmatchcase(peer, p) for p in peers):
            continue
        for role in roles:
            folder = os.path.join(args.corpus, peer, role)
            if os.path.isdir(folder):
                check_one(args, rules, peer, role, folder, totals)
    stale = [r for r in rules if r["kind"] == "deliberate" and r["checked"] and not r["used"]]
    for r in stale:
        print(f"STALE deliberate difference (no case shows it any more; fix {args.differences}): "
              f"{r['peer']} {r['role']} {r['case']}: wstest {r['wstest']}, wsconform {r['ours']} ({r['reason']})")
    for r in rules:
        if r["used"]:
            print(f"listed: {r['kind']} {r['peer']} {r['role']} {r['case']}: wstest {r['wstest']}, "
                  f"wsconform {r['ours']}: {r['used']} case(s) ({r['reason']})")
    bad = totals["differences"] + totals["failures"] + len(stale)
    print(f"parity: {totals['cases']} corpus cases, {totals['differences']} differences, "
          f"{totals['failures']} peers that did not run, {len(stale)} stale listed differences "
          f"({totals['seconds']:.0f} s of runs)")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
