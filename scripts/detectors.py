#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The hardlockup detectors side by side (make detectors).

detectors.py [--check] [--cover]: reads the scenario logs of the last make test
(results/{buddy,watchdog,perf}-hardlockup-*.log: the same scenarios on the
buddy detector with the C driver's SDEI backtraces, booted on the c
variant's kernel, on the SDEI detector, and on the perf detector with
pseudo-NMI) and writes the comparison table to docs/detectors.md and into
the README between its detectors-table markers.  Every cell is read from a log; a
missing log is a missing cell.  --check exits non-zero when the SDEI
detector is worse than buddy + SDEI on a row, or not better on the
neighbour-pair row.  --cover prints the table as the cover letter's block
instead.
"""
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "scripts"))
sys.path.insert(0, os.path.join(TOP, "tests"))
import vm  # noqa: E402
import vmcore  # noqa: E402
from scenarios import Ctx, LKDTM_SPIN, cpu1_pc_in_spin  # noqa: E402
from test_watchdog import (LOCKUP_SPIN, SOAK_SECONDS, el3_window, healthy, latency,  # noqa: E402
                           reports, reports_per_lockup, soak_counts)

RESULTS = os.environ.get("SDEI_RESULTS", os.path.join(vm.CACHE, "results"))
DOC = os.path.join(TOP, "docs", "detectors.md")
README = os.path.join(TOP, "README.md")
BEGIN, END = "<!-- detectors-table begin -->", "<!-- detectors-table end -->"
# (result tag, kernel variant, title)
COLUMNS = (("buddy", "c", "buddy + SDEI backtraces (v7.3, `c` variant)"),
           ("watchdog", "watchdog", "SDEI detector (`watchdog` variant)"),
           ("perf", "perf", "perf on pseudo-NMI (`perf` variant)"))
# The columns' names in the cover letter's block (--cover).
SHORT = ("buddy + SDEI", "SDEI detector", "perf, pseudo-NMI")
# --check compares the SDEI detector with buddy + SDEI, the detector it replaces.
BASE, NEW = 0, 1


def ctx(tag, variant, name, firmware="tf-a"):
    path = os.path.join(RESULTS, f"{tag}-{name}-{firmware}.log")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        lines = f.read().splitlines()[1:]  # the first line is the QEMU command
    return Ctx(vm.Boot(lines, False, 0, path), os.path.join(vm.BUILD, variant, "System.map"),
               variant)


def who(r, spin):
    """'CPU 1 itself' or 'CPU 0', and whether the registers shown are the spin's."""
    by = "itself" if r[0] == r[1] else f"CPU {r[0]}"
    regs = "stuck registers" if r[2].startswith(spin) else f"no stuck registers (pc : {r[2]})"
    return by, regs, r[2].startswith(spin)


def one_locked(c):
    """Score: 2 reported with the stuck registers, 1 reported, 0 not (without firmware neither
    detector can show them)."""
    rs = reports(c, 1)
    t = latency(c)
    if not rs:
        return "not reported", 0
    by, regs, stuck = who(rs[0], LKDTM_SPIN + "+")
    return f"by {by}, {regs}, {t:.1f} s", 2 if stuck else 1


def twice(c):
    lockups = reports_per_lockup(c)
    cells = [f"{mine[0][3] - t0:.1f} s by {who(mine[0], LOCKUP_SPIN)[0]}" if mine else "missed"
             for t0, mine in lockups]
    n = sum(1 for _, mine in lockups if mine)
    return f"{n} of {len(lockups)} reported ({', '.join(cells)})", n


def neighbours(c):
    got, n = [], 0
    for cpu in (1, 2):
        rs = reports(c, cpu)
        if rs:
            n += 1
            by, regs, _ = who(rs[0], LKDTM_SPIN + "+")
            got.append(f"CPU {cpu} by {by}, {regs}")
        else:
            got.append(f"CPU {cpu} not reported")
    return f"{n} of 2: " + "; ".join(got), n


def ktap_detail(c, check):
    """The detail of CHECK in the boot's KTAP (resolved when the boot was judged, against the
    System.map of the kernel it ran)."""
    path = c.boot.logfile[:-len(".log")] + ".ktap"
    if not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            m = re.search(r"\bok \d+ " + re.escape(check) + r"(?: # (.*))?$", line)
            if m:
                return (not line.lstrip().startswith("not ok"), m.group(1) or "")
    return None


def panic(c):
    try:
        notes = vmcore.prstatus(vmcore.head_from_log(c.lines))
    except vmcore.VmcoreError as e:
        return f"no vmcore ({e})", 0
    rs = reports(c, 1)
    by = f"panic on CPU {rs[0][0]}" if rs else "no report"
    d = ktap_detail(c, "cpu1-pc-in-spin-in-vmcore")
    if d is None:
        # Not a check of this detector's run (perf's: the stuck CPU panics itself): read it
        # here, against the System.map of the kernel as it is now.
        d = cpu1_pc_in_spin(c)
    pc = d[1].split(" = ", 1)[-1] if " = " in d[1] else "missing"
    return f"{by}; vmcore: {len(notes)} PRSTATUS, CPU 1's pc {pc}", 1 if d[0] else 0


def soak(c):
    m = re.search(r"^harness: soak reports (\d+)$", c.text, re.M)
    if not m:
        return "did not finish", 0
    n = soak_counts(c)
    ops = sum(v for k, v in n.items() if not k.endswith("failed") and k != "reports")
    return f"{m.group(1)} false reports ({ops} stressor operations)", 1 if m.group(1) == "0" else 0


def healthy_cost(c):
    """Score: minus the SDEI dispatches and PMU interrupts per second (fewer is better)."""
    h = healthy(c)
    ctl = el3_window(c, "control")
    if "seconds" not in h or "sdei" not in h or "pmu" not in h or ctl is None:
        return f"incomplete ({h})", None
    n = h["sdei"] + h["pmu"]
    pmu = "NMIs" if c.has(r"hw perfevents: .* using NMIs") else "interrupts"
    rate = f" ({h['pmu'] / h['seconds']:.2f}/s)" if h["pmu"] else ""
    return (f"{h['sdei']} SDEI dispatches, {h['pmu']} PMU {pmu}{rate} in {h['seconds']:.1f} s "
            f"(sysrq-l after: {ctl[0]} dispatches)", -n / h["seconds"])


ROWS = [
    ("One CPU locked (LKDTM, `watchdog_thresh=5`): who reports, with which registers, latency",
     "hardlockup-detected", "tf-a", one_locked),
    ("The same CPU locked twice (test_lockup, 10 s each; 60 s on perf)", "hardlockup-twice",
     "tf-a", twice),
    ("Two neighbours in the ring locked together (CPUs 1 and 2)", "hardlockup-neighbours", "tf-a",
     neighbours),
    ("`nmi_watchdog=panic` with a capture kernel: who panics, the vmcore's PRSTATUS for CPU 1",
     "hardlockup-panic", "tf-a", panic),
    ("No SDEI firmware (QEMU without TF-A), one CPU locked", "hardlockup-detected", "no-firmware",
     one_locked),
    (f"Soak: {SOAK_SECONDS} s of load, sysrq-l, `nmi_watchdog` and `watchdog_thresh` changes, "
     "CPU hotplug", "hardlockup-soak", "tf-a", soak),
    ("Healthy system (20 s, 60 s on perf; half idle, half every CPU busy): SDEI dispatches "
     "counted at EL3 by QEMU, PMU interrupts from `/proc/interrupts`", "hardlockup-healthy",
     "tf-a", healthy_cost),
]


def main():
    check = "--check" in sys.argv[1:]
    cover = []
    table = ["| scenario | " + " | ".join(t for _, _, t in COLUMNS) + " |",
             "| --- | " + " | ".join("---" for _ in COLUMNS) + " |"]
    worse, missing, better_pair = [], [], False
    for title, name, fw, fn in ROWS:
        cells, scores = [], []
        for tag, v, _ in COLUMNS:
            c = ctx(tag, v, name, fw)
            if c is None:
                cells.append("(no log)")
                scores.append(None)
                missing.append(f"{tag}-{name}-{fw}")
                continue
            cell, score = fn(c)
            cells.append(cell)
            scores.append(score)
        table.append(f"| {title} | " + " | ".join(cells) + " |")
        cover.append(f" - {title.replace('`', '')}:")
        cover += [f"     {n}: {cell}" for n, cell in zip(SHORT, cells)]
        if None in (scores[BASE], scores[NEW]):
            missing.append(f"{title}: no score")
        else:
            if scores[NEW] < scores[BASE]:
                worse.append(title)
            if name == "hardlockup-neighbours" and scores[NEW] > scores[BASE]:
                better_pair = True
    text = ("Generated by `make detectors` from the logs of the last `make test` "
            "(the `hardlockup-*` scenarios, which boot the `c`, `watchdog` and `perf` kernels "
            "on the same QEMU machine and TF-A build; latencies are from the kernel's "
            "timestamps, wedge to report). The perf detector's NMI period is `watchdog_thresh` "
            "times the CPU's maximum frequency from cpufreq, or times 5 GHz without cpufreq, as "
            "here; QEMU's cycle counter counts at 1 GHz, so under TCG its period is 25 s at "
            "`watchdog_thresh=5`, five times what it is on a CPU that cpufreq knows, and its "
            "runs wait and lock up for 60 s where the others' take 10 to 12 s. Its NMIs on a "
            "healthy system come every 2^31 cycles on each CPU, not once a period: the "
            "detector's perf event is a 32-bit counter, whose period arm_pmu programs at most "
            "half its range at a time, so that is 2.15 s at QEMU's 1 GHz (0.72 s on a CPU "
            "that runs at 3 GHz). The SDEI dispatches are the exception returns from EL3 to "
            "the kernel's SDEI entry point in QEMU's `-d int` log; a sysrq-l after the window "
            "shows that the count sees the dispatches there are.\n\n"
            + "\n".join(table) + "\n")
    with open(DOC, "w") as f:
        f.write("# The hardlockup detectors side by side\n\n" + text)
    with open(README) as f:
        readme = f.read()
    if BEGIN in readme and END in readme:
        i, j = readme.index(BEGIN) + len(BEGIN), readme.index(END)
        with open(README, "w") as f:
            f.write(readme[:i] + "\n" + text + readme[j:])
    print("\n".join(cover) if "--cover" in sys.argv[1:] else text)
    if missing:
        print("missing logs: " + ", ".join(missing), file=sys.stderr)
    if check and (worse or missing or not better_pair):
        print(f"detectors: worse on {worse}, better on the neighbour pair: {better_pair}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
