# SPDX-License-Identifier: GPL-2.0
"""Read the ELF notes at the head of an arm64 /proc/vmcore and resolve PCs.

The capture kernel prints the first bytes of /proc/vmcore (ELF header,
program headers and the merged PT_NOTE segment) in base64 between two
markers; this module turns that back into PRSTATUS records.
"""
import base64
import bisect
import struct

BEGIN = "harness: vmcore-head begin"
END = "harness: vmcore-head end"
PT_NOTE = 4
NT_PRSTATUS = 1
# struct elf_prstatus on arm64: pr_pid at 32, pr_reg (34 x u64: x0..x30,
# sp, pc, pstate) at 112.
PR_PID_OFF = 32
PR_REG_OFF = 112


class VmcoreError(Exception):
    pass


def head_from_log(lines):
    try:
        i = lines.index(BEGIN)
        j = lines.index(END, i)
    except ValueError:
        raise VmcoreError("no vmcore dump in the console log") from None
    return base64.b64decode("".join(l.strip() for l in lines[i + 1:j]))


def prstatus(data):
    """[(pid, pc, sp)] for each NT_PRSTATUS note, in note order."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise VmcoreError("not a little-endian ELF64 core")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    out = []
    for k in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + k * phentsize)
        if p_type != PT_NOTE:
            continue
        if p_offset + p_filesz > len(data):
            raise VmcoreError(f"PT_NOTE ends at {p_offset + p_filesz}, dump has {len(data)} bytes")
        off, end = p_offset, p_offset + p_filesz
        while off + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, off)
            desc = off + 12 + ((namesz + 3) & ~3)
            if ntype == NT_PRSTATUS and data[off + 12:off + 12 + namesz].rstrip(b"\0") == b"CORE":
                pid, = struct.unpack_from("<i", data, desc + PR_PID_OFF)
                regs = struct.unpack_from("<34Q", data, desc + PR_REG_OFF)
                out.append((pid, regs[32], regs[31]))
            off = desc + ((descsz + 3) & ~3)
    return out


class SymbolMap:
    """Text symbols from System.map, for resolving a PC to symbol+offset."""

    def __init__(self, path):
        syms = []
        with open(path) as f:
            for line in f:
                addr, kind, name = line.split()[:3]
                if kind in "tTwW":
                    syms.append((int(addr, 16), name))
        syms.sort()
        self.addrs = [a for a, _ in syms]
        self.names = [n for _, n in syms]

    def lookup(self, pc):
        i = bisect.bisect_right(self.addrs, pc) - 1
        if i < 0:
            return None
        return f"{self.names[i]}+{pc - self.addrs[i]:#x}"
