#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hardlockup detection latency of the SDEI detector (make bench-watchdog).

bench_watchdog.py [ROUNDS]: boots the watchdog variant on TF-A with
watchdog_thresh 2, 5 and 10, ROUNDS times each (default 3), wedges CPU 1
after a random delay of up to one watchdog_thresh (so at a random phase of
the hrtimers; the delays are seeded, so a rerun repeats them) and reads
from the kernel log the time from the wedge ("lkdtm: Performing direct
entry HARDLOCKUP") to "CPU1: Watchdog detected hard LOCKUP on cpu 1".
Writes results/watchdog-latency.md and prints it.  Exits non-zero when a
boot gives no figure.
"""
import os
import random
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
import vm  # noqa: E402
from scenarios import Ctx  # noqa: E402
from test_watchdog import VARIANT, WEDGE, latency, wait_report  # noqa: E402

OUT = os.path.join(vm.CACHE, "results", "watchdog-latency.md")
THRESHOLDS = (2, 5, 10)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    rows = ["| watchdog_thresh (s) | latency, median (s) | min (s) | max (s) | "
            "max / thresh | all (s) |", "| --- | --- | --- | --- | --- | --- |"]
    for thresh in THRESHOLDS:
        times = []
        for i in range(rounds):
            delay = random.Random(thresh * 1000 + i).uniform(0, thresh)
            script = (f"ktap_plan latency 1\nusleep {int(delay * 1e6)}\n{WEDGE}\n"
                      f"{wait_report(3 * thresh + 5)}\ndump_dmesg\n")
            boot = vm.boot(script, variant=VARIANT, firmware=True,
                           append=f"watchdog_thresh={thresh}", timeout=6 * thresh + 60)
            t = latency(Ctx(boot, os.path.join(vm.BUILD, VARIANT, "System.map"), VARIANT))
            if t is None:
                print(f"thresh {thresh} round {i + 1}: no report; last lines:\n{boot.tail(30)}",
                      file=sys.stderr)
                return 1
            print(f"thresh {thresh} round {i + 1}: wedged after {delay:.2f} s, reported "
                  f"{t:.2f} s later", file=sys.stderr)
            times.append(t)
        rows.append(f"| {thresh} | {statistics.median(times):.2f} | {min(times):.2f} | "
                    f"{max(times):.2f} | {max(times) / thresh:.2f} | "
                    + ", ".join(f"{t:.2f}" for t in times) + " |")
    text = (f"SDEI hardlockup detector, CPU 1 wedged {rounds} times per threshold on TF-A, "
            "each after a random delay of up to one watchdog_thresh "
            "(wedge to report, kernel timestamps):\n\n" + "\n".join(rows) + "\n")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
