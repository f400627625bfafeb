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

from scenarios import (HANDLER_PATH, KEXEC_CHECKS, KEXEC_LOAD, NO_RCU_STALL, SANITY,
                       STATS_DUMP, Check, Scenario, boot, cpu1_pc_in_spin, guest_ok, has,
                       kselftest, lacks, prstatus_all_cpus, stats_table)
from test_scenarios import RESULTS, report

VARIANT = "watchdog"
WEDGE = "wedge_cpu 1 && ktap_result OK wedge-cpu1 || ktap_result FAIL wedge-cpu1"
REPORT = r"CPU(\d+): Watchdog detected hard LOCKUP on cpu 1\b"


# How long the scenarios wait for a report, and how long test_lockup's lockups last: the guest's
# shell variables, with these defaults; the perf detector's runs (below) set them longer.
REPORT_WAIT = "${REPORT_WAIT:-12}"


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


def reports(c, cpu=None):
    """[(reporter, locked cpu, pc of the report or of the backtrace that follows, time)] of
    every hard lockup report in the log, in order; only those of CPU CPU if given."""
    out = []
    for i, line in enumerate(c.dmesg):
        m = re.search(r"CPU(\d+): Watchdog detected hard LOCKUP on cpu (\d+)\b", line)
        if not m or (cpu is not None and int(m.group(2)) != cpu):
            continue
        pcs = [l for l in c.dmesg[i:i + 60] if re.search(r"\bpc : ", l)]
        pc = pcs[0].split("pc : ", 1)[1].strip() if pcs else "none"
        out.append((int(m.group(1)), int(m.group(2)), pc, ts(line)))
    return out


def starts(c, pattern):
    """Timestamps of the kernel log lines matching PATTERN."""
    return [ts(l) for l in c.dmesg if re.search(pattern, l)]


LOCKUP_START = r"test_lockup: Start on CPU1$"
LOCKUP_SPIN = ("__delay+", "test_wait+")


def reports_per_lockup(c):
    """[(start, [reports of CPU 1 from then until the next lockup starts])], one per bounded
    lockup of CPU 1 (test_lockup) in the log."""
    t = starts(c, LOCKUP_START)
    rs = reports(c, 1)
    return [(t0, [r for r in rs if t0 <= r[3] < (t[k + 1] if k + 1 < len(t) else float("inf"))])
            for k, t0 in enumerate(t)]


def each_lockup_reported(by_itself):
    """Each of the two bounded lockups of CPU 1 was reported while it lasted (so the second
    one too); BY_ITSELF: by CPU 1, with the spin's registers."""
    def fn(c):
        lockups = reports_per_lockup(c)
        if len(lockups) != 2:
            return False, f"{len(lockups)} lockups started, 2 expected"
        found = []
        for k, (t0, mine) in enumerate(lockups):
            if by_itself:
                mine = [r for r in mine if r[0] == 1 and r[2].startswith(LOCKUP_SPIN)]
            found.append(f"lockup {k + 1}: " + (f"CPU{mine[0][0]} after {mine[0][3] - t0:.2f} s, "
                                               f"pc : {mine[0][2]}" if mine else "not reported"))
        return all("not reported" not in f for f in found), "; ".join(found)
    return fn


def neighbours_reported(by_themselves):
    """CPU 1 and CPU 2, neighbours in the ring, wedged together: both reported;
    BY_THEMSELVES: each by itself, in the LKDTM spin."""
    def fn(c):
        got = {}
        for cpu in (1, 2):
            rs = reports(c, cpu)
            if by_themselves:
                rs = [r for r in rs if r[0] == cpu and r[2].startswith("lkdtm_HARDLOCKUP+")]
            got[cpu] = f"CPU{rs[0][0]}, pc : {rs[0][2]}" if rs else "not reported"
        return (all(v != "not reported" for v in got.values()),
                "; ".join(f"cpu {k}: {v}" for k, v in got.items()))
    return fn


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


def cpu1_checks_counted(c):
    """The counters show the checks CPU 1 ran from the event."""
    t = stats_table(c)
    if t is None or 1 not in t or "watchdog_checks" not in t[1]:
        return False, "no watchdog_checks of CPU 1 in the log"
    n = t[1]["watchdog_checks"]
    return n >= 1, f"{n} checks"


def cpu1_backtrace_in_spin(c):
    """A report of CPU 1's lockup shows CPU 1's registers in the LKDTM spin, its own or those
    of its NMI backtrace."""
    rs = reports(c, 1)
    ok = [r for r in rs if r[2].startswith("lkdtm_HARDLOCKUP+")]
    return bool(ok), (f"reported by CPU{ok[0][0]}, pc : {ok[0][2]}" if ok else
                      f"reports: {rs}")


DETECTOR_UP = Check("detector-on-sdei", has(r"sdei_nmi: hardlockup detector: each CPU checks itself"),
                    sdei=True)
# Inverse claim: the log says the detector runs in buddy mode only without SDEI.
NOT_BUDDY_MODE = Check("not-buddy-mode", lacks(r"sdei_nmi: hardlockup detector: buddy mode"),
                       sdei=True)
# Without SDEI the detector still detects, as the buddy detector does (no regression).
DETECTED = Check("cpu1-lockup-reported", has(r"Watchdog detected hard LOCKUP on cpu 1\b"))

SCENARIOS = [
    Scenario(
        "hardlockup-detected",
        "watchdog_thresh=5, CPU 1 wedged: CPU 1 reports its own hard lockup; without SDEI, its "
        "watcher does, as the buddy detector would; within 2.4 x 5 s either way.",
        f"""
ktap_plan hardlockup-detected 1
{WEDGE}
{wait_report(REPORT_WAIT)}
{STATS_DUMP}
dump_dmesg
""",
        SANITY + [
            Check("wedge-cpu1", guest_ok("wedge-cpu1")),
            DETECTOR_UP, NOT_BUDDY_MODE, DETECTED,
            Check("reported-by-cpu1-in-lkdtm-spin", reported_by_itself, sdei=True),
            Check("cpu1-checks-counted", cpu1_checks_counted, sdei=True),
            # Both modes: the SDEI one, and the buddy one without firmware.
            Check("detected-within-2.4x-thresh", within(12)),
        ],
        append="watchdog_thresh=5 " + NO_RCU_STALL),
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
            NOT_BUDDY_MODE,
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
            DETECTOR_UP, NOT_BUDDY_MODE,
            Check("no-report-for-cpu1", lacks(r"Watchdog detected hard LOCKUP on cpu 1\b")),
        ],
        append="watchdog_thresh=5"),
]

SCENARIOS += [
    Scenario(
        "hardlockup-twice",
        "watchdog_thresh=5, CPU 1 locked up twice (test_lockup, 10 s each, 3 s apart): both "
        "lockups are reported, each by CPU 1 itself; without SDEI, by its watcher.",
        """
ktap_plan hardlockup-twice 2
lockup_cpu 1 ${LOCKUP_SECONDS:-10} && ktap_result OK lockup1 || ktap_result FAIL lockup1
wait $LOCKUP_PID
sleep 3
lockup_cpu 1 ${LOCKUP_SECONDS:-10} && ktap_result OK lockup2 || ktap_result FAIL lockup2
wait $LOCKUP_PID
dump_dmesg
""",
        SANITY + [
            Check("lockup1", guest_ok("lockup1")),
            Check("lockup2", guest_ok("lockup2")),
            DETECTOR_UP, NOT_BUDDY_MODE,
            Check("each-lockup-reported", each_lockup_reported(False)),
            Check("each-lockup-reported-by-cpu1", each_lockup_reported(True), sdei=True),
        ],
        # CPU 1 is back after 10 s masked, long enough for a soft lockup report, which is not
        # what this tests.
        append="watchdog_thresh=5 nosoftlockup " + NO_RCU_STALL, extra="lockup", timeout=120),
    Scenario(
        "hardlockup-neighbours",
        "watchdog_thresh=5, CPUs 1 and 2, neighbours in the ring, wedged together: both are "
        "reported, each by itself (the buddy detector leaves CPU 2 unchecked: its watcher is "
        "CPU 1).",
        """
ktap_plan hardlockup-neighbours 2
wedge_cpu 1 && ktap_result OK wedge-cpu1 || ktap_result FAIL wedge-cpu1
wedge_cpu 2 && ktap_result OK wedge-cpu2 || ktap_result FAIL wedge-cpu2
# In its buddy mode, the detector's watcher of CPU 2, CPU 0, first waits for
# CPU 1's backtrace: 10000 delays of 1 ms, 26 to 29 s under TCG. Wait
# for that wait to end, then for the watcher's three periods.
if ! wait_klog 'Watchdog detected hard LOCKUP on cpu 2' ${REPORT_WAIT:-35} &&
	klog_has 'hardlockup detector: buddy mode'; then
	wait_klog "still haven't responded to the NMI" 90
	wait_klog 'Watchdog detected hard LOCKUP on cpu 2' 20
fi
wait_klog 'Watchdog detected hard LOCKUP on cpu 1' ${REPORT_WAIT:-5}
dump_dmesg
""",
        SANITY + [
            Check("wedge-cpu1", guest_ok("wedge-cpu1")),
            Check("wedge-cpu2", guest_ok("wedge-cpu2")),
            DETECTOR_UP, NOT_BUDDY_MODE,
            Check("both-reported", neighbours_reported(False)),
            Check("both-reported-by-themselves", neighbours_reported(True), sdei=True),
        ],
        append="watchdog_thresh=5 " + NO_RCU_STALL, timeout=180),
]


SCENARIOS.append(Scenario(
    "hardlockup-panic",
    "nmi_watchdog=panic, capture kernel loaded, CPU 1 wedged: its watcher panics, with CPU 1's "
    "backtrace through SDEI, and kdump captures every CPU, CPU 1 with its pc in the LKDTM spin.",
    f"""
ktap_plan hardlockup-panic 3
{KEXEC_LOAD}
{WEDGE}
echo "harness: wedge pid $WEDGE_PID"
# CPU 1 panics within 2 x watchdog_thresh (10 s); without a panic by 20 s
# there is none to wait for (the no-firmware control): reset, which works
# with CPU 1 wedged where poweroff may not (see poweroff-wedged).
sleep ${{PANIC_WAIT:-20}}
echo "harness: no panic ${{PANIC_WAIT:-20}} s after the wedge: sysrq-b"
echo b >/proc/sysrq-trigger
""",
    SANITY + [
        *KEXEC_CHECKS,
        Check("wedge-cpu1", guest_ok("wedge-cpu1")),
        Check("panic-on-hard-lockup", has(r"Kernel panic - not syncing: Hard LOCKUP")),
        # Without SDEI the watcher panics too, and kdump works, with CPU 1 left running.
        Check("capture-kernel-init", has(r"^harness: capture kernel up")),
        Check("vmcore-readable", guest_ok("vmcore-readable")),
        # Under hardlockup_panic the watcher judges and panics, and the report carries CPU 1's
        # backtrace, through SDEI.
        Check("cpu1-backtrace-in-lkdtm-spin", cpu1_backtrace_in_spin, sdei=True),
        Check("prstatus-every-cpu", prstatus_all_cpus, sdei=True),
        # The crash stop's SDEI rung saved CPU 1's interrupted context: the spin.
        Check("cpu1-pc-in-spin-in-vmcore", cpu1_pc_in_spin, sdei=True),
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
{wait_report(REPORT_WAIT)}
dump_dmesg
""",
    SANITY + [
        Check("stressors-ran", soak_ran),
        Check("soak-no-lockup-report", soak_quiet),
        Check("soak-restored", has(r"^harness: soak cpus online 0-3$")),
        DETECTOR_UP, NOT_BUDDY_MODE,
        # Both modes: without SDEI the detector runs as the buddy one, and can be switched.
        Check("nmi-watchdog-toggled", soak_toggled),
        Check("wedge-cpu1", guest_ok("wedge-cpu1")),
        DETECTED,
        Check("reported-by-cpu1-in-lkdtm-spin", reported_by_itself, sdei=True),
        Check("detected-within-2.4x-thresh", within(12)),
    ],
    # After the wedge, without SDEI, the buddy mode's report waits 10 s for a backtrace no IPI
    # gets, as the buddy detector's does, and an RCU stall report 21 s in would wait again: a
    # 60 s stall timeout keeps that out of the few seconds after the wedge, and still catches a
    # stall in the soak itself.
    append="watchdog_thresh=5 log_buf_len=32M rcupdate.rcu_cpu_stall_timeout=60",
    timeout=SOAK_SECONDS + 150))

# What a healthy system pays: SDEI dispatches (EL3 to the kernel's SDEI entry point, counted by
# QEMU: vm.EL3_MARK) and PMU interrupts (the perf detector's NMIs, /proc/interrupts) over
# HEALTHY_SECONDS, half idle and half with every CPU busy; then sysrq-l, the positive control
# that shows the count sees the dispatches there are.
HEALTHY_SECONDS = "${HEALTHY_SECONDS:-20}"


def el3_window(c, name):
    """(SDEI dispatches, FIQs at EL3) in the window that ends at mark NAME, or None."""
    m = re.search(rf"^host: el3 {name}: (\d+) SDEI dispatches, (\d+) FIQs at EL3$", c.text, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else None


def healthy(c):
    """{"seconds", "sdei", "pmu"}: the healthy window's length (guest uptime), SDEI dispatches
    and PMU interrupts, as far as the log has them."""
    out = {}
    u = [float(x) for x in re.findall(r"^harness: healthy uptime (\d+\.\d+)$", c.text, re.M)]
    p = [int(x) for x in re.findall(r"^harness: healthy pmu interrupts (\d+)$", c.text, re.M)]
    if len(u) == 2:
        out["seconds"] = u[1] - u[0]
    if len(p) == 2:
        out["pmu"] = p[1] - p[0]
    w = el3_window(c, "healthy")
    if w:
        out["sdei"] = w[0]
    return out


def no_sdei_when_healthy(c):
    h = healthy(c)
    w = el3_window(c, "healthy")
    if "seconds" not in h:
        return False, "the healthy window did not run"
    if w is None:
        # Without firmware there is no EL3 to count: nothing to dispatch from.
        return True, f"{h['seconds']:.1f} s, no EL3"
    return w[0] == 0, f"{w[0]} SDEI dispatches, {w[1]} FIQs at EL3 in {h['seconds']:.1f} s"


def control_dispatched(c):
    """The positive control: sysrq-l's backtraces were dispatched through SDEI, and counted."""
    w = el3_window(c, "control")
    if w is None:
        return False, "no EL3 count"
    return w[0] > 0, f"{w[0]} SDEI dispatches, {w[1]} FIQs at EL3 for sysrq-l"


SCENARIOS.append(Scenario(
    "hardlockup-healthy",
    "What a healthy system pays for the detector: no SDEI dispatch while no CPU is stuck (EL3 "
    "counted by QEMU), half idle and half busy; sysrq-l then shows the count sees dispatches.",
    f"""
ktap_plan hardlockup-healthy 1
pmu_irqs() {{ awk 'NR == 1 {{ n = NF }} /arm-pmu/ {{ for (i = 2; i <= n + 1; i++) s += $i }}
	END {{ print s + 0 }}' /proc/interrupts; }}
half=$(({HEALTHY_SECONDS} / 2))
echo "harness: el3 mark boot"
sleep 1
echo "harness: healthy uptime $(cut -d' ' -f1 /proc/uptime)"
echo "harness: healthy pmu interrupts $(pmu_irqs)"
sleep $half
pids=
for n in 0 1 2 3; do taskset -c $n sh -c 'while :; do :; done' & pids="$pids $!"; done
sleep $half
kill $pids
echo "harness: healthy uptime $(cut -d' ' -f1 /proc/uptime)"
echo "harness: healthy pmu interrupts $(pmu_irqs)"
echo "harness: el3 mark healthy"
sleep 1
echo l >/proc/sysrq-trigger
sleep 2
echo "harness: el3 mark control"
sleep 1
ktap_result OK healthy-ran
dump_dmesg
""",
    SANITY + [
        Check("healthy-ran", guest_ok("healthy-ran")),
        DETECTOR_UP, NOT_BUDDY_MODE,
        Check("no-sdei-dispatch-when-healthy", no_sdei_when_healthy),
        Check("sysrq-l-dispatched-through-sdei", control_dispatched, sdei=True),
    ],
    el3=True))

SCENARIOS.append(Scenario(
    "kselftests",
    "The series' kselftests on the watchdog build: the handler path, which now also reaches "
    "the CPU-number helper and the watchdog core's check, refuses kprobes; the counters.",
    f"""
cd /kselftest && SDEI_NMI_HANDLER_PATH=/{HANDLER_PATH} ./run_kselftest.sh -c drivers/sdei_nmi
""",
    SANITY + [
        Check("sdei_nmi_state.sh", kselftest("sdei_nmi_state.sh"), sdei=True),
        Check("sdei_nmi_kprobe.sh", kselftest("sdei_nmi_kprobe.sh"), sdei=True),
        Check("sdei_nmi_stats.sh", kselftest("sdei_nmi_stats.sh"), sdei=True),
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


# The same scenarios on the two detectors the SDEI one is compared with (scripts/detectors.py
# makes the table from the three detectors' logs). Only what must hold for any detector is
# checked here: the comparison is the table.
#
# buddy: the buddy detector with the C SDEI driver's backtraces, on the c variant (v7.3 as a
# fleet runs it).
BUDDY_RUNS = [("hardlockup-detected", "tf-a"), ("hardlockup-detected", "no-firmware"),
              ("hardlockup-twice", "tf-a"), ("hardlockup-neighbours", "tf-a"),
              ("hardlockup-panic", "tf-a"), ("hardlockup-soak", "tf-a"),
              ("hardlockup-healthy", "tf-a")]
PANIC_CHECKS = [*KEXEC_CHECKS, Check("wedge-cpu1", guest_ok("wedge-cpu1")),
                Check("panic-on-hard-lockup", has(r"Kernel panic - not syncing: Hard LOCKUP")),
                Check("prstatus-every-cpu", prstatus_all_cpus)]
BUDDY_CHECKS = {
    "hardlockup-detected": [Check("wedge-cpu1", guest_ok("wedge-cpu1")), DETECTED],
    "hardlockup-twice": [Check("lockup1", guest_ok("lockup1")), Check("lockup2", guest_ok("lockup2"))],
    "hardlockup-neighbours": [Check("wedge-cpu1", guest_ok("wedge-cpu1")),
                              Check("wedge-cpu2", guest_ok("wedge-cpu2")), DETECTED],
    "hardlockup-panic": PANIC_CHECKS + [Check("cpu1-pc-in-spin-in-vmcore", cpu1_pc_in_spin)],
    "hardlockup-soak": [Check("stressors-ran", soak_ran),
                        Check("soak-no-lockup-report", soak_quiet)],
    "hardlockup-healthy": [Check("healthy-ran", guest_ok("healthy-ran"))],
}

# perf: the perf detector on pseudo-NMI (VARIANT=perf: the C driver, and the perf detector in
# place of the buddy one, booted with irqchip.gicv3_pseudo_nmi=1). Its NMI period is
# watchdog_thresh times the CPU's maximum frequency as cpufreq knows it, or times 5 GHz
# (SAFE_MAX_CPU_FREQ, arch/arm64/kernel/watchdog_hld.c) without cpufreq, as on QEMU's virt
# machine, whose cycle counter counts at 1 GHz: a 25 s period at watchdog_thresh=5, and a
# lockup is reported one to two periods after it starts. So its runs wait 60 s for a report,
# its test_lockup lockups last 60 s, and its panic run waits 60 s. The panicking CPU is the
# stuck one, whose PRSTATUS in the vmcore is taken in the panic path, not in the spin: what it
# holds is the table's to show, not a check's.
PERF_VARIANT = "perf"
PERF_APPEND = "irqchip.gicv3_pseudo_nmi=1"
PERF_SCRIPT = "REPORT_WAIT=60 LOCKUP_SECONDS=60 PANIC_WAIT=60 HEALTHY_SECONDS=60\n"
PERF_UP = [Check("pseudo-nmi-enabled", has(r"GICv3: Pseudo-NMIs enabled")),
           Check("pmu-irq-is-nmi", has(r"hw perfevents: .* using NMIs")),
           Check("perf-detector-enabled",
                 has(r"NMI watchdog: Enabled\. Permanently consumes one hw-PMU counter"))]
PERF_CHECKS = dict(BUDDY_CHECKS, **{"hardlockup-panic": PANIC_CHECKS})
# (kernel variant, appended to the command line, prepended to the script, checks, more timeout)
COMPARED = {"buddy": ("c", "", "", BUDDY_CHECKS, 0),
            "perf": (PERF_VARIANT, PERF_APPEND, PERF_SCRIPT, PERF_CHECKS, 120)}
COMPARED_RUNS = [(tag, n, f) for tag in COMPARED for n, f in BUDDY_RUNS]


@pytest.mark.parametrize("tag,name,firmware", COMPARED_RUNS,
                         ids=[f"{t}-{n}-{f}" for t, n, f in COMPARED_RUNS])
def test_compared_detector(tag, name, firmware, request):
    if "c" not in request.config.getoption("--variants").split(","):
        pytest.skip("the detectors compared with the SDEI one run the C driver (VARIANTS has no c)")
    variant, append, prefix, checks, more = COMPARED[tag]
    base = next(s for s in SCENARIOS if s.name == name)
    up = PERF_UP if tag == "perf" else []
    sc = Scenario(base.name, base.doc, prefix + base.script, SANITY + up + checks[name],
                  append=f"{base.append} {append}".strip(), extra=base.extra,
                  expect_end=base.expect_end, timeout=base.timeout + more, el3=base.el3)
    # Not "c-...": the parity matrix reads those as the c variant's parity scenarios.
    path = os.path.join(RESULTS, f"{tag}-{name}-{firmware}.log")
    ctx = boot(sc, variant, firmware == "tf-a", logfile=path)
    # Judged as a sanity run: nothing here is an SDEI claim of these detectors'.
    report(sc, "tf-a", ctx, f"{tag}-{name}-{firmware}")
