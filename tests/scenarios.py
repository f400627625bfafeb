# SPDX-License-Identifier: GPL-2.0
"""The scenarios: what the guest does, and what the host checks in its log.

Each check is either a sanity check, which must hold with and without
firmware, or an SDEI claim, which must hold on TF-A and must NOT hold in
the no-firmware boot (the negative control): a claim that also holds
without SDEI proves nothing about SDEI.
"""
import re

import vmcore

WEDGE = "wedge_cpu 1 && ktap_result OK wedge-cpu1 || ktap_result FAIL wedge-cpu1"
LKDTM_SPIN = "lkdtm_HARDLOCKUP"


class Check:
    def __init__(self, name, fn, sdei=False):
        self.name, self.fn, self.sdei = name, fn, sdei

    def run(self, ctx):
        try:
            r = self.fn(ctx)
        except Exception as e:  # a check that cannot evaluate has failed
            return False, f"{type(e).__name__}: {e}"
        return (r, "") if isinstance(r, bool) else r


class Ctx:
    """A finished boot as the checks see it."""

    def __init__(self, boot, system_map, variant):
        self.boot = boot
        self.variant = variant
        self.lines = boot.lines
        self.text = boot.text
        self.system_map = system_map
        self.dmesg = self.section("harness: dmesg begin", "harness: dmesg end") or self.lines

    def section(self, begin, end):
        try:
            i = self.lines.index(begin)
            return self.lines[i + 1:self.lines.index(end, i)]
        except ValueError:
            return None

    def has(self, pattern):
        return re.search(pattern, self.text, re.M) is not None

    def index(self, pattern, lines=None, start=0):
        lines = self.dmesg if lines is None else lines
        for i in range(start, len(lines)):
            if re.search(pattern, lines[i]):
                return i
        return -1

    def guest_ktap(self):
        """{name: ok} from the guest's KTAP result lines."""
        res = {}
        for m in re.finditer(r"^(not ok|ok) \d+ (\S+)", self.text, re.M):
            res[m.group(2)] = m.group(1) == "ok"
        return res


def has(pattern):
    return lambda c: c.has(pattern)


def lacks(pattern):
    return lambda c: not c.has(pattern)


def guest_ok(name):
    def fn(c):
        r = c.guest_ktap().get(name)
        return (r is True, "" if r else f"guest KTAP: {name} {'missing' if r is None else 'not ok'}")
    return fn


def no_oops(c):
    bad = [l for l in c.lines if re.search(r"Internal error:|BUG:|Unable to handle kernel|WARNING: CPU", l)]
    return (not bad, "; ".join(bad[:3]))


def backtrace_of_cpu1_after_sysrq(c):
    """A backtrace of CPU 1, requested by sysrq-l, taken in the LKDTM spin."""
    req = c.index(r"sysrq: Show backtrace of all active CPUs")
    if req < 0:
        return False, "no sysrq-l in the log"
    bt = c.index(r"NMI backtrace for cpu 1\b", start=req)
    if bt < 0:
        return False, "no 'NMI backtrace for cpu 1' after sysrq-l"
    for line in c.dmesg[bt:bt + 20]:
        m = re.search(r"pc : (\S+)", line)
        if m:
            return (m.group(1).startswith(LKDTM_SPIN + "+"), f"CPU 1 pc : {m.group(1)}")
    return False, "CPU 1 backtrace has no pc line"


def kdump_notes(c):
    return vmcore.prstatus(vmcore.head_from_log(c.lines))


def wedge_pid(c):
    m = re.search(r"^harness: wedge pid (\d+)", c.text, re.M)
    return int(m.group(1)) if m else None


def prstatus_all_cpus(c):
    notes = kdump_notes(c)
    return len(notes) == 4, f"{len(notes)} PRSTATUS notes (pids {[n[0] for n in notes]})"


def cpu1_pc_in_spin(c):
    pid, syms = wedge_pid(c), vmcore.SymbolMap(c.system_map)
    notes = kdump_notes(c)
    for npid, pc, _ in notes:
        if npid == pid:
            where = syms.lookup(pc)
            return (bool(where) and where.startswith(LKDTM_SPIN + "+"),
                    f"wedged task {pid}: pc {pc:#x} = {where}")
    return False, f"no PRSTATUS note for the wedged task {pid}: {[(n[0], syms.lookup(n[1])) for n in notes]}"


def poweroff_outcome(c):
    """Document what "poweroff -f" does with CPU 1 wedged: either it powers
    the machine off, or it blocks, and then sysrq-w shows where."""
    if not c.has(r"^harness: poweroff still waiting"):
        ok = c.has(r"^harness: poweroff -f") and not c.boot.timed_out
        return ok, "powered off" if ok else "neither powered off nor reported"
    i = c.index(r"task:poweroff\b")
    if i < 0:
        return False, "poweroff blocked, but sysrq-w shows no poweroff task"
    stack = [re.sub(r"^\[[^]]*\] ", "", l).strip() for l in c.dmesg[i:i + 30]]
    frames = [f.split("+")[0] for f in stack[1:] if re.match(r"^[a-z_][\w.]*\+0x", f)]
    return True, "blocked in " + " <- ".join(frames[:8])


def implementation_is_variant(c):
    """The kernel runs the implementation this variant is meant to test."""
    m = re.search(r"^harness: implementation (\S+)", c.text, re.M)
    impl = m.group(1) if m else "unknown"
    return impl == c.variant, f"kernel runs the {impl} implementation"


def kselftest(name, expect_pass=True):
    """run_kselftest.sh's verdict on one test: passed, not skipped."""
    def fn(c):
        m = re.search(rf"^(not ok|ok) \d+ selftests: drivers/sdei_nmi: {name}(.*)$", c.text, re.M)
        if not m:
            return False, "no result"
        ok = m.group(1) == "ok" and "SKIP" not in m.group(2)
        return ok, "" if ok else (m.group(1) + m.group(2)).strip()
    return fn


def kselftests_ran(c):
    n = len(re.findall(r"^(?:not ok|ok) \d+ selftests: drivers/sdei_nmi: ", c.text, re.M))
    return n == 3, f"{n} of 3 results"


REACHED_INIT = Check("reached-init", has(r"^harness: init on"))
SANITY = [REACHED_INIT, Check("no-oops", no_oops)]


class Scenario:
    def __init__(self, name, doc, script, checks, append="", extra=None,
                 expect_end="harness: done", timeout=90):
        self.name, self.doc, self.script, self.checks = name, doc, script, checks
        self.append, self.extra, self.expect_end, self.timeout = append, extra, expect_end, timeout


SCENARIOS = [
    Scenario(
        "sdei-active",
        "SDEI found in firmware, the NMI service active, all 4 CPUs online.",
        """
ktap_plan sdei-active 1
ktap_check cpus-online test "$(cat /sys/devices/system/cpu/online)" = 0-3
if grep -q ' sdei_nmi_handler$' /proc/kallsyms; then impl=c
elif grep -q '17arm_sdei_nmi_rust' /proc/kallsyms; then impl=rust
else impl=none; fi
echo "harness: implementation $impl"
dump_dmesg
""",
        SANITY + [
            Check("cpus-online", guest_ok("cpus-online")),
            Check("implementation-is-variant", implementation_is_variant),
            Check("sdei-detected", has(r"sdei: SDEIv1\.0 \(0x0\) detected in firmware"), sdei=True),
            Check("sdei-nmi-active", has(r"sdei_nmi: using SDEI cross-CPU NMI"), sdei=True),
        ]),
    Scenario(
        "backtrace-wedged",
        "CPU 1 spins with interrupts masked; sysrq-l from CPU 0 gets its backtrace.",
        f"""
ktap_plan backtrace-wedged 2
{WEDGE}
echo l >/proc/sysrq-trigger
ktap_result OK sysrq-l-returned
dump_dmesg
""",
        SANITY + [
            Check("wedge-cpu1", guest_ok("wedge-cpu1")),
            Check("sysrq-l-returned", guest_ok("sysrq-l-returned")),
            Check("cpu1-backtrace-in-lkdtm-spin", backtrace_of_cpu1_after_sysrq, sdei=True),
        ],
        append="nmi_watchdog=0"),
    Scenario(
        "stop-wedged",
        "CPU 1 spins with interrupts masked; an emergency restart still stops it.",
        f"""
ktap_plan stop-wedged 1
{WEDGE}
echo "harness: emergency restart"
sysrq b
sleep 60
""",
        SANITY + [
            Check("wedge-cpu1", guest_ok("wedge-cpu1")),
            Check("restart-issued", has(r"^harness: emergency restart")),
            Check("vm-reset", lambda c: (not c.boot.timed_out, "" if not c.boot.timed_out else "QEMU still running at the timeout")),
            Check("sdei-stop-rung-used", has(r"retry stop with SDEI NMI for CPUs 1\b"), sdei=True),
            Check("no-failed-stop", lacks(r"failed to stop secondary CPUs"), sdei=True),
        ],
        expect_end=None, timeout=60),
    Scenario(
        "kdump-wedged",
        "CPU 1 spins with interrupts masked; a crash dump still captures its registers.",
        f"""
ktap_plan kdump-wedged 3
ktap_check kexec-load kexec -p -i /boot/Image --initrd=/boot/initrd \\
	--append="console=ttyAMA0 panic=-1 nr_cpus=1 reset_devices"
ktap_check crash-kernel-loaded grep -qx 1 /sys/kernel/kexec_crash_loaded
{WEDGE}
echo "harness: wedge pid $WEDGE_PID"
sysrq c
sleep 60
""",
        SANITY + [
            Check("kexec-load", guest_ok("kexec-load")),
            Check("crash-kernel-loaded", guest_ok("crash-kernel-loaded")),
            Check("wedge-cpu1", guest_ok("wedge-cpu1")),
            Check("capture-kernel-init", has(r"^harness: capture kernel up")),
            Check("vmcore-readable", guest_ok("vmcore-readable")),
            Check("prstatus-every-cpu", prstatus_all_cpus, sdei=True),
            Check("cpu1-pc-in-lkdtm-spin", cpu1_pc_in_spin, sdei=True),
        ],
        append="crashkernel=256M nmi_watchdog=0",
        extra="kdump"),
    Scenario(
        "poweroff-wedged",
        "Documents what 'poweroff -f' does with CPU 1 wedged (see the README).",
        f"""
ktap_plan poweroff-wedged 1
{WEDGE}
echo "harness: poweroff -f"
poweroff -f &
sleep 20
echo "harness: poweroff still waiting after 20 s"
echo w >/proc/sysrq-trigger
sleep 1
dump_dmesg
""",
        SANITY + [
            Check("wedge-cpu1", guest_ok("wedge-cpu1")),
            Check("poweroff-outcome-documented", poweroff_outcome),
        ],
        append="nmi_watchdog=0"),
]

SCENARIOS.append(Scenario(
    "kselftests",
    "The series' kselftests in the guest: driver state, kprobe refusal on the handler path, "
    "backtrace of a wedged CPU (run last).",
    """
cd /kselftest && SDEI_NMI_WEDGE=1 ./run_kselftest.sh -c drivers/sdei_nmi
""",
    SANITY + [
        Check("kselftests-ran", kselftests_ran),
        Check("sdei_nmi_state.sh", kselftest("sdei_nmi_state.sh"), sdei=True),
        Check("sdei_nmi_kprobe.sh", kselftest("sdei_nmi_kprobe.sh"), sdei=True),
        Check("sdei_nmi_backtrace.sh", kselftest("sdei_nmi_backtrace.sh"), sdei=True),
    ],
    append="nmi_watchdog=0", extra="kselftest"))
