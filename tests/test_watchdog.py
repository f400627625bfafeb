# SPDX-License-Identifier: GPL-2.0
"""Scenarios of the SDEI hardlockup detector (VARIANT=watchdog: the Rust port
with CONFIG_ARM_SDEI_NMI_WATCHDOG, which replaces the buddy detector).

Same rules as the parity scenarios: each scenario boots on TF-A, where every
check must hold, and without firmware, where the sanity checks must hold
and every SDEI claim must fail.
"""
import os
import re

import pytest

from scenarios import (HANDLER_PATH, KEXEC_CHECKS, KEXEC_LOAD, SANITY, Check, Scenario, boot,
                       guest_ok, has, kdump_notes, kselftest, lacks, prstatus_all_cpus,
                       wedge_pid)
from test_scenarios import RESULTS, report

VARIANT = "watchdog"
WEDGE = "wedge_cpu 1 && ktap_result OK wedge-cpu1 || ktap_result FAIL wedge-cpu1"
REPORT = r"CPU(\d+): Watchdog detected hard LOCKUP on cpu 1\b"


def wait_report(seconds):
    """Guest: wait up to SECONDS for a hard lockup report on CPU 1."""
    return (f"wait_klog 'Watchdog detected hard LOCKUP on cpu 1' {seconds} && "
            "echo 'harness: lockup reported' || echo 'harness: no lockup report'")


def ts(line):
    m = re.match(r"^\[\s*(\d+\.\d+)\]", line)
    return float(m.group(1)) if m else None


def latency(c):
    """Seconds from the wedge to the report, from the kernel's timestamps."""
    t0 = t1 = None
    for line in c.dmesg:
        if t0 is None and "lkdtm: Performing direct entry HARDLOCKUP" in line:
            t0 = ts(line)
        if t1 is None and re.search(REPORT, line):
            t1 = ts(line)
    return None if t0 is None or t1 is None else t1 - t0


def reported_by_itself(c):
    """CPU 1 reported its own lockup (so from SDEI context), with its own
    registers: the report's pc is in the LKDTM spin."""
    i = c.index(REPORT)
    if i < 0:
        return False, "no hard lockup report for cpu 1"
    by = re.search(REPORT, c.dmesg[i]).group(1)
    pcs = [l for l in c.dmesg[i:i + 40] if re.search(r"\bpc : ", l)]
    pc = pcs[0].split("pc : ", 1)[1].strip() if pcs else "none"
    ok = by == "1" and pc.startswith("lkdtm_HARDLOCKUP+")
    return ok, f"reported by CPU{by}, pc : {pc}"


def within(limit):
    def fn(c):
        t = latency(c)
        if t is None:
            return False, "no report"
        return t <= limit, f"detected {t:.2f} s after the wedge (limit {limit} s)"
    return fn


def wedged_task_noted(c):
    pid = wedge_pid(c)
    pids = [n[0] for n in kdump_notes(c)]
    return pid in pids, f"wedged task {pid}, PRSTATUS pids {pids}"


DETECTOR_UP = Check("detector-on-sdei", has(r"sdei_nmi: hardlockup detector: each CPU checks itself"),
                    sdei=True)
# Inverse claim: the log says the detector is unavailable only without SDEI.
NOT_UNAVAILABLE = Check("detector-available", lacks(r"hardlockup detector not available"), sdei=True)

SCENARIOS = [
    Scenario(
        "hardlockup-detected",
        "watchdog_thresh=5, CPU 1 wedged: CPU 1 reports its own hard lockup within 2 x 5 s.",
        f"""
ktap_plan hardlockup-detected 1
{WEDGE}
{wait_report(12)}
dump_dmesg
""",
        SANITY + [
            Check("wedge-cpu1", guest_ok("wedge-cpu1")),
            DETECTOR_UP, NOT_UNAVAILABLE,
            Check("reported-by-cpu1-in-lkdtm-spin", reported_by_itself, sdei=True),
            Check("detected-within-2x-thresh", within(10), sdei=True),
        ],
        append="watchdog_thresh=5"),
    Scenario(
        "hardlockup-nmi-watchdog-off",
        "Control: nmi_watchdog=0, CPU 1 wedged: no hard lockup report.",
        f"""
ktap_plan hardlockup-nmi-watchdog-off 1
{WEDGE}
{wait_report(12)}
dump_dmesg
""",
        SANITY + [
            Check("wedge-cpu1", guest_ok("wedge-cpu1")),
            NOT_UNAVAILABLE,
            Check("no-report", lacks(r"Watchdog detected hard LOCKUP")),
        ],
        append="watchdog_thresh=5 nmi_watchdog=0"),
    Scenario(
        "hardlockup-cpumask-excludes-cpu1",
        "Control: watchdog_cpumask 0,2-3 (sysctl), CPU 1 wedged: no report for CPU 1.",
        f"""
ktap_plan hardlockup-cpumask-excludes-cpu1 1
echo 0,2-3 >/proc/sys/kernel/watchdog_cpumask
echo "harness: watchdog_cpumask $(cat /proc/sys/kernel/watchdog_cpumask)"
{WEDGE}
{wait_report(12)}
dump_dmesg
""",
        SANITY + [
            Check("wedge-cpu1", guest_ok("wedge-cpu1")),
            Check("cpumask-set", has(r"^harness: watchdog_cpumask 0,2-3$")),
            DETECTOR_UP, NOT_UNAVAILABLE,
            Check("no-report-for-cpu1", lacks(r"Watchdog detected hard LOCKUP on cpu 1\b")),
        ],
        append="watchdog_thresh=5"),
]


SCENARIOS.append(Scenario(
    "hardlockup-panic",
    "nmi_watchdog=panic, capture kernel loaded, CPU 1 wedged: CPU 1 panics from its own check "
    "and kdump captures every CPU, CPU 1 in the LKDTM spin.",
    f"""
ktap_plan hardlockup-panic 3
{KEXEC_LOAD}
{WEDGE}
echo "harness: wedge pid $WEDGE_PID"
# CPU 1 panics within 2 x watchdog_thresh (10 s); without a panic by 20 s
# there is none to wait for (the no-firmware control): reset, which works
# with CPU 1 wedged where poweroff may not (see poweroff-wedged).
sleep 20
echo "harness: no panic 20 s after the wedge: sysrq-b"
echo b >/proc/sysrq-trigger
""",
    SANITY + [
        *KEXEC_CHECKS,
        Check("wedge-cpu1", guest_ok("wedge-cpu1")),
        Check("panic-on-hard-lockup", has(r"Kernel panic - not syncing: Hard LOCKUP"), sdei=True),
        Check("capture-kernel-init", has(r"^harness: capture kernel up"), sdei=True),
        Check("vmcore-readable", guest_ok("vmcore-readable"), sdei=True),
        Check("reported-by-cpu1-in-lkdtm-spin", reported_by_itself, sdei=True),
        Check("prstatus-every-cpu", prstatus_all_cpus, sdei=True),
        # CPU 1 panics itself: panic() saves its registers in __crash_kexec(), as for any
        # hardlockup panic, so its note is there but its pc is not the spin's.
        Check("wedged-task-in-vmcore", wedged_task_noted, sdei=True),
    ],
    append="watchdog_thresh=5 nmi_watchdog=panic crashkernel=256M",
    extra="kdump", expect_end=None, timeout=60))

# The soak's length: CI runs the short form, "make soak" the long one.
SOAK_SECONDS = int(os.environ.get("SOAK_SECONDS", "120"))
SOAK_STRESSORS = ("sysrq-l", "thresh-change", "cpu-offline", "cpu-online")


def soak_counts(c):
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^harness: soak ([a-z-]+) (\d+)$", c.text, re.M)}


def soak_ran(c):
    """Every stressor that does not need the detector ran, and every CPU
    hotplug operation succeeded."""
    n = soak_counts(c)
    ok = (all(n.get(k, 0) > 0 for k in SOAK_STRESSORS)
          and n.get("cpu-offline-failed", 1) == 0 and n.get("cpu-online-failed", 1) == 0)
    return ok, ", ".join(f"{k} {v}" for k, v in n.items())


def soak_toggled(c):
    """nmi_watchdog writes were accepted: the kernel has a hardlockup
    detector to switch (without one, it refuses them)."""
    n = soak_counts(c)
    return (n.get("nmi-watchdog-off", 0) > 0 and n.get("nmi-watchdog-on", 0) > 0,
            f"nmi_watchdog off {n.get('nmi-watchdog-off')} times, on {n.get('nmi-watchdog-on')}")


def soak_quiet(c):
    """Not one lockup, stall or bug report in the whole log of the soak."""
    m = re.search(r"^harness: soak reports (\d+)$", c.text, re.M)
    if not m:
        return False, "soak did not finish"
    first = re.findall(r"^harness: soak report: (.*)$", c.text, re.M)[:3]
    return m.group(1) == "0", f"{m.group(1)} reports" + (": " + " | ".join(first) if first else "")


SCENARIOS.append(Scenario(
    "hardlockup-soak",
    f"No false positive: {SOAK_SECONDS} s of load on every CPU with sysrq-l storms, "
    "nmi_watchdog toggling, watchdog_thresh changes and CPU 1-3 offline/online cycling "
    "(guest/soak.sh) log no lockup report; then a wedge of CPU 1 is still detected.",
    f"""
ktap_plan hardlockup-soak 1
sh /harness/soak.sh {SOAK_SECONDS}
{WEDGE}
{wait_report(12)}
dump_dmesg
""",
    SANITY + [
        Check("stressors-ran", soak_ran),
        Check("soak-no-lockup-report", soak_quiet),
        Check("soak-restored", has(r"^harness: soak cpus online 0-3$")),
        Check("nmi-watchdog-toggled", soak_toggled, sdei=True),
        Check("wedge-cpu1", guest_ok("wedge-cpu1")),
        Check("reported-by-cpu1-in-lkdtm-spin", reported_by_itself, sdei=True),
        Check("detected-within-2x-thresh", within(10), sdei=True),
    ],
    append="watchdog_thresh=5 log_buf_len=32M", timeout=SOAK_SECONDS + 150))

SCENARIOS.append(Scenario(
    "kselftests",
    "The series' kselftests on the watchdog build: the handler path, which now also reaches "
    "the CPU-number helper and the watchdog core's check, refuses kprobes.",
    f"""
cd /kselftest && SDEI_NMI_HANDLER_PATH=/{HANDLER_PATH} ./run_kselftest.sh -c drivers/sdei_nmi
""",
    SANITY + [
        Check("sdei_nmi_state.sh", kselftest("sdei_nmi_state.sh"), sdei=True),
        Check("sdei_nmi_kprobe.sh", kselftest("sdei_nmi_kprobe.sh"), sdei=True),
        Check("watchdog-check-refuses-kprobes",
              has(r"^# ok \d+ watchdog_hardlockup_check refuses kprobes"), sdei=True),
        Check("cpu-helper-refuses-kprobes",
              has(r"^# ok \d+ rust_helper_raw_smp_processor_id refuses kprobes"), sdei=True),
    ],
    append="nmi_watchdog=0", extra="kselftest"))


@pytest.mark.parametrize("firmware", ["tf-a", "no-firmware"])
@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_watchdog(sc, firmware, request):
    if "rust" not in request.config.getoption("--variants").split(","):
        pytest.skip("the SDEI hardlockup detector is part of the Rust port (VARIANTS has no rust)")
    tag = f"{VARIANT}-{sc.name}-{firmware}"
    ctx = boot(sc, VARIANT, firmware == "tf-a", logfile=os.path.join(RESULTS, tag + ".log"))
    report(sc, firmware, ctx, tag)
