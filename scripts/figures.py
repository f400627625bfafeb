#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Size and handler-path figures: C driver vs Rust driver (make figures).

For each build variant's service object: bytes by section kind (resident
text, init text, data), and the instructions the SDEI handler executes on
its stop path (entry to the call of arm64_sdei_cpu_stop) and on its
backtrace path (entry to ret, through nmi_cpu_backtrace), found by walking
the disassembly.  The sizes are taken at NR_CPUS=8 (the test kernels'),
512 (arm64's default) and 4096 (its maximum): for the two larger values
the service objects alone are built (with what they need: the headers and,
for Rust, the kernel crate) in build directories of their own,
$BUILD/fig-VARIANT-NR, seeded from the variant's.  Writes Markdown to
stdout: the table, the ratios, and the largest symbols of both objects at
NR_CPUS=512.
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm  # noqa: E402  (for the cache paths)

OBJ = {"c": ["drivers/firmware/arm_sdei_nmi.o"],
       "rust": ["drivers/firmware/arm_sdei_nmi_rust.o", "drivers/firmware/arm_sdei_nmi_glue.o"]}
OBJDUMP = "llvm-objdump-19"
SIZE = "llvm-size-19"
NM = "llvm-nm-19"
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NR_CPUS = (8, 512, 4096)
BASE_NR = 8  # configs/qemu-sdei.config
# The handler's stop path ends at the call of arm64's SDEI stop (patch 19).
STOP_CALL = "arm64_sdei_cpu_stop"


def build_dir(variant, nr):
    """The build directory holding VARIANT's service objects at NR_CPUS=NR."""
    base = os.path.join(vm.BUILD, variant)
    if nr == BASE_NR:
        return base
    d = os.path.join(vm.BUILD, f"fig-{variant}-{nr}")
    if not os.path.exists(os.path.join(d, ".config")):
        if not os.path.exists(os.path.join(base, ".built")):
            sys.exit(f"figures.py: {base} is not built: build VARIANT={variant} first")
        shutil.rmtree(d, ignore_errors=True)
        subprocess.run(["cp", "-a", base, d], check=True)
        for f in (".built",):
            if os.path.exists(os.path.join(d, f)):
                os.remove(os.path.join(d, f))
    subprocess.run([os.path.join(vm.CACHE, "linux", "scripts", "config"), "--file",
                    os.path.join(d, ".config"), "--set-val", "NR_CPUS", str(nr)], check=True)
    log = os.path.join(d, "figures-build.log")
    cmd = ('. "$1/scripts/lib.sh" && kmake "$2" olddefconfig && '
           'kmake "$2" -j"$(nproc)" "${@:3}"')
    with open(log, "w") as f:
        r = subprocess.run(["bash", "-c", cmd, "_", TOP, d] + OBJ[variant], stdout=f,
                           stderr=subprocess.STDOUT)
    if r.returncode:
        sys.exit(f"figures.py: building {variant} at NR_CPUS={nr} failed, see {log}")
    with open(os.path.join(d, ".config")) as f:
        if f"CONFIG_NR_CPUS={nr}\n" not in f.read():
            sys.exit(f"figures.py: Kconfig refused NR_CPUS={nr} in {d}")
    return d


def symbols(objs):
    """[(size, kind, name)] of the defined symbols of OBJS, largest first."""
    out = []
    for obj in objs:
        r = subprocess.run([NM, "-S", "--size-sort", "--defined-only", "-C", obj],
                           capture_output=True, text=True, check=True).stdout
        for line in r.splitlines():
            f = line.split(None, 3)
            if len(f) == 4 and re.fullmatch(r"[0-9a-f]+", f[1]):
                out.append((int(f[1], 16), f[2], f[3]))
    return sorted(out, reverse=True)


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
                re.match(r"_R.*4sdei.*12Registration.*8callback", n))
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
            if op == "ret" or (op == "bl" and call == STOP_CALL):
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

    stop = walk(0, lambda op, call: op == "bl" and call == STOP_CALL)
    seen_bt = []

    def bt_goal(op, call):
        if op == "bl" and call == "nmi_cpu_backtrace":
            seen_bt.append(1)
        return op == "ret" and bool(seen_bt)
    bt = walk(0, bt_goal)
    return stop, bt


def main():
    head = subprocess.run(["git", "-C", os.path.join(vm.CACHE, "linux"), "log", "-1",
                           "--format=%h %s"], capture_output=True, text=True).stdout.strip()
    print("# Size and handler-path figures\n")
    print(f"Generated by `make figures` (`scripts/figures.py`) on "
          f"{subprocess.run(['date', '-u', '+%Y-%m-%d'], capture_output=True, text=True).stdout.strip()}"
          f", kernel tree at `{head}`, LLVM 19 (clang) and the rustc of the build.\n")
    rows, figs = [], {}
    for nr in NR_CPUS:
        for v, rels in OBJ.items():
            objs = [os.path.join(build_dir(v, nr), rel) for rel in rels]
            for obj in objs:
                if not os.path.exists(obj):
                    sys.exit(f"figures.py: {obj} missing: build VARIANT={v} first")
            s = {"text": 0, "init": 0, "data": 0}
            for obj in objs:
                for k, n in sections(obj).items():
                    s[k] += n
            stop, bt = handler_paths(objs[0])
            figs[v, nr] = (s, stop, bt, objs)
            names = " + ".join(f"`{os.path.basename(r)}`" for r in rels)
            rows.append(f"| {v} | {nr} | {names} | {s['text']} | {s['init']} | {s['data']} "
                        f"| {stop} | {bt} |")
    # The rust variant with the C helpers inlined into Rust, built by make
    # min-toolchain (trixie's rustc 1.85.1 and clang share LLVM 19).
    inl = os.path.join(vm.BUILD, "min-toolchain-rust-inline")
    inl_objs = [os.path.join(inl, rel) for rel in OBJ["rust"]]
    if all(os.path.exists(o) for o in inl_objs):
        si = {"text": 0, "init": 0, "data": 0}
        for obj in inl_objs:
            for k, n in sections(obj).items():
                si[k] += n
        stop, bt = handler_paths(inl_objs[0])
        figs["rust-inline", BASE_NR] = (si, stop, bt, inl_objs)
        rows.append(f"| rust, `RUST_INLINE_HELPERS` (rustc 1.85.1, `make min-toolchain`) "
                    f"| {BASE_NR} | {' + '.join(f'`{os.path.basename(r)}`' for r in OBJ['rust'])} "
                    f"| {si['text']} | {si['init']} | {si['data']} | {stop} | {bt} |")
    print("| variant | NR_CPUS | object | resident text (B) | init text (B) "
          "| data+rodata+bss (B) | stop path (insns) | backtrace path (insns) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print()
    for nr in NR_CPUS:
        c, r = figs["c", nr], figs["rust", nr]
        ratio_text = r[0]["text"] / c[0]["text"]
        ratio_all = (r[0]["text"] + r[0]["init"]) / (c[0]["text"] + c[0]["init"])
        ratio_data = r[0]["data"] / c[0]["data"] if c[0]["data"] else float("nan")
        print(f"- NR_CPUS={nr}: Rust/C resident text {ratio_text:.2f}x (goal: at most 1.25x at "
              f"512), all text {ratio_all:.2f}x, data {ratio_data:.2f}x; stop path "
              f"{r[1]}/{c[1]}, backtrace path {r[2]}/{c[2]} instructions (goal: within 10%).")
    if ("rust-inline", BASE_NR) in figs:
        c, r = figs["c", BASE_NR], figs["rust-inline", BASE_NR]
        print(f"- NR_CPUS={BASE_NR}, helpers inlined: Rust/C resident text "
              f"{r[0]['text'] / c[0]['text']:.2f}x; stop path {r[1]}/{c[1]}, backtrace path "
              f"{r[2]}/{c[2]} instructions.")
    print()
    print("Largest symbols at NR_CPUS=512 (`llvm-nm -S --size-sort -C`, text and data):")
    print()
    print("| variant | size (B) | kind | symbol |")
    print("| --- | --- | --- | --- |")
    for v in OBJ:
        for size, kind, name in symbols(figs[v, 512][3])[:12]:
            name = name if len(name) < 110 else name[:107] + "..."
            print(f"| {v} | {size} | {kind} | `{name}` |")
    # What the series' abstractions leave out of line in the kernel crate:
    # built once for every user, not counted in the service's text above
    # (as the SDEI core's own functions are not counted for either driver).
    kobj = os.path.join(build_dir("rust", 512), "rust", "kernel.o")
    if os.path.exists(kobj):
        own = [(size, kind, name) for size, kind, name in symbols([kobj])
               if kind in "tT" and re.match(r"<?kernel::(sdei|nmi|ptrace|cpumask::SharedCpumask)\b",
                                            name)]
        print()
        print(f"Out of line in the kernel crate (`rust/kernel.o`, NR_CPUS=512): the series' "
              f"`sdei`, `nmi`, `ptrace` and `SharedCpumask` code that the service calls, "
              f"{sum(x[0] for x in own)} B in all, built once for every user and not counted "
              f"above:")
        print()
        print("| size (B) | symbol |")
        print("| --- | --- |")
        for size, kind, name in own:
            print(f"| {size} | `{name}` |")
    bench = os.path.join(vm.CACHE, "results", "stop-rung.md")
    if os.path.exists(bench):
        print()
        with open(bench) as f:
            print(f.read().rstrip())
    else:
        print("\nStop rung: no figures yet (make bench).")


if __name__ == "__main__":
    main()
