#!/usr/bin/env python3
"""Shows that scripts/parity/check.py can fail: on a small made-up corpus and made-up
wsconform reports, it must pass when the verdicts agree (through an unstable wstest
verdict, an allowed alternative and a deliberate difference), and fail naming the case,
the peer and both verdicts when one differs, when a case is missing, and when a listed
deliberate difference no longer occurs. Run by scripts/parity/check.sh before the check.
"""

import json
import os
import subprocess
import sys
import tempfile

CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check.py")

WSTEST = {"1.1.1": "OK/OK", "2.1": "OK/OK", "3.1": "NON-STRICT/OK", "4.1.1": "OK/OK"}
WSTEST_AGAIN = dict(WSTEST, **{"3.1": "OK/OK"})
ROWS = [
    ("alternative", "peer-*", "server", "2.1", "OK/OK", "NON-STRICT/OK", "a timing outcome"),
    ("deliberate", "peer-a", "*", "4.1.1,4.2.*", "OK/OK", "FAILED/OK", "we are stricter"),
]


def index(agent, verdicts):
    return {agent: {case: dict(zip(("behavior", "behaviorClose"), v.split("/")), remoteCloseCode=1000)
                    for case, v in verdicts.items()}}


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f)


def ours(root, verdicts):
    """A wsconform report of peer-a as server, with a reason per case."""
    out = os.path.join(root, "reports", "peer-a", "server")
    entries = {}
    for case, v in verdicts.items():
        name = f"case_{case}.json"
        b, c = v.split("/")
        entries[case] = {"behavior": b, "behaviorClose": c, "reportfile": name}
        write(os.path.join(out, name), {"reason": f"why {case} is {v}"})
    write(os.path.join(out, "index.json"), {"peer-a": entries})


def check(root, rows=ROWS):
    with open(os.path.join(root, "differences.tsv"), "w") as f:
        f.write("# test rows\n")
        for row in rows:
            f.write("\t".join(row) + "\n")
    done = subprocess.run(
        [sys.executable, CHECK, "--reports", os.path.join(root, "reports"), "--corpus",
         os.path.join(root, "corpus"), "--differences", os.path.join(root, "differences.tsv"),
         "--work", os.path.join(root, "work")],
        capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def main():
    good = dict(WSTEST, **{"2.1": "NON-STRICT/OK", "4.1.1": "FAILED/OK"})
    scenarios = [
        ("agreement", good, ROWS, 0, ["ok   peer-a server: 4 cases, 2 same as wstest, 1 deliberate, "
                                       "1 allowed alternative, 1 unstable in wstest", "listed: deliberate"]),
        ("one verdict differs", dict(good, **{"1.1.1": "FAILED/OK"}), ROWS, 1,
         ["FAIL peer-a server", "1.1.1: wstest OK/OK, wsconform FAILED/OK", "why 1.1.1 is FAILED/OK"]),
        ("unstable case outside both recordings", dict(good, **{"3.1": "FAILED/OK"}), ROWS, 1,
         ["3.1: wstest NON-STRICT/OK or OK/OK, wsconform FAILED/OK"]),
        ("a case not run", {k: v for k, v in good.items() if k != "2.1"}, ROWS, 1,
         ["2.1: wstest OK/OK, wsconform has no verdict"]),
        ("stale deliberate difference", dict(good, **{"4.1.1": "OK/OK"}), ROWS, 1,
         ["STALE deliberate difference", "peer-a * 4.1.1,4.2.*"]),
        ("alternative of another peer", good, [("alternative", "peer-b", "*", "2.1", "OK/OK", "NON-STRICT/OK", "x"),
                                               ROWS[1]], 1,
         ["2.1: wstest OK/OK, wsconform NON-STRICT/OK"]),
    ]
    for name, verdicts, rows, want_rc, want_text in scenarios:
        with tempfile.TemporaryDirectory() as root:
            write(os.path.join(root, "corpus", "peer-a", "server", "index.json"), index("peer-a", WSTEST))
            write(os.path.join(root, "corpus", "peer-a", "server", "index-2.json"), index("peer-a", WSTEST_AGAIN))
            ours(root, verdicts)
            rc, text = check(root, rows)
            missing = [t for t in want_text if t not in text]
            if rc != want_rc or missing:
                sys.exit(f"test_check: {name}: exit {rc} (want {want_rc}), missing {missing} in:\n{text}")
    print(f"test_check: the check passes and fails where it must ({len(scenarios)} scenarios)")


if __name__ == "__main__":
    main()
