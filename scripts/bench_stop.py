#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Stop-rung benchmark (make bench): the SDEI stop rung's time with three
wedged CPUs, C driver vs Rust driver, and the recoverable stop (complete
event 0, then PSCI CPU_OFF: the default) vs the old park inside the event
(sdei_stop=park), all in the same run.

bench_stop.py [ROUNDS]: boots the kdump-wedged3 scenario on TF-A ROUNDS
times per variant and stop mode (default 5), alternating them so that all
see the same machine load, reads each boot's rung time from the kernel log
(from "SMP: retry stop with SDEI NMI for CPUs 1-3" to "Starting crashdump
kernel..."), and writes the figures to results/stop-rung.md and stdout.
Exits non-zero when a boot gives no figure.  Not a timed test: the ratios
are reported, not enforced.
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
# mode, its kernel command line, what it does
MODES = (("off", "", "complete the event, then CPU_OFF (default)"),
         ("park", "sdei_stop=park", "park inside the event (before patch 19)"))


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    sc = next(s for s in SCENARIOS if s.name == "kdump-wedged3")
    runs = [(v, m, extra) for v in VARIANTS for m, extra, _ in MODES]
    times = {(v, m): [] for v, m, _ in runs}
    for i in range(rounds):
        for v, m, extra in runs:
            ctx = boot(sc, v, True, append=f"{sc.append} {extra}".strip())
            ms = stop_rung_ms(ctx)
            if ms is None:
                print(f"round {i + 1} {v} {m}: no stop-rung figure; last console lines:\n"
                      f"{ctx.boot.tail(30)}", file=sys.stderr)
                return 1
            times[(v, m)].append(ms)
            print(f"round {i + 1} {v} {m}: {ms:.3f} ms", file=sys.stderr)
    med = {k: statistics.median(t) for k, t in times.items()}
    what = {m: w for m, _, w in MODES}
    lines = [
        f"Stop rung, 3 wedged CPUs, {rounds} boots per variant and stop mode on TF-A, "
        "interleaved (from the rung's log line to \"Starting crashdump kernel...\", "
        "which crash_smp_send_stop() prints once every target is offline):",
        "",
        "| variant | stop mode | median (ms) | min (ms) | max (ms) | all (ms) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for v, m, _ in runs:
        t = times[(v, m)]
        lines.append(f"| {v} | {m}: {what[m]} | {med[(v, m)]:.3f} | {min(t):.3f} | "
                     f"{max(t):.3f} | " + ", ".join(f"{x:.3f}" for x in t) + " |")
    lines += [""]
    for v in VARIANTS:
        lines.append(f"{v}: off/park median ratio {med[(v, 'off')] / med[(v, 'park')]:.2f}")
    for m, _, _ in MODES:
        lines.append(f"{m}: Rust/C median ratio {med[('rust', m)] / med[('c', m)]:.2f} "
                     "(goal: at most 1.1)")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
