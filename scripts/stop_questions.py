#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The recoverable stop's open questions, answered by runs (make stop-questions).

stop_questions.py [--from-logs] [VARIANT]: boots the kdump-smp3 scenario (CPUs 1-3 wedged
with interrupts masked, sysrq-c, an SMP capture kernel loaded with
nr_cpus=4, the kernel at EL2) on TF-A, once per way of stopping a CPU from
inside SDEI event 0, and reports for each what the stop rung said and what
the capture kernel did: how many CPUs it brought up, the PSCI errors, or,
when it hung, its last console lines and where each vCPU was (QEMU's
monitor, symbolised with the kernel's System.map).  The runs:

  park             sdei_stop=park: park inside the event, never completed
  off-uncompleted  PSCI CPU_OFF from inside the event, never completed (the
                   experiment tests/experiments/sdei-stop-off-uncompleted.patch,
                   kernel VARIANT-exp-sdei-stop-off-uncompleted)
  complete-park    sdei_stop=complete: complete the event, then park
  complete-off     the default: complete the event, then CPU_OFF
  no-gic-fix       the default, on a kernel without the GICv3 driver's drop
                   of stale SGIs (kernel VARIANT-nofix-stale-sgi)
  el1-ipi          the default, with the kernel at EL1 and CPU 1 left idle,
                   so that the stop IPI, not SDEI, stops it (v7.3's path)

With --from-logs, the saved logs of the last run ($SDEI_CACHE/results/
stop-questions/) are summarised again instead.  Writes
docs/stop-questions.md, and exits non-zero when a run does not end as
its row says it should (the expectation is part of the evidence).
"""
import copy
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "scripts"))
sys.path.insert(0, os.path.join(TOP, "tests"))
import vm  # noqa: E402
import vmcore  # noqa: E402
from scenarios import SCENARIOS, boot  # noqa: E402

OUT = os.path.join(TOP, "docs", "stop-questions.md")
LOGDIR = os.path.join(vm.CACHE, "results", "stop-questions")
BASE_APPEND = "crashkernel=256M nmi_watchdog=0"
EARLYCON = "earlycon=pl011,0x09000000"

# key, what is done, kernel suffix, extra command line, expected CPUs online
# in the capture kernel (None: it hangs before init), what is expected.
RUNS = [
    ("park", "park inside the event, never completed (`sdei_stop=park`)",
     "", "sdei_stop=park", "0", "capture kernel boots with CPU 0 only"),
    ("off-uncompleted", "PSCI `CPU_OFF` from inside the event, never completed "
     "(experiment patch)", "-exp-sdei-stop-off-uncompleted", "", None,
     "capture kernel hangs"),
    ("complete-park", "complete the event, then park (`sdei_stop=complete`)",
     "", "sdei_stop=complete", "0", "capture kernel boots with CPU 0 only"),
    ("complete-off", "complete the event, then PSCI `CPU_OFF` (default, `sdei_stop=off`)",
     "", "", "0-3", "capture kernel boots with CPUs 0-3"),
    ("no-gic-fix", "the default, the capture kernel without patch 18 (stale SGIs kept)",
     "-nofix-stale-sgi", "", "not 0-3", "capture kernel does not get CPUs 0-3"),
    ("el1-ipi", "the default, the kernel at EL1, CPUs 2-3 wedged: CPU 1 takes the stop IPI "
     "(v7.3's IPI path)", "", "", None, "capture kernel hangs"),
]
# Runs on another machine or script than kdump-smp3's: the kernel at EL1
# (GICv3 EOImode 0), and CPU 1 left idle for the stop IPI.
EL1_RUNS = {"el1-ipi"}

CAPTURE_LINES = (r"psci: failed to boot CPU\d+ \(-?\d+\)", r"CPU\d+: failed to come online",
                 r"WARNING: .* at .*", r"smp: Bringing up secondary CPUs \.\.\.",
                 r"smp: Brought up .*", r"sdei: SDEIv.*detected in firmware.*",
                 r"harness: capture cpus online .*")


def bl31_symbols():
    """TF-A's BL31 text symbols, for the vCPUs found at EL3."""
    elf = os.path.join(os.path.dirname(vm.firmware_path(True)), "build", "qemu", "release",
                       "bl31", "bl31.elf")
    syms = vmcore.SymbolMap.__new__(vmcore.SymbolMap)
    pairs = []
    if os.path.exists(elf):
        out = subprocess.run(["nm", elf], capture_output=True, text=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in "tT" and not f[2].startswith("$"):
                pairs.append((int(f[0], 16), f[2]))
    pairs.sort()
    syms.addrs = [a for a, _ in pairs]
    syms.names = [n for _, n in pairs]
    return syms


def summarise(ctx, sysmap, el3map):
    text = ctx.text
    rung = re.search(r"SMP: (retry stop with SDEI NMI for CPUs [^\n]*)", text)
    kexec = text.find("Starting crashdump kernel...")
    capture = text[kexec:] if kexec >= 0 else ""
    found = []
    for pat in CAPTURE_LINES:
        for m in re.finditer(r"^(?:\[\s*\d+\.\d+\] )?(" + pat + r")$", capture, re.M):
            found.append((m.start(), m.group(1)))
    seen = []
    for _, line in sorted(found):
        if line not in seen:
            seen.append(line)
    online = re.search(r"^harness: capture cpus online (\S+)$", capture, re.M)
    up = "harness: capture kernel up" in capture
    vcpus = []
    for m in re.finditer(r"^host: cpu (\d+) pc ([0-9a-f]+) (\S+)$", text, re.M):
        pc = int(m.group(2), 16)
        if m.group(3).startswith("EL3"):
            where = f"TF-A {el3map.lookup(pc) or hex(pc)}"
        else:
            where = sysmap.lookup(pc) or hex(pc)
        vcpus.append(f"CPU{m.group(1)} {m.group(3)} {where}")
    return {
        "rung": rung.group(1) if rung else None,
        "kexec": kexec >= 0,
        "up": up,
        "online": online.group(1) if online else None,
        "lines": seen,
        "timed_out": ctx.boot.timed_out,
        "tail": [] if up else [l for l in ctx.lines if not l.startswith("host: ")][-8:],
        "vcpus": vcpus,
    }


def as_expected(r, want):
    if want is None:
        return r["kexec"] and not r["up"]
    if want.startswith("not "):
        return r["kexec"] and r["online"] != want[4:]
    return r["up"] and r["online"] == want


class SavedBoot:
    """A boot as vm.boot() saved it (LOGDIR/KEY.log: the QEMU command line, then the
    console), for --from-logs; it timed out if the monitor was asked."""

    def __init__(self, path):
        with open(path) as f:
            self.lines = f.read().splitlines()[1:]
        self.text = "\n".join(self.lines)
        self.timed_out = any(l.startswith("host: ") for l in self.lines)


class SavedCtx:
    def __init__(self, path):
        self.boot = SavedBoot(path)
        self.lines, self.text = self.boot.lines, self.boot.text


def main():
    args = sys.argv[1:]
    # --from-logs: summarise the logs of the last run again, without booting
    from_logs = "--from-logs" in args
    args = [a for a in args if a != "--from-logs"]
    variant = args[0] if args else "c"
    sc = copy.copy(next(s for s in SCENARIOS if s.name == "kdump-smp3"))
    # The capture kernel's console from its first line: a capture kernel that
    # hangs before its console driver is up shows where.
    sc.script = sc.script.replace("nr_cpus=4", f"nr_cpus=4 {EARLYCON}")
    el3map = bl31_symbols()
    results, bad = [], 0
    for key, what, suffix, extra, want, expect in RUNS:
        v = variant + suffix
        print(f"==> {key}: {what} ({v})", file=sys.stderr)
        run_sc = sc
        if key in EL1_RUNS:
            run_sc = copy.copy(sc)
            run_sc.el2 = False
            run_sc.script = (sc.script.replace("for n in 1 2 3", "for n in 2 3")
                             .replace("-eq 3", "-eq 2"))
        logfile = os.path.join(LOGDIR, f"{key}.log")
        if from_logs:
            ctx = SavedCtx(logfile)
        else:
            ctx = boot(run_sc, v, True, append=f"{BASE_APPEND} {extra}".strip(),
                       regs_at_timeout=True, logfile=logfile)
        r = summarise(ctx, vmcore.SymbolMap(os.path.join(vm.BUILD, v, "System.map")), el3map)
        ok = as_expected(r, want)
        bad += not ok
        results.append((key, what, v, extra, expect, ok, r))
        print(f"    {'as expected' if ok else 'NOT AS EXPECTED'}: online {r['online']}, "
              f"{'; '.join(r['lines'])}", file=sys.stderr)
    write(results, variant)
    print(f"stop-questions: {len(results) - bad} of {len(results)} runs as expected; "
          f"{os.path.relpath(OUT, TOP)} written", file=sys.stderr)
    return 1 if bad else 0


def write(results, variant):
    out = [
        "# Stopping a CPU from inside SDEI event 0: the runs",
        "",
        "Generated by `make stop-questions` (scripts/stop_questions.py) from one run",
        f"each, `VARIANT={variant}`: the kdump-smp3 scenario on QEMU with TF-A 2.12.1,",
        "the kernel at EL2 (el1-ipi: EL1, CPU 1 idle), CPUs 1-3 wedged with interrupts masked, "
        "`sysrq-c`, an SMP",
        f"capture kernel (`nr_cpus=4 {EARLYCON}`). Logs: `$SDEI_CACHE/results/stop-questions/`.",
        "",
        "| run | what the SDEI stop rung does | expected | capture kernel: CPUs online | as expected |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, what, v, extra, expect, ok, r in results:
        got = (r["online"] if r["up"] else
               "hung before init" if r["kexec"] else "no crash kernel started")
        out.append(f"| {key} | {what} | {expect} | {got} | {'yes' if ok else '**no**'} |")
    out.append("")
    for key, what, v, extra, expect, ok, r in results:
        out += [f"## {key}", "", f"Kernel `{v}`, command line extra `{extra or '-'}`.", "",
                "```"]
        out.append(f"SMP: {r['rung']}" if r["rung"] else "(no SDEI stop rung line)")
        out += ["-- capture kernel --"] + (r["lines"] or ["(none of the lines looked for)"])
        if r["tail"]:
            out += [f"-- last console lines{' at the timeout' if r['timed_out'] else ''} --"]
            out += r["tail"]
        if r["vcpus"]:
            out += ["-- where each vCPU was at the timeout (QEMU monitor) --"] + r["vcpus"]
        out += ["```", ""]
    with open(OUT, "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    sys.exit(main())
