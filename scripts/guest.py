#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Build the guest initramfs (newc cpio, uncompressed).

guest.py base OUT SYSROOT GUESTDIR
    busybox-static, kexec-tools with the shared libraries it needs
    (resolved from SYSROOT by DT_NEEDED), /init and /harness/* from GUESTDIR.
guest.py extra OUT [DEST=SRC ...]
    a small archive appended to the base one for a single boot, e.g.
    run.sh=/tmp/x.sh boot/Image=.../Image kselftest=DIR (a directory is
    copied whole)

No root needed: device nodes are written straight into the archive.
"""
import os
import subprocess
import sys


class Cpio:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.ino = 1
        self.dirs = set()

    def _hdr(self, name, mode, size, rdev=(0, 0), nlink=1):
        name_b = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], len(name_b), 0]
        self.ino += 1
        hdr = b"070701" + b"".join(b"%08X" % v for v in fields)
        self.f.write(hdr + name_b)
        self._pad()

    def _pad(self):
        self.f.write(b"\0" * (-self.f.tell() % 4))

    def dir(self, name):
        name = name.strip("/")
        if not name or name in self.dirs:
            return
        self.dir(os.path.dirname(name))
        self.dirs.add(name)
        self._hdr(name, 0o040755, 0, nlink=2)

    def file(self, name, data, mode=0o100644):
        name = name.strip("/")
        self.dir(os.path.dirname(name))
        self._hdr(name, mode, len(data))
        self.f.write(data)
        self._pad()

    def copy(self, name, src):
        st = os.stat(src)
        with open(src, "rb") as f:
            self.file(name, f.read(), 0o100000 | (st.st_mode & 0o777))

    def symlink(self, name, target):
        name = name.strip("/")
        self.dir(os.path.dirname(name))
        t = target.encode()
        self._hdr(name, 0o120777, len(t))
        self.f.write(t)
        self._pad()

    def chardev(self, name, major, minor):
        name = name.strip("/")
        self.dir(os.path.dirname(name))
        self._hdr(name, 0o020600, 0, rdev=(major, minor))

    def close(self):
        self._hdr("TRAILER!!!", 0, 0)
        self.f.write(b"\0" * (-self.f.tell() % 512))
        self.f.close()


def needed(path):
    out = subprocess.run(["aarch64-linux-gnu-readelf", "-d", path],
                         capture_output=True, text=True, check=True).stdout
    return [l.split("[")[1].split("]")[0] for l in out.splitlines() if "(NEEDED)" in l]


def resolve_libs(sysroot, binaries):
    """Map each shared library reachable from binaries to its file in sysroot."""
    dirs = ["lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu", "lib", "usr/lib"]
    found, todo = {}, list(binaries)
    while todo:
        for lib in needed(todo.pop()):
            if lib in found:
                continue
            for d in dirs:
                p = os.path.join(sysroot, d, lib)
                if os.path.exists(p):
                    found[lib] = os.path.realpath(p)
                    todo.append(found[lib])
                    break
            else:
                sys.exit(f"guest.py: {lib} not found in {sysroot} (guest packages incomplete)")
    return found


def base(out, sysroot, guestdir):
    busybox = os.path.join(sysroot, "bin/busybox")
    kexec = os.path.join(sysroot, "sbin/kexec")
    for p, pkg in ((busybox, "busybox-static"), (kexec, "kexec-tools")):
        if not os.path.exists(p):
            sys.exit(f"guest.py: {p} missing: arm64 package {pkg} not unpacked (make setup)")
    c = Cpio(out)
    for d in ("dev", "proc", "sys", "tmp", "root", "sbin", "boot", "lib"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3)
    c.copy("bin/busybox", busybox)
    c.symlink("bin/sh", "busybox")
    c.copy("sbin/kexec", kexec)
    c.copy("lib/ld-linux-aarch64.so.1",
           os.path.realpath(os.path.join(sysroot, "lib/ld-linux-aarch64.so.1")))
    for lib, path in sorted(resolve_libs(sysroot, [kexec]).items()):
        if lib != "ld-linux-aarch64.so.1":
            c.copy("lib/aarch64-linux-gnu/" + lib, path)
    c.copy("init", os.path.join(guestdir, "init"))
    for name in sorted(os.listdir(guestdir)):
        if name != "init":
            c.copy("harness/" + name, os.path.join(guestdir, name))
    c.close()


def extra(out, pairs):
    c = Cpio(out)
    for pair in pairs:
        dest, src = pair.split("=", 1)
        if os.path.isdir(src):
            for root, dirs, files in os.walk(src):
                dirs.sort()
                rel = os.path.relpath(root, src)
                for name in sorted(files):
                    c.copy(os.path.normpath(os.path.join(dest, rel, name)), os.path.join(root, name))
        else:
            c.copy(dest, src)
    c.close()


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "base":
        base(*sys.argv[2:])
    elif len(sys.argv) >= 3 and sys.argv[1] == "extra":
        extra(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
