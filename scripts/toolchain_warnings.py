#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sort the warnings of a kernel build, rustfmtcheck or rustdoc log into
the series' and v7.3's own (scripts/min-toolchain.sh).

toolchain_warnings.py LOG BUILD_DIR TOUCHED_FILE

A warning is the series' when the file it points at is one the series
touches (TOUCHED_FILE: `git diff --name-only sdei-base HEAD`); a warning
in the generated doctest file points at the doc example's own source.
Prints "series: ..." and "v7.3: ..." lines, one per warning, and exits 1
if there is any of the series'.
"""
import re
import sys

log, build, touched_file = sys.argv[1:4]
touched = set(open(touched_file).read().split())
SRC = "/src/linux/"
lines = open(log, errors="replace").read().splitlines()
doctest_src = {}


def doctest_file(gen, lineno):
    """The source file of the doc example at LINENO of the generated file."""
    if gen not in doctest_src:
        try:
            doctest_src[gen] = open(f"{build}/{gen}", errors="replace").read().splitlines()
        except OSError:
            doctest_src[gen] = []
    text = doctest_src[gen]
    # The test's assert macros, before its body, name the source:
    # c"rust/kernel/error.rs".
    for i in range(min(lineno, len(text)) - 1, -1, -1):
        m = re.search(r'c"(rust/[^"]+\.rs)"', text[i])
        if m:
            return m.group(1)
    return gen


def where(path):
    path = path[len(SRC):] if path.startswith(SRC) else path
    return path


out = []
i = 0
while i < len(lines):
    l = lines[i]
    m = re.match(r"^(warning|error)(\[[^\]]*\])?: (.*)$", l)
    if m and not re.match(r"^warning: \d+ warnings? emitted", l) and \
            not l.startswith("error: aborting"):
        loc = None
        for j in range(i + 1, min(i + 8, len(lines))):
            n = re.match(r"^\s*--> ([^:]+):(\d+):", lines[j])
            if n:
                loc = (where(n.group(1)), int(n.group(2)))
                break
        if loc and loc[0].endswith("doctests_kernel_generated.rs"):
            f = doctest_file(loc[0], loc[1])
            at = f"{f} (doc example, {loc[0]}:{loc[1]})"
        else:
            f = loc[0] if loc else "?"
            at = f"{f}:{loc[1]}" if loc else f
        out.append((f, f"{at}: {m.group(3)}"))
    m = re.match(r"^/src/linux/([^:]+):\d+:\d+: warning: (.*)$", l)
    if m:
        out.append((m.group(1), f"{m.group(1)}: {m.group(2)}"))
    m = re.match(r"^Diff in /src/linux/([^:]+):(\d+):", l)
    if m:
        out.append((m.group(1), f"{m.group(1)}:{m.group(2)}: rustfmt would reformat"))
    i += 1

ours = 0
seen = set()
for f, text in out:
    if text in seen:
        continue
    seen.add(text)
    if f in touched or f == "?":
        ours += 1
        print("series: " + text)
    else:
        print("v7.3: " + text)
sys.exit(1 if ours else 0)
