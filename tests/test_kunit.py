# SPDX-License-Identifier: GPL-2.0
"""KUnit: the Rust service's suite (sdei_nmi) and the Rust kernel crate's
documentation examples (rust_doctests_kernel), built into the kunit variant
kernel (configs/kunit.config).

tf-a: booted on TF-A with SDEI by the harness; every test must pass, the
live delivery test included.
no-firmware: booted by the kernel's own runner (kunit.py exec --arch=arm64,
no secure world); the tests that need SDEI must report SKIP, not FAIL, and
every other test must pass.

Both runs are read by the kernel's parser (kunit.py parse --json).
"""
import json
import os
import subprocess
import sys

import pytest

import vm
from test_scenarios import RESULTS, write_ktap

TREE = os.environ.get("TREE") or os.path.join(vm.CACHE, "linux")
KUNIT_PY = os.path.join(TREE, "tools", "testing", "kunit", "kunit.py")
VARIANT = "kunit"
SUITE = "sdei_nmi"
LIVE = "backtrace_reaches_cpu_with_irqs_masked"
PURE = "signal_failure_reported_once_per_cpu"
REFUSED = "second_registration_refused"
WATCHDOG_TESTS = ("watchdog_pacing", "watchdog_healthy_buddy_never_asked",
                  "watchdog_touches_count_as_progress", "watchdog_ring",
                  "watchdog_stuck_neighbours_both_asked")
TIMEOUT = 600


def cases(node, path=()):
    """{'suite.case': status} from kunit.py's JSON (nested test groups)."""
    out = {}
    name = node.get("name", "")
    here = path + ((name,) if name else ())
    for c in node.get("test_cases", []):
        out[".".join(here[-1:] + (c["name"],))] = c["status"]
    for g in node.get("sub_groups", []):
        out.update(cases(g, here))
    return out


def parse(log, tag):
    """Run kunit.py parse on a console log; return (exit code, {case: status})."""
    out = os.path.join(RESULTS, f"{tag}.json")
    r = subprocess.run([sys.executable, KUNIT_PY, "parse", f"--json={out}", log],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with open(os.path.join(RESULTS, f"{tag}.parse.txt"), "w") as f:
        f.write(r.stdout)
    res = {}
    if os.path.exists(out):
        with open(out) as f:
            res = cases(json.load(f))
    return r.returncode, res, r.stdout


def run_tf_a(tag):
    log = os.path.join(RESULTS, tag + ".log")
    boot = vm.boot(None, variant=VARIANT, firmware=True, append="kunit_shutdown=reboot",
                   timeout=TIMEOUT, expect_end=None, logfile=log)
    return boot.timed_out, boot.tail(30), log


def run_no_firmware(tag):
    log = os.path.join(RESULTS, tag + ".log")
    cmd = [sys.executable, KUNIT_PY, "exec", "--arch=arm64", f"--timeout={TIMEOUT}",
           "--build_dir", os.path.join(vm.BUILD, VARIANT), "--qemu_args=-smp 4",
           "--raw_output=all"]
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           cwd=TREE, timeout=TIMEOUT + 60)
        out, timed_out = r.stdout, False
    except subprocess.TimeoutExpired as e:
        out, timed_out = (e.stdout or b"").decode("utf-8", "replace"), True
    with open(log, "w") as f:
        f.write(" ".join(cmd) + "\n" + out)
    return timed_out, "\n".join(out.splitlines()[-30:]), log


@pytest.mark.parametrize("firmware", ["tf-a", "no-firmware"])
def test_kunit(firmware, request):
    if "rust" not in request.config.getoption("--variants").split(","):
        pytest.skip("KUnit tests are those of the Rust implementation (VARIANTS has no rust)")
    tag = f"kunit-{SUITE}-{firmware}"
    os.makedirs(RESULTS, exist_ok=True)
    timed_out, tail, log = (run_tf_a if firmware == "tf-a" else run_no_firmware)(tag)
    rc, res, summary = parse(log, tag)
    live_want = "PASS" if firmware == "tf-a" else "SKIP"

    n = len(res)
    checks = [
        ("kernel-finished", not timed_out, f"no end of run within {TIMEOUT} s" if timed_out else ""),
        ("kunit-parse-clean", rc == 0 and n > 0,
         f"kunit.py parse exit {rc}: " + " ".join(
             l.split("] ", 1)[-1] for l in summary.splitlines() if "Testing complete" in l)),
        (f"{PURE}-passes", res.get(f"{SUITE}.{PURE}") == "PASS",
         f"got {res.get(f'{SUITE}.{PURE}', 'missing').lower()}"),
        (f"{LIVE}-{'passes' if firmware == 'tf-a' else 'skips'}",
         res.get(f"{SUITE}.{LIVE}") == live_want,
         # Lower case: "# SKIP" at the start of a KTAP comment is a directive.
         f"got {res.get(f'{SUITE}.{LIVE}', 'missing').lower()}, want {live_want.lower()}"),
        (f"{REFUSED}-{'passes' if firmware == 'tf-a' else 'skips'}",
         res.get(f"{SUITE}.{REFUSED}") == live_want,
         f"got {res.get(f'{SUITE}.{REFUSED}', 'missing').lower()}, want {live_want.lower()}"),
        ("watchdog-pacing-tests-pass",
         all(res.get(f"{SUITE}.{t}") == "PASS" for t in WATCHDOG_TESTS),
         " ".join(f"{t}: {res.get(f'{SUITE}.{t}', 'missing').lower()}" for t in WATCHDOG_TESTS)),
        ("doctests-pass", any(k.startswith("rust_doctests_kernel.") for k in res)
         and not any(k.startswith("rust_doctests_kernel.") and v in ("FAIL", "ERROR")
                     for k, v in res.items()),
         f"{sum(k.startswith('rust_doctests_kernel.') for k in res)} doc examples"),
    ]
    failed = write_ktap(tag, checks)
    if failed:
        pytest.fail("\n".join(failed) + f"\n--- last console lines ({log}):\n{tail}")
