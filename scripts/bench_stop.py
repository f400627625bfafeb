#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Stop-rung benchmark (make bench): the SDEI stop rung's time with three
wedged CPUs, C driver vs Rust driver, in the same run.

bench_stop.py [ROUNDS]: boots the kdump-wedged3 scenario on TF-A ROUNDS
times per variant (default 5), alternating c and rust so that both see the
same machine load, reads each boot's rung time from the kernel log (from
"SMP: retry stop with SDEI NMI for CPUs 1-3" to "Starting crashdump
kernel..."), and writes the figures to results/stop-rung.md and stdout.
Exits non-zero when a boot gives no figure.  Not a timed test: the ratio is
reported, not enforced.
"""
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
import vm  # noqa: E402
from scenarios import SCENARIOS, boot, stop_rung_ms  # noqa: E402

OUT = os.path.join(vm.CACHE, "results", "stop-rung.md")
VARIANTS = ("c", "rust")


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    sc = next(s for s in SCENARIOS if s.name == "kdump-wedged3")
    times = {v: [] for v in VARIANTS}
    for i in range(rounds):
        for v in VARIANTS:
            ctx = boot(sc, v, True)
            ms = stop_rung_ms(ctx)
            if ms is None:
                print(f"round {i + 1} {v}: no stop-rung figure; last console lines:\n"
                      f"{ctx.boot.tail(30)}", file=sys.stderr)
                return 1
            times[v].append(ms)
            print(f"round {i + 1} {v}: {ms:.3f} ms", file=sys.stderr)
    med = {v: statistics.median(t) for v, t in times.items()}
    lines = [
        f"Stop rung, 3 wedged CPUs, {rounds} boots per variant on TF-A "
        "(from the rung's log line to \"Starting crashdump kernel...\"):",
        "",
        "| variant | median (ms) | min (ms) | max (ms) | all (ms) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for v in VARIANTS:
        t = times[v]
        lines.append(f"| {v} | {med[v]:.3f} | {min(t):.3f} | {max(t):.3f} | "
                     + ", ".join(f"{x:.3f}" for x in t) + " |")
    lines += ["", f"Rust/C median ratio: {med['rust'] / med['c']:.2f} (goal: at most 1.1)"]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
