#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The recoverable stop's open questions, answered by runs (make stop-questions).

stop_questions.py [VARIANT]: boots the kdump-smp3 scenario (CPUs 1-3 wedged
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

Writes docs/stop-questions.md, and exits non-zero when a run does not end as
its row says it should (the expectation is part of the evidence).
"""
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "scripts"))
sys.path.insert(0, os.path.join(TOP, "tests"))
import vm  # noqa: E402
import vmcore  # noqa: E402
from scenarios import SCENARIOS, boot  # noqa: E402

OUT = os.path.join(TOP, "docs", "stop-questions.md")
BASE_APPEND = "crashkernel=256M nmi_watchdog=0"

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
]

CAPTURE_LINES = (r"psci: failed to boot CPU\d+ \(-?\d+\)", r"CPU\d+: failed to come online",
                 r"smp: Brought up .*", r"sdei: SDEIv.*detected in firmware.*",
                 r"harness: capture cpus online .*")


def summarise(ctx, sysmap):
    text = ctx.text
    rung = re.search(r"SMP: (retry stop with SDEI NMI for CPUs [^\n]*)", text)
    kexec = text.find("Starting crashdump kernel...")
    capture = text[kexec:] if kexec >= 0 else ""
    seen = []
    for pat in CAPTURE_LINES:
        for m in re.finditer(r"^(?:\[\s*\d+\.\d+\] )?(" + pat + r")$", capture, re.M):
            if m.group(1) not in seen:
                seen.append(m.group(1))
    online = re.search(r"^harness: capture cpus online (\S+)$", capture, re.M)
    up = "harness: capture kernel up" in capture
    vcpus = []
    for m in re.finditer(r"^host: cpu (\d+) pc ([0-9a-f]+) (\S+)$", text, re.M):
        pc = int(m.group(2), 16)
        where = "TF-A (EL3)" if m.group(3).startswith("EL3") else (sysmap.lookup(pc) or hex(pc))
        vcpus.append(f"CPU{m.group(1)} {m.group(3)} {where}")
    return {
        "rung": rung.group(1) if rung else None,
        "kexec": kexec >= 0,
        "up": up,
        "online": online.group(1) if online else None,
        "lines": seen,
        "timed_out": ctx.boot.timed_out,
        "tail": [] if up else ctx.lines[-6:],
        "vcpus": vcpus,
    }


def as_expected(r, want):
    if want is None:
        return r["kexec"] and not r["up"]
    if want.startswith("not "):
        return r["kexec"] and r["online"] != want[4:]
    return r["up"] and r["online"] == want


def main():
    variant = sys.argv[1] if len(sys.argv) > 1 else "c"
    sc = next(s for s in SCENARIOS if s.name == "kdump-smp3")
    results, bad = [], 0
    for key, what, suffix, extra, want, expect in RUNS:
        v = variant + suffix
        print(f"==> {key}: {what} ({v})", file=sys.stderr)
        ctx = boot(sc, v, True, append=f"{BASE_APPEND} {extra}".strip(), regs_at_timeout=True,
                   logfile=os.path.join(vm.CACHE, "results", "stop-questions", f"{key}.log"))
        r = summarise(ctx, vmcore.SymbolMap(os.path.join(vm.BUILD, v, "System.map")))
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
        "the kernel at EL2, CPUs 1-3 wedged with interrupts masked, `sysrq-c`, an SMP",
        "capture kernel (`nr_cpus=4`). Logs: `$SDEI_CACHE/results/stop-questions/`.",
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
