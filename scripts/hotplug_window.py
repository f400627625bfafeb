#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The hotplug window on TF-A, layer by layer (make hotplug-window).

hotplug_window.py [ROUNDS] [SECONDS]: boots each kernel variant (VARIANTS,
default c and rust; c-nofix and rust-nofix are the same without the
kernel's fix, scripts/nofix.sh) on each TF-A flavour (FLAVOURS, default stock, trace
and fixed: scripts/firmware.sh), ROUNDS times (default 2), and runs
sysrq-l storms and CPU 1-3 offline/online cycles overlapping for SECONDS
(default 60) with load on every CPU (guest/soak.sh with SOAK_TURNS=0,
stressors "sysrq hotplug", nmi_watchdog=0; three sysrq-l requests, then
SYSRQ_PAUSE_US, default 0.3 s).  Per boot: did it hang (a
stressor still running a minute after the end: a CPU hotplug write that
never returned), the masked triggers TF-A reported (trace and fixed print
one console line for each event 0 that met a masked PE), the requests
that waited their 10 s, and the work done.  Writes
results/hotplug-window.md (each boot's console in results/hotplug-window/)
and prints it; exits non-zero when a boot gives
no verdict.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm  # noqa: E402

OUT = os.path.join(vm.CACHE, "results", "hotplug-window.md")
MASKED = re.compile(r"SDEI: event 0 SGI \d+ at masked PE")
# A storm of three sysrq-l requests every 0.3 s (the soak's pace is every
# 3 s, at which 60 s rarely meet the window).
PAUSE_US = int(os.environ.get("SYSRQ_PAUSE_US", "300000"))
RERAISED = re.compile(r"SDEI: event 0 raised again at unmasked PE")


def counter(text, name):
    m = re.search(rf"^harness: soak {re.escape(name)} (\d+)$", text, re.M)
    return int(m.group(1)) if m else None


def one(variant, flavour, seconds, n):
    script = (f"SOAK_TURNS=0 SOAK_SYSRQ_PAUSE_US={PAUSE_US} sh /harness/soak.sh {seconds} "
              "'sysrq hotplug'\n")
    boot = vm.boot(script, variant=variant, firmware=flavour,
                   append="nmi_watchdog=0 log_buf_len=32M", timeout=seconds + 180,
                   logfile=os.path.join(vm.CACHE, "results", "hotplug-window",
                                        f"{variant}-{flavour}-{n}.log"))
    text = boot.text
    stuck = "harness: soak stuck stressors" in text
    finished = re.search(r"^harness: soak cpus online ", text, re.M) is not None
    if stuck or (boot.timed_out and not finished):
        verdict = "hang"
    elif finished:
        verdict = "ok"
    else:
        verdict = None
    row = {
        "verdict": verdict,
        "masked": len(MASKED.findall(text)),
        "reraised": len(RERAISED.findall(text)),
        "cycles": counter(text, "cpu-online"),
        "requests": counter(text, "sysrq-l"),
        "waited": counter(text, "requests-waited-10s"),
        "skipped": counter(text, "cpus-skipped"),
        "online": (re.findall(r"^harness: soak cpus online (\S+)$", text, re.M) or ["?"])[-1],
    }
    state = re.findall(r"^harness: soak (cpu\d hotplug state \d+)$", text, re.M)
    if stuck:
        row["online"] = "stuck: " + ", ".join(state)
    return row, boot


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    variants = os.environ.get("VARIANTS", "c rust").split()
    flavours = os.environ.get("FLAVOURS", "stock trace fixed").split()
    rows = ["| variant | TF-A | boot | verdict | masked triggers (TF-A) | raised again at unmask "
            "| requests waited 10 s | CPUs left out (kernel fix) | online/offline cycles | sysrq-l requests "
            "| CPUs online at the end |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    rc = 0
    for flavour in flavours:
        for variant in variants:
            for i in range(rounds):
                r, boot = one(variant, flavour, seconds, i + 1)
                na = lambda v: "-" if v is None else str(v)  # noqa: E731
                if r["verdict"] is None:
                    rc = 1
                    print(f"{variant}/{flavour} #{i + 1}: no verdict; last lines:\n{boot.tail(40)}",
                          file=sys.stderr)
                print(f"{variant}/{flavour} #{i + 1}: {r['verdict']}, {boot.seconds:.0f} s", file=sys.stderr)
                rows.append(f"| {variant} | {flavour} | {i + 1} | {r['verdict'] or 'none'} | "
                            f"{na(r['masked']) if flavour != 'stock' else 'not shown'} | "
                            f"{na(r['reraised']) if flavour == 'fixed' else '-'} | "
                            f"{na(r['waited'])} | {na(r['skipped'])} | {na(r['cycles'])} | "
                            f"{na(r['requests'])} | "
                            f"{r['online']} |")
    text = (f"sysrq-l storms (3 requests, then {PAUSE_US / 1e6:g} s) and CPU 1-3 offline/online cycles "
            f"overlapping for {seconds} s, load on every CPU, nmi_watchdog=0, on QEMU virt with "
            f"TF-A 2.12.1 (scripts/hotplug_window.py, {rounds} boots each):\n\n"
            + "\n".join(rows) + "\n")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write(text)
    print(text)
    return rc


if __name__ == "__main__":
    sys.exit(main())
