#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Size and handler-path figures: C driver vs Rust driver (make figures).

For each build variant's service object: bytes by section kind (resident
text, init text, data), and the instructions the SDEI handler executes on
its stop path (entry to the call of arm64_nmi_cpu_stop) and on its
backtrace path (entry to ret, through nmi_cpu_backtrace), found by walking
the disassembly.  Writes a Markdown table to stdout.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm  # noqa: E402  (for the cache paths)

OBJ = {"c": ["drivers/firmware/arm_sdei_nmi.o"],
       "rust": ["drivers/firmware/arm_sdei_nmi_rust.o", "drivers/firmware/arm_sdei_nmi_glue.o"]}
OBJDUMP = "llvm-objdump-19"
SIZE = "llvm-size-19"


def sections(obj):
    out = subprocess.run([SIZE, "-A", obj], capture_output=True, text=True, check=True).stdout
    res = {"text": 0, "init": 0, "data": 0}
    for line in out.splitlines():
        f = line.split()
        if len(f) < 2 or not f[1].isdigit():
            continue
        name, size = f[0], int(f[1])
        if name in (".text", ".kprobes.text") or name.startswith(".text."):
            res["text"] += size
        elif name.startswith(".init.text") or name.startswith(".exit.text"):
            res["init"] += size
        elif re.match(r"\.(data|bss|rodata)", name):
            res["data"] += size
    return res


def handler_paths(obj):
    """(stop, backtrace) instruction counts of the SDEI handler."""
    out = subprocess.run([OBJDUMP, "-d", "-r", "--no-show-raw-insn", obj],
                         capture_output=True, text=True, check=True).stdout
    funcs, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
        if m:
            cur = funcs.setdefault(m.group(1), [])
            continue
        if "R_AARCH64_" in line:
            m = re.match(r"^\s+[0-9a-f]+:\s+R_AARCH64_CALL26\s+(\S+)", line)
            if m and cur:
                cur[-1][3] = m.group(1)
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
        if m and cur is not None:
            cur.append([int(m.group(1), 16), m.group(2), m.group(3), None])
    name = next(n for n in funcs if n == "sdei_nmi_handler" or
                (n.endswith("callbackBS_") and "sdei" in n))
    insns = funcs[name]
    at = {a: i for i, (a, *_rest) in enumerate(insns)}

    def walk(i, goal, seen=()):
        """Shortest instruction count from insns[i] to the goal."""
        best = None
        count = 0
        while i < len(insns):
            addr, op, args, call = insns[i]
            count += 1
            if goal(op, call):
                return count
            if op == "ret" or (op == "bl" and call == "arm64_nmi_cpu_stop"):
                return best
            m = re.search(r"0x([0-9a-f]+) <", args)
            if op == "b" and m:
                i = at[int(m.group(1), 16)]
                continue
            if (op.startswith("b.") or op in ("cbz", "cbnz", "tbz", "tbnz")) and m:
                tgt = at[int(m.group(1), 16)]
                if tgt not in seen:
                    sub = walk(tgt, goal, seen + (tgt,))
                    if sub is not None and (best is None or count + sub < best):
                        best = count + sub
            i += 1
        return best

    stop = walk(0, lambda op, call: op == "bl" and call == "arm64_nmi_cpu_stop")
    seen_bt = []

    def bt_goal(op, call):
        if op == "bl" and call == "nmi_cpu_backtrace":
            seen_bt.append(1)
        return op == "ret" and bool(seen_bt)
    bt = walk(0, bt_goal)
    return stop, bt


def main():
    build = vm.BUILD
    rows, figs = [], {}
    for v, rels in OBJ.items():
        objs = [os.path.join(build, v, rel) for rel in rels]
        for obj in objs:
            if not os.path.exists(obj):
                sys.exit(f"figures.py: {obj} missing: build VARIANT={v} first")
        s = {"text": 0, "init": 0, "data": 0}
        for obj in objs:
            for k, n in sections(obj).items():
                s[k] += n
        stop, bt = handler_paths(objs[0])
        figs[v] = (s, stop, bt)
        names = " + ".join(f"`{os.path.basename(r)}`" for r in rels)
        rows.append(f"| {v} | {names} | {s['text']} | {s['init']} | {s['data']} | {stop} | {bt} |")
    c, r = figs["c"], figs["rust"]
    ratio_text = r[0]["text"] / c[0]["text"]
    ratio_all = (r[0]["text"] + r[0]["init"]) / (c[0]["text"] + c[0]["init"])
    print("| variant | object | resident text (B) | init text (B) | data+rodata+bss (B) "
          "| stop path (insns) | backtrace path (insns) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print()
    print(f"Rust/C: resident text {ratio_text:.2f}x, all text {ratio_all:.2f}x (goal: at most 1.25x); "
          f"stop path {r[1]}/{c[1]}, backtrace path {r[2]}/{c[2]} (goal: within 10%).")
    bench = os.path.join(vm.CACHE, "results", "stop-rung.md")
    if os.path.exists(bench):
        print()
        with open(bench) as f:
            print(f.read().rstrip())
    else:
        print("\nStop rung: no figures yet (make bench).")


if __name__ == "__main__":
    main()
