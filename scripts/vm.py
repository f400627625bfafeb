#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the harness kernel under QEMU, on TF-A (SDEI) or without firmware.

As a module: vm.boot(...) returns a Boot with the console log.
As a command (make run):
    vm.py [--no-firmware] [--variant V] [--cmd 'shell command'] [--timeout S]
          [--append 'extra bootargs']
without --cmd it is an interactive shell on the console (Ctrl-A X quits).
"""
import argparse
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("SDEI_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "sdei-nmi-rs")
BUILD = os.environ.get("BUILD") or os.path.join(CACHE, "build")
# TF-A flavours (scripts/firmware.sh): stock, the default, or trace and
# fixed, built with a patch of firmware/; FW_FLAVOUR picks one for the
# boots that do not name one.
FW_FLAVOUR = os.environ.get("FW_FLAVOUR", "stock")


def firmware_path(firmware):
    """The flash image for boot()'s firmware: a flavour's name, or True for FW_FLAVOUR."""
    flavour = firmware if isinstance(firmware, str) else FW_FLAVOUR
    return os.path.join(CACHE, "tf-a", "current" if flavour == "stock" else flavour, "flash.bin")
BASE_CPIO = os.path.join(CACHE, "guest", "base.cpio")
KSELFTEST = os.path.join(CACHE, "guest", "kselftest")
QEMU = "qemu-system-aarch64"

KERNEL_ADDR = 0x40200000     # TF-A's PRELOADED_BL33_BASE
INITRD_ADDR = 0x48000000
BASE_ARGS = "console=ttyAMA0 panic=-1"
DONE = "harness: done"


def kernel_image(variant):
    return os.path.join(BUILD, variant, "arch", "arm64", "boot", "Image")


def machine(firmware, smp, mem, el2=False):
    """EL2: give the CPUs EL2 (virtualization=on), so that the kernel starts there, as it does
    on hardware under TF-A; without it the kernel runs at EL1."""
    m = "virt,gic-version=3" + (",secure=on" if firmware else "") + (",virtualization=on" if el2 else "")
    return ["-M", m, "-cpu", "max", "-smp", str(smp), "-m", str(mem), "-nic", "none"]


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def make_dtb(path, firmware, smp, mem, bootargs, initrd_size, el2=False):
    """QEMU's own DTB for this machine, edited for our boots.

    Both boots: /chosen/kaslr-seed is deleted (kexec-tools cannot rewrite
    it for the capture kernel, and this kernel has no KASLR anyway).
    On TF-A: QEMU neither places an initrd nor passes bootargs when it
    boots firmware, and TF-A adds /psci but no /firmware/sdei node, without
    which Linux never looks for SDEI; the DTB carries all three.  It is
    dumped with the firmware loaded: QEMU builds a different machine then
    (e.g. an ACPI GED instead of the GPIO at 0x09030000).
    """
    m = machine(firmware, smp, mem, el2)
    m[1] += ",dumpdtb=" + path
    fw = firmware_path(firmware)
    run([QEMU, *m, *(["-bios", fw] if firmware else []), "-display", "none"])
    subprocess.run(["fdtput", "-d", path, "/chosen", "kaslr-seed"],
                   stderr=subprocess.DEVNULL, check=False)
    if not firmware:
        return
    run(["fdtput", "-t", "s", path, "/chosen", "bootargs", bootargs])
    run(["fdtput", "-t", "x", path, "/chosen", "linux,initrd-start", hex(INITRD_ADDR)])
    run(["fdtput", "-t", "x", path, "/chosen", "linux,initrd-end", hex(INITRD_ADDR + initrd_size)])
    run(["fdtput", "-p", "-c", path, "/firmware/sdei"])
    run(["fdtput", "-t", "s", path, "/firmware/sdei", "compatible", "arm,sdei-1.0"])
    run(["fdtput", "-t", "s", path, "/firmware/sdei", "method", "smc"])


# What EL3 does, counted by QEMU (-d int) between the guest's marks: the guest prints
# "harness: el3 mark NAME", then sleeps a second so that the host has seen the line before
# anything that follows it runs; the host takes the length of QEMU's exception log at each
# mark and appends "host: el3 NAME: D SDEI dispatches, F FIQs at EL3" for the window that ends
# there. A dispatch is an exception return from EL3 to EL1 at the kernel's SDEI entry point,
# __sdei_asm_handler (the kernel registers its KPTI trampoline instead when it runs unmapped
# at EL0, which these windows would then miss: a scenario that uses them needs a positive
# control). TF-A takes the SGI of an SDEI_EVENT_SIGNAL at EL3 as a FIQ.
EL3_MARK = re.compile(r"^harness: el3 mark (\S+)$")
EL3_ERET = re.compile(r"^Exception return from AArch64 EL3 to AArch64 EL1 PC (0x[0-9a-f]+)$", re.M)
EL3_FIQ = re.compile(r"^Taking exception 6 \[FIQ\] on CPU \d+$", re.M)


def symbol(system_map, name):
    with open(system_map) as f:
        for line in f:
            addr, _, sym = line.split()
            if sym == name:
                return int(addr, 16)
    return None


def el3_windows(log, marks, entry):
    """["host: el3 NAME: ..."] for each window of LOG, which ends at MARKS[i] = (name, length)."""
    out, start = [], 0
    with open(log, errors="replace") as f:
        data = f.read()
    for name, end in marks:
        seg = data[start:end]
        d = sum(1 for pc in EL3_ERET.findall(seg) if int(pc, 16) == entry)
        out.append(f"host: el3 {name}: {d} SDEI dispatches, {len(EL3_FIQ.findall(seg))} FIQs at EL3")
        start = end
    return out


class Boot:
    """One finished boot: its console log and how it ended."""

    def __init__(self, lines, timed_out, seconds, logfile):
        self.lines = lines
        self.timed_out = timed_out
        self.seconds = seconds
        self.logfile = logfile

    @property
    def text(self):
        return "\n".join(self.lines)

    def tail(self, n=60):
        return "\n".join(self.lines[-n:])


def qemu_cmd(variant, firmware, smp, mem, bootargs, initrd, workdir, el2=False):
    image = kernel_image(variant)
    if not os.path.exists(image):
        sys.exit(f"vm.py: no kernel at {image}: run 'make kernel'")
    cmd = [QEMU, *machine(firmware, smp, mem, el2), "-no-reboot"]
    fw = firmware_path(firmware)
    if firmware and not os.path.exists(fw):
        sys.exit(f"vm.py: no firmware at {fw}: run 'make firmware'")
    dtb = os.path.join(workdir, "virt.dtb")
    make_dtb(dtb, firmware, smp, mem, bootargs, os.path.getsize(initrd), el2)
    cmd += ["-dtb", dtb]
    if firmware:
        cmd += ["-bios", fw,
                "-device", f"loader,file={image},addr={hex(KERNEL_ADDR)},force-raw=on",
                "-device", f"loader,file={initrd},addr={hex(INITRD_ADDR)},force-raw=on"]
    else:
        cmd += ["-kernel", image, "-initrd", initrd, "-append", bootargs]
    return cmd


def make_initrd(workdir, script, extra_files):
    """The base initramfs, plus a per-boot archive with /run.sh and extras."""
    if not os.path.exists(BASE_CPIO):
        sys.exit(f"vm.py: no guest initramfs at {BASE_CPIO}: run 'make guest'")
    pairs = []
    if script is not None:
        run_sh = os.path.join(workdir, "run.sh")
        with open(run_sh, "w") as f:
            f.write(". /harness/ktap.sh\n" + script + "\n")
        pairs.append("run.sh=" + run_sh)
    pairs += [f"{k}={v}" for k, v in (extra_files or {}).items()]
    initrd = os.path.join(workdir, "initrd.cpio")
    with open(initrd, "wb") as out, open(BASE_CPIO, "rb") as b:
        out.write(b.read())
    if pairs:
        extra = os.path.join(workdir, "extra.cpio")
        subprocess.run([sys.executable, os.path.join(TOP, "scripts", "guest.py"),
                        "extra", extra, *pairs], check=True)
        with open(initrd, "ab") as out, open(extra, "rb") as e:
            out.write(e.read())
    return initrd


def vcpu_pcs(sock):
    """Each vCPU's PC and exception level, from the QEMU monitor at SOCK."""
    out = b""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as m:
            m.settimeout(2)
            m.connect(sock)
            m.sendall(b"info registers -a\n")
            end = time.monotonic() + 3
            while time.monotonic() < end:
                try:
                    chunk = m.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    break
                out += chunk
    except OSError as e:
        return [f"host: no vCPU registers from the monitor: {e}"]
    res = []
    parts = re.split(r"CPU#(\d+)", out.decode("utf-8", "replace"))
    for cpu, body in zip(parts[1::2], parts[2::2]):
        pc = re.search(r"\bPC=([0-9a-f]+)", body)
        mode = re.search(r"PSTATE=[0-9a-f]+ \S+ (?:NS )?(EL\d\w)", body)
        if pc:
            res.append(f"host: cpu {cpu} pc {pc.group(1)} {mode.group(1) if mode else '?'}")
    return res or ["host: no vCPU registers from the monitor"]


def boot(script, *, variant="rust", firmware=True, append="", extra_files=None,
         timeout=90, smp=4, mem=1024, logfile=None, echo=False, expect_end=DONE,
         el3=False, el2=False, regs_at_timeout=False, icount=False):
    """Boot once, run script (sh, sourced after /harness/ktap.sh) and return
    the console log.  The VM is always killed: at the end marker (after a
    short grace period for trailing output), at power-off, or at timeout.
    EL3: count what EL3 does between the guest's marks (EL3_MARK).  EL2: see machine().
    REGS_AT_TIMEOUT: at a timeout, ask QEMU's monitor where each vCPU is, and
    append a "host: cpu N pc PC PSTATE-mode" line for each to the log.
    ICOUNT: run QEMU with precise instruction counting (-icount shift=0, one
    thread for all vCPUs), which makes the guest PMU count instructions."""
    with tempfile.TemporaryDirectory(prefix="sdei-vm-") as wd:
        initrd = make_initrd(wd, script, extra_files)
        bootargs = f"{BASE_ARGS} {append}".strip()
        cmd = qemu_cmd(variant, firmware, smp, mem, bootargs, initrd, wd, el2)
        mon = os.path.join(wd, "mon.sock")
        cmd += ["-display", "none", "-serial", "stdio", "-monitor",
                f"unix:{mon},server,nowait" if regs_at_timeout else "none"]
        exc = os.path.join(wd, "exceptions.log")
        if el3:
            cmd += ["-d", "int", "-D", exc]
        if icount:
            cmd += ["-icount", "shift=0"]
        marks = []
        lines = []
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        done_at = []

        def reader():
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\r\n").replace("\r", "")
                lines.append(line)
                m = EL3_MARK.match(line) if el3 else None
                if m:
                    marks.append((m.group(1), os.path.getsize(exc) if os.path.exists(exc) else 0))
                if echo:
                    print(line, flush=True)
                if expect_end and expect_end in line and not done_at:
                    done_at.append(time.monotonic())

        th = threading.Thread(target=reader, daemon=True)
        th.start()
        timed_out = False
        while proc.poll() is None:
            now = time.monotonic()
            if done_at and now - done_at[0] > 3:
                break
            if now - t0 > timeout:
                timed_out = True
                break
            time.sleep(0.1)
        if timed_out and regs_at_timeout and proc.poll() is None:
            lines += vcpu_pcs(mon)
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
        proc.wait()
        th.join(2)
        secs = time.monotonic() - t0
        if el3 and marks and os.path.exists(exc):
            entry = symbol(os.path.join(BUILD, variant, "System.map"), "__sdei_asm_handler")
            lines += el3_windows(exc, marks, entry)
    if logfile:
        os.makedirs(os.path.dirname(logfile), exist_ok=True)
        with open(logfile, "w") as f:
            f.write(" ".join(shlex.quote(c) for c in cmd) + "\n" + "\n".join(lines) + "\n")
    return Boot(lines, timed_out, secs, logfile)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-firmware", action="store_true", help="boot without TF-A (no SDEI)")
    ap.add_argument("--variant", default=os.environ.get("VARIANT", "rust"))
    ap.add_argument("--cmd", help="run this shell command in the guest, then exit")
    ap.add_argument("--append", default="", help="extra kernel command line")
    ap.add_argument("--timeout", type=int, default=90)
    a = ap.parse_args()
    fw = not a.no_firmware
    if a.cmd is None:
        with tempfile.TemporaryDirectory(prefix="sdei-vm-") as wd:
            initrd = make_initrd(wd, None, None)
            cmd = qemu_cmd(a.variant, fw, 4, 1024, f"{BASE_ARGS} {a.append}".strip(), initrd, wd)
            cmd += ["-nographic"]
            print("==> " + " ".join(shlex.quote(c) for c in cmd), file=sys.stderr)
            return subprocess.call(cmd)
    b = boot(a.cmd, variant=a.variant, firmware=fw, append=a.append,
             timeout=a.timeout, echo=True)
    print(f"==> boot {'timed out' if b.timed_out else 'finished'} after {b.seconds:.1f} s",
          file=sys.stderr)
    return 1 if b.timed_out else 0


if __name__ == "__main__":
    sys.exit(main())
