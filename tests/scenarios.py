# SPDX-License-Identifier: GPL-2.0
"""The scenarios: what the guest does, and what the host checks in its log.

Each check is either a sanity check, which must hold with and without
firmware, or an SDEI claim, which must hold on TF-A and must NOT hold in
the no-firmware boot (the negative control): a claim that also holds
without SDEI proves nothing about SDEI.
"""
import os
import re
import subprocess
import sys

import vm
import vmcore

WEDGE = "wedge_cpu 1 && ktap_result OK wedge-cpu1 || ktap_result FAIL wedge-cpu1"
# Every page and slab allocation, with the stack that made it, while a
# request runs: none may come from the service (no allocation after init).
# Events are enabled before the wedge and never disabled: (un)registering
# them waits for every CPU, and a wedged CPU never answers.
KMEM_TRACE_ON = """T=/sys/kernel/tracing
[ -e $T/trace ] || mount -t tracefs nodev $T
echo 1 >$T/options/stacktrace
echo 1 >$T/events/kmem/kmalloc/enable
echo 1 >$T/events/kmem/kmem_cache_alloc/enable
echo 1 >$T/events/kmem/mm_page_alloc/enable"""
KMEM_TRACE_OFF = """echo 0 >$T/tracing_on
echo "harness: allocations traced $(grep -cE ' (kmalloc|kmem_cache_alloc|mm_page_alloc):' $T/trace)"
echo "harness: allocation stack lines $(grep -c '=> ' $T/trace)"
echo "harness: allocation stacks through the service $(grep -cE '=> .*sdei_nmi' $T/trace)"
grep -E '=> .*sdei_nmi' $T/trace | head -5"""
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
        """{name: ok} from the guest's KTAP result lines.  A name ends at the
        first character a test name does not have: the console can append
        kernel output to the line (seen: "ok 2 sysrq-l-returned[    1.61] CPU: 1")."""
        res = {}
        for m in re.finditer(r"^(not ok|ok) \d+ ([\w.-]+)", self.text, re.M):
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


STATS_DUMP = """echo "harness: stats begin"
cat /sys/kernel/debug/sdei_nmi/stats
echo "harness: stats end"
"""


def stats_table(c):
    """The service's counters as STATS_DUMP printed them: {cpu: {name: count}}."""
    m = re.search(r"^harness: stats begin\n(.*?)^harness: stats end$", c.text, re.M | re.S)
    if not m:
        return None
    rows = [line.split() for line in m.group(1).splitlines() if line.strip()]
    if not rows or rows[0][0] != "cpu":
        return None
    names = rows[0][1:]
    return {int(r[0]): dict(zip(names, map(int, r[1:]))) for r in rows[1:]}


def stats_signalled_not_taken(c):
    """Every CPU 0-3 signalled (its boot check), none refused, no event taken."""
    t = stats_table(c)
    if t is None:
        return False, "no counters in the log"
    bad = [cpu for cpu in range(4) if cpu not in t or t[cpu]["signalled"] < 1
           or t[cpu]["failed"] != 0 or t[cpu]["taken"] != 0]
    return not bad, (f"CPUs {bad}: {[t.get(cpu) for cpu in bad]}" if bad else "")


def stats_rechecked(times):
    """Every CPU 0-3 signalled and taking event 0 at least TIMES times (its boot check and one
    check each time the service opened again after resume, before any other signal), none
    refused."""
    def fn(c):
        t = stats_table(c)
        if t is None:
            return False, "no counters in the log"
        bad = [cpu for cpu in range(4) if cpu not in t or t[cpu]["signalled"] < times
               or t[cpu]["taken"] < times or t[cpu]["failed"] != 0]
        rows = {cpu: (t[cpu]["signalled"], t[cpu]["taken"]) for cpu in t}
        return not bad, (f"CPUs {bad} short of {times}: " if bad else "") + \
            f"(signalled, taken) per CPU {rows}"
    return fn


# The delivery check says nothing on healthy firmware (a CPU that fails is named).
DELIVERY_QUIET = Check("delivery-check-quiet",
                       lacks(r"sdei_nmi: .*(did not take SDEI event 0|SDEI_EVENT_SIGNAL to CPU \d+ refused)"))


def pm_script(name, cycles):
    """CYCLES of (pm_test level, /sys/power/state word, label), each checked to return; then
    every CPU online and the counters (before any other signal), CPU 1 wedged and sysrq-l, and
    the log."""
    # A pm_test level the kernel refuses would put the machine to sleep for real: never.
    steps = "\n".join(f"""echo "harness: {label}: pm_test {lvl}, state {st}"
if echo {lvl} >/sys/power/pm_test; then
	ktap_check {label} sh -c 'echo {st} >/sys/power/state'
else
	ktap_result FAIL {label}
fi""" for lvl, st, label in cycles)
    return f"""
ktap_plan {name} {len(cycles) + 3}
echo "harness: sleep states: $(cat /sys/power/state)"
{steps}
echo none >/sys/power/pm_test
ktap_check cpus-online-after test "$(cat /sys/devices/system/cpu/online)" = 0-3
{STATS_DUMP}
{WEDGE}
echo l >/proc/sysrq-trigger
ktap_result OK sysrq-l-returned
dump_dmesg
"""


def pm_checks(labels, times):
    return SANITY + [Check(label, guest_ok(label)) for label in labels] + [
        Check("cpus-online-after", guest_ok("cpus-online-after")),
        Check("wedge-cpu1", guest_ok("wedge-cpu1")),
        Check("sysrq-l-returned", guest_ok("sysrq-l-returned")),
        Check("sdei-nmi-active", has(r"sdei_nmi: using SDEI cross-CPU NMI"), sdei=True),
        DELIVERY_QUIET,
        # The service opened again after each resume, and checked every CPU anew.
        Check("every-cpu-rechecked", stats_rechecked(times), sdei=True),
        Check("cpu1-backtrace-in-lkdtm-spin", backtrace_of_cpu1_after_sysrq, sdei=True),
    ]


def backtraces_after_sysrq(*cpus):
    """After sysrq-l, an NMI backtrace of each of CPUS (by SDEI or by IPI)."""
    def fn(c):
        req = c.index(r"sysrq: Show backtrace of all active CPUs")
        if req < 0:
            return False, "no sysrq-l in the log"
        missing = [cpu for cpu in cpus
                   if c.index(rf"NMI backtrace for cpu {cpu}\b", start=req) < 0]
        return not missing, (f"no backtrace of CPUs {missing}" if missing else "")
    return fn


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


SDEI_RUNG = r"SMP: retry stop with SDEI NMI for CPUs 1-3(?:, .*)?$"


def stop_rung_ms(c, rung=SDEI_RUNG):
    """The SDEI stop rung's time, from its log line (printed right before the
    first signal) to "Starting crashdump kernel..." (printed once
    crash_smp_send_stop() has seen every target offline), in ms.  RUNG: the
    log line of another rung (the pseudo-NMI one)."""
    t = {}
    for key, pat in (("rung", rung),
                     ("kexec", r"Starting crashdump kernel\.\.\.$")):
        m = re.search(r"^\[\s*(\d+\.\d+)\] " + pat, c.text, re.M)
        if m:
            t[key] = float(m.group(1))
    if len(t) < 2:
        return None
    return (t["kexec"] - t["rung"]) * 1000


def stop_rung_timed(c):
    ms = stop_rung_ms(c)
    if ms is None:
        return False, "no SDEI stop rung for CPUs 1-3 followed by the crashdump kernel"
    return True, f"stop rung: 3 CPUs offline in {ms:.3f} ms"


def prstatus_wedged_cpus(c):
    """Every wedged task left a PRSTATUS note with its pc in the LKDTM spin."""
    syms = vmcore.SymbolMap(c.system_map)
    pids = [int(p) for p in re.findall(r"^harness: wedge pid (\d+)", c.text, re.M)]
    where = {npid: syms.lookup(pc) for npid, pc, _ in kdump_notes(c)}
    spinning = [p for p in pids if (where.get(p) or "").startswith(LKDTM_SPIN + "+")]
    return (len(pids) == 3 and len(spinning) == 3,
            f"{len(spinning)} of {len(pids)} wedged tasks captured in {LKDTM_SPIN}")


def no_allocation_by_service(c):
    """Allocations were traced (the tracing works) and no allocation stack
    runs through the service (C: sdei_nmi_*; Rust: arm_sdei_nmi_rust's
    symbols, whose mangled names contain "sdei_nmi" too)."""
    total = re.search(r"^harness: allocations traced (\d+)", c.text, re.M)
    ours = re.search(r"^harness: allocation stacks through the service (\d+)", c.text, re.M)
    frames = re.search(r"^harness: allocation stack lines (\d+)", c.text, re.M)
    if not total or not ours or not frames:
        return False, "no allocation trace"
    n, f, k = int(total.group(1)), int(frames.group(1)), int(ours.group(1))
    return (n > 0 and f > 0 and k == 0,
            f"{n} allocations traced during sysrq-l ({f} stack lines), {k} in the service")


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
        # The kernel's own line: the guest's echo before "poweroff -f" can
        # still be in the UART's buffer when the machine goes down.
        ok = c.has(r"reboot: Power down") and not c.boot.timed_out
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


# sdei_nmi_state.sh, sdei_nmi_kprobe.sh, sdei_nmi_stats.sh, sdei_nmi_backtrace.sh
KSELFTESTS = 4


def kselftests_ran(c):
    n = len(re.findall(r"^(?:not ok|ok) \d+ selftests: drivers/sdei_nmi: ", c.text, re.M))
    return n == KSELFTESTS, f"{n} of {KSELFTESTS} results"


REACHED_INIT = Check("reached-init", has(r"^harness: init on"))
# Load the capture kernel (the boot's extra files: /boot/Image, /boot/initrd).
KEXEC_LOAD = """ktap_check kexec-load kexec -p -i /boot/Image --initrd=/boot/initrd \\
	--append="console=ttyAMA0 panic=-1 nr_cpus=1 reset_devices"
ktap_check crash-kernel-loaded grep -qx 1 /sys/kernel/kexec_crash_loaded"""
# An SMP capture kernel, and what guest/capture.sh checks in it: every CPU online, ticking, and
# SDEI delivered there to CPU SMP, wedged anew.
def kexec_load_smp(smp):
    return KEXEC_LOAD.replace("nr_cpus=1", f"nr_cpus=4 harness.smp={smp}")


def capture_every_cpu_ticks(c):
    """In the capture kernel, each of the 4 CPUs took timer interrupts over a second."""
    t = [list(map(int, m.split())) for m in re.findall(r"^harness: capture ticks ([\d ]+)$",
                                                       c.text, re.M)]
    if len(t) != 2:
        return False, f"{len(t)} tick counts"
    grew = [b - a for a, b in zip(*t)]
    return len(grew) == 4 and all(g > 0 for g in grew), f"ticks per CPU in 1 s: {grew}"


def capture_sdei_backtrace(cpu):
    """In the capture kernel, CPU CPU (stopped by the SDEI rung before), wedged anew, was
    backtraced by sysrq-l with its pc in the LKDTM spin, which only SDEI can get."""
    def fn(c):
        bt = re.findall(r"^harness: capture bt: .*\bpc : (\S+)", c.text, re.M)
        ok = any(pc.startswith(LKDTM_SPIN + "+") for pc in bt)
        return ok, (f"cpu {cpu}: pc : {bt[0]}" if bt else f"no backtrace of cpu {cpu}")
    return fn


def kdump_smp3_script(name):
    """CPUs 1-3 wedged, an SMP capture kernel loaded (CPU 3 wedged anew there), then sysrq-c."""
    return f"""
ktap_plan {name} 3
{kexec_load_smp(3)}
for n in 1 2 3; do
	wedge_cpu $n && echo "harness: wedge pid $WEDGE_PID"
done
ktap_check wedge-cpus123 test "$(dmesg | grep -c 'Performing direct entry HARDLOCKUP')" -eq 3
sysrq c
sleep 60
"""


KEXEC_CHECKS = [Check("kexec-load", guest_ok("kexec-load")),
                Check("crash-kernel-loaded", guest_ok("crash-kernel-loaded"))]
SANITY = [REACHED_INIT, Check("no-oops", no_oops)]
# With CPU 1 wedged for good, RCU's stall detector asks for CPU 1's
# backtrace 21 s in, from a context that waits for the answer with
# interrupts off; without SDEI nothing answers, and after the 10 s wait
# the soft-lockup detector reports that waiting CPU (seen once, in the
# no-firmware control of backtrace-wedged, when its first 10 s wait took
# 19 s of guest time).  That is v7.3 without SDEI, not what a scenario
# tests: scenarios that keep a CPU wedged for more than a few seconds
# move the stall detector out of their way.
NO_RCU_STALL = "rcupdate.rcu_cpu_stall_timeout=300"


# Where the kselftest boots find the SDEI handler path of their kernel
# (SDEI_NMI_HANDLER_PATH of sdei_nmi_kprobe.sh), derived from its vmlinux
# by the selftest's own sdei_nmi_handler_path.py.
HANDLER_PATH = "sdei-nmi-handler-path.txt"
LLVM_SUFFIX = os.environ.get("LLVM_SUFFIX", "-19")


def handler_path(variant):
    """Derive VARIANT's handler path from its vmlinux; return the file."""
    tree = os.environ.get("TREE") or os.path.join(vm.CACHE, "linux")
    script = os.path.join(tree, "tools", "testing", "selftests", "drivers", "sdei_nmi",
                          "sdei_nmi_handler_path.py")
    results = os.environ.get("SDEI_RESULTS") or os.path.join(vm.CACHE, "results")
    out = os.path.join(results, f"{variant}-{HANDLER_PATH}")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        subprocess.run([sys.executable, script, "--objdump", "llvm-objdump" + LLVM_SUFFIX,
                        "--nm", "llvm-nm" + LLVM_SUFFIX,
                        os.path.join(vm.BUILD, variant, "vmlinux")], check=True, stdout=f)
    return out


def boot(sc, variant, firmware, logfile=None, append=None, regs_at_timeout=False):
    """Boot scenario SC on VARIANT's kernel, on TF-A or without firmware; the
    checks' view of the finished boot.  APPEND replaces the scenario's extra
    command line; REGS_AT_TIMEOUT: see vm.boot()."""
    extra = None
    if sc.extra == "kdump":
        extra = {"boot/Image": vm.kernel_image(variant), "boot/initrd": vm.BASE_CPIO}
    elif sc.extra == "kselftest":
        extra = {"kselftest": vm.KSELFTEST, HANDLER_PATH: handler_path(variant)}
    elif sc.extra == "lockup":
        extra = {"lib/test_lockup.ko": os.path.join(vm.BUILD, variant, "lib", "test_lockup.ko")}
    if firmware and sc.flavour:
        firmware = sc.flavour
    b = vm.boot(sc.script, variant=variant, firmware=firmware,
                append=sc.append if append is None else append,
                extra_files=extra, timeout=sc.timeout, expect_end=sc.expect_end,
                logfile=logfile, el3=sc.el3 and firmware, el2=sc.el2,
                regs_at_timeout=regs_at_timeout)
    return Ctx(b, os.path.join(vm.BUILD, variant, "System.map"), variant)


class Scenario:
    def __init__(self, name, doc, script, checks, append="", extra=None,
                 expect_end="harness: done", timeout=90, el3=False, el2=False, flavour=None):
        self.name, self.doc, self.script, self.checks = name, doc, script, checks
        # The TF-A flavour of its tf-a boot (scripts/firmware.sh), if not FW_FLAVOUR's.
        self.flavour = flavour
        self.append, self.extra, self.expect_end, self.timeout = append, extra, expect_end, timeout
        # Count what EL3 does between the script's marks (vm.EL3_MARK).
        self.el3 = el3
        # Boot the kernel at EL2 (vm.machine()).
        self.el2 = el2


SCENARIOS = [
    Scenario(
        "sdei-active",
        "SDEI found in firmware, the NMI service active, all 4 CPUs online.",
        """
ktap_plan sdei-active 1
ktap_check cpus-online test "$(cat /sys/devices/system/cpu/online)" = 0-3
echo "harness: implementation $(sdei_impl)"
dump_dmesg
""",
        SANITY + [
            Check("cpus-online", guest_ok("cpus-online")),
            Check("implementation-is-variant", implementation_is_variant),
            Check("sdei-detected", has(r"sdei: SDEIv1\.0 \(0x0\) detected in firmware"), sdei=True),
            Check("sdei-nmi-active", has(r"sdei_nmi: using SDEI cross-CPU NMI"), sdei=True),
            # Every CPU took event 0 when the service signalled it at boot.
            DELIVERY_QUIET,
            Check("no-fw-bug", lacks(r"sdei_nmi: \[Firmware Bug\]")),
        ]),
    Scenario(
        "sdei-undelivered",
        "Firmware that registers event 0 but never delivers it (TF-A flavour nosignal): the "
        "service checks each CPU at boot, names each, declines (no FW_BUG: firmware accepted "
        "the signals), and sysrq-l takes the IPI path; the counters show each CPU signalled and "
        "no event taken.",
        f"""
ktap_plan sdei-undelivered 1
echo l >/proc/sysrq-trigger
ktap_result OK sysrq-l-returned
sleep 1
{STATS_DUMP}
dump_dmesg
""",
        SANITY + [
            Check("sysrq-l-returned", guest_ok("sysrq-l-returned")),
            Check("sdei-detected", has(r"sdei: SDEIv1\.0 \(0x0\) detected in firmware"), sdei=True),
            Check("each-cpu-named",
                  lambda c: (all(c.has(rf"sdei_nmi: CPU {cpu} did not take SDEI event 0 within "
                                       r"10000 us of a signal: using IPIs for it") for cpu in range(4)),
                             ""), sdei=True),
            Check("declined",
                  has(r"sdei_nmi: no CPU took SDEI event 0 when signalled: "
                      r"cross-CPU NMI service not used"), sdei=True),
            Check("no-fw-bug", lacks(r"sdei_nmi: \[Firmware Bug\]")),
            Check("service-not-used", lacks(r"sdei_nmi: using SDEI cross-CPU NMI")),
            Check("ipi-backtraces-of-cpus-1-3", backtraces_after_sysrq(1, 2, 3)),
            Check("counted-signalled-not-taken", stats_signalled_not_taken, sdei=True),
        ],
        flavour="nosignal"),
    Scenario(
        "hibernate-pm-test",
        "Hibernation through pm_test (processors, then core: the image's CPU round trip without "
        "writing it), while the SDEI core has event 0 unregistered; then every CPU is online, "
        "the service checked each one again, and sysrq-l backtraces a wedged CPU through SDEI.",
        pm_script("hibernate-pm-test", [("processors", "disk", "hibernate-processors"),
                                        ("core", "disk", "hibernate-core")]),
        pm_checks(["hibernate-processors", "hibernate-core"], 3),
        append="no_console_suspend nmi_watchdog=0 " + NO_RCU_STALL, timeout=180),
    Scenario(
        "suspend-pm-test",
        "Suspend through pm_test (devices, then platform: the SDEI core masks every PE and "
        "unmasks it on resume), to idle: QEMU's TF-A has no PSCI SYSTEM_SUSPEND, so mem is "
        "s2idle, which pm_test takes no further; then every CPU is online, the service checked "
        "each one again, and sysrq-l backtraces a wedged CPU through SDEI.",
        pm_script("suspend-pm-test", [("devices", "freeze", "suspend-devices"),
                                      ("platform", "freeze", "suspend-platform")]),
        pm_checks(["suspend-devices", "suspend-platform"], 3),
        append="no_console_suspend nmi_watchdog=0 " + NO_RCU_STALL, timeout=150),
    Scenario(
        "sdei-nmi-off",
        "sdei_nmi=off on TF-A: the service stays off, and with CPU 1 wedged sysrq-l takes the "
        "IPI path, which gets CPUs 2 and 3 but not CPU 1.",
        f"""
ktap_plan sdei-nmi-off 2
{WEDGE}
echo l >/proc/sysrq-trigger
ktap_result OK sysrq-l-returned
dump_dmesg
""",
        SANITY + [
            Check("wedge-cpu1", guest_ok("wedge-cpu1")),
            Check("sysrq-l-returned", guest_ok("sysrq-l-returned")),
            Check("sdei-detected", has(r"sdei: SDEIv1\.0 \(0x0\) detected in firmware"), sdei=True),
            Check("service-off", has(r"sdei_nmi: cross-CPU NMI service off \(sdei_nmi=off\)")),
            Check("service-not-used", lacks(r"sdei_nmi: using SDEI cross-CPU NMI")),
            Check("ipi-backtraces-of-cpus-2-3", backtraces_after_sysrq(2, 3)),
            Check("no-backtrace-of-cpu1", lambda c: (not backtraces_after_sysrq(1)(c)[0],
                                                     "CPU 1 backtraced")),
        ],
        append="sdei_nmi=off nmi_watchdog=0 " + NO_RCU_STALL),
    Scenario(
        "backtrace-wedged",
        "CPU 1 spins with interrupts masked; sysrq-l from CPU 0 gets its backtrace.",
        f"""
ktap_plan backtrace-wedged 2
{KMEM_TRACE_ON}
{WEDGE}
echo l >/proc/sysrq-trigger
ktap_result OK sysrq-l-returned
{KMEM_TRACE_OFF}
dump_dmesg
""",
        SANITY + [
            Check("wedge-cpu1", guest_ok("wedge-cpu1")),
            Check("sysrq-l-returned", guest_ok("sysrq-l-returned")),
            Check("cpu1-backtrace-in-lkdtm-spin", backtrace_of_cpu1_after_sysrq, sdei=True),
            Check("no-allocation-by-service", no_allocation_by_service),
        ],
        append="nmi_watchdog=0 " + NO_RCU_STALL),
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
            # Not the crash path: the event is completed and the CPU parked, not powered off.
            Check("sdei-stop-completes-then-parks",
                  has(r"retry stop with SDEI NMI for CPUs 1, completing the event, then parking$"),
                  sdei=True),
            Check("no-failed-stop", lacks(r"failed to stop secondary CPUs"), sdei=True),
        ],
        expect_end=None, timeout=60),
    Scenario(
        "kdump-wedged",
        "CPU 1 spins with interrupts masked; a crash dump still captures its registers.",
        f"""
ktap_plan kdump-wedged 3
{KEXEC_LOAD}
{WEDGE}
echo "harness: wedge pid $WEDGE_PID"
sysrq c
sleep 60
""",
        SANITY + [
            *KEXEC_CHECKS,
            Check("wedge-cpu1", guest_ok("wedge-cpu1")),
            Check("capture-kernel-init", has(r"^harness: capture kernel up")),
            Check("vmcore-readable", guest_ok("vmcore-readable")),
            Check("prstatus-every-cpu", prstatus_all_cpus, sdei=True),
            Check("cpu1-pc-in-lkdtm-spin", cpu1_pc_in_spin, sdei=True),
        ],
        append="crashkernel=256M nmi_watchdog=0",
        extra="kdump"),
    Scenario(
        "kdump-wedged3",
        "CPUs 1-3 spin with interrupts masked; the crash stop reaches all three, "
        "and the log times the SDEI stop rung (make figures compares c and rust).",
        f"""
ktap_plan kdump-wedged3 3
{KEXEC_LOAD}
for n in 1 2 3; do
	taskset -c $n sh -c 'echo HARDLOCKUP >/sys/kernel/debug/provoke-crash/DIRECT' &
	echo "harness: wedge pid $!"
done
i=0
while [ "$(dmesg | grep -c 'Performing direct entry HARDLOCKUP')" -lt 3 ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
ktap_check wedge-cpus123 test "$(dmesg | grep -c 'Performing direct entry HARDLOCKUP')" -eq 3
sleep 0.5
sysrq c
sleep 60
""",
        SANITY + [
            *KEXEC_CHECKS,
            Check("wedge-cpus123", guest_ok("wedge-cpus123")),
            Check("capture-kernel-init", has(r"^harness: capture kernel up")),
            Check("vmcore-readable", guest_ok("vmcore-readable")),
            Check("stop-rung-timed", stop_rung_timed, sdei=True),
            Check("prstatus-every-cpu", prstatus_all_cpus, sdei=True),
            Check("wedged-pcs-in-lkdtm-spin", prstatus_wedged_cpus, sdei=True),
        ],
        append="crashkernel=256M nmi_watchdog=0",
        extra="kdump"),
    Scenario(
        "kdump-smp",
        "CPU 1 spins with interrupts masked; the crash stop's SDEI rung completes event 0 and "
        "powers CPU 1 off, and an SMP capture kernel (nr_cpus=4) has all four CPUs, each "
        "ticking, with SDEI working there; the vmcore still holds CPU 1's spin.",
        f"""
ktap_plan kdump-smp 3
{kexec_load_smp(1)}
{WEDGE}
echo "harness: wedge pid $WEDGE_PID"
sysrq c
sleep 60
""",
        SANITY + [
            *KEXEC_CHECKS,
            Check("wedge-cpu1", guest_ok("wedge-cpu1")),
            Check("capture-kernel-init", has(r"^harness: capture kernel up")),
            Check("vmcore-readable", guest_ok("vmcore-readable")),
            Check("stop-completes-event",
                  has(r"retry stop with SDEI NMI for CPUs 1, completing the event, then CPU_OFF$"),
                  sdei=True),
            Check("capture-all-cpus-online", has(r"^harness: capture cpus online 0-3$"), sdei=True),
            Check("capture-every-cpu-ticks", capture_every_cpu_ticks, sdei=True),
            Check("capture-sdei-backtrace-of-cpu1", capture_sdei_backtrace(1), sdei=True),
            Check("prstatus-every-cpu", prstatus_all_cpus, sdei=True),
            Check("cpu1-pc-in-lkdtm-spin", cpu1_pc_in_spin, sdei=True),
        ],
        append="crashkernel=256M nmi_watchdog=0", extra="kdump", timeout=120, el2=True),
    Scenario(
        "kdump-smp3",
        "CPUs 1-3 spin with interrupts masked; the SDEI rung stops all three, and an SMP "
        "capture kernel has all four CPUs back, SDEI working there (CPU 3 wedged anew).",
        kdump_smp3_script("kdump-smp3"),
        SANITY + [
            *KEXEC_CHECKS,
            Check("wedge-cpus123", guest_ok("wedge-cpus123")),
            Check("capture-kernel-init", has(r"^harness: capture kernel up")),
            Check("vmcore-readable", guest_ok("vmcore-readable")),
            Check("stop-completes-event",
                  has(r"retry stop with SDEI NMI for CPUs 1-3, completing the event, then CPU_OFF$"),
                  sdei=True),
            Check("capture-all-cpus-online", has(r"^harness: capture cpus online 0-3$"), sdei=True),
            Check("capture-every-cpu-ticks", capture_every_cpu_ticks, sdei=True),
            Check("capture-sdei-backtrace-of-cpu3", capture_sdei_backtrace(3), sdei=True),
            Check("prstatus-every-cpu", prstatus_all_cpus, sdei=True),
            Check("wedged-pcs-in-lkdtm-spin", prstatus_wedged_cpus, sdei=True),
        ],
        append="crashkernel=256M nmi_watchdog=0", extra="kdump", timeout=120, el2=True),
    Scenario(
        "kdump-smp-park",
        "Control: sdei_stop=park, CPUs 1-3 wedged: the SDEI rung parks them inside event 0, as "
        "before, and the SMP capture kernel cannot bring them up (CPU 0 only).",
        kdump_smp3_script("kdump-smp-park"),
        SANITY + [
            *KEXEC_CHECKS,
            Check("wedge-cpus123", guest_ok("wedge-cpus123")),
            Check("capture-kernel-init", has(r"^harness: capture kernel up")),
            Check("stop-parks",
                  has(r"retry stop with SDEI NMI for CPUs 1-3, parked inside the event"), sdei=True),
            # Parked, or (without firmware) still spinning: either way they are still on.
            Check("capture-cpus-1-3-missing", has(r"^harness: capture cpus online 0$")),
            Check("wedged-pcs-in-lkdtm-spin", prstatus_wedged_cpus, sdei=True),
        ],
        append="crashkernel=256M nmi_watchdog=0 sdei_stop=park", extra="kdump", timeout=120,
        el2=True),
    Scenario(
        "kdump-smp-complete",
        "sdei_stop=complete, CPUs 1-3 wedged: the SDEI rung completes event 0 and parks them "
        "(complete-then-park, the fallback for firmware that mishandles CPU_OFF there): the "
        "capture kernel boots, without CPUs 1-3, which are still on.",
        kdump_smp3_script("kdump-smp-complete"),
        SANITY + [
            *KEXEC_CHECKS,
            Check("wedge-cpus123", guest_ok("wedge-cpus123")),
            Check("capture-kernel-init", has(r"^harness: capture kernel up")),
            Check("vmcore-readable", guest_ok("vmcore-readable")),
            Check("stop-completes-then-parks",
                  has(r"retry stop with SDEI NMI for CPUs 1-3, completing the event, then parking$"),
                  sdei=True),
            # Parked with the event complete, or (without firmware) still spinning.
            Check("capture-cpus-1-3-missing", has(r"^harness: capture cpus online 0$")),
            Check("prstatus-every-cpu", prstatus_all_cpus, sdei=True),
            Check("wedged-pcs-in-lkdtm-spin", prstatus_wedged_cpus, sdei=True),
        ],
        append="crashkernel=256M nmi_watchdog=0 sdei_stop=complete", extra="kdump", timeout=120,
        el2=True),
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
        append="nmi_watchdog=0 " + NO_RCU_STALL),
]

# sysrq-l storms against CPU hotplug (make test: 60 s; OVERLAP_SECONDS=N).
OVERLAP_SECONDS = int(os.environ.get("OVERLAP_SECONDS", "60"))


def soak_counter(c, name):
    m = re.search(rf"^harness: soak {re.escape(name)} (\d+)$", c.text, re.M)
    return int(m.group(1)) if m else None


def overlap_ran(c):
    """Both stressors ran, overlapping, and every CPU hotplug write succeeded."""
    n = {k: soak_counter(c, k) for k in ("sysrq-l", "cpu-offline", "cpu-online",
                                        "cpu-offline-failed", "cpu-online-failed")}
    ok = (all((n[k] or 0) > 0 for k in ("sysrq-l", "cpu-offline", "cpu-online"))
          and n["cpu-offline-failed"] == 0 and n["cpu-online-failed"] == 0)
    return ok, ", ".join(f"{k} {v}" for k, v in n.items())


def overlap_no_hang(c):
    """No stressor still running a minute after the end (a hotplug write that never returned)."""
    if c.has(r"^harness: soak stuck stressors"):
        states = re.findall(r"^harness: soak (cpu\d hotplug state \d+)", c.text, re.M)
        return False, "stuck: " + ", ".join(states)
    return c.has(r"^harness: soak cpus online "), "finished"


def overlap_no_10s_wait(c):
    """No backtrace request waited its 10 s for a CPU that did not answer."""
    n = soak_counter(c, "requests-waited-10s")
    return n == 0, f"{n} requests waited 10 s; {soak_counter(c, 'backtraces')} backtraces"


def overlap_skips_named(c):
    """The CPUs left out are named, and are only CPUs that went through hotplug (1-3),
    never CPU 0; without SDEI nothing is left out (the IPI path needs no such care)."""
    n = soak_counter(c, "cpus-skipped")
    named = re.findall(r"^harness: soak skipped: +(\d+) CPU (\d+) not (\w+)", c.text, re.M)
    cpus = sorted({int(cpu) for _, cpu, _ in named})
    detail = f"{n} skip lines: " + (", ".join(f"CPU {cpu} {what} {k}x" for k, cpu, what in named)
                                     or "none")
    service = c.has(r"sdei_nmi: using SDEI cross-CPU NMI")
    return n is not None and all(cpu in (1, 2, 3) for cpu in cpus) and (service or n == 0), detail


def overlap_cpus_left_out(c):
    """The service met the window and left the CPU out (an SDEI claim: without SDEI the
    service is inert and leaves nobody out). 2 to 10 per 60 s run on TF-A so far."""
    n = soak_counter(c, "cpus-skipped")
    return (n or 0) > 0, f"{n} CPUs left out"


SCENARIOS.append(Scenario(
    "hotplug-overlap",
    f"sysrq-l storms (3 requests every 0.3 s) and CPU 1-3 offline/online cycles overlap for "
    f"{OVERLAP_SECONDS} s under load (guest/soak.sh, no turn-taking): no hung bring-up, every "
    "CPU online at the end, no request waits 10 s; a CPU that cannot take event 0 is left out "
    "and named.",
    f"""
ktap_plan hotplug-overlap 1
echo "harness: implementation $(sdei_impl)"
SOAK_SYSRQ_PAUSE_US=300000 sh /harness/soak.sh {OVERLAP_SECONDS} 'sysrq hotplug'
ktap_check cpus-online test "$(cat /sys/devices/system/cpu/online)" = 0-3
""",
    SANITY + [
        Check("overlap-ran", overlap_ran),
        Check("no-hung-hotplug", overlap_no_hang),
        Check("cpus-online", guest_ok("cpus-online")),
        Check("no-request-waited-10s", overlap_no_10s_wait),
        Check("skipped-cpus-named", overlap_skips_named),
        Check("sdei-nmi-active", has(r"sdei_nmi: using SDEI cross-CPU NMI"), sdei=True),
        Check("cpus-left-out", overlap_cpus_left_out, sdei=True),
    ],
    append="nmi_watchdog=0 log_buf_len=32M", timeout=OVERLAP_SECONDS + 150))

SCENARIOS.append(Scenario(
    "kselftests",
    "The series' kselftests in the guest: driver state, kprobe refusal on the handler path, "
    "the counters, backtrace of a wedged CPU (run last).",
    f"""
cd /kselftest && SDEI_NMI_WEDGE=1 SDEI_NMI_HANDLER_PATH=/{HANDLER_PATH} \\
	./run_kselftest.sh -c drivers/sdei_nmi
""",
    SANITY + [
        Check("kselftests-ran", kselftests_ran),
        Check("sdei_nmi_state.sh", kselftest("sdei_nmi_state.sh"), sdei=True),
        Check("sdei_nmi_kprobe.sh", kselftest("sdei_nmi_kprobe.sh"), sdei=True),
        Check("sdei_nmi_stats.sh", kselftest("sdei_nmi_stats.sh"), sdei=True),
        # Its last test skips (and the script passes) if it cannot pin the requester.
        Check("sysrq-l-counted", has(r"^# ok \d+ a backtrace of every CPU is counted at each "
                                     r"other CPU$"), sdei=True),
        Check("sdei_nmi_backtrace.sh", kselftest("sdei_nmi_backtrace.sh"), sdei=True),
    ],
    append="nmi_watchdog=0 " + NO_RCU_STALL, extra="kselftest"))
