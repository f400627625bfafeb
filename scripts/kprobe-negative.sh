#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kprobe-negative.sh: the evidence that the kprobe selftest catches an
# out-of-line, kprobe-able Rust function on the SDEI handler path (make
# kprobe-negative).
#
# Builds the rust variant with the #[inline(always)] of
# kernel::sdei::Context::cpu_backtrace() removed into $BUILD/rust-outline
# (from a copy of $BUILD/rust).  The kernel crate then keeps the function
# out of line (it is not generic, and not a leaf), so the handler calls it:
# sdei_nmi_handler_path.py lists it, and sdei_nmi_kprobe.sh, booted on TF-A
# in the kselftests scenario, must report it as accepting a kprobe.
# Removing the attribute from a function of the driver itself (e.g. the
# watchdog's on_event()) changes nothing: LLVM inlines a private function
# with one caller anyway.  Exit 0 when the test fails as expected.
#
# The edited source is checked out in the kernel tree for the build and the
# tree put back on its branch afterwards, as scripts/nofix.sh does: nothing
# else may use the tree meanwhile.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

g() { git -C "$TREE" "$@"; }
[ -z "$(g status --porcelain --untracked-files=no)" ] ||
	die "the kernel tree has uncommitted edits: commit or export them first"
branch=$(g symbolic-ref -q --short HEAD) || die "the kernel tree is not on a branch"
f=rust/kernel/sdei.rs
line=$(grep -n 'pub fn cpu_backtrace(&self)' "$TREE/$f" | cut -d: -f1)
[ -n "$line" ] && sed -n "$((line - 1))p" "$TREE/$f" | grep -q '#\[inline(always)\]' ||
	die "$f: no #[inline(always)] cpu_backtrace() to remove"
trap 'g checkout -q -f "$branch"' EXIT
g checkout -q --detach
sed -i "$((line - 1))d" "$TREE/$f"
log "the tree with $f:$((line - 1)) (#[inline(always)] of Context::cpu_backtrace) removed"
SEED=rust KERNEL_DIR=rust-outline bash "$TOP/scripts/kernel.sh" rust
g checkout -q -f "$branch"
trap - EXIT

python3 - "$TOP" <<'PY'
import os, re, sys
top = sys.argv[1]
sys.path[:0] = [os.path.join(top, "tests"), os.path.join(top, "scripts")]
import scenarios, vm
from test_scenarios import SCENARIOS, RESULTS
variant = "rust-outline"
path = open(scenarios.handler_path(variant)).read()
outlined = [l.split()[1] for l in path.splitlines()
            if l.split()[0] != "0" and "7Context13cpu_backtrace" in l]
print("==> derived handler path (%s):" % variant)
print("".join("    " + l + "\n" for l in path.splitlines()), end="")
sc = next(s for s in SCENARIOS if s.name == "kselftests")
log = os.path.join(RESULTS, f"{variant}-kselftests-tf-a.log")
os.makedirs(RESULTS, exist_ok=True)
scenarios.boot(sc, variant, True, logfile=log)
text = open(log, errors="replace").read()
lines = [l for l in text.splitlines() if "refuses kprobes" in l or "sdei_nmi_kprobe.sh" in l]
print("==> sdei_nmi_kprobe.sh on TF-A (%s):" % log)
print("".join("    " + l + "\n" for l in lines), end="")
caught = outlined and re.search(r"^# not ok \d+ " + re.escape(outlined[0]) +
                                r" refuses kprobes \(accepts a kprobe\)", text, re.M)
if caught:
    print("==> kprobe-negative: the selftest caught the out-of-line Context::cpu_backtrace, "
          "as expected")
    sys.exit(0)
print("==> kprobe-negative: the selftest did not catch it: this shows nothing", file=sys.stderr)
sys.exit(1)
PY
