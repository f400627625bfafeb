#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the parity matrix from the per-scenario KTAP results.

parity.py RESULTS_DIR VARIANT...: a Markdown table, one row per scenario and
firmware, one column per variant; exit 1 when a row differs between the
variants or a result is missing.
"""
import os
import re
import sys


def main(results, variants):
    res = {}
    for name in os.listdir(results):
        m = re.fullmatch(r"(\w+)-(.+)-(tf-a|no-firmware)\.ktap", name)
        if not m or m.group(1) not in variants:
            continue
        with open(os.path.join(results, name)) as f:
            last = f.read().strip().splitlines()[-1]
        res[(m.group(2), m.group(3), m.group(1))] = "pass" if last.startswith("ok ") else "FAIL"
    rows = sorted({(s, fw) for s, fw, _ in res}, key=lambda r: (r[1] != "tf-a", r[0]))
    same = True
    print("| scenario | firmware | " + " | ".join(variants) + " |")
    print("| --- | --- |" + " --- |" * len(variants))
    for s, fw in rows:
        cells = [res.get((s, fw, v), "missing") for v in variants]
        same &= len(set(cells)) == 1 and "missing" not in cells
        print(f"| {s} | {fw} | " + " | ".join(cells) + " |")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
